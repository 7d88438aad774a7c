// Every command as a small factory `(env) => handler`. A handler takes what VS Code passes:
// a tree node (context menus, inline buttons; plus the selection for multi-select), a
// workflow name and options (the daemon's CodeLenses: `[workflow, options?]`), or nothing
// (the palette), in which case it asks with quick picks. main.ts registers them all.

import * as vscode from 'vscode';
import type { CheckpointTree } from './tree';
import type { GraphPanel } from './graph';
import type { GoldenTests } from './goldenTests';
import { bytes as fmtBytes, editableState, togglePause } from './regression';
import type { Ctx } from './ctx';
import * as p from './protocol';
import * as fmt from './format';
import { describeError, isRpcError } from './errors';
import { answerOrder, asNodeCandidates, parseAnswer, questionText, resumeValue } from './interrupts';
import { batchFileOptions, parseJsonObject, parseVariants, preview } from './inputs';
import { editJson, graphSchemas } from './stateEditor';
import { checkEdits } from './stateCheck';
import { pickCheckpoint, pickExecution, pickFile, pickInput, pickWorkflow, rememberInput } from './pickers';
import { toUri } from './contentProvider';
import { renderDoctor } from './doctor';
import type { TreeNode } from './treeModel';
import { shortId } from './uris';
import { type LateAction, staleReason } from './freshness';
import { batchSummary } from './runKinds';
import { rememberBatch } from './batches';
import { debugLaunch } from './debugConfig';

export interface Env {
  ctx: Ctx;
  tree: CheckpointTree;
  graph: GraphPanel;
  goldens: GoldenTests;
}

export type Handler = (...args: unknown[]) => Promise<unknown>;

// ------------------------------------------------------------------ arguments

export function asNode(arg: unknown): TreeNode | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const n = arg as Partial<TreeNode>;
  return typeof n.type === 'string' && typeof n.id === 'string' ? (arg as TreeNode) : undefined;
}

function asOptions(arg: unknown): p.JsonObject | undefined {
  return typeof arg === 'object' && arg !== null && !Array.isArray(arg) && !asNode(arg) ? (arg as p.JsonObject) : undefined;
}

interface Ref {
  executionId: string;
  checkpointId: string | null;
  step?: number | null;
}

async function executionOf(env: Env, executionId: string): Promise<p.ExecutionInfo> {
  const known = env.ctx.model.execution(executionId);
  if (known) return known;
  const e = await env.ctx.request(p.GET_EXECUTION, { executionId });
  env.ctx.model.upsertExecution(e);
  return e;
}

/** The workflow a command is about: a CodeLens argument, a tree node, or a pick. */
async function workflowArg(env: Env, arg: unknown, title?: string): Promise<string | undefined> {
  if (typeof arg === 'string' && arg) return arg;
  const node = asNode(arg);
  if (node?.type === 'workflow' || node?.type === 'batch') return node.workflow;
  if (node && 'executionId' in node) return (await executionOf(env, node.executionId)).workflow;
  return pickWorkflow(env.ctx, title);
}

/** The checkpoint a command is about: a checkpoint node, else a pick (within the node's execution or workflow). */
async function checkpointArg(env: Env, arg: unknown, title: string, opts: { headFromExecution?: boolean } = {}): Promise<Ref | undefined> {
  const node = asNode(arg);
  if (node?.type === 'checkpoint' || node?.type === 'file') {
    return { executionId: node.executionId, checkpointId: node.checkpointId, step: env.ctx.model.checkpoint(node.executionId, node.checkpointId)?.step };
  }
  let executionId: string | undefined;
  if (node?.type === 'execution') {
    if (opts.headFromExecution) return { executionId: node.executionId, checkpointId: null };
    executionId = node.executionId;
  } else {
    const workflow = typeof arg === 'string' ? arg : node?.type === 'workflow' ? node.workflow : undefined;
    executionId = (await pickExecution(env.ctx, { workflow, title }))?.id;
  }
  if (!executionId) return undefined;
  const cp = await pickCheckpoint(env.ctx, executionId, { title });
  return cp ? { executionId, checkpointId: cp.id, step: cp.step } : undefined;
}

async function executionArg(env: Env, arg: unknown, title: string, filter?: (e: p.ExecutionInfo) => boolean, emptyMessage?: string): Promise<p.ExecutionInfo | undefined> {
  const node = asNode(arg);
  if (node && 'executionId' in node) return executionOf(env, node.executionId);
  const workflow = typeof arg === 'string' ? arg : node?.type === 'workflow' ? node.workflow : undefined;
  return pickExecution(env.ctx, { workflow, filter, title, emptyMessage });
}

/**
 * The execution as the daemon has it now, when `action` still fits it; otherwise the reason
 * is shown (an info message: the moment for this action has passed) and undefined returned.
 * Toasts' buttons and menus read earlier land here, so they explain instead of acting.
 */
async function current(env: Env, executionId: string, action: LateAction): Promise<p.ExecutionInfo | undefined> {
  const e = await env.ctx.request(p.GET_EXECUTION, { executionId });
  if (env.ctx.model.upsertExecution(e)) env.tree.refresh();
  const why = staleReason(action, e, env.ctx.model.isUndoable(e.id));
  if (!why) return e;
  void vscode.window.showInformationMessage(`WTB: ${why}`);
  return undefined;
}

