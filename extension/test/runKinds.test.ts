import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSummary, batchTable, checkedGolden, checkOutcome, isCheck, slimSummary } from '../src/runKinds';
import { TreeModel } from '../src/treeModel';
import { makeExecution, makeWorkflow } from './fixtures';

const golden = { name: 'rag', executionId: 'gggggggg01', workflow: 'rag', createdAt: 1_700_000_000 };

test('a batch sums up by status, truthfully', () => {
  assert.equal(batchSummary([{ status: 'completed' }, { status: 'failed' }, { status: 'completed' }]), '2 completed, 1 failed');
  assert.equal(batchSummary([{ status: 'running' }, { status: 'completed' }]), '1 running, 1 completed');
  assert.equal(batchSummary([]), 'no variants');
});

test('golden checks are told by the daemon\'s marker, not their name, and linked to their golden', () => {
  const check = makeExecution('cccccccc01', { name: 'check:rag', config: { golden_check: 'rag' } });
  assert.ok(isCheck(check));
  assert.ok(!isCheck(makeExecution('x', { name: 'my run' })));
  assert.ok(!isCheck(makeExecution('z', { name: 'check:rag' })), 'a run the user named check:… is a run');
  assert.equal(checkedGolden(check, [golden]), golden);
  assert.equal(checkedGolden(makeExecution('y', { name: 'check:other', config: { golden_check: 'other' } }), [golden]), undefined);
  const base = { golden: 'rag', goldenExecutionId: 'g', executionId: 'c', checkpointsCompared: 4, differences: [], report: '' };
  assert.deepEqual(checkOutcome({ ...base, passed: true, divergence: null }), { golden: 'rag', passed: true, where: undefined });
  assert.deepEqual(checkOutcome({ ...base, passed: false, divergence: { step: 3, checkpointId: 'c3', node: 'gen', kind: 'file', name: 'out/a.md', expected: 'h1', actual: 'h2', diff: '' } }),
    { golden: 'rag', passed: false, where: 'step 3 (gen): file out/a.md' });
});

function model(): TreeModel {
  const m = new TreeModel(50, () => new Date('2023-11-14T23:00:00Z'));
  m.setWorkflows([makeWorkflow('rag', { runCount: 9 })]);
  m.setGoldens([golden]);
  m.setExecutions('rag', [
    makeExecution('gggggggg01', { createdAt: 1_700_000_000 }),
    makeExecution('cccccccc01', { name: 'check:rag', config: { golden_check: 'rag' }, createdAt: 1_700_000_100 }),
    makeExecution('cccccccc02', { name: 'check:rag', config: { golden_check: 'rag' }, createdAt: 1_700_000_200 }),
    makeExecution('vvvvvvvv01', { batchId: 'bbbbbbbb99', name: 'a', createdAt: 1_700_000_300 }),
    makeExecution('vvvvvvvv02', { batchId: 'bbbbbbbb99', name: 'b', createdAt: 1_700_000_301, status: 'failed' }),
    makeExecution('vvvvvvvv03', { batchId: 'bbbbbbbb99', name: 'c', createdAt: 1_700_000_302 }),
  ], 0, 100);
  return m;
}

