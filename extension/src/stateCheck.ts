// Checks of a state edit before anything runs (pure, tested): a key the state does not have
// (a typo: LangGraph would refuse it, or a reducer would never see it) and a value whose JSON
// type differs from the value the key holds now. The daemon does not describe the graph's state
// schema, so the state at the checkpoint stands for it: its keys and the types of their values.

import type { JsonObject } from './protocol';

export interface EditProblem {
  key: string;
  kind: 'unknown' | 'type';
  message: string;
}

/** `string`, `number`, `boolean`, `null`, `array` or `object`. */
export function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

const an = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** The problems of `edits` (the keys changed) against `state` (the state they change). */
export function checkEdits(state: JsonObject, edits: JsonObject): EditProblem[] {
  const problems: EditProblem[] = [];
  const known = Object.keys(state);
  for (const [key, value] of Object.entries(edits)) {
    if (!(key in state)) {
      const near = known.find((k) => similar(k, key));
      problems.push({ key, kind: 'unknown', message: `"${key}" is not a key of the state${near ? ` (did you mean "${near}"?)` : ''}; keys: ${known.join(', ') || '(none)'}` });
      continue;
    }
    const want = jsonType(state[key]);
    const got = jsonType(value);
    if (want !== 'null' && got !== 'null' && want !== got && !(want === 'number' && got === 'number')) {
      problems.push({ key, kind: 'type', message: `"${key}" holds ${an(want)} now; the edit gives ${an(got)}` });
    }
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
