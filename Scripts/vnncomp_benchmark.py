#!/usr/bin/env python3
"""Run `bitbarrier verify` over a VNN-COMP instances.csv and score it against the reference.

Usage:
  Scripts/vnncomp_benchmark.py /work/shared/benchmarks/vnncomp2021/acasxu/acasxu_instances.csv \
      [--timeout S] [--limit N] [--binary PATH] [--csv OUT.csv]

Paths in the instances CSV (onnx, vnnlib, timeout per row) are relative to its folder. Each
verdict is compared with reference_verdicts.csv (column reference_verdict, `sat`/`unsat`; rows
marked `disputed` are not scored). A WRONG answer is sat where the reference says unsat or the
reverse. With onnxruntime installed, every sat witness is also replayed there (|f(x) - Y| < 1e-4).
Prints solved/unsat/sat/timeouts/other/WRONG counts, median and total wall time, then the
published VNN-COMP figures of the other tools on the same instances (from
../shared/benchmarks/results/vnncomp<year>_<category>.csv; --peers to choose the file), with
α,β-CROWN and nnenum first. Their times are the competition's (run time minus overhead, on its
hardware, with the official timeouts); ours are wall times on this machine.
"""
import argparse
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(os.path.dirname(ROOT), "shared", "benchmarks", "results")
DEFAULT_REFERENCE = os.path.join(RESULTS, "reference_verdicts.csv")


def peer_file(category):
    for name in sorted(os.listdir(RESULTS), reverse=True):
        if name.endswith("_%s.csv" % category) and name.startswith("vnncomp"):
            return os.path.join(RESULTS, name)
    return None


def print_peers(path, keys):
    """Per tool: solved, unsat, sat, other, median and total solved time over `keys`."""
    per_tool = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (os.path.basename(row["onnx"]), os.path.basename(row["vnnlib"]))
            if key not in keys:
                continue
            t = per_tool.setdefault(row["tool"], {"unsat": 0, "sat": 0, "other": 0, "times": []})
            verdict = row["verdict"].strip()
            if verdict in ("sat", "unsat") and row.get("solved_within_timeout", "1") != "0":
                t[verdict] += 1
                try:
                    t["times"].append(float(row["run_time_minus_overhead_s"] or row["run_time_s"]))
                except ValueError:
                    pass
            else:
                t["other"] += 1
    if not per_tool:
        return
    print()
    print("published results on these %d instances (%s):" % (len(keys), os.path.basename(path)))
    first = [t for t in per_tool if t.lower().replace("-", "_") in ("alpha_beta_crown", "a_b_crown", "nnenum")]
    for tool in first + sorted(t for t in per_tool if t not in first):
        t = per_tool[tool]
        times = t["times"]
        print("  %-18s solved %3d  unsat %3d  sat %3d  other %3d  median %6.2f s  total %8.1f s"
              % (tool, t["unsat"] + t["sat"], t["unsat"], t["sat"], t["other"],
                 statistics.median(times) if times else float("nan"), sum(times)))


def load_reference(path):
    ref = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["category"], os.path.basename(row["onnx"]), os.path.basename(row["vnnlib"]))
            ref[key] = row["reference_verdict"].strip()
    return ref


def parse_witness(text):
    xs, ys = {}, {}
    for name, idx, value in re.findall(r"\(\s*([XY])_(\d+)\s+([^\s()]+)\s*\)", text):
        (xs if name == "X" else ys)[int(idx)] = float(value)
    return [xs[i] for i in sorted(xs)], [ys[i] for i in sorted(ys)]


