// End-to-end test of the WTB extension in a real VS Code: code-server (npm) + Debian chromium,
// driven by playwright-core. Builds the .vsix, installs it into a fresh code-server, opens a
// copy of sample_workspace/ and, as a user would: runs the RAG workflow from the command
// palette, sees its checkpoints in the tree, opens Show State, rolls back to an earlier
// checkpoint (the workspace file changes on disk), forks with a state edit (checked against the
// graph's state schema) and resumes the fork, clicks the daemon's "▶ Run" CodeLens, runs with an
// input checked against the input schema, opens the graph view, pauses a run before a node
// and resumes it, marks a run as golden and checks against it, answers an interrupt() question
// from the tree (with a subgraph's steps nested and a join marked next in the graph view). A screenshot per step
// goes to tests/e2e/artifacts/ (git-ignored), with the logs on failure.
//
// Needs `bash scripts/install-e2e.sh` (same WTB_E2E_DIR) and the repository's .venv with wtb.
// Usage: node tests/e2e/run.mjs     (E2E_KEEP=1 keeps the temp dirs; WTB_E2E_PYTHON overrides
// the interpreter). Ends with "N passed, N failed[, N skipped]"; exits non-zero on failure.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, CODE_SERVER, E2E, HERE, PYTHON, ROOT, freePort, log, sleep, until } from './harness.mjs';

const ARTIFACTS = path.join(HERE, 'artifacts');

// ------------------------------------------------------------------ preflight
fs.rmSync(ARTIFACTS, { recursive: true, force: true });
fs.mkdirSync(ARTIFACTS, { recursive: true });
for (const [what, file, fix] of [
  ['code-server', CODE_SERVER, 'bash scripts/install-e2e.sh'],
  ['playwright-core', path.join(E2E, 'tools/node_modules/playwright-core/package.json'), 'bash scripts/install-e2e.sh'],
  ['chromium', CHROMIUM, 'bash scripts/install-e2e.sh'],
  ['the Python interpreter with wtb', PYTHON, 'python3 -m venv .venv && .venv/bin/pip install -e .'],
  ['the npm dev dependencies', path.join(ROOT, 'node_modules/.bin/esbuild'), 'npm ci'],
]) {
  if (!fs.existsSync(file)) {
    console.error(`e2e: ${what} not found at ${file}; run: ${fix}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const { chromium } = createRequire(path.join(E2E, 'tools/package.json'))('playwright-core');

// Fresh dirs per run: user data, extensions, XDG (keeps ~/.config etc. clean), workspace.
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'wtb-e2e-'));
const [UD, EXT, XDG, WS] = ['ud', 'ext', 'xdg', 'ws'].map((d) => path.join(TMP, d));
const SKIP = new Set(['.wtb', 'index', 'out', 'drafts', '__pycache__', '.vscode']);
fs.cpSync(path.join(ROOT, 'sample_workspace'), WS, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) });
// The survey workflow (a join, a subgraph, an interrupt()) next to the sample's two.
fs.copyFileSync(path.join(HERE, 'survey.py'), path.join(WS, 'survey.py'));
// A slow one (three nodes of 2.5 s) for the graph view following a run.
fs.copyFileSync(path.join(HERE, 'slow.py'), path.join(WS, 'slow.py'));
const lgJson = JSON.parse(fs.readFileSync(path.join(WS, 'langgraph.json'), 'utf8'));
// And one that does not load: a syntax error on line 6 (written here: the repository's linters would refuse the file).
fs.writeFileSync(path.join(WS, 'broken.py'), '"""A workflow with a syntax error."""\n\nfrom langgraph.graph import StateGraph\n\n\ndef route(state:\n    return state\n\n\ngraph = StateGraph(dict)\n');
fs.writeFileSync(path.join(WS, 'langgraph.json'), JSON.stringify({ ...lgJson, graphs: { ...lgJson.graphs, survey: './survey.py:survey', slow: './slow.py:slow', broken: './broken.py:graph' } }, null, 2));
fs.mkdirSync(path.join(WS, '.vscode'), { recursive: true });
fs.writeFileSync(path.join(WS, '.vscode/settings.json'), JSON.stringify({ 'wtb.python.interpreter': PYTHON, 'wtb.trace.server': 'messages' }, null, 2));
fs.mkdirSync(path.join(UD, 'User'), { recursive: true });
fs.writeFileSync(path.join(UD, 'User/settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true, 'git.enabled': false, 'editor.codeLens': true,
}));
const env = { ...process.env, EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: path.join(XDG, 'config'),
  XDG_DATA_HOME: path.join(XDG, 'data'), XDG_CACHE_HOME: path.join(XDG, 'cache') };
const disk = (f) => { try { return fs.readFileSync(path.join(WS, f), 'utf8'); } catch { return null; } };

// ------------------------------------------------------------------ build, install, start
const results = [];
let server;
let browser;
let page;
let shotNo = 0;
const shot = async (name) => {
  if (!page) return;
  const file = `${String(++shotNo).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: path.join(ARTIFACTS, file) }).catch(() => {});
  return file;
};

function installExtension() {
  // The README's packaging command builds the same .vsix.
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: 'pipe', env });
  const vsix = path.join(ROOT, 'dist/wtb.vsix');
  execFileSync(CODE_SERVER, ['--install-extension', vsix, '--extensions-dir', EXT, '--user-data-dir', UD], { env, stdio: 'pipe' });
  log('vsix packaged and installed');
}

