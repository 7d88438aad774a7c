import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adapterCommand, debugLaunch, fromActiveFile, resolveLaunch, stoppedAt } from '../src/debugConfig';

test('F5 without launch.json debugs the workflow of the active Python file', () => {
  const resolved = resolveLaunch({}, { workspaceFolder: '/ws', activeFile: '/ws/reviser.py', languageId: 'python' });
  assert.deepEqual(resolved.config, { type: 'wtb', request: 'launch', name: 'WTB: Debug reviser.py', program: '/ws/reviser.py', workspace: '/ws' });
  assert.equal(fromActiveFile('/ws/notes.md', 'markdown'), undefined);
  assert.match((resolveLaunch({}, { workspaceFolder: '/ws' }) as { error: string }).error, /Python file/);
});

test('a launch configuration gets the workspace and the data dir setting, and must name a workflow', () => {
  const given = { type: 'wtb', request: 'launch', name: 'Debug reviser', workflow: 'reviser', input: { topic: 'Ray' } };
  assert.deepEqual(resolveLaunch(given, { workspaceFolder: '/ws', dataDir: '/data' }).config,
    { ...given, workspace: '/ws', dataDir: '/data' });
  assert.equal(resolveLaunch({ ...given, dataDir: '/mine' }, { workspaceFolder: '/ws', dataDir: '/data' }).config?.dataDir, '/mine');
  assert.match((resolveLaunch({ type: 'wtb', request: 'launch', name: 'x' }, { workspaceFolder: '/ws' }) as { error: string }).error, /workflow/);
  assert.match((resolveLaunch({ ...given, inputFile: 'in.json' }, { workspaceFolder: '/ws' }) as { error: string }).error, /not both/);
  assert.match((resolveLaunch(given, {}) as { error: string }).error, /folder/);
});

test('the adapter runs as <python> -m wtb.dap in the workspace', () => {
  const launch = adapterCommand('/ws/.venv/bin/python', '/ws');
  assert.deepEqual([launch.command, ...launch.args], ['/ws/.venv/bin/python', '-m', 'wtb.dap']);
  assert.equal(launch.cwd, '/ws');
  assert.equal(launch.env.PYTHONUNBUFFERED, '1');
});

test('the CodeLens "Debug" launches the workflow by name, completed like any launch configuration', () => {
  const launch = debugLaunch('reviser');
  assert.deepEqual(launch, { type: 'wtb', request: 'launch', name: 'WTB: Debug reviser', workflow: 'reviser' });
  const resolved = resolveLaunch(launch, { workspaceFolder: '/ws', dataDir: '/data' });
  assert.equal(resolved.config?.workspace, '/ws');
  assert.equal(resolved.config?.dataDir, '/data');
  assert.equal(resolved.config?.workflow, 'reviser');
});

test('a wtb session\'s stop names the checkpoint the tree selects; anything else names none', () => {
  assert.deepEqual(stoppedAt('wtb', 'wtbCheckpoint', { executionId: 'e1', checkpointId: 'c9', step: 3 }), { executionId: 'e1', checkpointId: 'c9' });
  assert.equal(stoppedAt('python', 'wtbCheckpoint', { executionId: 'e1', checkpointId: 'c9' }), undefined);
  assert.equal(stoppedAt('wtb', 'output', { executionId: 'e1', checkpointId: 'c9' }), undefined);
  assert.equal(stoppedAt('wtb', 'wtbCheckpoint', { executionId: 'e1' }), undefined);
  assert.equal(stoppedAt('wtb', 'wtbCheckpoint', null), undefined);
});
