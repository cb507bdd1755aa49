#!/usr/bin/env python3
"""Proving time and peak memory, EZKL 23.0.5 vs LoopX, on the same ONNX models and input.

The script writes three models with fixed seeds into a work directory. Each model gets 32
calibration rows and one input row, in EZKL's layout (`{"input_data": [[...]]}`). Both tools
read the same files.

* `mlp_32_64_32_4`: float32 MLP 32->64->32->4, ReLU hidden, Gemm(transB=1)+Relu, 4 logits out
  (no softmax), opset 17, input `input` [batch, 32]. Weights N(0,1)/sqrt(fan_in), biases
  0.1*N(0,1), rows N(0,1). numpy default_rng(1).
* `mlp_64_256_256_8`: the same construction, 64->256->256->8, default_rng(2).
* `forest_60x8`: sklearn RandomForestClassifier(n_estimators=60, max_depth=8, random_state=0)
  on make_classification(2000 rows, 16 features, 8 of them informative (the default 2 is too
  few for 3 classes x 2 clusters), 3 classes, random_state=0), exported with
  skl2onnx to_onnx(est, X[:1].astype(np.float32), options={id(est): {"zipmap": False}}).
  Calibration rows are X[:32], the input row is X[32]. This needs scikit-learn and skl2onnx:
  pass `--gen-python` for a Python that has them.

LoopX, for each of `--optimize gas|balanced|speed`: `loopx --json compile MODEL --calibration
CAL -o PKG --optimize X`, `loopx setup PKG --dev-srs`, then `loopx prove PKG --input IN --wallet
0x...aa -o proof_N.json` `--reps` times, each under `/usr/bin/time -f "%e %M"`, then `loopx verify
PKG proof_N.json` for every proof (exit code 0 required). The reported time is the median wall
time of the whole `loopx prove` process. Its own `prove_seconds` is kept in the JSON too.

EZKL, default visibility (input private, params fixed, output public, as measure.py's
`private` config), in child processes: gen_settings -> calibrate_settings on the 32 rows
(target "resources") -> compile_circuit -> gen_witness -> mock -> gen_srs (local, insecure dev
SRS; nothing is downloaded) -> setup. Then `--reps` prove children, each running only
`ezkl.prove` under `/usr/bin/time -f "%e %M"`. The prove call alone is timed inside the child;
the child's whole wall time and peak RSS come from /usr/bin/time. Finally, one child verifies
every proof natively. measure.py's `silence_rust_logging()` runs in every child before ezkl
proves, to avoid the ezkl 23 pyo3-log deadlock in `ezkl.prove`.

RAYON_NUM_THREADS is set to `--threads` (default 2) for both tools. The steps run one at a time,
and the proves in rounds: each round proves once with every LoopX layout, then once with EZKL,
so both tools meet the same machine (a shared VM's speed drifts by ±20 % within minutes).

Usage (from the repository root):
    python3 -m venv /tmp/ezkl_venv
    /tmp/ezkl_venv/bin/pip install -r benches/ezkl/requirements.txt
    /tmp/ezkl_venv/bin/python benches/ezkl/prove.py --gen-python /tmp/fxvenv/bin/python
"""

import argparse
import functools
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from measure import calibrate_and_mock, diagnose_onnx_ml, silence_rust_logging  # noqa: E402

MODELS = {
    "mlp_32_64_32_4": {"kind": "mlp", "dims": [32, 64, 32, 4], "seed": 1},
    "mlp_64_256_256_8": {"kind": "mlp", "dims": [64, 256, 256, 8], "seed": 2},
    "forest_60x8": {"kind": "forest", "n_estimators": 60, "max_depth": 8, "n_features": 16, "n_informative": 8, "n_classes": 3,
                    "n_samples": 2000, "random_state": 0},
}
OPTIMIZE = ["gas", "balanced", "speed"]
N_CAL = 32
WALLET = "0x00000000000000000000000000000000000000aa"
EZKL_RUN_ARGS = {"input_visibility": "private", "param_visibility": "fixed", "output_visibility": "public"}


