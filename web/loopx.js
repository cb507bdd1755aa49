// LoopX in the browser (and Node): prove a wallet model's verdict where the data is.
//
//   import * as loopx from './loopx.js';
//   const pkg = await loopx.load('/packages/risk_mlp/');            // fetches model.json, pk.bin, vk.bin, srs.bin
//   await loopx.prepare(pkg);                                        // optional: load the proving key ahead
//   const proof = await loopx.prove(pkg, { tx_count: 12, … }, '0x…'); // the proof file `loopx prove` writes
//   const claim = await loopx.verify(pkg, proof);                    // { valid: true, wallet, outputs, … }
//   const proof2 = await loopx.prove(pkg, credential);               // an issuer's credential file (parsed or text)
//   const tx = await loopx.submit(proof, consumerAddress);           // WalletAttributes.submit via window.ethereum
//
// In a page, proving runs in a Web Worker (the page stays responsive); under Node it runs
// in-process. Nothing leaves the device: the only requests are the package's and the bundle's
// files, and the one transaction `submit` asks the user's wallet to send.
import * as engine from './engine.js';

const PACKAGE_FILES = ['model.json', 'pk.bin', 'vk.bin', 'srs.bin'];
const inBrowser = typeof window !== 'undefined' || typeof WorkerGlobalScope !== 'undefined';

let runner = null;
let nextPackage = 1;
let useThreads = true;

/**
 * Settings, before the first `load`: `threads: false` keeps proving on the single-threaded
 * bundle even where the threaded one is served and the page is cross-origin isolated.
 */
export function configure({ threads } = {}) {
  if (threads !== undefined) useThreads = Boolean(threads);
}

/** Errors from LoopX carry the prover's own sentence. */
export class LoopxError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LoopxError';
  }
}

// Runs engine requests in a Web Worker, restarting it (and reopening its packages) after a crash.
class WorkerRunner {
  constructor() {
    this.pending = new Map();
    this.opened = new Map();
    this.nextId = 1;
    this.worker = null;
  }

  spawn() {
    const url = new URL('./worker.js', import.meta.url);
    if (!useThreads) url.search = '?threads=0';
    this.worker = new Worker(url, { type: 'module' });
    this.worker.onmessage = (event) => {
      const { id, progress, ok, value, error, fatal } = event.data;
      const call = this.pending.get(id);
      if (!call) return;
      if (progress !== undefined) {
        call.onProgress?.({ stage: progress });
        return;
      }
      this.pending.delete(id);
      if (fatal) this.restart();
      ok ? call.resolve(value) : call.reject(new LoopxError(error));
    };
    this.worker.onerror = (event) => {
      const message = `the prover worker failed: ${event.message || 'could not start (is the bundle built?)'}`;
      for (const call of this.pending.values()) call.reject(new LoopxError(message));
      this.pending.clear();
      this.restart();
    };
    this.reopened = new Set();
  }

  restart() {
    this.worker?.terminate();
    this.worker = null;
  }

  async call(request, onProgress) {
    if (!this.worker) this.spawn();
    if (request.op !== 'open' && request.id !== undefined && !this.reopened.has(request.id)) {
      const open = this.opened.get(request.id);
      if (open) await this.send(open);
    }
    return this.send(request, onProgress);
  }

  send(request, onProgress) {
    if (request.op === 'open') {
      this.opened.set(request.id, request);
      this.reopened.add(request.id);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, request });
    });
  }
}

// Runs engine requests on the calling thread (Node, or a page that asks for it).
class InlineRunner {
  constructor() {
    this.started = null;
  }

  async call(request, onProgress) {
    if (!this.started) this.started = readBytes(new URL('./pkg/loopx_wasm_bg.wasm', import.meta.url)).then(engine.start);
    await this.started;
    try {
      return await engine.handle(request, (stage) => onProgress?.({ stage }));
    } catch (error) {
      throw new LoopxError(error && error.message ? error.message : String(error));
    }
  }
}

function getRunner() {
  if (!runner) runner = inBrowser && typeof Worker !== 'undefined' ? new WorkerRunner() : new InlineRunner();
  return runner;
}

