// The graph view: a webview with the selected workflow's graph (wtb/getGraph, i.e. LangGraph's
// `get_graph()`), drawn as SVG by graphLayout.ts. The selected checkpoint's last-run nodes and
// next nodes are highlighted; a click on a node opens its definition.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import { escapeXml, layoutGraph, renderSvg, type Highlight } from './graphLayout';
import type { TreeNode } from './treeModel';
import type { CheckpointTree } from './tree';
import { describeError } from './errors';
import { checkpointLabel, executionLabel } from './format';

/** The graph nodes that ran in the step that ended at this checkpoint (none for input/update/fork). */
function ranNodes(cp: p.CheckpointInfo): string[] {
  return cp.source === 'loop' ? Object.keys(cp.writes ?? {}) : [];
}

export class GraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private graph: p.GetGraphResult | undefined;
  private highlight: Highlight = {};
  private caption = '';
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx, tree: CheckpointTree) {
    this.disposables.push(tree.view.onDidChangeSelection((e) => {
      const node = e.selection[0];
      if (!this.panel || !node) return;
      void this.follow(node);
    }));
  }

  private async workflowOf(node: TreeNode): Promise<string | undefined> {
    if (node.type === 'workflow') return node.workflow;
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
      this.panel.onDidDispose(() => { this.panel = undefined; this.graph = undefined; }, undefined, this.disposables);
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m), undefined, this.disposables);
    } else if (reveal) {
      this.panel.reveal(undefined, true);
    }
    if (this.graph?.workflow !== workflow) {
      this.graph = await this.ctx.request(p.GET_GRAPH, { workflow });
    }
    this.panel.title = `WTB Graph: ${workflow}`;
    this.setHighlight(node);
    this.render();
  }

  private setHighlight(node: TreeNode | undefined): void {
    this.highlight = {};
    this.caption = '';
    if (!node) return;
    const model = this.ctx.model;
    if (node.type === 'checkpoint' || node.type === 'file') {
      const cp = model.checkpoint(node.executionId, node.checkpointId);
      if (cp) {
        this.highlight = { last: ranNodes(cp), next: cp.next };
        this.caption = checkpointLabel(cp);
      }
    } else if (node.type === 'execution') {
      const e = model.execution(node.executionId);
      const headId = model.headId(node.executionId);
      const cp = headId ? model.checkpoint(node.executionId, headId) : undefined;
      this.highlight = { last: cp ? ranNodes(cp) : [], next: cp?.next ?? e?.nextNodes ?? [] };
      this.caption = e ? `${executionLabel(e)} (head${cp ? `: ${checkpointLabel(cp)}` : ''})` : '';
    }
  }

  private render(): void {
    if (!this.panel || !this.graph) return;
    const nonce = randomBytes(16).toString('base64');
    const svg = renderSvg(layoutGraph(this.graph.nodes, this.graph.edges), this.highlight);
    const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';`;
    this.panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WTB Graph</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 8px 16px; }
  header { margin-bottom: 8px; }
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
  .wtb-graph .node:hover rect, .wtb-graph .node:focus rect { stroke-width: 2.6; outline: none; }
</style></head>
<body>
<header>
  <strong>${escapeXml(this.graph.workflow)}</strong>${this.caption ? ` — ${escapeXml(this.caption)}` : ''}
  <div class="legend"><span><span class="swatch" style="background: var(--vscode-testing-iconPassed, #388a34)"></span>ran last</span><span><span class="swatch" style="border: 2px dashed var(--vscode-charts-yellow, #cca700)"></span>next</span><span>- - - conditional edge</span><span>click a node to open its definition</span></div>
</header>
${svg}
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
