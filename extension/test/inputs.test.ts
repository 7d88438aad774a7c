import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchFileOptions, fitsInput, isInputLike, parseJsonInput, parseJsonObject, parseVariants, preview, takesObject, validateJsonInput, validateJsonObject,
} from '../src/inputs';

// LangGraph's input schema of a StateGraph, as `wtb/getGraph` gives it; an @entrypoint has none.
const STATE_SCHEMA = { type: 'object', title: 'State', properties: { query: { type: 'string' } } };

test('JSON objects: empty is none, arrays and junk are refused with a message', () => {
  assert.deepEqual(parseJsonObject('  '), { ok: true, value: null });
  assert.deepEqual(parseJsonObject('{"query": "q"}'), { ok: true, value: { query: 'q' } });
  assert.equal(validateJsonObject('[1]'), 'Expected a JSON object, like {"query": "…"}');
  assert.match(validateJsonObject('{query}') ?? '', /^Not valid JSON/);
  assert.equal(validateJsonObject('{}'), undefined);
});

test('a workflow takes an object when its input schema is an object\'s', () => {
  assert.ok(takesObject(STATE_SCHEMA));
  assert.ok(takesObject({ properties: {} }), 'properties alone describe an object');
  assert.ok(takesObject({ type: 'object' }));
  assert.ok(!takesObject(null), 'no schema: an entrypoint, or a graph that does not load');
  assert.ok(!takesObject(undefined));
  assert.ok(!takesObject({ type: 'integer' }));
});

test('run inputs: any JSON value without an object input schema (an @entrypoint), empty is none', () => {
  assert.deepEqual(parseJsonInput('3', null), { ok: true, value: 3 });
  assert.deepEqual(parseJsonInput('"hello"', null), { ok: true, value: 'hello' });
  assert.deepEqual(parseJsonInput('[1, 2]', undefined), { ok: true, value: [1, 2] });
  assert.deepEqual(parseJsonInput('false', { type: 'boolean' }), { ok: true, value: false });
  assert.deepEqual(parseJsonInput('{"query": "q"}', null), { ok: true, value: { query: 'q' } });
  assert.deepEqual(parseJsonInput('null', null), { ok: true, value: null });
  assert.deepEqual(parseJsonInput('  ', null), { ok: true, value: null });
  assert.equal(validateJsonInput('42', null), undefined);
  assert.match(validateJsonInput('{query}', null) ?? '', /^Not valid JSON/);
});

test('run inputs: an object schema (a StateGraph) takes objects only, with the same messages as before', () => {
  assert.deepEqual(parseJsonInput('{"query": "q"}', STATE_SCHEMA), { ok: true, value: { query: 'q' } });
  assert.deepEqual(parseJsonInput('', STATE_SCHEMA), { ok: true, value: null });
  assert.deepEqual(parseJsonInput('3', STATE_SCHEMA), { ok: false, message: 'Expected a JSON object, like {"query": "…"}' });
  assert.equal(validateJsonInput('[1]', STATE_SCHEMA), validateJsonObject('[1]'));
  assert.equal(validateJsonInput('null', STATE_SCHEMA), 'Expected a JSON object, like {"query": "…"}');
  assert.match(validateJsonInput('{query}', STATE_SCHEMA) ?? '', /^Not valid JSON/);
  assert.equal(validateJsonInput('{}', STATE_SCHEMA), undefined);
});

test('the last input is offered again only where it still fits the input schema', () => {
  assert.ok(fitsInput(3, null));
  assert.ok(fitsInput([1], { type: 'array' }));
  assert.ok(fitsInput({ query: 'q' }, STATE_SCHEMA));
  assert.ok(fitsInput(null, STATE_SCHEMA), 'no input fits any workflow');
  assert.ok(!fitsInput(3, STATE_SCHEMA), 'a plain value is no state');
  assert.ok(!fitsInput(['q'], STATE_SCHEMA));
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

test('input pickers offer files of plain JSON values for a workflow whose input is not an object', () => {
  const written = new Set(['out/numbers.json']);
  assert.ok(isInputLike('number.json', '3', written, true));
  assert.ok(isInputLike('text.json', '"hello"', written, true));
  assert.ok(isInputLike('list.json', '[1, 2]', written, true));
  assert.ok(isInputLike('inputs.json', '{"query": "q"}', written, true), 'an object is still a value');
  assert.ok(!isInputLike('number.json', '3', written), 'objects only by default');
  assert.ok(!isInputLike('out/numbers.json', '[1, 2]', written, true), 'a file a run wrote is an output');
  assert.ok(!isInputLike('experiments.batch.json', '{"variants": [{}]}', written, true), 'batch files go to Run Batch');
  assert.ok(!isInputLike('broken.json', '[1,', written, true));
  assert.ok(!isInputLike('empty.json', '', written, true), 'an empty file holds no JSON value');
});
