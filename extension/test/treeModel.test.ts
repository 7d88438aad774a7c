import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TreeModel, type TreeNode } from '../src/treeModel';
import { makeCheckpoint, makeExecution, makeWorkflow, ragCheckpoints } from './fixtures';

const labels = (m: TreeModel, nodes: TreeNode[]) => nodes.map((n) => m.view(n).label);

function loaded(): TreeModel {
  const m = new TreeModel(50, () => new Date('2023-11-14T23:00:00Z'));
  m.setWorkflows([makeWorkflow('reviser'), makeWorkflow('rag')]);
  m.setExecutions('rag', [
    makeExecution('bbbbbbbb02', { createdAt: 1_700_000_100, status: 'running' }),
    makeExecution('aaaaaaaa01', { headCheckpointId: 'aaaaaaaa01-cp3' }),
    makeExecution('cccccccc03', { createdAt: 1_700_000_200, status: 'paused', parentId: 'aaaaaaaa01', parentCheckpointId: 'aaaaaaaa01-cp2', nextNodes: ['rag_generate'] }),
  ], 0, 100);
  return m;
}

test('workflows are the roots, sorted by name, expanded', () => {
  const m = loaded();
  assert.deepEqual(labels(m, m.roots()), ['rag', 'reviser']);
  const v = m.view(m.roots()[0]!);
  assert.equal(v.contextValue, 'wtbWorkflow');
  assert.equal(v.collapsible, 'expanded');
  assert.equal(v.description, '3 runs');
});

test('root executions newest first; forks are not roots', () => {
  const m = loaded();
  const execs = m.children(m.node('workflow', 'rag'));
  assert.deepEqual(labels(m, execs), ['run bbbbbbbb', 'run aaaaaaaa']);
  const running = m.view(execs[0]!);
  assert.equal(running.contextValue, 'wtbExecution.running');
  assert.equal(running.icon?.id, 'sync~spin');
  assert.match(running.description ?? '', /^running · 22:15:00$/);
});

test('checkpoints newest first, head marked, files and forks nested under their checkpoint', () => {
  const m = loaded();
  const exec = m.node('execution', 'aaaaaaaa01');
  // Before its checkpoints load, the fork hangs under the execution.
  assert.deepEqual(labels(m, m.children(exec)), ['fork cccccccc']);
  m.setCheckpoints('aaaaaaaa01', { checkpoints: ragCheckpoints('aaaaaaaa01'), nextBefore: null }, false);
  const cps = m.children(exec);
  assert.deepEqual(labels(m, cps), ['step 3 · rag_generate', 'step 2 · rag_retrieve', 'step 1 · rag_embed_docs', 'step 0 · start', 'step -1 · input']);
  const head = m.view(cps[0]!);
  assert.equal(head.contextValue, 'wtbCheckpoint.head');
  assert.match(head.description ?? '', /^● head · 22:13:23 · 1 file$/);
  assert.equal(m.view(cps[1]!).contextValue, 'wtbCheckpoint');
  // step 2 holds the fork; step 1 the files it wrote, sorted.
  assert.deepEqual(labels(m, m.children(cps[1]!)), ['fork cccccccc']);
  assert.equal(m.view(cps[1]!).collapsible, 'collapsed');
  const files = m.children(cps[2]!);
  assert.deepEqual(labels(m, files), ['manifest.txt', 'vectors.json']);
  const f = m.view(files[0]!);
  assert.equal(f.description, 'index');
  assert.equal(f.resourcePath, 'index/manifest.txt');
  assert.equal(f.command?.command, 'wtb.openFileAtCheckpoint');
  assert.equal(m.view(cps[3]!).collapsible, 'none');
  // parents lead back up
  assert.equal(m.parent(m.node('execution', 'cccccccc03')), cps[1]);
  assert.equal(m.parent(files[0]!), cps[2]);
  assert.equal(m.parent(exec), m.node('workflow', 'rag'));
});

test('nodes are interned: the same object for the same thing', () => {
  const m = loaded();
  assert.equal(m.node('execution', 'aaaaaaaa01'), m.node('execution', 'aaaaaaaa01'));
  assert.equal(m.node('file', 'e', 'c', 'a/b'), m.node('file', 'e', 'c', 'a/b'));
});

