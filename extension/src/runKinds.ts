// Runs that are not plain runs of a workflow (pure, tested): golden checks (the daemon names
// them `check:<golden>`) and batch variants (`batchId`), and how a batch sums up.

import type { CheckResultInfo, ExecutionInfo, ExecutionStatusName, GoldenInfo } from './protocol';

/** What a golden check found (kept per workspace for the checks run in this editor). */
export interface CheckOutcome {
  golden: string;
  passed: boolean;
  /** `step 3 (rag_generate): file out/answer.md` when it diverged. */
  where?: string;
}

const CHECK_PREFIX = 'check:';

export function isCheck(e: Pick<ExecutionInfo, 'name'>): boolean {
  return !!e.name?.startsWith(CHECK_PREFIX);
}

/** The golden a check execution ran against (by the name the daemon gives it). */
export function checkedGolden(e: Pick<ExecutionInfo, 'name'>, goldens: readonly GoldenInfo[]): GoldenInfo | undefined {
  if (!isCheck(e)) return undefined;
  const name = e.name!.slice(CHECK_PREFIX.length);
  return goldens.find((g) => g.name === name);
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
