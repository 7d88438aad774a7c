// Builds dist/wtb.vsix: the production bundle, then `vsce package` run in a staging folder
// holding only what the extension ships. (Run at the repository root, vsce walks every file
// first — .venv, node_modules, .e2e — which takes half a minute; staged, about a second.)
// Usage: node extension/package.mjs [--out dist/wtb.vsix]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outArg = process.argv.indexOf('--out');
const out = path.resolve(root, outArg > 0 ? process.argv[outArg + 1] : 'dist/wtb.vsix');
const stage = path.join(root, 'dist/stage');

execFileSync(process.execPath, [path.join(root, 'extension/esbuild.mjs'), '--production'], { cwd: root, stdio: 'inherit' });

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
for (const rel of ['dist/extension.js', 'extension/README.md', 'extension/media', 'README.md']) {
  const src = path.join(root, rel);
  if (fs.existsSync(src)) fs.cpSync(src, path.join(stage, rel), { recursive: true });
}
// The shipped manifest: no build scripts (vsce would run vscode:prepublish again), no dev tools.
delete manifest.scripts;
delete manifest.devDependencies;
fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2));

const local = path.join(root, 'node_modules/.bin/vsce');
const e2e = path.join(process.env.WTB_E2E_DIR || path.join(root, '.e2e'), 'tools/node_modules/.bin/vsce');
const vsce = fs.existsSync(local) ? local : e2e;
fs.mkdirSync(path.dirname(out), { recursive: true });
execFileSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', out],
  { cwd: stage, stdio: 'inherit' });
fs.rmSync(stage, { recursive: true, force: true });
