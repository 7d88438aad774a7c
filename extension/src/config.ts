// Typed getters over VS Code's configuration and the Python extension's interpreter; the
// logic (defaults, precedence, what needs a restart) lives in settings.ts.

import * as os from 'node:os';
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { normalizeSettings, pickInterpreter, type InterpreterSource, type Settings } from './settings';

export function read(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration('wtb', scope ?? vscode.workspace.workspaceFolders?.[0]);
  return normalizeSettings({
    interpreter: c.get('python.interpreter'),
    dataDir: c.get('dataDir'),
    fileTrackingEnabled: c.get('fileTracking.enabled'),
    pageSize: c.get('checkpoints.pageSize'),
    trace: c.get('trace.server'),
  });
}

const PYTHON_EXTENSION_ID = 'ms-python.python';

/** The Python extension's active interpreter for the folder, when that extension is installed. */
export async function pythonExtensionInterpreter(folder: vscode.WorkspaceFolder): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return undefined;
  try {
    const api = await PythonExtension.api();
    await api.ready;
    const active = api.environments.getActiveEnvironmentPath(folder.uri);
    const resolved = await api.environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}

/** Fires when the Python extension's active interpreter changes (nothing when it is absent). */
export async function onPythonInterpreterChanged(listener: () => void): Promise<vscode.Disposable | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return undefined;
  try {
    const api = await PythonExtension.api();
    return api.environments.onDidChangeActiveEnvironmentPath(() => listener());
  } catch {
    return undefined;
  }
}

export async function interpreter(folder: vscode.WorkspaceFolder): Promise<{ path: string; source: InterpreterSource }> {
  const settings = read(folder);
  const fromExtension = settings.interpreter ? undefined : await pythonExtensionInterpreter(folder);
  return pickInterpreter(settings.interpreter, fromExtension, { workspaceFolder: folder.uri.fsPath, userHome: os.homedir() });
}

/** Runs the probe script with the interpreter (20 s at most). */
export function probe(python: string, cwd: string, script: string): Promise<{ spawnError?: string; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(python, ['-c', script], { cwd, timeout: 20000, windowsHide: true }, (error, stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e && typeof e.code === 'string') {
        resolve({ spawnError: e.code === 'ENOENT' ? 'not found' : e.code, code: null, stdout, stderr });
      } else {
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      }
    });
  });
}