async function readBytes(url, onProgress) {
  const href = String(url);
  if (!inBrowser && !/^https?:/.test(href)) {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const bytes = new Uint8Array(await readFile(href.startsWith('file:') ? fileURLToPath(href) : href));
    onProgress?.(bytes.length, bytes.length);
    return bytes;
  }
  const response = await fetch(href);
  if (!response.ok) throw new LoopxError(`cannot fetch ${href}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !onProgress) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function joinUrl(base, file) {
  const text = String(base);
  return text.endsWith('/') ? text + file : `${text}/${file}`;
}

/**
 * Fetches a package (the directory `loopx setup` wrote, as `loopx serve` serves it) and opens it
 * in the prover. Resolves to a package handle: `{ url, name, info, sizes, download_ms, threads }`
 * (`threads`: the Web Workers proofs run on, 1 with the single-threaded bundle), where
 * `info` lists the model id and its features (name, unit, min, max) in the model's order.
 * `onProgress({stage, loaded, total})` follows the downloads.
 */
export async function load(packageUrl, { onProgress } = {}) {
  const started = Date.now();
  const files = {};
  const sizes = {};
  const loadedBy = {};
  let grandTotal = 0;
  await Promise.all(
    PACKAGE_FILES.map(async (file) => {
      const bytes = await readBytes(joinUrl(packageUrl, file), (loaded, total) => {
        loadedBy[file] = { loaded, total };
        const sum = Object.values(loadedBy).reduce((a, b) => ({ loaded: a.loaded + b.loaded, total: a.total + b.total }), { loaded: 0, total: 0 });
        grandTotal = sum.total;
        onProgress?.({ stage: 'downloading the package', loaded: sum.loaded, total: sum.total });
      });
      sizes[file] = bytes.length;
      files[file] = bytes;
    }),
  );
  const id = nextPackage++;
  const name = String(packageUrl);
  const model = new TextDecoder().decode(files['model.json']);
  onProgress?.({ stage: 'opening the package', loaded: grandTotal, total: grandTotal });
  const opened = await getRunner().call({
    op: 'open',
    id,
    name,
    files: { model, pk: files['pk.bin'], vk: files['vk.bin'], srs: files['srs.bin'] },
  });
  return { id, url: name, name: opened.info.name, info: opened.info, version: opened.version, threads: opened.threads, sizes, download_ms: Date.now() - started };
}

/**
 * Loads the package's proving key into the prover (otherwise the first `prove` does): a page
 * calls it right after `load`, while the user enters the features, so that Prove only proves.
 * Resolves to the milliseconds it took.
 */
export async function prepare(pkg, { onProgress } = {}) {
  const value = await getRunner().call({ op: 'prepare', id: pkg.id }, onProgress);
  return value.prepare_ms;
}

/** Whether `value` (an object, or JSON text) is an issuer credential rather than features. */
export function isCredential(value) {
  let object = value;
  if (typeof value === 'string') {
    if (!/"(format|signature|issuer)"\s*:/.test(value)) return false;
    try {
      object = JSON.parse(value);
    } catch {
      return true; // looks like one; the prover says what is wrong with it
    }
  }
  return Boolean(object && typeof object === 'object' && !Array.isArray(object)
    && ('signature' in object || 'issuer' in object || String(object.format ?? '').startsWith('loopx-credential')));
}

/** The input document the prover reads: features in the model's order (`{"input_data": [[…]]}`). */
export function inputDocument(pkg, features) {
  if (typeof features === 'string') return features;
  if (Array.isArray(features)) return JSON.stringify({ input_data: [features] });
  if (features && (features.input_data || features.features)) return JSON.stringify(features);
  if (!features || typeof features !== 'object') throw new LoopxError('features must be an object {name: value}, an array or a JSON input document');
  const names = pkg.info.features.map((f) => f.name);
  const unknown = Object.keys(features).filter((name) => !names.includes(name));
  if (unknown.length) throw new LoopxError(`unknown feature ${unknown.join(', ')} (the model takes ${names.join(', ')})`);
  const row = names.map((name) => {
    const value = features[name];
    if (value === undefined || value === '' || value === null) throw new LoopxError(`feature ${name} is missing`);
    const number = Number(value);
    if (!Number.isFinite(number)) throw new LoopxError(`feature ${name} = ${value} is not a number`);
    return number;
  });
  return JSON.stringify({ input_data: [row] });
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function checkAddress(value, what) {
  if (typeof value !== 'string' || !ADDRESS.test(value.trim())) {
    throw new LoopxError(`${what} \`${value}\` is not an address (0x + 40 hex digits)`);
  }
  return value.trim();
}

/**
 * Proves `features` (an object {name: value}, an array in the model's order, or an input
 * document) for `wallet` (0x + 40 hex digits), or an issuer's credential file (parsed or text;
 * see `isCredential`), which is checked as `loopx prove --credential` checks it (signature,
 * `issuer` when given, validity, schema, ranges; `wallet`, when given, must be the
 * credential's) and proven with its salt. Resolves to the proof file `loopx prove` writes,
 * parsed; its exact text is `proof.text` and its timings `proof.timing` (not enumerable).
 * `salt`: hex field element, or fresh (features only).
 */
export async function prove(pkg, features, wallet, { salt, issuer, onProgress } = {}) {
  let request;
  if (isCredential(features)) {
    const credential = typeof features === 'string' ? features : JSON.stringify(features);
    const given = wallet === undefined || wallet === null || String(wallet).trim() === '' ? undefined : checkAddress(wallet, 'wallet');
    request = { op: 'proveCredential', id: pkg.id, credential, wallet: given, issuer: issuer ? checkAddress(issuer, 'issuer') : undefined };
  } else {
    request = { op: 'prove', id: pkg.id, input: inputDocument(pkg, features), wallet: checkAddress(wallet, 'wallet'), salt };
  }
  const value = await getRunner().call(request, onProgress);
  const proof = JSON.parse(value.proof);
  Object.defineProperty(proof, 'text', { value: value.proof, enumerable: false });
  Object.defineProperty(proof, 'timing', {
    value: { load_ms: value.load_ms, prove_ms: value.prove_ms, wasm_memory_bytes: value.memory_bytes },
    enumerable: false,
  });
  return proof;
}

