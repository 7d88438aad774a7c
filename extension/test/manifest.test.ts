import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

interface MenuItem { command: string; when?: string; group?: string }
const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
  extensionKind?: string[];
  contributes: { commands: { command: string }[]; menus: Record<string, MenuItem[]> };
};

test('the extension runs where the workspace is (SSH, WSL, dev containers): extensionKind workspace', () => {
  assert.deepEqual(manifest.extensionKind, ['workspace']);
});

test('Undo Rollback is offered only on executions with a rollback to undo', () => {
  const items = manifest.contributes.menus['view/item/context']!.filter((m) => m.command === 'wtb.undoRollback');
  assert.ok(items.length > 0);
  for (const m of items) assert.match(m.when ?? '', /\\\.undoable/);
  const when = items[0]!.when!;
  const regex = new RegExp(/viewItem =~ \/(.*)\//.exec(when)![1]!);
  assert.ok(regex.test('wtbExecution.completed.undoable'));
  assert.ok(regex.test('wtbExecution.paused.fork.asking.undoable'));
  assert.ok(!regex.test('wtbExecution.completed'));
});

test('batches have their comparison on the batch row', () => {
  assert.ok(manifest.contributes.commands.some((c) => c.command === 'wtb.compareVariants'));
  const items = manifest.contributes.menus['view/item/context']!.filter((m) => m.command === 'wtb.compareVariants');
  assert.ok(items.some((m) => m.group?.startsWith('inline') && m.when?.includes('viewItem == wtbBatch')));
});

test('the view title\'s Run is the command that always asks (VS Code hands view-title commands the selected row)', () => {
  const title = manifest.contributes.menus['view/title']!.filter((m) => m.group === 'navigation@1');
  assert.deepEqual(title.map((m) => m.command), ['wtb.runAsk']);
  assert.ok(manifest.contributes.menus.commandPalette!.some((m) => m.command === 'wtb.runAsk' && m.when === 'false'));
});
