import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerOrder, asNodeCandidates, nestingParent, parseAnswer, questionText, resumeValue, splitNamespace } from '../src/interrupts';
import { TreeModel } from '../src/treeModel';
import { makeCheckpoint, makeExecution, makeWorkflow } from './fixtures';
import type { InterruptInfo } from '../src/protocol';

const q = (id: string, value: unknown, node = 'ask'): InterruptInfo => ({ id, value, node, namespace: '' });

test('an answer is JSON when it parses, else the text as typed', () => {
  assert.equal(parseAnswer('42'), 42);
  assert.equal(parseAnswer('true'), true);
  assert.deepEqual(parseAnswer(' {"hex": "#00f"} '), { hex: '#00f' });
  assert.equal(parseAnswer('"quoted"'), 'quoted');
  assert.equal(parseAnswer('blue'), 'blue');
  assert.equal(parseAnswer('{not json'), '{not json');
  assert.equal(parseAnswer(''), '');
});

test('one question is answered by the value, several by an object keyed by interrupt id', () => {
  assert.equal(resumeValue([q('a', 'Color?')], new Map([['a', 'red']])), 'red');
  assert.deepEqual(resumeValue([q('a', 'Color?'), q('b', 'Size?')], new Map<string, unknown>([['b', 'L'], ['a', { c: 1 }]])), { a: { c: 1 }, b: 'L' });
  assert.deepEqual(answerOrder([q('a', 1), q('b', 2), q('c', 3)], 'b').map((x) => x.id), ['b', 'a', 'c']);
  assert.deepEqual(answerOrder([q('a', 1), q('b', 2)], 'gone').map((x) => x.id), ['a', 'b']);
});

test('a question reads as one line', () => {
  assert.equal(questionText('Which\ncolor?'), 'Which color?');
  assert.equal(questionText({ question: 'Approve?', options: ['y', 'n'] }), '{"question":"Approve?","options":["y","n"]}');
  assert.equal(questionText('x'.repeat(200), 10), `${'x'.repeat(9)}…`);
  assert.equal(questionText(null), 'null');
});

test('an AsNodeRequiredError gives its candidates; other errors none', () => {
  const e = { code: -32602, message: 'needs as_node', data: { type: 'AsNodeRequiredError', candidates: ['left', 'right'] } };
  assert.deepEqual(asNodeCandidates(e), ['left', 'right']);
  assert.equal(asNodeCandidates({ code: 1005, message: 'x', data: { type: 'InterruptPendingError' } }), undefined);
  assert.equal(asNodeCandidates(new Error('x')), undefined);
});

test('a namespace names the subgraph node and the namespace it runs in', () => {
  assert.deepEqual(splitNamespace('writer:1234'), { parent: '', node: 'writer' });
  assert.deepEqual(splitNamespace('outer:1|inner:2'), { parent: 'outer:1', node: 'inner' });
});

// The survey graph: input, left+right (next join), join (next writer), the writer subgraph's
// steps (namespace writer:t1), then ask (an interrupt). Times increase in that order.
function survey(): TreeModel {
  const at = (n: number) => `2023-11-14T22:13:${String(10 + n).padStart(2, '0')}.000000+00:00`;
  const m = new TreeModel(50, () => new Date('2023-11-14T23:00:00Z'));
  m.setWorkflows([makeWorkflow('survey')]);
  const ask = q('i1', 'Which color?');
  m.setExecutions('survey', [makeExecution('e1', { workflow: 'survey', status: 'paused', headCheckpointId: 'e1-cp3', nextNodes: ['ask'], interrupts: [ask] })], 0, 100);
  const ns = 'writer:t1';
  m.setCheckpoints('e1', {
    nextBefore: null,
    checkpoints: [
      makeCheckpoint('e1', 3, { writes: { writer: {} }, next: ['ask'], createdAt: at(9), interrupts: [ask] }),
      makeCheckpoint('e1', 2, { id: 'in2', writes: { polish: {} }, namespace: ns, parentId: 'in1', createdAt: at(8) }),
      makeCheckpoint('e1', 1, { id: 'in1', writes: { draft: {} }, next: ['polish'], namespace: ns, parentId: 'in0', createdAt: at(7) }),
      makeCheckpoint('e1', 0, { id: 'in0', next: ['draft'], namespace: ns, parentId: null, createdAt: at(6) }),
      makeCheckpoint('e1', 2, { writes: { join: {} }, next: ['writer'], createdAt: at(5) }),
      makeCheckpoint('e1', 1, { writes: { left: {}, right: {} }, next: ['join'], createdAt: at(4) }),
      makeCheckpoint('e1', 0, { next: ['left', 'right'], createdAt: at(3) }),
    ],
  }, false);
  return m;
}

