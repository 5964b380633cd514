#!/usr/bin/env python3
"""Quantizes the bundled digits MLP with onnxruntime.quantization and writes reference outputs.

Writes Examples/digits-mlp-int8/{model_qdq, model_qdq_perchannel, model_qdq_uint8, model_qop,
model_dynamic}.onnx, one <stem>.json reference per model, test.csv and README.md, plus the
QuantizeLinear / DequantizeLinear oracles in
Tests/BitBarrierImportTests/Fixtures/quantized/{quantize,dequantize}_linear_cases.json.
Needs onnx, onnxruntime, numpy. Deterministic (fixed random seed).
"""
import json, os, shutil
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "Examples", "digits-mlp")
OUT = os.path.join(ROOT, "Examples", "digits-mlp-int8")
FIX = os.path.join(ROOT, "Tests", "BitBarrierImportTests", "Fixtures", "quantized")
FP32 = os.path.join(SRC, "model.onnx")

lines = open(os.path.join(SRC, "test.csv")).read().splitlines()
data = np.array([[float(v) for v in l.split(",")] for l in lines[:100]])
labels = data[:, 0].astype(int).tolist()
inputs = data[:, 1:].astype(np.float32)
calib = inputs[50:100]


class Reader(CalibrationDataReader):
    def __init__(self):
        self.it = iter([{"input": r.reshape(1, 64)} for r in calib])

    def get_next(self):
        return next(self.it, None)


def static(name, fmt, per_channel, act):
    path = os.path.join(OUT, name)
    quantize_static(FP32, path, Reader(), quant_format=fmt, per_channel=per_channel,
                    activation_type=act, weight_type=QuantType.QInt8)
    return path


def run(path, opt):
    so = ort.SessionOptions()
    if not opt:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return np.stack([s.run(None, {"input": r.reshape(1, 64)})[0].reshape(-1) for r in inputs]).astype(np.float32)


def fl(a):
    return [[float(np.float32(v)) for v in row] for row in a]


os.makedirs(OUT, exist_ok=True)
os.makedirs(FIX, exist_ok=True)
models = [
    static("model_qdq.onnx", QuantFormat.QDQ, False, QuantType.QInt8),
    static("model_qdq_perchannel.onnx", QuantFormat.QDQ, True, QuantType.QInt8),
    static("model_qdq_uint8.onnx", QuantFormat.QDQ, False, QuantType.QUInt8),
    static("model_qop.onnx", QuantFormat.QOperator, False, QuantType.QInt8),
]
dyn = os.path.join(OUT, "model_dynamic.onnx")
quantize_dynamic(FP32, dyn, weight_type=QuantType.QInt8)
models.append(dyn)

