// The page: pick a served package, enter or load features (or load an issuer's credential),
// prove in the worker, show, verify and download the proof, and submit it to a WalletAttributes
// contract through the injected wallet. It exposes the module as `window.loopx` (and its state as
// `window.loopxPage`) so that scripts and tests can drive the same code the buttons do.
import * as loopx from './loopx.js';

window.loopx = loopx;
// `?threads=0` keeps the prover single-threaded (to compare, or where workers misbehave).
if (new URLSearchParams(location.search).get('threads') === '0') loopx.configure({ threads: false });
const $ = (id) => document.getElementById(id);
const page = { packages: [], pkg: null, proof: null, claim: null, credential: null, submission: null, timings: {} };
window.loopxPage = page;

function showError(error) {
  $('error').textContent = error ? String(error.message || error) : '';
}

function setBusy(stage, value, max) {
  const bar = $('progress');
  bar.hidden = !stage;
  if (max) {
    bar.max = max;
    bar.value = value;
  } else {
    bar.removeAttribute('value');
  }
  $('stage').textContent = stage || '';
}

function ticking(label) {
  const started = performance.now();
  let stage = label;
  const timer = setInterval(() => setBusy(`${stage}… ${((performance.now() - started) / 1000).toFixed(1)} s`), 100);
  return {
    stage: (next) => { stage = next; },
    stop: () => { clearInterval(timer); setBusy(''); return performance.now() - started; },
  };
}

function renderForm(info) {
  const form = $('features-form');
  form.replaceChildren();
  for (const feature of info.features) {
    const label = document.createElement('label');
    label.htmlFor = `feature-${feature.name}`;
    const range = feature.min !== null && feature.max !== null ? ` [${feature.min}, ${feature.max}]` : '';
    label.textContent = `${feature.name}${feature.unit ? ` (${feature.unit})` : ''}${range}`;
    if (feature.description) label.title = feature.description;
    const input = document.createElement('input');
    input.id = `feature-${feature.name}`;
    input.name = feature.name;
    input.inputMode = 'decimal';
    input.required = true;
    form.append(label, input);
  }
  $('model-description').textContent = info.description || `model ${info.model_id}`;
}

function formFeatures() {
  const features = {};
  for (const input of $('features-form').querySelectorAll('input')) features[input.name] = input.value.trim();
  return features;
}

/** Fills the form from an input document (`features` by name, or `input_data` in order). */
function fillForm(document_) {
  const names = page.pkg.info.features.map((f) => f.name);
  let values;
  if (document_.features) values = names.map((n) => document_.features[n]);
  else if (Array.isArray(document_.input_data)) values = (Array.isArray(document_.input_data[0]) ? document_.input_data[0] : document_.input_data).slice(0, names.length);
  else throw new Error('the file is neither {"features": {...}} nor {"input_data": [[...]]}');
  names.forEach((name, i) => { $(`feature-${name}`).value = values[i] ?? ''; });
}

async function selectModel(url) {
  showError('');
  $('prove').disabled = true;
  $('result-section').hidden = true;
  $('model-status').textContent = 'loading…';
  try {
    page.pkg = await loopx.load(url, {
      onProgress: ({ stage, loaded, total }) => setBusy(`${stage}${total ? ` ${(loaded / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB` : ''}`, loaded, total),
    });
    setBusy('');
    renderForm(page.pkg.info);
    if (page.credential) useCredential(page.credential, 'the credential');
    const mb = Object.values(page.pkg.sizes).reduce((a, b) => a + b, 0) / 1e6;
    const threads = page.pkg.threads > 1 ? `, proving on ${page.pkg.threads} threads` : ', single-threaded';
    $('model-status').textContent = `${page.pkg.info.name}: ${mb.toFixed(1)} MB in ${(page.pkg.download_ms / 1000).toFixed(1)} s${threads}`;
    $('prove').disabled = false;
    // The proving key loads in the worker while the user enters the features; a Prove click
    // before it is ready waits for it there.
    document.body.dataset.prepared = 'false';
    const pkg = page.pkg;
    loopx.prepare(pkg).then((ms) => {
      if (page.pkg !== pkg) return;
      page.timings.prepare_ms = ms;
      document.body.dataset.prepared = 'true';
    }, (error) => {
      if (page.pkg === pkg) showError(error);
    });
  } catch (error) {
    setBusy('');
    $('model-status').textContent = '';
    showError(error);
  }
}

function describeOutputs(proof) {
  const output = page.pkg.info.output || {};
  if (output.kind === 'arg_max') return `class ${proof.outputs[0]}`;
  if (output.kind === 'threshold') return proof.outputs[0] === 1 ? 'above the threshold (1)' : 'below the threshold (0)';
  return proof.outputs.map((v) => Number(v).toFixed(4)).join(', ');
}

async function proveNow() {
  showError('');
  document.body.dataset.state = 'proving';
  $('result-section').hidden = true;
  $('prove').disabled = true;
  const clock = ticking('starting');
  try {
    const proof = await loopx.prove(page.pkg, page.credential ?? formFeatures(), $('wallet').value, {
      onProgress: ({ stage }) => clock.stage(stage),
    });
    const total = clock.stop();
    page.proof = proof;
    page.claim = null;
    page.timings = { ...proof.timing, prepare_ms: page.timings.prepare_ms, total_ms: total };
    $('attribute').textContent = `Model output: ${describeOutputs(proof)}`;
    // The key loads once: ahead, after the model was picked (prepare), or in the first proof.
    const keyMs = (page.timings.prepare_ms ?? 0) + proof.timing.load_ms;
    const rows = [
      ['wallet', proof.wallet],
      ['model', proof.model_id],
      ['commitment', proof.commitment],
      ['outputs', JSON.stringify(proof.outputs)],
      ['proved in', `${(proof.timing.prove_ms / 1000).toFixed(2)} s (proving key loaded in ${(keyMs / 1000).toFixed(2)} s), k = ${proof.k}${proof.dev_srs ? ', dev SRS (insecure)' : ''}`],
      ['prover memory', `${(proof.timing.wasm_memory_bytes / 2 ** 20).toFixed(0)} MiB of wasm memory`],
    ];
    $('summary').replaceChildren(...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      tr.append(Object.assign(document.createElement('td'), { textContent: k }), Object.assign(document.createElement('td'), { textContent: v }));
      return tr;
    }));
    $('proof-bytes').textContent = proof.proof;
    $('verdict').textContent = '';
    $('result-section').hidden = false;
    $('submit-section').hidden = false;
    $('submitted').textContent = '';
    document.body.dataset.state = 'proved';
  } catch (error) {
    clock.stop();
    showError(error);
    document.body.dataset.state = 'error';
  } finally {
    $('prove').disabled = false;
  }
}