function stepOf(env: Env, ref: Ref): number | null {
  if (ref.step != null) return ref.step;
  if (!ref.checkpointId) return null;
  return env.ctx.model.checkpoint(ref.executionId, ref.checkpointId)?.step ?? null;
}

/** `fixer 08932b50 @ step 6`: the execution (workflow and short id) and the step, for titles and messages. */
function where(env: Env, ref: Ref): string {
  return fmt.checkpointTitle(env.ctx.model.execution(ref.executionId) ?? ref.executionId, stepOf(env, ref), ref.checkpointId);
}

/** `fixer 08932b50 @ step 5 ↔ step 6` (same execution), else both in full. */
function comparisonTitle(env: Env, a: Ref, b: Ref): string {
  const right = a.executionId === b.executionId ? where(env, b).replace(/^.* @ /, '') : where(env, b);
  return `${where(env, a)} ↔ ${right}`;
}

// ------------------------------------------------------------------ running

async function startRun(env: Env, title: string, workflow: string, send: (token: string) => Promise<p.ExecutionStarted>, resumes = false): Promise<p.ExecutionInfo> {
  const handle = env.ctx.runs.begin(title, workflow, undefined, { resumes });
  try {
    const started = await send(handle.token);
    env.ctx.model.upsertExecution(started.execution);
    handle.attach(started.execution);
    void env.tree.revealExecution(started.execution);
    return started.execution;
  } catch (e) {
    handle.finish();
    throw e;
  }
}

export const run = (env: Env): Handler => async (arg?: unknown, options?: unknown) => {
  if (!env.ctx.ensureTrusted('run workflows')) return;
  const workflow = await workflowArg(env, arg, 'WTB: run which workflow?');
  if (!workflow) return;
  const opts = asOptions(options) ?? {};
  // Any JSON value: an object for a StateGraph, a plain value for an @entrypoint (pickInput).
  let initialState: p.Json;
  if ('initialState' in opts) {
    initialState = (opts.initialState ?? null) as p.Json;
  } else {
    const input = await pickInput(env.ctx, workflow);
    if (!input) return;
    initialState = input.value;
  }
  await rememberInput(env.ctx, workflow, initialState);
  const pauses = pauseBeforeOf(env.ctx, workflow);
  const pause = pauses.length && !('pauseBefore' in opts) ? { pauseBefore: pauses } : {};
  return startRun(env, `WTB: ${workflow}`, workflow, (token) =>
    env.ctx.request(p.RUN, { ...pause, ...(opts as Partial<p.RunParams>), workflow, initialState, workDoneToken: token }));
};

/**
 * The view title's Run: VS Code hands a view-title command the tree's selected row, which made
 * it run whatever workflow was selected; this one always asks which workflow.
 */
export const runAsk = (env: Env): Handler => async () => run(env)();

export const resume = (env: Env): Handler => async (arg?: unknown, options?: unknown) => {
  if (!env.ctx.ensureTrusted('resume executions')) return;
  const picked = await executionArg(env, arg, 'WTB: resume which execution?', (x) => x.status === 'paused', 'WTB: no paused execution to resume (forks and pause points are paused).');
  const e = picked && await current(env, picked.id, 'resume');
  if (!e) return;
  const opts = asOptions(options) ?? {};
  return startRun(env, `WTB: ${e.workflow} ${fmt.executionLabel(e)}`, e.workflow, (token) =>
    env.ctx.request(p.RESUME, { ...(opts as Partial<p.ResumeParams>), executionId: e.id, workDoneToken: token }), true);
};

/**
 * `send`, and once more with the node the person picks when the daemon answers that a state
 * edit after a step of several nodes needs `asNode` (the error lists the candidates).
 * Undefined: the person dismissed the pick.
 */
async function withAsNode<T>(asNode: string | null | undefined, send: (asNode: string | null) => Promise<T>): Promise<T | undefined> {
  try {
    return await send(asNode ?? null);
  } catch (e) {
    const candidates = asNodeCandidates(e);
    if (!candidates?.length || asNode) throw e;
    const picked = await vscode.window.showQuickPick(candidates, {
      title: 'WTB: the state edit comes after a step that ran several nodes',
      placeHolder: 'Apply the edit as the output of which node?',
      ignoreFocusOut: true,
    });
    return picked ? send(picked) : undefined;
  }
}

/**
 * Answer the questions an execution waits on (`interrupt()`): one input box per question (the
 * clicked one first), each answer JSON when it parses, else text; then resume with the answer,
 * or with an object keyed by interrupt id when there are several.
 */
export const answer = (env: Env): Handler => async (arg?: unknown) => {
  if (!env.ctx.ensureTrusted('resume executions')) return;
  const node = asNode(arg);
  const e = await executionArg(env, arg, 'WTB: answer the questions of which execution?',
    (x) => x.status === 'paused' && (x.interrupts ?? []).length > 0, 'WTB: no execution waits on a question.');
  if (!e) return;
  const now = await current(env, e.id, 'answer');
  if (!now) return;
  const pending = now.interrupts ?? [];
  const answers = new Map<string, unknown>();
  const order = answerOrder(pending, node?.type === 'interrupt' ? node.interruptId : undefined);
  for (const [i, q] of order.entries()) {
    const text = await vscode.window.showInputBox({
      title: `WTB: ${q.node ?? 'a node'} asks${order.length > 1 ? ` (${i + 1} of ${order.length})` : ''}`,
      prompt: questionText(q.value, 500),
      placeHolder: 'Your answer: JSON (42, true, {"key": "value"}) or plain text',
      ignoreFocusOut: true,
    });
    if (text === undefined) return;
    answers.set(q.id, parseAnswer(text));
  }
  return startRun(env, `WTB: ${now.workflow} ${fmt.executionLabel(now)}`, now.workflow, (token) =>
    env.ctx.request(p.RESUME, { executionId: now.id, resumeValue: resumeValue(pending, answers), workDoneToken: token }), true);
};

