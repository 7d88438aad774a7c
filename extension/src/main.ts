// activate(): the context, the tree, the `wtb:` content provider, the graph view, and the one
// table of commands. Every command is wrapped so that a failure is shown, never swallowed.

import * as vscode from 'vscode';
import { OWNED_COMMANDS } from './client';
import * as cmd from './commands';
import { CheckpointContentProvider } from './contentProvider';
import { Ctx, ServerNotRunningError } from './ctx';
import * as config from './config';
import { registerDebugger } from './debug';
import { describeError, isCancellation, logLine } from './errors';
import { GraphPanel } from './graph';
import { GoldenTests } from './goldenTests';
import { needsRestart } from './settings';
import { CheckpointTree } from './tree';
import { SCHEME } from './uris';

/** command id → factory. The manifest's `contributes.commands` lists the same ids. */
const COMMANDS: Record<string, (env: cmd.Env) => cmd.Handler> = {
  'wtb.run': cmd.run,
  'wtb.runAsk': cmd.runAsk,
  'wtb.resume': cmd.resume,
  'wtb.answer': cmd.answer,
  'wtb.cancel': cmd.cancel,
  'wtb.rollback': cmd.rollback,
  'wtb.undoRollback': cmd.undoRollback,
  'wtb.fork': cmd.fork,
  'wtb.batch': cmd.batch,
  'wtb.compareVariants': cmd.compareVariants,
  'wtb.showBatchSummary': cmd.showBatchSummary,
  'wtb.history': cmd.history,
  'wtb.debug': cmd.debug,
  'wtb.showState': cmd.showState,
  'wtb.compareWithPrevious': cmd.compareWithPrevious,
  'wtb.compareCheckpoints': cmd.compareCheckpoints,
  'wtb.openFileAtCheckpoint': cmd.openFileAtCheckpoint,
  'wtb.showGraph': cmd.showGraph,
  'wtb.refresh': cmd.refresh,
  'wtb.restartServer': cmd.restartServer,
  'wtb.chooseFolder': cmd.chooseFolder,
  'wtb.showLogs': cmd.showLogs,
  'wtb.doctor': cmd.doctor,
  'wtb.openDocs': cmd.openDocs,
  'wtb.loadMore': cmd.loadMore,
  'wtb.togglePauseBefore': cmd.togglePauseBefore,
  'wtb.editStateAndResume': cmd.editStateAndResume,
  'wtb.markGolden': cmd.markGolden,
  'wtb.checkGolden': cmd.checkGolden,
  'wtb.prune': cmd.prune,
};

export const COMMAND_IDS = Object.keys(COMMANDS);

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  try {
    for (const id of COMMAND_IDS) OWNED_COMMANDS.add(id);
    ctx = new Ctx(extension);
    const tree = new CheckpointTree(ctx);
    const graph = new GraphPanel(ctx, tree);
    const goldens = new GoldenTests(ctx);
    const env: cmd.Env = { ctx, tree, graph, goldens };
    extension.subscriptions.push(ctx, tree, graph, goldens,
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, new CheckpointContentProvider(ctx)),
      registerDebugger(ctx, tree));

    for (const [id, factory] of Object.entries(COMMANDS)) {
      extension.subscriptions.push(vscode.commands.registerCommand(id, wrap(ctx, id, factory(env))));
    }

    const c = ctx;
    extension.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (needsRestart((key) => e.affectsConfiguration(key))) {
          c.output.info('A setting the server reads changed: restarting it.');
          void c.restart();
        } else if (e.affectsConfiguration('wtb.checkpoints.pageSize')) {
          c.model.pageSize = config.read().pageSize;
        }
        if (e.affectsConfiguration('wtb.trace.server')) c.trace.setTraceSetting(config.read().trace);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        c.output.info('The workspace is now trusted: restarting the server so that it may run workflows.');
        void c.restart();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void c.restart()),
    );
    const pythonWatch = await config.onPythonInterpreterChanged(() => {
      if (!config.read().interpreter) void c.restart();
    });
    if (pythonWatch) extension.subscriptions.push(pythonWatch);

    await ctx.start();
  } catch (e) {
    // VS Code does not report a failed activation: say it.
    const message = `WTB failed to activate: ${describeError(e)}`;
    ctx?.output.error(message);
    void vscode.window.showErrorMessage(message);
  }
}

function wrap(ctx: Ctx, id: string, handler: cmd.Handler): (...args: unknown[]) => Promise<unknown> {
  return async (...args: unknown[]) => {
    try {
      return await handler(...args);
    } catch (e) {
      if (isCancellation(e)) return undefined;
      ctx.output.error(logLine(id, e));
      if (e instanceof ServerNotRunningError) {
        const pick = await vscode.window.showErrorMessage(ctx.problem ?? e.message, 'Restart Server', 'Show Logs');
        if (pick === 'Restart Server') await ctx.restart();
        else if (pick === 'Show Logs') ctx.output.show();
      } else {
        void vscode.window.showErrorMessage(`WTB: ${describeError(e)}`, 'Show Logs').then((pick) => pick && ctx.output.show());
      }
      return undefined;
    }
  };
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
