// Runs in progress: a cancellable notification per run, fed by the daemon's `$/progress` on a
// work-done token that the client picks and passes with the request (wtb/run, wtb/resume,
// wtb/fork with run, wtb/batch). Cancel → `wtb/cancel`. A run also ends when its final
// `wtb/executionChanged` arrives, in case the progress `end` is lost.

import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { WorkDoneProgress, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { Ctx } from './ctx';
import * as p from './protocol';
import { describeError, firstLine } from './errors';
import type { RunSummary } from './statusText';
import { executionLabel } from './format';

interface ActiveRun {
  token: string;
  workflow: string;
  label: string;
  executionId?: string;
  message: string;
  cancelRequested: boolean;
  /** A resume (or a fork that runs): the execution is still `paused` until its worker starts. */
  resumes: boolean;
  seenRunning: boolean;
  onCancel?: () => void;
  report?: (message: string, increment?: number) => void;
  finish: () => void;
  finished: boolean;
  subscription?: vscode.Disposable;
}

export interface RunHandle {
  /** The work-done token to pass with the request. */
  token: string;
  /** The request answered: from now on the run is this execution. */
  attach(execution: p.ExecutionInfo): void;
  /** The request failed or the run ended before it began. */
  finish(): void;
}

const ENDED: ReadonlySet<p.ExecutionStatusName> = new Set(['completed', 'failed', 'cancelled', 'paused']);

export class RunTracker implements vscode.Disposable {
  private readonly active = new Map<string, ActiveRun>();
  private readonly subscription: vscode.Disposable;
  /** The status-bar message of each ended run, taken down as soon as its execution changes again. */
  private readonly said = new Map<string, { status: string; message: vscode.Disposable }>();

  constructor(private readonly ctx: Ctx) {
    this.subscription = ctx.onExecutionChanged((e) => {
      const said = this.said.get(e.id);
      if (said && said.status !== e.status) {
        said.message.dispose();
        this.said.delete(e.id);
      }
      for (const run of this.active.values()) {
        if (run.executionId !== e.id) continue;
        run.label = executionLabel(e);
        if (this.hasEnded(run, e)) this.end(run, e);
      }
    });
  }

  /** A final status; `paused` ends a resume only after its worker ran (before, it is the pause being resumed). */
  private hasEnded(run: ActiveRun, e: p.ExecutionInfo): boolean {
    if (e.status === 'running') run.seenRunning = true;
    if (e.status === 'paused' && run.resumes && !run.seenRunning) return false;
    return ENDED.has(e.status);
  }

  summaries(): RunSummary[] {
    return [...this.active.values()].map((r) => ({ workflow: r.workflow, label: r.label, message: r.message }));
  }

  isTracked(executionId: string): boolean {
    return [...this.active.values()].some((r) => r.executionId === executionId);
  }

  /**
   * Shows the notification and listens on a fresh token; call before sending the request.
   * Cancel sends `wtb/cancel` for the execution, or calls `onCancel` (a batch cancels its request).
   */
  begin(title: string, workflow: string, onCancel?: () => void, opts: { resumes?: boolean } = {}): RunHandle {
    const token = `wtb-${randomUUID()}`;
    const run: ActiveRun = {
      token, workflow, label: '', message: 'starting…', cancelRequested: false, resumes: opts.resumes ?? false, seenRunning: false,
      onCancel, finished: false, finish: () => undefined,
    };
    this.active.set(token, run);
    const client = this.ctx.languageClient;
    run.subscription = client?.onProgress(WorkDoneProgress.type, token, (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
      if (value.kind === 'end') {
        run.message = value.message ?? 'done';
        this.finish(run);
        if (run.executionId) void this.ctx.refreshExecution(run.executionId);
        return;
      }
      const message = value.message ?? (value.kind === 'begin' ? value.title : undefined);
      if (message) this.setMessage(run, message);
    });
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, cancel) => new Promise<void>((resolve) => {
        run.report = (message) => progress.report({ message });
        run.report(run.message);
        run.finish = resolve;
        if (run.finished) resolve();
        cancel.onCancellationRequested(() => void this.cancel(run));
      }),
    );
    this.ctx.statusBar.update();
    return {
      token,
      attach: (execution) => {
        run.executionId = execution.id;
        run.label = executionLabel(execution);
        if (this.hasEnded(run, execution)) this.end(run, execution);
        else if (run.cancelRequested) void this.cancel(run);
        this.ctx.statusBar.update();
      },
      finish: () => this.finish(run),
    };
  }

  private setMessage(run: ActiveRun, message: string): void {
    run.message = message;
    run.report?.(message);
    this.ctx.statusBar.update();
  }

  private async cancel(run: ActiveRun): Promise<void> {
    run.cancelRequested = true;
    if (run.finished) return;
    if (run.onCancel) {
      this.setMessage(run, 'cancelling…');
      run.onCancel();
      return;
    }
    if (!run.executionId) return;
    this.setMessage(run, 'cancelling…');
    try {
      await this.ctx.request(p.CANCEL, { executionId: run.executionId });
    } catch (e) {
      void vscode.window.showErrorMessage(`WTB: could not cancel: ${describeError(e)}`);
    }
  }

  private end(run: ActiveRun, e: p.ExecutionInfo): void {
    if (run.finished) return;
    if (e.status === 'failed') {
      // One line: a load error's message goes on with its traceback (the failing line is marked in Problems).
      const loading = e.error?.type === 'WorkflowLoadError';
      const why = e.error ? `${loading ? '' : `${e.error.type}: `}${firstLine(e.error.message)}${e.error.node ? ` (in ${e.error.node})` : ''}${loading ? ' (see Problems)' : ''}` : 'see the log';
      void vscode.window.showErrorMessage(`WTB: ${e.workflow} ${executionLabel(e)} failed — ${why}`, 'Show Logs')
        .then((pick) => pick && this.ctx.output.show());
    } else {
      this.said.get(e.id)?.message.dispose();
      this.said.set(e.id, { status: e.status, message: vscode.window.setStatusBarMessage(`WTB: ${e.workflow} ${executionLabel(e)} ${e.status}`, 5000) });
    }
    this.finish(run);
  }

  private finish(run: ActiveRun): void {
    if (run.finished) return;
    run.finished = true;
    run.subscription?.dispose();
    run.finish();
    this.active.delete(run.token);
    this.ctx.statusBar.update();
  }

  /** The server went away: close every notification. */
  abandonAll(): void {
    for (const run of [...this.active.values()]) this.finish(run);
  }

  dispose(): void {
    this.abandonAll();
    this.subscription.dispose();
  }
}
