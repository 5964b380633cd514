#!/usr/bin/env python3
"""Writes onnxruntime reference outputs for every network in ../shared/benchmarks.

For each distinct .onnx file (by SHA-256): real inputs (the first 8 MNIST test images for
784-input nets, else the centre and 5 random points of a VNN-LIB box of that benchmark), and
onnxruntime's outputs (CPU, default session options), to
Tests/BitBarrierImportTests/Fixtures/references/<name>.json. Needs: onnx, onnxruntime, numpy.
"""
import csv, glob, hashlib, json, os, re
import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(os.path.dirname(ROOT), "shared", "benchmarks")
OUT = os.path.join(ROOT, "Tests", "BitBarrierImportTests", "Fixtures", "references")


def box_of(vnnlib_path, n):
    lo, hi = [None] * n, [None] * n
    for m in re.finditer(r"\(\s*(<=|>=)\s+X_(\d+)\s+([-+0-9.eE]+)\s*\)", open(vnnlib_path).read()):
        op, i, v = m.group(1), int(m.group(2)), float(m.group(3))
        if i >= n:
            continue
        if op == "<=" and hi[i] is None:
            hi[i] = v
        if op == ">=" and lo[i] is None:
            lo[i] = v
    if any(v is None for v in lo + hi):
        return None
    return np.array(lo), np.array(hi)


def spec_for(onnx_path, n):
    folder = os.path.dirname(onnx_path)
    for base in (folder, os.path.dirname(folder)):
        for inst in glob.glob(os.path.join(base, "*instances.csv")):
            for row in csv.reader(open(inst)):
                if row and os.path.basename(row[0].strip()) == os.path.basename(onnx_path):
                    p = os.path.join(base, row[1].strip())
                    if os.path.exists(p):
                        b = box_of(p, n)
                        if b:
                            return b
    return None


def mnist_images(count):
    rows = list(csv.reader(open(os.path.join(BENCH, "mnist", "eran_mnist_test.csv"))))[:count]
    return [np.array([float(v) for v in r[1:]], dtype=np.float32) / np.float32(255) for r in rows]


def main():
    os.makedirs(OUT, exist_ok=True)
    seen = {}
    rng = np.random.default_rng(20261128)
    for path in sorted(glob.glob(os.path.join(BENCH, "**", "*.onnx"), recursive=True)):
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest in seen:
            continue
        seen[digest] = path
        model = onnx.load(path)
        inits = {i.name for i in model.graph.initializer}
        inp = [i for i in model.graph.input if i.name not in inits][0]
        shape = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
        n = int(np.prod(shape))
        if n == 784:
            inputs = mnist_images(8)
        else:
            box = spec_for(path, n)
            lo, hi = box if box else (-np.ones(n), np.ones(n))
            inputs = [((lo + hi) / 2).astype(np.float32)]
            inputs += [(lo + rng.random(n) * (hi - lo)).astype(np.float32) for _ in range(5)]
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        outputs = [sess.run(None, {inp.name: x.reshape(shape)})[0].reshape(-1) for x in inputs]
        rel = os.path.relpath(path, BENCH)
        name = os.path.splitext(os.path.basename(path))[0]
        if os.path.exists(os.path.join(OUT, name + ".json")) or name.startswith("mnist-net"):
            name = rel.split(os.sep)[0] + "_" + name
        record = {
            "model": rel, "sha256": digest, "input_name": inp.name, "input_shape": shape,
            "inputs": [[float(v) for v in x] for x in inputs],
            "outputs": [[float(v) for v in y.astype(np.float32)] for y in outputs],
        }
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(record, f, separators=(",", ":"))
        print(f"{rel}: {len(inputs)} inputs -> {name}.json")
    print(f"{len(seen)} distinct networks")


if __name__ == "__main__":
    main()