function proofText(proofFile) {
  return typeof proofFile === 'string' ? proofFile : proofFile.text ?? JSON.stringify(proofFile);
}

/**
 * Verifies a proof file (object or JSON text) against the package. Resolves to the verified
 * claim `{valid: true, wallet, outputs, commitment, model_id, vk_digest, dev_srs, k, …}` (what
 * `loopx verify --json` prints), or `{valid: false, …}`; rejects a malformed or mismatched file.
 */
export async function verify(pkg, proofFile, { onProgress } = {}) {
  const value = await getRunner().call({ op: 'verify', id: pkg.id, proof: proofText(proofFile) }, onProgress);
  Object.defineProperty(value.claim, 'verify_ms', { value: value.verify_ms, enumerable: false });
  return value.claim;
}

/** The `WalletAttributes.submit(modelId, proof, instances)` calldata (`0x…`) of a proof file. */
export async function submitCalldata(proofFile) {
  return getRunner().call({ op: 'calldata', proof: proofText(proofFile) });
}

// An EIP-1193 error as one sentence (4001: the user said no).
function walletError(what, error) {
  const reason = error?.code === 4001 ? 'the request was rejected in the wallet' : (error?.data?.message || error?.message || String(error));
  return new LoopxError(`${what}: ${reason}`);
}

async function receiptOf(ethereum, hash, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await ethereum.request({ method: 'eth_getTransactionReceipt', params: [hash] });
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new LoopxError(`transaction ${hash} was not mined within ${timeoutMs / 1000} s; check it in your wallet`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Submits a proof to a `WalletAttributes` consumer contract at `consumer` through an EIP-1193
 * wallet (`ethereum`, by default the page's injected `window.ethereum`): asks for an account
 * (`eth_requestAccounts`), sends `submit(modelId, proof, instances)` from it
 * (`eth_sendTransaction`; the wallet signs) and waits for the receipt. The contract records the
 * attribute only when the account is the proof's wallet (or a submitter it allowed). Resolves
 * to `{tx_hash, from, block_number, gas_used}`; rejects when the wallet refuses or the
 * transaction reverts. The transaction is the only thing sent anywhere.
 */
export async function submit(proofFile, consumer, { ethereum = globalThis.ethereum, onProgress, timeoutMs = 120000 } = {}) {
  if (!ethereum || typeof ethereum.request !== 'function') {
    throw new LoopxError('no injected wallet (window.ethereum): install an Ethereum wallet extension, or pass {ethereum: provider}');
  }
  const to = checkAddress(consumer, 'the consumer contract');
  const data = await submitCalldata(proofFile);
  onProgress?.({ stage: 'asking the wallet for an account' });
  let accounts;
  try {
    accounts = await ethereum.request({ method: 'eth_requestAccounts' });
  } catch (error) {
    throw walletError('the wallet gave no account', error);
  }
  const from = accounts?.[0];
  if (!from) throw new LoopxError('the wallet gave no account: unlock it and allow this page');
  // Estimating first turns a submission the contract would refuse into an error before the
  // wallet asks the user to sign; the limit gets a quarter more than the estimate, which nodes
  // give after refunds (an exact one can run out of gas).
  let gas;
  try {
    gas = BigInt(await ethereum.request({ method: 'eth_estimateGas', params: [{ from, to, data }] }));
  } catch (error) {
    throw walletError(`${to} refuses this submission from ${from} (is it a WalletAttributes contract with this model registered, and ${from} the proof's wallet?)`, error);
  }
  onProgress?.({ stage: 'waiting for the wallet to send the transaction' });
  let hash;
  try {
    hash = await ethereum.request({ method: 'eth_sendTransaction', params: [{ from, to, data, gas: `0x${(gas + gas / 4n).toString(16)}` }] });
  } catch (error) {
    throw walletError('the transaction was not sent', error);
  }
  onProgress?.({ stage: `waiting for ${hash} to be mined` });
  const receipt = await receiptOf(ethereum, hash, timeoutMs);
  if (receipt.status !== '0x1' && receipt.status !== 1) {
    throw new LoopxError(`transaction ${hash} reverted: is ${to} a WalletAttributes contract with this model registered, and ${from} the proof's wallet?`);
  }
  return { tx_hash: hash, from, block_number: Number(receipt.blockNumber), gas_used: Number(receipt.gasUsed) };
}

/** Frees a package's memory in the prover. */
export async function close(pkg) {
  await getRunner().call({ op: 'close', id: pkg.id });
}