# --------------------------------------------------------------------------------------------
# Model generation (child process, run with --gen-python).
# --------------------------------------------------------------------------------------------
def gen_model(name, out_dir):
    import numpy as np
    import onnx

    spec = MODELS[name]
    info = {"model": name, **spec, "onnx_version": onnx.__version__, "numpy_version": np.__version__}
    if spec["kind"] == "mlp":
        from onnx import TensorProto, helper, numpy_helper

        rng = np.random.default_rng(spec["seed"])
        dims = spec["dims"]
        nodes, inits, prev = [], [], "input"
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:])):
            w = (rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in)).astype(np.float32)
            b = (0.1 * rng.standard_normal(fan_out)).astype(np.float32)
            inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"B{i}")]
            last = i == len(dims) - 2
            out = "output" if last else f"gemm{i}"
            nodes.append(helper.make_node("Gemm", [prev, f"W{i}", f"B{i}"], [out], transB=1, name=f"Gemm{i}"))
            if not last:
                nodes.append(helper.make_node("Relu", [out], [f"relu{i}"], name=f"Relu{i}"))
                prev = f"relu{i}"
        graph = helper.make_graph(
            nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", dims[0]])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", dims[-1]])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                                  producer_name="loopx-benches-ezkl-prove")
        onnx.checker.check_model(model)
        x = rng.standard_normal((N_CAL + 1, dims[0])).astype(np.float32)
        info["parameters"] = int(sum(a * b + b for a, b in zip(dims[:-1], dims[1:])))
    else:
        import skl2onnx
        import sklearn
        from skl2onnx import to_onnx
        from sklearn.datasets import make_classification
        from sklearn.ensemble import RandomForestClassifier

        X, y = make_classification(n_samples=spec["n_samples"], n_features=spec["n_features"],
                                   n_informative=spec["n_informative"], n_classes=spec["n_classes"], random_state=spec["random_state"])
        est = RandomForestClassifier(n_estimators=spec["n_estimators"], max_depth=spec["max_depth"],
                                     random_state=0).fit(X, y)
        model = to_onnx(est, X[:1].astype(np.float32), options={id(est): {"zipmap": False}})
        x = X[:N_CAL + 1].astype(np.float32)
        info.update({"sklearn_version": sklearn.__version__, "skl2onnx_version": skl2onnx.__version__,
                     "train_accuracy": float(est.score(X, y)),
                     "tree_nodes": int(sum(t.tree_.node_count for t in est.estimators_)),
                     "onnx_nodes": [f"{n.domain or 'ai.onnx'}:{n.op_type}" for n in model.graph.node],
                     "opsets": {o.domain or "ai.onnx": o.version for o in model.opset_import}})
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, f"{name}.onnx"))
    # float32 values written as Python floats: exact, and both tools read the same numbers.
    with open(os.path.join(out_dir, f"{name}.calibration.json"), "w") as f:
        json.dump({"input_data": [[float(v) for v in x[:N_CAL].ravel()]]}, f)
    with open(os.path.join(out_dir, f"{name}.input.json"), "w") as f:
        json.dump({"input_data": [[float(v) for v in x[N_CAL]]]}, f)
    with open(os.path.join(out_dir, f"{name}.gen.json"), "w") as f:
        json.dump(info, f, indent=1)


