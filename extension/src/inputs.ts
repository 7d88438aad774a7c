// Parsing what users type or pick as JSON: a run's input, a fork's state edits, batch variants.
// Pure; each parser answers a value or a message that an input box can show as is.

import type { BatchVariant, Json, JsonObject } from './protocol';
import type { Schema } from './stateCheck';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function parse(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A JSON object; an empty text gives `null` (no input / no edits). */
export function parseJsonObject(text: string): Parsed<JsonObject | null> {
  if (!text.trim()) return { ok: true, value: null };
  const p = parse(text);
  if (!p.ok) return p;
  if (!isObject(p.value)) return { ok: false, message: 'Expected a JSON object, like {"query": "…"}' };
  return { ok: true, value: p.value };
}

/** For `InputBox.validateInput`: undefined when fine, else the message. */
export function validateJsonObject(text: string): string | undefined {
  const p = parseJsonObject(text);
  return p.ok ? undefined : p.message;
}

/**
 * Whether a workflow's input must be a JSON object: its input schema (`wtb/getGraph`) describes
 * one, as a StateGraph's does. A Functional API `@entrypoint` takes a plain value (a number, a
 * string, a list) and the daemon gives no schema for it; nor for a graph that does not load or
 * that LangGraph cannot describe, whose input is then left to the daemon to refuse.
 */
export function takesObject(schema: Schema | null | undefined): boolean {
  return !!schema && (schema.type === 'object' || isObject(schema.properties));
}

/**
 * A run's input: a JSON object where the workflow's input `schema` is an object's (as
 * `parseJsonObject`, same messages), else any JSON value; an empty text gives `null` (no input).
 */
export function parseJsonInput(text: string, schema: Schema | null | undefined): Parsed<Json> {
  if (takesObject(schema)) return parseJsonObject(text) as Parsed<Json>;
  if (!text.trim()) return { ok: true, value: null };
  // What JSON.parse answers is a JSON value by construction.
  return parse(text) as Parsed<Json>;
}

/** For `InputBox.validateInput` of a run's input: undefined when fine, else the message. */
export function validateJsonInput(text: string, schema: Schema | null | undefined): string | undefined {
  const p = parseJsonInput(text, schema);
  return p.ok ? undefined : p.message;
}

/**
 * Whether an input given before (the last run's) can be offered again: an object or none where
 * the input must be an object (the workflow may have become a StateGraph since), else any value.
 */
export function fitsInput(value: unknown, schema: Schema | null | undefined): boolean {
  return !takesObject(schema) || value === null || isObject(value);
}

const VARIANT_KEYS = new Set(['name', 'initialState', 'config', 'stateUpdates', 'nodeOverrides']);

/**
 * Batch variants: an array of `{name?, initialState?, config?, stateUpdates?, nodeOverrides?}`, or
 * `{"variants": [...]}` (a batch file), or an array of plain states (each one an
 * `initialState`, named `v1`, `v2`, …).
 */
export function parseVariants(text: string): Parsed<BatchVariant[]> {
  const p = parse(text);
  if (!p.ok) return p;
  let list: unknown = p.value;
  if (isObject(list) && Array.isArray(list.variants)) list = list.variants;
  if (!Array.isArray(list) || list.length === 0) {
    return { ok: false, message: 'Expected a non-empty JSON array of variants, like [{"name": "a", "initialState": {…}}]' };
  }
  const out: BatchVariant[] = [];
  for (const [i, item] of list.entries()) {
    if (!isObject(item)) return { ok: false, message: `Variant ${i + 1} is not a JSON object` };
    const keys = Object.keys(item);
    if (keys.length > 0 && keys.every((k) => VARIANT_KEYS.has(k))) {
      for (const k of ['initialState', 'config', 'stateUpdates', 'nodeOverrides'] as const) {
        if (item[k] != null && !isObject(item[k])) return { ok: false, message: `Variant ${i + 1}: "${k}" must be an object` };
      }
      if (isObject(item.nodeOverrides) && !Object.values(item.nodeOverrides).every((v) => typeof v === 'string')) {
        return { ok: false, message: `Variant ${i + 1}: "nodeOverrides" maps a node to "file.py:function"` };
      }
      if (item.name != null && typeof item.name !== 'string') return { ok: false, message: `Variant ${i + 1}: "name" must be a string` };
      out.push(item);
    } else {
      out.push({ name: `v${i + 1}`, initialState: item });
    }
  }
  return { ok: true, value: out };
}

/**
 * The batch's own settings in a batch file (`{"variants": [...], "backend": "local",
 * "maxParallel": 2}`); nothing for a plain array or unknown values.
 */
export function batchFileOptions(text: string): { backend?: 'ray' | 'local'; maxParallel?: number } {
  const p = parse(text);
  if (!p.ok || !isObject(p.value)) return {};
  const out: { backend?: 'ray' | 'local'; maxParallel?: number } = {};
  if (p.value.backend === 'ray' || p.value.backend === 'local') out.backend = p.value.backend;
  if (typeof p.value.maxParallel === 'number' && Number.isInteger(p.value.maxParallel) && p.value.maxParallel >= 1) out.maxParallel = p.value.maxParallel;
  return out;
}

/**
 * Whether a workspace JSON file can be a run's input: a JSON object (with `anyValue`, for a
 * workflow whose input is not an object, any JSON value: an entrypoint's number or list), not a
 * file a run wrote (`written`: paths in the recorded steps' `outputFiles`, like
 * `out/report.json`) and not a batch file (`{"variants": [...]}`, offered by Run Batch instead).
 */
export function isInputLike(path: string, text: string, written: ReadonlySet<string>, anyValue = false): boolean {
  if (written.has(path)) return false;
  const p = parse(text);
  if (!p.ok) return false;
  return isObject(p.value) ? !Array.isArray(p.value.variants) : anyValue;
}

/** A one-line preview of a JSON value for quick-pick descriptions. */
export function preview(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
