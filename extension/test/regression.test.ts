import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as r from '../src/regression';
import type { CheckResultInfo } from '../src/protocol';

test('pause points toggle and show', () => {
  assert.deepEqual(r.togglePause([], 'b'), ['b']);
  assert.deepEqual(r.togglePause(['c'], 'a'), ['a', 'c']);
  assert.deepEqual(r.togglePause(['a', 'c'], 'a'), ['c']);
  assert.equal(r.pauseNote([]), '');
  assert.equal(r.pauseNote(['a', 'b']), 'pauses before a, b');
});

test('state edits: changed and added keys only; internal keys not editable', () => {
  assert.deepEqual(r.stateEdits({ a: 1, b: [1, 2], c: 'x' }, { a: 1, b: [1, 3], d: true }), { b: [1, 3], d: true });
  assert.deepEqual(r.stateEdits({ a: 1 }, { a: 1 }), {});
  assert.deepEqual(r.editableState({ a: 1, _output_files: {} }), { a: 1 });
});

const base: CheckResultInfo = {
  golden: 'rag', goldenExecutionId: 'g', executionId: 'n', passed: true, checkpointsCompared: 4,
  divergence: null, differences: [], report: 'PASSED',
};

test('check messages: passed, and diverged with expected/actual', () => {
  assert.deepEqual(r.checkMessage(base), { message: 'Matches golden rag (4 checkpoints compared).' });
  const failed = r.checkMessage({
    ...base, passed: false, report: 'FAILED at step 2',
    divergence: { step: 2, checkpointId: 'c', node: 'b', kind: 'key', name: 'out', expected: 4, actual: { v: 6 }, diff: '' },
  });
  assert.match(failed.message, /^Diverged from golden rag at step 2 \(b\): key out\.\n\nFAILED at step 2$/);
  assert.equal(failed.expected, '4');
  assert.equal(failed.actual, '{\n  "v": 6\n}');
  assert.equal(r.checkMessage({ ...base, passed: false }).expected, undefined);
});

test('a diverging file shows its contents on both sides, never the content hashes', () => {
  const sha = (c: string) => c.repeat(64);
  const diverged: CheckResultInfo = {
    ...base, passed: false, report: 'FAILED',
    divergence: { step: 3, checkpointId: 'c3', node: 'rag_generate', kind: 'file', name: 'out/answer.md', expected: sha('a'), actual: sha('b'), diff: '--- golden/out/answer.md\n+++ now/out/answer.md\n-old\n+new' },
  };
  const withFiles = r.checkMessage(diverged, { expected: '# old\n', actual: '# new\n' });
  assert.equal(withFiles.expected, '# old\n');
  assert.equal(withFiles.actual, '# new\n');
  const created = r.checkMessage(diverged, { expected: null, actual: '# new\n' });
  assert.equal(created.expected, '(no such file in the golden run)\n');
  // Without the contents: no hash pair to diff, the daemon's unified diff in the message instead.
  const unread = r.checkMessage(diverged);
  assert.equal(unread.expected, undefined);
  assert.match(unread.message, /-old\n\+new$/);
  for (const m of [withFiles, created, unread]) assert.doesNotMatch(`${m.message}${m.expected}${m.actual}`, /aaaaaaaa|bbbbbbbb/);
});

test('storage description', () => {
  assert.equal(r.bytes(512), '512 B');
  assert.equal(r.bytes(1536), '1.5 KB');
  assert.equal(r.bytes(20 * 1024 * 1024), '20 MB');
  assert.equal(r.storageDescription({ blobs: 1, bytesStored: 2048, bytesReferenced: 6144, snapshots: 2, dedupRatio: 3, perProject: {}, state: {} }), '2.0 KB stored · 3.0× dedup');
  assert.equal(r.storageDescription({ blobs: 0, bytesStored: 0, bytesReferenced: 0, snapshots: 0, dedupRatio: 0, perProject: {}, state: {} }), '0 B stored');
});