# --------------------------------------------------------------------------------------------
# EZKL children.
# --------------------------------------------------------------------------------------------
def ezkl_prepare(args):
    """gen_settings -> calibrate -> compile -> witness -> mock -> gen_srs -> setup; prep.json."""
    silence_rust_logging()
    import ezkl

    job = args.job_dir
    p = lambda n: os.path.join(job, n)  # noqa: E731
    model, sample = args.model_path, args.input
    calib_rows_flat = json.load(open(args.cal))["input_data"][0]
    sample_row = json.load(open(sample))["input_data"][0]
    width = len(sample_row)
    calib_rows = [calib_rows_flat[i:i + width] for i in range(0, len(calib_rows_flat), width)]
    out = {"ezkl_version": ezkl.__version__, **EZKL_RUN_ARGS, "timings_s": {}}
    step = "start"

    def timed(name, fn, *a, **kw):
        nonlocal step
        step = name
        t0 = time.time()
        r = fn(*a, **kw)
        out["timings_s"][name] = round(time.time() - t0, 3)
        return r

    try:
        ra = ezkl.PyRunArgs()
        for k, v in EZKL_RUN_ARGS.items():
            setattr(ra, k, v)
        # A symbolic batch dimension must be named in run_args.variables (default only
        # [("batch_size", 1)]); otherwise gen_settings fails with "Undetermined symbol in
        # expression". Every dim_param of the graph inputs is fixed to 1.
        import onnx

        syms = sorted({d.dim_param for i in onnx.load(model).graph.input for d in i.type.tensor_type.shape.dim
                       if d.dim_param})
        ra.variables = sorted(set(ra.variables) | {(s, 1) for s in syms})
        out["variables"] = [list(v) for v in ra.variables]
        timed("gen_settings", ezkl.gen_settings, model, p("settings.json"), py_run_args=ra)

        calibrate = functools.partial(calibrate_and_mock, ezkl, timed, out, p, model, sample)

        if not calibrate(calib_rows, "rows"):
            if not calibrate(calib_rows + [sample_row], "rows+sample_input"):
                raise RuntimeError("mock proof fails even with the sample input in the calibration data")

        settings = json.load(open(p("settings.json")))
        ra_s = settings["run_args"]
        logrows = ra_s["logrows"]
        out.update({"logrows": logrows, "input_scale": ra_s["input_scale"], "param_scale": ra_s["param_scale"],
                    "lookup_range": ra_s.get("lookup_range"), "num_rows": settings.get("num_rows"),
                    "total_assignments": settings.get("total_assignments"),
                    "required_lookups": settings.get("required_lookups"),
                    "required_range_checks": settings.get("required_range_checks")})
        os.makedirs(args.srs_dir, exist_ok=True)
        srs = os.path.join(args.srs_dir, f"kzg{logrows}.srs")
        if not os.path.exists(srs):
            timed("gen_srs", ezkl.gen_srs, srs + ".tmp", logrows)
            os.replace(srs + ".tmp", srs)
        out["srs_path"] = srs
        timed("setup", ezkl.setup, p("model.compiled"), p("vk.key"), p("pk.key"), srs_path=srs)
        out["pk_bytes"] = os.path.getsize(p("pk.key"))
        out["vk_bytes"] = os.path.getsize(p("vk.key"))
        out["ok"] = True
    except BaseException as e:  # noqa: BLE001 (pyo3 panics are BaseException)
        out["ok"] = False
        out["failed_step"] = step
        out["error"] = f"{type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc()
        if step == "gen_settings":
            try:
                out["diagnosis"] = diagnose_onnx_ml(ezkl, model, job)
            except BaseException as d:  # noqa: BLE001
                out["diagnosis"] = f"diagnosis failed: {type(d).__name__}: {d}"
    with open(p("prep.json"), "w") as f:
        json.dump(out, f, indent=1)


def ezkl_prove(args):
    """One ezkl.prove call; the call alone is timed."""
    silence_rust_logging()
    import ezkl

    job = args.job_dir
    p = lambda n: os.path.join(job, n)  # noqa: E731
    prep = json.load(open(p("prep.json")))
    out = {"rep": args.rep}
    t0 = time.time()
    try:
        ezkl.prove(p("witness.json"), p("model.compiled"), p("pk.key"), p(f"proof_{args.rep}.json"),
                   srs_path=prep["srs_path"])
        out["prove_call_s"] = round(time.time() - t0, 3)
        out["ok"] = True
    except BaseException as e:  # noqa: BLE001
        out["ok"] = False
        out["error"] = f"{type(e).__name__}: {e}"
    with open(p(f"prove_{args.rep}.json"), "w") as f:
        json.dump(out, f)


def ezkl_verify(args):
    silence_rust_logging()
    import ezkl

    job = args.job_dir
    p = lambda n: os.path.join(job, n)  # noqa: E731
    prep = json.load(open(p("prep.json")))
    out = {}
    for rep in args.reps_list:
        path = p(f"proof_{rep}.json")
        if not os.path.exists(path):
            continue
        t0 = time.time()
        try:
            out[str(rep)] = {"verified": bool(ezkl.verify(path, p("settings.json"), p("vk.key"),
                                                          srs_path=prep["srs_path"])),
                             "verify_call_s": round(time.time() - t0, 3)}
        except BaseException as e:  # noqa: BLE001
            out[str(rep)] = {"verified": False, "error": f"{type(e).__name__}: {e}"}
    with open(p("verify.json"), "w") as f:
        json.dump(out, f, indent=1)


