// Drives the served page in headless Chromium as a user would: pick a model, load a features
// file, prove, verify, download the proof; then (with --credential) load an issuer's credential
// and prove from it; then (with --rpc and --consumer) submit the last proof to a WalletAttributes
// contract through an injected EIP-1193 wallet whose requests go to the node at --rpc (a dev node
// whose unlocked account signs). Takes a screenshot. Prints one JSON object with the figures on
// stdout; exits non-zero (with the page's error) when any step fails.
//
// node drive.mjs --chromium PATH --url http://127.0.0.1:PORT/ --model NAME --features FILE
//                --wallet 0x… --out DIR [--credential FILE] [--rpc URL --consumer 0x…] [--threads 0]
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { memoryFigures, parseArgs, withBrowser } from './session.mjs';

const args = parseArgs(process.argv.slice(2), ['chromium', 'url', 'model', 'features', 'wallet', 'out']);
const out = resolve(args.out);
const timeout = Number(args.timeout_ms || 600000);
const rpcCalls = [];

// A minimal EIP-1193 provider, injected before the page's scripts run: each request goes to the
// test's node through a function the driver exposes (so the page itself sends nothing anywhere).
function injectWallet() {
  let id = 0;
  window.ethereum = {
    isLoopxTestWallet: true,
    async request({ method, params }) {
      id += 1;
      const rpcMethod = method === 'eth_requestAccounts' ? 'eth_accounts' : method;
      const answer = JSON.parse(await window.loopxTestRpc(JSON.stringify({ jsonrpc: '2.0', id, method: rpcMethod, params: params ?? [] })));
      if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code, data: answer.error.data });
      return answer.result;
    },
  };
}

async function waitForState(page, states) {
  await page.waitForSelector(states.map((s) => `body[data-state="${s}"]`).join(', '));
  return page.evaluate(() => ({ state: document.body.dataset.state, error: document.getElementById('error').textContent }));
}

// Clicks Prove and waits for the proof; returns the page's timings and attribute.
async function proveInPage(page, what) {
  await page.click('#prove');
  const done = await waitForState(page, ['proved', 'error']);
  if (done.state !== 'proved') throw new Error(`proving ${what} failed in the page: ${done.error}`);
  return page.evaluate(() => ({
    timings: window.loopxPage.timings,
    attribute: document.getElementById('attribute').textContent,
    proof: { commitment: window.loopxPage.proof.commitment, wallet: window.loopxPage.proof.wallet },
  }));
}

async function verifyInPage(page, what) {
  await page.click('#verify');
  const done = await waitForState(page, ['verified', 'invalid', 'error']);
  const claim = await page.evaluate(() => ({ ...window.loopxPage.claim, verify_ms: window.loopxPage.claim?.verify_ms }));
  if (done.state !== 'verified' || !claim.valid) throw new Error(`the page says the ${what} proof is invalid: ${JSON.stringify(claim)} ${done.error}`);
  return claim;
}

const result = await withBrowser(args.chromium, timeout, async ({ browser, page, problems, requests }) => {
  if (args.rpc) {
    await page.exposeFunction('loopxTestRpc', async (body) => {
      rpcCalls.push(JSON.parse(body));
      const response = await fetch(args.rpc, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return response.text();
    });
    await page.evaluateOnNewDocument(injectWallet);
  }
  const session = await browser.target().createCDPSession();
  await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: out });
  const downloaded = join(out, 'proof.json');
  rmSync(downloaded, { force: true });

  const started = Date.now();
  const query = `?model=${encodeURIComponent(args.model)}${args.threads === '0' ? '&threads=0' : ''}`;
  await page.goto(`${args.url}${query}`);
  await page.waitForSelector('body[data-ready="true"]');
  const loadMs = Date.now() - started;
  const setup = await page.evaluate(() => ({
    crossOriginIsolated: window.crossOriginIsolated,
    api: ['load', 'prove', 'verify', 'submit'].every((f) => typeof window.loopx?.[f] === 'function'),
    sizes: window.loopxPage.pkg?.sizes,
    model: window.loopxPage.pkg?.info?.name,
    threads: window.loopxPage.pkg?.threads,
    error: document.getElementById('error').textContent,
  }));
  if (!setup.model) throw new Error(`the page did not load model ${args.model}: ${setup.error}`);
  if (!setup.api) throw new Error('window.loopx does not expose load/prove/verify/submit');

  // The page loads the proving key ahead (as while a user types); Prove then only proves.
  await page.waitForSelector('body[data-prepared="true"]');

  // Features from a file.
  const file = await page.$('#features-file');
  await file.uploadFile(resolve(args.features));
  await page.waitForFunction(() => [...document.querySelectorAll('#features-form input')].every((i) => i.value !== ''));
  await page.$eval('#wallet', (input, wallet) => { input.value = wallet; }, args.wallet);
  const proved = await proveInPage(page, 'the features');
  const memory = await memoryFigures(page);
  const claim = await verifyInPage(page, 'features');
  await page.click('#download');
  const deadline = Date.now() + 30000;
  while (!(existsSync(downloaded) && statSync(downloaded).size > 0)) {
    if (Date.now() > deadline) throw new Error(`no proof.json was downloaded into ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // An issuer's credential.
  let credential = null;
  if (args.credential) {
    const input = await page.$('#credential-file');
    await input.uploadFile(resolve(args.credential));
    await page.waitForFunction(() => document.getElementById('credential-status').textContent !== '' || document.getElementById('error').textContent !== '');
    const loaded = await page.evaluate(() => ({ credential: window.loopxPage.credential !== null, error: document.getElementById('error').textContent }));
    if (!loaded.credential) throw new Error(`the page did not take the credential: ${loaded.error}`);
    const fromCredential = await proveInPage(page, 'the credential');
    credential = { ...fromCredential, claim: await verifyInPage(page, 'credential') };
  }

  // Submission of the last proof through the injected wallet.
  let submission = null;
  if (args.consumer) {
    await page.$eval('#consumer', (input, consumer) => { input.value = consumer; }, args.consumer);
    await page.click('#submit');
    const done = await waitForState(page, ['submitted', 'submit-failed']);
    if (done.state !== 'submitted') throw new Error(`submitting failed in the page: ${done.error}`);
    submission = await page.evaluate(() => ({
      ...window.loopxPage.submission,
      calldata: null,
      text: document.getElementById('submitted').textContent,
    }));
    submission.calldata = await page.evaluate(() => window.loopx.submitCalldata(window.loopxPage.proof));
  }

  const screenshot = join(out, 'browser-proof.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  return {
    model: setup.model,
    cross_origin_isolated: setup.crossOriginIsolated,
    threads: setup.threads,
    package_bytes: setup.sizes,
    page_load_ms: loadMs,
    ...proved.timings,
    memory,
    verify_ms: claim.verify_ms,
    attribute: proved.attribute,
    claim,
    proof_file: downloaded,
    credential,
    submission,
    rpc_methods: rpcCalls.map((c) => c.method),
    transactions: rpcCalls.filter((c) => c.method === 'eth_sendTransaction').map((c) => c.params[0]),
    requests,
    screenshot,
    problems,
  };
}).catch((error) => {
  process.stderr.write(`browser test: ${error.message}\n`);
  process.exitCode = 1;
  return null;
});
if (result) process.stdout.write(`${JSON.stringify(result)}\n`);
