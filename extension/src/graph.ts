// The graph view: a webview with the selected workflow's graph (wtb/getGraph, i.e. LangGraph's
// `get_graph()`), drawn as SVG by graphLayout.ts, scaled to fit the panel. A checkpoint picked
// in the tree is shown as it was (what ran, what comes next); an execution is followed live
// (graphFollow.ts): the nodes running now, updated at each checkpoint and status change, and a
// new run of the shown workflow is followed as it starts. A click on a node opens its definition.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import { escapeXml, layoutGraph, renderSvg, type Highlight } from './graphLayout';
import type { TreeNode } from './treeModel';
import type { CheckpointTree } from './tree';
import { describeError } from './errors';
import { checkpointFocus, executionFocus, latestRoot } from './graphFollow';

/** What the panel shows: an execution followed live, or one checkpoint as it was. */
type Target = { executionId: string; checkpointId?: string } | undefined;

const LIVE: ReadonlySet<string> = new Set(['running', 'pending']);

export class GraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private graph: p.GetGraphResult | undefined;
  private highlight: Highlight = {};
  private caption = '';
  private target: Target;
  /** The newest root checkpoint told for each execution (the tree may not have loaded its page). */
  private readonly latest = new Map<string, p.CheckpointInfo>();
  private html = '';
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx, tree: CheckpointTree) {
    this.disposables.push(
      tree.view.onDidChangeSelection((e) => {
        const node = e.selection[0];
        if (!this.panel || !node) return;
        void this.follow(node);
      }),
      ctx.onCheckpointAdded(({ executionId, checkpoint }) => {
        if (checkpoint.namespace) return;
        const known = this.latest.get(executionId);
        if (!known || latestRoot([known, checkpoint]) === checkpoint) this.latest.set(executionId, checkpoint);
        if (this.target?.executionId === executionId && !this.target.checkpointId) this.refresh();
      }),
      ctx.onExecutionChanged((e) => {
        if (!this.panel || this.graph?.workflow !== e.workflow) return;
        const followed = this.target?.executionId === e.id;
        // A run of the shown workflow that starts is followed (unless the followed one still runs).
        const followedRuns = this.target && !this.target.checkpointId && LIVE.has(this.ctx.model.execution(this.target.executionId)?.status ?? '');
        if (!followed && LIVE.has(e.status) && !followedRuns) this.target = { executionId: e.id };
        else if (!followed) return;
        this.refresh();
      }),
    );
  }

  private async workflowOf(node: TreeNode): Promise<string | undefined> {
    if (node.type === 'workflow' || node.type === 'batch') return node.workflow;
    if ('executionId' in node) {
      return this.ctx.model.execution(node.executionId)?.workflow
        ?? (await this.ctx.request(p.GET_EXECUTION, { executionId: node.executionId })).workflow;
    }
    return undefined;
  }

  /** The tree selection moved: follow it (another workflow, another checkpoint). */
  private async follow(node: TreeNode): Promise<void> {
    try {
      const workflow = await this.workflowOf(node);
      if (workflow) await this.show(workflow, node, false);
    } catch (e) {
      this.ctx.output.debug(`graph: ${describeError(e)}`);
    }
  }

  async show(workflow: string, node?: TreeNode, reveal = true): Promise<void> {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('wtb.graph', `WTB Graph: ${workflow}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
      this.panel.onDidDispose(() => { this.panel = undefined; this.graph = undefined; this.html = ''; }, undefined, this.disposables);
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m), undefined, this.disposables);
    } else if (reveal) {
      this.panel.reveal(undefined, true);
    }
    if (this.graph?.workflow !== workflow) {
      this.graph = await this.ctx.request(p.GET_GRAPH, { workflow });
    }
    this.panel.title = `WTB Graph: ${workflow}`;
    this.target = this.targetOf(workflow, node);
    this.refresh();
  }

  /** A checkpoint (or a file of one) is shown as it was; an execution, or a workflow's newest one, is followed. */
  private targetOf(workflow: string, node: TreeNode | undefined): Target {
    if (node?.type === 'checkpoint' || node?.type === 'file') return { executionId: node.executionId, checkpointId: node.checkpointId };
    if (node && 'executionId' in node) return { executionId: node.executionId };
    const newest = this.ctx.model.executionsOf(workflow)[0];
    return newest ? { executionId: newest.id } : undefined;
  }

  /** Marks and caption for the target as the model and the notifications have it now; redraws when they changed. */
  private refresh(): void {
    this.highlight = {};
    this.caption = '';
    const model = this.ctx.model;
    const t = this.target;
    const e = t ? model.execution(t.executionId) : undefined;
    if (t?.checkpointId) {
      const cp = model.checkpoint(t.executionId, t.checkpointId);
      if (cp) ({ highlight: this.highlight, caption: this.caption } = checkpointFocus(e, cp));
    } else if (t && e) {
      const told = this.latest.get(t.executionId);
      const loaded = latestRoot(model.checkpoints(t.executionId));
      const newest = told && loaded ? latestRoot([told, loaded]) : told ?? loaded;
      // A stopped execution's head may be older than its newest step (a rollback moved it).
      const head = !LIVE.has(e.status) && e.headCheckpointId ? model.checkpoint(t.executionId, e.headCheckpointId) ?? newest : newest;
      ({ highlight: this.highlight, caption: this.caption } = executionFocus(e, head));
    }
    this.render();
  }

  private render(): void {
    if (!this.panel || !this.graph) return;
    const svg = renderSvg(layoutGraph(this.graph.nodes, this.graph.edges), this.highlight, { fit: true });
    const key = `${this.graph.workflow}\u0000${this.caption}\u0000${svg}`;
    if (key === this.html) return;
    this.html = key;
    const nonce = randomBytes(16).toString('base64');
    const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';`;
    this.panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WTB Graph</title>
<style>
  html, body { height: 100%; margin: 0; }
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 8px 16px; box-sizing: border-box; display: flex; flex-direction: column; overflow: hidden; }
  header { margin-bottom: 8px; flex: none; }
  #graph { flex: 1; min-height: 0; display: flex; justify-content: center; }
  header .legend span { display: inline-block; margin-right: 14px; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: middle; }
  .wtb-graph .edge { fill: none; stroke: var(--vscode-editorWidget-border, #888); stroke-width: 1.4; }
  .wtb-graph .edge.conditional { stroke-dasharray: 5 4; }
  .wtb-graph .arrowhead { fill: var(--vscode-editorWidget-border, #888); }
  .wtb-graph .node rect { fill: var(--vscode-editorWidget-background, #252526); stroke: var(--vscode-focusBorder, #007acc); stroke-width: 1.2; }
  .wtb-graph .node text { fill: var(--vscode-foreground); font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; pointer-events: none; }
  .wtb-graph .node { cursor: pointer; }
  .wtb-graph .node.terminal rect { fill: var(--vscode-badge-background, #4d4d4d); stroke: none; }
  .wtb-graph .node.terminal { cursor: default; }
  .wtb-graph .node.last rect { fill: var(--vscode-testing-iconPassed, #388a34); stroke: var(--vscode-testing-iconPassed, #388a34); fill-opacity: 0.35; stroke-width: 2.4; }
  .wtb-graph .node.next rect { stroke: var(--vscode-charts-yellow, #cca700); stroke-width: 2.4; stroke-dasharray: 4 3; }
  .wtb-graph .node.running rect { stroke: var(--vscode-charts-blue, #3794ff); stroke-width: 3; fill: var(--vscode-charts-blue, #3794ff); fill-opacity: 0.25; animation: wtb-pulse 1.2s ease-in-out infinite; }
  .wtb-graph .node.failed rect { stroke: var(--vscode-testing-iconFailed, #f14c4c); stroke-width: 3; fill: var(--vscode-testing-iconFailed, #f14c4c); fill-opacity: 0.25; }
  @keyframes wtb-pulse { 50% { fill-opacity: 0.05; } }
  .wtb-graph .node:hover rect, .wtb-graph .node:focus rect { stroke-width: 2.6; outline: none; }
</style></head>
<body>
<header>
  <strong>${escapeXml(this.graph.workflow)}</strong>${this.caption ? ` — <span id="caption">${escapeXml(this.caption.startsWith(`${this.graph.workflow} `) ? this.caption.slice(this.graph.workflow.length + 1) : this.caption)}</span>` : ''}
  <div class="legend"><span><span class="swatch" style="background: var(--vscode-charts-blue, #3794ff)"></span>running</span><span><span class="swatch" style="background: var(--vscode-testing-iconPassed, #388a34)"></span>ran last</span><span><span class="swatch" style="border: 2px dashed var(--vscode-charts-yellow, #cca700)"></span>next</span><span>- - - conditional edge</span><span>click a node to open its definition</span></div>
</header>
<div id="graph">${svg}</div>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const open = (el) => { const n = el && el.closest('[data-node]'); if (n) vscode.postMessage({ type: 'open', node: n.getAttribute('data-node') }); };
  document.addEventListener('click', (e) => open(e.target));
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(document.activeElement); });
</script>
</body></html>`;
  }

  private async onMessage(message: unknown): Promise<void> {
    const m = message as { type?: unknown; node?: unknown };
    if (m.type !== 'open' || typeof m.node !== 'string' || !this.graph) return;
    const node = this.graph.nodes.find((n) => n.id === m.node);
    const target = node?.uri ?? (node?.path && this.ctx.workspaceFolder ? vscode.Uri.joinPath(this.ctx.workspaceFolder.uri, node.path).toString() : undefined);
    if (!node || !target) {
      if (node && node.id !== '__start__' && node.id !== '__end__') void vscode.window.showInformationMessage(`WTB: no source location for node ${node.id}.`);
      return;
    }
    const line = Math.max(0, node.line ?? 0);
    const range = new vscode.Range(line, 0, line, 0);
    await vscode.window.showTextDocument(vscode.Uri.parse(target), { selection: range, viewColumn: vscode.ViewColumn.One });
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
