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
  assert.equal(encode(docs[0]!).path, '/0a77aabb@3/state.json');
  assert.equal(encode(docs[1]!).path, '/e1@head/state.json');
  assert.equal(encode(docs[2]!).path, '/e1@-1/out/answer file.md');
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
