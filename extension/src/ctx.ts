// The one state hub (after rust-analyzer's ctx.ts): the language client's life cycle, typed
// requests, the daemon's notifications, the output channels, the status bar, the tree model and
// the daemon's file watcher (asked with `wtb/doctor` after a start and after each run).

import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';
import { createClient, type WtbLanguageClient } from './client';
import * as config from './config';
import * as p from './protocol';
import { initializationOptions, judgeProbe, type ProbeVerdict, PROBE_SCRIPT, type Settings } from './settings';
import { TreeModel } from './treeModel';
import { describeError } from './errors';
import { StatusBar } from './statusBar';
import { RunTracker } from './progress';
import { TraceChannel } from './traceChannel';
import { WatcherProbe } from './watcherProbe';
import type { CheckOutcome } from './runKinds';
import { chooseFolder, declaresWorkflows, type FolderFacts } from './folders';

const UNDOABLE_KEY = 'wtb.undoableRollbacks';
const CHECKS_KEY = 'wtb.checkOutcomes';
const FOLDER_KEY = 'wtb.folder';

/** `langgraph.json`, or `[tool.wtb]` in `pyproject.toml`, at the folder's root. */
async function hasWorkflows(folder: vscode.Uri): Promise<boolean> {
  const read = (name: string) => vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name)).then((b) => new TextDecoder().decode(b), () => undefined);
  if ((await read('langgraph.json')) !== undefined) return true;
  const pyproject = await read('pyproject.toml');
  return pyproject !== undefined && declaresWorkflows(pyproject);
}

export type ServerState = 'noFolder' | 'stopped' | 'starting' | 'running' | 'failed';

export class ServerNotRunningError extends Error {
  constructor(state: ServerState) {
    super(state === 'starting' ? 'The WTB server is still starting.' : 'The WTB server is not running. Run "WTB: Restart Server" or see "WTB: Show Logs".');
  }
}

