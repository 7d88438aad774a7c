// The "Checkpoints" tree: a TreeDataProvider over TreeModel. It fetches what a node needs the
// first time it is expanded (workflows, a page of executions, a page of checkpoints) and
// refreshes from the daemon's notifications — never by polling.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import { describeError, logLine } from './errors';
import type { TreeNode } from './treeModel';
import { pauseNote, storageDescription } from './regression';
import { fileChanges } from './freshness';

export class CheckpointTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<TreeNode>;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly loading = new Map<string, Promise<void>>();
  private readonly errors = new Map<string, string>();

  constructor(private readonly ctx: Ctx) {
    this.view = vscode.window.createTreeView('wtb.checkpoints', { treeDataProvider: this, showCollapseAll: true, canSelectMany: true });
    const model = ctx.model;
    this.disposables.push(
      this.view,
      this.changed,
      ctx.onDidChangeState((state) => {
        this.errors.clear();
        this.refresh();
        if (state === 'running') this.scheduleStorage();
        else this.view.description = undefined;
      }),
      ctx.onWorkflowsChanged((workflows) => {
        model.setWorkflows(workflows);
        this.refresh();
      }),
      ctx.onExecutionChanged((e) => {
        const was = model.execution(e.id)?.status;
        if (model.upsertExecution(e)) this.refresh();
        // A run that stopped: its checkpoints were told live, as LangGraph streamed them; the
        // listing has what LangGraph completed afterwards (next nodes, pending questions).
        if ((was === 'running' || was === 'pending') && e.status !== 'running' && e.status !== 'pending') void this.reloadCheckpoints(e.id);
        if (e.status !== 'running' && e.status !== 'pending') this.scheduleStorage();
      }),
      ctx.onModelChanged(() => this.refresh()),
      ctx.onCheckpointAdded(({ executionId, checkpoint }) => {
        if (model.addCheckpoint(executionId, checkpoint)) this.refresh();
      }),
    );
  }

  /** Debounced: a run sends several notifications per step. */
  refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire(undefined);
    }, 80);
  }

  private storageTimer: NodeJS.Timeout | undefined;

  /** Storage (bytes stored, dedup) in the view's description, at most once a second. */
  private scheduleStorage(): void {
    if (this.storageTimer) return;
    this.storageTimer = setTimeout(() => {
      this.storageTimer = undefined;
      void this.refreshStorage();
    }, 1000);
  }

  async refreshStorage(): Promise<void> {
    if (this.ctx.state !== 'running') return;
    try {
      const stats = await this.ctx.request(p.STORAGE_STATS, {});
      this.view.description = storageDescription(stats);
      this.ctx.statusBar.setStorage(this.view.description);
    } catch {
      this.view.description = undefined; // file tracking off: no storage to show
      this.ctx.statusBar.setStorage(undefined);
    }
  }

  /** Forget everything loaded and ask the daemon again. */
  reload(): void {
    this.ctx.model.clear();
    this.errors.clear();
    this.refresh();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const v = this.ctx.model.view(node);
    const collapsible = v.collapsible === 'expanded' ? vscode.TreeItemCollapsibleState.Expanded
      : v.collapsible === 'collapsed' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(v.label, collapsible);
    item.id = node.id;
    item.description = v.description;
    if (node.type === 'workflow') {
      const pauses = this.ctx.extension.workspaceState.get<Record<string, string[]>>('wtb.pauseBefore', {})[node.workflow] ?? [];
      if (pauses.length) item.description = [v.description, pauseNote(pauses)].filter(Boolean).join(' · ');
    }
    item.tooltip = v.tooltip;
    item.contextValue = v.contextValue;
    if (v.icon) item.iconPath = new vscode.ThemeIcon(v.icon.id, v.icon.color ? new vscode.ThemeColor(v.icon.color) : undefined);
    const folder = this.ctx.workspaceFolder;
    if (v.resourcePath && folder) item.resourceUri = vscode.Uri.joinPath(folder.uri, v.resourcePath);
    if (v.command) item.command = v.command;
    return item;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return this.ctx.model.parent(node);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (this.ctx.state !== 'running') return [];
    const model = this.ctx.model;
    const key = node?.id ?? '';
    try {
      if (!node) {
        if (!model.hasWorkflows()) {
          await this.load(key, async () => {
            model.setWorkflows((await this.ctx.request(p.LIST_WORKFLOWS, {})).workflows);
            // Golden runs are marked, and checks nest under them.
            model.setGoldens(await this.ctx.request(p.LIST_GOLDENS, {}).then((r) => r.goldens, () => []));
          });
        }
        const roots = model.roots();
        void vscode.commands.executeCommand('setContext', 'wtb.noWorkflows', roots.length === 0);
        return roots;
      }
      if (node.type === 'workflow' && !model.hasExecutions(node.workflow)) {
        await this.load(key, async () => {
          const limit = 100;
          const { executions } = await this.ctx.request(p.LIST_EXECUTIONS, { workflow: node.workflow, limit, offset: 0 });
          model.setExecutions(node.workflow, executions, 0, limit);
        });
      } else if (node.type === 'execution' && !model.hasCheckpoints(node.executionId)) {
        await this.load(key, async () => {
          const result = await this.ctx.request(p.LIST_CHECKPOINTS, { executionId: node.executionId, limit: model.pageSize, subgraphs: true });
          model.setCheckpoints(node.executionId, result, false);
        });
      }
      if (node.type === 'checkpoint') await this.loadFileChanges(node.executionId, node.checkpointId);
      this.errors.delete(key);
      return model.children(node);
    } catch (e) {
      this.ctx.output.error(logLine(`loading ${node ? node.type : 'workflows'}`, e));
      const message = `Could not load: ${describeError(e)}`;
      this.errors.set(key, message);
      return [model.message(message)];
    }
  }

  /**
   * Created vs modified: the step's files compared with the checkpoint before (`wtb/diff`),
   * once per checkpoint, when it is expanded. Deleted files are known without asking.
   */
  private async loadFileChanges(executionId: string, checkpointId: string): Promise<void> {
    const model = this.ctx.model;
    const cp = model.checkpoint(executionId, checkpointId);
    if (!cp || model.fileChanges(checkpointId) || !Object.values(cp.outputFiles ?? {}).some((h) => h !== null)) return;
    const base = model.comparisonBase(executionId, checkpointId);
    try {
      const diff = base === 'first' || base === undefined ? base
        : (await this.ctx.request(p.DIFF, { a: base, b: { executionId, checkpointId } })).files;
      model.setFileChanges(checkpointId, fileChanges(cp.outputFiles, diff));
      if (base !== undefined) this.refresh();
    } catch (e) {
      this.ctx.output.debug(`comparing ${checkpointId} with the step before: ${describeError(e)}`);
      model.setFileChanges(checkpointId, fileChanges(cp.outputFiles, undefined));
    }
  }

  /** One load at a time per node (VS Code may ask twice while the first is in flight). */
  private load(key: string, fn: () => Promise<void>): Promise<void> {
    let pending = this.loading.get(key);
    if (!pending) {
      pending = fn().finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** The first page of an execution's checkpoints again (when loaded), replacing what was there. */
  private async reloadCheckpoints(executionId: string): Promise<void> {
    const model = this.ctx.model;
    if (!model.hasCheckpoints(executionId)) return;
    try {
      const result = await this.ctx.request(p.LIST_CHECKPOINTS, { executionId, limit: model.pageSize, subgraphs: true });
      model.setCheckpoints(executionId, result, false);
      this.refresh();
    } catch (e) {
      this.ctx.output.debug(`reloading checkpoints: ${describeError(e)}`);
    }
  }

  /** "Load more…": the next page of checkpoints, or of executions. */
  async loadMore(node: TreeNode): Promise<void> {
    const model = this.ctx.model;
    if (node.type === 'loadMore') {
      const before = model.nextBefore(node.executionId);
      if (!before) return;
      const result = await this.ctx.request(p.LIST_CHECKPOINTS, { executionId: node.executionId, limit: model.pageSize, before, subgraphs: true });
      model.setCheckpoints(node.executionId, result, true);
    } else if (node.type === 'moreExecutions') {
      const limit = 100;
      const offset = model.loadedExecutionCount(node.workflow);
      const { executions } = await this.ctx.request(p.LIST_EXECUTIONS, { workflow: node.workflow, limit, offset });
      model.setExecutions(node.workflow, executions, offset, limit);
    }
    this.refresh();
  }

  /** Shows an execution (expanded) in the tree, loading what leads to it. */
  async revealExecution(execution: p.ExecutionInfo, focus = false): Promise<void> {
    const model = this.ctx.model;
    model.upsertExecution(execution);
    model.markExpanded(execution.id);
    if (!model.hasWorkflows()) await this.getChildren();
    this.refresh();
    await new Promise((r) => setTimeout(r, 150));
    try {
      await this.view.reveal(model.node('execution', execution.id), { expand: true, select: true, focus });
    } catch (e) {
      this.ctx.output.debug(`reveal: ${describeError(e)}`);
    }
  }

  /** Selects a checkpoint (where the debugger stopped), loading its execution and checkpoints;
   * only while the tree is on screen (revealing would take the side bar from Run and Debug). */
  async revealCheckpoint(executionId: string, checkpointId: string): Promise<void> {
    const model = this.ctx.model;
    if (!this.view.visible) return;
    try {
      const execution = await this.ctx.request(p.GET_EXECUTION, { executionId });
      await this.revealExecution(execution);
      const result = await this.ctx.request(p.LIST_CHECKPOINTS, { executionId, limit: model.pageSize, subgraphs: true });
      model.setCheckpoints(executionId, result, false);
      this.refresh();
      await new Promise((r) => setTimeout(r, 150));
      await this.view.reveal(model.node('checkpoint', executionId, checkpointId), { select: true, focus: false });
    } catch (e) {
      this.ctx.output.debug(`reveal checkpoint: ${describeError(e)}`);
    }
  }

  async revealWorkflow(workflow: string): Promise<void> {
    if (!this.ctx.model.hasWorkflows()) await this.getChildren();
    try {
      await this.view.reveal(this.ctx.model.node('workflow', workflow), { expand: true, select: true, focus: true });
    } catch (e) {
      this.ctx.output.debug(`reveal: ${describeError(e)}`);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
