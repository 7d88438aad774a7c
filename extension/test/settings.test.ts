import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as s from '../src/settings';

test('normalizeSettings fills defaults and clamps', () => {
  assert.deepEqual(s.normalizeSettings({}), { interpreter: '', dataDir: '', fileTrackingEnabled: true, pageSize: 50, trace: 'off' });
  const v = s.normalizeSettings({ interpreter: '  /x/python ', dataDir: 7, fileTrackingEnabled: false, pageSize: 1e9, trace: 'verbose' });
  assert.deepEqual(v, { interpreter: '/x/python', dataDir: '', fileTrackingEnabled: false, pageSize: 1000, trace: 'verbose' });
  assert.equal(s.normalizeSettings({ pageSize: 1 }).pageSize, 5);
  assert.equal(s.normalizeSettings({ trace: 'loud' }).trace, 'off');
});

test('interpreter: the setting, else the Python extension, else python3', () => {
  assert.deepEqual(s.pickInterpreter('${workspaceFolder}/.venv/bin/python', '/env/python', { workspaceFolder: '/ws' }),
    { path: '/ws/.venv/bin/python', source: 'setting' });
  assert.deepEqual(s.pickInterpreter('~/py/bin/python', undefined, { userHome: '/home/u' }), { path: '/home/u/py/bin/python', source: 'setting' });
  assert.deepEqual(s.pickInterpreter('', '/env/python'), { path: '/env/python', source: 'python-extension' });
  assert.deepEqual(s.pickInterpreter('', undefined), { path: 'python3', source: 'default' });
});

test('settings the server reads restart it; trace does not', () => {
  for (const key of ['wtb.python.interpreter', 'wtb.dataDir', 'wtb.fileTracking.enabled']) {
    assert.equal(s.needsRestart((k) => k === key), true, key);
  }
  assert.equal(s.needsRestart((k) => k === 'wtb.trace.server'), false);
  assert.equal(s.needsRestart((k) => k === 'wtb.checkpoints.pageSize'), false);
});

test('initializationOptions carry trust, data dir, file tracking and the worker interpreter', () => {
  const settings = s.normalizeSettings({ dataDir: '${workspaceFolder}/data', fileTrackingEnabled: false });
  assert.deepEqual(s.initializationOptions(settings, { trusted: false, python: '/py', workspaceFolder: '/ws' }),
    { dataDir: '/ws/data', trusted: false, fileTracking: { enabled: false }, python: '/py' });
  assert.equal(s.initializationOptions(s.normalizeSettings({}), { trusted: true, python: 'python3' }).dataDir, null);
});

test('versions compare numerically', () => {
  assert.equal(s.compareVersions('0.10.0', '0.9.1'), 1);
  assert.equal(s.compareVersions('0.1.0', '0.1'), 0);
  assert.equal(s.compareVersions('3.9.18', '3.10'), -1);
  assert.equal(s.compareVersions('0.1.0.dev3', '0.1.0'), 0);
});

test('the probe: a missing interpreter, a missing or old package, success', () => {
  const run = (report: object, code = 0) => ({ code, stdout: JSON.stringify(report) + '\n', stderr: '' });
  const none = s.judgeProbe('/nope/python', { spawnError: 'not found', code: null, stdout: '', stderr: '' });
  assert.equal(none.ok, false);
  assert.match(!none.ok ? none.message : '', /cannot start the Python interpreter "\/nope\/python" \(not found\)/);

  const missing = s.judgeProbe('/venv/bin/python', run({ python: '3.11.7', wtb: null, lsp: false }));
  assert.ok(!missing.ok && missing.problem === 'missing');
  assert.equal(!missing.ok && missing.install, '/venv/bin/python -m pip install --upgrade "wtb>=0.1.0"');
  assert.match(!missing.ok ? missing.message : '', /does not have the wtb package\. Install it with: \/venv\/bin\/python -m pip install/);

  const old = s.judgeProbe('python3', run({ python: '3.11.7', wtb: '0.0.9', lsp: true }));
  assert.ok(!old.ok && old.problem === 'too-old');
  const oldPython = s.judgeProbe('python3', run({ python: '3.8.10', wtb: '0.1.0', lsp: true }));
  assert.ok(!oldPython.ok && oldPython.problem === 'old-python');
  const noServer = s.judgeProbe('python3', run({ python: '3.11.7', wtb: '0.1.0', lsp: false }));
  assert.ok(!noServer.ok && noServer.problem === 'no-server');
  const broken = s.judgeProbe('python3', { code: 1, stdout: '', stderr: 'Traceback\nSyntaxError: boom' });
  assert.ok(!broken.ok && broken.problem === 'unreadable');
  assert.deepEqual(s.judgeProbe('python3', run({ python: '3.11.7', wtb: '0.1.0', lsp: true })), { ok: true, python: '3.11.7', version: '0.1.0' });
});

test('install commands quote paths with spaces', () => {
  assert.equal(s.installCommand('/my env/python'), `'/my env/python' -m pip install --upgrade "wtb>=0.1.0"`);
});
