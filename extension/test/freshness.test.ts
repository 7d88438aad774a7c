import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeLetter, changeSummary, fileChanges, staleReason } from '../src/freshness';
import { TreeModel } from '../src/treeModel';
import { makeCheckpoint, makeExecution, makeWorkflow, ragCheckpoints } from './fixtures';
import type { ExecutionInfo } from '../src/protocol';

test('a fork toast\'s Resume pressed after the fork completed explains instead of resuming', () => {
  const paused = makeExecution('f0rk0001', { parentId: 'p', status: 'paused', workflow: 'fixer' });
  assert.equal(staleReason('resume', paused), undefined);
  assert.equal(staleReason('resume', { ...paused, status: 'completed' }),
    'fixer fork f0rk0001 already completed: there is nothing to resume. Fork one of its checkpoints to run it again.');
  assert.match(staleReason('resume', { ...paused, status: 'running' }) ?? '', /already running/);
  assert.match(staleReason('resume', { ...paused, status: 'cancelled' }) ?? '', /is cancelled now: only a paused execution can be resumed/);
  assert.match(staleReason('editState', { ...paused, status: 'failed' }) ?? '', /is failed now/);
});

test('Undo pressed after the undo explains; cancel and answer too', () => {
  const e = makeExecution('abcdef12');
  assert.equal(staleReason('undoRollback', e, true), undefined);
  assert.equal(staleReason('undoRollback', e, false), 'rag run abcdef12 has no rollback to undo (already undone, or it ran again since).');
  assert.match(staleReason('undoRollback', { ...e, status: 'running' }, true) ?? '', /once it stops/);
  assert.equal(staleReason('cancel', { ...e, status: 'running' }), undefined);
  assert.equal(staleReason('cancel', e), 'rag run abcdef12 is not running (completed): there is nothing to cancel.');
  assert.equal(staleReason('answer', e), 'rag run abcdef12 waits on no question (completed).');
  assert.equal(staleReason('answer', { ...e, status: 'paused', interrupts: [{ id: 'q', value: '?', node: 'ask', namespace: '' }] }), undefined);
});

test('created, modified and deleted files told apart with the diff against the step before', () => {
  const out = { 'a.txt': 'h1', 'b.txt': 'h2', 'c.txt': null, 'd.txt': 'h4' };
  const diff = { added: { 'a.txt': 'h1' }, modified: { 'b.txt': ['h0', 'h2'] }, removed: { 'c.txt': 'h3' } };
  const kinds = fileChanges(out, diff);
  assert.deepEqual(kinds, { 'a.txt': 'created', 'b.txt': 'modified', 'c.txt': 'deleted', 'd.txt': 'changed' });
  assert.deepEqual(fileChanges({ 'x.md': 'h', 'y.md': null }, 'first'), { 'x.md': 'created', 'y.md': 'deleted' });
  assert.deepEqual(fileChanges({ 'x.md': 'h' }, undefined), { 'x.md': 'changed' });
  assert.equal(changeSummary(kinds), '1 created, 1 modified, 1 deleted, 1 changed');
  assert.deepEqual(['created', 'modified', 'deleted'].map((k) => changeLetter(k as 'created')), ['A', 'M', 'D']);
});

