#!/usr/bin/env python3
"""Trains a tiny CNN on scikit-learn's digits (8x8, values 0..16 scaled to [0, 1]) and quantizes it.

Writes Examples/digits-cnn/{model, model_qdq, model_qdq_perchannel, model_qop}.onnx, one <stem>.json
reference per model (same format as Examples/digits-mlp-int8/*.json), test.csv and README.md.
Test set: the same 100 rows as Examples/digits-mlp/test.csv (train_test_split(test_size=0.3,
random_state=0, stratify=y), first 100 test rows), as [1, 1, 8, 8] images. Calibration: rows 50..99.
Needs torch (CPU), scikit-learn, onnx, onnxruntime, numpy. Deterministic (fixed seeds).
"""
import json, os, random
import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Examples", "digits-cnn")
MLP_CSV = os.path.join(ROOT, "Examples", "digits-mlp", "test.csv")
FP32 = os.path.join(OUT, "model.onnx")
SHAPE = [1, 1, 8, 8]

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)

# ---------------------------------------------------------------- data
x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype(np.float32)
xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)

lines = open(MLP_CSV).read().splitlines()[:100]
data = np.array([[float(v) for v in l.split(",")] for l in lines])
labels = data[:, 0].astype(int).tolist()
inputs = data[:, 1:].astype(np.float32)
assert np.array_equal(inputs, xte[:100]) and labels == [int(v) for v in yte[:100]], "split differs from test.csv"
calib = inputs[50:100]


# ---------------------------------------------------------------- model + training
class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, t):
        return self.net(t)


