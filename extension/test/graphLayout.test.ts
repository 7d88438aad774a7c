import { test } from 'node:test';
import assert from 'node:assert/strict';
import { END, layoutGraph, renderSvg, START } from '../src/graphLayout';

const edge = (source: string, target: string, conditional = false) => ({ source, target, conditional });

test('a linear graph stacks one node per layer, start on top, end at the bottom', () => {
  const nodes = [START, 'rag_embed_docs', 'rag_retrieve', 'rag_generate', END].map((id) => ({ id }));
  const l = layoutGraph(nodes, [edge(START, 'rag_embed_docs'), edge('rag_embed_docs', 'rag_retrieve'), edge('rag_retrieve', 'rag_generate'), edge('rag_generate', END)]);
  const layer = Object.fromEntries(l.nodes.map((n) => [n.id, n.layer]));
  assert.deepEqual(layer, { [START]: 0, rag_embed_docs: 1, rag_retrieve: 2, rag_generate: 3, [END]: 4 });
  assert.ok(l.edges.every((e) => !e.back));
  const ys = l.nodes.sort((a, b) => a.layer - b.layer).map((n) => n.y);
  assert.deepEqual(ys, [...ys].sort((a, b) => a - b));
  assert.ok(l.width > 0 && l.height > ys.at(-1)!);
});

test('a loop is drawn as a back edge; branches share a layer', () => {
  const nodes = [START, 'draft', 'review', 'revise', END].map((id) => ({ id }));
  const l = layoutGraph(nodes, [
    edge(START, 'draft'), edge('draft', 'review'), edge('review', 'revise', true), edge('review', END, true), edge('revise', 'review'),
  ]);
  const byId = Object.fromEntries(l.nodes.map((n) => [n.id, n]));
  assert.equal(byId.review!.layer, 2);
  assert.equal(byId.revise!.layer, 3);
  assert.equal(byId[END]!.layer, 4);
  const back = l.edges.filter((e) => e.back);
  assert.deepEqual(back.map((e) => `${e.source}->${e.target}`), ['revise->review']);
  assert.ok(l.edges.filter((e) => e.conditional).length === 2);
});

test('the SVG marks highlighted nodes, escapes names and carries data-node for clicks', () => {
  const l = layoutGraph([{ id: START }, { id: 'a<b' }, { id: 'next' }], [edge(START, 'a<b'), edge('a<b', 'next', true)]);
  const svg = renderSvg(l, { last: ['a<b'], next: ['next'] });
  assert.match(svg, /<g class="node last" data-node="a&lt;b"/);
  assert.match(svg, /<g class="node next" data-node="next"/);
  assert.match(svg, /<g class="node terminal" data-node="__start__"[^>]*><title>__start__<\/title>[\s\S]*?>start<\/text>/);
  assert.match(svg, /class="edge conditional"/);
  assert.ok(!svg.includes('a<b'));
});

test('edges naming unknown nodes still lay out', () => {
  const l = layoutGraph([], [edge('x', 'y')]);
  assert.equal(l.nodes.length, 2);
});
