import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeMarkdown, formatMs, isWalking, statusText, type StatusInput } from '../src/statusText';

const running: StatusInput = { state: 'running', python: '/usr/bin/python3', runs: [] };
const run = { workflow: 'rag', label: 'run 1a2b3c4d', message: 'step 2 · retrieve' };
const walking = { mode: 'walking', reason: 'a barrier whose cookie never came', roundTripMs: null };
const WARNING = 'The file watcher is off (a barrier whose cookie never came): every snapshot walks the workspace. Run `wtb doctor` for details.';

test('no watcher known yet: the plain item, a click shows the log', () => {
  const v = statusText(running);
  assert.equal(v.text, '$(beaker) WTB');
  assert.equal(v.command, 'wtb.showLogs');
  assert.doesNotMatch(v.tooltip, /watcher/i);
  assert.match(v.tooltip, /Click to show the WTB log\.$/);
});

test('walking: a warning item and tooltip; a click runs WTB: Doctor', () => {
  const v = statusText({ ...running, watcher: walking });
  assert.equal(v.text, '$(warning) WTB: file watcher off');
  assert.equal(v.error, false);
  assert.equal(v.command, 'wtb.doctor');
  assert.ok(v.tooltip.includes(`\n\n${WARNING}\n\n`), v.tooltip);
  assert.match(v.tooltip, /Click to run "WTB: Doctor"\.$/);
});

test('walking during a run: the run text stays, the warning is in the tooltip', () => {
  const v = statusText({ ...running, runs: [run], watcher: walking });
  assert.equal(v.text, '$(sync~spin) WTB: rag — step 2 · retrieve');
  assert.ok(v.tooltip.includes(WARNING), v.tooltip);
  assert.ok(v.tooltip.indexOf('- rag run 1a2b3c4d') < v.tooltip.indexOf(WARNING));
  assert.equal(v.command, 'wtb.doctor');
});

test('walking without a reason', () => {
  const v = statusText({ ...running, watcher: { mode: 'walking', reason: '' } });
  assert.ok(v.tooltip.includes('The file watcher is off: every snapshot walks the workspace.'), v.tooltip);
});

test('off (the user turned tracking off) is not a warning', () => {
  const v = statusText({ ...running, watcher: { mode: 'off', reason: 'file tracking is off', roundTripMs: null } });
  assert.equal(v.text, '$(beaker) WTB');
  assert.equal(v.command, 'wtb.showLogs');
  assert.ok(v.tooltip.includes('File watcher: off (file tracking is off)'), v.tooltip);
  assert.doesNotMatch(v.tooltip, /walks the workspace/);
  assert.equal(isWalking({ mode: 'off', reason: '' }), false);
});

test('trusted watcher: a tooltip line with the mode and the barrier round trip', () => {
  for (const mode of ['inotify', 'watchdog', 'polling']) {
    const v = statusText({ ...running, watcher: { mode, reason: '', roundTripMs: 0.123 } });
    assert.equal(v.text, '$(beaker) WTB');
    assert.equal(v.command, 'wtb.showLogs');
    assert.ok(v.tooltip.includes(`\n\nFile watcher: ${mode} (0.1 ms barrier)\n\n`), v.tooltip);
  }
  const noBarrier = statusText({ ...running, watcher: { mode: 'inotify', reason: '', roundTripMs: null } });
  assert.ok(noBarrier.tooltip.includes('File watcher: inotify\n'), noBarrier.tooltip);
  const undefinedBarrier = statusText({ ...running, watcher: { mode: 'polling', reason: '' } });
  assert.ok(undefinedBarrier.tooltip.includes('File watcher: polling\n'), undefinedBarrier.tooltip);
});

test('a stale watcher is not shown while the server is not running', () => {
  for (const state of ['starting', 'stopped', 'failed', 'noFolder'] as const) {
    const v = statusText({ ...running, state, watcher: walking });
    assert.doesNotMatch(v.text, /watcher/);
    assert.doesNotMatch(v.tooltip, /watcher/i);
    assert.equal(v.command, 'wtb.showLogs');
  }
  assert.equal(statusText({ ...running, state: 'failed', watcher: walking }).error, true);
});

test('round trips and markdown escaping', () => {
  assert.equal(formatMs(0.042), '0.04 ms');
  assert.equal(formatMs(0.1), '0.1 ms');
  assert.equal(formatMs(2.345), '2.3 ms');
  assert.equal(formatMs(12.6), '13 ms');
  assert.equal(escapeMarkdown('lost events in __pycache__ *'), 'lost events in \\_\\_pycache\\_\\_ \\*');
  const v = statusText({ ...running, watcher: { mode: 'walking', reason: 'queue_overflow' } });
  assert.ok(v.tooltip.includes('(queue\\_overflow)'), v.tooltip);
});

test('in a multi-root window the tooltip names the folder the server serves', () => {
  const view = statusText({ state: 'running', python: '/py', runs: [], folder: 'service_b' });
  assert.match(view.tooltip, /Folder: service\\_b \(WTB: Choose Workspace Folder to switch\)/);
  assert.doesNotMatch(statusText({ state: 'running', python: '/py', runs: [] }).tooltip, /Folder:/);
});

test('the storage line is in the tooltip (a one-view container hides the view description)', () => {
  const view = statusText({ state: 'running', python: '/py', runs: [], storage: '12 KB stored · 4.7× dedup' });
  assert.match(view.tooltip, /Storage: 12 KB stored · 4\.7× dedup/);
});