# --------------------------------------------------------------------------------------------
# Parent.
# --------------------------------------------------------------------------------------------
class Runner:
    """Runs commands one at a time under /usr/bin/time, with a per-step timeout and an overall
    deadline (steps not started before the deadline are skipped)."""

    def __init__(self, threads, deadline):
        self.env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        self.deadline = deadline

    def left(self):
        return None if self.deadline is None else self.deadline - time.time()

    def run(self, cmd, log_path, timeout, stdout_path=None):
        left = self.left()
        if left is not None and left <= 5:
            return {"ok": False, "skipped": "overall time budget (--budget-min) spent"}
        if left is not None:
            timeout = min(timeout, left)
        tfile = log_path + ".time"
        load_before = open("/proc/loadavg").read().split()[:3]
        full = ["/usr/bin/time", "-f", "%e %M", "-o", tfile] + cmd
        with open(log_path, "w") as log, open(stdout_path or log_path + ".stdout", "w") as so:
            proc = subprocess.Popen(full, env=self.env, stdout=so, stderr=log, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            timed_out = False
            try:
                rc = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)  # our own process group only
                rc = proc.wait()
        r = {"rc": rc, "ok": rc == 0 and not timed_out, "loadavg_before": load_before}
        if timed_out:
            r["timed_out_after_s"] = round(timeout, 1)
        try:
            # /usr/bin/time writes "Command exited with non-zero status N" first when rc != 0
            wall, peak = open(tfile).read().strip().splitlines()[-1].split()
            r["wall_s"] = float(wall)
            r["peak_kb"] = int(peak)
        except (OSError, ValueError, IndexError):
            pass
        if not r["ok"]:
            r["stderr_tail"] = open(log_path, errors="replace").read()[-3000:]
        return r


