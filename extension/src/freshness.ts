// Whether an action offered earlier (a toast's button, a tree row's menu read before the tree
// refreshed) still fits the execution as it is now, and the one line that explains it when it
// does not. Pure: the commands read the execution again, then ask here before acting.

import type { ExecutionInfo } from './protocol';
import { executionLabel } from './format';

export type LateAction = 'resume' | 'answer' | 'cancel' | 'undoRollback' | 'editState';

const RUNNING = new Set(['running', 'pending']);

/**
 * Undefined when `action` fits `e` now; else why not, as a sentence (`undoable`: whether an
 * undo of a rollback is still open for it).
 */
export function staleReason(action: LateAction, e: ExecutionInfo, undoable = false): string | undefined {
  const name = `${e.workflow} ${executionLabel(e)}`;
  const now = RUNNING.has(e.status) ? 'is running now' : `is ${e.status} now`;
  switch (action) {
    case 'resume':
    case 'editState':
      if (e.status === 'paused') return undefined;
      if (RUNNING.has(e.status)) return `${name} is already running: there is nothing to resume.`;
      if (e.status === 'completed') return `${name} already completed: there is nothing to resume. Fork one of its checkpoints to run it again.`;
      return `${name} ${now}: only a paused execution can be resumed.`;
    case 'answer':
      if (e.status === 'paused' && (e.interrupts ?? []).length) return undefined;
      return `${name} waits on no question (${e.status}).`;
    case 'cancel':
      if (RUNNING.has(e.status)) return undefined;
      return `${name} is not running (${e.status}): there is nothing to cancel.`;
    case 'undoRollback':
      if (RUNNING.has(e.status)) return `${name} is running: its rollback can be undone once it stops.`;
      if (undoable) return undefined;
      return `${name} has no rollback to undo (already undone, or it ran again since).`;
  }
}

/** How a file changed at a step. */
export type FileChange = 'created' | 'modified' | 'deleted' | 'changed';

/**
 * The kind of each path a step wrote (`outputFiles`: path → hash, null when deleted), told
 * apart with the diff against the previous checkpoint (`wtb/diff`'s `files`). Without that
 * diff a written path is only `changed`; a step with no previous checkpoint created its files.
 */
export function fileChanges(
  outputFiles: Record<string, string | null>,
  diff: { added: Record<string, unknown>; modified: Record<string, unknown>; removed: Record<string, unknown> } | 'first' | undefined,
): Record<string, FileChange> {
  const out: Record<string, FileChange> = {};
  for (const [path, hash] of Object.entries(outputFiles)) {
    if (hash === null) out[path] = 'deleted';
    else if (diff === 'first') out[path] = 'created';
    else if (diff && path in diff.added) out[path] = 'created';
    else if (diff && path in diff.modified) out[path] = 'modified';
    else out[path] = 'changed';
  }
  return out;
}

/** `1 created, 2 modified, 1 deleted` (counts of what is known), else `N files`. */
export function changeSummary(changes: Record<string, FileChange>): string {
  const counts = new Map<FileChange, number>();
  for (const kind of Object.values(changes)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const parts = (['created', 'modified', 'deleted', 'changed'] as const)
    .filter((k) => counts.get(k))
    .map((k) => (k === 'changed' ? `${counts.get(k)} changed` : `${counts.get(k)} ${k}`));
  return parts.join(', ');
}

/** The mark a file row carries (letters as in VS Code's SCM views). */
export function changeLetter(kind: FileChange): string {
  return kind === 'created' ? 'A' : kind === 'modified' ? 'M' : kind === 'deleted' ? 'D' : '±';
}