async function verifyNow() {
  showError('');
  document.body.dataset.state = 'verifying';
  const clock = ticking('verifying');
  try {
    const claim = await loopx.verify(page.pkg, page.proof, { onProgress: ({ stage }) => clock.stage(stage) });
    const ms = clock.stop();
    page.claim = claim;
    $('verdict').className = claim.valid ? 'valid' : 'invalid';
    $('verdict').textContent = claim.valid
      ? `VALID: wallet ${claim.wallet} has outputs ${JSON.stringify(claim.outputs)} (verified in ${(ms / 1000).toFixed(2)} s${claim.dev_srs ? '; dev SRS: insecure, for tests' : ''})`
      : `INVALID: ${claim.reason}`;
    document.body.dataset.state = claim.valid ? 'verified' : 'invalid';
  } catch (error) {
    clock.stop();
    showError(error);
    document.body.dataset.state = 'error';
  }
}

function downloadProof() {
  const blob = new Blob([page.proof.text], { type: 'application/json' });
  const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'proof.json' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function submitNow() {
  showError('');
  document.body.dataset.state = 'submitting';
  const clock = ticking('submitting');
  try {
    const submission = await loopx.submit(page.proof, $('consumer').value, { onProgress: ({ stage }) => clock.stage(stage) });
    clock.stop();
    page.submission = submission;
    $('submitted').textContent = `Recorded: transaction ${submission.tx_hash} from ${submission.from} in block ${submission.block_number} (${submission.gas_used} gas).`;
    document.body.dataset.state = 'submitted';
  } catch (error) {
    clock.stop();
    showError(error);
    document.body.dataset.state = 'submit-failed';
  }
}

/** Takes a credential file: its features fill the (then read-only) form, its wallet the wallet. */
function useCredential(text, fileName) {
  const credential = JSON.parse(text);
  if (!loopx.isCredential(credential)) throw new Error('this is not a credential file (no format, issuer or signature)');
  page.credential = text;
  fillForm({ features: Object.fromEntries((credential.features ?? []).map((f) => [f.name, f.value])) });
  for (const input of $('features-form').querySelectorAll('input')) input.readOnly = true;
  if (typeof credential.wallet === 'string') $('wallet').value = credential.wallet;
  const expires = Number.isFinite(credential.expires_at) ? new Date(credential.expires_at * 1000).toISOString().slice(0, 10) : '?';
  $('credential-status').textContent = `${fileName}: issued by ${credential.issuer} for ${credential.wallet}, expires ${expires}; checked when you prove.`;
}

function forgetCredential() {
  page.credential = null;
  $('credential-file').value = '';
  $('credential-status').textContent = '';
  for (const input of $('features-form').querySelectorAll('input')) input.readOnly = false;
}

async function connectWallet() {
  showError('');
  if (!window.ethereum) {
    showError('no injected wallet (window.ethereum) in this browser');
    return;
  }
  try {
    const [account] = await window.ethereum.request({ method: 'eth_requestAccounts' });
    if (account) $('wallet').value = account;
  } catch (error) {
    showError(error);
  }
}

async function main() {
  $('isolation').textContent = window.crossOriginIsolated ? 'Cross-origin isolated.' : 'Not cross-origin isolated.';
  $('prove').onclick = proveNow;
  $('verify').onclick = verifyNow;
  $('download').onclick = downloadProof;
  $('connect').onclick = connectWallet;
  $('submit').onclick = submitNow;
  $('features-file').onchange = async (event) => {
    showError('');
    const [file] = event.target.files;
    if (!file) return;
    try {
      forgetCredential();
      fillForm(JSON.parse(await file.text()));
    } catch (error) {
      showError(`${file.name}: ${error.message}`);
    }
  };
  $('credential-file').onchange = async (event) => {
    showError('');
    const [file] = event.target.files;
    if (!file) return;
    try {
      useCredential(await file.text(), file.name);
    } catch (error) {
      forgetCredential();
      showError(`${file.name}: ${error.message}`);
    }
  };
  try {
    const response = await fetch('packages/index.json');
    page.packages = await response.json();
  } catch (error) {
    showError(`cannot list the packages: ${error.message}`);
    return;
  }
  const select = $('model');
  for (const p of page.packages) select.append(new Option(p.name, p.url));
  select.onchange = () => selectModel(select.value);
  const wanted = new URLSearchParams(location.search).get('model');
  const first = page.packages.find((p) => p.name === wanted) ?? page.packages[0];
  if (first) {
    select.value = first.url;
    await selectModel(first.url);
  }
  document.body.dataset.ready = 'true';
}

main();
