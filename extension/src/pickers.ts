// Quick picks that commands fall back to when they are run from the palette (no tree node or
// CodeLens argument): a workflow, an execution, a checkpoint, a file at a checkpoint, a run's input.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import * as fmt from './format';
import { isInputLike, parseJsonObject, preview } from './inputs';
import { checkInput } from './stateCheck';
import { editJson, graphSchemas } from './stateEditor';
import { shortId } from './uris';

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

async function pick<T>(items: Item<T>[], options: vscode.QuickPickOptions): Promise<T | undefined> {
  if (items.length === 0) return undefined;
  const chosen = await vscode.window.showQuickPick(items, { ignoreFocusOut: true, matchOnDescription: true, ...options });
  return chosen?.value;
}

export async function pickWorkflow(ctx: Ctx, title = 'WTB: choose a workflow'): Promise<string | undefined> {
  const { workflows } = await ctx.request(p.LIST_WORKFLOWS, {});
  if (workflows.length === 0) {
    void vscode.window.showInformationMessage('WTB found no workflow in this workspace (langgraph.json or [tool.wtb.workflows] in pyproject.toml).');
    return undefined;
  }
  ctx.model.setWorkflows(workflows);
  return pick(workflows.map((w) => ({ label: w.name, description: w.ref ?? '', detail: w.runCount ? fmt.plural(w.runCount, 'run') : undefined, value: w.name })),
    { title, placeHolder: 'Workflow' });
}

export async function pickExecution(
  ctx: Ctx,
  opts: { workflow?: string; filter?: (e: p.ExecutionInfo) => boolean; title?: string; emptyMessage?: string } = {},
): Promise<p.ExecutionInfo | undefined> {
  const { executions } = await ctx.request(p.LIST_EXECUTIONS, { workflow: opts.workflow ?? null, limit: 200, offset: 0 });
  const list = opts.filter ? executions.filter(opts.filter) : executions;
  if (list.length === 0) {
    void vscode.window.showInformationMessage(opts.emptyMessage ?? 'WTB: no execution to choose from.');
    return undefined;
  }
  return pick(list.map((e) => ({
    label: `$(${fmt.statusIcon(e.status).id}) ${e.workflow} · ${fmt.executionLabel(e)}`,
    description: fmt.executionDescription(e),
    value: e,
  })), { title: opts.title ?? 'WTB: choose an execution', placeHolder: 'Execution' });
}

export async function pickCheckpoint(
  ctx: Ctx,
  executionId: string,
  opts: { title?: string; exclude?: string } = {},
): Promise<p.CheckpointInfo | undefined> {
  const { checkpoints } = await ctx.request(p.LIST_CHECKPOINTS, { executionId, limit: 1000 });
  const e = ctx.model.execution(executionId) ?? (await ctx.request(p.GET_EXECUTION, { executionId }));
  const head = e.headCheckpointId ?? checkpoints[0]?.id;
  const list = checkpoints.filter((c) => c.id !== opts.exclude);
  if (list.length === 0) {
    void vscode.window.showInformationMessage('WTB: this execution has no checkpoint to choose from.');
    return undefined;
  }
  return pick(list.map((c) => ({
    label: fmt.checkpointLabel(c),
    description: fmt.checkpointDescription(c, c.id === head),
    detail: shortId(c.id),
    value: c,
  })), { title: opts.title ?? 'WTB: choose a checkpoint', placeHolder: 'Checkpoint' });
}

export async function pickFile(ctx: Ctx, executionId: string, checkpointId: string | null): Promise<string | undefined> {
  const { files } = await ctx.request(p.LIST_FILES, { executionId, checkpointId });
  if (files.length === 0) {
    void vscode.window.showInformationMessage('WTB: no tracked file at this checkpoint.');
    return undefined;
  }
  return pick(files.map((f) => ({ label: f.path, description: f.kind === 'file' ? `${f.size} bytes` : f.kind, value: f.path })),
    { title: 'WTB: open a file at this checkpoint', placeHolder: 'File' });
}

const LAST_INPUT_KEY = 'wtb.lastInput';

