// Unit tests of the extension's pure parts (tree model, protocol mirror, settings, layout, …),
// in plain Node with its own test runner: no VS Code. esbuild compiles each *.test.ts into
// dist/test/ (a test that imported `vscode` would fail to bundle: it is left external and absent).
// Usage: node extension/test/run.mjs [--test-name-pattern=…]
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const here = path.join(root, 'extension/test');
const outdir = path.join(root, 'dist/test');
fs.rmSync(outdir, { recursive: true, force: true });
const entryPoints = fs.readdirSync(here).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(here, f));
await esbuild.build({
  entryPoints, outdir, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  sourcemap: 'inline', logLevel: 'warning', external: ['vscode'],
});
const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.test.js')).map((f) => path.join(outdir, f));
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', ...process.argv.slice(2), ...files],
  { stdio: 'inherit', env: { ...process.env, TZ: 'UTC' } });
process.exit(result.status ?? 1);
