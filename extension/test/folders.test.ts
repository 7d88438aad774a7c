import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseFolder, declaresWorkflows } from '../src/folders';

const a = { uri: 'file:///a', name: 'a', hasWorkflows: false };
const b = { uri: 'file:///b', name: 'b', hasWorkflows: true };
const c = { uri: 'file:///c', name: 'c', hasWorkflows: true };

test('one folder, or the one with workflows, or the one chosen last; else ask', () => {
  assert.deepEqual(chooseFolder([]), { none: true });
  assert.deepEqual(chooseFolder([a]), { folder: a });
  assert.deepEqual(chooseFolder([a, b]), { folder: b });
  assert.deepEqual(chooseFolder([a, b, c]), { ask: [b, c] });
  assert.deepEqual(chooseFolder([a, b, c], 'file:///c'), { folder: c });
  assert.deepEqual(chooseFolder([a, b, c], 'file:///gone'), { ask: [b, c] });
  assert.deepEqual(chooseFolder([a, { ...a, uri: 'file:///d', name: 'd' }]), { ask: [a, { ...a, uri: 'file:///d', name: 'd' }] });
});

test('pyproject.toml declares workflows with [tool.wtb]', () => {
  assert.ok(declaresWorkflows('[project]\nname = "x"\n\n[tool.wtb.workflows]\nrag = "rag.py:graph"\n'));
  assert.ok(declaresWorkflows('[tool.wtb]\ndata_dir = ".wtb"\n'));
  assert.ok(!declaresWorkflows('[tool.ruff]\nline-length = 120\n'));
});
