#!/usr/bin/env node
// Compiles Solidity through the pinned solc-js: standard-JSON input on stdin,
// standard-JSON output on stdout. The compiler version is checked against the
// pin so that a drifted node_modules can never produce a different verifier.
'use strict';

const EXPECTED_VERSION = '0.8.19';

let solc;
try {
  solc = require('solc');
} catch (err) {
  process.stderr.write(`solc-compile: cannot load the solc package (${err.message}); run scripts/ensure-tools.sh\n`);
  process.exit(2);
}

const version = solc.version();
if (!version.startsWith(EXPECTED_VERSION + '+')) {
  process.stderr.write(`solc-compile: solc-js is ${version}, expected ${EXPECTED_VERSION}\n`);
  process.exit(2);
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  const output = solc.compile(input);
  process.stdout.write(output);
});
