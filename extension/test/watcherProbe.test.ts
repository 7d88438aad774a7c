import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatcherProbe } from '../src/watcherProbe';
import type { DoctorResult, WatcherInfo } from '../src/protocol';

const inotify: WatcherInfo = { mode: 'inotify', reason: '', roundTripMs: 0.2, barrierTimeouts: 0 };
const walking: WatcherInfo = { mode: 'walking', reason: 'lost events', roundTripMs: null, barrierTimeouts: 1 };

function result(watcher: WatcherInfo): DoctorResult {
  return { python: '3.12', libraries: {}, watcher, workspace: '/w', dataDir: '/w/.wtb', dataDirBytes: 0, rayImportable: true, problems: [] };
}

/** A probe whose `ask` answers only when the test says so. */
function harness() {
  const pending: { resolve: (r: DoctorResult) => void; reject: (e: unknown) => void }[] = [];
  const changes: (WatcherInfo | undefined)[] = [];
  const logs: string[] = [];
  const probe = new WatcherProbe({
    ask: () => new Promise<DoctorResult>((resolve, reject) => pending.push({ resolve, reject })),
    changed: (w) => changes.push(w),
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return { probe, pending, changes, logs, tick };
}

test('an answer is stored and announced; the same answer again is not', async () => {
  const h = harness();
  const done = h.probe.refresh();
  assert.equal(h.pending.length, 1);
  h.pending[0]!.resolve(result(inotify));
  await done;
  assert.deepEqual(h.probe.watcher, inotify);
  assert.deepEqual(h.changes, [inotify]);
  assert.deepEqual(h.logs, ['info: File watcher: inotify']);
  const again = h.probe.refresh();
  h.pending[1]!.resolve(result({ ...inotify }));
  await again;
  assert.equal(h.changes.length, 1);
});

test('refreshes while one is in flight make one more request, not one each', async () => {
  const h = harness();
  const first = h.probe.refresh();
  void h.probe.refresh();
  void h.probe.refresh();
  assert.equal(h.pending.length, 1);
  h.pending[0]!.resolve(result(inotify));
  await h.tick();
  assert.equal(h.pending.length, 2);
  h.pending[1]!.resolve(result(walking));
  await first;
  assert.equal(h.pending.length, 2);
  assert.deepEqual(h.probe.watcher, walking);
  assert.deepEqual(h.changes, [inotify, walking]);
  assert.match(h.logs[1]!, /^warn: The file watcher is off \(lost events\): every snapshot walks the workspace/);
});

test('an answer from before a reset (server stopped or restarted) is dropped', async () => {
  const h = harness();
  const done = h.probe.refresh();
  h.probe.reset();
  h.pending[0]!.resolve(result(walking));
  await done;
  assert.equal(h.probe.watcher, undefined);
  assert.deepEqual(h.changes, []);
  const next = h.probe.refresh();
  assert.equal(h.pending.length, 2);
  h.pending[1]!.resolve(result(inotify));
  await next;
  assert.deepEqual(h.probe.watcher, inotify);
  h.probe.reset();
  assert.equal(h.probe.watcher, undefined);
  assert.deepEqual(h.changes, [inotify, undefined]);
});

test('a failing request is logged quietly and asked again next time', async () => {
  const h = harness();
  const done = h.probe.refresh();
  h.pending[0]!.reject({ code: 1008, message: 'The WTB data directory could not be opened' });
  await done;
  assert.equal(h.probe.watcher, undefined);
  assert.deepEqual(h.logs, ['warn: wtb/doctor failed: [1008 data directory unavailable] The WTB data directory could not be opened']);
  void h.probe.refresh();
  assert.equal(h.pending.length, 2);
});

test('a daemon without wtb/doctor is asked no more until a restart', async () => {
  const h = harness();
  const done = h.probe.refresh();
  h.pending[0]!.reject({ code: -32601, message: 'Method Not Found: wtb/doctor' });
  await done;
  assert.match(h.logs[0]!, /^info: wtb\/doctor failed: \[-32601\] Method Not Found: wtb\/doctor; the status item does not show the file watcher\.$/);
  await h.probe.refresh();
  assert.equal(h.pending.length, 1);
  h.probe.reset();
  void h.probe.refresh();
  assert.equal(h.pending.length, 2);
});

test('an answer got by the Doctor command updates the watcher too', () => {
  const h = harness();
  h.probe.report(walking);
  assert.deepEqual(h.probe.watcher, walking);
  assert.deepEqual(h.changes, [walking]);
});
