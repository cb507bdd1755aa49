#!/usr/bin/env python3
"""EZKL 23 EVM verifier gas / bytecode size for LoopX's bundled ONNX models.

For every model in fixtures/ and every configuration (EZKL visibility settings) this runs the
EZKL Python pipeline gen_settings -> calibrate_settings -> compile_circuit -> gen_srs (local,
insecure dev SRS) -> setup -> gen_witness -> prove -> verify (native) -> create_evm_verifier
(single contract, VK embedded), compiles the generated Halo2Verifier with the project's pinned
solc-js 0.8.19 (optimizer on, runs 1, evmVersion paris: the settings LoopX uses for its own
verifier), deploys it to a fresh local anvil, sends a real verifyProof transaction and records
the receipt's gasUsed (whole transaction: 21,000 intrinsic + calldata + execution), the
deployed runtime code size, and checks that a proof with one flipped byte is rejected.

Each (model, config) EZKL run happens in a child process (a crash or a hang there cannot take
the others down). Results go to benches/ezkl/results.json and a table is printed.

Usage (from the repository root):
    python3 -m venv /tmp/ezkl_venv
    /tmp/ezkl_venv/bin/pip install -r benches/ezkl/requirements.txt
    /tmp/ezkl_venv/bin/python benches/ezkl/measure.py [--workdir /tmp/ezkl_work] [--models ...]
"""

import argparse
import asyncio
import ctypes
import functools
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REPO = os.path.normpath(os.path.join(HERE, "..", ".."))

MODELS = ["sybil_lr", "risk_mlp", "credit_mlp", "sybil_gbt"]

# EZKL visibility configurations measured.
CONFIGS = {
    # Closest to LoopX: features private, Poseidon hash of the inputs public, output public.
    "hashed": {"input_visibility": "hashed", "param_visibility": "fixed", "output_visibility": "public"},
    # EZKL's cheapest: inputs private (no commitment at all), output public.
    "private": {"input_visibility": "private", "param_visibility": "fixed", "output_visibility": "public"},
}

# LoopX's own figures (total transaction gas in revm, same accounting), for the side-by-side
# column only; they are not measured by this script.
LOOPX_REFERENCE_GAS = {"sybil_lr": 342_938, "risk_mlp": 336_342, "credit_mlp": 336_401, "sybil_gbt": 342_961}

EIP170_LIMIT = 24_576
SOLC_SETTINGS = {"optimizer": {"enabled": True, "runs": 1}, "evmVersion": "paris"}
TX_GAS = 16_000_000  # under the EIP-7825 per-transaction cap (2**24) of Osaka-era anvil


