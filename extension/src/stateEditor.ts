// A state or an input as a JSON file for the person to edit (in the extension's storage):
// saving it, or the toast's accept button, answers what it holds now. With `check`, what was
// saved is checked first (stateCheck.ts, against the graph's schemas from `graphSchemas`):
// problems are marked in the file and asked about in a modal; "Keep Editing" leaves the file
// open for the next save.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import type { JsonObject } from './protocol';
import { describeError } from './errors';
import { isObject, type Parsed } from './inputs';
import { stateEdits } from './regression';
import { keyLine, type EditProblem, type Schema } from './stateCheck';

let problemsCollection: vscode.DiagnosticCollection | undefined;

export interface JsonEdit<T> {
  /** The whole value as saved (null: the file was emptied). */
  value: T | null;
  /** The keys added or changed against the original (null: none, or not an object). */
  edits: JsonObject | null;
}

/**
 * The problems of what was saved: `value` the whole object ({} when emptied), `edits` the keys
 * changed. Not asked of a plain value (an entrypoint's input): there are no keys to check.
 */
export type JsonCheck = (value: JsonObject, edits: JsonObject) => EditProblem[] | Promise<EditProblem[]>;

/**
 * A workflow's input and state schemas (`wtb/getGraph`); nulls when the daemon gives none or
 * the graph does not load (the checks then fall back to the state, or check no input).
 */
export async function graphSchemas(ctx: Ctx, workflow: string): Promise<{ inputSchema: Schema | null; stateSchema: Schema | null }> {
  try {
    const graph = await ctx.request(p.GET_GRAPH, { workflow });
    return { inputSchema: graph.inputSchema ?? null, stateSchema: graph.stateSchema ?? null };
  } catch (e) {
    ctx.output.debug(`schemas of ${workflow}: ${describeError(e)}`);
    return { inputSchema: null, stateSchema: null };
  }
}

/**
 * Opens `original` as `fileName`; resolves with what was saved ("accept" or a save) as `parse`
 * reads it (a state: `parseJsonObject`; a run's input: `parseJsonInput`), with null edits for
 * "also" (e.g. "Fork as Is"), or undefined when cancelled.
 */
export async function editJson<T>(ctx: Ctx, o: {
  original: T; parse: (text: string) => Parsed<T | null>; fileName: string; message: string; accept: string; also?: string; check?: JsonCheck; subject?: string;
}): Promise<JsonEdit<T> | undefined> {
  const dir = vscode.Uri.joinPath(ctx.extension.globalStorageUri, 'state-edits');
  await vscode.workspace.fs.createDirectory(dir);
  const file = vscode.Uri.joinPath(dir, o.fileName);
  await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(JSON.stringify(o.original, null, 2) + '\n'));
  const doc = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(doc, { preview: false });
  if (!problemsCollection) {
    problemsCollection = vscode.languages.createDiagnosticCollection('wtb-state');
    ctx.extension.subscriptions.push(problemsCollection);
  }
  const problems = problemsCollection;
  return new Promise<JsonEdit<T> | undefined>((resolve) => {
    let done = false;
    const close = async (value: JsonEdit<T> | undefined): Promise<void> => {
      done = true;
      saved.dispose();
      problems.delete(file);
      const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === file.toString());
      if (doc.isDirty) await doc.save();
      if (tab) await vscode.window.tabGroups.close(tab);
      resolve(value);
    };
    const finish = async (): Promise<void> => {
      if (done) return;
      const parsed = o.parse(doc.getText());
      if (!parsed.ok) {
        void vscode.window.showErrorMessage(`WTB: ${parsed.message}; fix it and save again.`);
        return;
      }
      // Keys to compare and check are an object's: a plain value (an entrypoint's input) has none.
      const value = parsed.value ?? {};
      const edits = isObject(value) ? stateEdits(isObject(o.original) ? o.original : {}, value) : {};
      const found = o.check && isObject(value) ? await o.check(value, edits) : [];
      if (done) return;
      problems.set(file, found.map((x) => {
        const d = new vscode.Diagnostic(doc.lineAt(keyLine(doc.getText(), x.key)).range, x.message, vscode.DiagnosticSeverity.Warning);
        d.source = 'WTB';
        return d;
      }));
      if (found.length) {
        const pick = await vscode.window.showWarningMessage(
          `WTB: ${found.length === 1 ? 'a problem' : `${found.length} problems`} in ${o.subject ?? 'the state edit'}`,
          { modal: true, detail: found.map((x) => `• ${x.message}`).join('\n') }, 'Go Ahead Anyway', 'Keep Editing');
        if (pick !== 'Go Ahead Anyway' || done) return;
      }
      await close({ value: parsed.value, edits: Object.keys(edits).length ? edits : null });
    };
    const saved = vscode.workspace.onDidSaveTextDocument((d) => { if (d.uri.toString() === file.toString()) void finish(); });
    const buttons = [o.accept, ...(o.also ? [o.also] : []), 'Cancel'];
    void vscode.window.showInformationMessage(o.message, ...buttons).then((pick) => {
      if (done) return;
      if (pick === o.accept) void finish();
      else if (pick && pick === o.also) void close({ value: o.original, edits: null });
      else if (pick === 'Cancel') void close(undefined);
    });
  });
}
