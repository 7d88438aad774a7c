// How records read in the UI: times, execution and checkpoint names, status icons, file counts.
// Pure functions (no `vscode`), shared by the tree, the quick picks and the status bar.

import type { CheckpointInfo, ExecutionInfo, ExecutionStatusName } from './protocol';
import { shortId } from './uris';

const pad = (n: number) => String(n).padStart(2, '0');

/** `HH:MM:SS` for a time today, `YYYY-MM-DD HH:MM` otherwise (local time). */
export function formatTime(date: Date, now: Date = new Date()): string {
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth()
    && date.getDate() === now.getDate();
  const hms = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  if (sameDay) return hms;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Executions carry Unix seconds. */
export function fromUnixSeconds(seconds: number | null | undefined): Date {
  return new Date((seconds ?? NaN) * 1000);
}

/** Checkpoints carry ISO strings (LangGraph's `ts`). */
export function fromIso(text: string | null | undefined): Date {
  return new Date(text ?? NaN);
}

export function executionLabel(e: ExecutionInfo): string {
  if (e.name) return e.name;
  const kind = e.parentId ? 'fork' : e.batchId ? 'variant' : 'run';
  return `${kind} ${shortId(e.id)}`;
}

/**
 * The state as views show it: without WTB's own `_output_files` (the files a step wrote are
 * entries of their own, in the tree and in comparisons). The workflow's keys are kept as they are.
 */
export function shownState(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => k !== '_output_files'));
}

/** An execution named for titles: its workflow and short id (`fixer 08932b50`). */
export function executionTitle(e: Pick<ExecutionInfo, 'workflow' | 'id'>): string {
  return `${e.workflow} ${shortId(e.id)}`;
}

/**
 * A checkpoint named for titles: `fixer 08932b50 @ step 6` (the short checkpoint id when the
 * step is not known, `head` for the execution's head).
 */
export function checkpointTitle(e: Pick<ExecutionInfo, 'workflow' | 'id'> | string, step: number | null | undefined, checkpointId?: string | null): string {
  const name = typeof e === 'string' ? shortId(e) : executionTitle(e);
  const at = step != null ? `step ${step}` : checkpointId ? shortId(checkpointId) : 'head';
  return `${name} @ ${at}`;
}

export function executionDescription(e: ExecutionInfo, now?: Date): string {
  const parts: string[] = [e.status, formatTime(fromUnixSeconds(e.createdAt), now)];
  if (e.status === 'paused' && e.nextNodes.length) parts.push(`next: ${e.nextNodes.join(', ')}`);
  if (e.status === 'failed' && e.error) parts.push(e.error.node ? `in ${e.error.node}` : e.error.type);
  return parts.filter(Boolean).join(' · ');
}

export function executionTooltip(e: ExecutionInfo, now?: Date): string {
  const lines = [
    `${executionLabel(e)} — ${e.workflow}`,
    `status: ${e.status}`,
    `id: ${e.id}`,
    `started: ${formatTime(fromUnixSeconds(e.createdAt), now)}`,
  ];
  if (e.finishedAt) lines.push(`finished: ${formatTime(fromUnixSeconds(e.finishedAt), now)}`);
  if (e.parentId) lines.push(`forked from ${shortId(e.parentId)}${e.parentCheckpointId ? ` at ${shortId(e.parentCheckpointId)}` : ''}`);
  if (e.batchId) lines.push(`batch: ${shortId(e.batchId)}`);
  if (e.nextNodes.length) lines.push(`next: ${e.nextNodes.join(', ')}`);
  if (e.error) lines.push(`error: ${e.error.type}: ${e.error.message}${e.error.node ? ` (node ${e.error.node})` : ''}`);
  return lines.join('\n');
}

export interface Icon {
  id: string;
  color?: string;
}

export function statusIcon(status: ExecutionStatusName): Icon {
  switch (status) {
    case 'running': return { id: 'sync~spin' };
    case 'pending': return { id: 'clock' };
    case 'paused': return { id: 'debug-pause', color: 'charts.yellow' };
    case 'completed': return { id: 'pass', color: 'testing.iconPassed' };
    case 'failed': return { id: 'error', color: 'testing.iconFailed' };
    case 'cancelled': return { id: 'circle-slash', color: 'disabledForeground' };
  }
}

