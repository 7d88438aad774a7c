import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEdits, checkInput, jsonType, keyLine } from '../src/stateCheck';

const state = { query: 'How much?', top_k: 2, retrieved: ['a.txt'], answer: null, flags: { fast: true } };

test('unknown keys and wrong types are flagged before anything runs', () => {
  assert.deepEqual(checkEdits(state, { query: 'What is Ray?', top_k: 3 }), []);
  const problems = checkEdits(state, { qeury: 'x', top_k: 'two', retrieved: 'a.txt', answer: 'now set', flags: [] });
  assert.deepEqual(problems.map((p) => [p.key, p.kind]), [['qeury', 'unknown'], ['top_k', 'type'], ['retrieved', 'type'], ['flags', 'type']]);
  assert.match(problems[0]!.message, /^"qeury" is not a key of the state \(did you mean "query"\?\); keys: query, top_k, retrieved, answer, flags$/);
  assert.equal(problems[1]!.message, '"top_k" holds a number now; the edit gives a string');
  assert.equal(problems[2]!.message, '"retrieved" holds an array now; the edit gives a string');
  assert.deepEqual(checkEdits(state, { topk: 1 })[0]!.message.includes('did you mean "top_k"'), true);
  assert.deepEqual(checkEdits(state, { answer: null, query: null }), [], 'null clears a value: no type to compare');
});

test('JSON types and the line of a key', () => {
  assert.deepEqual([null, [], {}, 'a', 1, true].map(jsonType), ['null', 'array', 'object', 'string', 'number', 'boolean']);
  assert.equal(keyLine('{\n  "query": 5,\n  "qeury": "x"\n}', 'qeury'), 2);
  assert.equal(keyLine('{}', 'x'), 0);
});

// The schemas `wtb/getGraph` gives (LangGraph's JSON Schema, or WTB's fallback from type hints).
const reviser = {
  type: 'object',
  properties: {
    topic: { type: 'string' }, checklist: { type: 'array' }, missing: { type: 'array' }, rounds: { type: 'integer' },
    max_rounds: { type: 'integer' }, approved: { type: 'boolean' }, score: { type: 'number' },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null }, mode: { enum: ['fast', 'slow'] },
    messages: { type: 'array', items: { $ref: '#/$defs/Message' } }, extra: {}, model: { $ref: '#/$defs/Model' },
    either: { anyOf: [{ type: 'integer' }, {}] },
  },
};
const early = { topic: 'WTB', max_rounds: 2, _private: 'x' }; // no "rounds" yet

test('with the state schema: a key the schema names is known even when the state lacks it', () => {
  assert.deepEqual(checkEdits(early, { rounds: 1, approved: true, checklist: ['a'], note: 'n', mode: 'slow' }, reviser), []);
  assert.deepEqual(checkEdits(early, { _private: 'y' }, reviser), [], 'a private key of the state is in no schema');
  assert.deepEqual(checkEdits(early, { extra: [1], model: 'anything', either: 'x' }, reviser), [], '{}, a $ref, an anyOf with any: no type check');
});

test('with the state schema: wrong types are flagged even for keys the state lacks', () => {
  const problems = checkEdits(early, { rounds: 'three' }, reviser);
  assert.deepEqual(problems, [{ key: 'rounds', kind: 'type', message: '"rounds" must be an integer; the edit gives a string' }]);
  assert.equal(checkEdits(early, { topic: 5 }, reviser)[0]!.message, '"topic" must be a string; the edit gives a number');
  assert.equal(checkEdits(early, { approved: null }, reviser)[0]!.message, '"approved" must be a boolean; the edit gives null');
  assert.equal(checkEdits(early, { messages: {} }, reviser)[0]!.message, '"messages" must be an array; the edit gives an object');
});

test('integer takes whole numbers only; number takes integers too', () => {
  assert.deepEqual(checkEdits(early, { rounds: 2, score: 3, max_rounds: 4.0 }, reviser), []);
  assert.equal(checkEdits(early, { rounds: 2.5 }, reviser)[0]!.message, '"rounds" must be an integer; the edit gives a number with a fraction (2.5)');
  assert.deepEqual(checkEdits(early, { score: 0.5 }, reviser), []);
  assert.equal(checkEdits(early, { score: '1' }, reviser)[0]!.message, '"score" must be a number; the edit gives a string');
});

test('anyOf with null, type arrays and enums', () => {
  assert.deepEqual(checkEdits(early, { note: null }, reviser), []);
  assert.equal(checkEdits(early, { note: 3 }, reviser)[0]!.message, '"note" must be a string or null; the edit gives a number');
  const listed = { properties: { level: { type: ['integer', 'null'] }, pick: { oneOf: [{ enum: [1, 2] }, { type: 'null' }] } } };
  assert.deepEqual(checkEdits({}, { level: null, pick: 2 }, listed), []);
  assert.equal(checkEdits({}, { level: 'hi' }, listed)[0]!.message, '"level" must be an integer or null; the edit gives a string');
  assert.equal(checkEdits({}, { pick: 3 }, listed)[0]!.message, '"pick" must be null or one of 1, 2; the edit gives a number');
  assert.equal(checkEdits(early, { mode: 'medium' }, reviser)[0]!.message, '"mode" must be one of "fast", "slow"; the edit gives "medium"');
});

test('with the state schema: an unknown key is flagged with a hint over the schema and the state', () => {
  const [problem, ...rest] = checkEdits(early, { rouns: 1, _privat: 2 }, reviser);
  assert.equal(problem!.kind, 'unknown');
  assert.match(problem!.message, /^"rouns" is not a key of the state \(did you mean "rounds"\?\); keys: topic, checklist, .*, either, _private$/);
  assert.match(rest[0]!.message, /did you mean "_private"/);
});

test('a run input against the input schema: unknown keys, wrong types, missing required keys', () => {
  const rag = { type: 'object', properties: { query: { type: 'string' }, top_k: { type: 'integer' } }, required: ['query'] };
  assert.deepEqual(checkInput({ query: 'What is Ray?', top_k: 3 }, rag), []);
  const problems = checkInput({ qeury: 'What is Ray?', top_k: 'two' }, rag);
  assert.deepEqual(problems.map((x) => [x.key, x.kind]), [['qeury', 'unknown'], ['top_k', 'type'], ['query', 'missing']]);
  assert.equal(problems[0]!.message, '"qeury" is not a key of the input (did you mean "query"?); keys: query, top_k');
  assert.equal(problems[1]!.message, '"top_k" must be an integer; the input gives a string');
  assert.equal(problems[2]!.message, '"query" is required in the input');
});

test('without a schema: the state stands for it, and an input is not checked', () => {
  for (const none of [undefined, null, { type: 'object' }]) {
    assert.deepEqual(checkEdits(state, { qeury: 'x', top_k: 'two' }, none).map((p) => p.message),
      checkEdits(state, { qeury: 'x', top_k: 'two' }).map((p) => p.message));
    assert.deepEqual(checkInput({ anything: 1 }, none), []);
  }
  assert.match(checkEdits(early, { rounds: 'three' })[0]!.message, /^"rounds" is not a key of the state/);
});
