// Checks of a state edit or a run's input before anything runs (pure, tested): a key the graph
// does not know (a typo: LangGraph would refuse it, or a reducer would never see it), a value of
// the wrong JSON type, and (for an input) a required key left out. The daemon's `wtb/getGraph`
// gives LangGraph's JSON Schemas (`stateSchema`, `inputSchema`): a key is known when the schema
// names it or the state holds it (private keys are in no schema), and its type is the schema's
// where the schema states one (`{}` or a `$ref`: any value). Without a schema (an older daemon, a
// graph LangGraph cannot describe) the state at the checkpoint stands for it, and an input is
// not checked.

import type { JsonObject } from './protocol';

/** A JSON Schema object (`properties`, `required`, …) as the daemon sends it. */
export type Schema = Record<string, unknown>;

export interface EditProblem {
  key: string;
  kind: 'unknown' | 'type' | 'missing';
  message: string;
}

/** `string`, `number`, `boolean`, `null`, `array` or `object`. */
export function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

const an = (type: string) => (type === 'null' ? 'null' : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The properties a schema names (none: no schema, or one without `properties`). */
function propertiesOf(schema: Schema | null | undefined): Record<string, unknown> {
  return schema && isRecord(schema.properties) ? schema.properties : {};
}

/** What a schema property allows: JSON Schema types and/or listed values; undefined: any value. */
interface Expected { types: string[]; values: unknown[] }

function expected(property: unknown): Expected | undefined {
  if (!isRecord(property)) return undefined;
  if (Array.isArray(property.enum)) return { types: [], values: property.enum as unknown[] };
  if ('const' in property) return { types: [], values: [property.const] };
  if (typeof property.type === 'string') return { types: [property.type], values: [] };
  if (Array.isArray(property.type) && property.type.every((t) => typeof t === 'string')) return { types: property.type, values: [] };
  const options = Array.isArray(property.anyOf) ? property.anyOf : Array.isArray(property.oneOf) ? property.oneOf : undefined;
  if (!options?.length) return undefined; // {}, a $ref, allOf, …: no type to check
  const all: Expected = { types: [], values: [] };
  for (const option of options) {
    const one = expected(option);
    if (!one) return undefined; // one option takes any value: so does the union
    all.types.push(...one.types);
    all.values.push(...one.values);
  }
  return all;
}

function matches(value: unknown, type: string): boolean {
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value);
  return jsonType(value) === type;
}

/** A problem of `value` against a schema property, or undefined when it fits (or any value does). */
function typeProblem(key: string, value: unknown, property: unknown, gives: string): string | undefined {
  const want = expected(property);
  if (!want) return undefined;
  if (want.types.some((t) => matches(value, t))) return undefined;
  if (want.values.some((v) => JSON.stringify(v) === JSON.stringify(value))) return undefined;
  const parts = [
    ...want.types.map((t) => an(t)),
    ...(want.values.length ? [`one of ${want.values.map((v) => JSON.stringify(v)).join(', ')}`] : []),
  ];
  const got = want.values.length && !want.types.length ? JSON.stringify(value)
    : typeof value === 'number' && want.types.includes('integer') ? `a number with a fraction (${value})`
      : an(jsonType(value));
  return `"${key}" must be ${parts.join(' or ')}; ${gives} ${got}`;
}

function unknownProblem(key: string, known: string[], of: string): EditProblem {
  const near = known.find((k) => similar(k, key));
  return { key, kind: 'unknown', message: `"${key}" is not a key of ${of}${near ? ` (did you mean "${near}"?)` : ''}; keys: ${known.join(', ') || '(none)'}` };
}

/**
 * The problems of `edits` (the keys changed) against `state` (the state they change) and the
 * graph's `schema` of the keys a state edit may set.
 */
export function checkEdits(state: JsonObject, edits: JsonObject, schema?: Schema | null): EditProblem[] {
  const properties = propertiesOf(schema);
  const known = [...new Set([...Object.keys(properties), ...Object.keys(state)])];
  const problems: EditProblem[] = [];
  for (const [key, value] of Object.entries(edits)) {
    if (key in properties) {
      const message = typeProblem(key, value, properties[key], 'the edit gives');
      if (message) problems.push({ key, kind: 'type', message });
      continue;
    }
    if (!(key in state)) {
      problems.push(unknownProblem(key, known, 'the state'));
      continue;
    }
    const want = jsonType(state[key]);
    const got = jsonType(value);
    if (want !== 'null' && got !== 'null' && want !== got) {
      problems.push({ key, kind: 'type', message: `"${key}" holds ${an(want)} now; the edit gives ${an(got)}` });
    }
  }
  return problems;
}

/** The problems of a run's `input` against the graph's input `schema` (none without one). */
export function checkInput(input: JsonObject, schema: Schema | null | undefined): EditProblem[] {
  if (!schema || !isRecord(schema.properties)) return [];
  const properties = schema.properties;
  const known = Object.keys(properties);
  const problems: EditProblem[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (!(key in properties)) {
      problems.push(unknownProblem(key, known, 'the input'));
      continue;
    }
    const message = typeProblem(key, value, properties[key], 'the input gives');
    if (message) problems.push({ key, kind: 'type', message });
  }
  const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : [];
  for (const key of required) {
    if (!(key in input)) problems.push({ key, kind: 'missing', message: `"${key}" is required in the input` });
  }
  return problems;
}

/** Same letters give or take one (a typo: `qeury` for `query`, `topk` for `top_k`). */
function similar(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  const sorted = (s: string) => [...s.toLowerCase().replace(/_/g, '')].sort().join('');
  if (sorted(a) === sorted(b)) return true;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}

/** The 0-based line of `"key":` in a JSON text (for a diagnostic), or 0. */
export function keyLine(text: string, key: string): number {
  const lines = text.split('\n');
  const needle = `${JSON.stringify(key)}`;
  const found = lines.findIndex((l) => l.includes(`${needle}:`) || l.includes(`${needle} :`));
  return Math.max(0, found);
}
