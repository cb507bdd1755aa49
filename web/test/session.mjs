// What the browser-test drivers share: their command line, a headless Chromium with a fresh
// profile, a page whose console errors, uncaught errors and requests are recorded, and the
// memory figures Chromium reports over CDP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

/** `--key value` pairs of the command line; throws when one of `required` is missing. */
export function parseArgs(argv, required) {
  const args = {};
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const key of required) {
    if (!args[key]) throw new Error(`missing --${key}`);
  }
  return args;
}

/**
 * Runs `body(session)` against headless Chromium at `chromium`, then closes it. `session` has
 * the `browser`, a `page` (viewport set, timeout `timeoutMs`), `problems` (console errors and
 * uncaught page errors, as text) and `requests` ({method, url} of every request the page made).
 */
export async function withBrowser(chromium, timeoutMs, body) {
  const profile = mkdtempSync(join(tmpdir(), 'loopx-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', '--enable-precise-memory-info', `--user-data-dir=${profile}`,
    ],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeoutMs);
    await page.setViewport({ width: 1100, height: 1400 });
    const problems = [];
    const requests = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
    page.on('request', (request) => requests.push({ method: request.method(), url: request.url() }));
    try {
      return await body({ browser, page, problems, requests });
    } catch (error) {
      if (problems.length) error.message += `\n${problems.join('\n')}`;
      throw error;
    }
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Memory figures: the page's JS heap (CDP `Performance.getMetrics`) and each worker's — the
 * prover's thread — (CDP `Runtime.getHeapUsage`; workers have no Performance domain), in bytes.
 * The wasm module's linear memory is reported by the prover itself.
 */
export async function memoryFigures(page) {
  const metrics = await page.metrics();
  const workers = [];
  for (const worker of page.workers()) {
    try {
      const { usedSize, totalSize } = await worker.client.send('Runtime.getHeapUsage');
      workers.push({ url: worker.url(), js_heap_used_bytes: usedSize, js_heap_total_bytes: totalSize });
    } catch (error) {
      workers.push({ url: worker.url(), error: error.message });
    }
  }
  return { page_js_heap_used_bytes: metrics.JSHeapUsedSize, page_js_heap_total_bytes: metrics.JSHeapTotalSize, workers };
}
