// The proving engine: the wasm module and the packages opened in it. It runs wherever the prover
// runs — inside the page's Web Worker (worker.js), or in-process under Node — and answers the
// requests loopx.js sends: {op: "open" | "prepare" | "prove" | "proveCredential" | "verify" |
// "calldata" | "close", ...}. Every answer is plain data.
//
// Two bundles may be served: pkg/ (single-threaded, always) and pkg-threads/ (halo2 across a
// pool of Web Workers over shared memory; built by `scripts/build-wasm.sh --threads`). The
// threaded one is chosen at run time when it was built (`bundle.json` says so) and the context
// can share memory (cross-origin isolated, which `loopx serve`'s COOP/COEP headers make it).

let ready = null;
let bundle = null;
const packages = new Map();

async function threadedBundleServed() {
  if (typeof globalThis.crossOriginIsolated !== 'boolean' || !globalThis.crossOriginIsolated) return false;
  if (typeof SharedArrayBuffer !== 'function' || typeof fetch !== 'function') return false;
  // loopx.configure({threads: false}) starts the worker as worker.js?threads=0.
  if (new URLSearchParams(globalThis.location?.search ?? '').get('threads') === '0') return false;
  try {
    const response = await fetch(new URL('./bundle.json', import.meta.url));
    return response.ok && (await response.json()).threads === true;
  } catch {
    return false;
  }
}

/**
 * Instantiates the wasm module once; `wasm` is what wasm-bindgen's init accepts (URL or bytes of
 * the single-threaded module, which is then used). Resolves to `{threads}`: the workers proving
 * runs on (1 without the threaded bundle).
 */
export function start(wasm) {
  if (!ready) {
    ready = (async () => {
      const threaded = wasm === undefined && (await threadedBundleServed());
      bundle = await import(threaded ? './pkg-threads/loopx_wasm.js' : './pkg/loopx_wasm.js');
      await bundle.default(wasm === undefined ? undefined : { module_or_path: wasm });
      if (!threaded) return { threads: 1 };
      const threads = Math.max(1, navigator.hardwareConcurrency || 1);
      await bundle.initThreadPool(threads);
      return { threads };
    })();
  }
  return ready;
}

function now() {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Runs one request; `progress(stage)` reports the stage it enters. */
export async function handle(request, progress) {
  const { threads } = await start(request.wasm);
  const { LoopxPackage, memoryBytes, submitCalldata, version } = bundle;
  switch (request.op) {
    case 'open': {
      const { id, name, files } = request;
      const opened = new LoopxPackage(name, files.model, files.pk, files.vk, files.srs);
      packages.set(id, opened);
      return { info: JSON.parse(opened.info()), version: version(), threads };
    }
    case 'prepare': {
      const opened = lookup(request.id);
      const started = now();
      progress('loading the proving key');
      opened.loadProver();
      return { prepare_ms: now() - started };
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
