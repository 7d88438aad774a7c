// The single status item: server state, the running execution and the daemon's file watcher,
// updated through `update()`. A click shows the log, or runs "WTB: Doctor" while the watcher is off.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { statusText } from './statusText';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('wtb.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.item.name = 'WTB';
    this.item.command = 'wtb.showLogs';
    this.subscriptions = [ctx.onDidChangeState(() => this.update()), ctx.onDidChangeWatcher(() => this.update())];
    this.update();
    this.item.show();
  }

  private storage: string | undefined;

  /** The storage line (bytes stored, dedup), shown in the tooltip. */
  setStorage(text: string | undefined): void {
    this.storage = text;
    this.update();
  }

  update(): void {
    const view = statusText({
      state: this.ctx.state,
      python: this.ctx.python,
      problem: this.ctx.problem,
      runs: this.ctx.runs.summaries(),
      watcher: this.ctx.watcher,
      folder: (vscode.workspace.workspaceFolders ?? []).length > 1 ? this.ctx.workspaceFolder?.name : undefined,
      storage: this.storage,
    });
    this.item.command = view.command;
    this.item.text = view.text;
    this.item.tooltip = new vscode.MarkdownString(view.tooltip);
    this.item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