model = DigitsCNN()
EPOCHS, BATCH, LR = 30, 32, 1e-2
opt = torch.optim.Adam(model.parameters(), lr=LR)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=EPOCHS * ((len(xtr) + BATCH - 1) // BATCH))
xt = torch.from_numpy(xtr.reshape(-1, 1, 8, 8))
yt = torch.from_numpy(ytr.astype(np.int64))
xv = torch.from_numpy(xte.reshape(-1, 1, 8, 8))
gen = torch.Generator().manual_seed(0)
for epoch in range(EPOCHS):
    model.train()
    perm = torch.randperm(len(xt), generator=gen)
    for i in range(0, len(xt), BATCH):
        idx = perm[i:i + BATCH]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        sched.step()
    if epoch % 5 == 4 or epoch == EPOCHS - 1:
        model.eval()
        with torch.no_grad():
            acc = float((model(xv).argmax(1).numpy() == yte).mean())
        print(f"epoch {epoch + 1} loss {loss.item():.4f} full test accuracy {acc:.4f}")
model.eval()
with torch.no_grad():
    torch_full_acc = float((model(xv).argmax(1).numpy() == yte).mean())

# ---------------------------------------------------------------- ONNX export
os.makedirs(OUT, exist_ok=True)
torch.onnx.export(model, (torch.zeros(SHAPE),), FP32, input_names=["input"], output_names=["logits"],
                  opset_version=13, do_constant_folding=True, dynamo=False)
m = onnx.load(FP32)
onnx.checker.check_model(m, full_check=True)


# ---------------------------------------------------------------- quantization
class Reader(CalibrationDataReader):
    def __init__(self):
        self.it = iter([{"input": r.reshape(SHAPE)} for r in calib])

    def get_next(self):
        return next(self.it, None)


def static(name, fmt, per_channel):
    path = os.path.join(OUT, name)
    quantize_static(FP32, path, Reader(), quant_format=fmt, per_channel=per_channel,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    onnx.checker.check_model(onnx.load(path))
    return path


def run(path, opt):
    so = ort.SessionOptions()
    if not opt:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return np.stack([s.run(None, {"input": r.reshape(SHAPE)})[0].reshape(-1) for r in inputs]).astype(np.float32)


def fl(a):
    return [[float(np.float32(v)) for v in row] for row in a]


def optimized_ops(path):
    so = ort.SessionOptions()
    so.optimized_model_filepath = path + ".opt.tmp"
    ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    mo = onnx.load(so.optimized_model_filepath)
    os.remove(so.optimized_model_filepath)
    return [(n.domain or "ai.onnx") + ":" + n.op_type for n in mo.graph.node]


models = [
    FP32,
    static("model_qdq.onnx", QuantFormat.QDQ, False),
    static("model_qdq_perchannel.onnx", QuantFormat.QDQ, True),
    static("model_qop.onnx", QuantFormat.QOperator, False),
]

fp = run(FP32, False)
fp_acc = float(np.mean(fp.argmax(1) == np.array(labels)))
print(f"torch accuracy on the full test split ({len(yte)} rows) {torch_full_acc:.4f}; fp32 ONNX on 100 rows {fp_acc}")
summary = []
for path in models:
    mm = onnx.load(path)
    ops = [(n.domain or "ai.onnx") + ":" + n.op_type for n in mm.graph.node]
    opt_ops = optimized_ops(path)
    print(os.path.basename(path), ops)
    print("  after default optimisation:", opt_ops)
    no, de = run(path, False), run(path, True)
    acc = float(np.mean(no.argmax(1) == np.array(labels)))
    bit = float(np.mean([no[i].tobytes() == de[i].tobytes() for i in range(len(no))]))
    agree_fp = float(np.mean(no.argmax(1) == fp.argmax(1)))
    maxdiff = float(np.max(np.abs(no - de)))
    ref = {"model": os.path.basename(path), "input_name": "input", "input_shape": SHAPE,
           "inputs": fl(inputs), "labels": labels, "outputs_noopt": fl(no), "outputs_default": fl(de),
           "accuracy_noopt": acc}
    iq = None
    if "qdq" in path:
        inits = {i.name: numpy_helper.to_array(i) for i in mm.graph.initializer}
        q = next(n for n in mm.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "input")
        zp = inits[q.input[2]]
        iq = {"scale": float(np.float32(inits[q.input[1]])), "zero_point": int(zp),
              "type": "int8" if zp.dtype == np.int8 else "uint8"}
        ref["input_quantizer"] = iq
    ref["bitwise_equal_noopt_default"] = bit
    stem = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(OUT, stem + ".json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"  accuracy {acc}  argmax agreement with fp32 {agree_fp}  bitwise noopt==default {bit}  max|diff| {maxdiff}")
    summary.append((os.path.basename(path), ops, opt_ops, acc, agree_fp, bit, maxdiff, iq))
    if path != FP32:
        out_scale = float(numpy_helper.to_array(next(i for i in mm.graph.initializer
                                                     if i.name == mm.graph.node[-1].input[1])))
        print(f"  output DequantizeLinear scale {out_scale}; max|diff| in steps {maxdiff / out_scale:.3f}")

with open(os.path.join(OUT, "test.csv"), "w") as f:
    f.write("\n".join(lines) + "\n")

# ---------------------------------------------------------------- README
rd = ["# digits-cnn: a tiny CNN on the digits data, FP32 and onnxruntime-quantized int8", "",
      f"Made by `python3 Examples/train/digits_cnn.py` (torch {torch.__version__.split('+')[0]}, onnx "
      f"{onnx.__version__}, onnxruntime {ort.__version__}). Data: scikit-learn's `load_digits`, pixels / 16 "
      "as float32 images `[N, 1, 8, 8]`, `train_test_split(test_size=0.3, random_state=0, stratify=y)` "
      "(the split of `../train/digits_mlp.py`). `test.csv` holds the first 100 test rows (label, then 64 "
      "floats in row-major 8x8 order) and is identical to `../digits-mlp/test.csv`; each row is fed as "
      "`[1, 1, 8, 8]`.", "",
      "Architecture (torch, fixed seeds, 30 epochs Adam with a one-cycle schedule, max lr 1e-2, batch 32): "
      "Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Conv2d(8, 16, 3, padding=1) -> ReLU -> "
      "AvgPool2d(2) -> Flatten -> Linear(64, 32) -> ReLU -> Linear(32, 10). "
      "Exported with `torch.onnx.export(..., opset_version=13, dynamo=False)`: input `input` "
      "`[1, 1, 8, 8]`, output `logits` `[1, 10]`, fixed batch 1.", "",
      "- `model.onnx`: FP32.",
      "- `model_qdq.onnx`: `quantize_static`, QDQ, per-tensor, activations QInt8, weights QInt8.",
      "- `model_qdq_perchannel.onnx`: same, `per_channel=True`.",
      "- `model_qop.onnx`: QOperator format, per-tensor, QInt8 activations and weights.", "",
      "Calibration: rows 50..99 of `test.csv` (MinMax, the default).", "",
      "Each `<stem>.json` has the format of `../digits-mlp-int8/*.json`: `inputs` (100 flattened rows), "
      "`labels`, `outputs_noopt` (onnxruntime CPU, `ORT_DISABLE_ALL`), `outputs_default` (default "
      "session options), `accuracy_noopt`, `bitwise_equal_noopt_default` (fraction of rows whose 10 "
      "outputs are bit-identical) and, for the QDQ models, `input_quantizer`. `input_shape` is "
      "`[1, 1, 8, 8]`. Floats are float32 values written as JSON doubles (exact round trip).", "",
      f"Torch accuracy on the full test split ({len(yte)} rows): {torch_full_acc:.4f}. "
      f"FP32 ONNX accuracy on the 100 rows: {fp_acc:.2f}.", "",
      "| model | accuracy (no-opt, 100 rows) | argmax agrees with FP32 | no-opt vs default bit-identical rows | max abs diff |",
      "|---|---|---|---|---|"]
for name, ops, opt_ops, acc, agree, bit, md, iq in summary:
    rd.append(f"| `{name}` | {acc:.2f} | {agree:.2f} | {bit:.2f} | {md:.3g} |")
rd += ["", "## Op lists (domain:op_type, graph order)", ""]
for name, ops, opt_ops, acc, agree, bit, md, iq in summary:
    rd.append(f"- `{name}`: {', '.join(ops)}")
    rd.append(f"  - after onnxruntime's default optimisation (CPU): {', '.join(opt_ops)}")
    if iq:
        rd.append(f"  - input quantizer: scale {iq['scale']!r}, zero point {iq['zero_point']}, {iq['type']}")


def scale_of(path, tensor):
    """Scale of the quantization of `tensor` (its QuantizeLinear in QDQ, `<tensor>_scale` in QOperator)."""
    mm = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in mm.graph.initializer}
    q = [n for n in mm.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == tensor]
    return float(inits[q[0].input[1]].item() if q else inits[tensor + "_scale"].item())


def logits_zero_point(path):
    mm = onnx.load(path)
    return int(next(numpy_helper.to_array(i) for i in mm.graph.initializer if i.name == mm.graph.node[-1].input[2]))


pool = "/net/net.5/AveragePool_output_0"
pool_in_qdq, pool_out_qdq = (scale_of(models[1], "/net/net.4/Relu_output_0"),
                             scale_of(models[1], pool))
pool_out_qop = scale_of(models[3], pool)
qdq_no = run(models[1], False)
qop_no = run(models[3], False)
qdq_vs_qop = float(np.mean([qdq_no[i].tobytes() == qop_no[i].tobytes() for i in range(len(qdq_no))]))
rd += ["", "## Notes", "",
       "- The static quantizer drops every Relu (QDQ and QOperator): each ReLU output is quantized "
       "with zero point -128 from a calibrated range starting at 0, so QuantizeLinear saturation does "
       "the ReLU. The logits go through a final QuantizeLinear / DequantizeLinear pair (zero point "
       f"{logits_zero_point(models[1])}, scale {scale_of(models[1], 'logits_QuantizeLinear_Input')!r}).",
       "- QDQ models: weights are int8 initializers, biases int32 initializers (scale = input scale x "
       "weight scale, zero point 0), each behind a DequantizeLinear; per-tensor bias scales are 1-D "
       "tensors of shape [1], not scalars. Per-channel: weight / bias DequantizeLinear with `axis=0` "
       "(Conv output channels, Gemm rows since `transB=1`). MaxPool, AveragePool and Flatten stay float "
       "ops between a DequantizeLinear and a QuantizeLinear that reuses the scale / zero point of "
       f"their input (AveragePool: {pool_in_qdq!r} in and out).",
       "- QOperator model: Conv -> `QLinearConv` (standard ONNX domain), MaxPool and Flatten run "
       "directly on int8 tensors (standard ops, opset 13 allows int8 MaxPool), AveragePool -> "
       "`com.microsoft:QLinearAveragePool`, Gemm -> `com.microsoft:QGemm`. Unlike QDQ, the "
       f"AveragePool output has its own calibrated scale ({pool_out_qop!r} vs {pool_out_qdq!r} in the "
       f"QDQ model), so QDQ and QOperator outputs differ: bit-identical rows (no-opt) {qdq_vs_qop:.2f}.",
       "- onnxruntime's default optimisation rewrites both QDQ models into the integer graph "
       "QuantizeLinear -> Transpose (NCHW->NHWC) -> QLinearConv -> NhwcMaxPool -> QLinearConv -> "
       "Transpose -> QLinearAveragePool -> Flatten -> QGemm x2 -> DequantizeLinear (com.microsoft "
       "kernels). Unlike the digits MLP, the result is NOT bit-identical to the unoptimised "
       "session (which runs DequantizeLinear / float Conv / Gemm / QuantizeLinear separately): "
       "rows differ by one output quantization step (max abs diff = the logits scale), i.e. the fused "
       "integer requantization rounds differently from float-compute-then-QuantizeLinear at some "
       "boundaries. `outputs_noopt` is the reference to reproduce. The QOperator model is already "
       "integer and its no-opt and default outputs agree bit for bit.",
       "- FP32 `model.onnx`: the default session uses NCHWc / FusedGemm kernels, so no-opt and "
       "default differ in the last float bits (see table).", ""]
open(os.path.join(OUT, "README.md"), "w").write("\n".join(rd))