export const cancel = (env: Env): Handler => async (arg?: unknown) => {
  const picked = await executionArg(env, arg, 'WTB: cancel which execution?', (x) => x.status === 'running' || x.status === 'pending', 'WTB: no execution is running.');
  const e = picked && await current(env, picked.id, 'cancel');
  if (!e) return;
  const result = await env.ctx.request(p.CANCEL, { executionId: e.id });
  env.ctx.model.upsertExecution(result.execution);
  env.tree.refresh();
  if (!result.wasRunning) void vscode.window.showInformationMessage(`WTB: ${fmt.executionLabel(e)} was not running (${result.execution.status}).`);
};

export const fork = (env: Env): Handler => async (arg?: unknown, options?: unknown) => {
  if (!env.ctx.ensureTrusted('fork executions')) return;
  const opts = asOptions(options) ?? {};
  let ref: Ref | undefined;
  if (typeof opts.executionId === 'string') {
    ref = { executionId: opts.executionId, checkpointId: typeof opts.checkpointId === 'string' ? opts.checkpointId : null };
  } else {
    ref = await checkpointArg(env, arg, 'WTB: fork from which checkpoint?');
  }
  if (!ref) return;
  let stateUpdates = (opts.stateUpdates ?? undefined) as p.JsonObject | null | undefined;
  if (stateUpdates === undefined) {
    // The state at the checkpoint in a JSON editor: change values, save to fork (checked first).
    const state = await env.ctx.request(p.GET_STATE, { executionId: ref.executionId, checkpointId: ref.checkpointId });
    const step = stepOf(env, ref);
    const { workflow } = await executionOf(env, ref.executionId);
    const edits = await editState(env, workflow, {
      original: editableState(state.values),
      fileName: `${shortId(ref.executionId)}@${step ?? (ref.checkpointId ? shortId(ref.checkpointId) : 'head')}.fork.json`,
      message: `WTB: fork ${where(env, ref)}: change the state in the editor, then save to fork with the changes.`,
      accept: 'Fork with Changes',
      also: 'Fork as Is',
    });
    if (edits === undefined) return;
    stateUpdates = edits;
  }
  const params: p.ForkParams = { ...(opts as Partial<p.ForkParams>), executionId: ref.executionId, checkpointId: ref.checkpointId, stateUpdates };
  let forked: p.ExecutionInfo;
  if (params.run) {
    const parent = await executionOf(env, ref.executionId);
    const done = await withAsNode(params.asNode, (asNode) =>
      startRun(env, `WTB: fork of ${parent.workflow}`, parent.workflow, (token) => env.ctx.request(p.FORK, { ...params, asNode, workDoneToken: token }), true));
    if (!done) return;
    forked = done;
  } else {
    const started = await withAsNode(params.asNode, (asNode) => env.ctx.request(p.FORK, { ...params, asNode }));
    if (!started) return;
    forked = started.execution;
    env.ctx.model.upsertExecution(forked);
    await env.tree.revealExecution(forked);
    // The button may be pressed long after: wtb.resume reads the fork again and explains when it is no longer paused.
    void vscode.window.showInformationMessage(
      `WTB: forked ${where(env, ref)} as ${fmt.executionLabel(forked)}${stateUpdates ? ` with ${preview(stateUpdates, 40)}` : ''}; it is paused until resumed.`, 'Resume',
    ).then((pick) => pick && vscode.commands.executeCommand('wtb.resume', env.ctx.model.node('execution', forked.id)));
  }
  return forked;
};

