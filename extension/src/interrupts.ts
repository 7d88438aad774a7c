// Questions asked with LangGraph's `interrupt()` and state edits that need `asNode`: the pure
// parts (no `vscode`), unit-tested in Node. commands.ts asks the person; this decides what is
// sent.

import type { CheckpointInfo, InterruptInfo } from './protocol';
import { isRpcError } from './errors';

/** What the person typed: JSON when it parses (`42`, `true`, `{"a": 1}`, `"quoted"`), else the text as is. */
export function parseAnswer(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return text;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return text;
  }
}

/** `wtb/resume`'s `resumeValue`: one question → the answer itself; several → an object keyed by interrupt id. */
export function resumeValue(pending: readonly InterruptInfo[], answers: ReadonlyMap<string, unknown>): unknown {
  if (pending.length === 1) return answers.get(pending[0]!.id);
  const out: Record<string, unknown> = {};
  for (const q of pending) out[q.id] = answers.get(q.id);
  return out;
}

/** The pending questions in the order to ask them: the one the person clicked first. */
export function answerOrder(pending: readonly InterruptInfo[], first?: string): InterruptInfo[] {
  const chosen = pending.find((q) => q.id === first);
  return chosen ? [chosen, ...pending.filter((q) => q !== chosen)] : [...pending];
}

/** A question as one line: a string as is, anything else as compact JSON. */
export function questionText(value: unknown, max = 120): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text || '(no question text)';
}

/** The nodes an `AsNodeRequiredError` names (its `data.candidates`); undefined for any other error. */
export function asNodeCandidates(e: unknown): string[] | undefined {
  if (!isRpcError(e) || typeof e.data !== 'object' || e.data === null) return undefined;
  const data = e.data as { type?: unknown; candidates?: unknown };
  if (data.type !== 'AsNodeRequiredError') return undefined;
  return Array.isArray(data.candidates) ? data.candidates.filter((c): c is string => typeof c === 'string') : [];
}

// ------------------------------------------------------------------ subgraph nesting

/** `outer:<id>|inner:<id>` → the namespace it runs in (`outer:<id>`) and its node in there (`inner`). */
export function splitNamespace(namespace: string): { parent: string; node: string } {
  const segments = namespace.split('|');
  const last = segments.pop() ?? '';
  const colon = last.indexOf(':');
  return { parent: segments.join('|'), node: colon >= 0 ? last.slice(0, colon) : last };
}

/**
 * The checkpoint a subgraph step nests under: among the loaded checkpoints of the namespace it
 * runs in (the root graph for one level), the newest one older than it whose `next` lists the
 * subgraph's node — the parent step that scheduled the subgraph. Undefined for a root step, or
 * when that parent is not loaded (then it shows at the execution's level).
 */
export function nestingParent(cp: CheckpointInfo, loaded: readonly CheckpointInfo[]): CheckpointInfo | undefined {
  if (!cp.namespace) return undefined;
  const { parent, node } = splitNamespace(cp.namespace);
  let best: CheckpointInfo | undefined;
  for (const c of loaded) {
    if ((c.namespace ?? '') !== parent || c.createdAt >= cp.createdAt || !c.next.includes(node)) continue;
    if (!best || c.createdAt > best.createdAt) best = c;
  }
  return best;
}
