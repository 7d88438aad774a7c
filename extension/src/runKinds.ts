// Runs that are not plain runs of a workflow (pure, tested): golden checks (the daemon marks
// them with `config.golden_check`, the golden's name) and batch variants (`batchId`), and how
// a batch sums up.

import type { CheckResultInfo, ExecutionInfo, ExecutionStatusName, GoldenInfo } from './protocol';

/** What a golden check found (kept per workspace for the checks run in this editor). */
export interface CheckOutcome {
  golden: string;
  passed: boolean;
  /** `step 3 (rag_generate): file out/answer.md` when it diverged. */
  where?: string;
}

type CheckFields = Pick<ExecutionInfo, 'config'>;

/** The golden a check execution checked (undefined: not a check). By the daemon's marker, not
 * by the `check:<golden>` name it also gives: a run of the user's may have any name. */
export function checkedGoldenName(e: CheckFields): string | undefined {
  const marker = e.config?.golden_check;
  return typeof marker === 'string' ? marker : undefined;
}

export function isCheck(e: CheckFields): boolean {
  return checkedGoldenName(e) !== undefined;
}

/** The golden a check execution ran against. */
export function checkedGolden(e: CheckFields, goldens: readonly GoldenInfo[]): GoldenInfo | undefined {
  const name = checkedGoldenName(e);
  return name === undefined ? undefined : goldens.find((g) => g.name === name);
}

export function checkOutcome(result: CheckResultInfo): CheckOutcome {
  const d = result.divergence;
  return {
    golden: result.golden,
    passed: result.passed,
    where: d ? `step ${d.step}${d.node ? ` (${d.node})` : ''}: ${d.kind} ${d.name}` : undefined,
  };
}

const ORDER: ExecutionStatusName[] = ['running', 'pending', 'paused', 'completed', 'failed', 'cancelled'];

/** `2 completed, 1 failed`: how a batch's variants stand, by status. */
export function batchSummary(variants: readonly Pick<ExecutionInfo, 'status'>[]): string {
  if (!variants.length) return 'no variants';
  const counts = new Map<string, number>();
  for (const v of variants) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
  return ORDER.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`).join(', ');
}

interface SummaryVariant {
  name?: string;
  execution_id?: string;
  status?: string;
  reason?: string | null;
  duration_s?: number | null;
  node_timings?: Record<string, number>;
}

interface SummaryComparison {
  variants?: string[];
  state?: Record<string, Record<string, unknown>>;
  same_state?: string[];
  files?: Record<string, Record<string, string | null>>;
  same_files?: string[];
}

/** A batch's record without the variants' full states (what is kept per workspace). */
export function slimSummary(summary: Record<string, unknown>): Record<string, unknown> {
  const variants = Array.isArray(summary.variants) ? (summary.variants as Record<string, unknown>[]).map((v) => {
    const { state: _state, spec: _spec, worker: _worker, ...rest } = v;
    return rest;
  }) : [];
  return { ...summary, variants };
}

const cell = (v: unknown, max = 40): string => {
  const text = (typeof v === 'string' ? v : JSON.stringify(v) ?? 'null').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/**
 * The batch's comparison as Markdown (the CLI's table): each variant's status, time and error;
 * the state keys and files whose values differ between the variants that finished (a file's
 * versions lettered A, B, … by content; `deleted`, `—` untouched); node timings side by side.
 */
export function batchTable(batchId: string, workflow: string, summary: Record<string, unknown>): string {
  const variants = (Array.isArray(summary.variants) ? summary.variants : []) as SummaryVariant[];
  const cmp = (summary.comparison ?? {}) as SummaryComparison;
  const lines = [`# Batch ${batchId.slice(0, 8)} of ${workflow}`, '', `${batchSummary(variants.map((v) => ({ status: (v.status ?? 'pending') as ExecutionStatusName })))}.`, ''];
  lines.push('| variant | status | time | error |', '|---|---|---|---|');
  for (const v of variants) lines.push(`| ${cell(v.name)} | ${v.status ?? ''} | ${v.duration_s != null ? `${v.duration_s.toFixed(2)} s` : ''} | ${v.reason ? cell(v.reason, 80) : ''} |`);
  const names = cmp.variants ?? [];
  if (names.length > 1) {
    lines.push('', '## State keys that differ', '');
    const keys = Object.keys(cmp.state ?? {});
    if (keys.length) {
      lines.push(`| key | ${names.map((n) => cell(n)).join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`);
      for (const key of keys) lines.push(`| ${cell(key)} | ${names.map((n) => cell(cmp.state![key]![n])).join(' | ')} |`);
    } else lines.push('None.');
    if (cmp.same_state?.length) lines.push('', `Same in every variant: ${cmp.same_state.join(', ')}.`);
    lines.push('', '## Files that differ', '');
    const paths = Object.keys(cmp.files ?? {});
    if (paths.length) {
      lines.push(`| file | ${names.map((n) => cell(n)).join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`);
      for (const path of paths) {
        const letters = new Map<string, string>();
        const label = (hash: string | null | undefined) => {
          if (hash === null) return 'deleted';
          if (hash === undefined) return '—';
          if (!letters.has(hash)) letters.set(hash, `version ${String.fromCharCode(65 + letters.size)}`);
          return letters.get(hash)!;
        };
        lines.push(`| ${cell(path)} | ${names.map((n) => label(cmp.files![path]![n])).join(' | ')} |`);
      }
    } else lines.push('None.');
  }
  const timed = variants.filter((v) => v.node_timings && Object.keys(v.node_timings).length);
  if (timed.length) {
    const nodes = [...new Set(timed.flatMap((v) => Object.keys(v.node_timings!)))];
    lines.push('', '## Node timings', '', `| node | ${timed.map((v) => cell(v.name)).join(' | ')} |`, `|---|${timed.map(() => '---').join('|')}|`);
    for (const node of nodes) lines.push(`| ${cell(node)} | ${timed.map((v) => (v.node_timings![node] != null ? `${(v.node_timings![node] * 1000).toFixed(1)} ms` : '—')).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
