// The single status item: server state and the running execution, updated through `update()`.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { statusText } from './statusText';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('wtb.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.item.name = 'WTB';
    this.item.command = 'wtb.showLogs';
    this.subscription = ctx.onDidChangeState(() => this.update());
    this.update();
    this.item.show();
  }

  update(): void {
    const view = statusText({
      state: this.ctx.state,
      python: this.ctx.python,
      problem: this.ctx.problem,
      runs: this.ctx.runs.summaries(),
    });
    this.item.text = view.text;
    this.item.tooltip = new vscode.MarkdownString(view.tooltip);
    this.item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
