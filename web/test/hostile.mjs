// Puts hostile input to the page's API (window.loopx) in headless Chromium: damaged packages,
// wrong feature counts, out-of-range values, malformed and edited credentials, malformed proof
// files. Each case must be refused with an error sentence, never a wasm trap; afterwards the same
// prover still proves a good input. Prints {cases: [{name, refused, error}], recovered, problems}.
//
// node hostile.mjs --chromium PATH --url http://127.0.0.1:PORT/ --cases FILE
//
// FILE: {"good": {"package": URL, "features": DOC, "wallet": "0x…"},
//        "cases": [{"name", "kind": "load"|"prove"|"verify"|"calldata", "package"?, "features"?,
//                   "wallet"?, "proof"?}]}
import { readFileSync } from 'node:fs';
import { parseArgs, withBrowser } from './session.mjs';

const args = parseArgs(process.argv.slice(2), ['chromium', 'url', 'cases']);
const spec = JSON.parse(readFileSync(args.cases, 'utf8'));

// Runs in the page.
async function runCases({ good, cases }) {
  const { loopx } = window;
  const goodPkg = await loopx.load(good.package);
  const results = [];
  for (const c of cases) {
    try {
      switch (c.kind) {
        case 'load': {
          const pkg = await loopx.load(c.package);
          await loopx.prove(pkg, good.features, good.wallet);
          break;
        }
        case 'prove':
          await loopx.prove(goodPkg, c.features, c.wallet);
          break;
        case 'verify': {
          const claim = await loopx.verify(goodPkg, c.proof);
          if (!claim.valid) throw new Error(`INVALID: ${claim.reason}`);
          break;
        }
        case 'calldata':
          await loopx.submitCalldata(c.proof);
          break;
        default:
          throw new Error(`unknown case kind ${c.kind}`);
      }
      results.push({ name: c.name, refused: false, error: null });
    } catch (error) {
      results.push({ name: c.name, refused: true, error: String(error?.message ?? error), error_name: error?.name ?? null });
    }
  }
  const proof = await loopx.prove(goodPkg, good.features, good.wallet);
  const claim = await loopx.verify(goodPkg, proof);
  return { cases: results, recovered: claim.valid === true };
}

const result = await withBrowser(args.chromium, Number(args.timeout_ms || 600000), async ({ page, problems }) => {
  await page.goto(args.url);
  await page.waitForSelector('body[data-ready="true"]');
  const answer = await page.evaluate(runCases, spec);
  return { ...answer, problems };
}).catch((error) => {
  process.stderr.write(`hostile-input test: ${error.message}\n`);
  process.exitCode = 1;
  return null;
});
if (result) process.stdout.write(`${JSON.stringify(result)}\n`);