test('the tree labels each file of a step with how it changed, and the step with the counts', () => {
  const m = new TreeModel(50, () => new Date('2023-11-14T23:00:00Z'));
  m.setWorkflows([makeWorkflow('rag')]);
  m.setExecutions('rag', [makeExecution('aaaaaaaa01', { headCheckpointId: 'aaaaaaaa01-cp3' })], 0, 100);
  m.setCheckpoints('aaaaaaaa01', { checkpoints: ragCheckpoints('aaaaaaaa01'), nextBefore: null }, false);
  const step1 = m.node('checkpoint', 'aaaaaaaa01', 'aaaaaaaa01-cp1');
  assert.match(m.view(step1).description ?? '', /2 files/);
  assert.deepEqual(m.comparisonBase('aaaaaaaa01', 'aaaaaaaa01-cp1'), { executionId: 'aaaaaaaa01', checkpointId: 'aaaaaaaa01-cp0' });
  assert.equal(m.comparisonBase('aaaaaaaa01', 'aaaaaaaa01-cp-1'), 'first');
  m.setFileChanges('aaaaaaaa01-cp1', { 'index/vectors.json': 'created', 'index/manifest.txt': 'modified' });
  assert.match(m.view(step1).description ?? '', /1 created, 1 modified/);
  const [manifest, vectors] = m.children(step1);
  assert.equal(m.view(vectors!).description, 'created · index');
  assert.equal(m.view(vectors!).icon?.id, 'diff-added');
  assert.equal(m.view(manifest!).description, 'modified · index');
  assert.equal(m.view(manifest!).contextValue, 'wtbFile.modified');
  m.setCheckpoints('aaaaaaaa01', { checkpoints: [makeCheckpoint('aaaaaaaa01', 4, { outputFiles: { 'out/answer.md': null } })], nextBefore: null }, true);
  const gone = m.children(m.node('checkpoint', 'aaaaaaaa01', 'aaaaaaaa01-cp4'))[0]!;
  assert.equal(m.view(gone).description, 'deleted · out');
  assert.equal(m.view(gone).tooltip, 'out/answer.md (deleted at this step)');
});

test('Undo Rollback is offered only on an execution with a rollback to undo, until it runs again', () => {
  const m = new TreeModel();
  m.setWorkflows([makeWorkflow('rag')]);
  m.setExecutions('rag', [makeExecution('aaaaaaaa01'), makeExecution('bbbbbbbb02')], 0, 100);
  const ctx = (id: string) => m.view(m.node('execution', id)).contextValue;
  assert.equal(ctx('aaaaaaaa01'), 'wtbExecution.completed');
  m.setUndoable('aaaaaaaa01', true);
  assert.equal(ctx('aaaaaaaa01'), 'wtbExecution.completed.undoable');
  assert.equal(ctx('bbbbbbbb02'), 'wtbExecution.completed');
  m.clear(); // a reload: the daemon's records say what can be undone
  m.setExecutions('rag', [makeExecution('aaaaaaaa01', { rollbackUndoable: true })], 0, 100);
  assert.ok(m.isUndoable('aaaaaaaa01'));
  m.upsertExecution(makeExecution('aaaaaaaa01', { status: 'running' }));
  assert.ok(!m.isUndoable('aaaaaaaa01'));
  m.setUndoable('bbbbbbbb02', true);
  m.setUndoable('bbbbbbbb02', false);
  assert.deepEqual(m.undoableIds(), []);
});

test('the word of the daemon on a rollback wins: a rollback in another editor is offered, its undo withdrawn', () => {
  const m = new TreeModel();
  m.setWorkflows([makeWorkflow('rag')]);
  m.setExecutions('rag', [makeExecution('aaaaaaaa01')], 0, 100);
  m.upsertExecution(makeExecution('aaaaaaaa01', { rollbackUndoable: true })); // rolled back in another window
  assert.equal(m.view(m.node('execution', 'aaaaaaaa01')).contextValue, 'wtbExecution.completed.undoable');
  m.upsertExecution(makeExecution('aaaaaaaa01', { rollbackUndoable: false })); // and undone there
  assert.ok(!m.isUndoable('aaaaaaaa01'));
  const old = makeExecution('aaaaaaaa01') as Partial<ExecutionInfo>;
  delete old.rollbackUndoable; // an older daemon says nothing: what this editor knows stands
  m.setUndoable('aaaaaaaa01', true);
  m.upsertExecution(old as ExecutionInfo);
  assert.ok(m.isUndoable('aaaaaaaa01'));
});