export const batch = (env: Env): Handler => async (arg?: unknown, options?: unknown) => {
  if (!env.ctx.ensureTrusted('run batches')) return;
  const node = asNode(arg);
  const workflow = await workflowArg(env, arg, 'WTB: batch-run which workflow?');
  if (!workflow) return;
  let opts = asOptions(options) ?? {};
  let variants = opts.variants as p.BatchVariant[] | undefined;
  if (!variants) {
    const files = await vscode.workspace.findFiles('**/*batch*.json', '{**/node_modules/**,**/.wtb/**}', 20);
    type Choice = { uri: vscode.Uri } | { type: true };
    const items: (vscode.QuickPickItem & { value: Choice })[] = [
      ...files.map((uri) => ({ label: `$(file) ${vscode.workspace.asRelativePath(uri)}`, description: 'variants from file', value: { uri } })),
      { label: '$(edit) Type the variants as JSON…', value: { type: true as const } },
    ];
    const choice = await vscode.window.showQuickPick(items, { title: `WTB: variants for ${workflow}`, ignoreFocusOut: true });
    if (!choice) return;
    let text: string | undefined;
    if ('uri' in choice.value) {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(choice.value.uri));
    } else {
      text = await vscode.window.showInputBox({
        title: `WTB: variants for ${workflow}`,
        prompt: 'A JSON array of variants, each {"name", "initialState", "config", "stateUpdates", "nodeOverrides"} (or plain initial states)',
        value: '[{"name": "a", "initialState": {}}, {"name": "b", "initialState": {}}]',
        validateInput: (t) => { const r = parseVariants(t); return r.ok ? undefined : r.message; },
        ignoreFocusOut: true,
      });
    }
    if (text === undefined) return;
    const parsed = parseVariants(text);
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(`WTB: ${parsed.message}`);
      return;
    }
    variants = parsed.value;
    opts = { ...batchFileOptions(text), ...opts };
  }
  const fromCheckpoint = node?.type === 'checkpoint' ? { executionId: node.executionId, checkpointId: node.checkpointId } : (opts.fromCheckpoint as p.CheckpointRef | undefined) ?? null;
  const cancel = new vscode.CancellationTokenSource();
  const handle = env.ctx.runs.begin(`WTB: batch of ${workflow} (${variants.length} variants)`, workflow, () => cancel.cancel());
  try {
    const result = await env.ctx.request(p.BATCH, { ...(opts as Partial<p.BatchParams>), workflow, variants, fromCheckpoint, workDoneToken: handle.token }, cancel.token);
    for (const e of result.executions) env.ctx.model.upsertExecution(e);
    env.tree.refresh();
    // What the variants did, counted by status ("2 completed, 1 failed"), not the batch's overall word.
    const said = `WTB: batch ${shortId(result.batchId)} of ${workflow}: ${batchSummary(result.executions)}.`;
    await rememberBatch(env.ctx, result.batchId, result.summary);
    const show = result.executions.some((e) => e.status === 'failed') ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(said, 'Show Summary', 'Compare Variants').then((pick) => {
      if (pick === 'Show Summary') void vscode.commands.executeCommand('wtb.showBatchSummary', { batchId: result.batchId, workflow });
      else if (pick === 'Compare Variants') void vscode.commands.executeCommand('wtb.compareVariants', { batchId: result.batchId });
    });
    return result;
  } catch (e) {
    if (isRpcError(e) && e.code === p.NOT_AVAILABLE) {
      void vscode.window.showWarningMessage(`WTB: batches are not available from this daemon yet (${describeError(e)}).`);
      return;
    }
    throw e;
  } finally {
    handle.finish();
    cancel.dispose();
  }
};

/**
 * A batch's variants side by side: each variant's head against the first variant's (state and
 * the files that differ, with their contents), in one comparison editor.
 */
export const compareVariants = (env: Env): Handler => async (arg?: unknown) => {
  const given = typeof arg === 'object' && arg !== null && typeof (arg as { batchId?: unknown }).batchId === 'string' ? (arg as { batchId: string }).batchId : undefined;
  let batchId = given;
  if (!batchId) {
    const batches = [...new Set(env.ctx.model.executionsOf().map((e) => e.batchId).filter((b): b is string => !!b))];
    if (!batches.length) {
      void vscode.window.showInformationMessage('WTB: no batch to compare (run one with "WTB: Run Batch").');
      return;
    }
    batchId = batches.length === 1 ? batches[0] : (await vscode.window.showQuickPick(batches.map((b) => ({
      label: `batch ${shortId(b)}`, description: batchSummary(env.ctx.model.variants(b)), batchId: b,
    })), { title: 'WTB: compare the variants of which batch?' }))?.batchId;
  }
  if (!batchId) return;
  const variants = env.ctx.model.variants(batchId);
  if (variants.length < 2) {
    void vscode.window.showInformationMessage(`WTB: batch ${shortId(batchId)} has ${variants.length} variant${variants.length === 1 ? '' : 's'}: nothing to compare.`);
    return;
  }
  const [base, ...others] = variants;
  const entries: [vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined][] = [];
  for (const other of others) {
    const shared = `${fmt.executionLabel(base!)} ↔ ${fmt.executionLabel(other)}`;
    const a: Ref = { executionId: base!.id, checkpointId: base!.headCheckpointId };
    const b: Ref = { executionId: other.id, checkpointId: other.headCheckpointId };
    const diff = await env.ctx.request(p.DIFF, { a, b });
    const state = (ref: Ref) => toUri({ kind: 'state', executionId: ref.executionId, checkpointId: ref.checkpointId }, { shared });
    const file = (ref: Ref, path: string) => toUri({ kind: 'file', executionId: ref.executionId, checkpointId: ref.checkpointId, path }, { missingOk: true, shared });
    entries.push([state(b), state(a), state(b)]);
    for (const path of Object.keys(diff.files.modified).sort()) entries.push([file(b, path), file(a, path), file(b, path)]);
    for (const path of Object.keys(diff.files.added).sort()) entries.push([file(b, path), undefined, file(b, path)]);
    for (const path of Object.keys(diff.files.removed).sort()) entries.push([file(a, path), file(a, path), undefined]);
  }
  await vscode.commands.executeCommand('vscode.changes', `WTB: batch ${shortId(batchId)} (${batchSummary(variants)}): variants against ${fmt.executionLabel(base!)}`, entries);
};

/**
 * The batch's comparison as a table (Markdown preview): variants with status, time and error,
 * the state keys and files that differ, node timings. Durations and the comparison are known
 * for batches run in this editor (the daemon has no request for a past batch's record).
 */
export const showBatchSummary = (env: Env): Handler => async (arg?: unknown) => {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { batchId?: unknown; workflow?: unknown };
  const batchId = typeof a.batchId === 'string' ? a.batchId : undefined;
  if (!batchId) {
    void vscode.window.showInformationMessage('WTB: pick a batch in the Checkpoints view (its row has "Show Batch Summary").');
    return;
  }
  const workflow = typeof a.workflow === 'string' ? a.workflow : env.ctx.model.variants(batchId)[0]?.workflow ?? '';
  // A read-only `wtb:` document (no untitled file left to save), shown as a Markdown preview.
  const uri = toUri({ kind: 'batch', batchId, workflow });
  await vscode.commands.executeCommand('markdown.showPreview', uri);
};

