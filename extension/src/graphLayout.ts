// A small layered layout of a LangGraph graph and its SVG, for the graph webview.
//
// Hand-written instead of bundling mermaid (≈3 MB with its d3/dagre/cytoscape dependencies,
// and an extra CSP-relaxed script in the webview) because workflow graphs are small: longest-
// path layering from `__start__`, back edges (loops) found by DFS and drawn on the side,
// one barycenter pass to order each layer. Pure: no `vscode`, no DOM.

import type { GraphEdge, GraphNode } from './protocol';

export const START = '__start__';
export const END = '__end__';

export interface PlacedNode {
  id: string;
  label: string;
  x: number; // centre
  y: number; // centre
  width: number;
  height: number;
  layer: number;
  terminal: boolean; // __start__ / __end__
}

export interface PlacedEdge {
  source: string;
  target: string;
  conditional: boolean;
  back: boolean; // closes a loop
  path: string; // SVG path data
}

export interface Layout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

const LAYER_GAP = 80;
const NODE_GAP = 36;
const NODE_HEIGHT = 36;
const MARGIN = 24;
const CHAR_WIDTH = 7.4;

function label(id: string): string {
  return id === START ? 'start' : id === END ? 'end' : id;
}

export function layoutGraph(nodes: readonly Pick<GraphNode, 'id'>[], edges: readonly GraphEdge[]): Layout {
  const ids = nodes.map((n) => n.id);
  for (const e of edges) for (const id of [e.source, e.target]) if (!ids.includes(id)) ids.push(id);
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  const incoming = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const e of edges) {
    out.get(e.source)!.push(e.target);
    incoming.set(e.target, (incoming.get(e.target) ?? 0) + 1);
  }

  // 1. DFS from __start__, then from any node nothing reaches: an edge to a node on the stack is a back edge.
  const state = new Map<string, 'active' | 'done'>();
  const back = new Set<string>();
  const order: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'active');
    for (const t of out.get(id) ?? []) {
      const s = state.get(t);
      if (s === 'active') back.add(`${id}\u0000${t}`);
      else if (!s) visit(t);
    }
    state.set(id, 'done');
    order.push(id);
  };
  const starts = [
    ...ids.filter((id) => id === START),
    ...ids.filter((id) => id !== START && (incoming.get(id) ?? 0) === 0),
    ...ids,
  ];
  for (const id of starts) if (!state.has(id)) visit(id);
  const topo = order.reverse();

  // 2. Longest-path layers over the forward edges; __end__ goes below everything that reaches it.
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of topo) {
    for (const t of out.get(id) ?? []) {
      if (back.has(`${id}\u0000${t}`)) continue;
      layer.set(t, Math.max(layer.get(t)!, layer.get(id)! + 1));
    }
  }
  if (layer.has(END)) {
    const deepest = Math.max(0, ...ids.filter((id) => id !== END).map((id) => layer.get(id)!));
    if ((incoming.get(END) ?? 0) > 0) layer.set(END, Math.max(layer.get(END)!, deepest + 1));
  }

  // 3. Order within layers: discovery order, then one barycenter pass over predecessors.
  const layers: string[][] = [];
  for (const id of topo) (layers[layer.get(id)!] ??= []).push(id);
  const position = new Map<string, number>();
  layers.forEach((row, i) => {
    if (i > 0) {
      const bary = (id: string) => {
        const preds = edges.filter((e) => e.target === id && !back.has(`${e.source}\u0000${e.target}`)).map((e) => position.get(e.source));
        const known = preds.filter((p): p is number => p !== undefined);
        return known.length ? known.reduce((a, b) => a + b, 0) / known.length : Number.MAX_SAFE_INTEGER;
      };
      row.sort((a, b) => bary(a) - bary(b));
    }
    row.forEach((id, j) => position.set(id, j));
  });

  // 4. Coordinates: each layer centred horizontally.
  const widthOf = (id: string) => Math.max(id === START || id === END ? 64 : 96, Math.ceil(label(id).length * CHAR_WIDTH) + 28);
  const rowWidths = layers.map((row) => (row ?? []).reduce((w, id) => w + widthOf(id), 0) + NODE_GAP * Math.max(0, (row ?? []).length - 1));
  const hasBack = back.size > 0;
  const width = Math.max(160, ...rowWidths) + 2 * MARGIN + (hasBack ? 60 : 0);
  const placed = new Map<string, PlacedNode>();
  layers.forEach((row, i) => {
    let x = MARGIN + (width - 2 * MARGIN - (hasBack ? 60 : 0) - rowWidths[i]!) / 2;
    for (const id of row ?? []) {
      const w = widthOf(id);
      placed.set(id, {
        id, label: label(id), x: x + w / 2, y: MARGIN + NODE_HEIGHT / 2 + i * (NODE_HEIGHT + LAYER_GAP),
        width: w, height: NODE_HEIGHT, layer: i, terminal: id === START || id === END,
      });
      x += w + NODE_GAP;
    }
  });
  const height = 2 * MARGIN + layers.length * NODE_HEIGHT + Math.max(0, layers.length - 1) * LAYER_GAP;

  // 5. Edges: forward ones as vertical curves, back ones around the right side.
  const right = width - MARGIN - 20;
  const placedEdges: PlacedEdge[] = edges.map((e, k) => {
    const s = placed.get(e.source)!;
    const t = placed.get(e.target)!;
    const isBack = back.has(`${e.source}\u0000${e.target}`) || t.layer <= s.layer;
    let path: string;
    if (!isBack) {
      const y1 = s.y + s.height / 2;
      const y2 = t.y - t.height / 2;
      const mid = (y1 + y2) / 2;
      path = `M${r(s.x)},${r(y1)} C${r(s.x)},${r(mid)} ${r(t.x)},${r(mid)} ${r(t.x)},${r(y2)}`;
    } else {
      const x1 = s.x + s.width / 2;
      const x2 = t.x + t.width / 2;
      const bulge = right + (k % 3) * 8;
      path = `M${r(x1)},${r(s.y)} C${r(bulge)},${r(s.y)} ${r(bulge)},${r(t.y)} ${r(x2)},${r(t.y)}`;
    }
    return { source: e.source, target: e.target, conditional: e.conditional, back: isBack, path };
  });

  return { nodes: [...placed.values()], edges: placedEdges, width: r(width), height: r(height) };
}

