import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonObject, parseVariants, preview, validateJsonObject } from '../src/inputs';

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
