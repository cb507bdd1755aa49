// The page's proving thread: runs engine.js requests posted by loopx.js and posts back
// {id, ok, value | error} plus {id, progress} messages. A wasm trap (a bug, or memory exhausted)
// leaves the module unusable, so it is reported as `fatal` and loopx.js starts a fresh worker.
import { handle } from './engine.js';

self.onmessage = async (event) => {
  const { id, request } = event.data;
  const progress = (stage) => self.postMessage({ id, progress: stage });
  try {
    const value = await handle(request, progress);
    self.postMessage({ id, ok: true, value });
  } catch (error) {
    const fatal = error instanceof WebAssembly.RuntimeError;
    const message = error && error.message ? error.message : String(error);
    self.postMessage({ id, ok: false, error: fatal ? `the prover crashed (${message})` : message, fatal });
  }
};