def median(xs):
    return round(statistics.median(xs), 3) if xs else None


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def loopx_prepare(runner, loopx, name, models_dir, wdir, optimize, timeout):
    """Compiles and sets up one package; the proves run later, interleaved with EZKL's."""
    onnx_path = os.path.join(models_dir, f"{name}.onnx")
    cal = os.path.join(models_dir, f"{name}.calibration.json")
    d = os.path.join(wdir, "loopx", f"{name}.{optimize}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    pkg = os.path.join(d, "pkg")
    L = lambda n: os.path.join(d, n)  # noqa: E731
    res = {"optimize": optimize, "ok": False, "proves": []}

    c = runner.run([loopx, "--json", "compile", onnx_path, "--calibration", cal, "-o", pkg, "--optimize", optimize],
                   L("compile.log"), timeout, L("compile.json"))
    res["compile"] = c
    cj = read_json(L("compile.json"))
    if not c["ok"] or cj is None:
        res["failed_step"] = "compile"
        return res
    res["k"] = cj.get("circuit", {}).get("shape", {}).get("k")
    res["circuit"] = cj.get("circuit")
    res["predicted"] = cj.get("predicted")
    res["output"] = cj.get("output")
    res["argmax_agreement"] = cj.get("argmax_agreement")
    res["max_abs_error"] = cj.get("max_abs_error")
    res["trees"] = cj.get("trees")

    s = runner.run([loopx, "--json", "setup", pkg, "--dev-srs"], L("setup.log"), timeout, L("setup.json"))
    res["setup"] = s
    sj = read_json(L("setup.json")) or {}
    res["setup_seconds_reported"] = sj.get("setup_seconds")
    if not s["ok"]:
        res["failed_step"] = "setup"
        return res
    res["pk_bytes"] = os.path.getsize(os.path.join(pkg, "pk.bin")) if os.path.exists(os.path.join(pkg, "pk.bin")) \
        else None
    return res


def loopx_prove_once(runner, loopx, name, models_dir, wdir, res, i, timeout):
    """The `i`-th `loopx prove` of a prepared package (nothing once a step failed)."""
    if "failed_step" in res:
        return
    d = os.path.join(wdir, "loopx", f"{name}.{res['optimize']}")
    L = lambda n: os.path.join(d, n)  # noqa: E731
    inp = os.path.join(models_dir, f"{name}.input.json")
    r = runner.run([loopx, "--json", "prove", os.path.join(d, "pkg"), "--input", inp, "--wallet", WALLET, "-o",
                    L(f"proof_{i}.json")], L(f"prove_{i}.log"), timeout, L(f"prove_{i}.json"))
    pj = read_json(L(f"prove_{i}.json")) or {}
    r["prove_seconds_reported"] = pj.get("prove_seconds")
    r["outputs"] = pj.get("outputs")
    res["proves"].append(r)
    print(f"   loopx {name}/{res['optimize']} prove {i}: " + (f"{r['wall_s']} s, {r['peak_kb'] // 1024} MB"
                                                             if r["ok"] else f"FAILED {r}"), flush=True)
    if not r["ok"]:
        res["failed_step"] = f"prove {i}"


def loopx_finish(runner, loopx, name, wdir, res, reps, timeout):
    """Medians over the proves, then `loopx verify` on every proof."""
    d = os.path.join(wdir, "loopx", f"{name}.{res['optimize']}")
    L = lambda n: os.path.join(d, n)  # noqa: E731
    good = [r for r in res["proves"] if r["ok"]]
    res["prove_wall_s"] = [r["wall_s"] for r in good]
    res["prove_median_s"] = median(res["prove_wall_s"])
    res["prove_reported_median_s"] = median([r["prove_seconds_reported"] for r in good
                                            if r["prove_seconds_reported"] is not None])
    res["prove_peak_mb"] = round(max(r["peak_kb"] for r in good) / 1024, 1) if good else None

    res["verify"] = []
    for i in range(1, len(good) + 1):
        v = runner.run([loopx, "--json", "verify", os.path.join(d, "pkg"), L(f"proof_{i}.json")],
                       L(f"verify_{i}.log"), timeout, L(f"verify_{i}.json"))
        vj = read_json(L(f"verify_{i}.json")) or {}
        v["valid"] = vj.get("valid")
        res["verify"].append(v)
    res["verified"] = bool(res["verify"]) and all(v["ok"] and v.get("valid") is True for v in res["verify"])
    res["ok"] = "failed_step" not in res and len(good) == reps and res["verified"]
    if not res["verified"] and "failed_step" not in res:
        res["failed_step"] = "verify"
    print(f"   loopx {name}/{res['optimize']}: k {res.get('k')}, median {res.get('prove_median_s')} s, "
          f"peak {res.get('prove_peak_mb')} MB, ok {res['ok']}"
          + ("" if res["ok"] else f", failed at {res.get('failed_step')}"), flush=True)


def ezkl_prepare_job(runner, name, models_dir, wdir, setup_timeout):
    """EZKL's settings, calibration, circuit, SRS and keys for one model (one child process)."""
    me = os.path.abspath(__file__)
    job = os.path.join(wdir, "ezkl", name)
    shutil.rmtree(job, ignore_errors=True)
    os.makedirs(job)
    J = lambda n: os.path.join(job, n)  # noqa: E731
    srs_dir = os.path.join(wdir, "ezkl", "srs")
    res = {"ok": False, **EZKL_RUN_ARGS, "proves": []}

    prep_run = runner.run([sys.executable, me, "--child", "ezkl-prepare", "--job-dir", job, "--srs-dir", srs_dir,
                           "--model-path", os.path.join(models_dir, f"{name}.onnx"),
                           "--cal", os.path.join(models_dir, f"{name}.calibration.json"),
                           "--input", os.path.join(models_dir, f"{name}.input.json")],
                          J("prepare.log"), setup_timeout)
    prep = read_json(J("prep.json"))
    res["prepare_process"] = prep_run
    if prep is None:
        res["failed_step"] = "prepare (child process)"
        res["error"] = prep_run.get("skipped") or f"child exited with {prep_run.get('rc')} without a result " \
            f"(timed out: {'timed_out_after_s' in prep_run}); see {J('prepare.log')}"
        return res
    res.update({k: v for k, v in prep.items() if k != "traceback"})
    res["k"] = prep.get("logrows")
    if not prep.get("ok"):
        res.setdefault("failed_step", "prepare")
        return res
    print(f"   ezkl {name}: logrows {res['k']}, {prep['timings_s']}", flush=True)
    return res


def ezkl_prove_once(runner, name, wdir, res, i, prove_timeout):
    """The `i`-th `ezkl.prove` child (nothing once a step failed)."""
    if "failed_step" in res:
        return
    me = os.path.abspath(__file__)
    job = os.path.join(wdir, "ezkl", name)
    J = lambda n: os.path.join(job, n)  # noqa: E731
    r = runner.run([sys.executable, me, "--child", "ezkl-prove", "--job-dir", job, "--rep", str(i)],
                   J(f"prove_{i}.log"), prove_timeout)
    pj = read_json(J(f"prove_{i}.json")) or {}
    r["prove_call_s"] = pj.get("prove_call_s")
    if pj.get("error"):
        r["error"] = pj["error"]
    r["ok"] = r["ok"] and pj.get("ok") is True
    res["proves"].append(r)
    print(f"   ezkl {name} prove {i}: " + (f"call {r['prove_call_s']} s, process {r['wall_s']} s, "
                                          f"{r['peak_kb'] // 1024} MB" if r["ok"] else f"FAILED {r}"), flush=True)
    if not r["ok"]:
        res["failed_step"] = f"prove {i}"


def ezkl_finish(runner, name, wdir, res, reps, prove_timeout):
    """Medians over the proves, then one child verifying every proof."""
    me = os.path.abspath(__file__)
    job = os.path.join(wdir, "ezkl", name)
    J = lambda n: os.path.join(job, n)  # noqa: E731
    good = [r for r in res["proves"] if r["ok"]]
    res["prove_call_s"] = [r["prove_call_s"] for r in good]
    res["prove_process_wall_s"] = [r["wall_s"] for r in good]
    res["prove_median_s"] = median(res["prove_call_s"])
    res["prove_process_median_s"] = median(res["prove_process_wall_s"])
    res["prove_peak_mb"] = round(max(r["peak_kb"] for r in good) / 1024, 1) if good else None
    if good:
        v = runner.run([sys.executable, me, "--child", "ezkl-verify", "--job-dir", job, "--reps-list",
                        *[str(i) for i in range(1, len(good) + 1)]],
                       J("verify.log"), prove_timeout)
        res["verify_process"] = v
        res["verify"] = read_json(J("verify.json"))
        res["verified"] = bool(res["verify"]) and all(x.get("verified") for x in res["verify"].values())
    else:
        res["verified"] = False
    res["ok"] = "failed_step" not in res and len(good) == reps and res["verified"]
    if not res["verified"] and "failed_step" not in res:
        res["failed_step"] = "verify"
    print(f"   ezkl {name}: k {res.get('k')}, median {res.get('prove_median_s')} s, peak "
          f"{res.get('prove_peak_mb')} MB, ok {res['ok']}"
          + ("" if res["ok"] else f", failed at {res.get('failed_step')}: {res.get('error')}"), flush=True)


def machine_info():
    cpu = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {"nproc": int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()),
            "cpu_model": cpu, "mem_total_gib": mem, "kernel": platform.release(), "python": sys.version.split()[0],
            "loadavg_at_start": open("/proc/loadavg").read().split()[:3]}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fmt(x, nd=2):
    if x is None:
        return "–"
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def paired_ratios(lx, ez):
    """EZKL's prove call over LoopX's whole process, round by round (both proved in the round)."""
    return [e["prove_call_s"] / l["wall_s"] for l, e in zip(lx.get("proves", []), ez.get("proves", []))
            if l.get("ok") and e.get("ok") and l.get("wall_s") and e.get("prove_call_s")]


