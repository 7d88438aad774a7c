// What the status item says (pure, unit-tested): `$(beaker) WTB`, a spinner with the running
// execution and its last step, or an error look when the server is down.

export interface RunSummary {
  workflow: string;
  label: string;
  message: string;
}

export interface StatusInput {
  state: 'noFolder' | 'stopped' | 'starting' | 'running' | 'failed';
  python: string;
  problem?: string | undefined;
  runs: RunSummary[];
}

export function statusText(s: StatusInput): { text: string; tooltip: string; error: boolean } {
  const lines: string[] = [];
  let text: string;
  let error = false;
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
        text = '$(beaker) WTB';
      } else {
        const first = s.runs[0]!;
        const more = s.runs.length > 1 ? ` (+${s.runs.length - 1})` : '';
        text = `$(sync~spin) WTB: ${first.workflow}${first.message ? ` — ${first.message}` : ''}${more}`;
      }
      lines.push('WTB server: running');
      for (const r of s.runs) lines.push(`- ${r.workflow} ${r.label}${r.message ? `: ${r.message}` : ''}`);
      break;
  }
  if (s.python) lines.push('', `Python: \`${s.python}\``);
  lines.push('', 'Click to show the WTB log.');
  return { text, tooltip: lines.join('\n'), error };
}
