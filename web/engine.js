// The proving engine: the wasm module and the packages opened in it. It runs wherever the prover
// runs — inside the page's Web Worker (worker.js), or in-process under Node — and answers the
// requests loopx.js sends: {op: "open" | "prove" | "proveCredential" | "verify" | "calldata" |
// "close", ...}. Every answer is plain data.
import init, { LoopxPackage, memoryBytes, submitCalldata, version } from './pkg/loopx_wasm.js';

let ready = null;
const packages = new Map();

/** Instantiates the wasm module once; `wasm` is what wasm-bindgen's init accepts (URL or bytes). */
export function start(wasm) {
  if (!ready) {
    ready = init(wasm === undefined ? undefined : { module_or_path: wasm });
  }
  return ready;
}

function now() {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Runs one request; `progress(stage)` reports the stage it enters. */
export async function handle(request, progress) {
  await start(request.wasm);
  switch (request.op) {
    case 'open': {
      const { id, name, files } = request;
      const opened = new LoopxPackage(name, files.model, files.pk, files.vk, files.srs);
      packages.set(id, opened);
      return { info: JSON.parse(opened.info()), version: version() };
    }
    case 'prove':
    case 'proveCredential': {
      const opened = lookup(request.id);
      const started = now();
      progress('loading the proving key');
      opened.loadProver();
      const loaded = now();
      progress(request.op === 'prove' ? 'proving' : 'checking the credential and proving');
      const text = request.op === 'prove'
        ? opened.prove(request.input, request.wallet, request.salt ?? undefined)
        : opened.proveCredential(request.credential, request.wallet ?? undefined, request.issuer ?? undefined);
      return { proof: text, load_ms: loaded - started, prove_ms: now() - loaded, memory_bytes: memoryBytes() };
    }
    case 'calldata':
      return submitCalldata(request.proof);
    case 'verify': {
      const opened = lookup(request.id);
      const started = now();
      progress('loading the verifying key');
      opened.loadVerifier();
      progress('verifying');
      const claim = JSON.parse(opened.verify(request.proof));
      return { claim, verify_ms: now() - started };
    }
    case 'close': {
      const opened = packages.get(request.id);
      if (opened) {
        opened.free();
        packages.delete(request.id);
      }
      return {};
    }
    default:
      throw new Error(`unknown request ${request.op}`);
  }
}

function lookup(id) {
  const opened = packages.get(id);
  if (!opened) {
    throw new Error('this package is not open in the prover (it was closed, or the prover restarted)');
  }
  return opened;
}
