// The checkpoint tree's data and shape, without `vscode`: workflows → executions (forks nested
// under the checkpoint they came from) → checkpoints (paged, newest first) → changed files.
//
// The model only holds what the daemon sent (lists, pages, notifications) and answers
// "what are this node's children and how does it look"; `tree.ts` fetches missing pages and
// turns NodeViews into vscode.TreeItems. Nodes are interned by id so that the same element
// object comes back for the same thing (VS Code maps elements to tree rows by identity).

import type { CheckpointInfo, ExecutionInfo, GoldenInfo, InterruptInfo, ListCheckpointsResult, WorkflowInfo } from './protocol';
import * as fmt from './format';
import { nestingParent, questionText, splitNamespace } from './interrupts';
import { changeSummary, type FileChange } from './freshness';
import { batchSummary, checkedGolden, checkedGoldenName, type CheckOutcome, isCheck } from './runKinds';
import { shortId } from './uris';

export type TreeNode =
  | { readonly type: 'workflow'; readonly id: string; readonly workflow: string }
  | { readonly type: 'execution'; readonly id: string; readonly executionId: string }
  | { readonly type: 'batch'; readonly id: string; readonly batchId: string; readonly workflow: string }
  | { readonly type: 'checkpoint'; readonly id: string; readonly executionId: string; readonly checkpointId: string }
  | { readonly type: 'file'; readonly id: string; readonly executionId: string; readonly checkpointId: string; readonly path: string }
  | { readonly type: 'interrupt'; readonly id: string; readonly executionId: string; readonly interruptId: string }
  | { readonly type: 'loadMore'; readonly id: string; readonly executionId: string }
  | { readonly type: 'moreExecutions'; readonly id: string; readonly workflow: string }
  | { readonly type: 'message'; readonly id: string; readonly text: string };

export type WorkflowNode = Extract<TreeNode, { type: 'workflow' }>;
export type ExecutionNode = Extract<TreeNode, { type: 'execution' }>;
export type BatchNode = Extract<TreeNode, { type: 'batch' }>;
export type CheckpointNode = Extract<TreeNode, { type: 'checkpoint' }>;
export type FileNode = Extract<TreeNode, { type: 'file' }>;
export type InterruptNode = Extract<TreeNode, { type: 'interrupt' }>;

export type Collapsible = 'none' | 'collapsed' | 'expanded';

/** How a node looks, in `vscode`-free terms. */
export interface NodeView {
  label: string;
  description?: string;
  tooltip?: string;
  icon?: fmt.Icon;
  contextValue: string;
  collapsible: Collapsible;
  /** Workspace-relative path: the row takes the file's icon from the icon theme. */
  resourcePath?: string;
  command?: { command: string; title: string; arguments: unknown[] };
}

interface CheckpointPage {
  items: CheckpointInfo[];
  nextBefore: string | null;
}

interface ExecutionList {
  more: boolean;
  loadedCount: number;
}

export class TreeModel {
  private workflows: WorkflowInfo[] | undefined;
  private readonly executions = new Map<string, ExecutionInfo>();
  private readonly executionLists = new Map<string, ExecutionList>();
  private readonly checkpointPages = new Map<string, CheckpointPage>();
  private readonly nodes = new Map<string, TreeNode>();
  /** Executions the user just started here: shown expanded. */
  private readonly expand = new Set<string>();
  /** Executions with a rollback that can still be undone: the daemon's `rollbackUndoable` where a
   * record says (any editor's rollback), else what this editor rolled back. */
  private readonly undoable = new Set<string>();
  /** checkpoint id → how each file of its step changed (known once the step was compared with the one before). */
  private readonly changes = new Map<string, Record<string, FileChange>>();
  private goldens: GoldenInfo[] = [];
  /** execution id of a golden check → what the check found (known for checks run in this editor). */
  private readonly checks = new Map<string, CheckOutcome>();

  constructor(public pageSize = 50, private readonly now: () => Date = () => new Date()) {}

  // ------------------------------------------------------------------ updates

