import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanBytes, renderDoctor, watcherSummary } from '../src/doctor';
import type { DoctorResult } from '../src/protocol';

const report: DoctorResult = {
  python: '3.12.3',
  libraries: { wtb: '0.1.0', langgraph: '0.6.7', watchdog: null },
  watcher: { mode: 'inotify', reason: '', roundTripMs: 0.1234, barrierTimeouts: 0 },
  workspace: '/home/me/project',
  dataDir: '/home/me/project/.wtb',
  dataDirBytes: 1536,
  rayImportable: false,
  problems: ["Ray is not installed: batches need pip install 'wtb[batch]'"],
};

test('the doctor report: the facts `wtb doctor` prints, one a line, names in one column', () => {
  assert.equal(renderDoctor(report), [
    'python     3.12.3',
    'wtb        0.1.0',
    'langgraph  0.6.7',
    'watchdog   (not installed)',
    'watcher    inotify, barrier round trip 0.12 ms',
    'workspace  /home/me/project',
    'data dir   /home/me/project/.wtb (1.5 KiB)',
    'batches    Ray not installed',
    "problem    Ray is not installed: batches need pip install 'wtb[batch]'",
  ].join('\n'));
  const ok = renderDoctor({ ...report, rayImportable: true, problems: [] });
  assert.match(ok, /^batches {4}Ray importable$/m);
  assert.doesNotMatch(ok, /problem/);
});

test('the watcher line: mode, round trip, timeouts, reason', () => {
  assert.equal(watcherSummary({ mode: 'walking', reason: 'a barrier whose cookie never came', roundTripMs: null, barrierTimeouts: 1 }),
    'walking, 1 barrier timeout (a barrier whose cookie never came)');
  assert.equal(watcherSummary({ mode: 'polling', reason: '', roundTripMs: 12, barrierTimeouts: 3 }), 'polling, barrier round trip 12.00 ms, 3 barrier timeouts');
  assert.equal(watcherSummary({ mode: 'off', reason: 'file tracking is off', roundTripMs: null, barrierTimeouts: 0 }), 'off (file tracking is off)');
});

test('sizes as wtb doctor writes them', () => {
  assert.equal(humanBytes(0), '0 B');
  assert.equal(humanBytes(1023), '1023 B');
  assert.equal(humanBytes(1024), '1.0 KiB');
  assert.equal(humanBytes(5 * 1024 * 1024), '5.0 MiB');
  assert.equal(humanBytes(3 * 1024 ** 4), '3072.0 GiB');
});