# --------------------------------------------------------------------------------------------
# Work around a deadlock in the ezkl 23 Python bindings.
#
# ezkl's Python module routes Rust `log` records to Python through pyo3-log, which takes the GIL
# for every record it has not cached yet. `ezkl.prove` holds the GIL while halo2's rayon workers
# run, and a worker's log call (halo2_proofs::plonk::mv_lookup prover) then waits for the GIL
# forever: `prove` never returns (0 % CPU, threads in futex wait; see vorner/pyo3-log#65). Python's
# logging configuration cannot help (the lookup itself needs the GIL), so this sets the `log`
# crate's global max level (log::MAX_LOG_LEVEL_FILTER, a usize in the extension's .bss) to Off:
# the log macros then return before calling the logger. The symbol's offset is read from the
# extension's ELF symbol table, so no address is hard-coded.
# --------------------------------------------------------------------------------------------
def _elf_symbols(path, needle):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise RuntimeError(f"{path}: not a little-endian ELF64 file")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    hits = []
    for sec in secs:
        if sec[1] != 2:  # SHT_SYMTAB
            continue
        str_off = secs[sec[6]][4]
        off, size, ent = sec[4], sec[5], sec[9]
        for i in range(size // ent):
            st_name, _info, _other, _shndx, st_value, st_size = struct.unpack_from("<IBBHQQ", data, off + i * ent)
            name = data[str_off + st_name:data.index(b"\0", str_off + st_name)]
            if needle in name:
                hits.append((name.decode(), st_value, st_size))
    return hits


def silence_rust_logging():
    import ezkl  # noqa: F401

    so = os.path.realpath(sys.modules["ezkl.ezkl"].__file__)
    hits = [h for h in _elf_symbols(so, b"3log20MAX_LOG_LEVEL_FILTER") if h[2] == 8]
    if len(hits) != 1:
        raise RuntimeError(f"log::MAX_LOG_LEVEL_FILTER not found (exactly once) in {so}: {hits}")
    base = None
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split()
            if len(parts) >= 6 and int(parts[2], 16) == 0 and os.path.realpath(parts[5]) == so:
                base = int(parts[0].split("-")[0], 16)
                break
    if base is None:
        raise RuntimeError(f"{so} not found in /proc/self/maps")
    level = ctypes.c_size_t.from_address(base + hits[0][1])
    if not 0 <= level.value <= 5:
        raise RuntimeError(f"unexpected log level value {level.value}: wrong symbol?")
    level.value = 0  # LevelFilter::Off


# --------------------------------------------------------------------------------------------
# Child process: the EZKL pipeline for one (model, config).
# --------------------------------------------------------------------------------------------
def calibrate_and_mock(ezkl, timed, out, p, model, sample, rows, label):
    """Calibrates EZKL's settings on `rows`, compiles the circuit, witnesses `sample` and runs the
    mock prover; returns whether the mock passed (shared with prove.py)."""
    # EZKL splits one flat input vector into chunks of the model input size: one chunk per
    # calibration sample.
    with open(p("calibration.json"), "w") as f:
        json.dump({"input_data": [[x for r in rows for x in r]]}, f)
    if os.path.exists(p("settings.uncalibrated.json")):  # second attempt: start over
        shutil.copy(p("settings.uncalibrated.json"), p("settings.json"))
    else:
        shutil.copy(p("settings.json"), p("settings.uncalibrated.json"))
    timed("calibrate_settings", ezkl.calibrate_settings, p("calibration.json"), model, p("settings.json"),
          "resources")
    timed("compile_circuit", ezkl.compile_circuit, model, p("model.compiled"), p("settings.json"))
    timed("gen_witness", ezkl.gen_witness, sample, p("model.compiled"), p("witness.json"))
    out["calibration_data"] = label
    out["calibration_samples"] = len(rows)
    try:
        return timed("mock", ezkl.mock, p("witness.json"), p("model.compiled"))
    except Exception as e:  # noqa: BLE001 - the sample input falls outside the calibrated lookup range
        out.setdefault("notes", []).append(f"mock failed after calibrating on {label}: {e}")
        return False


def run_ezkl_job(args):
    silence_rust_logging()
    import ezkl

    job = os.path.abspath(args.job_dir)
    os.makedirs(job, exist_ok=True)
    fixtures = os.path.join(args.repo, "fixtures")
    model = os.path.join(fixtures, f"{args.model}.onnx")
    sample = os.path.join(fixtures, f"{args.model}.input.json")
    calib_rows = json.load(open(os.path.join(fixtures, f"{args.model}.calibration.json")))["input_data"]
    sample_row = json.load(open(sample))["input_data"][0]
    p = lambda name: os.path.join(job, name)  # noqa: E731
    out = {"model": args.model, "config": args.config, **CONFIGS[args.config], "ezkl_version": ezkl.__version__,
           "timings_s": {}}
    step = "start"

    def timed(name, fn, *a, **kw):
        nonlocal step
        step = name
        t0 = time.time()
        r = fn(*a, **kw)
        out["timings_s"][name] = round(time.time() - t0, 2)
        return r

    def save():
        with open(p("job.json"), "w") as f:
            json.dump(out, f, indent=1)

    try:
        ra = ezkl.PyRunArgs()
        for k, v in CONFIGS[args.config].items():
            setattr(ra, k, v)
        timed("gen_settings", ezkl.gen_settings, model, p("settings.json"), py_run_args=ra)

        calibrate = functools.partial(calibrate_and_mock, ezkl, timed, out, p, model, sample)

        if not calibrate(calib_rows, "rows"):
            if not calibrate(calib_rows + [sample_row], "rows+sample_input"):
                raise RuntimeError("mock proof fails even with the sample input in the calibration data")

        settings = json.load(open(p("settings.json")))
        ra_s = settings["run_args"]
        logrows = ra_s["logrows"]
        out.update({
            "logrows": logrows, "input_scale": ra_s["input_scale"], "param_scale": ra_s["param_scale"],
            "lookup_range": ra_s["lookup_range"], "num_rows": settings.get("num_rows"),
            "required_lookups": settings.get("required_lookups"),
            "required_range_checks": settings.get("required_range_checks"),
        })

        os.makedirs(args.srs_dir, exist_ok=True)
        srs = os.path.join(args.srs_dir, f"kzg{logrows}.srs")
        if not os.path.exists(srs):
            timed("gen_srs", ezkl.gen_srs, srs + ".tmp", logrows)
            os.replace(srs + ".tmp", srs)
        timed("setup", ezkl.setup, p("model.compiled"), p("vk.key"), p("pk.key"), srs_path=srs)
        timed("prove", ezkl.prove, p("witness.json"), p("model.compiled"), p("pk.key"), p("proof.json"),
              srs_path=srs)
        if not args.keep_keys:
            os.remove(p("pk.key"))
        out["verified_native"] = bool(timed("verify", ezkl.verify, p("proof.json"), p("settings.json"), p("vk.key"),
                                            srs_path=srs))

        async def create_verifier():
            r = ezkl.create_evm_verifier(p("vk.key"), p("settings.json"), p("Verifier.sol"), p("abi.json"),
                                         srs_path=srs, reusable=False)
            return await r if hasattr(r, "__await__") else r

        step = "create_evm_verifier"
        t0 = time.time()
        try:
            asyncio.run(create_verifier())
        except Exception as e:
            # create_evm_verifier writes Verifier.sol and only then compiles it to get the ABI,
            # through svm, which downloads solc: offline that last step fails. The .sol is
            # complete at that point; it is compiled below with the pinned solc-js instead.
            if "svm" in str(e) and os.path.exists(p("Verifier.sol")):
                out.setdefault("notes", []).append(
                    f"create_evm_verifier wrote Verifier.sol, then its ABI step failed offline: {e}")
            else:
                raise
        out["timings_s"]["create_evm_verifier"] = round(time.time() - t0, 2)

        step = "encode_evm_calldata"
        out["ezkl_calldata_hex"] = bytes(ezkl.encode_evm_calldata(p("proof.json"), p("calldata.bin"))).hex()
        out["ok"] = True
    except BaseException as e:  # noqa: BLE001 (pyo3 panics are BaseException)
        out["ok"] = False
        out["failed_step"] = step
        out["error"] = f"{type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc()
        if step == "gen_settings":
            out["diagnosis"] = diagnose_onnx_ml(ezkl, model, job)
    save()


def diagnose_onnx_ml(ezkl, model_path, job):
    """ezkl's error for a model it cannot load says only '[tract] Translating proto model to
    model'. For a model with ONNX-ML nodes, narrow it down: retry without ZipMap, then with the
    TreeEnsemble* node alone and the batch dimension fixed to 1."""
    import onnx
    from onnx import helper

    m = onnx.load(model_path)
    ml = [n for n in m.graph.node if n.domain == "ai.onnx.ml"]
    if not ml:
        return None
    diag = {"onnx_ml_nodes": [n.op_type for n in ml]}

    def attempt(mm, name):
        path = os.path.join(job, name + ".onnx")
        onnx.save(mm, path)
        try:
            ezkl.gen_settings(path, os.path.join(job, name + ".settings.json"))
            return "gen_settings OK"
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"

    tree = next((n for n in ml if n.op_type.startswith("TreeEnsemble")), None)
    if any(n.op_type == "ZipMap" for n in ml) and tree is not None:
        a = onnx.ModelProto()
        a.CopyFrom(m)
        nodes = [n for n in a.graph.node if n.op_type != "ZipMap"]
        del a.graph.node[:]
        a.graph.node.extend(nodes)
        outs = [o for o in a.graph.output if o.name in {x for n in nodes for x in n.output}]
        del a.graph.output[:]
        a.graph.output.extend(outs)
        a.graph.output.append(helper.make_tensor_value_info(tree.output[-1], onnx.TensorProto.FLOAT, [1, None]))
        diag["without_ZipMap"] = attempt(a, "diag_without_zipmap")
    if tree is not None:
        b = onnx.ModelProto()
        b.CopyFrom(m)
        del b.graph.node[:]
        b.graph.node.append(tree)
        del b.graph.output[:]
        b.graph.output.append(helper.make_tensor_value_info(tree.output[-1], onnx.TensorProto.FLOAT, [1, None]))
        for vi in b.graph.input:
            for d in vi.type.tensor_type.shape.dim:
                if d.dim_param:
                    d.Clear()
                    d.dim_value = 1
        diag[f"{tree.op_type}_alone_batch_1"] = attempt(b, "diag_tree_alone")
    return diag


# --------------------------------------------------------------------------------------------
# Parent: solc-js, anvil, JSON-RPC.
# --------------------------------------------------------------------------------------------
SOLC_JS = r"""
const solc = require('solc'); const fs = require('fs');
const [src, out, settings] = process.argv.slice(1);  // node -e: argv[0] is node
const input = {language: 'Solidity', sources: {'Verifier.sol': {content: fs.readFileSync(src, 'utf8')}},
  settings: Object.assign(JSON.parse(settings), {outputSelection: {'*': {'*':
    ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.methodIdentifiers']}}})};
const res = JSON.parse(solc.compile(JSON.stringify(input)));
res.solcVersion = solc.version();
fs.writeFileSync(out, JSON.stringify(res));
"""


def solc_compile(node_modules, sol_path, out_path):
    env = dict(os.environ, NODE_PATH=node_modules)
    subprocess.run(["node", "-e", SOLC_JS, sol_path, out_path, json.dumps(SOLC_SETTINGS)], env=env, check=True)
    res = json.load(open(out_path))
    errors = [e for e in res.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("solc: " + "; ".join(e["formattedMessage"] for e in errors))
    c = res["contracts"]["Verifier.sol"]["Halo2Verifier"]
    return {
        "solc_version": res["solcVersion"],
        "initcode": bytes.fromhex(c["evm"]["bytecode"]["object"]),
        "runtime": bytes.fromhex(c["evm"]["deployedBytecode"]["object"]),
        "selector": bytes.fromhex(c["evm"]["methodIdentifiers"]["verifyProof(bytes,uint256[])"]),
    }


class Anvil:
    def __init__(self, binary, log_path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")
        # Same flags as LoopX's own anvil harness, plus no EIP-170 limit so that an oversized
        # verifier can still be measured (the size is reported separately).
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(self.port), "--chain-id", "31337",
             "--disable-code-size-limit"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._id = 0
        deadline = time.time() + 60
        while True:
            try:
                self.rpc("eth_chainId")
                break
            except Exception:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"anvil did not start; see {log_path}")
                time.sleep(0.3)
        self.account = self.rpc("eth_accounts")[0]

    def rpc(self, method, *params):
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            resp = json.load(r)
        if "error" in resp:
            raise RpcError(resp["error"])
        return resp["result"]

    def send(self, to, data):
        tx = {"from": self.account, "data": "0x" + data.hex(), "gas": hex(TX_GAS)}
        if to:
            tx["to"] = to
        h = self.rpc("eth_sendTransaction", tx)
        for _ in range(200):
            rec = self.rpc("eth_getTransactionReceipt", h)
            if rec:
                return rec
            time.sleep(0.05)
        raise RuntimeError(f"no receipt for {h}")

    def call(self, to, data):
        return self.rpc("eth_call", {"from": self.account, "to": to, "data": "0x" + data.hex(), "gas": hex(TX_GAS)},
                        "latest")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the npm wrapper and the binary: our own group
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


class RpcError(Exception):
    pass


def abi_encode_verify(selector, proof, instances):
    u = lambda n: n.to_bytes(32, "big")  # noqa: E731
    padded = proof + b"\0" * (-len(proof) % 32)
    head = u(0x40) + u(0x40 + 32 + len(padded))
    return selector + head + u(len(proof)) + padded + u(len(instances)) + b"".join(u(x) for x in instances)


def evm_measure(anvil, comp, proof_json, ezkl_calldata_hex):
    proof = bytes.fromhex(proof_json["hex_proof"].removeprefix("0x"))
    # proof.json stores field elements as little-endian hex
    instances = [int.from_bytes(bytes.fromhex(x), "little") for row in proof_json["instances"] for x in row]
    calldata = abi_encode_verify(comp["selector"], proof, instances)  # minimal standard ABI encoding
    ezkl_calldata = bytes.fromhex(ezkl_calldata_hex)  # what ezkl.encode_evm_calldata produces
    extra = ezkl_calldata[len(calldata):]
    if ezkl_calldata == calldata:
        relation = "identical"
    elif ezkl_calldata[:len(calldata)] == calldata and not extra.strip(b"\0"):
        relation = f"standard ABI encoding + {len(extra)} trailing zero bytes"
    else:
        relation = "different"
    r = {"proof_bytes": len(proof), "num_instances": len(instances), "calldata_bytes": len(ezkl_calldata),
         "calldata_bytes_standard_abi": len(calldata), "ezkl_calldata_vs_standard_abi": relation,
         "initcode_bytes": len(comp["initcode"])}

    dep = anvil.send(None, comp["initcode"])
    if int(dep["status"], 16) != 1:
        raise RuntimeError(f"deployment failed: {dep}")
    addr = dep["contractAddress"]
    r["deploy_gas"] = int(dep["gasUsed"], 16)
    code = bytes.fromhex(anvil.rpc("eth_getCode", addr, "latest")[2:])
    r["runtime_bytecode_bytes"] = len(code)
    r["runtime_matches_solc"] = code == comp["runtime"]
    r["exceeds_eip170"] = len(code) > EIP170_LIMIT

    def verify_tx(data):
        ret = anvil.call(addr, data)
        returned_true = int(ret, 16) == 1 if ret not in ("0x", "") else False
        rec = anvil.send(addr, data)
        return returned_true, int(rec["status"], 16), int(rec["gasUsed"], 16)

    # Headline figure: EZKL's own calldata (encode_evm_calldata), as an EZKL user would send it.
    true_ezkl, status_ezkl, r["gas_used"] = verify_tx(ezkl_calldata)
    true_std, status_std, r["gas_used_standard_abi"] = verify_tx(calldata)
    r["eth_call_returned_true"] = true_ezkl and true_std
    r["tx_status"] = [status_ezkl, status_std]
    r["verified_evm"] = r["eth_call_returned_true"] and status_ezkl == 1 and status_std == 1

    bad = bytearray(proof)
    pos = len(bad) // 2
    bad[pos] ^= 0x01
    bad_calldata = abi_encode_verify(comp["selector"], bytes(bad), instances)
    try:
        bad_ret = anvil.call(addr, bad_calldata)
        call_rejected = bad_ret in ("0x", "") or int(bad_ret, 16) != 1
        r["tampered_eth_call"] = bad_ret if len(bad_ret) < 80 else bad_ret[:80] + "..."
    except RpcError as e:
        call_rejected = True
        r["tampered_eth_call"] = f"reverted: {e.args[0].get('message', e.args[0])}"
    bad_rec = anvil.send(addr, bad_calldata)
    r["tampered_byte_offset"] = pos
    r["tampered_tx_status"] = int(bad_rec["status"], 16)
    r["tampered_rejected"] = call_rejected and r["tampered_tx_status"] == 0
    return r


def fmt(n):
    return f"{n:,}" if isinstance(n, int) else ("-" if n is None else str(n))


def print_table(results):
    head = ["model", "config", "logrows", "instances", "proof B", "runtime B", "EZKL tx gas", "verified", "tamper rej.",
            "LoopX tx gas"]
    rows = []
    for r in results:
        if r.get("ok"):
            rows.append([r["model"], r["config"], fmt(r["logrows"]), fmt(r["num_instances"]), fmt(r["proof_bytes"]),
                         fmt(r["runtime_bytecode_bytes"]), fmt(r["gas_used"]),
                         f"{r['verified_native']}/{r['verified_evm']}", str(r["tampered_rejected"]),
                         fmt(LOOPX_REFERENCE_GAS.get(r["model"]))])
        else:
            rows.append([r["model"], r["config"], "-", "-", "-", "-", f"FAILED at {r.get('failed_step')}", "-", "-",
                         fmt(LOOPX_REFERENCE_GAS.get(r["model"]))])
    w = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    line = lambda cells: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(cells)) + " |"  # noqa: E731
    print(line(head))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for row in rows:
        print(line(row))
    for r in results:
        if not r.get("ok"):
            print(f"\n{r['model']}/{r['config']} failed at {r.get('failed_step')}: {r.get('error')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", default=DEFAULT_REPO, help="repository root (default: two levels above this script)")
    ap.add_argument("--workdir", default="/tmp/ezkl_work", help="scratch directory (keys, proofs, SRS)")
    ap.add_argument("--models", nargs="+", default=MODELS)
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--out", default=None, help="results file (default: benches/ezkl/results.json)")
    ap.add_argument("--anvil", default=None, help="anvil binary (default: verifier-contract/node_modules/.bin/anvil)")
    ap.add_argument("--node-modules", default=None, help="node_modules with solc 0.8.19 "
                    "(default: verifier-contract/node_modules)")
    ap.add_argument("--threads", type=int, default=2, help="RAYON_NUM_THREADS for EZKL (default 2)")
    ap.add_argument("--job-timeout", type=int, default=3600, help="seconds per (model, config) EZKL run")
    ap.add_argument("--keep-keys", action="store_true", help="keep proving keys (large: GBs)")
    ap.add_argument("--reuse", action="store_true", help="reuse finished EZKL runs found in --workdir")
    # internal: one EZKL run in a child process
    ap.add_argument("--job", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--job-dir", help=argparse.SUPPRESS)
    ap.add_argument("--srs-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.repo = os.path.abspath(args.repo)

    if args.job:
        return run_ezkl_job(args)

    import ezkl

    out_path = args.out or os.path.join(args.repo, "benches", "ezkl", "results.json")
    anvil_bin = args.anvil or os.path.join(args.repo, "verifier-contract", "node_modules", ".bin", "anvil")
    node_modules = args.node_modules or os.path.join(args.repo, "verifier-contract", "node_modules")
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    srs_dir = os.path.join(workdir, "srs")

    jobs = []
    for model in args.models:
        for config in args.configs:
            job_dir = os.path.join(workdir, f"{model}.{config}")
            job_json = os.path.join(job_dir, "job.json")
            if not (args.reuse and os.path.exists(job_json) and json.load(open(job_json)).get("ok")):
                shutil.rmtree(job_dir, ignore_errors=True)
                os.makedirs(job_dir)
                print(f"== EZKL {model} / {config}", flush=True)
                env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
                cmd = [sys.executable, os.path.abspath(__file__), "--job", "--repo", args.repo, "--model", model,
                       "--config", config, "--job-dir", job_dir, "--srs-dir", srs_dir]
                if args.keep_keys:
                    cmd.append("--keep-keys")
                with open(os.path.join(job_dir, "ezkl.log"), "w") as log:
                    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            preexec_fn=lambda: os.nice(10))
                    try:
                        rc = proc.wait(args.job_timeout)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        rc = proc.wait()
                        print(f"   timed out after {args.job_timeout} s", flush=True)
                if not os.path.exists(job_json):
                    with open(job_json, "w") as f:
                        json.dump({"model": model, "config": config, **CONFIGS[config], "ok": False,
                                   "failed_step": "child process",
                                   "error": f"EZKL child exited with {rc} without a result; "
                                            f"see {job_dir}/ezkl.log"}, f)
            jobs.append((model, config, job_dir, json.load(open(job_json))))
            j = jobs[-1][3]
            print(f"   {model}/{config}: " + ("ok, logrows %s, %s" % (j.get("logrows"), j.get("timings_s")) if j.get("ok")
                                             else f"FAILED at {j.get('failed_step')}: {j.get('error')}"), flush=True)

    anvil_version = subprocess.run([anvil_bin, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    results = []
    anvil = None
    try:
        for model, config, job_dir, j in jobs:
            r = {k: v for k, v in j.items() if k not in ("traceback", "ezkl_calldata_hex")}
            if j.get("ok"):
                try:
                    comp = solc_compile(node_modules, os.path.join(job_dir, "Verifier.sol"),
                                        os.path.join(job_dir, "solc_output.json"))
                    r["solc_version"] = comp["solc_version"]
                    r["solc_settings"] = SOLC_SETTINGS
                    r["verifier_contract"] = "Halo2Verifier (single contract, VK embedded; create_evm_verifier "\
                                             "reusable=False)"
                    if anvil is None:
                        anvil = Anvil(anvil_bin, os.path.join(workdir, "anvil.log"))
                        node_info = anvil.rpc("anvil_nodeInfo")
                    r.update(evm_measure(anvil, comp, json.load(open(os.path.join(job_dir, "proof.json"))),
                                         j["ezkl_calldata_hex"]))
                    r["anvil_version"] = anvil_version
                    r["anvil_hardfork"] = node_info.get("hardFork") or node_info.get("hard_fork")
                    r["ok"] = bool(r["verified_native"] and r["verified_evm"] and r["tampered_rejected"])
                    if not r["ok"]:
                        r["failed_step"] = "evm checks"
                        r["error"] = "verification or tamper check did not come out as expected"
                except Exception as e:  # noqa: BLE001
                    r["ok"] = False
                    r["failed_step"] = "evm"
                    r["error"] = f"{type(e).__name__}: {e}"
            r["loopx_reference_tx_gas"] = LOOPX_REFERENCE_GAS.get(model)
            results.append(r)
    finally:
        if anvil is not None:
            anvil.stop()

    doc = {
        "what": "EZKL EVM verifier: total verifyProof transaction gas (receipt gasUsed on anvil, incl. 21000 "
                "intrinsic and calldata), deployed runtime size, for LoopX's bundled models",
        "ezkl_version": ezkl.__version__,
        "python": sys.version.split()[0],
        "anvil_version": anvil_version,
        "solc_settings": SOLC_SETTINGS,
        "srs": "local insecure dev SRS from ezkl.gen_srs (fine for gas; not for production)",
        "loopx_reference_tx_gas": LOOPX_REFERENCE_GAS,
        "results": results,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print()
    print_table(results)
    print(f"\nwrote {out_path}")


if __name__ == "__main__":
    sys.exit(main())