test('paging: load more appends older checkpoints', () => {
  const m = loaded();
  const all = ragCheckpoints('aaaaaaaa01');
  m.setCheckpoints('aaaaaaaa01', { checkpoints: all.slice(0, 2), nextBefore: all[1]!.id }, false);
  const first = m.children(m.node('execution', 'aaaaaaaa01'));
  assert.equal(m.view(first.at(-1)!).label, 'Load more…');
  assert.equal(first.at(-1)!.type, 'loadMore');
  assert.equal(m.nextBefore('aaaaaaaa01'), all[1]!.id);
  m.setCheckpoints('aaaaaaaa01', { checkpoints: all.slice(2), nextBefore: null }, true);
  const after = m.children(m.node('execution', 'aaaaaaaa01'));
  assert.equal(after.filter((n) => n.type === 'checkpoint').length, 5);
  assert.ok(!after.some((n) => n.type === 'loadMore'));
});

test('executions: a full page offers more', () => {
  const m = new TreeModel();
  m.setWorkflows([makeWorkflow('rag')]);
  m.setExecutions('rag', [makeExecution('a'), makeExecution('b')], 0, 2);
  assert.equal(m.children(m.node('workflow', 'rag')).at(-1)!.type, 'moreExecutions');
  m.setExecutions('rag', [makeExecution('c')], 2, 2);
  assert.equal(m.children(m.node('workflow', 'rag')).length, 3);
});

test('notifications: a new execution, a new checkpoint, a head move', () => {
  const m = loaded();
  assert.equal(m.upsertExecution(makeExecution('dddddddd04', { createdAt: 1_700_000_300, status: 'pending' })), true);
  assert.equal(m.children(m.node('workflow', 'rag'))[0], m.node('execution', 'dddddddd04'));
  // checkpoints of an execution whose page is not loaded are left for the expand
  assert.equal(m.addCheckpoint('dddddddd04', makeCheckpoint('dddddddd04', -1)), true);
  assert.equal(m.hasCheckpoints('dddddddd04'), false);
  m.setCheckpoints('dddddddd04', { checkpoints: [makeCheckpoint('dddddddd04', -1)], nextBefore: null }, false);
  assert.equal(m.addCheckpoint('dddddddd04', makeCheckpoint('dddddddd04', 0)), true);
  assert.equal(m.addCheckpoint('dddddddd04', makeCheckpoint('dddddddd04', 0)), false, 'duplicates are ignored');
  assert.deepEqual(m.checkpoints('dddddddd04').map((c) => c.step), [0, -1]);
  // the same record again changes nothing
  assert.equal(m.upsertExecution(m.execution('dddddddd04')!), false);
  // rollback: the head moves to step -1; the mark follows
  m.upsertExecution({ ...m.execution('dddddddd04')!, headCheckpointId: 'dddddddd04-cp-1', status: 'completed' });
  const [c0, cm1] = m.children(m.node('execution', 'dddddddd04'));
  assert.equal(m.view(c0!).contextValue, 'wtbCheckpoint');
  assert.equal(m.view(cm1!).contextValue, 'wtbCheckpoint.head');
});

test('previous checkpoint: LangGraph parent, else the parent execution for a fork', () => {
  const m = loaded();
  m.setCheckpoints('aaaaaaaa01', { checkpoints: ragCheckpoints('aaaaaaaa01'), nextBefore: null }, false);
  assert.deepEqual(m.previous('aaaaaaaa01', 'aaaaaaaa01-cp3'), { executionId: 'aaaaaaaa01', checkpointId: 'aaaaaaaa01-cp2' });
  assert.equal(m.previous('aaaaaaaa01', 'aaaaaaaa01-cp-1'), undefined);
  m.setCheckpoints('cccccccc03', { checkpoints: [makeCheckpoint('cccccccc03', 2, { parentId: null, source: 'fork' })], nextBefore: null }, false);
  assert.deepEqual(m.previous('cccccccc03', 'cccccccc03-cp2'), { executionId: 'aaaaaaaa01', checkpointId: 'aaaaaaaa01-cp2' });
});

test('a fork whose parent is unknown is a root of its workflow', () => {
  const m = new TreeModel();
  m.setWorkflows([makeWorkflow('rag')]);
  m.setExecutions('rag', [makeExecution('f', { parentId: 'gone' })], 0, 100);
  assert.deepEqual(m.children(m.node('workflow', 'rag')).map((n) => n.id), [m.node('execution', 'f').id]);
  assert.equal(m.view(m.node('execution', 'f')).contextValue, 'wtbExecution.completed.fork');
});

test('clear forgets everything loaded', () => {
  const m = loaded();
  m.clear();
  assert.equal(m.hasWorkflows(), false);
  assert.deepEqual(m.roots(), []);
});
