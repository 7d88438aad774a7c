// Pure helpers for pause points, state edits, golden checks and storage (no `vscode` import:
// unit-tested in plain Node).

import type { CheckResultInfo, JsonObject, StorageStatsResult } from './protocol';

/** Add `node` to the pause-before list, or take it out when it is there (order kept, sorted on add). */
export function togglePause(current: readonly string[], node: string): string[] {
  return current.includes(node) ? current.filter((n) => n !== node) : [...current, node].sort();
}

/** The tree's note for a workflow with pause points: `pauses before a, b` (empty when none). */
export function pauseNote(nodes: readonly string[]): string {
  return nodes.length ? `pauses before ${nodes.join(', ')}` : '';
}

/** The keys the user changed (added or edited) in the state document; removed keys are ignored. */
export function stateEdits(original: JsonObject, edited: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(edited)) {
    if (!(key in original) || JSON.stringify(original[key]) !== JSON.stringify(value)) out[key] = value;
  }
  return out;
}

/** The state as the user edits it: internal keys (`_output_files`, …) left out. */
export function editableState(values: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(values).filter(([k]) => !k.startsWith('_')));
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2) ?? String(value);
}

export interface CheckMessage {
  message: string;
  expected?: string;
  actual?: string;
}

/** A file's content on each side of a file divergence (`null`: the file is absent on that side). */
export interface FileSides {
  expected: string | null;
  actual: string | null;
}

/**
 * What a check result says in the Testing view: the report, and expected/actual for its diff.
 * A file divergence carries content hashes: its diff shows the files' contents (`files`, read
 * at the two checkpoints), else no hash pair but the daemon's unified diff in the message.
 */
export function checkMessage(result: CheckResultInfo, files?: FileSides): CheckMessage {
  if (result.passed) return { message: `Matches golden ${result.golden} (${result.checkpointsCompared} checkpoints compared).` };
  const d = result.divergence;
  const where = d ? `step ${d.step}${d.node ? ` (${d.node})` : ''}: ${d.kind} ${d.name}` : 'unknown step';
  const message = `Diverged from golden ${result.golden} at ${where}.\n\n${result.report}`.trim();
  if (!d) return { message };
  if (d.kind === 'file') {
    if (!files) return { message: d.diff ? `${message}\n\n${d.diff}` : message };
    return { message, expected: files.expected ?? '(no such file in the golden run)\n', actual: files.actual ?? '(no such file in this run)\n' };
  }
  return { message, expected: show(d.expected), actual: show(d.actual) };
}

/** A byte count for people: 512 B, 1.5 KB, 2.3 MB. */
export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The view's description: `1.2 MB stored · 3.4× dedup`. */
export function storageDescription(stats: StorageStatsResult): string {
  const ratio = stats.dedupRatio > 0 && Number.isFinite(stats.dedupRatio) ? ` · ${stats.dedupRatio.toFixed(1)}× dedup` : '';
  return `${bytes(stats.bytesStored)} stored${ratio}`;
}
