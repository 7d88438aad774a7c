// protocol.ts must mirror server/wtb/lsp/protocol.py: same method names, commands and error
// codes, and for every attrs record the same fields (camelCase) as the TypeScript interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as p from '../src/protocol';

const root = path.resolve(__dirname, '../..');
const py = fs.readFileSync(path.join(root, 'server/wtb/lsp/protocol.py'), 'utf8');
const ts = fs.readFileSync(path.join(root, 'extension/src/protocol.ts'), 'utf8');

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `NAME: Final = value` constants of protocol.py. */
function pyConstants(): Map<string, string | number> {
  const out = new Map<string, string | number>();
  for (const m of py.matchAll(/^([A-Z_]+): Final = (?:"([^"]*)"|(-?\d+))/gm)) out.set(m[1]!, m[2] ?? Number(m[3]));
  return out;
}

/** attrs classes of protocol.py → their field names. */
function pyRecords(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const blocks = py.split(/^@attrs\.define\(kw_only=True\)\nclass /m).slice(1);
  for (const block of blocks) {
    const name = /^(\w+)/.exec(block)![1]!;
    const body = block.split('\n').slice(1);
    const fields: string[] = [];
    let inDoc = false;
    for (const line of body) {
      if (/^\S/.test(line)) break; // next top-level statement
      const t = line.trim();
      if (t.startsWith('"""')) { inDoc = !(t.length > 3 && t.endsWith('"""')) ? !inDoc : inDoc; continue; }
      if (inDoc) { if (t.endsWith('"""')) inDoc = false; continue; }
      const f = /^ {4}(\w+):/.exec(line);
      if (f) fields.push(f[1]!);
    }
    out.set(name, fields);
  }
  return out;
}

/** `export interface X { … }` of protocol.ts → field names. */
function tsInterfaces(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of ts.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const fields = [...m[2]!.matchAll(/^ {2}(?:\[[^\]]+\]|(\w+))\??:/gm)].map((f) => f[1]).filter((f): f is string => !!f);
    out.set(m[1]!, fields);
  }
  return out;
}

test('every constant of protocol.py has the same value in protocol.ts', () => {
  const constants = pyConstants();
  assert.ok(constants.size > 30, `parsed ${constants.size} constants`);
  for (const [name, value] of constants) {
    assert.equal((p as Record<string, unknown>)[name], value, `${name} in protocol.ts`);
  }
});

test('the request, notification and command registries list the same methods in the same order', () => {
  const section = (name: string) => {
    const m = new RegExp(`^${name}: Final\\[[^\\n]*= \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(py);
    assert.ok(m, `${name} registry in protocol.py`);
    return [...m[1]!.matchAll(/^ {4}([A-Z_]+):/gm)].map((x) => (p as Record<string, unknown>)[x[1]!]);
  };
  assert.deepEqual([...p.REQUEST_METHODS], section('REQUESTS'));
  assert.deepEqual([...p.NOTIFICATION_METHODS], section('NOTIFICATIONS'));
  assert.deepEqual([...p.COMMANDS], section('COMMANDS'));
  const trust = /^TRUST_REQUIRED[^\n]*frozenset\(\s*\{([^}]*)\}/m.exec(py)![1]!.split(',').map((s) => (p as Record<string, unknown>)[s.trim()]);
  assert.deepEqual([...p.TRUST_REQUIRED].sort(), trust.sort());
});

test('every protocol record has the same fields (camelCase) in protocol.ts', () => {
  const records = pyRecords();
  const interfaces = tsInterfaces();
  assert.ok(records.size > 30, `parsed ${records.size} records`);
  for (const [name, fields] of records) {
    if (fields.length === 0) {
      assert.match(ts, new RegExp(`export type ${name} = Record<string, never>;`), `${name} (no fields)`);
      continue;
    }
    const mirrored = interfaces.get(name);
    assert.ok(mirrored, `interface ${name} in protocol.ts`);
    assert.deepEqual([...mirrored].sort(), fields.map(camel).sort(), `fields of ${name}`);
  }
});

test('the protocol document names every method', () => {
  const doc = fs.readFileSync(path.join(root, 'docs/protocol.md'), 'utf8');
  for (const m of [...p.REQUEST_METHODS, ...p.NOTIFICATION_METHODS, ...p.COMMANDS]) assert.ok(doc.includes(m), m);
});

test('error codes have readable names', () => {
  assert.equal(p.errorCodeName(p.WORKSPACE_UNTRUSTED), 'workspace not trusted');
  assert.equal(p.errorCodeName(42), undefined);
});
