import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointFocus, executionFocus, latestRoot, ranNodes } from '../src/graphFollow';
import { layoutGraph, renderSvg } from '../src/graphLayout';
import { makeCheckpoint, makeExecution, ragCheckpoints } from './fixtures';

test('a running execution marks the nodes running now and moves on at each checkpoint', () => {
  const e = makeExecution('abcdef1234', { status: 'running', workflow: 'fixer' });
  const cps = ragCheckpoints('abcdef1234').slice(2); // steps 1, 0, -1 so far
  let f = executionFocus(e, latestRoot(cps));
  assert.deepEqual(f.highlight, { last: ['rag_embed_docs'], running: ['rag_retrieve'] });
  assert.equal(f.caption, 'fixer abcdef12: running rag_retrieve (step 1 done)');
  f = executionFocus(e, latestRoot(ragCheckpoints('abcdef1234').slice(1)));
  assert.deepEqual(f.highlight.running, ['rag_generate']);
  assert.equal(executionFocus({ ...e, status: 'pending' }, undefined).caption, 'fixer abcdef12: starting…');
});

test('after a cancel the next nodes are marked as what would have run; a join counts as next', () => {
  const e = makeExecution('abcdef1234', { status: 'cancelled', workflow: 'survey' });
  const afterParallel = makeCheckpoint('abcdef1234', 1, { writes: { left: {}, right: {} }, next: ['join'] });
  const f = executionFocus(e, afterParallel);
  assert.deepEqual(f.highlight, { last: ['left', 'right'], next: ['join'] });
  assert.equal(f.caption, 'survey abcdef12: cancelled (step 1 done); next would have been join');
});

test('paused, failed and completed executions; a checkpoint picked in the tree', () => {
  const cps = ragCheckpoints('abcdef1234');
  const paused = makeExecution('abcdef1234', { status: 'paused', nextNodes: ['rag_generate'] });
  assert.equal(executionFocus(paused, cps[1]).caption, 'rag abcdef12: paused before rag_generate (step 2 done)');
  const asking = { ...paused, interrupts: [{ id: 'q', value: '?', node: 'ask', namespace: '' }] };
  assert.match(executionFocus(asking, cps[1]).caption, /ask waits for an answer/);
  const failed = makeExecution('abcdef1234', { status: 'failed', error: { node: 'rag_generate', type: 'ValueError', message: 'boom\nmore', traceback: '' } });
  const ff = executionFocus(failed, cps[1]);
  assert.deepEqual(ff.highlight.failed, ['rag_generate']);
  assert.equal(ff.caption, 'rag abcdef12: failed in rag_generate — ValueError: boom');
  assert.equal(executionFocus(makeExecution('abcdef1234'), cps[0]).caption, 'rag abcdef12: completed at step 3');
  const picked = checkpointFocus(makeExecution('abcdef1234'), cps[2]!);
  assert.deepEqual(picked.highlight, { last: ['rag_embed_docs'], next: ['rag_retrieve'] });
  assert.equal(picked.caption, 'rag abcdef12 @ step 1 · rag_embed_docs → next: rag_retrieve');
});

test('the newest root checkpoint: subgraph steps do not count; input steps ran no node', () => {
  const inner = makeCheckpoint('e', 5, { namespace: 'writer:1', createdAt: '2030-01-01T00:00:00+00:00' });
  const cps = [...ragCheckpoints('e'), inner];
  assert.equal(latestRoot(cps)?.step, 3);
  assert.deepEqual(ranNodes(makeCheckpoint('e', -1, { writes: { __start__: {} } })), []);
  assert.deepEqual(ranNodes(undefined), []);
});

test('fitted SVG scales down to its panel, never above its natural size; running and failed nodes carry their class', () => {
  const layout = layoutGraph([{ id: '__start__' }, { id: 'a' }, { id: '__end__' }], [
    { source: '__start__', target: 'a', conditional: false }, { source: 'a', target: '__end__', conditional: false }]);
  const svg = renderSvg(layout, { running: ['a'], failed: ['__end__'] }, { fit: true });
  assert.match(svg, new RegExp(`width="100%" height="100%" style="max-width: ${layout.width}px; max-height: ${layout.height}px"`));
  assert.match(svg, new RegExp(`viewBox="0 0 ${layout.width} ${layout.height}"`));
  assert.match(svg, /class="node running" data-node="a"/);
  assert.match(svg, /<title>a \(running now\)<\/title>/);
  assert.match(svg, /class="node terminal failed" data-node="__end__"/);
  assert.match(renderSvg(layout), new RegExp(`width="${layout.width}" height="${layout.height}"`));
});