/**
 * The node(s) that ran in the step that ended at this checkpoint. Only `loop` steps ran nodes;
 * `input`, `update` (a state edit, e.g. a fork's changes: LangGraph keys its writes by task, not
 * by node) and `fork` checkpoints are named by their source.
 */
export function checkpointNode(cp: CheckpointInfo): string {
  switch (cp.source) {
    case 'input': return 'input';
    case 'update': return 'state edit';
    case 'fork': return 'fork';
    default: {
      const nodes = Object.keys(cp.writes ?? {}).filter((k) => k !== '__start__');
      if (nodes.length) return nodes.join(', ');
      return cp.step <= 0 ? 'start' : cp.source || '?';
    }
  }
}

export function checkpointLabel(cp: CheckpointInfo): string {
  return `step ${cp.step} · ${checkpointNode(cp)}`;
}

/** `1 run`, `2 runs`, `0 runs`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function fileCount(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

export function checkpointDescription(cp: CheckpointInfo, isHead: boolean, now?: Date, changes?: string): string {
  const parts: string[] = [];
  if (isHead) parts.push('● head');
  parts.push(formatTime(fromIso(cp.createdAt), now));
  const changed = Object.keys(cp.outputFiles ?? {}).length;
  if (changed) parts.push(changes || fileCount(changed));
  const retried = Object.keys(cp.retries ?? {}).length;
  if (Object.keys(cp.errors ?? {}).length) parts.push('error handled');
  if (retried) parts.push('retried');
  if (cp.cached?.length) parts.push('cached');
  return parts.filter(Boolean).join(' · ');
}

export function checkpointTooltip(cp: CheckpointInfo, isHead: boolean): string {
  const lines = [
    `step ${cp.step} (${cp.source})${isHead ? ' — head' : ''}`,
    `node: ${checkpointNode(cp)}`,
    `checkpoint: ${cp.id}`,
    `time: ${cp.createdAt}`,
  ];
  if (cp.next.length) lines.push(`next: ${cp.next.join(', ')}`);
  for (const [node, error] of Object.entries(cp.errors ?? {})) lines.push(`${node} raised: ${error}`);
  for (const [node, attempts] of Object.entries(cp.retries ?? {})) {
    lines.push(`${node} retried after ${attempts.length} failed attempt${attempts.length === 1 ? '' : 's'}: ${attempts.join('; ')}`);
  }
  if (cp.cached?.length) lines.push(`from LangGraph's cache: ${cp.cached.join(', ')}`);
  if (cp.replayed?.length) lines.push(`replayed from a recording: ${cp.replayed.join(', ')}`);
  const files = Object.entries(cp.outputFiles ?? {});
  if (files.length) {
    lines.push('files changed:');
    for (const [p, h] of files.slice(0, 20)) lines.push(`  ${h == null ? '−' : '±'} ${p}`);
    if (files.length > 20) lines.push(`  … ${files.length - 20} more`);
  }
  return lines.join('\n');
}

/** What a rollback's confirm dialog says about the files it will change. */
export function rollbackSummary(
  writes: string[],
  deletes: string[],
  skipped: readonly { path: string; reason: string }[] = [],
): string {
  const total = writes.length + deletes.length;
  const left = skipped.length
    ? `\n\n${fileCount(skipped.length)} will be left as ${skipped.length === 1 ? 'it is' : 'they are'}:\n${skipped.slice(0, 6).map((s) => `  ${s.path}: ${s.reason}`).join('\n')}${skipped.length > 6 ? `\n  … and ${skipped.length - 6} more` : ''}`
    : '';
  if (total === 0) return `No workspace file will change.${left}`;
  const parts: string[] = [];
  if (writes.length) parts.push(`${writes.length} written`);
  if (deletes.length) parts.push(`${deletes.length} deleted`);
  const list = [...writes.map((p) => `  ${p}`), ...deletes.map((p) => `  ${p} (deleted)`)];
  const shown = list.slice(0, 12);
  if (list.length > shown.length) shown.push(`  … and ${list.length - shown.length} more`);
  return `${fileCount(total)} will change (${parts.join(', ')}):\n${shown.join('\n')}${left}`;
}
