// The `wtb` debugger's launch configurations, as pure logic (no `vscode`): what F5 on a
// workflow file launches, the defaults a configuration gets, and the adapter's command line
// (`<python> -m wtb.dap`, the same interpreter and working directory as the daemon).

export const DEBUG_TYPE = 'wtb';
/** `python -m wtb.dap` (the CLI's `wtb dap`). */
export const ADAPTER_MODULE = 'wtb.dap';

/** The launch configuration's attributes (package.json `debuggers[].configurationAttributes`). */
export interface WtbLaunch {
  type: string;
  request: string;
  name: string;
  /** The workflow's name in langgraph.json / [tool.wtb.workflows]. */
  workflow?: string;
  /** Or the workflow's file (the one workflow defined there). */
  program?: string;
  /** The graph's input: a JSON value, or a JSON file relative to the workspace. */
  input?: unknown;
  inputFile?: string;
  /** Start from an existing checkpoint (a fork of it). */
  checkpoint?: { execution: string; checkpoint: string };
  workspace?: string;
  dataDir?: string;
  stopOnEntry?: boolean;
  noDebug?: boolean;
  [key: string]: unknown;
}

/** The checkpoint a `wtb` session stands on, from its `wtbCheckpoint` custom event (else undefined). */
export function stoppedAt(sessionType: string, event: string, body: unknown): { executionId: string; checkpointId: string } | undefined {
  if (sessionType !== DEBUG_TYPE || event !== 'wtbCheckpoint' || typeof body !== 'object' || body === null) return undefined;
  const { executionId, checkpointId } = body as { executionId?: unknown; checkpointId?: unknown };
  return typeof executionId === 'string' && typeof checkpointId === 'string' ? { executionId, checkpointId } : undefined;
}

/** The configuration the CodeLens "Debug" starts: the workflow by name, the rest defaulted. */
export function debugLaunch(workflow: string): WtbLaunch {
  return { type: DEBUG_TYPE, request: 'launch', name: `WTB: Debug ${workflow}`, workflow };
}

/** The configuration F5 gets when there is no launch.json: debug the workflow in the active Python file. */
export function fromActiveFile(activeFile: string | undefined, languageId: string | undefined): WtbLaunch | undefined {
  if (!activeFile || languageId !== 'python') return undefined;
  const base = activeFile.split(/[\\/]/).pop() ?? activeFile;
  return { type: DEBUG_TYPE, request: 'launch', name: `WTB: Debug ${base}`, program: activeFile };
}

/**
 * A configuration completed with the workspace and the data dir setting, or why it cannot run.
 * An empty configuration (F5 without launch.json) is filled from the active file first.
 */
export function resolveLaunch(
  given: Partial<WtbLaunch>,
  context: { workspaceFolder?: string; dataDir?: string; activeFile?: string; languageId?: string },
): { config: WtbLaunch } | { error: string; config?: undefined } {
  let config = given;
  if (!config.type && !config.request && !config.name) {
    const fromFile = fromActiveFile(context.activeFile, context.languageId);
    if (!fromFile) return { error: 'Open the workflow\'s Python file, or add a "wtb" launch configuration naming its workflow.' };
    config = fromFile;
  }
  if (!config.workflow && !config.program) {
    return { error: 'The WTB launch configuration needs "workflow" (its name in langgraph.json) or "program" (its file).' };
  }
  if (config.input !== undefined && config.inputFile) {
    return { error: 'Give "input" or "inputFile", not both.' };
  }
  const workspace = config.workspace ?? context.workspaceFolder;
  if (!workspace) return { error: 'WTB debugs workflows of an open folder: open the workspace folder first.' };
  const resolved: WtbLaunch = {
    ...config, type: DEBUG_TYPE, request: config.request ?? 'launch', name: config.name ?? 'WTB', workspace,
  };
  if (!resolved.dataDir && context.dataDir) resolved.dataDir = context.dataDir;
  return { config: resolved };
}

/** The adapter's process: `<python> -m wtb.dap`, run from the workspace folder. */
export function adapterCommand(python: string, cwd: string): { command: string; args: string[]; cwd: string; env: Record<string, string> } {
  return { command: python, args: ['-m', ADAPTER_MODULE], cwd, env: { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' } };
}
