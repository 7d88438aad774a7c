import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fmt from '../src/format';
import { statusText } from '../src/statusText';
import { describeError, firstLine, isCancellation, logLine } from '../src/errors';
import { makeCheckpoint, makeExecution } from './fixtures';

test('times: today as HH:MM:SS, other days with the date', () => {
  const now = new Date('2023-11-14T23:00:00Z');
  assert.equal(fmt.formatTime(new Date('2023-11-14T09:05:03Z'), now), '09:05:03');
  assert.equal(fmt.formatTime(new Date('2023-11-01T09:05:03Z'), now), '2023-11-01 09:05');
  assert.equal(fmt.formatTime(new Date(NaN), now), '');
});

test('execution names and descriptions', () => {
  assert.equal(fmt.executionLabel(makeExecution('abcdef123456')), 'run abcdef12');
  assert.equal(fmt.executionLabel(makeExecution('abcdef12', { parentId: 'p' })), 'fork abcdef12');
  assert.equal(fmt.executionLabel(makeExecution('abcdef12', { batchId: 'b' })), 'variant abcdef12');
  assert.equal(fmt.executionLabel(makeExecution('abcdef12', { name: 'A/B: top_k=1' })), 'A/B: top_k=1');
  const failed = makeExecution('x', { status: 'failed', error: { node: 'rag_generate', type: 'ValueError', message: 'boom', traceback: '' } });
  assert.match(fmt.executionDescription(failed, new Date('2023-11-14T23:00:00Z')), /^failed · 22:13:20 · in rag_generate$/);
  assert.match(fmt.executionTooltip(failed), /error: ValueError: boom \(node rag_generate\)/);
  assert.equal(fmt.statusIcon('completed').id, 'pass');
});

test('checkpoint node names', () => {
  assert.equal(fmt.checkpointNode(makeCheckpoint('e', -1, { writes: { __start__: {} } })), 'input');
  assert.equal(fmt.checkpointNode(makeCheckpoint('e', 0)), 'start');
  assert.equal(fmt.checkpointNode(makeCheckpoint('e', 4, { writes: { a: 1, b: 2 } })), 'a, b');
  assert.equal(fmt.checkpointNode(makeCheckpoint('e', 2, { source: 'fork' })), 'fork');
  assert.equal(fmt.checkpointNode(makeCheckpoint('e', 3, { source: 'update', writes: { '?': {}, '0000000000': { query: 'q' } } })), 'state edit');
});

test('the rollback confirmation says how many files change', () => {
  assert.equal(fmt.rollbackSummary([], []), 'No workspace file will change.');
  assert.equal(
    fmt.rollbackSummary(['a.txt'], [], [{ path: 'big.bin', reason: 'over the size limit' }]),
    '1 file will change (1 written):\n  a.txt\n\n1 file will be left as it is:\n  big.bin: over the size limit',
  );
  assert.equal(fmt.rollbackSummary(['a.txt'], ['out/answer.md']), '2 files will change (1 written, 1 deleted):\n  a.txt\n  out/answer.md (deleted)');
  const many = fmt.rollbackSummary(Array.from({ length: 20 }, (_, i) => `f${i}`), []);
  assert.match(many, /^20 files will change \(20 written\)/);
  assert.match(many, /… and 8 more$/);
});

test('status item text', () => {
  assert.equal(statusText({ state: 'running', python: '/py', runs: [] }).text, '$(beaker) WTB');
  const busy = statusText({ state: 'running', python: '/py', runs: [{ workflow: 'rag', label: 'run 1', message: 'step 2: rag_retrieve' }, { workflow: 'x', label: 'run 2', message: '' }] });
  assert.equal(busy.text, '$(sync~spin) WTB: rag — step 2: rag_retrieve (+1)');
  const failed = statusText({ state: 'failed', python: '/py', problem: 'no wtb', runs: [] });
  assert.equal(failed.error, true);
  assert.match(failed.tooltip, /no wtb/);
});

test('errors read as the daemon wrote them', () => {
  const rpc = { code: 1001, message: 'unknown execution "x"', data: { type: 'UnknownExecutionError' } };
  assert.equal(describeError(rpc), 'unknown execution "x"');
  assert.equal(logLine('wtb/getState', rpc), 'wtb/getState failed: [1001 not found UnknownExecutionError] unknown execution "x"');
  assert.equal(describeError(new Error('boom')), 'boom');
  assert.equal(isCancellation({ code: -32800, message: 'cancelled' }), true);
});

test('titles name the execution and the step; state views leave out _output_files only', () => {
  const e = makeExecution('08932b50aaaa', { workflow: 'fixer' });
  assert.equal(fmt.executionTitle(e), 'fixer 08932b50');
  assert.equal(fmt.checkpointTitle(e, 6), 'fixer 08932b50 @ step 6');
  assert.equal(fmt.checkpointTitle(e, null, '1f1e8f7a-2dc3-6344-bfff-7ee9620149f9'), 'fixer 08932b50 @ 620149f9');
  assert.equal(fmt.checkpointTitle(e, null, null), 'fixer 08932b50 @ head');
  assert.equal(fmt.checkpointTitle('08932b50aaaa', -1), '08932b50 @ step -1');
  assert.deepEqual(fmt.shownState({ _output_files: { 'a.md': 'h' }, answer: 'x', _mine: 1 }), { answer: 'x', _mine: 1 });
});

test('a workflow that fails to load is one line in a toast, pointing at Problems', () => {
  const load = { code: 1006, message: 'Importing workflow file broken.py failed with SyntaxError: invalid syntax (broken.py, line 6)\n  File "<frozen importlib._bootstrap>", line 241\n    def broken(:\n' };
  assert.equal(describeError(load), 'Importing workflow file broken.py failed with SyntaxError: invalid syntax (broken.py, line 6) (see Problems)');
  assert.equal(firstLine('  one\ntwo'), 'one');
});

test('counts read as words: 1 run, 2 runs', () => {
  assert.equal(fmt.plural(1, 'run'), '1 run');
  assert.equal(fmt.plural(2, 'run'), '2 runs');
  assert.equal(fmt.plural(0, 'variant'), '0 variants');
});

test('a checkpoint says what its step retried, handled and took from the cache', () => {
  const cp = makeCheckpoint('e1', 2, {
    errors: { fragile: 'ValueError: the parser choked' },
    retries: { flaky: ['ConnectionError: first attempt fails'] },
    cached: ['square'],
  });
  const tip = fmt.checkpointTooltip(cp, false);
  assert.match(tip, /fragile raised: ValueError: the parser choked/);
  assert.match(tip, /flaky retried after 1 failed attempt: ConnectionError: first attempt fails/);
  assert.match(tip, /from LangGraph's cache: square/);
  assert.match(fmt.checkpointDescription(cp, false), /error handled · retried · cached/);
  assert.doesNotMatch(fmt.checkpointDescription(makeCheckpoint('e1', 1), false), /retried|cached|error/);
});
