import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFileOptions, isInputLike, parseJsonObject, parseVariants, preview, validateJsonObject } from '../src/inputs';

test('JSON objects: empty is none, arrays and junk are refused with a message', () => {
  assert.deepEqual(parseJsonObject('  '), { ok: true, value: null });
  assert.deepEqual(parseJsonObject('{"query": "q"}'), { ok: true, value: { query: 'q' } });
  assert.equal(validateJsonObject('[1]'), 'Expected a JSON object, like {"query": "…"}');
  assert.match(validateJsonObject('{query}') ?? '', /^Not valid JSON/);
  assert.equal(validateJsonObject('{}'), undefined);
});

test('batch variants: records, a batch file, or plain states', () => {
  assert.deepEqual(parseVariants('[{"name": "a", "initialState": {"top_k": 1}}]'),
    { ok: true, value: [{ name: 'a', initialState: { top_k: 1 } }] });
  assert.deepEqual(parseVariants('{"variants": [{"config": {}}]}'), { ok: true, value: [{ config: {} }] });
  assert.deepEqual(parseVariants('[{"query": "x"}, {"query": "y"}]'),
    { ok: true, value: [{ name: 'v1', initialState: { query: 'x' } }, { name: 'v2', initialState: { query: 'y' } }] });
  assert.equal(parseVariants('[]').ok, false);
  assert.equal(parseVariants('[1]').ok, false);
  assert.equal(parseVariants('[{"name": "a", "config": 3}]').ok, false);
  assert.equal(parseVariants('[{"nodeOverrides": {"rag_generate": 1}}]').ok, false);
  assert.deepEqual(parseVariants('[{"stateUpdates": {"top_k": 3}, "nodeOverrides": {"rag_generate": "alt.py:gen"}}]'),
    { ok: true, value: [{ stateUpdates: { top_k: 3 }, nodeOverrides: { rag_generate: 'alt.py:gen' } }] });
});

test('preview shortens', () => {
  assert.equal(preview({ a: 'x'.repeat(100) }, 10), '{"a":"xxx…');
});

test('a batch file may carry the batch\'s own backend and parallelism', () => {
  assert.deepEqual(batchFileOptions('{"backend": "local", "maxParallel": 2, "variants": [{}]}'), { backend: 'local', maxParallel: 2 });
  assert.deepEqual(batchFileOptions('{"backend": "slurm", "maxParallel": 0, "variants": [{}]}'), {});
  assert.deepEqual(batchFileOptions('[{"name": "a"}]'), {});
  assert.deepEqual(batchFileOptions('not json'), {});
});

test('input pickers offer input-like JSON files only', () => {
  const written = new Set(['out/report.json']);
  assert.ok(isInputLike('inputs.json', '{"query": "q"}', written));
  assert.ok(!isInputLike('out/report.json', '{"score": 1}', written), 'a file a run wrote is an output');
  assert.ok(!isInputLike('list.json', '[1, 2]', written), 'not a JSON object');
  assert.ok(!isInputLike('broken.json', '{', written));
  assert.ok(!isInputLike('experiments.batch.json', '{"variants": [{}]}', written), 'batch files go to Run Batch');
});
