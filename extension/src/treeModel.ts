// The checkpoint tree's data and shape, without `vscode`: workflows → executions (forks nested
// under the checkpoint they came from) → checkpoints (paged, newest first) → changed files.
//
// The model only holds what the daemon sent (lists, pages, notifications) and answers
// "what are this node's children and how does it look"; `tree.ts` fetches missing pages and
// turns NodeViews into vscode.TreeItems. Nodes are interned by id so that the same element
// object comes back for the same thing (VS Code maps elements to tree rows by identity).

import type { CheckpointInfo, ExecutionInfo, InterruptInfo, ListCheckpointsResult, WorkflowInfo } from './protocol';
import * as fmt from './format';
import { nestingParent, questionText, splitNamespace } from './interrupts';
import { shortId } from './uris';

export type TreeNode =
  | { readonly type: 'workflow'; readonly id: string; readonly workflow: string }
  | { readonly type: 'execution'; readonly id: string; readonly executionId: string }
  | { readonly type: 'checkpoint'; readonly id: string; readonly executionId: string; readonly checkpointId: string }
  | { readonly type: 'file'; readonly id: string; readonly executionId: string; readonly checkpointId: string; readonly path: string }
  | { readonly type: 'interrupt'; readonly id: string; readonly executionId: string; readonly interruptId: string }
  | { readonly type: 'loadMore'; readonly id: string; readonly executionId: string }
  | { readonly type: 'moreExecutions'; readonly id: string; readonly workflow: string }
  | { readonly type: 'message'; readonly id: string; readonly text: string };

export type WorkflowNode = Extract<TreeNode, { type: 'workflow' }>;
export type ExecutionNode = Extract<TreeNode, { type: 'execution' }>;
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

  constructor(public pageSize = 50, private readonly now: () => Date = () => new Date()) {}

  // ------------------------------------------------------------------ updates

  clear(): void {
    this.workflows = undefined;
    this.executions.clear();
    this.executionLists.clear();
    this.checkpointPages.clear();
  }

  setWorkflows(workflows: WorkflowInfo[]): void {
    this.workflows = [...workflows].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A page of a workflow's executions (newest first); `offset` 0 replaces what was there. */
  setExecutions(workflow: string, executions: ExecutionInfo[], offset: number, limit: number): void {
    if (offset === 0) {
      for (const [id, e] of this.executions) if (e.workflow === workflow) this.executions.delete(id);
    }
    for (const e of executions) this.executions.set(e.id, e);
    this.executionLists.set(workflow, { more: executions.length >= limit, loadedCount: offset + executions.length });
  }

  /** From `wtb/executionChanged` or a request's answer. Returns true when the tree changes. */
  upsertExecution(e: ExecutionInfo): boolean {
    const old = this.executions.get(e.id);
    this.executions.set(e.id, e);
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
        const roots = all.filter((e) => !e.parentId || !this.executions.has(e.parentId));
        const out: TreeNode[] = roots.map((e) => this.node('execution', e.id));
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
        return this.node('workflow', e.workflow);
      }
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
        const runs = this.loadedExecutionCount(node.workflow) || w?.runCount || 0;
        return {
          label: node.workflow,
          description: runs ? `${runs} run${runs === 1 ? '' : 's'}` : (w?.ref ?? ''),
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
        return {
          label: fmt.executionLabel(e),
          description: fmt.executionDescription(e, now),
          tooltip: fmt.executionTooltip(e, now),
          icon: fmt.statusIcon(e.status),
          contextValue: `wtbExecution.${e.status}${e.parentId ? '.fork' : ''}${this.pendingInterrupts(e.id).length ? '.asking' : ''}`,
          collapsible: this.expand.has(e.id) ? 'expanded' : 'collapsed',
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
          description: [fmt.checkpointDescription(cp, isHead, now), where, runs].filter(Boolean).join(' · '),
          tooltip: fmt.checkpointTooltip(cp, isHead),
          icon: isHead ? { id: 'debug-stackframe', color: 'charts.green' } : { id: 'circle-outline' },
          contextValue: isHead ? 'wtbCheckpoint.head' : 'wtbCheckpoint',
          collapsible: hasChildren ? 'collapsed' : 'none',
        };
      }
      case 'file': {
        const cp = this.checkpoint(node.executionId, node.checkpointId);
        const deleted = cp ? cp.outputFiles[node.path] === null : false;
        const slash = node.path.lastIndexOf('/');
        const base = node.path.slice(slash + 1);
        const dir = slash > 0 ? node.path.slice(0, slash) : '';
        return {
          label: base,
          description: [dir, deleted ? 'deleted' : ''].filter(Boolean).join(' · '),
          tooltip: `${node.path}${deleted ? ' (deleted at this step)' : ''}`,
          contextValue: deleted ? 'wtbFile.deleted' : 'wtbFile',
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

  private forksOf(executionId: string): ExecutionInfo[] {
    return [...this.executions.values()]
      .filter((e) => e.parentId === executionId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }
}
