#!/usr/bin/env python3
"""BitBarrier benchmarks (issues 2 and 3): prints figures and ratios against the peers.

  python3 Scripts/benchmark.py [--quick] [--speed-only]

1. eval vs onnxruntime: the largest deviation over every committed reference.
2. CROWN/IBP bound time per input on mnist-net_256x2/x6 (eps 0.02, first 20 images), against
   auto_LiRPA: run live when /work/peers/venv exists (see Scripts/bench_autolirpa.py), else the
   committed times in ../shared/reference.
3. Certified radius on the mnistfc nets for the 100 ERAN MNIST images: median radius, certified
   accuracy at eps 0.01/0.02/0.03 for IBP and CROWN, and the PGD bracket.
--speed-only runs part 2 alone. Needs the release binary (make release). Python: standard
library only.
"""
import csv, glob, json, os, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
BIN = os.path.join(ROOT, ".build", "release", "bitbarrier")
MNIST = os.path.join(SHARED, "benchmarks", "mnist", "eran_mnist_test.csv")
NETS = os.path.join(SHARED, "benchmarks", "vnncomp2021", "mnistfc")
QUICK = "--quick" in sys.argv
SPEED_ONLY = "--speed-only" in sys.argv


def run(args):
    r = subprocess.run([BIN] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bitbarrier {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def eval_deviation():
    worst, where = 0.0, ""
    files = sorted(glob.glob(os.path.join(ROOT, "Tests/BitBarrierImportTests/Fixtures/references/*.json")))
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            ref = json.load(open(f))
            data = os.path.join(tmp, "x.csv")
            with open(data, "w") as out:
                for x in ref["inputs"]:
                    out.write(",".join(repr(v) for v in x) + "\n")
            run(["eval", os.path.join(SHARED, "benchmarks", ref["model"]), "--data", data, "--no-labels", "--json", os.path.join(tmp, "o.json")])
            ours = json.load(open(os.path.join(tmp, "o.json")))["outputs"]
            for a, b in zip(ours, ref["outputs"]):
                for u, v in zip(a, b):
                    d = abs(u - v)
                    score = min(d / 1e-6, d / (1e-5 * max(abs(v), 1e-30)))
                    if score > worst:
                        worst, where = score, f"{ref['model']}: {u} vs {v} (abs {d:.2e}, rel {d / max(abs(v), 1e-30):.2e})"
    print(f"eval vs onnxruntime over {len(files)} networks: worst deviation {worst:.3f} x the bar (1e-5 rel or 1e-6 abs) at {where}")


def bound_times(net, method, images=20):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "b.json")
        run(["bounds", os.path.join(NETS, f"mnist-net_{net}.onnx"), "--data", MNIST, "--pixel-scale", "255",
             "--limit", str(images), "--eps", "0.02", "--method", method, "--json", out])
        return statistics.median(s["time_s"] for s in json.load(open(out))["samples"]) * 1000


def autolirpa_time(net, method):
    venv = "/work/peers/venv/bin/python"
    if os.path.exists(venv):
        r = subprocess.run([venv, os.path.join(ROOT, "Scripts/bench_autolirpa.py"), "--net", os.path.join(NETS, f"mnist-net_{net}.onnx"),
                            "--images", "20", "--eps", "0.02", "--method", method.upper(), "--threads", "1"], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.startswith("median_ms="):
                return float(line.split("=")[1]), "live, 1 thread"
    ref = json.load(open(os.path.join(SHARED, "reference", f"auto_lirpa_mnist-net_{net}.json")))
    times = [f["time_s"] for s in ref["samples"] for f in s["methods"][method.upper()]["fixed_eps"] if f["eps"] == 0.02]
    return statistics.median(times) * 1000, "committed reference"


def speed():
    for net in ["256x2", "256x6"]:
        for method in ["ibp", "crown"]:
            ours = bound_times(net, method)
            theirs, source = autolirpa_time(net, method)
            print(f"{method:5s} mnist-net_{net}: {ours:7.2f} ms per input (ours, 1 thread)  auto_LiRPA {theirs:7.2f} ms ({source})  speed-up x{theirs / ours:.1f}")


def radius():
    images = "20" if QUICK else "100"
    print(f"certified radius, first {images} ERAN MNIST images, max radius 0.1, PGD bracket:")
    print("net      method  clean  median_r  cert@0.01 cert@0.02 cert@0.03  pgd@0.01 pgd@0.02 pgd@0.03  median_pgd  wall_s")
    for net in ["256x2", "256x4", "256x6"]:
        for method in ["ibp", "crown"]:
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "c.json")
                run(["certify", os.path.join(NETS, f"mnist-net_{net}.onnx"), "--data", MNIST, "--pixel-scale", "255", "--limit", images,
                     "--method", method, "--eps", "0.01,0.02,0.03", "--attack", "--max-radius", "0.1", "--json", out])
                s = json.load(open(out))["summary"]
                c, a = s["certified_accuracy"], s.get("attack_accuracy") or {}
                mp = s.get("median_attack_radius")
                print(f"{net:8s} {method:6s} {s['clean_accuracy']:5.2f}  {s['median_radius']:8.5f}  {c['0.01']:9.2f} {c['0.02']:9.2f} {c['0.03']:9.2f}"
                      f"  {a.get('0.01', float('nan')):8.2f} {a.get('0.02', float('nan')):8.2f} {a.get('0.03', float('nan')):8.2f}"
                      f"  {mp if mp is not None else float('nan'):10.5f}  {s['wall_time_s']:6.1f}")


if __name__ == "__main__":
    if not os.path.exists(BIN):
        sys.exit("build the release binary first: make release")
    if not SPEED_ONLY:
        eval_deviation()
    speed()
    if not SPEED_ONLY:
        radius()
