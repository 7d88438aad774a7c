// Batches' records kept per workspace (the record `wtb/batch` answers, without the variants'
// states; the last 20) and the summary table of a batch, for the `wtb:` batch document.

import type { Ctx } from './ctx';
import { executionLabel } from './format';
import { batchTable, slimSummary } from './runKinds';

const BATCHES_KEY = 'wtb.batchSummaries';

export async function rememberBatch(ctx: Ctx, batchId: string, summary: Record<string, unknown>): Promise<void> {
  const all = ctx.extension.workspaceState.get<Record<string, Record<string, unknown>>>(BATCHES_KEY, {});
  const kept = Object.entries({ ...all, [batchId]: slimSummary(summary) }).slice(-20);
  await ctx.extension.workspaceState.update(BATCHES_KEY, Object.fromEntries(kept));
}

/**
 * The batch's table as Markdown. Durations and the comparison are known for batches run in this
 * editor (the daemon has no request for a past batch's record): otherwise the variants' statuses.
 */
export function batchText(ctx: Ctx, batchId: string, workflow: string): string {
  const stored = ctx.extension.workspaceState.get<Record<string, Record<string, unknown>>>(BATCHES_KEY, {})[batchId];
  if (stored) return batchTable(batchId, workflow, stored);
  const variants = ctx.model.variants(batchId).map((v) => ({
    name: executionLabel(v), status: v.status, reason: v.error ? `${v.error.type}: ${v.error.message.split('\n')[0]}` : null,
  }));
  return `${batchTable(batchId, workflow, { variants })}\n_Times, the comparison and node timings are known for batches run in this editor._\n`;
}