/** The CodeLens "Debug": a session of the `wtb` debugger on the workflow (docs/debugging.md). */
export const debug = (env: Env): Handler => async (arg?: unknown) => {
  if (!env.ctx.ensureTrusted('debug a workflow')) return;
  const workflow = await workflowArg(env, arg, 'WTB: debug which workflow?');
  if (!workflow) return;
  await vscode.debug.startDebugging(env.ctx.workspaceFolder, debugLaunch(workflow));
};

export const history = (env: Env): Handler => async (arg?: unknown) => {
  const workflow = await workflowArg(env, arg, 'WTB: history of which workflow?');
  if (!workflow) return;
  await vscode.commands.executeCommand('wtb.checkpoints.focus');
  await env.tree.revealWorkflow(workflow);
};

// ------------------------------------------------------------------ rollback

export const rollback = (env: Env): Handler => async (arg?: unknown) => {
  if (!env.ctx.ensureTrusted('roll back workspace files')) return;
  const ref = await checkpointArg(env, arg, 'WTB: roll back to which checkpoint?');
  if (!ref?.checkpointId) return;
  const plan = await env.ctx.request(p.PLAN_ROLLBACK, { executionId: ref.executionId, checkpointId: ref.checkpointId });
  const cp = env.ctx.model.checkpoint(ref.executionId, ref.checkpointId);
  const label = cp ? fmt.checkpointLabel(cp) : shortId(ref.checkpointId);
  const e = await executionOf(env, ref.executionId);
  const total = plan.writes.length + plan.deletes.length;
  const answer = await vscode.window.showWarningMessage(
    `Roll back ${fmt.executionLabel(e)} to ${label}? ${total === 0 ? 'No workspace file will change.' : `${fmt.fileCount(total)} will change.`}`,
    { modal: true, detail: `${fmt.rollbackSummary(plan.writes, plan.deletes, plan.skipped)}\n\nThe execution's head moves to this checkpoint. Nothing is deleted from the history; "WTB: Undo Rollback" restores the files as they are now.` },
    'Roll Back',
  );
  if (answer !== 'Roll Back') return;
  const result = await env.ctx.request(p.ROLLBACK, { executionId: ref.executionId, checkpointId: ref.checkpointId });
  env.ctx.setUndoable(ref.executionId, true);
  env.tree.refresh();
  // "Undo" pressed after the undo (or after another run) explains instead of acting (wtb.undoRollback reads the execution again).
  void vscode.window.showInformationMessage(
    `WTB: rolled back ${fmt.executionLabel(e)} to ${label}: ${fmt.fileCount(result.filesWritten.length)} written, ${result.filesRemoved.length} removed.`, 'Undo',
  ).then((pick) => pick && vscode.commands.executeCommand('wtb.undoRollback', env.ctx.model.node('execution', ref.executionId)));
  return result;
};

export const undoRollback = (env: Env): Handler => async (arg?: unknown) => {
  if (!env.ctx.ensureTrusted('restore workspace files')) return;
  const picked = await executionArg(env, arg, 'WTB: undo the last rollback of which execution?', (x) => env.ctx.model.isUndoable(x.id),
    'WTB: no rollback to undo (Undo Rollback is offered after a rollback made here, until it is undone or the execution runs again).');
  const e = picked && await current(env, picked.id, 'undoRollback');
  if (!e) return;
  let result: p.RollbackResult;
  try {
    result = await env.ctx.request(p.UNDO_ROLLBACK, { executionId: e.id });
  } catch (err) {
    if (!isRpcError(err) || err.code !== p.INVALID_STATE) throw err;
    env.ctx.setUndoable(e.id, false);
    env.tree.refresh();
    void vscode.window.showInformationMessage(`WTB: ${describeError(err)}`);
    return;
  }
  env.ctx.setUndoable(e.id, false);
  env.tree.refresh();
  void vscode.window.showInformationMessage(`WTB: undid the rollback of ${fmt.executionLabel(e)}: ${fmt.fileCount(result.filesWritten.length)} written, ${result.filesRemoved.length} removed.`);
  return result;
};

// ------------------------------------------------------------------ looking

export const showState = (env: Env): Handler => async (arg?: unknown) => {
  const ref = await checkpointArg(env, arg, 'WTB: show the state at which checkpoint?', { headFromExecution: true });
  if (!ref) return;
  const uri = toUri({ kind: 'state', executionId: ref.executionId, checkpointId: ref.checkpointId, step: stepOf(env, ref), title: where(env, ref) });
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.languageId !== 'json') await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: false });
};

