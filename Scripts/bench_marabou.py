#!/usr/bin/env python3
"""Exact L-infinity robustness answers from Marabou, to cross-check BitBarrier's radius brackets.

For each of the first N CSV rows (label, then the features, already in [0, 1]) and each --eps,
the ball [max(0, x-eps), min(1, x+eps)] is handed to Marabou (maraboupy, read_onnx) with the
unsafe query "y_j - y_label >= 0" (robustness is strict: a tie is NOT robust). With the default
--encoding perclass there is one query per j != label (stopping at the first sat); with
--encoding disjunction a single query holds the disjunction over j.

  unsat    -> robust at eps
  sat      -> Marabou's counterexample is replayed with onnxruntime (float32): `ort_margin` is
              max_{j != label} y_j - y_label at that point (>= 0: the label really loses or ties),
              `in_box` says whether the point lies in the ball
  timeout / unknown / error -> no answer

Then (unless --no-radius) the exact radius is bracketed by bisection on [--lo, --hi] to absolute
tolerance --tol: [largest eps unsat, smallest eps sat]; `radius_unsat` None means even --lo was
not proved, `radius_sat` None means --hi is still unsat. A query without an answer stops the
bisection (`radius_complete` false).

Needs maraboupy (2.0.0), onnxruntime, numpy; run from a venv outside the repo, e.g.:
  /work/peers/venv/bin/python Scripts/bench_marabou.py --model Examples/digits-mlp/model.onnx \
      --data Examples/digits-mlp/test.csv --limit 20 --eps 0.01,0.02,0.05 --timeout 60 \
      --json /tmp/marabou.json
"""
import argparse
import csv
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
from maraboupy import Marabou, MarabouCore, MarabouUtils  # noqa: E402
import onnxruntime as ort  # noqa: E402


def load_rows(path, limit):
    rows = []
    with open(path) as f:
        for rec in csv.reader(f):
            if not rec:
                continue
            rows.append((int(float(rec[0])), np.array([float(v) for v in rec[1:]], dtype=np.float64)))
            if limit and len(rows) == limit:
                break
    return rows


class Checker:
    def __init__(self, model, timeout, encoding):
        self.model = model
        self.timeout = int(timeout)
        self.encoding = encoding
        self.sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        self.in_name = self.sess.get_inputs()[0].name
        self.in_shape = [d if isinstance(d, int) and d > 0 else 1 for d in self.sess.get_inputs()[0].shape]
        self.options = Marabou.createOptions(verbosity=0, timeoutInSeconds=self.timeout)
        self.queries = 0

    def ort_logits(self, x):
        return self.sess.run(None, {self.in_name: np.asarray(x, dtype=np.float32).reshape(self.in_shape)})[0].reshape(-1)

    def _network(self, x, eps):
        net = Marabou.read_onnx(self.model)
        iv = np.array(net.inputVars[0]).reshape(-1)
        ov = np.array(net.outputVars[0]).reshape(-1)
        lo = np.maximum(0.0, x - eps)
        hi = np.minimum(1.0, x + eps)
        for k, v in enumerate(iv):
            net.setLowerBound(int(v), float(lo[k]))
            net.setUpperBound(int(v), float(hi[k]))
        return net, iv, ov, lo, hi

    @staticmethod
    def _ge(ov, j, label):
        e = MarabouUtils.Equation(MarabouCore.Equation.GE)
        e.addAddend(1.0, int(ov[j]))
        e.addAddend(-1.0, int(ov[label]))
        e.setScalar(0.0)
        return e

    def _solve(self, net):
        self.queries += 1
        # Marabou prints to the C stdout (and its filename= redirect never restores it): silence
        # file descriptor 1 around the call instead.
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        try:
            code, vals, _stats = net.solve(verbose=False, options=self.options)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        return code, vals

    def query(self, x, label, eps):
        """Returns a dict: status (unsat/sat/timeout/unknown/error), counterexample details, time."""
        t0 = time.perf_counter()
        n_out = len(self.ort_logits(x))
        targets = [j for j in range(n_out) if j != label]
        statuses = []
        result = None
        groups = [targets] if self.encoding == "disjunction" else [[j] for j in targets]
        for group in groups:
            net, iv, ov, lo, hi = self._network(x, eps)
            if len(group) == 1:
                net.addEquation(self._ge(ov, group[0], label))
            else:
                net.addDisjunctionConstraint([[self._ge(ov, j, label)] for j in group])
            try:
                code, vals = self._solve(net)
            except Exception as exc:  # pragma: no cover - Marabou failure
                code, vals = "error: %s" % exc, {}
            code = code.lower() if code in ("sat", "unsat", "TIMEOUT", "UNKNOWN", "ERROR", "QUIT_REQUESTED") else code
            statuses.append(code)
            if code == "sat":
                cx = np.array([vals[int(v)] for v in iv], dtype=np.float64)
                y_m = np.array([vals[int(v)] for v in ov], dtype=np.float64)
                y = self.ort_logits(cx).astype(np.float64)
                others = [j for j in range(n_out) if j != label]
                jm = max(others, key=lambda j: y_m[j] - y_m[label])
                jo = max(others, key=lambda j: y[j] - y[label])
                viol = float(max(np.max(lo - cx), np.max(cx - hi), 0.0))
                result = {
                    "status": "sat",
                    "target": int(group[0]) if len(group) == 1 else int(jm),
                    "marabou_margin": float(y_m[jm] - y_m[label]),
                    "ort_margin": float(y[jo] - y[label]),
                    "ort_argmax": int(np.argmax(y)),
                    "ort_confirms": bool(y[jo] - y[label] >= 0),
                    "in_box": viol <= 1e-9,
                    "box_violation": viol,
                    "linf_dist": float(np.max(np.abs(cx - x))),
                    "counterexample": [float(v) for v in cx],
                }
                break
        if result is None:
            if all(s == "unsat" for s in statuses):
                result = {"status": "unsat"}
            elif any(s == "timeout" for s in statuses):
                result = {"status": "timeout", "per_query": statuses}
            else:
                result = {"status": "unknown", "per_query": statuses}
        result["time_s"] = time.perf_counter() - t0
        return result


