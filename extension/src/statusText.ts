// What the status item says (pure, unit-tested): `$(beaker) WTB`, a spinner with the running
// execution and its last step, an error look when the server is down, and a warning when the
// daemon's file watcher is not trusted (every snapshot then walks the workspace).

export interface RunSummary {
  workflow: string;
  label: string;
  message: string;
}

/** The daemon's file watcher, as `wtb/doctor` last reported it (`WatcherInfo`). */
export interface WatcherStatus {
  /** `inotify`, `watchdog`, `polling` (trusted), `walking` (not trusted) or `off` (nothing watches). */
  mode: string;
  reason: string;
  roundTripMs?: number | null;
}

export interface StatusInput {
  state: 'noFolder' | 'stopped' | 'starting' | 'running' | 'failed';
  python: string;
  problem?: string | undefined;
  runs: RunSummary[];
  /** Unknown until the daemon answers `wtb/doctor` (an older daemon never does). */
  watcher?: WatcherStatus | undefined;
  /** The folder the daemon serves, named in a multi-root window. */
  folder?: string | undefined;
  /** `12 KB stored · 4.7× dedup` (also the view's description, which a one-view container hides). */
  storage?: string | undefined;
}

export interface StatusView {
  text: string;
  /** Markdown. */
  tooltip: string;
  error: boolean;
  /** What a click runs: the log, or `wtb.doctor` while the watcher is walking. */
  command: 'wtb.showLogs' | 'wtb.doctor';
}

/** Snapshots walk the workspace because the watcher is not trusted ("off" is the user's choice: no warning). */
export function isWalking(w: WatcherStatus | undefined): boolean {
  return w?.mode === 'walking';
}

/** A barrier round trip for people: `0.04 ms`, `0.1 ms`, `2.3 ms`, `13 ms`. */
export function formatMs(ms: number): string {
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(ms >= 0.1 ? 1 : 2)} ms`;
}

/** Markdown's special characters in text from the daemon (a reason, a path) taken literally. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, '\\$&');
}

/** The tooltip's watcher paragraph: the warning while walking, else mode and round trip. */
export function watcherLine(w: WatcherStatus): string {
  const reason = w.reason ? ` (${escapeMarkdown(w.reason)})` : '';
  if (isWalking(w)) return `The file watcher is off${reason}: every snapshot walks the workspace. Run \`wtb doctor\` for details.`;
  if (w.mode === 'off') return `File watcher: off${reason}`;
  return `File watcher: ${escapeMarkdown(w.mode)}${w.roundTripMs != null ? ` (${formatMs(w.roundTripMs)} barrier)` : ''}`;
}

export function statusText(s: StatusInput): StatusView {
  const lines: string[] = [];
  let text: string;
  let error = false;
  const walking = s.state === 'running' && isWalking(s.watcher);
  switch (s.state) {
    case 'noFolder':
      text = '$(beaker) WTB';
      lines.push('WTB: open a folder to use the Workflow Test Bench');
      break;
    case 'starting':
      text = '$(loading~spin) WTB';
      lines.push('WTB server: starting');
      break;
    case 'stopped':
    case 'failed':
      text = '$(error) WTB';
      error = true;
      lines.push(`WTB server: ${s.state === 'failed' ? 'failed to start' : 'not running'}`);
      if (s.problem) lines.push('', s.problem);
      break;
    case 'running':
      if (s.runs.length === 0) {
        text = walking ? '$(warning) WTB: file watcher off' : '$(beaker) WTB';
      } else {
        const first = s.runs[0]!;
        const more = s.runs.length > 1 ? ` (+${s.runs.length - 1})` : '';
        text = `$(sync~spin) WTB: ${first.workflow}${first.message ? ` — ${first.message}` : ''}${more}`;
      }
      lines.push('WTB server: running');
      for (const r of s.runs) lines.push(`- ${r.workflow} ${r.label}${r.message ? `: ${r.message}` : ''}`);
      if (s.watcher) lines.push('', watcherLine(s.watcher));
      if (s.storage) lines.push('', `Storage: ${escapeMarkdown(s.storage)}`);
      break;
  }
  if (s.folder) lines.push('', `Folder: ${escapeMarkdown(s.folder)} (WTB: Choose Workspace Folder to switch)`);
  if (s.python) lines.push('', `Python: \`${s.python}\``);
  lines.push('', walking ? 'Click to run "WTB: Doctor".' : 'Click to show the WTB log.');
  return { text, tooltip: lines.join('\n'), error, command: walking ? 'wtb.doctor' : 'wtb.showLogs' };
}