/** State and every changed file between two checkpoints, in VS Code's (multi-)diff editor. */
async function openComparison(env: Env, a: Ref, b: Ref): Promise<void> {
  const diff = await env.ctx.request(p.DIFF, { a: { executionId: a.executionId, checkpointId: a.checkpointId }, b: { executionId: b.executionId, checkpointId: b.checkpointId } });
  const title = comparisonTitle(env, a, b);
  // Both sides share one path (the comparison's name as the folder): no rename look. A file the
  // step created has no left side, one it deleted no right side (VS Code marks them A and D).
  const shared = title;
  const stateA = toUri({ kind: 'state', executionId: a.executionId, checkpointId: a.checkpointId, step: stepOf(env, a) }, { shared });
  const stateB = toUri({ kind: 'state', executionId: b.executionId, checkpointId: b.checkpointId, step: stepOf(env, b) }, { shared });
  const file = (ref: Ref, path: string) => toUri({ kind: 'file', executionId: ref.executionId, checkpointId: ref.checkpointId, path, step: stepOf(env, ref) }, { missingOk: true, shared });
  const entries: [vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined][] = [[stateB, stateA, stateB]];
  for (const path of Object.keys(diff.files.modified).sort()) entries.push([file(b, path), file(a, path), file(b, path)]);
  for (const path of Object.keys(diff.files.added).sort()) entries.push([file(b, path), undefined, file(b, path)]);
  for (const path of Object.keys(diff.files.removed).sort()) entries.push([file(a, path), file(a, path), undefined]);
  try {
    await vscode.commands.executeCommand('vscode.changes', `WTB: ${title}`, entries);
  } catch (e) {
    env.ctx.output.warn(`vscode.changes failed (${describeError(e)}); opening the state diff alone`);
    await vscode.commands.executeCommand('vscode.diff', stateA, stateB, `WTB state: ${title}`);
  }
}

export const compareWithPrevious = (env: Env): Handler => async (arg?: unknown) => {
  const node = asNode(arg);
  const ref = await checkpointArg(env, arg, 'WTB: compare which checkpoint with the previous one?');
  if (!ref?.checkpointId) return;
  if (!env.ctx.model.hasCheckpoints(ref.executionId)) {
    env.ctx.model.setCheckpoints(ref.executionId, await env.ctx.request(p.LIST_CHECKPOINTS, { executionId: ref.executionId, limit: 1000 }), false);
  }
  const prev = env.ctx.model.previous(ref.executionId, ref.checkpointId);
  if (!prev) {
    void vscode.window.showInformationMessage('WTB: this is the first checkpoint; there is nothing before it.');
    return;
  }
  const a: Ref = { executionId: prev.executionId, checkpointId: prev.checkpointId };
  if (node?.type === 'file') {
    const shared = comparisonTitle(env, a, ref);
    const left = toUri({ kind: 'file', executionId: a.executionId, checkpointId: a.checkpointId, path: node.path, step: stepOf(env, a) }, { missingOk: true, shared });
    const right = toUri({ kind: 'file', executionId: ref.executionId, checkpointId: ref.checkpointId, path: node.path, step: stepOf(env, ref) }, { missingOk: true, shared });
    await vscode.commands.executeCommand('vscode.diff', left, right, `${node.path} (${shared})`);
    return;
  }
  await openComparison(env, a, ref);
};

export const compareCheckpoints = (env: Env): Handler => async (arg?: unknown, selection?: unknown) => {
  const selected = (Array.isArray(selection) ? selection : []).map(asNode).filter((n): n is Extract<TreeNode, { type: 'checkpoint' }> => n?.type === 'checkpoint');
  let a: Ref | undefined;
  let b: Ref | undefined;
  if (selected.length === 2) {
    [a, b] = selected.map((n) => ({ executionId: n.executionId, checkpointId: n.checkpointId, step: env.ctx.model.checkpoint(n.executionId, n.checkpointId)?.step }));
    if ((a!.step ?? 0) > (b!.step ?? 0)) [a, b] = [b, a];
  } else {
    a = await checkpointArg(env, arg, 'WTB: compare — first checkpoint');
    if (!a) return;
    const sameExecution = `$(list-flat) Another checkpoint of ${where(env, { ...a, checkpointId: null })}`;
    const other = '$(list-tree) A checkpoint of another execution…';
    const where2 = await vscode.window.showQuickPick([sameExecution, other], { title: 'WTB: compare with…', ignoreFocusOut: true });
    if (!where2) return;
    const executionId = where2 === other ? (await pickExecution(env.ctx, { title: 'WTB: compare — second execution' }))?.id : a.executionId;
    if (!executionId) return;
    const cp = await pickCheckpoint(env.ctx, executionId, { title: 'WTB: compare — second checkpoint', exclude: a.checkpointId ?? undefined });
    if (!cp) return;
    b = { executionId, checkpointId: cp.id, step: cp.step };
  }
  await openComparison(env, a!, b!);
};

export const openFileAtCheckpoint = (env: Env): Handler => async (arg?: unknown) => {
  const node = asNode(arg);
  let ref: Ref | undefined;
  let path: string | undefined;
  if (node?.type === 'file') {
    ref = { executionId: node.executionId, checkpointId: node.checkpointId };
    path = node.path;
    const cp = env.ctx.model.checkpoint(node.executionId, node.checkpointId);
    if (cp?.outputFiles[node.path] === null) {
      await compareWithPrevious(env)(node); // deleted at this step: show what it was
      return;
    }
  } else {
    ref = await checkpointArg(env, arg, 'WTB: open a file at which checkpoint?', { headFromExecution: true });
    if (!ref) return;
    path = await pickFile(env.ctx, ref.executionId, ref.checkpointId);
  }
  if (!path) return;
  const uri = toUri({ kind: 'file', executionId: ref.executionId, checkpointId: ref.checkpointId, path, step: stepOf(env, ref), title: where(env, ref) });
  await vscode.window.showTextDocument(uri, { preview: true });
};

