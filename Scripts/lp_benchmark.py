#!/usr/bin/env python3
"""LP and MILP figures (issue 4): how close the LP-certified radius comes to the exact one.

  python3 Scripts/lp_benchmark.py [--mnist N] [--digits N] [--lp-time-limit S]

For Examples/digits-mlp (first 20 inputs, radii up to 0.3) and mnist-net_256x2 (first N ERAN
MNIST images, default 3, radii up to 0.1) it runs `certify` with crown, lp and milp (one job
each, so the times are per input on one core) and prints:
- each input's radii: crown, lp, and milp's exact bracket [proved, falsified];
- whether lp >= crown on every input;
- the median of lp/exact and crown/exact over the inputs whose exact bracket is closed
  (falsified - proved <= 1e-3 relative, i.e. milp found both ends);
- the median time per input of each method, and LP solves per second (`certify` prints them).
Marabou's exact answers on the same inputs: Scripts/bench_marabou.py. Needs the release binary
(make release). Python: standard library only.
"""
import json, os, re, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
BIN = os.path.join(ROOT, ".build", "release", "bitbarrier")


def arg(name, default):
    return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def certify(model, data, extra, method, limit, max_radius, lp_time):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "c.json")
        args = [BIN, "certify", model, "--data", data, "--limit", str(limit), "--method", method, "--jobs", "1",
                "--max-radius", str(max_radius), "--json", out] + extra
        if method in ("lp", "milp"):
            args += ["--lp-time-limit", str(lp_time)]
        if method == "crown":
            args += ["--attack"]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            sys.exit(f"{' '.join(args)} failed ({r.returncode}): {r.stderr}")
        m = re.search(r"LP: (\d+) simplex solves, ([\d.]+) s", r.stderr)
        lps = (int(m.group(1)), float(m.group(2))) if m else None
        return json.load(open(out))["samples"], lps


def compare(name, model, data, extra, limit, max_radius, lp_time):
    runs = {m: certify(model, data, extra, m, limit, max_radius, lp_time) for m in ["crown", "lp", "milp"]}
    crown, lp, milp = (runs[m][0] for m in ["crown", "lp", "milp"])
    print(f"{name}: {limit} inputs, radii up to {max_radius}, LP time limit {lp_time} s, one job")
    print("  input   crown        lp           exact [proved, falsified]")
    ratios_lp, ratios_crown, below = [], [], 0
    for c, l, x in zip(crown, lp, milp):
        proved, falsified = x["certified_radius"], x["attack_radius"]
        closed = falsified is not None and proved > 0 and falsified - proved <= 1.01e-3 * falsified + 1e-9
        if l["certified_radius"] < c["certified_radius"]:
            below += 1
        if closed:
            ratios_lp.append(l["certified_radius"] / proved)
            ratios_crown.append(c["certified_radius"] / proved)
        f = f"{falsified:.5f}" if falsified is not None else "-"
        print(f"  {x['index']:5d}  {c['certified_radius']:.5f}  {l['certified_radius']:.5f}  [{proved:.5f}, {f}]{'' if closed else '  (open)'}")
    print(f"  lp >= crown on {len(lp) - below} of {len(lp)} inputs")
    if ratios_lp:
        print(f"  median lp/exact {statistics.median(ratios_lp):.3f} (min {min(ratios_lp):.3f}), "
              f"median crown/exact {statistics.median(ratios_crown):.3f}, over {len(ratios_lp)} closed brackets")
    for m in ["crown", "lp", "milp"]:
        t = statistics.median(s["time_s"] for s in runs[m][0])
        lps = runs[m][1]
        rate = f", {lps[0]} LPs, {lps[0] / lps[1]:.0f} per second" if lps and lps[1] > 0 else ""
        print(f"  {m:5s} median time per input {t:8.3f} s{rate}")


if __name__ == "__main__":
    if not os.path.exists(BIN):
        sys.exit("build the release binary first: make release")
    lp_time = arg("--lp-time-limit", 60.0)
    digits = os.path.join(ROOT, "Examples", "digits-mlp")
    if arg("--digits", 20) > 0:
        compare("digits-mlp", os.path.join(digits, "model.onnx"), os.path.join(digits, "test.csv"), [], arg("--digits", 20), 0.3, lp_time)
    n = arg("--mnist", 3)
    if n > 0:
        compare("mnist-net_256x2", os.path.join(SHARED, "benchmarks", "vnncomp2021", "mnistfc", "mnist-net_256x2.onnx"),
                os.path.join(SHARED, "benchmarks", "mnist", "eran_mnist_test.csv"), ["--pixel-scale", "255"], n, 0.1, lp_time)