/** code-server on a free loopback port (its own process group), a fresh page on the workspace. */
async function startEditor({ workspaceTrust = false, workspaceFile = undefined } = {}) {
  const port = await freePort();
  const serverLog = fs.openSync(path.join(ARTIFACTS, 'code-server.log'), 'a');
  server = spawn(CODE_SERVER, ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
    '--disable-update-check', ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir', UD, '--extensions-dir', EXT, workspaceFile ?? WS],
  { env, detached: true, stdio: ['ignore', serverLog, serverLog] });
  const base = `http://127.0.0.1:${port}`;
  await until('code-server /healthz', () => fetch(`${base}/healthz`).then((r) => r.ok, () => false));
  log(`code-server pid ${server.pid} on ${base}${workspaceTrust ? ' (workspace trust on)' : ''}`);
  browser ??= await chromium.launch({ executablePath: CHROMIUM, headless: true, env,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(workspaceFile ? `${base}/?workspace=${encodeURIComponent(workspaceFile)}` : `${base}/?folder=${encodeURIComponent(WS)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
}

async function stopEditor() {
  await page?.close().catch(() => {});
  page = undefined;
  if (!server) return;
  const exited = new Promise((r) => server.once('exit', r));
  try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
  await Promise.race([exited, sleep(10000)]);
  server = undefined;
}

// ------------------------------------------------------------------ UI helpers
const rows = () => page.locator('.part.sidebar .monaco-list-row');
const row = (text) => rows().filter({ hasText: text }).first();
const rowTexts = async () => (await rows().allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
const quickInput = () => page.locator('.quick-input-widget input').first();

async function palette(command) {
  await page.keyboard.press('F1');
  await quickInput().fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: command.split(': ')[1] }).first().waitFor();
  await quickInput().press('Enter');
}

/** Type into the open quick pick, wait for a row with `text`, pick it. */
async function choose(filter, text = filter) {
  await quickInput().waitFor();
  await quickInput().fill(filter);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor();
  await quickInput().press('Enter');
}

/** Expands a tree row (by its twistie) if it is collapsed. */
async function expandRow(rowText) {
  const r = row(rowText);
  await r.waitFor();
  // A tree refresh landing with the click can swallow it: click again until the row says it is open.
  const collapsed = async () => (await r.getAttribute('aria-expanded').catch(() => null)) === 'false';
  await until(`the row ${rowText} expanded`, async () => {
    if (!(await collapsed())) return true;
    await r.locator('.monaco-tl-twistie').click({ timeout: 2000 }).catch(() => {});
    await sleep(300);
    return !(await collapsed());
  }, 15000);
}

const RUN_ROW = /^\s*run [0-9a-f]{8}/;

/** Right-click a tree row (text or RegExp) and pick a context-menu entry. */
async function contextMenu(rowText, entry) {
  const r = row(rowText);
  await r.scrollIntoViewIfNeeded();
  await r.click({ button: 'right' }); // (a left click would also toggle the row's expansion)
  const item = page.locator('.context-view .monaco-menu .action-label', { hasText: entry }).first();
  await item.waitFor({ timeout: 10000 });
  // The menu can swallow a click while it settles (a tree refresh underneath): retry until it closes.
  await until(`"${entry}" chosen`, async () => {
    if (!(await item.isVisible().catch(() => false))) return true;
    await item.click({ timeout: 2000 }).catch(() => {});
    await sleep(300);
    return !(await item.isVisible().catch(() => false));
  }, 10000);
}

/** The entries of a tree row's context menu (the menu is closed again). */
async function menuEntries(rowText) {
  const r = row(rowText);
  await r.scrollIntoViewIfNeeded();
  await r.click({ button: 'right' });
  const items = page.locator('.context-view .monaco-menu .action-label');
  await items.first().waitFor({ timeout: 10000 });
  const texts = (await items.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  await page.keyboard.press('Escape');
  return texts;
}

/**
 * Presses a button of a notification (`hasText`): on its toast while it shows, else in the
 * notification center (toasts hide after a while; the center keeps them and their buttons).
 */
async function pressNotificationButton(hasText, button) {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText }).first();
  if (await toast.isVisible().catch(() => false)
      && await toast.locator('.monaco-button', { hasText: button }).first().click({ timeout: 2000 }).then(() => true, () => false)) return;
  await palette('Notifications: Show Notifications');
  const item = page.locator('.notifications-center .notification-list-item', { hasText }).first();
  await item.waitFor({ timeout: 10000 });
  await item.locator('.monaco-button', { hasText: button }).first().click();
}

/** Waits for a notification (toast or center) that says `text`; returns what it says. */
async function notification(text, timeout = 15000) {
  const n = page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item', { hasText: text }).first();
  await n.waitFor({ timeout });
  return (await n.innerText()).replace(/\s+/g, ' ');
}

/**
 * The graph view's document: VS Code's webview iframe holds the page in `#active-frame` (while
 * the page is replaced, a second, pending iframe exists for a moment).
 */
const graphFrame = () => page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');

/** Text of the active editor (Monaco renders lines as spans; non-breaking spaces normalised). */
async function editorText() {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  return (await lines.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
}

/** Shows the WTB view in the side bar (its activity-bar entry toggles: click only when needed). */
async function openWtbView() {
  const container = page.locator('.activitybar a.action-label[aria-label="WTB"]');
  await container.waitFor({ timeout: 30000 });
  const title = page.locator('.part.sidebar .composite.title');
  const showing = async () => (await title.innerText().catch(() => '')).includes('WTB');
  if (!(await showing())) await container.click();
  await until('the WTB view in the side bar', showing, 10000);
}

async function waitServerUp() {
  await until('the WTB server (workflows in the tree, or an error)', async () => {
    const texts = await rowTexts();
    if (texts.some((t) => t.startsWith('rag'))) return true;
    const welcome = await page.locator('.part.sidebar .welcome-view-content').allInnerTexts().catch(() => []);
    const failed = welcome.find((t) => /not running|No LangGraph workflow|did not start/.test(t));
    if (failed) throw new Error(`tree shows: ${failed.replace(/\s+/g, ' ')}`);
    return false;
  }, 60000);
}

// ------------------------------------------------------------------ the steps
const ANSWER = 'out/answer.md';

const steps = [
  ['the WTB view lists the workflows', async () => {
    await openWtbView();
    await waitServerUp();
    await until('rag and reviser rows', async () => { const t = await rowTexts(); return t.some((x) => x.startsWith('rag')) && t.some((x) => x.startsWith('reviser')); });
    await shot('tree-workflows');
  }],

  ['the view title\'s Run asks which workflow, even with a row selected', async () => {
    await row(/^\s*reviser/).click();
    await page.locator('.part.sidebar .title-actions .action-label[aria-label="Run Workflow…"]').first().click();
    const pick = page.locator('.quick-input-widget', { hasText: 'run which workflow' });
    await pick.waitFor({ timeout: 10000 });
    const offered = (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    log(`view-title Run offers: ${JSON.stringify(offered)}`);
    if (!offered.some((t) => t.startsWith('rag')) || !offered.some((t) => t.startsWith('reviser'))) throw new Error('the pick does not list the workflows');
    await shot('view-title-run-asks');
    await page.keyboard.press('Escape');
  }],

  ['Run Workflow from the palette: checkpoints appear in the tree', async () => {
    await palette('WTB: Run Workflow');
    await choose('rag');
    await choose('inputs.json');
    await sleep(300);
    await shot('run-progress');
    await until(`${ANSWER} written by the run`, () => /revenue/i.test(disk(ANSWER) ?? ''), 60000);
    await until('the run completed in the tree', async () => (await rowTexts()).some((t) => /^run [0-9a-f]{8}\s*completed/.test(t)), 30000);
    await until('checkpoint rows of the run', async () => {
      const t = await rowTexts();
      return ['step 3 · rag_generate', 'step 2 · rag_retrieve', 'step 1 · rag_embed_docs', 'step 0 · start', 'step -1 · input']
        .every((s) => t.some((x) => x.startsWith(s)));
    });
    const head = (await rowTexts()).find((t) => t.startsWith('step 3 · rag_generate'));
    if (!head?.includes('● head')) throw new Error(`the last checkpoint is not marked head: ${head}`);
    await shot('run-checkpoints');
  }],

  ['Show State opens the checkpoint state as JSON, its tab named after the execution and step, without _output_files', async () => {
    await contextMenu('step 2 · rag_retrieve', 'Show State');
    const tab = page.locator('.tabs-container .tab', { hasText: /rag [0-9a-f]{8} @ step 2 · state\.json/ }).first();
    await tab.waitFor();
    log(`state tab: ${(await tab.innerText()).trim()}`);
    await until('state.json with "retrieved"', async () => /"retrieved"/.test(await editorText()));
    const text = await editorText();
    if (/"answer"/.test(text)) throw new Error('the state after rag_retrieve should not have an answer yet');
    if (/_output_files/.test(text)) throw new Error('the state view shows WTB\'s internal _output_files');
    await shot('show-state');
  }],

  ['Rollback to step 1 asks how many files change, then restores the workspace', async () => {
    if (disk(ANSWER) === null) throw new Error(`${ANSWER} should exist before the rollback`);
    await contextMenu('step 1 · rag_embed_docs', 'Rollback to Checkpoint');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    const message = (await dialog.innerText()).replace(/\s+/g, ' ');
    if (!/file(s)? will change|No workspace file will change/.test(message)) throw new Error(`confirm dialog: ${message}`);
    if (!message.includes(ANSWER)) throw new Error(`the confirm dialog does not list ${ANSWER}: ${message}`);
    await shot('rollback-confirm');
    await dialog.locator('.monaco-button', { hasText: 'Roll Back' }).first().click();
    await until(`${ANSWER} removed from disk (it did not exist at step 1)`, () => disk(ANSWER) === null, 30000);
    if (disk('index/vectors.json') === null) throw new Error('index/vectors.json (written at step 1) is missing after the rollback');
    await until('the head mark on step 1', async () => (await rowTexts()).some((t) => t.startsWith('step 1 · rag_embed_docs') && t.includes('● head')));
    await notification(/rolled back run [0-9a-f]{8} to step 1/);
    await shot('rollback-done');
  }],

  ['Undo Rollback puts the overwritten files back; afterwards it is no longer offered, and the toast\'s Undo explains', async () => {
    if (!(await menuEntries(RUN_ROW)).includes('Undo Rollback')) throw new Error('Undo Rollback is not offered after the rollback');
    await contextMenu(RUN_ROW, 'Undo Rollback');
    await until(`${ANSWER} restored`, () => /revenue/i.test(disk(ANSWER) ?? ''), 30000);
    await shot('undo-rollback');
    await until('Undo Rollback gone from the run\'s menu', async () => !(await menuEntries(RUN_ROW)).includes('Undo Rollback'), 10000);
    const before = disk(ANSWER);
    await pressNotificationButton(/rolled back run [0-9a-f]{8} to step 1/, 'Undo');
    const said = await notification('has no rollback to undo');
    await sleep(400);
    await shot('undo-late');
    if (disk(ANSWER) !== before) throw new Error('the late Undo changed the workspace');
    log(`late Undo: ${said}`);
    await page.keyboard.press('Escape');
  }],

  ['Fork from step 2: the state in a JSON editor, unknown keys and wrong types (against the graph\'s state schema) flagged before forking; then Resume the fork', async () => {
    await contextMenu('step 2 · rag_retrieve', 'Fork from Checkpoint');
    // The state at step 2 opens in an editor, seeded with its values.
    await page.locator('.tabs-container .tab', { hasText: /@2\.fork\.json/ }).first().waitFor({ timeout: 15000 });
    await until('the fork state seeded with the checkpoint\'s values', async () => /"retrieved"/.test(await editorText()) && /"query"/.test(await editorText()));
    await shot('fork-editor');
    const typeState = async (json) => {
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(json);
      await page.keyboard.press('Shift+Control+End'); // what the editor's auto-closing added after the cursor
      await page.keyboard.press('Delete');
      await page.keyboard.press('Control+s');
    };
    // A typo'd key, a string for an integer, and a number for "answer": the state at step 2 has
    // no "answer" yet, so only the graph's state schema (wtb/getGraph) says it is a string.
    await typeState('{\n"qeury": "What is Ray?",\n"top_k": "two",\n"answer": 42\n}');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'problems in the state edit' });
    await dialog.waitFor({ timeout: 15000 });
    const checked = (await dialog.innerText()).replace(/\s+/g, ' ');
    log(`state check: ${checked}`);
    for (const want of [/"qeury" is not a key of the state \(did you mean "query"\?\)/, /"top_k" must be an integer; the edit gives a string/,
      /"answer" must be a string; the edit gives a number/]) {
      if (!want.test(checked)) throw new Error(`the check does not say ${want}: ${checked}`);
    }
    await shot('fork-state-check');
    await dialog.locator('.monaco-button', { hasText: 'Keep Editing' }).first().click();
    await page.locator('.editor-group-container.active .squiggly-warning').first().waitFor({ timeout: 10000 });
    await shot('fork-state-problems');
    if ((await rowTexts()).some((t) => /^fork [0-9a-f]{8}/.test(t))) throw new Error('a fork was made despite the problems');
    await typeState('{"query": "What is Ray?"}');
    await until('a paused fork in the tree', async () => (await rowTexts()).some((t) => /^fork [0-9a-f]{8}\s*paused/.test(t)));
    await shot('fork-paused');
    await contextMenu('fork ', 'Resume Execution');
    await until(`${ANSWER} answered for the fork's query`, () => (disk(ANSWER) ?? '').startsWith('# What is Ray?'), 60000);
    await until('the fork completed in the tree', async () => (await rowTexts()).some((t) => /^fork [0-9a-f]{8}\s*completed/.test(t)));
    // The fork toast's Resume, pressed now that the fork completed, says so instead of acting.
    await pressNotificationButton('it is paused until resumed', 'Resume');
    const said = await notification('already completed: there is nothing to resume');
    await sleep(400);
    await shot('fork-resume-late');
    log(`late Resume: ${said}`);
    await page.keyboard.press('Escape');
    await shot('fork-resumed');
  }],

  ['the daemon\'s "▶ Run" CodeLens runs the workflow', async () => {
    await page.keyboard.press('F1');
    await quickInput().fill('rag.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'rag.py' }).first().waitFor();
    await quickInput().press('Enter');
    await page.locator('.tabs-container .tab', { hasText: 'rag.py' }).first().waitFor();
    // Lenses render in the viewport only: go to the graph definition (`graph = build()`).
    const line = disk('rag.py').split('\n').findIndex((l) => /^graph\s*=/.test(l)) + 1;
    if (line < 1) throw new Error('no `graph = ...` line in rag.py');
    await page.keyboard.press('F1');
    await quickInput().fill(`:${line}`);
    await quickInput().press('Enter');
    const lens = page.locator('.codelens-decoration a', { hasText: '▶ Run' }).first();
    await lens.waitFor({ timeout: 30000 });
    await lens.scrollIntoViewIfNeeded();
    await shot('codelens');
    const runIds = async () => (await rowTexts()).map((t) => /^run ([0-9a-f]{8})/.exec(t)?.[1]).filter(Boolean);
    const before = new Set(await runIds());
    // A lens clicked while VS Code re-resolves the file's lenses has lost its command and does
    // nothing: click the fresh one again until the input pick shows.
    const inputPick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Last used' }).first();
    for (let attempt = 1; ; attempt++) {
      await lens.click();
      if (await inputPick.waitFor({ timeout: 10000 }).then(() => true, () => false)) break;
      if (attempt === 3) throw new Error('three clicks on the "▶ Run" lens showed no input pick');
      log(`the lens click showed nothing (attempt ${attempt}): clicking the re-resolved lens`);
    }
    await choose('Last used', 'Last used input');
    await until('a new run, completed, in the tree', async () => (await rowTexts())
      .some((t) => { const m = /^run ([0-9a-f]{8})\s*completed/.exec(t); return m && !before.has(m[1]); }), 60000);
    await until(`${ANSWER} answered for the original query again`, () => (disk(ANSWER) ?? '').startsWith('# How much did revenue grow?'), 30000);
    await shot('codelens-run');
  }],

  ['Run Workflow with the input edited in a JSON editor seeded with the last input', async () => {
    await palette('WTB: Run Workflow');
    await choose('rag');
    await choose('Edit the input', 'Edit the input as JSON');
    await page.locator('.tabs-container .tab', { hasText: 'rag.input.json' }).first().waitFor({ timeout: 15000 });
    await until('the last input in the editor', async () => (await editorText()).includes('How much did revenue grow?'));
    await shot('run-input-editor');
    const typeInput = async (json) => {
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(json);
      await page.keyboard.press('Shift+Control+End');
      await page.keyboard.press('Delete');
      await page.keyboard.press('Control+s');
    };
    // A key the graph's input schema does not name and a string for an integer: flagged, nothing runs yet.
    const before = disk(ANSWER);
    await typeInput('{\n"question": "What is LangGraph?",\n"top_k": "2"\n}');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'problems in the input' });
    await dialog.waitFor({ timeout: 15000 });
    const checked = (await dialog.innerText()).replace(/\s+/g, ' ');
    log(`input check: ${checked}`);
    for (const want of [/"question" is not a key of the input; keys: query, top_k, doc_count, retrieved, answer/, /"top_k" must be an integer; the input gives a string/]) {
      if (!want.test(checked)) throw new Error(`the check does not say ${want}: ${checked}`);
    }
    await shot('run-input-check');
    await dialog.locator('.monaco-button', { hasText: 'Keep Editing' }).first().click();
    await page.locator('.editor-group-container.active .squiggly-warning').first().waitFor({ timeout: 10000 });
    await shot('run-input-problems');
    if (disk(ANSWER) !== before) throw new Error('the workflow ran despite the problems');
    await typeInput('{"query": "What is LangGraph?"}');
    await until(`${ANSWER} answered for the edited input`, () => (disk(ANSWER) ?? '').startsWith('# What is LangGraph?'), 60000);
  }],

  ['the graph view draws the workflow', async () => {
    await palette('WTB: Show Workflow Graph');
    const quick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'rag' }).first();
    // With a tree selection the graph opens directly; otherwise it asks for the workflow.
    if (await quick.waitFor({ timeout: 2000 }).then(() => true, () => false)) await choose('rag');
    await page.locator('.tabs-container .tab', { hasText: 'WTB Graph: rag' }).first().waitFor();
    const frame = graphFrame();
    const node = frame.locator('g.node[data-node="rag_retrieve"]');
    await node.waitFor({ timeout: 20000 });
    await shot('graph');
    // A click on a node opens its definition (`def rag_retrieve` in rag.py).
    const defLine = disk('rag.py').split('\n').findIndex((l) => l.startsWith('def rag_retrieve')) + 1;
    await node.click();
    await until(`the cursor on rag.py:${defLine}`, async () => (await page.locator('.statusbar').innerText()).includes(`Ln ${defLine},`), 15000);
  }],

  ['the graph view follows a running execution (running node, after cancel) and fits a short panel', async () => {
    const frame = graphFrame();
    const caption = async () => (await frame.locator('#caption').innerText({ timeout: 2000 }).catch(() => '')).trim();
    await row(/^\s*slow/).click(); // the open graph view follows the tree's selection
    await until('the slow graph in the view', async () => (await frame.locator('g.node[data-node="think"]').count()) > 0, 20000);
    const started = async () => {
      await palette('WTB: Run Workflow');
      await choose('slow');
      await choose('Empty input');
    };
    await started();
    await frame.locator('g.node.running[data-node="fetch"], g.node.running[data-node="think"]').first().waitFor({ timeout: 30000 });
    await frame.locator('g.node.running[data-node="think"]').waitFor({ timeout: 20000 });
    log(`graph caption while running: ${await caption()}`);
    await shot('graph-follow-running');
    await frame.locator('g.node.running[data-node="write"]').waitFor({ timeout: 20000 });
    await until('the caption says completed', async () => /completed at step 3/.test(await caption()), 20000);
    if (await frame.locator('g.node.running').count()) throw new Error('a node is still marked running after the run completed');
    // Again, cancelled while a node runs: the next nodes stay marked, the caption says cancelled.
    await started();
    await frame.locator('g.node.running[data-node="think"]').waitFor({ timeout: 30000 });
    await palette('WTB: Cancel Execution');
    await choose('slow');
    await until('the caption says cancelled', async () => /cancelled/.test(await caption()), 20000);
    log(`graph caption after cancel: ${await caption()}`);
    if (await frame.locator('g.node.running').count()) throw new Error('a node is still marked running after the cancel');
    await frame.locator('g.node.next').first().waitFor({ timeout: 5000 });
    await shot('graph-follow-cancelled');
    // A short panel (the bottom panel open under the graph): the whole graph, end included, still shows.
    await page.keyboard.press('Control+j');
    await page.locator('.part.panel').first().waitFor({ timeout: 5000 });
    await sleep(500);
    const fits = await frame.locator('g.node[data-node="__end__"]').evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.bottom <= globalThis.innerHeight && r.right <= globalThis.innerWidth && r.top >= 0;
    });
    await shot('graph-fit-short-panel');
    if (!fits) throw new Error('the end node is cut off in a short panel');
    await page.keyboard.press('Control+j');
  }],

  ['Compare with Previous Checkpoint shows the state and file diffs', async () => {
    // A later run rewrote out/answer.md: modified, not created.
    await expandRow('step 3 · rag_generate');
    await until('answer.md marked modified', async () => (await rowTexts()).some((t) => t.startsWith('answer.md') && t.includes('modified')), 15000);
    await shot('file-modified');
    await contextMenu('step 3 · rag_generate', 'Compare with Previous Checkpoint');
    const tab = page.locator('.tabs-container .tab', { hasText: /rag [0-9a-f]{8} @ step 2 ↔ step 3/ }).first();
    await tab.waitFor({ timeout: 20000 });
    log(`comparison tab: ${(await tab.innerText()).trim()}`);
    await until('the diff of out/answer.md and state.json', async () => {
      const text = await page.locator('.editor-group-container.active').first().innerText().catch(() => '');
      return text.includes('state.json') && text.includes('answer.md');
    }, 20000);
    // No rename look: VS Code marks a pair whose paths differ "R" (the left name struck through).
    const renamed = await page.locator('.editor-group-container.active .status.renamed').count();
    if (renamed) throw new Error(`${renamed} entries of the comparison look like renames`);
    const text = await page.locator('.editor-group-container.active').first().innerText();
    if (text.includes('_output_files')) throw new Error('the state diff shows _output_files');
    await shot('compare');
  }],

  ['Open File at Checkpoint shows a file as it was then', async () => {
    await expandRow(/step 1 · rag_embed_docs.*2 (files|created)/); // the first run's (later runs found the index unchanged)
    // Created, modified and deleted files look different: the index is created at the first run's step 1.
    await until('manifest.txt marked created', async () => (await rowTexts()).some((t) => t.startsWith('manifest.txt') && t.includes('created')), 15000);
    await until('step 1 counts what it created', async () => (await rowTexts()).some((t) => t.startsWith('step 1 · rag_embed_docs') && t.includes('2 created')), 15000);
    await contextMenu('manifest.txt', 'Open File at Checkpoint');
    await page.locator('.tabs-container .tab', { hasText: /rag [0-9a-f]{8} @ step 1 · manifest\.txt/ }).first().waitFor();
    await until('the manifest as written at step 1', async () => (await editorText()).includes('revenue.txt'));
    await shot('file-at-checkpoint');
  }],

  ['Pause Before Node: runs pause before rag_generate; Resume and Edit State and Resume finish them', async () => {
    await palette('WTB: Toggle Pause Before Node…');
    await choose('rag');
    await choose('rag_generate');
    await until('the pause note on the rag row', async () => (await rowTexts()).some((t) => t.startsWith('rag') && t.includes('pauses before rag_generate')));
    await palette('WTB: Run Workflow');
    await choose('rag');
    await choose('inputs.json');
    const paused = await until('a paused run in the tree', async () => (await rowTexts()).map((t) => /^run ([0-9a-f]{8})\s*paused/.exec(t)?.[1]).find(Boolean), 60000);
    await until('the paused run says it stops before rag_generate', async () => (await rowTexts())
      .some((t) => t.startsWith(`run ${paused}`) && t.includes('next: rag_generate')), 15000);
    await shot('pause-paused');
    await contextMenu(new RegExp(`^\\s*run ${paused}`), 'Resume Execution');
    await until('the resumed run completed', async () => (await rowTexts()).some((t) => new RegExp(`^run ${paused}\\s*completed`).test(t)), 60000);
    await shot('pause-resumed');
    // Once more, resuming with an edited state this time (the state opens as a JSON file; saving resumes).
    await palette('WTB: Run Workflow');
    await choose('rag');
    await choose('inputs.json');
    const again = await until('another paused run', async () => (await rowTexts()).map((t) => /^run ([0-9a-f]{8})\s*paused/.exec(t)?.[1]).find(Boolean), 60000);
    await contextMenu(new RegExp(`^\\s*run ${again}`), 'Edit State and Resume');
    // (When the tree refreshed under the menu, the command asks which paused execution: the same one.)
    const asked = page.locator('.quick-input-list .monaco-list-row', { hasText: again }).first();
    if (await asked.waitFor({ timeout: 1500 }).then(() => true, () => false)) await quickInput().press('Enter');
    await page.locator('.tabs-container .tab', { hasText: `${again}.state.json` }).first().waitFor({ timeout: 15000 });
    await until('the state in the editor', async () => /"retrieved"/.test(await editorText()));
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText('{"query": "Edited while paused?"}');
    await page.keyboard.press('Shift+Control+End'); // what the editor's auto-closing added after the cursor
    await page.keyboard.press('Delete');
    await shot('pause-edit-state');
    await page.keyboard.press('Control+s');
    await until(`${ANSWER} answered for the edited query`, () => (disk(ANSWER) ?? '').startsWith('# Edited while paused?'), 60000);
    await until('the edited run completed', async () => (await rowTexts()).some((t) => new RegExp(`^run ${again}\\s*completed`).test(t)), 30000);
    // Pause points stay per workflow: take it off again for the next steps.
    await palette('WTB: Toggle Pause Before Node…');
    await choose('rag');
    await choose('rag_generate');
    await until('no pause note on the rag row', async () => !(await rowTexts()).some((t) => t.includes('pauses before')));
  }],

  ['Mark as Golden on a run, then Check Against Golden passes (Testing view)', async () => {
    const runIds = async () => (await rowTexts()).map((t) => /^run ([0-9a-f]{8})\s*completed/.exec(t)?.[1]).filter(Boolean);
    const before = new Set(await runIds());
    await palette('WTB: Run Workflow');
    await choose('rag');
    await choose('inputs.json');
    const golden = await until('a new completed run', async () => (await runIds()).find((id) => !before.has(id)), 60000);
    await contextMenu(new RegExp(`^\\s*run ${golden}`), 'Mark as Golden');
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'is the golden run of rag' }).first().waitFor({ timeout: 15000 });
    await palette('WTB: Check Against Golden');
    await choose('rag');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /matches golden rag|diverged from golden rag/ }).first();
    await toast.waitFor({ timeout: 60000 });
    const said = (await toast.innerText()).replace(/\s+/g, ' ');
    await shot('golden-check');
    if (!said.includes('matches golden rag')) throw new Error(`the check did not pass: ${said}`);
    // The golden run is marked; the check is its own kind of run, nested under the golden run, not counted as a run.
    await until('the golden run marked in the tree', async () => (await rowTexts()).some((t) => t.startsWith(`run ${golden}`) && t.includes('★ golden')), 15000);
    const check = row('check against golden rag');
    await check.waitFor({ timeout: 15000 });
    await until('the check says it passed', async () => (await check.innerText()).includes('passed'), 15000);
    const goldenLevel = Number(await row(new RegExp(`^\\s*run ${golden}`)).getAttribute('aria-level'));
    if (Number(await check.getAttribute('aria-level')) !== goldenLevel + 1) throw new Error('the check is not nested under its golden run');
    const ragRuns = Number(/(\d+) runs?/.exec((await rowTexts()).find((t) => /^rag\s*\d+ runs?/.test(t)) ?? '')?.[1]);
    const plainRuns = (await rowTexts()).filter((t) => /^(run|fork) [0-9a-f]{8}/.test(t)).length;
    log(`rag says ${ragRuns} runs; ${plainRuns} run/fork rows in the tree`);
    await shot('golden-marked-tree');
    // The storage line is in the status item's hover (the one-view container hides the view's description).
    const item = page.locator('.statusbar-item', { hasText: /^\s*WTB\s*$/ }).first();
    const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'Storage:' }).first();
    const storage = await until('the storage line in the status item\'s hover', async () => {
      await page.mouse.move(0, 0);
      await item.hover();
      return hover.innerText({ timeout: 2500 }).then((t) => /Storage: .*stored/.exec(t.replace(/\s+/g, ' '))?.[0], () => undefined);
    }, 20000);
    log(storage);
    await shot('status-storage');
    await page.mouse.move(700, 500);
    await palette('View: Show Testing');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'golden rag' }).first().waitFor({ timeout: 15000 });
    await shot('golden-testing-view');
    await openWtbView();
  }],

  ['a golden check that diverges on a file shows the file\'s contents on both sides, not hashes', async () => {
    // Change only what rag_generate writes to out/answer.md (the state stays as it was).
    const source = disk('rag.py');
    fs.writeFileSync(path.join(WS, 'rag.py'), source.replace('Sources:\\n', 'Sources (checked):\\n'));
    try {
      await palette('WTB: Check Against Golden');
      await choose('rag');
      const said = await notification(/diverged from golden rag/, 60000);
      log(`check: ${said}`);
      if (!/file out\/answer\.md/.test(said)) throw new Error(`the divergence is not the file: ${said}`);
      // The toast's Show Differences: the golden run's step beside the new run's, with the files' contents.
      await pressNotificationButton(/diverged from golden rag/, 'Show Differences');
      const tab = page.locator('.tabs-container .tab', { hasText: /rag [0-9a-f]{8} @ step 3 ↔ rag [0-9a-f]{8} @ step 3/ }).first();
      await tab.waitFor({ timeout: 20000 });
      log(`golden comparison tab: ${(await tab.innerText()).trim()}`);
      const group = page.locator('.editor-group-container.active').first();
      await until('both versions of out/answer.md in the comparison', async () => {
        const text = (await group.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
        return text.includes('answer.md') && text.includes('Sources (checked):') && /Sources:/.test(text);
      }, 20000);
      const text = await group.innerText();
      await shot('golden-file-diff');
      if (/[0-9a-f]{64}/.test(text)) throw new Error('the comparison shows a content hash');
      await openWtbView();
      await until('the diverged check in the tree', async () => (await rowTexts()).some((t) => t.startsWith('check against golden rag') && t.includes('diverged at step 3')), 15000);
      await shot('golden-check-diverged-tree');
      await page.keyboard.press('Escape');
    } finally {
      fs.writeFileSync(path.join(WS, 'rag.py'), source);
    }
  }],

  ['a batch is a tree node grouping its variants, with a truthful summary and a comparison of the variants', async () => {
    fs.writeFileSync(path.join(WS, 'experiments.batch.json'), JSON.stringify({
      backend: 'local',
      variants: [
        { name: 'top1', initialState: { query: 'How much did revenue grow?', top_k: 1 } },
        { name: 'top2', initialState: { query: 'How much did revenue grow?', top_k: 2 } },
        { name: 'bad_k', initialState: { query: 'How much did revenue grow?', top_k: 'two' } },
      ],
    }, null, 2));
    await palette('WTB: Run Batch');
    await choose('rag');
    await choose('experiments.batch.json');
    const said = await notification(/batch [0-9a-f]{8} of rag:/, 120000);
    log(`batch: ${said}`);
    if (!said.includes('2 completed, 1 failed')) throw new Error(`the batch summary is not truthful: ${said}`);
    const batchRow = row(/^\s*batch [0-9a-f]{8}/);
    await batchRow.waitFor({ timeout: 15000 });
    // The tree re-renders on its own schedule after the model changes: wait for the row, then judge what it says.
    const settled = await until('the batch row to settle', async () => { const t = await batchRow.innerText(); return /running/.test(t) ? undefined : t; }, 15000).catch(() => undefined);
    if (!(settled ?? '').includes('2 completed, 1 failed')) throw new Error(`the batch row says: ${await batchRow.innerText()}`);
    // A refresh of the tree can swallow the twistie's click: expand again until the variants show.
    await until('the three variants under the batch', async () => {
      const t = await rowTexts();
      if (['top1', 'top2', 'bad_k'].every((n) => t.some((x) => x.startsWith(n)))) return true;
      await expandRow(/^\s*batch [0-9a-f]{8}/).catch(() => {});
      await sleep(300);
      return false;
    }, 15000);
    await shot('batch-tree');
    // The batch's table: variants with status, time and error; the state keys and files that differ; node timings.
    await pressNotificationButton(/batch [0-9a-f]{8} of rag:/, 'Show Summary');
    const table = await until('the batch summary table in a Markdown preview', async () => {
      for (const f of page.frames()) {
        const t = await f.evaluate(() => globalThis.document?.body?.innerText ?? '').catch(() => '');
        if (t.includes('State keys that differ') && t.includes('bad_k')) return t;
      }
      return undefined;
    }, 30000);
    if (!/top_k/.test(table) || !/2 completed, 1 failed/.test(table)) throw new Error(`the table: ${table.slice(0, 400)}`);
    await sleep(300);
    await shot('batch-summary');
    await contextMenu(/^\s*batch [0-9a-f]{8}/, 'Compare Batch Variants');
    const tab = page.locator('.tabs-container .tab', { hasText: /batch [0-9a-f]{8}/ }).first();
    await tab.waitFor({ timeout: 20000 });
    log(`comparison: ${(await tab.innerText()).trim()}`);
    await until('the variants\' states side by side', async () => {
      const text = await page.locator('.editor-group-container.active').first().innerText().catch(() => '');
      return text.includes('top1 ↔ top2') && text.includes('top1 ↔ bad_k');
    }, 20000);
    await shot('batch-compare');
  }],

  ['interrupt(): the question shows in the tree and is answered there; subgraph steps nest; the join is marked next', async () => {
    const surveyRuns = async () => (await rowTexts()).map((t) => /^run ([0-9a-f]{8})\s*paused/.exec(t)?.[1]).filter(Boolean);
    const before = new Set(await surveyRuns());
    // Fold rag's many runs away (the list renders only the rows in view); unfolded at the end.
    const ragRow = rows().filter({ hasText: /^\s*rag\s*\d+ runs?/ }).first();
    const fold = async (want) => {  // clicked again when a tree refresh swallowed the click
      const done = async () => (await ragRow.getAttribute('aria-expanded').catch(() => null)) === String(want);
      await until(`rag ${want ? 'unfolded' : 'folded'}`, async () => {
        if (await done()) return true;
        await ragRow.locator('.monaco-tl-twistie').click({ timeout: 2000 }).catch(() => {});
        await sleep(300);
        return done();
      }, 15000);
    };
    await fold(false);
    await palette('WTB: Run Workflow');
    await choose('survey');
    await choose('Empty input');
    const asked = await until('the survey run paused at its question', async () => (await surveyRuns()).find((id) => !before.has(id)), 60000);
    await expandRow(new RegExp(`^\\s*run ${asked}`));
    const question = row('Which color?');
    await question.waitFor({ timeout: 15000 });
    const said = (await question.innerText()).replace(/\s+/g, ' ');
    if (!said.includes('Answer')) throw new Error(`the question row offers no answer: ${said}`);
    await shot('interrupt-question');
    // The writer subgraph's steps nest under the step that scheduled it (join's, next: writer).
    await until('the join step says it ran subgraph steps', async () => (await rowTexts()).some((t) => t.startsWith('step 2 · join') && /subgraph steps/.test(t)));
    await expandRow('step 2 · join');
    const inner = row('step 1 · draft');
    await inner.waitFor({ timeout: 15000 });
    const level = async (r) => Number(await r.getAttribute('aria-level'));
    const [outerLevel, innerLevel] = [await level(row('step 2 · join')), await level(inner)];
    if (innerLevel !== outerLevel + 1) throw new Error(`step 1 · draft is at level ${innerLevel}, not under step 2 · join (level ${outerLevel})`);
    if (!(await inner.innerText()).includes('in writer')) throw new Error('the inner step does not say it ran in writer');
    await shot('subgraph-nested');
    // The graph view on the checkpoint after the parallel step marks the join as next.
    await contextMenu('step 1 · left, right', 'Show Workflow Graph');
    await page.locator('.tabs-container .tab', { hasText: 'WTB Graph: survey' }).first().waitFor({ timeout: 20000 });
    const frame = graphFrame();
    await frame.locator('g.node.next[data-node="join"]').waitFor({ timeout: 20000 });
    if (await frame.locator('g.node.next').count() !== 1) throw new Error('more than the join is marked next');
    await shot('graph-join-next');
    // Answer from the tree (plain text: not JSON, sent as a string); the run completes.
    await row('Which color?').click();
    await quickInput().waitFor();
    await quickInput().fill('teal');
    await quickInput().press('Enter');
    await until('out/color.txt written by the answered node', () => disk('out/color.txt') === 'teal', 60000);
    await until('the survey run completed, its question gone', async () => {
      const t = await rowTexts();
      return t.some((x) => new RegExp(`^run ${asked}\\s*completed`).test(x)) && !t.some((x) => x.startsWith('Which color?'));
    }, 30000);
    await shot('interrupt-answered');
    await fold(true);
  }],

  ['a workflow that fails to load: a one-line toast, the error in Problems and a squiggle on the failing line', async () => {
    await palette('WTB: Run Workflow');
    await choose('broken');
    await choose('Empty input');
    const said = await notification(/broken run [0-9a-f]{8} failed/, 60000);
    log(`toast: ${said}`);
    if (/File "|importlib|Traceback/.test(said)) throw new Error(`the toast carries a traceback: ${said}`);
    if (!/SyntaxError/.test(said)) throw new Error(`the toast does not name the error: ${said}`);
    await page.keyboard.press('Control+Shift+M'); // the Problems view
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: /SyntaxError/ }).first();
    await problem.waitFor({ timeout: 20000 });
    const panel = (await page.locator('.markers-panel').innerText()).replace(/\s+/g, ' ');
    log(`problems: ${panel}`);
    if (!/broken\.py/.test(panel) || !/\[Ln 6/.test(panel)) throw new Error(`the problem is not on broken.py line 6: ${panel}`);
    await shot('load-error-problems');
    await problem.dblclick(); // opens broken.py at the line
    await page.locator('.tabs-container .tab.active', { hasText: 'broken.py' }).first().waitFor({ timeout: 15000 });
    await page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ timeout: 15000 });
    await until('the cursor on line 6', async () => (await page.locator('.statusbar').innerText()).includes('Ln 6,'), 10000);
    await shot('load-error-squiggle');
    await page.keyboard.press('Control+j');
  }],

  ['changing the interpreter restarts the server; one without wtb gets the install command', async () => {
    // The same Python without site-packages (-S): a real interpreter that lacks the wtb package.
    const bare = path.join(TMP, 'bare-python');
    fs.writeFileSync(bare, `#!/bin/sh\nexec "${PYTHON}" -I -S "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(WS, '.vscode/settings.json'), JSON.stringify({ 'wtb.python.interpreter': bare }, null, 2));
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'does not have the wtb package' }).first();
    await toast.waitFor({ timeout: 30000 });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    if (!text.includes(`${bare} -m pip install`)) throw new Error(`the message lacks the install command: ${text}`);
    await openWtbView();
    await until('the tree says the server is not running', async () => (await page.locator('.part.sidebar .welcome-view-content').allInnerTexts().catch(() => []))
      .some((t) => t.includes('not running')), 15000);
    await shot('missing-wtb');
  }],

  ['untrusted workspace: existing checkpoints can be browsed', async () => {
    // Restricted mode ignores the workspace's wtb.python.interpreter (a restricted setting): use the user's.
    await stopEditor();
    fs.writeFileSync(path.join(WS, '.vscode/settings.json'), '{}');
    const user = JSON.parse(fs.readFileSync(path.join(UD, 'User/settings.json'), 'utf8'));
    fs.writeFileSync(path.join(UD, 'User/settings.json'), JSON.stringify({ ...user, 'wtb.python.interpreter': PYTHON }));
    await startEditor({ workspaceTrust: true });
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'trust' });
    await dialog.waitFor({ timeout: 30000 });
    await shot('trust-dialog');
    await dialog.locator('.monaco-button', { hasText: "No, I don't trust" }).first().click();
    await openWtbView();
    await waitServerUp();
    await until('the earlier runs in the tree', async () => (await rowTexts()).some((t) => /^run [0-9a-f]{8}/.test(t)));
    await until('checkpoints of a rag run', async () => {
      // Expand the completed runs one at a time until a plain rag run's steps show.
      const r = rows().filter({ hasText: /^\s*run [0-9a-f]{8}.*completed/ }).and(page.locator('[aria-expanded="false"]')).first();
      if (await r.count()) await r.locator('.monaco-tl-twistie').click().catch(() => {});
      return (await rowTexts()).some((t) => t.startsWith('step 3 · rag_generate'));
    });
    await contextMenu('step 3 · rag_generate', 'Show State');
    await until('state.json with "answer"', async () => /"answer"/.test(await editorText()));
    await shot('untrusted-browse');
  }],

  ['untrusted workspace: Run Workflow is refused, nothing runs', async () => {
    const before = (await rowTexts()).filter((t) => /^run [0-9a-f]{8}/.test(t)).length;
    const answer = disk(ANSWER);
    await palette('WTB: Run Workflow');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'untrusted workspace' }).first();
    await toast.waitFor({ timeout: 15000 });
    await sleep(500); // let the toast finish fading in
    await shot('untrusted-run-refused');
    await sleep(1500);
    const after = (await rowTexts()).filter((t) => /^run [0-9a-f]{8}/.test(t)).length;
    if (after !== before || disk(ANSWER) !== answer) throw new Error('something ran in the untrusted workspace');
  }],

  ['multi-root: WTB asks which folder\'s workflows to serve, and switches with Choose Workspace Folder', async () => {
    await stopEditor();
    const WS2 = path.join(TMP, 'service_b');
    fs.mkdirSync(WS2, { recursive: true });
    fs.writeFileSync(path.join(WS2, 'langgraph.json'), JSON.stringify({ graphs: { solo: './solo.py:graph' } }));
    fs.writeFileSync(path.join(WS2, 'solo.py'), 'from langgraph.graph import StateGraph\n\ngraph = StateGraph(dict)\n');
    const file = path.join(TMP, 'two.code-workspace');
    fs.writeFileSync(file, JSON.stringify({ folders: [{ path: WS }, { path: WS2 }] }));
    await startEditor({ workspaceFile: file });
    const ask = page.locator('.quick-input-widget', { hasText: 'which folder' });
    await ask.waitFor({ timeout: 60000 });
    await shot('multi-root-ask');
    await choose('service_b');
    await openWtbView();
    await until('service_b\'s workflow in the tree', async () => (await rowTexts()).some((t) => t.startsWith('solo')), 60000);
    if ((await rowTexts()).some((t) => t.startsWith('rag'))) throw new Error('the other folder\'s workflows are listed too');
    await shot('multi-root-service-b');
    await palette('WTB: Choose Workspace Folder');
    await choose(path.basename(WS));
    await until('the first folder\'s workflows in the tree', async () => (await rowTexts()).some((t) => t.startsWith('rag')), 60000);
    await shot('multi-root-switched');
  }],
];

// ------------------------------------------------------------------ run
let failed = false;
try {
  installExtension();
  await startEditor();
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 30000 });
  await shot('workbench');
  log('workbench loaded');
  for (const [name, fn] of steps) {
    if (failed) { results.push([name, 'skipped']); continue; }
    const t = Date.now();
    try {
      await fn();
      results.push([name, 'passed']);
      log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
    } catch (e) {
      failed = true;
      results.push([name, 'failed']);
      log(`FAIL ${name}: ${e.message}`);
      await shot('failure');
      log(`tree rows: ${JSON.stringify(await rowTexts().catch(() => []))}`);
      const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
      if (toasts.length) log(`notifications: ${JSON.stringify(toasts.map((x) => x.replace(/\s+/g, ' ')))}`);
    }
  }
} catch (e) {
  failed = true;
  results.push(['setup', 'failed']);
  log(`FAIL setup: ${e.stack || e.message}${e.stderr?.length ? `\n${e.stderr}` : ''}${e.stdout?.length ? `\n${e.stdout}` : ''}`);
  await shot('failure');
} finally {
  await stopEditor().catch(() => {});
  await browser?.close().catch(() => {});
}

// Logs: the extension host, WTB's output channels (server log, LSP trace) — kept as artifacts.
try {
  const found = execFileSync('find', [path.join(UD, 'logs'), '-name', '*.log']).toString().split('\n').filter(Boolean);
  for (const f of found) {
    const base = path.basename(f);
    const session = (f.split('/logs/')[1] ?? '').split('/')[0].replace(/^\d+T/, '');
    if (/remoteexthost|WTB/i.test(base)) fs.copyFileSync(f, path.join(ARTIFACTS, `${session}-${base.replace(/^\d+-/, '')}`));
    if (failed && /remoteexthost|WTB\.log$/.test(base)) console.error(`--- ${base}\n${fs.readFileSync(f, 'utf8').slice(-4000)}`);
  }
} catch { /* no logs */ }
if (failed) console.error(`--- code-server.log\n${fs.readFileSync(path.join(ARTIFACTS, 'code-server.log'), 'utf8').slice(-2000)}`);
if (failed || process.env.E2E_KEEP) console.error(`kept ${TMP}`);
else fs.rmSync(TMP, { recursive: true, force: true });

log(`screenshots and logs in ${path.relative(ROOT, ARTIFACTS)}/`);
const count = (s) => results.filter(([, r]) => r === s).length;
const skipped = count('skipped');
console.log(`${count('passed')} passed, ${count('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