export const showGraph = (env: Env): Handler => async (arg?: unknown) => {
  if (!env.ctx.ensureTrusted('import workflow code to draw its graph')) return;
  const node = asNode(arg) ?? env.tree.view.selection[0];
  const workflow = await workflowArg(env, node ?? arg, 'WTB: show the graph of which workflow?');
  if (!workflow) return;
  await env.graph.show(workflow, node);
};

// ------------------------------------------------------------------ housekeeping

export const refresh = (env: Env): Handler => async () => {
  env.tree.reload();
  await Promise.resolve();
};

export const restartServer = (env: Env): Handler => async () => {
  await env.ctx.restart();
};

export const chooseFolder = (env: Env): Handler => async () => {
  await env.ctx.chooseFolder();
  env.tree.reload();
};

export const showLogs = (env: Env): Handler => async () => {
  env.ctx.output.show(true);
  await Promise.resolve();
};

/** What `wtb doctor` prints, in the WTB output channel (the status item runs it while the file watcher is off). */
export const doctor = (env: Env): Handler => async () => {
  const result = await env.ctx.doctor();
  env.ctx.output.info(`WTB doctor:\n${renderDoctor(result)}`);
  env.ctx.output.show(true);
  return result;
};

export const openDocs = (env: Env): Handler => async () => {
  const readme = vscode.Uri.joinPath(env.ctx.extension.extensionUri, 'extension', 'README.md');
  await vscode.commands.executeCommand('markdown.showPreview', readme);
};

export const loadMore = (env: Env): Handler => async (arg?: unknown) => {
  const node = asNode(arg);
  if (node) await env.tree.loadMore(node);
};

// ------------------------------------------------------------------ pause points

const PAUSE_KEY = 'wtb.pauseBefore';

/** The nodes a workflow's runs pause before (kept per workspace). */
export function pauseBeforeOf(ctx: Ctx, workflow: string): string[] {
  const all = ctx.extension.workspaceState.get<Record<string, string[]>>(PAUSE_KEY, {});
  return Array.isArray(all[workflow]) ? all[workflow] : [];
}

export const togglePauseBefore = (env: Env): Handler => async (arg?: unknown, nodeArg?: unknown) => {
  const workflow = await workflowArg(env, arg, 'WTB: pause before a node of which workflow?');
  if (!workflow) return;
  const current = pauseBeforeOf(env.ctx, workflow);
  let node = typeof nodeArg === 'string' ? nodeArg : undefined;
  if (!node) {
    const graph = await env.ctx.request(p.GET_GRAPH, { workflow });
    const items = graph.nodes.filter((n) => !n.id.startsWith('__')).map((n) => ({
      label: n.id,
      iconPath: new vscode.ThemeIcon(current.includes(n.id) ? 'debug-breakpoint' : 'circle-outline'),
      description: current.includes(n.id) ? 'pauses before (pick to remove)' : '',
    }));
    const pick = await vscode.window.showQuickPick(items, { title: `WTB: toggle "pause before" in ${workflow}`, placeHolder: 'Pick a node: runs of this workflow stop before it' });
    node = pick?.label;
  }
  if (!node) return;
  const next = togglePause(current, node);
  const all = { ...env.ctx.extension.workspaceState.get<Record<string, string[]>>(PAUSE_KEY, {}), [workflow]: next };
  await env.ctx.extension.workspaceState.update(PAUSE_KEY, all);
  env.tree.refresh();
  // "runs … pause" (plural), where the workflow row says "pauses before" of the workflow.
  void vscode.window.showInformationMessage(next.length ? `WTB: runs of ${workflow} now pause before ${next.join(', ')}.` : `WTB: runs of ${workflow} no longer pause.`);
  return next;
};

/**
 * The head state of a paused execution as a JSON file (in the extension's storage); saving it
 * (or "Resume with Edits") resumes the execution with the keys that changed.
 */
export const editStateAndResume = (env: Env): Handler => async (arg?: unknown) => {
  if (!env.ctx.ensureTrusted('resume executions')) return;
  const picked = await executionArg(env, arg, 'WTB: edit the state of which paused execution?', (x) => x.status === 'paused', 'WTB: no paused execution.');
  const e = picked && await current(env, picked.id, 'editState');
  if (!e) return;
  const state = await env.ctx.request(p.GET_STATE, { executionId: e.id, checkpointId: null });
  const edits = await editState(env, e.workflow, {
    original: editableState(state.values),
    fileName: `${shortId(e.id)}.state.json`,
    message: `WTB: edit the state of ${fmt.executionLabel(e)}${e.nextNodes.length ? ` (next: ${e.nextNodes.join(', ')})` : ''}; save the file to resume with the edits.`,
    accept: 'Resume with Edits',
  });
  if (edits === undefined) return;
  return withAsNode(null, (asNode) => startRun(env, `WTB: ${e.workflow} ${fmt.executionLabel(e)}`, e.workflow, (token) =>
    env.ctx.request(p.RESUME, { executionId: e.id, stateUpdates: edits, asNode, workDoneToken: token }), true));
};

/**
 * The keys a person changed in the state, checked first against the workflow's state schema
 * (fetched while the editor is open; see `editJson`); null: none, undefined: cancelled.
 */
async function editState(env: Env, workflow: string, o: { original: p.JsonObject; fileName: string; message: string; accept: string; also?: string }): Promise<p.JsonObject | null | undefined> {
  const schemas = graphSchemas(env.ctx, workflow);
  return (await editJson(env.ctx, { ...o, parse: parseJsonObject, check: async (_value, edits) => checkEdits(o.original, edits, (await schemas).stateSchema) }))?.edits;
}