export class Ctx implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('WTB', { log: true });
  readonly trace = new TraceChannel(config.read().trace);
  readonly model: TreeModel;
  readonly statusBar: StatusBar;
  readonly runs: RunTracker;

  private client: WtbLanguageClient | undefined;
  private clientDisposables: vscode.Disposable[] = [];
  private starting: Promise<void> | undefined;
  private _state: ServerState = 'stopped';
  private _python = '';
  private _verdict: ProbeVerdict | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly executionEmitter = new vscode.EventEmitter<p.ExecutionInfo>();
  readonly onExecutionChanged = this.executionEmitter.event;
  private readonly checkpointEmitter = new vscode.EventEmitter<p.CheckpointAddedParams>();
  readonly onCheckpointAdded = this.checkpointEmitter.event;
  private readonly workflowsEmitter = new vscode.EventEmitter<p.WorkflowInfo[]>();
  readonly onWorkflowsChanged = this.workflowsEmitter.event;
  private readonly modelEmitter = new vscode.EventEmitter<void>();
  /** Something the tree shows changed outside the daemon's notifications (goldens, check outcomes). */
  readonly onModelChanged = this.modelEmitter.event;
  private readonly watcherEmitter = new vscode.EventEmitter<p.WatcherInfo | undefined>();
  /** The file watcher's state changed (undefined: unknown, e.g. the server stopped). */
  readonly onDidChangeWatcher = this.watcherEmitter.event;
  private readonly watcherProbe = new WatcherProbe({
    ask: () => this.request(p.DOCTOR, { measureDataDir: false }),
    changed: (watcher) => this.watcherEmitter.fire(watcher),
    log: (level, message) => (level === 'warn' ? this.output.warn(message) : this.output.info(message)),
  });

  constructor(readonly extension: vscode.ExtensionContext) {
    this.model = new TreeModel(config.read().pageSize);
    for (const id of extension.workspaceState.get<string[]>(UNDOABLE_KEY, [])) this.model.setUndoable(id, true);
    for (const [id, outcome] of Object.entries(extension.workspaceState.get<Record<string, CheckOutcome>>(CHECKS_KEY, {}))) this.model.setCheckOutcome(id, outcome);
    this.runs = new RunTracker(this);
    this.statusBar = new StatusBar(this);
    this.disposables.push(this.output, this.trace, this.statusBar, this.runs, this.stateEmitter, this.modelEmitter,
      this.executionEmitter, this.checkpointEmitter, this.workflowsEmitter, this.watcherEmitter,
      // An execution that ended may have been the one whose barrier failed: ask again.
      this.onExecutionChanged((e) => {
        if (p.FINAL_STATUSES.includes(e.status)) void this.watcherProbe.refresh();
        if (e.status === 'running' && this.model.isUndoable(e.id)) this.setUndoable(e.id, false);
      }));
    void vscode.commands.executeCommand('setContext', 'wtb.serverState', this._state);
  }

  /** Whether "Undo Rollback" is offered for an execution (kept per workspace). */
  setUndoable(executionId: string, on: boolean): void {
    this.model.setUndoable(executionId, on);
    void this.extension.workspaceState.update(UNDOABLE_KEY, this.model.undoableIds());
  }

  setGoldens(goldens: p.GoldenInfo[]): void {
    this.model.setGoldens(goldens);
    this.modelEmitter.fire();
  }

  /** What a golden check found, for its row (kept per workspace). */
  setCheckOutcome(executionId: string, outcome: CheckOutcome): void {
    this.model.setCheckOutcome(executionId, outcome);
    const all = { ...this.extension.workspaceState.get<Record<string, CheckOutcome>>(CHECKS_KEY, {}), [executionId]: outcome };
    void this.extension.workspaceState.update(CHECKS_KEY, all);
    this.modelEmitter.fire();
  }

  get state(): ServerState {
    return this._state;
  }

  get python(): string {
    return this._python;
  }

  /** The daemon's file watcher as `wtb/doctor` last said; undefined until it answers. */
  get watcher(): p.WatcherInfo | undefined {
    return this.watcherProbe.watcher;
  }

  get settings(): Settings {
    return config.read();
  }

  /** The folder the daemon serves: the chosen one in a multi-root window (see folders.ts). */
  get workspaceFolder(): vscode.WorkspaceFolder | undefined {
    const folders = vscode.workspace.workspaceFolders ?? [];
    return folders.find((f) => f.uri.toString() === this.folderUri) ?? folders[0];
  }

  private folderUri: string | undefined;

  /** Settles which folder the daemon serves; asks in a multi-root window when it cannot tell. */
  private async settleFolder(ask: boolean): Promise<vscode.WorkspaceFolder | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const facts: FolderFacts[] = await Promise.all(folders.map(async (f) => ({ uri: f.uri.toString(), name: f.name, hasWorkflows: await hasWorkflows(f.uri) })));
    const remembered = ask ? undefined : this.extension.workspaceState.get<string>(FOLDER_KEY);
    const choice = chooseFolder(facts, remembered);
    let uri: string | undefined;
    if ('folder' in choice) uri = choice.folder.uri;
    else if ('ask' in choice) {
      const pick = await vscode.window.showQuickPick(choice.ask.map((f) => ({ label: f.name, description: f.hasWorkflows ? 'has workflows' : '', uri: f.uri })),
        { title: 'WTB: which folder\'s workflows? (one WTB server serves one folder)', ignoreFocusOut: true });
      uri = pick?.uri ?? choice.ask[0]?.uri;
      if (pick) await this.extension.workspaceState.update(FOLDER_KEY, pick.uri);
    }
    this.folderUri = uri;
    return this.workspaceFolder;
  }

  /** "WTB: Choose Workspace Folder": ask, then serve the chosen folder. */
  async chooseFolder(): Promise<void> {
    if ((vscode.workspace.workspaceFolders ?? []).length < 2) {
      void vscode.window.showInformationMessage(`WTB: this window has one folder${this.workspaceFolder ? ` (${this.workspaceFolder.name})` : ''}: nothing to choose.`);
      return;
    }
    const before = this.folderUri;
    await this.stop();
    await this.settleFolder(true);
    if (before !== this.folderUri) this.output.info(`WTB now serves the folder ${this.workspaceFolder?.name}.`);
    await this.start();
  }

  private setState(state: ServerState): void {
    if (this._state === state) return;
    this._state = state;
    void vscode.commands.executeCommand('setContext', 'wtb.serverState', state);
    if (state === 'running') void this.watcherProbe.refresh();
    else this.watcherProbe.reset();
    this.stateEmitter.fire(state);
  }

  // ------------------------------------------------------------------ life cycle

  async start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (!(vscode.workspace.workspaceFolders ?? []).length) {
      this.setState('noFolder');
      return;
    }
    this.setState('starting');
    const folder = this.folderUri && this.workspaceFolder?.uri.toString() === this.folderUri ? this.workspaceFolder : await this.settleFolder(false);
    if (!folder) {
      this.setState('noFolder');
      return;
    }
    const settings = config.read(folder);
    this.model.pageSize = settings.pageSize;
    const python = await config.interpreter(folder);
    this._python = python.path;
    this.output.info(`Python interpreter: ${python.path} (from ${python.source})`);

    const verdict = await config.probe(python.path, folder.uri.fsPath, PROBE_SCRIPT).then((run) => judgeProbe(python.path, run));
    this._verdict = verdict;
    if (!verdict.ok) {
      this.output.error(verdict.message);
      this.setState('failed');
      void this.showProbeProblem(verdict);
      return;
    }
    this.output.info(`wtb ${verdict.version} on Python ${verdict.python}`);

    const trusted = vscode.workspace.isTrusted;
    const client = createClient({
      python: python.path,
      cwd: folder.uri.fsPath,
      initializationOptions: initializationOptions(settings, { trusted, python: python.path, workspaceFolder: folder.uri.fsPath }),
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      workspaceFolder: folder,
    });
    this.client = client;
    this.clientDisposables = [
      client.onNotification(p.EXECUTION_CHANGED, (params: p.ExecutionChangedParams) => this.executionEmitter.fire(params.execution)),
      client.onNotification(p.CHECKPOINT_ADDED, (params: p.CheckpointAddedParams) => this.checkpointEmitter.fire(params)),
      client.onNotification(p.WORKFLOWS_CHANGED, (params: p.WorkflowsChangedParams) => this.workflowsEmitter.fire(params.workflows)),
      client.onDidChangeState((e) => {
        if (this.client !== client) return;
        if (e.newState === State.Running) this.setState('running');
        else if (e.newState === State.Starting) this.setState('starting');
        else if (e.newState === State.Stopped && this._state === 'running') {
          this.output.warn('The WTB server stopped.');
          this.setState('stopped');
        }
      }),
    ];
    try {
      await client.start();
      this.output.info(`WTB server started (workspace trusted: ${trusted})`);
      this.setState('running');
    } catch (e) {
      this.output.error(`The WTB server did not start: ${describeError(e)}`);
      this.setState('failed');
      void vscode.window.showErrorMessage(`The WTB server did not start: ${describeError(e)}`, 'Show Logs')
        .then((pick) => pick && this.output.show());
    }
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables) d.dispose();
    this.clientDisposables = [];
    this.runs.abandonAll();
    if (client) {
      try {
        await client.stop(5000);
      } catch (e) {
        this.output.warn(`Stopping the WTB server: ${describeError(e)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.model.clear();
    this.setState(this.workspaceFolder ? 'stopped' : 'noFolder');
  }

  async restart(): Promise<void> {
    this.output.info('Restarting the WTB server…');
    await this.stop();
    await this.start();
  }

  private async showProbeProblem(verdict: Exclude<ProbeVerdict, { ok: true }>): Promise<void> {
    const actions = verdict.install ? ['Copy Install Command', 'Install in Terminal', 'Choose Interpreter', 'Show Logs'] : ['Choose Interpreter', 'Show Logs'];
    const pick = await vscode.window.showErrorMessage(verdict.message, ...actions);
    if (pick === 'Copy Install Command' && verdict.install) {
      await vscode.env.clipboard.writeText(verdict.install);
    } else if (pick === 'Install in Terminal' && verdict.install) {
      const terminal = vscode.window.createTerminal({ name: 'WTB install', cwd: this.workspaceFolder?.uri });
      terminal.show();
      terminal.sendText(verdict.install);
    } else if (pick === 'Choose Interpreter') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'wtb.python.interpreter');
    } else if (pick === 'Show Logs') {
      this.output.show();
    }
  }

  /** Why the server is not running, for messages. */
  get problem(): string | undefined {
    if (this._verdict && !this._verdict.ok) return this._verdict.message;
    return undefined;
  }

  // ------------------------------------------------------------------ requests

  /** A typed `wtb/*` request; throws ServerNotRunningError when there is no running server. */
  async request<M extends p.RequestMethod>(method: M, params: p.ParamsOf<M>, token?: vscode.CancellationToken): Promise<p.ResultOf<M>> {
    if (this.starting) await this.starting;
    const client = this.client;
    if (!client || this._state !== 'running') throw new ServerNotRunningError(this._state);
    // Never pass an undefined token: vscode-jsonrpc would send the params as an array `[params, null]`.
    return token ? client.sendRequest<p.ResultOf<M>>(method, params, token) : client.sendRequest<p.ResultOf<M>>(method, params);
  }

  /**
   * Reads an execution again and tells every view (as `wtb/executionChanged` would): after a
   * run's progress ended, so that no row, hover or status item keeps a status it no longer has
   * even when the final notification was lost.
   */
  async refreshExecution(executionId: string): Promise<p.ExecutionInfo | undefined> {
    try {
      const e = await this.request(p.GET_EXECUTION, { executionId });
      this.executionEmitter.fire(e);
      return e;
    } catch (e) {
      this.output.debug(`reading ${executionId} again: ${describeError(e)}`);
      return undefined;
    }
  }

  /** `wtb/doctor` (what `wtb doctor` prints); its watcher updates the status item. */
  async doctor(): Promise<p.DoctorResult> {
    const result = await this.request(p.DOCTOR, {});
    if (this._state === 'running') this.watcherProbe.report(result.watcher);
    return result;
  }

  /** The running client, for `$/progress` subscriptions. */
  get languageClient(): WtbLanguageClient | undefined {
    return this._state === 'running' ? this.client : undefined;
  }

  /** False (and a message) when the workspace is not trusted: no workflow code runs then. */
  ensureTrusted(action: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(
      `WTB does not ${action} in an untrusted workspace: that would run the workflow's code or change workspace files. Trust the workspace to allow it; existing checkpoints can be browsed meanwhile.`,
      'Manage Workspace Trust',
    ).then((pick) => pick && vscode.commands.executeCommand('workbench.trust.manage'));
    return false;
  }

  dispose(): void {
    // The channels outlive the stop, which may still log.
    void this.stop().finally(() => {
      for (const d of this.disposables) d.dispose();
    });
  }
}
