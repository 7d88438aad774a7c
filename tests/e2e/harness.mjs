// What both end-to-end scripts (run.mjs: the extension, debug.mjs: the debugger) share: where
// the tools installed by scripts/install-e2e.sh are, and the waiting helpers.
import net from 'node:net';
import path from 'node:path';

export const HERE = import.meta.dirname;
export const ROOT = path.resolve(HERE, '../..');
export const E2E = path.resolve(process.env.WTB_E2E_DIR || path.join(ROOT, '.e2e'));
export const CODE_SERVER = path.join(E2E, 'cs/node_modules/.bin/code-server');
export const PYTHON = path.resolve(process.env.WTB_E2E_PYTHON || path.join(ROOT, '.venv/bin/python'));
export const CHROMIUM = process.env.WTB_E2E_CHROMIUM || '/usr/bin/chromium';

const t0 = Date.now();
export const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` every 200 ms until it returns something truthy (returned), or throw after `ms`. */
export async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await sleep(200);
  }
}

/** A TCP port free on 127.0.0.1 now (for code-server). */
export const freePort = () => new Promise((res) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
});