/** The remembered input of the last run of a workflow (workspace state). */
export function lastInput(ctx: Ctx, workflow: string): p.JsonObject | null | undefined {
  const all = ctx.extension.workspaceState.get<Record<string, p.JsonObject | null>>(LAST_INPUT_KEY, {});
  return Object.prototype.hasOwnProperty.call(all, workflow) ? all[workflow] : undefined;
}

export async function rememberInput(ctx: Ctx, workflow: string, input: p.JsonObject | null): Promise<void> {
  const all = ctx.extension.workspaceState.get<Record<string, p.JsonObject | null>>(LAST_INPUT_KEY, {});
  await ctx.extension.workspaceState.update(LAST_INPUT_KEY, { ...all, [workflow]: input });
}

type InputChoice = { kind: 'value'; value: p.JsonObject | null } | { kind: 'file'; uri: vscode.Uri } | { kind: 'browse' } | { kind: 'type' };

/** A run's input: last used, empty, a JSON file of the workspace, or typed in. Undefined: cancelled. */
export async function pickInput(ctx: Ctx, workflow: string): Promise<{ value: p.JsonObject | null } | undefined> {
  const items: Item<InputChoice>[] = [];
  const last = lastInput(ctx, workflow);
  if (last !== undefined) items.push({ label: '$(history) Last used input', description: last ? preview(last) : '(empty)', value: { kind: 'value', value: last } });
  items.push({ label: '$(circle-slash) Empty input', description: '{}', value: { kind: 'value', value: {} } });
  const exclude = '{**/node_modules/**,**/.wtb/**,**/.vscode/**,**/.venv/**,**/index/**,**/out/**,**/langgraph.json,**/package*.json,**/tsconfig*.json}';
  const found = await vscode.workspace.findFiles('**/*.json', exclude, 60);
  found.sort((a, b) => a.path.localeCompare(b.path));
  // Input-like files only: JSON objects that no recorded step wrote (report.json is an output).
  const written = new Set(ctx.model.executionsOf().flatMap((e) => ctx.model.checkpoints(e.id).flatMap((c) => Object.keys(c.outputFiles ?? {}))));
  const files: vscode.Uri[] = [];
  for (const uri of found) {
    const text = await vscode.workspace.fs.readFile(uri).then((b) => new TextDecoder().decode(b), () => '');
    if (isInputLike(vscode.workspace.asRelativePath(uri, false), text, written)) files.push(uri);
    if (files.length >= 30) break;
  }
  for (const uri of files) {
    items.push({ label: `$(file) ${vscode.workspace.asRelativePath(uri)}`, description: 'input from file', value: { kind: 'file', uri } });
  }
  items.push({ label: '$(folder-opened) Choose a JSON file…', value: { kind: 'browse' } });
  items.push({ label: '$(edit) Edit the input as JSON…', description: 'in an editor, seeded with the last input', value: { kind: 'type' } });
  const choice = await pick(items, { title: `WTB: input for ${workflow}`, placeHolder: 'Initial state (JSON)' });
  if (!choice) return undefined;
  switch (choice.kind) {
    case 'value':
      return { value: choice.value };
    case 'file':
      return readJsonFile(choice.uri);
    case 'browse': {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { JSON: ['json'] }, defaultUri: ctx.workspaceFolder?.uri, title: 'Input state (JSON)' });
      return uris?.[0] ? readJsonFile(uris[0]) : undefined;
    }
    case 'type': {
      // A JSON editor seeded with the last input (or {}): save to run, checked against the input schema first.
      const schemas = graphSchemas(ctx, workflow);
      const edited = await editJson(ctx, {
        original: last ?? {}, fileName: `${workflow}.input.json`, accept: 'Run',
        check: async (value) => checkInput(value, (await schemas).inputSchema), subject: 'the input',
        message: `WTB: the input for ${workflow} as JSON: edit it, then save the file to run.`,
      });
      return edited ? { value: edited.value } : undefined;
    }
  }
}

async function readJsonFile(uri: vscode.Uri): Promise<{ value: p.JsonObject | null } | undefined> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const parsed = parseJsonObject(text);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`WTB: ${vscode.workspace.asRelativePath(uri)}: ${parsed.message}`);
    return undefined;
  }
  return { value: parsed.value };
}