def bracket(chk, x, label, lo, hi, tol, log):
    """Bisection for Marabou's exact radius: returns (unsat_eps, sat_eps, complete, steps)."""
    steps = []

    def ask(eps):
        r = chk.query(x, label, eps)
        steps.append({"eps": eps, "status": r["status"], "time_s": r["time_s"],
                      **({"ort_margin": r["ort_margin"], "ort_confirms": r["ort_confirms"]}
                         if r["status"] == "sat" else {})})
        log("    eps=%.6f %s%s (%.2fs)" % (eps, r["status"],
            "" if r["status"] != "sat" else " ort_margin=%+.3g" % r["ort_margin"], r["time_s"]))
        return r["status"]

    s = ask(hi)
    if s == "unsat":
        return hi, None, True, steps
    if s != "sat":
        return None, None, False, steps
    s = ask(lo)
    if s == "sat":
        return None, lo, True, steps
    if s != "unsat":
        return None, hi, False, steps
    a, b = lo, hi
    while b - a > tol:
        m = 0.5 * (a + b)
        s = ask(m)
        if s == "unsat":
            a = m
        elif s == "sat":
            b = m
        else:
            return a, b, False, steps
    return a, b, True, steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="CSV: label, then features in [0, 1]")
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--eps", default="", help="comma-separated radii (may be empty)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per Marabou query")
    ap.add_argument("--encoding", choices=["perclass", "disjunction"], default="perclass")
    ap.add_argument("--lo", type=float, default=0.0)
    ap.add_argument("--hi", type=float, default=0.3)
    ap.add_argument("--tol", type=float, default=1e-3, help="absolute tolerance of the bisection")
    ap.add_argument("--no-radius", action="store_true", help="skip the radius bisection")
    ap.add_argument("--json", help="write results here")
    args = ap.parse_args()

    eps_list = [float(e) for e in args.eps.split(",") if e.strip()]
    rows = load_rows(args.data, args.limit)
    chk = Checker(args.model, args.timeout, args.encoding)
    log = lambda s: print(s, flush=True)  # noqa: E731
    import maraboupy
    out = {"model": args.model, "data": args.data, "encoding": args.encoding, "timeout_s": args.timeout,
           "maraboupy": getattr(maraboupy, "__version__", None), "onnxruntime": ort.__version__,
           "bisection": {"lo": args.lo, "hi": args.hi, "tol": args.tol}, "samples": []}
    try:
        from importlib.metadata import version
        out["maraboupy"] = version("maraboupy")
    except Exception:
        pass
    for i, (label, x) in enumerate(rows):
        t0 = time.perf_counter()
        pred = int(np.argmax(chk.ort_logits(x)))
        s = {"index": i, "label": label, "predicted": pred, "eps": {}}
        log("input %d label %d pred %d" % (i, label, pred))
        for e in eps_list:
            r = chk.query(x, label, e)
            s["eps"][repr(e)] = r
            log("  eps %g: %s%s (%.2fs)" % (e, r["status"], "" if r["status"] != "sat" else
                " ort_margin=%+.4g ort_confirms=%s in_box=%s" % (r["ort_margin"], r["ort_confirms"], r["in_box"]),
                r["time_s"]))
        if not args.no_radius:
            tb = time.perf_counter()
            a, b, complete, steps = bracket(chk, x, label, args.lo, args.hi, args.tol, log)
            s.update({"radius_unsat": a, "radius_sat": b, "radius_complete": complete,
                      "radius_time_s": time.perf_counter() - tb, "radius_steps": steps})
            log("  radius bracket [%s, %s]%s (%.2fs)" % (a, b, "" if complete else " INCOMPLETE", s["radius_time_s"]))
        s["time_s"] = time.perf_counter() - t0
        out["samples"].append(s)
    times = [s["time_s"] for s in out["samples"]]
    out["summary"] = {"inputs": len(rows), "queries": chk.queries,
                      "median_time_s": statistics.median(times) if times else None,
                      "total_time_s": sum(times)}
    log("inputs %d, Marabou queries %d, median time per input %.2fs, total %.1fs"
        % (len(rows), chk.queries, out["summary"]["median_time_s"] or 0, out["summary"]["total_time_s"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
