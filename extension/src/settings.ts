// What the extension launches and with which options — a declarative description in the
// manner of ruff-vscode / vscode-black-formatter, and the pure logic around it (no `vscode`):
// which settings restart the server, which interpreter wins, what the daemon is told at
// `initialize`, and what to say when the interpreter lacks the `wtb` package.

import type { InitializationOptions } from './protocol';

export const SERVER = {
  /** `python -m wtb.lsp` (the same daemon as `wtb serve`). */
  module: 'wtb.lsp',
  /** The Python distribution that provides it. */
  package: 'wtb',
  minimumVersion: '0.1.0',
  minimumPython: '3.10',
  fallbackInterpreter: 'python3',
} as const;

/** The settings the extension reads, as they come from the configuration. */
export interface Settings {
  interpreter: string;
  dataDir: string;
  fileTrackingEnabled: boolean;
  pageSize: number;
  trace: 'off' | 'messages' | 'verbose';
}

export const SETTING_KEYS = {
  interpreter: 'wtb.python.interpreter',
  dataDir: 'wtb.dataDir',
  fileTrackingEnabled: 'wtb.fileTracking.enabled',
  pageSize: 'wtb.checkpoints.pageSize',
  trace: 'wtb.trace.server',
} as const;

/** Settings the daemon reads at start: changing one restarts it (`wtb.trace.server` does not). */
export const RESTART_SETTINGS: readonly string[] = [
  SETTING_KEYS.interpreter,
  SETTING_KEYS.dataDir,
  SETTING_KEYS.fileTrackingEnabled,
];

export function needsRestart(affects: (key: string) => boolean): boolean {
  return RESTART_SETTINGS.some((key) => affects(key));
}

/** Raw configuration values (anything a user may have typed) → typed settings with defaults. */
export function normalizeSettings(raw: Record<string, unknown>): Settings {
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const pageSize = typeof raw.pageSize === 'number' && Number.isFinite(raw.pageSize)
    ? Math.min(1000, Math.max(5, Math.floor(raw.pageSize))) : 50;
  const trace = raw.trace === 'messages' || raw.trace === 'verbose' ? raw.trace : 'off';
  return {
    interpreter: str(raw.interpreter),
    dataDir: str(raw.dataDir),
    fileTrackingEnabled: raw.fileTrackingEnabled !== false,
    pageSize,
    trace,
  };
}

/** `${workspaceFolder}`, `${userHome}` and a leading `~` in a path setting. */
export function expandPath(value: string, vars: { workspaceFolder?: string; userHome?: string }): string {
  let out = value;
  if (vars.workspaceFolder !== undefined) out = out.replace(/\$\{workspaceFolder\}/g, vars.workspaceFolder);
  if (vars.userHome !== undefined) {
    out = out.replace(/\$\{userHome\}/g, vars.userHome);
    if (out === '~' || out.startsWith('~/')) out = vars.userHome + out.slice(1);
  }
  return out;
}

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

/** The interpreter: the setting, else the Python extension's active one, else `python3`. */
export function pickInterpreter(
  setting: string,
  fromPythonExtension: string | undefined,
  vars: { workspaceFolder?: string; userHome?: string } = {},
): { path: string; source: InterpreterSource } {
  if (setting) return { path: expandPath(setting, vars), source: 'setting' };
  if (fromPythonExtension) return { path: fromPythonExtension, source: 'python-extension' };
  return { path: SERVER.fallbackInterpreter, source: 'default' };
}

/** What `initialize` carries. */
export function initializationOptions(
  settings: Settings,
  opts: { trusted: boolean; python: string; workspaceFolder?: string },
): InitializationOptions {
  const dataDir = settings.dataDir ? expandPath(settings.dataDir, { workspaceFolder: opts.workspaceFolder }) : null;
  return {
    dataDir,
    trusted: opts.trusted,
    fileTracking: { enabled: settings.fileTrackingEnabled },
    python: opts.python,
  };
}

/** A Python one-liner that reports the interpreter's version and the installed `wtb`. */
export const PROBE_SCRIPT = [
  'import json, sys',
  'try:',
  '    import importlib.metadata as m; v = m.version("wtb")',
  'except Exception:',
  '    v = None',
  'try:',
  '    import importlib.util as u; lsp = u.find_spec("wtb.lsp") is not None',
  'except Exception:',
  '    lsp = False',
  'print(json.dumps({"python": "%d.%d.%d" % sys.version_info[:3], "wtb": v, "lsp": lsp}))',
].join('\n');

export type ProbeVerdict =
  | { ok: true; python: string; version: string }
  | { ok: false; problem: 'no-python' | 'old-python' | 'missing' | 'too-old' | 'no-server' | 'unreadable'; message: string; install?: string };

/** Compares dotted versions numerically (`0.10.0` > `0.9.1`); pre-release tails are ignored. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.split(/[.+-]/).map((p) => parseInt(p, 10)).map((n) => (Number.isNaN(n) ? 0 : n));
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function quoteShell(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function installCommand(python: string): string {
  return `${quoteShell(python)} -m pip install --upgrade "${SERVER.package}>=${SERVER.minimumVersion}"`;
}

/**
 * Judges the probe's run: `spawnError` when the interpreter could not be started at all,
 * else its exit code and stdout.
 */
export function judgeProbe(python: string, run: { spawnError?: string; code: number | null; stdout: string; stderr: string }): ProbeVerdict {
  const install = installCommand(python);
  if (run.spawnError) {
    return {
      ok: false, problem: 'no-python',
      message: `WTB cannot start the Python interpreter "${python}" (${run.spawnError}). Set "wtb.python.interpreter" to a Python ${SERVER.minimumPython}+ that has the wtb package.`,
    };
  }
  let report: { python?: unknown; wtb?: unknown; lsp?: unknown } | undefined;
  try {
    const line = run.stdout.trim().split('\n').pop() ?? '';
    report = JSON.parse(line) as typeof report;
  } catch {
    report = undefined;
  }
  if (run.code !== 0 || !report || typeof report.python !== 'string') {
    const why = (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ');
    return { ok: false, problem: 'unreadable', message: `WTB could not query the Python interpreter "${python}" (exit ${run.code ?? 'signal'}): ${why}` };
  }
  if (compareVersions(report.python, SERVER.minimumPython) < 0) {
    return {
      ok: false, problem: 'old-python',
      message: `WTB needs Python ${SERVER.minimumPython} or newer; "${python}" is Python ${report.python}. Set "wtb.python.interpreter" to a newer one.`,
    };
  }
  if (typeof report.wtb !== 'string') {
    return {
      ok: false, problem: 'missing', install,
      message: `The Python interpreter "${python}" does not have the wtb package. Install it with: ${install}`,
    };
  }
  if (compareVersions(report.wtb, SERVER.minimumVersion) < 0) {
    return {
      ok: false, problem: 'too-old', install,
      message: `The wtb package in "${python}" is version ${report.wtb}; this extension needs ${SERVER.minimumVersion} or newer. Upgrade it with: ${install}`,
    };
  }
  if (report.lsp !== true) {
    return {
      ok: false, problem: 'no-server', install,
      message: `The wtb package ${report.wtb} in "${python}" has no language server (wtb.lsp). Upgrade it with: ${install}`,
    };
  }
  return { ok: true, python: report.python, version: report.wtb };
}