// ------------------------------------------------------------------ goldens, storage

export const markGolden = (env: Env): Handler => async (arg?: unknown) => {
  const e = await executionArg(env, arg, 'WTB: mark which completed execution as golden?', (x) => x.status === 'completed', 'WTB: no completed execution.');
  if (!e) return;
  const golden = await env.ctx.request(p.MARK_GOLDEN, { executionId: e.id });
  env.goldens.item(golden);
  await env.goldens.load(); // the tree marks the golden run
  void vscode.window.showInformationMessage(`WTB: ${fmt.executionLabel(e)} is the golden run of ${golden.name}.`, 'Check Against Golden')
    .then((pick) => pick && vscode.commands.executeCommand('wtb.checkGolden', golden.workflow));
  return golden;
};

export const checkGolden = (env: Env): Handler => async (arg?: unknown) => {
  if (!env.ctx.ensureTrusted('check against goldens')) return;
  const goldens = await env.goldens.load();
  if (!goldens.length) {
    void vscode.window.showInformationMessage('WTB: no golden run yet: mark a completed execution as golden first ("WTB: Mark as Golden").');
    return;
  }
  let workflow = typeof arg === 'string' ? arg : undefined;
  const node = asNode(arg);
  if (node?.type === 'workflow') workflow = node.workflow;
  else if (node && 'executionId' in node) workflow = (await executionOf(env, node.executionId)).workflow;
  let golden = goldens.find((g) => g.name === workflow) ?? goldens.find((g) => g.workflow === workflow);
  if (!golden) {
    const pick = await vscode.window.showQuickPick(goldens.map((g) => ({ label: g.name, description: `${g.workflow} · run ${shortId(g.executionId)}`, golden: g })), { title: 'WTB: check against which golden?' });
    golden = pick?.golden;
  }
  if (!golden) return;
  const chosen = golden;
  // The daemon reports the check's progress itself (server-initiated work-done progress).
  const result = await env.goldens.check(chosen);
  if (!result) return;
  if (result.passed) {
    void vscode.window.showInformationMessage(`WTB: ${chosen.workflow} matches golden ${chosen.name} (${result.checkpointsCompared} checkpoints).`);
  } else {
    const d = result.divergence;
    const actions = d?.checkpointId ? ['Show Differences', 'Show Test Results'] : ['Show Test Results'];
    void vscode.window.showWarningMessage(`WTB: ${chosen.workflow} diverged from golden ${chosen.name}${d ? ` at step ${d.step}${d.node ? ` (${d.node})` : ''}: ${d.kind} ${d.name}` : ''}.`, ...actions)
      .then(async (pick) => {
        if (pick === 'Show Test Results') await vscode.commands.executeCommand('workbench.view.testing.focus');
        else if (pick === 'Show Differences' && d?.checkpointId) await compareWithGolden(env, result, d);
      });
  }
  return result;
};

/**
 * The golden run's checkpoint where a check diverged beside the new run's checkpoint of the same
 * step: state and files with their contents, in the comparison editor.
 */
async function compareWithGolden(env: Env, result: p.CheckResultInfo, d: p.DivergenceInfo): Promise<void> {
  const { checkpoints } = await env.ctx.request(p.LIST_CHECKPOINTS, { executionId: result.executionId, limit: 1000 });
  const same = checkpoints.find((c) => c.step === d.step && !c.namespace && (c.source === 'loop' || c.source === 'input'));
  if (!same || !d.checkpointId) {
    void vscode.window.showInformationMessage(`WTB: the new run has no step ${d.step} to compare with the golden run's.`);
    return;
  }
  for (const id of [result.goldenExecutionId, result.executionId]) await executionOf(env, id);
  await openComparison(env, { executionId: result.goldenExecutionId, checkpointId: d.checkpointId, step: d.step },
    { executionId: result.executionId, checkpointId: same.id, step: same.step });
}

export const prune = (env: Env): Handler => async (arg?: unknown) => {
  const opts = asOptions(arg);
  let params: p.PruneParams | undefined = opts;
  if (!params) {
    const pick = await vscode.window.showQuickPick([
      { label: 'Keep the last 10 runs of each workflow', params: { keepLast: 10 } },
      { label: 'Keep the last 3 runs of each workflow', params: { keepLast: 3 } },
      { label: 'Delete runs older than 7 days', params: { olderThanS: 7 * 86400 } },
      { label: 'Delete runs older than 1 day', params: { olderThanS: 86400 } },
    ], { title: 'WTB: prune old executions (golden runs and forks of kept runs are kept)' });
    if (!pick) return;
    const ok = await vscode.window.showWarningMessage(`WTB: ${pick.label.toLowerCase()}? Deleted executions and their checkpoints cannot be restored.`, { modal: true }, 'Prune');
    if (ok !== 'Prune') return;
    params = pick.params;
  }
  const result = await env.ctx.request(p.PRUNE, params);
  env.tree.reload();
  void env.tree.refreshStorage();
  void vscode.window.showInformationMessage(`WTB: pruned ${result.deleted.length} execution${result.deleted.length === 1 ? '' : 's'} (${result.kept} kept, ${result.blobsRemoved} blobs, ${fmtBytes(result.bytesFreed)} freed).`);
  return result;
};
