// "Check Against Golden" results in VS Code's Testing view: one test item per golden (under
// its workflow's file), run from the Testing view or by the command; a failure carries the
// check's report and, for the first divergence, expected/actual for the diff on click.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import { checkMessage, type FileSides } from './regression';
import { checkOutcome } from './runKinds';
import { describeError, isRpcError } from './errors';

export class GoldenTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('wtb.goldens', 'WTB Goldens');

  constructor(private readonly ctx: Ctx) {
    this.controller.createRunProfile('Check Against Golden', vscode.TestRunProfileKind.Run, (request, token) => this.runRequest(request, token), true);
    this.controller.resolveHandler = async () => { await this.load(); };
    this.controller.refreshHandler = async () => { await this.load(); };
  }

  private uriOf(workflow: string): vscode.Uri | undefined {
    const w = this.ctx.model.workflow(workflow);
    const folder = this.ctx.workspaceFolder;
    return w?.path && folder ? vscode.Uri.joinPath(folder.uri, w.path) : undefined;
  }

  /** The item of a golden (created or updated). */
  item(golden: p.GoldenInfo): vscode.TestItem {
    let item = this.controller.items.get(golden.name);
    if (!item) {
      item = this.controller.createTestItem(golden.name, `golden ${golden.name}`, this.uriOf(golden.workflow));
      this.controller.items.add(item);
    }
    item.description = golden.workflow === golden.name ? `run ${golden.executionId.slice(0, 8)}` : `${golden.workflow} · run ${golden.executionId.slice(0, 8)}`;
    const line = this.ctx.model.workflow(golden.workflow)?.line;
    if (line != null) item.range = new vscode.Range(line, 0, line, 0);
    return item;
  }

  async load(): Promise<p.GoldenInfo[]> {
    if (this.ctx.state !== 'running') return [];
    const { goldens } = await this.ctx.request(p.LIST_GOLDENS, {});
    this.ctx.setGoldens(goldens);
    const names = new Set(goldens.map((g) => g.name));
    this.controller.items.forEach((item) => { if (!names.has(item.id)) this.controller.items.delete(item.id); });
    for (const g of goldens) this.item(g);
    return goldens;
  }

  /** Check one golden; the result is shown in the Testing view and returned. */
  async check(golden: p.GoldenInfo, run?: vscode.TestRun): Promise<p.CheckResultInfo | undefined> {
    const item = this.item(golden);
    const own = run ?? this.controller.createTestRun(new vscode.TestRunRequest([item]), `Check ${golden.name}`, false);
    own.started(item);
    const began = Date.now();
    try {
      const result = await this.ctx.request(p.CHECK, { golden: golden.name });
      this.ctx.setCheckOutcome(result.executionId, checkOutcome(result));
      const m = checkMessage(result, result.divergence?.kind === 'file' ? await this.fileSides(result, result.divergence) : undefined);
      if (result.passed) {
        own.appendOutput(`${m.message}\r\n`, undefined, item);
        own.passed(item, Date.now() - began);
      } else {
        const message = m.expected !== undefined && m.actual !== undefined
          ? vscode.TestMessage.diff(m.message, m.expected, m.actual) : new vscode.TestMessage(m.message);
        if (item.uri && item.range) message.location = new vscode.Location(item.uri, item.range);
        own.appendOutput(`${result.report.replace(/\n/g, '\r\n')}\r\n`, undefined, item);
        own.failed(item, message, Date.now() - began);
      }
      return result;
    } catch (e) {
      own.errored(item, new vscode.TestMessage(describeError(e)), Date.now() - began);
      throw e;
    } finally {
      if (!run) own.end();
    }
  }

  /**
   * The contents of a diverging file: in the golden run at the divergence's checkpoint, and in
   * the new run at the same step (of its root graph). Undefined when they cannot be read.
   */
  private async fileSides(result: p.CheckResultInfo, d: p.DivergenceInfo): Promise<FileSides | undefined> {
    const read = async (executionId: string, checkpointId: string | null): Promise<string | null> => {
      if (!checkpointId) return null;
      try {
        const file = await this.ctx.request(p.READ_FILE, { executionId, checkpointId, path: d.name, encoding: 'auto' });
        return file.encoding === 'base64' ? `(binary file, ${file.size} bytes)\n` : file.content;
      } catch (e) {
        if (isRpcError(e) && e.code === p.NOT_FOUND) return null;
        throw e;
      }
    };
    try {
      const { checkpoints } = await this.ctx.request(p.LIST_CHECKPOINTS, { executionId: result.executionId, limit: 1000 });
      const same = checkpoints.find((c) => c.step === d.step && !c.namespace && (c.source === 'loop' || c.source === 'input'));
      return { expected: await read(result.goldenExecutionId, d.checkpointId), actual: await read(result.executionId, same?.id ?? null) };
    } catch (e) {
      this.ctx.output.warn(`reading ${d.name} for the golden diff: ${describeError(e)}`);
      return undefined;
    }
  }

  private async runRequest(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const goldens = await this.load();
    const wanted = request.include ? new Set(request.include.map((i) => i.id)) : undefined;
    const run = this.controller.createTestRun(request);
    try {
      for (const g of goldens) {
        if (token.isCancellationRequested) break;
        if (wanted && !wanted.has(g.name)) continue;
        if (request.exclude?.some((i) => i.id === g.name)) continue;
        try {
          await this.check(g, run);
        } catch (e) {
          this.ctx.output.warn(`check of golden ${g.name} failed: ${describeError(e)}`);
        }
      }
    } finally {
      run.end();
    }
  }

  dispose(): void {
    this.controller.dispose();
  }
}
