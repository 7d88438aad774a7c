// The `wtb` debugger type: VS Code's own debugging UI over WTB's debug adapter
// (`python -m wtb.dap`, Debug Adapter Protocol over stdio). The adapter runs with the same
// interpreter and working directory as the daemon, so workflow code never runs in the
// editor's process; nothing runs in an untrusted workspace. See docs/debugging.md.

import * as vscode from 'vscode';
import * as config from './config';
import type { Ctx } from './ctx';
import { DEBUG_TYPE, adapterCommand, resolveLaunch, stoppedAt } from './debugConfig';
import { expandPath } from './settings';

/** What the checkpoint tree does with the adapter's stops: select the checkpoint stood on. */
export interface StopFollower {
  revealCheckpoint(executionId: string, checkpointId: string): Promise<void>;
}

export function registerDebugger(ctx: Ctx, tree: StopFollower): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new LaunchProvider(ctx)),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new AdapterFactory(ctx)),
    // At every stop the adapter tells where it stands (a custom event other clients ignore).
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      const at = stoppedAt(e.session.type, e.event, e.body);
      if (at) void tree.revealCheckpoint(at.executionId, at.checkpointId);
    }),
  );
}

class LaunchProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly ctx: Ctx) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: DEBUG_TYPE, request: 'launch', name: 'WTB: Debug workflow in this file', program: '${file}' }];
  }

  resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, given: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!this.ctx.ensureTrusted('debug a workflow')) return undefined;
    const target = folder ?? this.ctx.workspaceFolder;
    const editor = vscode.window.activeTextEditor;
    const dataDir = this.ctx.settings.dataDir;
    const resolved = resolveLaunch(given, {
      workspaceFolder: target?.uri.fsPath,
      dataDir: dataDir && target ? expandPath(dataDir, { workspaceFolder: target.uri.fsPath }) : undefined,
      activeFile: editor?.document.uri.scheme === 'file' ? editor.document.uri.fsPath : undefined,
      languageId: editor?.document.languageId,
    });
    if (!resolved.config) {
      void vscode.window.showErrorMessage(`WTB: ${resolved.error}`);
      return undefined;
    }
    return resolved.config;
  }
}

class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly ctx: Ctx) {}

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const folder = session.workspaceFolder ?? this.ctx.workspaceFolder;
    const cwd = typeof session.configuration.workspace === 'string' ? session.configuration.workspace : folder?.uri.fsPath;
    if (!cwd) throw new Error('WTB debugs workflows of an open folder.');
    const python = this.ctx.python || (folder ? (await config.interpreter(folder)).path : 'python3');
    const launch = adapterCommand(python, cwd);
    this.ctx.output.info(`Debug adapter: ${launch.command} ${launch.args.join(' ')} (in ${cwd})`);
    return new vscode.DebugAdapterExecutable(launch.command, launch.args, { cwd: launch.cwd, env: { ...process.env, ...launch.env } as Record<string, string> });
  }
}
