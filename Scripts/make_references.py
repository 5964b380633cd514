#!/usr/bin/env python3
"""Writes onnxruntime reference outputs for every network in ../shared/benchmarks.

For each distinct .onnx file (deduplicated by SHA-256, first path in sorted order kept):
real inputs -- the first 8 images of mnist/eran_mnist_test.csv (/255, float32) for 784-input
nets, otherwise the centre and 5 uniformly random points (fixed seed) of the input box of a
VNN-LIB spec of that benchmark that uses the net (first disjunct of an (or (and ...)) box;
uniform [-1,1] if no spec is found) -- and onnxruntime's outputs (CPUExecutionProvider,
default session options), written compactly to
Tests/BitBarrierImportTests/Fixtures/references/<stem>.json as
  {"model", "sha256", "input_name", "input_shape", "inputs", "outputs"}.
Floats are float32 values written as Python floats (repr), so they round-trip exactly.
Run: python3 Scripts/make_references.py   (needs onnx, onnxruntime, numpy)
"""
import csv, glob, hashlib, json, os, re
import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.environ.get("BITBARRIER_BENCHMARKS", os.path.join(os.path.dirname(ROOT), "shared", "benchmarks"))
OUT = os.path.join(ROOT, "Tests", "BitBarrierImportTests", "Fixtures", "references")
SEED = 20261128


def sexprs(text):
    """Parses the top-level s-expressions of a VNN-LIB file (comments stripped)."""
    text = re.sub(r";[^\n]*", "", text)
    tokens = re.findall(r"\(|\)|[^\s()]+", text)
    stack, top = [[]], None
    for t in tokens:
        if t == "(":
            stack.append([])
        elif t == ")":
            e = stack.pop()
            stack[-1].append(e)
        else:
            stack[-1].append(t)
    return stack[0]


def bound_terms(expr, out):
    """Collects (op, i, v) for (<= X_i v) / (>= X_i v) / (<= v X_i) / (>= v X_i) in expr.
    For (or ...) only the first disjunct is followed."""
    if not isinstance(expr, list) or not expr:
        return
    head = expr[0]
    if head in ("<=", ">=") and len(expr) == 3:
        a, b = expr[1], expr[2]
        if isinstance(a, str) and a.startswith("X_") and isinstance(b, str) and not b.startswith(("X_", "Y_")):
            out.append((head, int(a[2:]), float(b)))
        elif isinstance(b, str) and b.startswith("X_") and isinstance(a, str) and not a.startswith(("X_", "Y_")):
            out.append(("<=" if head == ">=" else ">=", int(b[2:]), float(a)))
    elif head == "or":
        # first disjunct that constrains inputs at all
        for d in expr[1:]:
            sub = []
            bound_terms(d, sub)
            if sub:
                out.extend(sub)
                return
    elif head in ("and", "assert"):
        for e in expr[1:]:
            bound_terms(e, out)


def box_of(vnnlib_path, n):
    terms = []
    for e in sexprs(open(vnnlib_path).read()):
        if isinstance(e, list) and e and e[0] == "assert":
            bound_terms(e, terms)
    lo, hi = [None] * n, [None] * n
    for op, i, v in terms:
        if i >= n:
            continue
        if op == "<=":
            hi[i] = v if hi[i] is None else min(hi[i], v)
        else:
            lo[i] = v if lo[i] is None else max(lo[i], v)
    if any(v is None for v in lo + hi):
        return None
    return np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64)


def benchmark_dir(onnx_path):
    """The benchmark folder (e.g. .../vnncomp2021/acasxu) that holds the net."""
    rel = os.path.relpath(onnx_path, BENCH).split(os.sep)
    return os.path.join(BENCH, *rel[:2]) if len(rel) > 2 else os.path.dirname(onnx_path)


def spec_for(onnx_path, n):
    """(box, spec path) of the first spec in the benchmark's instances csv using this net."""
    base = benchmark_dir(onnx_path)
    for inst in sorted(glob.glob(os.path.join(base, "*instances.csv"))):
        for row in csv.reader(open(inst)):
            if len(row) < 2:
                continue
            net = os.path.normpath(os.path.join(base, row[0].strip()))
            if net != os.path.normpath(onnx_path) and os.path.basename(net) != os.path.basename(onnx_path):
                continue
            p = os.path.normpath(os.path.join(base, row[1].strip()))
            if os.path.exists(p):
                b = box_of(p, n)
                if b is not None:
                    return b, os.path.relpath(p, BENCH)
    return None, None


def mnist_images(count):
    rows = list(csv.reader(open(os.path.join(BENCH, "mnist", "eran_mnist_test.csv"))))[:count]
    return [np.array([float(v) for v in r[1:]], dtype=np.float32) / np.float32(255) for r in rows]


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*.json")):
        os.remove(old)
    distinct, seen = [], {}
    for path in sorted(glob.glob(os.path.join(BENCH, "**", "*.onnx"), recursive=True)):
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest in seen:
            print(f"skip {os.path.relpath(path, BENCH)} (same bytes as {os.path.relpath(seen[digest], BENCH)})")
            continue
        seen[digest] = path
        distinct.append((path, digest))
    stems = [os.path.splitext(os.path.basename(p))[0] for p, _ in distinct]
    rng = np.random.default_rng(SEED)
    for (path, digest), stem in zip(distinct, stems):
        rel = os.path.relpath(path, BENCH)
        name = stem
        if stems.count(stem) > 1:  # two different files, same stem: prefix the benchmark folder
            name = os.path.basename(benchmark_dir(path)) + "_" + stem
        model = onnx.load(path)
        inits = {i.name for i in model.graph.initializer}
        inp = [i for i in model.graph.input if i.name not in inits][0]
        shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1
                 for d in inp.type.tensor_type.shape.dim]
        n = int(np.prod(shape))
        if n == 784:
            inputs, source = mnist_images(8), "mnist/eran_mnist_test.csv[0:8]/255"
        else:
            box, spec = spec_for(path, n)
            lo, hi = box if box is not None else (-np.ones(n), np.ones(n))
            source = spec or "uniform [-1,1] (no spec)"
            inputs = [((lo + hi) / 2).astype(np.float32)]
            inputs += [(lo + rng.random(n) * (hi - lo)).astype(np.float32) for _ in range(5)]
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        outputs = [sess.run(None, {inp.name: x.reshape(shape)})[0] for x in inputs]
        record = {"model": rel, "sha256": digest, "input_name": inp.name, "input_shape": shape,
                  "inputs": [floats(x) for x in inputs], "outputs": [floats(y) for y in outputs]}
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(record, f, separators=(",", ":"))
        print(f"{rel}: input {inp.name}{shape}, {len(inputs)} points from {source}, "
              f"{outputs[0].size} outputs -> {name}.json")
    print(f"{len(distinct)} distinct networks -> {OUT}")


if __name__ == "__main__":
    main()
