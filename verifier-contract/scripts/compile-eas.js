#!/usr/bin/env node
// Compiles the real Ethereum Attestation Service contracts (SchemaRegistry, EAS) from the pinned
// npm package @ethereum-attestation-service/eas-contracts with the solc-js they are written for
// (0.8.27, installed under the alias `solc-eas`), so that tests can deploy EAS on a local chain.
//
// Prints one JSON object on stdout:
//   {"solc": "<full version>", "eas_contracts": "1.8.0", "settings": {...},
//    "SchemaRegistry": {"abi": [...], "bytecode": "0x<creation code>", "deployed_size": N},
//    "EAS": {...}}
// `settings` records the optimizer/EVM settings used (informational).
//
// solc-js takes tens of seconds on EAS, so the result is cached in
// node_modules/.cache/loopx/eas-1.8.0-solc-0.8.27.json and reused while the compiler version and
// settings match. The cache lives inside node_modules on purpose: `npm ci` (scripts/ensure-tools.sh)
// deletes node_modules, so a reinstall can never leave a cache of other sources behind.
// `--no-cache` forces a fresh compile (and rewrites the cache).
//
// Errors (missing packages, compiler errors, oversized code) go to stderr with exit code 2.
'use strict';

const fs = require('fs');
const path = require('path');

const EXPECTED_SOLC = '0.8.27';
const EAS_VERSION = '1.8.0';
const OPENZEPPELIN_VERSION = '5.0.2';
const EAS_PACKAGE = '@ethereum-attestation-service/eas-contracts';
const CONTRACTS = ['SchemaRegistry', 'EAS'];
// EIP-170: the largest runtime code a CREATE may leave behind.
const EIP170_CODE_SIZE_LIMIT = 24576;

// The settings upstream deploys EAS with (see the package's deployments/*/EAS.json metadata):
// optimizer on with 1,000,000 runs (cheap calls; EAS is deployed once and called often), and
// `paris` so the code has no PUSH0/MCOPY and deploys on any post-merge chain. EAS stays at about
// 19 KB, well under EIP-170, so no size-oriented tuning (fewer runs, viaIR) is needed.
const SETTINGS = {
  optimizer: { enabled: true, runs: 1000000 },
  evmVersion: 'paris',
};

const root = path.resolve(__dirname, '..');
const nodeModules = path.join(root, 'node_modules');
const cacheFile = path.join(nodeModules, '.cache', 'loopx', `eas-${EAS_VERSION}-solc-${EXPECTED_SOLC}.json`);

function fail(message) {
  process.stderr.write(`compile-eas: ${message}\n`);
  process.exit(2);
}

function readPackageVersion(name) {
  const file = path.join(nodeModules, name, 'package.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch (err) {
    fail(`cannot read ${file} (${err.code || err.message}); run scripts/ensure-tools.sh`);
  }
}

function loadCompiler() {
  let solc;
  try {
    solc = require('solc-eas');
  } catch (err) {
    fail(`cannot load the solc-eas package (${err.message}); run scripts/ensure-tools.sh`);
  }
  const version = solc.version();
  if (!version.startsWith(EXPECTED_SOLC + '+')) {
    fail(`solc-eas is ${version}, expected ${EXPECTED_SOLC}; run scripts/ensure-tools.sh`);
  }
  return solc;
}

// Import callback: every source unit is named by its path under node_modules (EAS's own relative
// imports resolve to such names too), so imports are read from there and nowhere else.
function findImport(unitName) {
  const file = path.resolve(nodeModules, unitName);
  if (!file.startsWith(nodeModules + path.sep)) {
    return { error: `import ${unitName} resolves outside node_modules` };
  }
  try {
    return { contents: fs.readFileSync(file, 'utf8') };
  } catch (err) {
    return { error: `cannot read ${file} (${err.code || err.message}); run scripts/ensure-tools.sh` };
  }
}

function cachedResult() {
  if (process.argv.includes('--no-cache')) return null;
  let cached;
  try {
    cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
  } catch (_) {
    return null; // absent or unreadable (a torn write cannot happen: writes are renames)
  }
  const usable =
    typeof cached.solc === 'string' &&
    cached.solc.startsWith(EXPECTED_SOLC + '+') &&
    cached.eas_contracts === EAS_VERSION &&
    JSON.stringify(cached.settings) === JSON.stringify(SETTINGS) &&
    CONTRACTS.every((name) => cached[name] && typeof cached[name].bytecode === 'string');
  return usable ? cached : null;
}

function writeCache(result) {
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    // Temp file in the same directory, then rename: concurrent readers see the old file or the
    // whole new one, and concurrent writers (which produce identical content) cannot interleave.
    const tmp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(result));
    fs.renameSync(tmp, cacheFile);
  } catch (err) {
    // The cache is an optimisation only; the compiled output is still correct.
    process.stderr.write(`compile-eas: warning: cannot write ${cacheFile} (${err.message})\n`);
  }
}

function compile(solc) {
  const sources = {};
  for (const name of CONTRACTS) {
    const unit = `${EAS_PACKAGE}/contracts/${name}.sol`;
    const found = findImport(unit);
    if (found.error) fail(found.error);
    sources[unit] = { content: found.contents };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      ...SETTINGS,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    // The sources are pinned, so an error here means a damaged or partial node_modules.
    fail(
      `solc ${solc.version()} failed on the EAS sources (damaged node_modules? delete it and run ` +
        `scripts/ensure-tools.sh):\n${errors.map((e) => e.formattedMessage || e.message).join('\n')}`
    );
  }

  const result = { solc: solc.version(), eas_contracts: EAS_VERSION, settings: SETTINGS };
  for (const name of CONTRACTS) {
    const unit = `${EAS_PACKAGE}/contracts/${name}.sol`;
    const contract = output.contracts && output.contracts[unit] && output.contracts[unit][name];
    if (!contract) fail(`solc produced no ${name} in ${unit}`);
    const deployedSize = contract.evm.deployedBytecode.object.length / 2;
    if (deployedSize > EIP170_CODE_SIZE_LIMIT) {
      fail(`${name} runtime code is ${deployedSize} bytes, over the EIP-170 limit of ${EIP170_CODE_SIZE_LIMIT}`);
    }
    result[name] = {
      abi: contract.abi,
      bytecode: '0x' + contract.evm.bytecode.object,
      deployed_size: deployedSize,
    };
  }
  return result;
}

function main() {
  if (!fs.existsSync(nodeModules)) fail(`${nodeModules} is missing; run scripts/ensure-tools.sh`);
  const easVersion = readPackageVersion(EAS_PACKAGE);
  if (easVersion !== EAS_VERSION) {
    fail(`${EAS_PACKAGE} is ${easVersion}, expected ${EAS_VERSION}; run scripts/ensure-tools.sh`);
  }
  const ozVersion = readPackageVersion('@openzeppelin/contracts');
  if (ozVersion !== OPENZEPPELIN_VERSION) {
    fail(`@openzeppelin/contracts is ${ozVersion}, expected ${OPENZEPPELIN_VERSION}; run scripts/ensure-tools.sh`);
  }
  // Loading soljson takes longer than everything else on a cache hit, so the cache is checked
  // against the installed package's version first; a miss loads and checks the compiler itself.
  const solcPackageVersion = readPackageVersion('solc-eas');
  let result = solcPackageVersion === EXPECTED_SOLC ? cachedResult() : null;
  if (!result) {
    result = compile(loadCompiler());
    writeCache(result);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main();