test('the tree: questions first, subgraph steps nested under the step that ran the subgraph', () => {
  const m = survey();
  const exec = m.node('execution', 'e1');
  const v = m.view(exec);
  assert.equal(v.contextValue, 'wtbExecution.paused.asking');
  const top = m.children(exec);
  assert.deepEqual(top.map((n) => m.view(n).label), ['Which color?', 'step 3 · writer', 'step 2 · join', 'step 1 · left, right', 'step 0 · start']);
  const question = m.view(top[0]!);
  assert.equal(question.contextValue, 'wtbInterrupt');
  assert.equal(question.command?.command, 'wtb.answer');
  assert.match(question.description ?? '', /ask asks · Answer…/);
  const join = top[2]!;
  assert.match(m.view(join).description ?? '', /3 subgraph steps/);
  assert.equal(m.view(join).collapsible, 'collapsed');
  const inner = m.children(join);
  assert.deepEqual(inner.map((n) => m.view(n).label), ['step 2 · polish', 'step 1 · draft', 'step 0 · start']);
  assert.match(m.view(inner[0]!).description ?? '', /in writer/);
  assert.equal(m.parent(inner[0]!), join);
  assert.equal(m.parent(top[0]!), exec);
  // Once answered (running, no questions) the question row goes.
  m.upsertExecution(makeExecution('e1', { workflow: 'survey', status: 'running', headCheckpointId: 'e1-cp3' }));
  assert.equal(m.children(exec)[0] && m.view(m.children(exec)[0]!).label, 'step 3 · writer');
  assert.equal(m.view(exec).contextValue, 'wtbExecution.running');
});

test('a subgraph step whose parent step is not loaded stays at the execution level; two levels nest', () => {
  const at = (n: number) => `2023-11-14T22:13:${String(10 + n).padStart(2, '0')}.000000+00:00`;
  const outer = makeCheckpoint('e', 1, { id: 'root1', next: ['outer'], createdAt: at(1) });
  const o0 = makeCheckpoint('e', 0, { id: 'o0', next: ['inner'], namespace: 'outer:a', createdAt: at(2) });
  const i0 = makeCheckpoint('e', 0, { id: 'i0', namespace: 'outer:a|inner:b', createdAt: at(3) });
  assert.equal(nestingParent(i0, [outer, o0, i0])?.id, 'o0');
  assert.equal(nestingParent(o0, [outer, o0, i0])?.id, 'root1');
  assert.equal(nestingParent(o0, [o0, i0]), undefined);
  assert.equal(nestingParent(outer, [outer]), undefined);
  // The newest matching parent older than the step (a subgraph run twice in a loop).
  const again = makeCheckpoint('e', 3, { id: 'root3', next: ['outer'], createdAt: at(4) });
  const o0b = makeCheckpoint('e', 0, { id: 'o0b', namespace: 'outer:c', createdAt: at(5) });
  assert.equal(nestingParent(o0b, [again, outer, o0b])?.id, 'root3');
});

test('checkpoints that arrive during a run keep newest-first order across namespaces', () => {
  const m = survey();
  m.addCheckpoint('e1', makeCheckpoint('e1', 4, { writes: { ask: {} }, createdAt: '2023-11-14T22:13:30.000000+00:00' }));
  m.addCheckpoint('e1', makeCheckpoint('e1', 1, { id: 'late', namespace: 'writer:t9', createdAt: '2023-11-14T22:13:25.000000+00:00' }));
  assert.deepEqual(m.checkpoints('e1').slice(0, 3).map((c) => c.id), ['e1-cp4', 'late', 'e1-cp3']);
});