def table(doc):
    head = ["model", "LoopX optimize", "LoopX k", "LoopX prove (median s)", "LoopX peak MB", "EZKL k",
            "EZKL prove (median s)", "EZKL peak MB", "ratio (EZKL/LoopX prove time)", "ratio per round (min–max)"]
    rows = []
    for name, m in doc["models"].items():
        ez = m.get("ezkl") or {}
        if ez.get("prove_median_s") is not None:
            ez_cells = [fmt(ez.get("k")), fmt(ez["prove_median_s"]), fmt(ez.get("prove_peak_mb"), 0)]
        else:
            why = "failed at " + ez["failed_step"] if ez.get("failed_step") else (ez.get("skipped") or "not run")
            ez_cells = [fmt(ez.get("k")), why, "–"]
        lx_all = m.get("loopx") or {}
        if not lx_all:
            rows.append([name, "–", "–", m.get("generation_error", "not run"), "–"] + ez_cells + ["–", "–"])
        for opt, lx in lx_all.items():
            if lx.get("prove_median_s") is not None:
                lx_cells = [fmt(lx.get("k")), fmt(lx["prove_median_s"]), fmt(lx.get("prove_peak_mb"), 0)]
                if not lx.get("ok"):
                    lx_cells[1] += f" ({lx.get('failed_step')} failed)"
            else:
                lx_cells = [fmt(lx.get("k")), "failed at " + str(lx.get("failed_step")), "–"]
            ratio = "–"
            if lx.get("prove_median_s") and ez.get("prove_median_s") is not None:
                ratio = f"{ez['prove_median_s'] / lx['prove_median_s']:.1f}×"
            rounds = paired_ratios(lx, ez)
            per_round = f"{min(rounds):.1f}–{max(rounds):.1f}×" if rounds else "–"
            rows.append([name, opt] + lx_cells + ez_cells + [ratio, per_round])
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", default=DEFAULT_REPO)
    ap.add_argument("--workdir", default="/tmp/ezkl_prove_work", help="models, packages, keys, proofs, SRS")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--optimize", nargs="+", default=OPTIMIZE, choices=OPTIMIZE)
    ap.add_argument("--reps", type=int, default=3, help="prove runs per tool and configuration")
    ap.add_argument("--threads", type=int, default=2, help="RAYON_NUM_THREADS for both tools")
    ap.add_argument("--loopx", default=None, help="loopx binary (default: target/release/loopx)")
    ap.add_argument("--gen-python", default=sys.executable,
                    help="Python that writes the models (needs numpy, onnx; scikit-learn and skl2onnx for the forest)")
    ap.add_argument("--skip-ezkl", action="store_true")
    ap.add_argument("--skip-loopx", action="store_true")
    ap.add_argument("--step-timeout", type=int, default=1200, help="seconds per LoopX step / EZKL prove child")
    ap.add_argument("--ezkl-setup-timeout", type=int, default=1500, help="seconds for EZKL's settings..setup child")
    ap.add_argument("--budget-min", type=float, default=None,
                    help="overall time budget: steps are cut off or skipped after it; what finished is reported")
    ap.add_argument("--out", default=None, help="results file (default: benches/ezkl/prove_results.json)")
    # internal: children
    ap.add_argument("--child", choices=["gen", "ezkl-prepare", "ezkl-prove", "ezkl-verify"], help=argparse.SUPPRESS)
    ap.add_argument("--job-dir", help=argparse.SUPPRESS)
    ap.add_argument("--srs-dir", help=argparse.SUPPRESS)
    ap.add_argument("--model-path", help=argparse.SUPPRESS)
    ap.add_argument("--cal", help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--rep", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--reps-list", nargs="+", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--name", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child == "gen":
        return gen_model(args.name, args.job_dir)
    if args.child == "ezkl-prepare":
        return ezkl_prepare(args)
    if args.child == "ezkl-prove":
        return ezkl_prove(args)
    if args.child == "ezkl-verify":
        return ezkl_verify(args)

    t_start = time.time()
    repo = os.path.abspath(args.repo)
    loopx = os.path.abspath(args.loopx or os.path.join(repo, "target", "release", "loopx"))
    out_path = args.out or os.path.join(repo, "benches", "ezkl", "prove_results.json")
    wdir = os.path.abspath(args.workdir)
    models_dir = os.path.join(wdir, "models")
    os.makedirs(models_dir, exist_ok=True)
    runner = Runner(args.threads, None if args.budget_min is None else t_start + 60 * args.budget_min)

    ezkl_version = None
    if not args.skip_ezkl:
        import ezkl
        ezkl_version = ezkl.__version__
    lx_version = subprocess.run([loopx, "--version"], capture_output=True, text=True).stdout.strip()
    doc = {
        "what": "proving time (median wall seconds) and peak RSS of one proof, LoopX vs EZKL, same ONNX model and "
                "input, each tool calibrated by itself on the same 32 rows",
        "machine": machine_info(),
        "threads": {"RAYON_NUM_THREADS": args.threads},
        "reps": args.reps,
        "ezkl": {"version": ezkl_version, "run_args": EZKL_RUN_ARGS, "calibrate_target": "resources",
                 "srs": "ezkl.gen_srs local insecure dev SRS",
                 "timed": "prove_median_s: the ezkl.prove call inside a child process; prove_process_median_s: "
                          "that child's whole wall time (python start, import, silence_rust_logging, prove); "
                          "peak MB: the child's max RSS (/usr/bin/time %M)"},
        "loopx": {"binary": loopx, "version": lx_version, "sha256": sha256(loopx),
                  "binary_mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(loopx))),
                  "srs": "--dev-srs", "wallet": WALLET,
                  "timed": "prove_median_s: whole `loopx prove` process wall time (/usr/bin/time %e); "
                           "prove_reported_median_s: its own prove_seconds; peak MB: max RSS over the runs"},
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_start)),
        "models": {},
    }

    def save():
        doc["elapsed_s"] = round(time.time() - t_start, 1)
        with open(out_path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")

    for name in args.models:
        print(f"== {name}", flush=True)
        m = doc["models"][name] = {"spec": MODELS[name]}
        g = runner.run([args.gen_python, os.path.abspath(__file__), "--child", "gen", "--name", name, "--job-dir",
                        models_dir], os.path.join(models_dir, f"{name}.gen.log"), 600)
        if not g["ok"]:
            m["generation_error"] = g.get("skipped") or g.get("stderr_tail", "").strip().splitlines()[-1]
            print(f"   model generation failed: {m['generation_error']}", flush=True)
            save()
            continue
        m["generation"] = read_json(os.path.join(models_dir, f"{name}.gen.json"))
        m["files"] = {k: os.path.join(models_dir, f"{name}.{k}") for k in ("onnx", "calibration.json", "input.json")}
        m["onnx_sha256"] = sha256(m["files"]["onnx"])
        # Prepare both tools, then prove in rounds, each round every LoopX layout and then EZKL, so
        # that both see the same machine: on a shared VM its speed drifts by ±20 % within minutes.
        lx = m["loopx"] = {} if not args.skip_loopx else None
        ez = None
        for opt in args.optimize if lx is not None else []:
            lx[opt] = loopx_prepare(runner, loopx, name, models_dir, wdir, opt, args.step_timeout)
            save()
        if not args.skip_ezkl:
            ez = m["ezkl"] = ezkl_prepare_job(runner, name, models_dir, wdir, args.ezkl_setup_timeout)
            save()
        for i in range(1, args.reps + 1):
            for opt in args.optimize if lx is not None else []:
                loopx_prove_once(runner, loopx, name, models_dir, wdir, lx[opt], i, args.step_timeout)
            if ez is not None:
                ezkl_prove_once(runner, name, wdir, ez, i, args.step_timeout)
            save()
        for opt in args.optimize if lx is not None else []:
            loopx_finish(runner, loopx, name, wdir, lx[opt], args.reps, args.step_timeout)
        if ez is not None:
            ezkl_finish(runner, name, wdir, ez, args.reps, args.step_timeout)
            # proving keys are large: delete them once the model is done
            pk = os.path.join(wdir, "ezkl", name, "pk.key")
            if os.path.exists(pk):
                os.remove(pk)
        save()

    doc["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # the binary can be relinked by a concurrent cargo build: say so if it changed during the run
    doc["loopx"]["sha256_at_end"] = sha256(loopx)
    doc["loopx"]["binary_changed_during_run"] = doc["loopx"]["sha256_at_end"] != doc["loopx"]["sha256"]
    doc["table_markdown"] = table(doc)
    save()
    mi = doc["machine"]
    print(f"\nmachine: {mi['nproc']} CPUs ({mi['cpu_model']}), {mi['mem_total_gib']} GiB; "
          f"RAYON_NUM_THREADS={args.threads}; {args.reps} proofs each; EZKL {ezkl_version}; {lx_version}\n")
    print(doc["table_markdown"])
    for name, m in doc["models"].items():
        ez = m.get("ezkl") or {}
        if ez and not ez.get("ok"):
            print(f"\n{name}: EZKL failed at {ez.get('failed_step')}: {ez.get('error')}")
        for opt, lx in (m.get("loopx") or {}).items():
            if not lx.get("ok"):
                print(f"\n{name}/{opt}: LoopX failed at {lx.get('failed_step')}")
    print(f"\nwrote {out_path} ({doc['elapsed_s']} s)")


if __name__ == "__main__":
    sys.exit(main())
