// Quick picks that commands fall back to when they are run from the palette (no tree node or
// CodeLens argument): a workflow, an execution, a checkpoint, a file at a checkpoint, a run's input.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import * as fmt from './format';
import { fitsInput, isInputLike, parseJsonInput, preview, takesObject } from './inputs';
import { checkInput, type Schema } from './stateCheck';
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

/** The remembered input of the last run of a workflow (workspace state): any JSON value, null for none. */
export function lastInput(ctx: Ctx, workflow: string): p.Json | undefined {
  const all = ctx.extension.workspaceState.get<Record<string, p.Json>>(LAST_INPUT_KEY, {});
  return Object.prototype.hasOwnProperty.call(all, workflow) ? all[workflow] : undefined;
}

export async function rememberInput(ctx: Ctx, workflow: string, input: p.Json): Promise<void> {
  const all = ctx.extension.workspaceState.get<Record<string, p.Json>>(LAST_INPUT_KEY, {});
  await ctx.extension.workspaceState.update(LAST_INPUT_KEY, { ...all, [workflow]: input });
}

type InputChoice = { kind: 'value'; value: p.Json } | { kind: 'file'; uri: vscode.Uri } | { kind: 'browse' } | { kind: 'type' };

/**
 * A run's input: last used, empty, a JSON file of the workspace, or typed in. Undefined:
 * cancelled. A JSON object where the workflow's input schema is an object's (a StateGraph),
 * else any JSON value (an @entrypoint's number, string or list; or no schema to go by).
 */
export async function pickInput(ctx: Ctx, workflow: string): Promise<{ value: p.Json } | undefined> {
  // The schema is fetched while the workspace's JSON files are read: both decide the items.
  const [{ inputSchema }, found] = await Promise.all([graphSchemas(ctx, workflow), workspaceJson()]);
  const anyValue = !takesObject(inputSchema);
  const items: Item<InputChoice>[] = [];
  const remembered = lastInput(ctx, workflow);
  // A last input that no longer fits (the workflow now takes an object) is not offered again.
  const last = remembered !== undefined && fitsInput(remembered, inputSchema) ? remembered : undefined;
  if (last !== undefined) items.push({ label: '$(history) Last used input', description: last !== null ? preview(last) : '(empty)', value: { kind: 'value', value: last } });
  // `{}` is an empty state; for any other input "empty" is none (null), not an object.
  items.push(anyValue
    ? { label: '$(circle-slash) Empty input', description: 'no input (null)', value: { kind: 'value', value: null } }
    : { label: '$(circle-slash) Empty input', description: '{}', value: { kind: 'value', value: {} } });
  for (const uri of inputFiles(ctx, found, anyValue)) {
    items.push({ label: `$(file) ${vscode.workspace.asRelativePath(uri)}`, description: 'input from file', value: { kind: 'file', uri } });
  }
  items.push({ label: '$(folder-opened) Choose a JSON file…', value: { kind: 'browse' } });
  items.push({ label: '$(edit) Edit the input as JSON…', description: 'in an editor, seeded with the last input', value: { kind: 'type' } });
  const choice = await pick(items, { title: `WTB: input for ${workflow}`, placeHolder: anyValue ? 'Input (any JSON value)' : 'Initial state (JSON)' });
  if (!choice) return undefined;
  switch (choice.kind) {
    case 'value':
      return { value: choice.value };
    case 'file':
      return readJsonFile(choice.uri, inputSchema);
    case 'browse': {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { JSON: ['json'] }, defaultUri: ctx.workspaceFolder?.uri, title: 'Input state (JSON)' });
      return uris?.[0] ? readJsonFile(uris[0], inputSchema) : undefined;
    }
    case 'type': {
      // A JSON editor seeded with the last input (or {}, or null where the input need not be an
      // object): save to run, read as the schema allows and checked against it first.
      const edited = await editJson(ctx, {
        original: last ?? (anyValue ? null : {}), fileName: `${workflow}.input.json`, accept: 'Run',
        parse: (text) => parseJsonInput(text, inputSchema),
        check: (value) => checkInput(value, inputSchema), subject: 'the input',
        message: `WTB: the input for ${workflow} as JSON: edit it, then save the file to run.`,
      });
      return edited ? { value: edited.value } : undefined;
    }
  }
}

/** The workspace's JSON files with their text, but for dependencies', WTB's, editors' and outputs'. */
async function workspaceJson(): Promise<{ uri: vscode.Uri; text: string }[]> {
  const exclude = '{**/node_modules/**,**/.wtb/**,**/.vscode/**,**/.venv/**,**/index/**,**/out/**,**/langgraph.json,**/package*.json,**/tsconfig*.json}';
  const found = await vscode.workspace.findFiles('**/*.json', exclude, 60);
  found.sort((a, b) => a.path.localeCompare(b.path));
  return Promise.all(found.map(async (uri) => ({
    uri, text: await vscode.workspace.fs.readFile(uri).then((b) => new TextDecoder().decode(b), () => ''),
  })));
}

/** Input-like files only: JSON objects (any value with `anyValue`) that no recorded step wrote (report.json is an output). */
function inputFiles(ctx: Ctx, files: { uri: vscode.Uri; text: string }[], anyValue: boolean): vscode.Uri[] {
  const written = new Set(ctx.model.executionsOf().flatMap((e) => ctx.model.checkpoints(e.id).flatMap((c) => Object.keys(c.outputFiles ?? {}))));
  return files.filter((f) => isInputLike(vscode.workspace.asRelativePath(f.uri, false), f.text, written, anyValue)).slice(0, 30).map((f) => f.uri);
}

/** A JSON file's content as a run's input (an object where `schema` is an object's); undefined when it is not one. */
async function readJsonFile(uri: vscode.Uri, schema: Schema | null): Promise<{ value: p.Json } | undefined> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const parsed = parseJsonInput(text, schema);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`WTB: ${vscode.workspace.asRelativePath(uri)}: ${parsed.message}`);
    return undefined;
  }
  return { value: parsed.value };
}