fp = run(FP32, False)
fp_acc = float(np.mean(fp.argmax(1) == np.array(labels)))
print("fp32 accuracy", fp_acc)
summary = []
for path in models:
    m = onnx.load(path)
    ops = [n.op_type for n in m.graph.node]
    print(os.path.basename(path), ops)
    no, de = run(path, False), run(path, True)
    acc = float(np.mean(no.argmax(1) == np.array(labels)))
    bit = float(np.mean([no[i].tobytes() == de[i].tobytes() for i in range(len(no))]))
    agree_fp = float(np.mean(no.argmax(1) == fp.argmax(1)))
    maxdiff = float(np.max(np.abs(no - de)))
    ref = {"model": os.path.basename(path), "input_name": "input", "input_shape": [1, 64],
           "inputs": fl(inputs), "labels": labels, "outputs_noopt": fl(no), "outputs_default": fl(de),
           "accuracy_noopt": acc}
    if "qdq" in path:
        inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
        q = next(n for n in m.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "input")
        zp = inits[q.input[2]]
        ref["input_quantizer"] = {"scale": float(np.float32(inits[q.input[1]])), "zero_point": int(zp),
                                  "type": "int8" if zp.dtype == np.int8 else "uint8"}
    ref["bitwise_equal_noopt_default"] = bit
    stem = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(OUT, stem + ".json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"  accuracy {acc}  argmax agreement with fp32 {agree_fp}  bitwise noopt==default {bit}  max|diff| {maxdiff}")
    summary.append((os.path.basename(path), ops, acc, agree_fp, bit, maxdiff, ref.get("input_quantizer")))

with open(os.path.join(OUT, "test.csv"), "w") as f:
    f.write("\n".join(lines[:100]) + "\n")

# ---------------------------------------------------------------- QuantizeLinear / DequantizeLinear oracles
COMBOS = [(np.float32(1 / 255), -128, "int8"), (np.float32(0.0123), 3, "int8"), (np.float32(0.1), 0, "int8"),
          (np.float32(1 / 255), 0, "uint8"), (np.float32(0.05), 128, "uint8")]
RNG = np.random.default_rng(0)


def qmodel(op, scale, zp, typ):
    et = TensorProto.INT8 if typ == "int8" else TensorProto.UINT8
    npt = np.int8 if typ == "int8" else np.uint8
    xin, yout = (TensorProto.FLOAT, et) if op == "QuantizeLinear" else (et, TensorProto.FLOAT)
    g = helper.make_graph([helper.make_node(op, ["x", "s", "z"], ["y"])], "q",
                          [helper.make_tensor_value_info("x", xin, [None])],
                          [helper.make_tensor_value_info("y", yout, [None])],
                          [numpy_helper.from_array(np.array(scale, np.float32), "s"),
                           numpy_helper.from_array(np.array(zp, npt), "z")])
    mdl = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    mdl.ir_version = 8
    return ort.InferenceSession(mdl.SerializeToString(), providers=["CPUExecutionProvider"])


def qinputs(scale, zp, typ):
    lo, hi = (-128, 127) if typ == "int8" else (0, 255)
    s = float(scale)
    xs = []
    for k in range(lo - zp - 1, hi - zp + 2):
        c = np.float32(k * s)
        xs += [np.nextafter(c, np.float32(-np.inf)), c, np.nextafter(c, np.float32(np.inf))]
        b = np.float32((k + 0.5) * s)
        d1, u1 = np.nextafter(b, np.float32(-np.inf)), np.nextafter(b, np.float32(np.inf))
        xs += [np.nextafter(d1, np.float32(-np.inf)), d1, b, u1, np.nextafter(u1, np.float32(np.inf))]
    xs += [np.float32(v) for v in (0.0, -0.0, 1e3, -1e3, 1e6, -1e6, 3e38, -3e38, (hi - zp) * s * 2, (lo - zp) * s * 2)]
    xs += list(RNG.uniform((lo - zp - 20) * s, (hi - zp + 20) * s, 500).astype(np.float32))
    return np.array(xs, np.float32)


qcases, dcases, rule_ok = [], [], {"div": True, "mul_recip": True}
for scale, zp, typ in COMBOS:
    lo, hi = (-128, 127) if typ == "int8" else (0, 255)
    x = qinputs(scale, zp, typ)
    y = qmodel("QuantizeLinear", scale, zp, typ).run(None, {"x": x})[0].astype(np.int64)
    # candidate rules: round-half-even(x / s) + zp vs round-half-even(x * (1/s)) + zp, then saturate
    div = np.clip(np.rint(x / scale) + zp, lo, hi).astype(np.int64)
    mul = np.clip(np.rint(x * (np.float32(1) / scale)) + zp, lo, hi).astype(np.int64)
    rule_ok["div"] &= bool((div == y).all())
    rule_ok["mul_recip"] &= bool((mul == y).all())
    print(f"QuantizeLinear s={scale} zp={zp} {typ}: n={len(x)} div-mismatch={int((div != y).sum())} "
          f"mulrecip-mismatch={int((mul != y).sum())}")
    qcases.append({"scale": float(scale), "zero_point": zp, "type": typ,
                   "x": [float(v) for v in x], "y": [int(v) for v in y]})
    q = np.arange(lo, hi + 1).astype(np.int8 if typ == "int8" else np.uint8)
    dy = qmodel("DequantizeLinear", scale, zp, typ).run(None, {"x": q})[0]
    ref = (q.astype(np.int32) - zp).astype(np.float32) * scale
    print(f"DequantizeLinear s={scale} zp={zp} {typ}: mismatches vs float32((q-zp))*s = {int((ref != dy).sum())}")
    dcases.append({"scale": float(scale), "zero_point": zp, "type": typ,
                   "x": [int(v) for v in q], "y": [float(np.float32(v)) for v in dy]})
print("rules matching all QuantizeLinear cases:", rule_ok)
with open(os.path.join(FIX, "quantize_linear_cases.json"), "w") as f:
    json.dump({"opset": 13, "rounding_rule_matches": rule_ok, "cases": qcases}, f, separators=(",", ":"))
with open(os.path.join(FIX, "dequantize_linear_cases.json"), "w") as f:
    json.dump({"opset": 13, "cases": dcases}, f, separators=(",", ":"))

# ---------------------------------------------------------------- README
rd = ["# digits-mlp-int8: onnxruntime-quantized versions of the digits MLP", "",
      "Made by `python3 Examples/train/quantize_digits.py` (onnx 1.23, onnxruntime 1.32) from "
      "`../digits-mlp/model.onnx`. Calibration: rows 50..99 of `test.csv` (MinMax, the default); "
      "test inputs: rows 0..99 (`test.csv` here is a copy of those 100 rows: label, then 64 floats).", "",
      "- `model_qdq.onnx`: `quantize_static`, QDQ, per-tensor, activations QInt8, weights QInt8.",
      "- `model_qdq_perchannel.onnx`: same, `per_channel=True`.",
      "- `model_qdq_uint8.onnx`: QDQ, per-tensor, activations QUInt8, weights QInt8.",
      "- `model_qop.onnx`: QOperator format, per-tensor, QInt8 activations and weights.",
      "- `model_dynamic.onnx`: `quantize_dynamic`, QInt8 weights.", "",
      "Each `<stem>.json` holds `inputs`, `labels`, `outputs_noopt` (onnxruntime CPU with "
      "`ORT_DISABLE_ALL`), `outputs_default` (default session options), `accuracy_noopt`, "
      "`bitwise_equal_noopt_default` (fraction of rows whose 10 outputs are bit-identical) and, for "
      "the QDQ models, `input_quantizer` (scale / zero point / type of the QuantizeLinear on `input`). "
      "Floats are float32 values written as JSON doubles, so they round-trip exactly.", "",
      f"FP32 model accuracy on these 100 rows: {fp_acc:.2f}.", "",
      "| model | ops | accuracy (no-opt) | argmax agrees with FP32 | no-opt vs default bit-identical rows | max abs diff |",
      "|---|---|---|---|---|---|"]
for name, ops, acc, agree, bit, md, iq in summary:
    rd.append(f"| `{name}` | {', '.join(ops)} | {acc:.2f} | {agree:.2f} | {bit:.2f} | {md:.3g} |")
rd += ["", "Note: the static quantizer removes the Relu nodes (QDQ and QOperator models): each hidden "
       "activation is quantized with zero point -128 (int8) or 0 (uint8) from a calibrated range "
       "starting at 0, so the QuantizeLinear saturation performs the ReLU. The logits also pass "
       "through a final QuantizeLinear / DequantizeLinear pair. `quantize_dynamic` keeps Relu and "
       "rewrites each Gemm as DynamicQuantizeLinear + MatMulInteger + Cast + Mul + Add.",
       "", "QuantizeLinear in onnxruntime (see `Tests/BitBarrierImportTests/Fixtures/quantized/`) computes "
       "saturate(round_half_to_even(float32(x / scale)) + zero_point); multiplying by float32(1/scale) "
       "does not match.", "", "The optimised (default) session rewrites the QDQ models into QuantizeLinear -> QGemm x3 -> "
       "DequantizeLinear (integer kernels); on these 100 rows its outputs were nevertheless "
       "bit-identical to the unoptimised session, which runs each QuantizeLinear / DequantizeLinear "
       "/ float Gemm separately (see the table). `outputs_noopt` is the reference to reproduce.", ""]
open(os.path.join(OUT, "README.md"), "w").write("\n".join(rd))