  clear(): void {
    this.workflows = undefined;
    this.executions.clear();
    this.executionLists.clear();
    this.checkpointPages.clear();
    this.changes.clear();
  }

  /** A rollback of this execution can be undone (`on`), or not any more. */
  setUndoable(executionId: string, on: boolean): void {
    if (on) this.undoable.add(executionId);
    else this.undoable.delete(executionId);
  }

  /** The daemon's word on an execution's rollback, when its record carries it (an older daemon's does not). */
  private takeUndoable(e: ExecutionInfo): void {
    if (typeof e.rollbackUndoable === 'boolean') this.setUndoable(e.id, e.rollbackUndoable);
  }

  isUndoable(executionId: string): boolean {
    return this.undoable.has(executionId);
  }

  undoableIds(): string[] {
    return [...this.undoable];
  }

  setGoldens(goldens: GoldenInfo[]): void {
    this.goldens = [...goldens];
  }

  goldenList(): GoldenInfo[] {
    return this.goldens;
  }

  /** The goldens whose run this execution is. */
  goldensOf(executionId: string): GoldenInfo[] {
    return this.goldens.filter((g) => g.executionId === executionId);
  }

  setCheckOutcome(executionId: string, outcome: CheckOutcome): void {
    this.checks.set(executionId, outcome);
  }

  checkOutcome(executionId: string): CheckOutcome | undefined {
    return this.checks.get(executionId);
  }

  /** The golden run a check execution checked against, when that run is loaded (the check nests under it). */
  private checkParent(e: ExecutionInfo): string | undefined {
    const golden = isCheck(e) ? checkedGolden(e, this.goldens) : undefined;
    return golden && this.executions.has(golden.executionId) && golden.executionId !== e.id ? golden.executionId : undefined;
  }

