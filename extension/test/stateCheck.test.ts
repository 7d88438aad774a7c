import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEdits, jsonType, keyLine } from '../src/stateCheck';

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