const r = (n: number) => Math.round(n * 10) / 10;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Highlight {
  /** Nodes that ran in the step that ended at the selected checkpoint. */
  last?: readonly string[];
  /** Nodes that run next from it. */
  next?: readonly string[];
  /** Nodes running now (the followed execution is running). */
  running?: readonly string[];
  /** The node that raised (a failed execution). */
  failed?: readonly string[];
}

/**
 * The graph as an SVG element; nodes carry `data-node` for the webview's click handler. With
 * `fit` the drawing scales down to its container (never above its natural size), so the whole
 * graph, `end` included, shows in any panel size.
 */
export function renderSvg(layout: Layout, highlight: Highlight = {}, opts: { fit?: boolean } = {}): string {
  const last = new Set(highlight.last ?? []);
  const next = new Set(highlight.next ?? []);
  const running = new Set(highlight.running ?? []);
  const failed = new Set(highlight.failed ?? []);
  const parts: string[] = [];
  const size = opts.fit
    ? `width="100%" height="100%" style="max-width: ${layout.width}px; max-height: ${layout.height}px" preserveAspectRatio="xMidYMin meet"`
    : `width="${layout.width}" height="${layout.height}"`;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="wtb-graph" ${size} viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="workflow graph">`);
  parts.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>');
  for (const e of layout.edges) {
    const cls = ['edge', e.conditional ? 'conditional' : '', e.back ? 'back' : ''].filter(Boolean).join(' ');
    parts.push(`<path class="${cls}" d="${e.path}" marker-end="url(#arrow)" data-source="${escapeXml(e.source)}" data-target="${escapeXml(e.target)}"/>`);
  }
  for (const n of layout.nodes) {
    const marks = [last.has(n.id) ? 'last' : '', next.has(n.id) ? 'next' : '', running.has(n.id) ? 'running' : '', failed.has(n.id) ? 'failed' : ''].filter(Boolean);
    const cls = ['node', n.terminal ? 'terminal' : '', ...marks].filter(Boolean).join(' ');
    const said: Record<string, string> = { last: 'ran last', next: 'next', running: 'running now', failed: 'failed' };
    const x = r(n.x - n.width / 2);
    const y = r(n.y - n.height / 2);
    const rx = n.terminal ? n.height / 2 : 6;
    parts.push(`<g class="${cls}" data-node="${escapeXml(n.id)}" tabindex="0" role="button" aria-label="${escapeXml(n.label)}">`
      + `<title>${escapeXml(n.id)}${marks.map((m) => ` (${said[m]})`).join('')}</title>`
      + `<rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="${rx}"/>`
      + `<text x="${r(n.x)}" y="${r(n.y)}" dominant-baseline="central" text-anchor="middle">${escapeXml(n.label)}</text></g>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}
