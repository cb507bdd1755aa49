// Drives the served page in headless Chromium as a user would: pick a model, load a features
// file, prove, verify, download the proof, take a screenshot. Prints one JSON object with the
// figures on stdout; exits non-zero (with the page's error) when any step fails.
//
// node drive.mjs --chromium PATH --url http://127.0.0.1:PORT/ --model NAME --features FILE
//                --wallet 0x… --out DIR
import { mkdtempSync, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
for (const key of ['chromium', 'url', 'model', 'features', 'wallet', 'out']) {
  if (!args[key]) throw new Error(`missing --${key}`);
}
const out = resolve(args.out);
const timeout = Number(args.timeout_ms || 600000);
const profile = mkdtempSync(join(tmpdir(), 'loopx-chromium-'));
const problems = [];

const browser = await puppeteer.launch({
  executablePath: args.chromium,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
  ],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  await page.setViewport({ width: 1100, height: 1400 });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
  const session = await browser.target().createCDPSession();
  await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: out });
  const downloaded = join(out, 'proof.json');
  rmSync(downloaded, { force: true });

  const started = Date.now();
  await page.goto(`${args.url}?model=${encodeURIComponent(args.model)}`);
  await page.waitForSelector('body[data-ready="true"]');
  const loadMs = Date.now() - started;
  const setup = await page.evaluate(() => ({
    crossOriginIsolated: window.crossOriginIsolated,
    api: typeof window.loopx?.load === 'function' && typeof window.loopx?.prove === 'function' && typeof window.loopx?.verify === 'function',
    sizes: window.loopxPage.pkg?.sizes,
    model: window.loopxPage.pkg?.info?.name,
    error: document.getElementById('error').textContent,
  }));
  if (!setup.model) throw new Error(`the page did not load model ${args.model}: ${setup.error}`);
  if (!setup.api) throw new Error('window.loopx does not expose load/prove/verify');

  const file = await page.$('#features-file');
  await file.uploadFile(resolve(args.features));
  await page.waitForFunction(() => [...document.querySelectorAll('#features-form input')].every((i) => i.value !== ''));
  await page.$eval('#wallet', (input, wallet) => { input.value = wallet; }, args.wallet);

  await page.click('#prove');
  await page.waitForSelector('body[data-state="proved"], body[data-state="error"]');
  const proved = await page.evaluate(() => ({
    state: document.body.dataset.state,
    error: document.getElementById('error').textContent,
    timings: window.loopxPage.timings,
    attribute: document.getElementById('attribute').textContent,
  }));
  if (proved.state !== 'proved') throw new Error(`proving failed in the page: ${proved.error}`);

  await page.click('#verify');
  await page.waitForSelector('body[data-state="verified"], body[data-state="invalid"]');
  const claim = await page.evaluate(() => ({ ...window.loopxPage.claim, verify_ms: window.loopxPage.claim.verify_ms }));
  if (!claim.valid) throw new Error(`the page says the proof is invalid: ${JSON.stringify(claim)}`);

  await page.click('#download');
  const deadline = Date.now() + 30000;
  while (!(existsSync(downloaded) && statSync(downloaded).size > 0)) {
    if (Date.now() > deadline) throw new Error(`no proof.json was downloaded into ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const screenshot = join(out, 'browser-proof.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  const memory = await page.evaluate(() => performance.memory ? performance.memory.usedJSHeapSize : null);
  process.stdout.write(`${JSON.stringify({
    model: setup.model,
    cross_origin_isolated: setup.crossOriginIsolated,
    package_bytes: setup.sizes,
    page_load_ms: loadMs,
    ...proved.timings,
    verify_ms: claim.verify_ms,
    attribute: proved.attribute,
    claim,
    proof_file: downloaded,
    screenshot,
    js_heap_bytes: memory,
    problems,
  })}\n`);
} catch (error) {
  process.stderr.write(`browser test: ${error.message}\n${problems.join('\n')}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