  /** The variants of a batch, oldest first. */
  variants(batchId: string): ExecutionInfo[] {
    return [...this.executions.values()].filter((e) => e.batchId === batchId).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  setFileChanges(checkpointId: string, changes: Record<string, FileChange>): void {
    this.changes.set(checkpointId, changes);
  }

  /** How the files of a step changed; undefined until the step was compared with the one before. */
  fileChanges(checkpointId: string): Record<string, FileChange> | undefined {
    return this.changes.get(checkpointId);
  }

  setWorkflows(workflows: WorkflowInfo[]): void {
    this.workflows = [...workflows].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A page of a workflow's executions (newest first); `offset` 0 replaces what was there. */
  setExecutions(workflow: string, executions: ExecutionInfo[], offset: number, limit: number): void {
    if (offset === 0) {
      for (const [id, e] of this.executions) if (e.workflow === workflow) this.executions.delete(id);
    }
    for (const e of executions) {
      this.executions.set(e.id, e);
      this.takeUndoable(e);
    }
    this.executionLists.set(workflow, { more: executions.length >= limit, loadedCount: offset + executions.length });
  }

  /** From `wtb/executionChanged` or a request's answer. Returns true when the tree changes. */
  upsertExecution(e: ExecutionInfo): boolean {
    const old = this.executions.get(e.id);
    this.executions.set(e.id, e);
    this.takeUndoable(e);
    // A run after a rollback moves on from it: its undo is no longer offered.
    if (e.status === 'running' && old?.status !== 'running') this.undoable.delete(e.id);
    if (!old) {
      const list = this.executionLists.get(e.workflow);
      if (list) list.loadedCount += 1;
      return true;
    }
    // The head moved (rollback) or the run went on: the loaded page may miss checkpoints.
    if (old.headCheckpointId !== e.headCheckpointId) {
      const page = this.checkpointPages.get(e.id);
      if (page && e.headCheckpointId && !page.items.some((c) => c.id === e.headCheckpointId)) {
        this.checkpointPages.delete(e.id);
      }
    }
    return JSON.stringify(old) !== JSON.stringify(e);
  }

  setCheckpoints(executionId: string, result: ListCheckpointsResult, append: boolean): void {
    const page = append ? this.checkpointPages.get(executionId) : undefined;
    const items = page ? [...page.items] : [];
    const seen = new Set(items.map((c) => c.id));
    for (const cp of result.checkpoints) if (!seen.has(cp.id)) items.push(cp);
    this.checkpointPages.set(executionId, { items, nextBefore: result.nextBefore });
  }

  /** From `wtb/checkpointAdded`: only kept when that execution's checkpoints are loaded. */
  addCheckpoint(executionId: string, cp: CheckpointInfo): boolean {
    const page = this.checkpointPages.get(executionId);
    if (!page) return this.executions.has(executionId);
    if (page.items.some((c) => c.id === cp.id)) return false;
    page.items.push(cp);
    // Newest first, as the daemon lists them (a subgraph's steps count from -1 again).
    page.items.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.step - a.step);
    return true;
  }

  /** Forget a loaded page so the next expand asks the daemon again. */
  invalidateCheckpoints(executionId: string): void {
    this.checkpointPages.delete(executionId);
  }

  markExpanded(executionId: string): void {
    this.expand.add(executionId);
  }

  // ------------------------------------------------------------------ queries

  hasWorkflows(): boolean {
    return this.workflows !== undefined;
  }

  workflowList(): WorkflowInfo[] {
    return this.workflows ?? [];
  }

  workflow(name: string): WorkflowInfo | undefined {
    return this.workflows?.find((w) => w.name === name);
  }

  hasExecutions(workflow: string): boolean {
    return this.executionLists.has(workflow);
  }

  loadedExecutionCount(workflow: string): number {
    return this.executionLists.get(workflow)?.loadedCount ?? 0;
  }

  hasCheckpoints(executionId: string): boolean {
    return this.checkpointPages.has(executionId);
  }

  nextBefore(executionId: string): string | null {
    return this.checkpointPages.get(executionId)?.nextBefore ?? null;
  }

  execution(id: string): ExecutionInfo | undefined {
    return this.executions.get(id);
  }

  executionsOf(workflow?: string): ExecutionInfo[] {
    return [...this.executions.values()]
      .filter((e) => workflow === undefined || e.workflow === workflow)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  checkpoints(executionId: string): CheckpointInfo[] {
    return this.checkpointPages.get(executionId)?.items ?? [];
  }

  checkpoint(executionId: string, checkpointId: string): CheckpointInfo | undefined {
    return this.checkpoints(executionId).find((c) => c.id === checkpointId);
  }

  /** The questions an execution waits on (none while it runs). */
  pendingInterrupts(executionId: string): InterruptInfo[] {
    const e = this.executions.get(executionId);
    if (!e || e.status === 'running' || e.status === 'pending') return [];
    return e.interrupts ?? [];
  }

  /** The loaded checkpoint a subgraph step nests under (see `nestingParent`); undefined: at the execution's level. */
  nestedUnder(executionId: string, cp: CheckpointInfo): CheckpointInfo | undefined {
    return nestingParent(cp, this.checkpoints(executionId));
  }

  private nestedChildren(executionId: string, checkpointId: string): CheckpointInfo[] {
    const items = this.checkpoints(executionId);
    return items.filter((c) => c.namespace && nestingParent(c, items)?.id === checkpointId);
  }

  /** The head: the execution's `headCheckpointId`, else its newest checkpoint. */
  headId(executionId: string): string | null {
    const e = this.executions.get(executionId);
    return e?.headCheckpointId ?? this.checkpoints(executionId)[0]?.id ?? null;
  }

  /**
   * The checkpoint before this one: LangGraph's parent, else the next older loaded one, else,
   * for a fork's first checkpoint, the parent execution's checkpoint it was forked from.
   */
  previous(executionId: string, checkpointId: string): { executionId: string; checkpointId: string } | undefined {
    const items = this.checkpoints(executionId);
    const cp = items.find((c) => c.id === checkpointId);
    if (cp?.parentId) return { executionId, checkpointId: cp.parentId };
    const index = items.findIndex((c) => c.id === checkpointId);
    if (index >= 0 && index + 1 < items.length) return { executionId, checkpointId: items[index + 1]!.id };
    const e = this.executions.get(executionId);
    if (e?.parentId && e.parentCheckpointId && (index === items.length - 1 || !cp)) {
      return { executionId: e.parentId, checkpointId: e.parentCheckpointId };
    }
    return undefined;
  }

  // ------------------------------------------------------------------ shape

  node(type: 'workflow', workflow: string): WorkflowNode;
  node(type: 'execution', executionId: string): ExecutionNode;
  node(type: 'checkpoint', executionId: string, checkpointId: string): CheckpointNode;
  node(type: 'file', executionId: string, checkpointId: string, path: string): FileNode;
  node(type: 'interrupt', executionId: string, interruptId: string): InterruptNode;
  node(type: 'workflow' | 'execution' | 'checkpoint' | 'file' | 'interrupt', a: string, b?: string, c?: string): TreeNode {
    const id = [type, a, b, c].filter((x) => x !== undefined).join('\u0000');
    let n = this.nodes.get(id);
    if (!n) {
      switch (type) {
        case 'workflow': n = { type, id, workflow: a }; break;
        case 'execution': n = { type, id, executionId: a }; break;
        case 'checkpoint': n = { type, id, executionId: a, checkpointId: b ?? '' }; break;
        case 'file': n = { type, id, executionId: a, checkpointId: b ?? '', path: c ?? '' }; break;
        case 'interrupt': n = { type, id, executionId: a, interruptId: b ?? '' }; break;
      }
      this.nodes.set(id, n);
    }
    return n;
  }

  roots(): TreeNode[] {
    return this.workflowList().map((w) => this.node('workflow', w.name));
  }

  children(node: TreeNode): TreeNode[] {
    switch (node.type) {
      case 'workflow': {
        const all = this.executionsOf(node.workflow);
        // Forks nest under their parent, golden checks under their golden run, variants in their batch.
        const roots = all.filter((e) => (!e.parentId || !this.executions.has(e.parentId)) && !this.checkParent(e));
        const out: TreeNode[] = [];
        const batches = new Set<string>();
        for (const e of roots) {
          if (!e.batchId) out.push(this.node('execution', e.id));
          else if (!batches.has(e.batchId)) {
            batches.add(e.batchId);
            out.push(this.batchNode(e.batchId, node.workflow));
          }
        }
        if (this.executionLists.get(node.workflow)?.more) out.push(this.intern('moreExecutions', node.workflow));
        return out;
      }
      case 'execution': {
        const page = this.checkpointPages.get(node.executionId);
        const loaded = new Set(page?.items.map((c) => c.id) ?? []);
        // Forks whose checkpoint is not loaded (yet) hang under the execution itself.
        const loose = this.forksOf(node.executionId).filter((f) => !f.parentCheckpointId || !loaded.has(f.parentCheckpointId));
        // The questions it waits on come first: they are what the person has to do next.
        const out: TreeNode[] = this.pendingInterrupts(node.executionId).map((q) => this.node('interrupt', node.executionId, q.id));
        // A golden run holds the checks made against it, newest first.
        out.push(...this.executionsOf().filter((c) => this.checkParent(c) === node.executionId).map((c) => this.node('execution', c.id)));
        out.push(...loose.map((f) => this.node('execution', f.id)));
        // Subgraph steps nest under the parent step that ran them (those whose parent is not loaded stay here).
        for (const cp of page?.items ?? []) {
          if (!cp.namespace || !this.nestedUnder(node.executionId, cp)) out.push(this.node('checkpoint', node.executionId, cp.id));
        }
        if (page?.nextBefore) out.push(this.intern('loadMore', node.executionId));
        return out;
      }
      case 'checkpoint': {
        const cp = this.checkpoint(node.executionId, node.checkpointId);
        const files = Object.keys(cp?.outputFiles ?? {}).sort();
        const out: TreeNode[] = this.nestedChildren(node.executionId, node.checkpointId)
          .map((c) => this.node('checkpoint', node.executionId, c.id));
        out.push(...files.map((p) => this.node('file', node.executionId, node.checkpointId, p)));
        for (const f of this.forksOf(node.executionId)) {
          if (f.parentCheckpointId === node.checkpointId) out.push(this.node('execution', f.id));
        }
        return out;
      }
      case 'batch':
        return this.variants(node.batchId).filter((e) => !e.parentId || !this.executions.has(e.parentId)).map((e) => this.node('execution', e.id));
      default:
        return [];
    }
  }

  parent(node: TreeNode): TreeNode | undefined {
    switch (node.type) {
      case 'workflow':
      case 'message':
        return undefined;
      case 'moreExecutions':
        return this.node('workflow', node.workflow);
      case 'execution': {
        const e = this.executions.get(node.executionId);
        if (!e) return undefined;
        if (e.parentId && this.executions.has(e.parentId)) {
          if (e.parentCheckpointId && this.checkpoint(e.parentId, e.parentCheckpointId)) {
            return this.node('checkpoint', e.parentId, e.parentCheckpointId);
          }
          return this.node('execution', e.parentId);
        }
        const golden = this.checkParent(e);
        if (golden) return this.node('execution', golden);
        if (e.batchId) return this.batchNode(e.batchId, e.workflow);
        return this.node('workflow', e.workflow);
      }
      case 'batch':
        return this.node('workflow', node.workflow);
      case 'checkpoint': {
        const cp = this.checkpoint(node.executionId, node.checkpointId);
        const under = cp ? this.nestedUnder(node.executionId, cp) : undefined;
        return under ? this.node('checkpoint', node.executionId, under.id) : this.node('execution', node.executionId);
      }
      case 'interrupt':
      case 'loadMore':
        return this.node('execution', node.executionId);
      case 'file':
        return this.node('checkpoint', node.executionId, node.checkpointId);
    }
  }

  view(node: TreeNode): NodeView {
    const now = this.now();
    switch (node.type) {
      case 'workflow': {
        const w = this.workflow(node.workflow);
        // Golden checks are not runs of the workflow (they are listed under their golden run).
        const loaded = this.hasExecutions(node.workflow) ? this.executionsOf(node.workflow).filter((e) => !isCheck(e)).length : 0;
        const runs = loaded || w?.runCount || 0;
        return {
          label: node.workflow,
          description: runs ? fmt.plural(runs, 'run') : (w?.ref ?? ''),
          tooltip: [node.workflow, w?.ref, w?.path ? `defined in ${w.path}${w.line != null ? `:${w.line + 1}` : ''}` : undefined]
            .filter(Boolean).join('\n'),
          icon: { id: 'type-hierarchy' },
          contextValue: 'wtbWorkflow',
          collapsible: 'expanded',
        };
      }
      case 'execution': {
        const e = this.executions.get(node.executionId);
        if (!e) return { label: shortId(node.executionId), contextValue: 'wtbExecution.unknown', collapsible: 'collapsed' };
        const goldens = this.goldensOf(e.id);
        const check = isCheck(e) ? this.checks.get(e.id) : undefined;
        const golden = isCheck(e) ? checkedGolden(e, this.goldens) : undefined;
        let description = fmt.executionDescription(e, now);
        let tooltip = fmt.executionTooltip(e, now);
        let icon = fmt.statusIcon(e.status);
        let label = fmt.executionLabel(e);
        if (isCheck(e)) {
          label = `check against golden ${checkedGoldenName(e) ?? ''}`;
          if (check && e.status === 'completed') {
            description = [check.passed ? 'passed' : `diverged${check.where ? ` at ${check.where}` : ''}`, fmt.formatTime(fmt.fromUnixSeconds(e.createdAt), now)].join(' · ');
            icon = { id: 'beaker', color: check.passed ? 'testing.iconPassed' : 'testing.iconFailed' };
          } else if (e.status === 'completed') {
            icon = { id: 'beaker' };
          }
          tooltip = `${tooltip}\n${golden ? `checked against golden ${golden.name} (run ${shortId(golden.executionId)})` : 'a golden check'}${check ? `: ${check.passed ? 'passed' : `diverged${check.where ? ` at ${check.where}` : ''}`}` : ''}`;
        } else if (goldens.length) {
          description = `★ golden · ${description}`;
          icon = { id: 'star-full', color: 'charts.yellow' };
          tooltip = `${tooltip}\ngolden run of ${goldens.map((g) => g.name).join(', ')}`;
        }
        return {
          label,
          description,
          tooltip,
          icon,
          contextValue: `wtbExecution.${e.status}${e.parentId ? '.fork' : ''}${isCheck(e) ? '.check' : ''}${goldens.length ? '.golden' : ''}${this.pendingInterrupts(e.id).length ? '.asking' : ''}${this.undoable.has(e.id) ? '.undoable' : ''}`,
          collapsible: this.expand.has(e.id) ? 'expanded' : 'collapsed',
        };
      }
      case 'batch': {
        const variants = this.variants(node.batchId);
        const first = variants[0];
        const live = variants.some((v) => v.status === 'running' || v.status === 'pending');
        const failed = variants.some((v) => v.status === 'failed');
        return {
          label: `batch ${shortId(node.batchId)}`,
          description: [batchSummary(variants), first ? fmt.formatTime(fmt.fromUnixSeconds(first.createdAt), now) : ''].filter(Boolean).join(' · '),
          tooltip: [`batch ${node.batchId} of ${node.workflow}`, `${variants.length} variant${variants.length === 1 ? '' : 's'}: ${batchSummary(variants)}`,
            ...variants.map((v) => `  ${fmt.executionLabel(v)}: ${v.status}`)].join('\n'),
          icon: live ? { id: 'sync~spin' } : { id: 'run-all', color: failed ? 'testing.iconFailed' : 'testing.iconPassed' },
          contextValue: 'wtbBatch',
          collapsible: 'collapsed',
        };
      }
      case 'checkpoint': {
        const cp = this.checkpoint(node.executionId, node.checkpointId);
        if (!cp) return { label: shortId(node.checkpointId), contextValue: 'wtbCheckpoint', collapsible: 'none' };
        const isHead = this.headId(node.executionId) === cp.id;
        const inner = this.nestedChildren(node.executionId, cp.id);
        const hasChildren = Object.keys(cp.outputFiles ?? {}).length > 0 || inner.length > 0
          || this.forksOf(node.executionId).some((f) => f.parentCheckpointId === cp.id);
        const where = cp.namespace ? `in ${splitNamespace(cp.namespace).node}` : '';
        const runs = inner.length ? `${inner.length} subgraph step${inner.length === 1 ? '' : 's'}` : '';
        return {
          label: fmt.checkpointLabel(cp),
          description: [fmt.checkpointDescription(cp, isHead, now, this.changes.has(cp.id) ? changeSummary(this.changes.get(cp.id)!) : undefined), where, runs].filter(Boolean).join(' · '),
          tooltip: fmt.checkpointTooltip(cp, isHead),
          icon: isHead ? { id: 'debug-stackframe', color: 'charts.green' } : { id: 'circle-outline' },
          contextValue: isHead ? 'wtbCheckpoint.head' : 'wtbCheckpoint',
          collapsible: hasChildren ? 'collapsed' : 'none',
        };
      }
      case 'file': {
        const cp = this.checkpoint(node.executionId, node.checkpointId);
        const deleted = cp ? cp.outputFiles[node.path] === null : false;
        const kind: FileChange = deleted ? 'deleted' : this.changes.get(node.checkpointId)?.[node.path] ?? 'changed';
        const slash = node.path.lastIndexOf('/');
        const base = node.path.slice(slash + 1);
        const dir = slash > 0 ? node.path.slice(0, slash) : '';
        return {
          label: base,
          description: [kind === 'changed' ? '' : kind, dir].filter(Boolean).join(' · '),
          tooltip: `${node.path} (${kind === 'changed' ? 'written' : kind} at this step)`,
          icon: fileIcon(kind),
          contextValue: `wtbFile.${kind}`,
          collapsible: 'none',
          resourcePath: node.path,
          command: { command: 'wtb.openFileAtCheckpoint', title: 'Open File at Checkpoint', arguments: [node] },
        };
      }
      case 'interrupt': {
        const q = this.pendingInterrupts(node.executionId).find((x) => x.id === node.interruptId);
        if (!q) return { label: 'question answered', contextValue: 'wtbInterrupt.gone', collapsible: 'none' };
        const where = [q.node, q.namespace ? `in ${splitNamespace(q.namespace).node}` : ''].filter(Boolean).join(' ');
        return {
          label: questionText(q.value),
          description: `${where ? `${where} asks` : 'asked'} · Answer…`,
          tooltip: [`interrupt() in ${q.node ?? '?'}${q.namespace ? ` (${q.namespace})` : ''}`, `id: ${q.id}`,
            `question: ${questionText(q.value, 2000)}`, 'Click to answer (JSON when it parses, else text).'].join('\n'),
          icon: { id: 'question', color: 'charts.yellow' },
          contextValue: 'wtbInterrupt',
          collapsible: 'none',
          command: { command: 'wtb.answer', title: 'Answer…', arguments: [node] },
        };
      }
      case 'loadMore':
        return {
          label: 'Load more…',
          description: `older checkpoints (${this.pageSize} at a time)`,
          icon: { id: 'ellipsis' },
          contextValue: 'wtbLoadMore',
          collapsible: 'none',
          command: { command: 'wtb.loadMore', title: 'Load More', arguments: [node] },
        };
      case 'moreExecutions':
        return {
          label: 'Load more…',
          description: 'older executions',
          icon: { id: 'ellipsis' },
          contextValue: 'wtbLoadMore',
          collapsible: 'none',
          command: { command: 'wtb.loadMore', title: 'Load More', arguments: [node] },
        };
      case 'message':
        return { label: node.text, icon: { id: 'warning' }, contextValue: 'wtbMessage', collapsible: 'none' };
    }
  }

  message(text: string): TreeNode {
    return this.intern('message', text);
  }

  private intern(type: 'loadMore' | 'moreExecutions' | 'message', key: string): TreeNode {
    const id = `${type}\u0000${key}`;
    let n = this.nodes.get(id);
    if (!n) {
      n = type === 'loadMore' ? { type, id, executionId: key }
        : type === 'moreExecutions' ? { type, id, workflow: key }
          : { type, id, text: key };
      this.nodes.set(id, n);
    }
    return n;
  }

  /** The checkpoint before this one, for telling created files from modified ones; 'first' when there is none. */
  comparisonBase(executionId: string, checkpointId: string): { executionId: string; checkpointId: string } | 'first' | undefined {
    const prev = this.previous(executionId, checkpointId);
    if (prev) return prev;
    const cp = this.checkpoint(executionId, checkpointId);
    return cp && !cp.parentId && !this.executions.get(executionId)?.parentId && !this.nextBefore(executionId) ? 'first' : undefined;
  }

  private batchNode(batchId: string, workflow: string): BatchNode {
    const id = `batch\u0000${batchId}`;
    let n = this.nodes.get(id);
    if (!n) {
      n = { type: 'batch', id, batchId, workflow };
      this.nodes.set(id, n);
    }
    return n as BatchNode;
  }

  private forksOf(executionId: string): ExecutionInfo[] {
    return [...this.executions.values()]
      .filter((e) => e.parentId === executionId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }
}

/** Created, modified and deleted files look different (colours as in VS Code's SCM views). */
function fileIcon(kind: FileChange): fmt.Icon {
  switch (kind) {
    case 'created': return { id: 'diff-added', color: 'gitDecoration.addedResourceForeground' };
    case 'modified': return { id: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground' };
    case 'deleted': return { id: 'diff-removed', color: 'gitDecoration.deletedResourceForeground' };
    default: return { id: 'diff' };
  }
}
