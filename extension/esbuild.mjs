// Bundles the extension into dist/extension.js (one CommonJS file, `vscode` left external)
// Usage: node extension/esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'info',
  absWorkingDir: root,
};

const builds = [
  {
    ...common,
    entryPoints: ['extension/src/main.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    // vscode-languageclient and @vscode/python-extension resolve to their CommonJS entry points.
    mainFields: ['module', 'main'],
  },
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
