import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, shortId, stableJson, type WtbDocument } from '../src/uris';

test('wtb: URIs round-trip and read well', () => {
  const docs: WtbDocument[] = [
    { kind: 'state', executionId: '1f0a-77aa-bb', checkpointId: 'cp-1', step: 3 },
    { kind: 'state', executionId: 'e1', checkpointId: null, step: null },
    { kind: 'file', executionId: 'e1', checkpointId: 'c&2=', path: 'out/answer file.md', step: -1 },
    { kind: 'empty', path: 'index/vectors.json' },
  ];
  for (const d of docs) assert.deepEqual(decode(encode(d)), d);
  assert.equal(encode(docs[0]!).path, '/0a77aabb@3 · state.json');
  assert.equal(encode(docs[1]!).path, '/e1@head · state.json');
  assert.equal(encode(docs[2]!).path, '/out/e1@-1 · answer file.md');
});

test('a document opened alone names its execution and step in the tab (the extension stays last)', () => {
  const state: WtbDocument = { kind: 'state', executionId: '08932b50aa', checkpointId: 'c6', step: 6, title: 'fixer 08932b50 @ step 6' };
  assert.equal(encode(state).path, '/fixer 08932b50 @ step 6 · state.json');
  const file: WtbDocument = { kind: 'file', executionId: '08932b50aa', checkpointId: 'c6', path: 'out/report.md', step: 6, title: 'fixer 08932b50 @ step 6' };
  assert.equal(encode(file).path, '/out/fixer 08932b50 @ step 6 · report.md');
  assert.equal(encode({ ...file, title: 'a/b' }).path, '/out/a∕b · report.md');
  const { title: _title, ...ids } = file;
  assert.deepEqual(decode(encode(file)), ids);
});

test('both sides of a comparison share one path (no rename look); only the query tells them apart', () => {
  const shared = 'fixer 08932b50 @ step 5 ↔ step 6';
  const left = encode({ kind: 'state', executionId: 'e', checkpointId: 'c5', step: 5 }, { shared });
  const right = encode({ kind: 'state', executionId: 'e', checkpointId: 'c6', step: 6 }, { shared });
  assert.equal(left.path, right.path);
  assert.equal(left.path, '/fixer 08932b50 @ step 5 ↔ step 6/state.json');
  assert.notEqual(left.query, right.query);
  const a = encode({ kind: 'file', executionId: 'e', checkpointId: 'c5', path: 'out/answer.md', step: 5 }, { shared });
  const b = encode({ kind: 'file', executionId: 'f', checkpointId: 'c9', path: 'out/answer.md', step: 9 }, { shared });
  assert.equal(a.path, '/fixer 08932b50 @ step 5 ↔ step 6/out/answer.md');
  assert.equal(a.path, b.path);
});

test('bad wtb: URIs are errors, not crashes', () => {
  assert.ok(decode({ path: '/x', query: 'kind=state' }) instanceof Error);
  assert.ok(decode({ path: '/x', query: '' }) instanceof Error);
  assert.ok(decode({ path: '/x', query: 'kind=file&execution=e' }) instanceof Error);
});

test('stable JSON sorts keys at every level', () => {
  assert.equal(stableJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } }), '{\n  "a": {\n    "c": null,\n    "d": [\n      2,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
  assert.equal(shortId('1f1e8f7a-2dc3-6344-bfff-7ee9620149f9'), '620149f9');
  assert.equal(shortId('995b50d69bfe'), '995b50d6');
});

test('a batch\'s summary is a wtb: document of its own', () => {
  const doc: WtbDocument = { kind: 'batch', batchId: '8bde51b9aaaa', workflow: 'rag' };
  assert.equal(encode(doc).path, '/batch 8bde51b9 of rag.md');
  assert.deepEqual(decode(encode(doc)), doc);
  assert.ok(decode({ path: '/x', query: 'kind=batch' }) instanceof Error);
});