test('the golden run is marked; checks nest under it with their own icon and are not counted as runs', () => {
  const m = model();
  const wf = m.node('workflow', 'rag');
  assert.equal(m.view(wf).description, '4 runs'); // the golden run and three variants; not the two checks
  const roots = m.children(wf);
  assert.deepEqual(roots.map((n) => n.type === 'batch' ? `batch ${n.batchId}` : m.view(n).label), ['batch bbbbbbbb99', 'run gggggggg']);
  const goldenRow = m.view(m.node('execution', 'gggggggg01'));
  assert.match(goldenRow.description ?? '', /^★ golden · completed/);
  assert.equal(goldenRow.icon?.id, 'star-full');
  assert.match(goldenRow.contextValue, /\.golden/);
  assert.match(goldenRow.tooltip ?? '', /golden run of rag/);
  const checks = m.children(m.node('execution', 'gggggggg01'));
  assert.deepEqual(checks.map((n) => m.view(n).label), ['check against golden rag', 'check against golden rag']);
  assert.equal(m.parent(checks[0]!), m.node('execution', 'gggggggg01'));
  m.setCheckOutcome('cccccccc02', { golden: 'rag', passed: false, where: 'step 3 (gen): file out/a.md' });
  m.setCheckOutcome('cccccccc01', { golden: 'rag', passed: true });
  const diverged = m.view(m.node('execution', 'cccccccc02'));
  assert.equal(diverged.icon?.id, 'beaker');
  assert.equal(diverged.icon?.color, 'testing.iconFailed');
  assert.match(diverged.description ?? '', /^diverged at step 3 \(gen\): file out\/a\.md · /);
  assert.equal(m.view(m.node('execution', 'cccccccc01')).icon?.color, 'testing.iconPassed');
  assert.match(diverged.contextValue, /\.check/);
});

test('a batch is a node grouping its variants, with a truthful summary', () => {
  const m = model();
  const batch = m.children(m.node('workflow', 'rag'))[0]!;
  const v = m.view(batch);
  assert.equal(v.label, 'batch bbbbbbbb');
  assert.match(v.description ?? '', /^2 completed, 1 failed · /);
  assert.equal(v.contextValue, 'wtbBatch');
  assert.equal(v.icon?.color, 'testing.iconFailed');
  const variants = m.children(batch);
  assert.deepEqual(variants.map((n) => m.view(n).label), ['a', 'b', 'c']);
  assert.equal(m.parent(variants[1]!), batch);
  assert.equal(m.parent(batch), m.node('workflow', 'rag'));
});

test('the batch summary table: variants, differing keys and files, node timings', () => {
  const summary = {
    variants: [
      { name: 'top1', status: 'completed', duration_s: 0.4123, node_timings: { retrieve: 0.0021, generate: 0.01 }, state: { big: 'x' } },
      { name: 'top2', status: 'completed', duration_s: 0.5, node_timings: { retrieve: 0.003 } },
      { name: 'bad_k', status: 'failed', reason: "TypeError in node 'rag_retrieve': slice indices | must be integers", duration_s: 0.1 },
    ],
    comparison: {
      variants: ['top1', 'top2'], state: { top_k: { top1: 1, top2: 2 }, retrieved: { top1: ['a'], top2: ['a', 'b'] } }, same_state: ['query'],
      files: { 'out/answer.md': { top1: 'h1', top2: 'h2' }, 'out/old.md': { top1: null, top2: 'h9' } }, same_files: [],
    },
  };
  const md = batchTable('0cad1796aaaa', 'rag', summary);
  assert.match(md, /^# Batch 0cad1796 of rag\n\n2 completed, 1 failed\.\n/);
  assert.match(md, /\| top1 \| completed \| 0\.41 s \| {2}\|/);
  assert.match(md, /\| bad_k \| failed \| 0\.10 s \| TypeError in node 'rag_retrieve': slice indices \\\| must be integers \|/);
  assert.match(md, /\| top_k \| 1 \| 2 \|/);
  assert.match(md, /\| retrieved \| \["a"\] \| \["a","b"\] \|/);
  assert.match(md, /Same in every variant: query\./);
  assert.match(md, /\| out\/answer\.md \| version A \| version B \|/);
  assert.match(md, /\| out\/old\.md \| deleted \| version A \|/);
  assert.match(md, /\| retrieve \| 2\.1 ms \| 3\.0 ms \|/);
  assert.match(md, /\| generate \| 10\.0 ms \| — \|/);
  const slim = slimSummary(summary);
  assert.equal((slim.variants as Record<string, unknown>[])[0]!.state, undefined);
  assert.equal((slim.variants as Record<string, unknown>[])[0]!.name, 'top1');
});