def replay_witness(onnx_path, text):
    """None if onnxruntime is missing; else (ok, max |f(x) - Y|)."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        return None
    xs, ys = parse_witness(text)
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
    x = np.array(xs, dtype=np.float32).reshape(shape)
    y = sess.run(None, {inp.name: x})[0].reshape(-1).astype(np.float64)
    err = float(np.max(np.abs(y - np.array(ys)))) if len(ys) == y.size else float("inf")
    return err < 1e-4, err


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instances")
    ap.add_argument("--timeout", type=float, help="per-instance timeout in s (default: the CSV's)")
    ap.add_argument("--limit", type=int, help="run only the first N instances")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "bitbarrier"))
    ap.add_argument("--reference", default=DEFAULT_REFERENCE)
    ap.add_argument("--category", help="category in the reference (default: the CSV's folder name)")
    ap.add_argument("--csv", help="write per-instance results here")
    ap.add_argument("--peers", help="published results CSV (default: results/vnncomp<year>_<category>.csv)")
    args = ap.parse_args()

    folder = os.path.dirname(os.path.abspath(args.instances))
    category = args.category or os.path.basename(folder)
    reference = load_reference(args.reference)
    with open(args.instances, newline="") as f:
        rows = [r for r in csv.reader(f) if r and r[0].strip()]
    if args.limit:
        rows = rows[: args.limit]

    results = []
    counts = {"unsat": 0, "sat": 0, "timeout": 0, "other": 0, "wrong": 0, "unscored": 0, "bad_witness": 0}
    for i, row in enumerate(rows):
        onnx, vnnlib = row[0].strip(), row[1].strip()
        timeout = args.timeout if args.timeout else float(row[2])
        ref = reference.get((category, os.path.basename(onnx), os.path.basename(vnnlib)), "missing")
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
            t0 = time.monotonic()
            try:
                proc = subprocess.run(
                    [args.binary, "verify", os.path.join(folder, onnx), os.path.join(folder, vnnlib),
                     "--timeout", str(timeout), "--result", out.name],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout + 30)
                overran = False
            except subprocess.TimeoutExpired:
                # Killed 30 s past its budget: recorded, never scored as an answer.
                proc, overran = None, True
            wall = time.monotonic() - t0
            text = "" if overran else open(out.name).read()
        verdict = "overran" if overran else (text.split("\n", 1)[0].strip() if text else "error")
        note = "killed 30 s after its timeout" if overran else ""
        if verdict in ("unsat", "sat"):
            counts[verdict] += 1
        elif verdict == "timeout":
            counts["timeout"] += 1
        else:
            counts["other"] += 1
            if proc is not None and proc.stderr.strip():
                note = proc.stderr.strip().splitlines()[-1]
        if ref not in ("sat", "unsat"):
            counts["unscored"] += 1
        elif verdict in ("sat", "unsat") and verdict != ref:
            counts["wrong"] += 1
            note = "WRONG (reference %s)" % ref
        if verdict == "sat":
            check = replay_witness(os.path.join(folder, onnx), text)
            if check is not None and not check[0]:
                counts["bad_witness"] += 1
                note += " witness differs from onnxruntime by %.3g" % check[1]
        results.append((onnx, vnnlib, verdict, ref, wall, note))
        print("%3d/%d %-40s %-14s %-8s ref %-8s %7.2f s %s" % (i + 1, len(rows), onnx, vnnlib, verdict, ref, wall, note),
              flush=True)

    times = [r[4] for r in results]
    solved = counts["unsat"] + counts["sat"] - counts["wrong"]
    print()
    print("instances %d  solved %d  unsat %d  sat %d  timeouts %d  other %d  WRONG %d  bad witnesses %d  unscored %d"
          % (len(results), solved, counts["unsat"], counts["sat"], counts["timeout"], counts["other"],
             counts["wrong"], counts["bad_witness"], counts["unscored"]))
    if times:
        print("median time %.2f s  total time %.1f s" % (statistics.median(times), sum(times)))
    peers = args.peers or peer_file(category)
    if peers:
        print_peers(peers, {(os.path.basename(r[0]), os.path.basename(r[1])) for r in results})
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["category", "onnx", "vnnlib", "verdict", "reference_verdict", "time_s", "note"])
            for r in results:
                w.writerow([category, r[0], r[1], r[2], r[3], "%.4f" % r[4], r[5]])
    return 1 if counts["wrong"] or counts["bad_witness"] else 0


if __name__ == "__main__":
    sys.exit(main())
