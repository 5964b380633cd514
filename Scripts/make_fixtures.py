#!/usr/bin/env python3
"""Writes the hand-made fixture models of Tests/BitBarrierImportTests/Fixtures/models.

Valid models get onnxruntime reference outputs next to them (<name>.json, same format as
make_references.py); bad-input models have none. Needs: onnx, onnxruntime, numpy.
"""
import hashlib, json, os
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(os.path.dirname(ROOT), "shared", "benchmarks")
OUT = os.path.join(ROOT, "Tests", "BitBarrierImportTests", "Fixtures", "models")
rng = np.random.default_rng(7)


def w(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def save(model, name, reference=True, check=True):
    if check:
        onnx.checker.check_model(model)
    path = os.path.join(OUT, name)
    onnx.save(model, path)
    if not reference:
        return
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    xs = [rng.uniform(-1, 1, size=shape).astype(np.float32) for _ in range(5)]
    ys = [sess.run(None, {inp.name: x})[0].reshape(-1) for x in xs]
    rec = {"model": name, "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
           "input_name": inp.name, "input_shape": shape,
           "inputs": [[float(v) for v in x.reshape(-1)] for x in xs],
           "outputs": [[float(v) for v in y] for y in ys]}
    json.dump(rec, open(path[:-5] + ".json" if name.endswith(".onnx") else path + ".json", "w"), separators=(",", ":"))


def model(nodes, inits, inp, out, opset, name="g"):
    g = helper.make_graph(nodes, name, [inp], [out], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def zoo_conv():
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        n("BatchNormalization", ["c1", "g", "beta", "mean", "var"], ["bn"], epsilon=1e-3),
        n("Relu", ["bn"], ["r1"]),
        n("Conv", ["r1", "w2"], ["c2"], kernel_shape=[3, 3], strides=[2, 2], dilations=[1, 1], group=2, pads=[0, 0, 1, 1]),
        n("Sigmoid", ["c2"], ["s"]),
        n("MaxPool", ["s"], ["mp"], kernel_shape=[2, 2], strides=[1, 1], ceil_mode=0),
        n("AveragePool", ["mp"], ["ap"], kernel_shape=[2, 2], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=0),
        n("Flatten", ["ap"], ["f"]),
        n("Gemm", ["f", "w3", "b3"], ["h"], transB=1),
        n("Tanh", ["h"], ["t"]),
        n("Gemm", ["t", "w4", "b4"], ["y"]),
    ]
    inits = [init("w1", w(4, 2, 3, 3)), init("b1", w(4)), init("g", np.abs(w(4)) + 0.5), init("beta", w(4)),
             init("mean", w(4, scale=0.1)), init("var", np.abs(w(4)) + 0.5), init("w2", w(4, 2, 3, 3)),
             init("w3", w(12, 4 * 4 * 4, scale=0.3)), init("b3", w(12)), init("w4", w(12, 5)), init("b4", w(5))]
    save(model(nodes, inits, tensor("x", [1, 2, 8, 8]), tensor("y", [1, 5]), 13), "zoo_conv.onnx")


def zoo_residual():
    n = helper.make_node
    nodes = [
        n("Gemm", ["x", "w1", "b1"], ["h"]),
        n("Relu", ["h"], ["r"]),
        n("Gemm", ["r", "w2", "b2"], ["a"]),
        n("Relu", ["a"], ["ar"]),
        n("Identity", ["r"], ["skip"]),
        n("Add", ["ar", "skip"], ["sum"]),
        n("Mul", ["sum", "scale"], ["m"]),
        n("Constant", [], ["divisor"], value=numpy_helper.from_array(np.array(1.5, dtype=np.float32))),
        n("Div", ["m", "divisor"], ["d"]),
        n("Sub", ["d", "shift"], ["s"]),
        n("Gemm", ["x", "w3", "b3"], ["side"]),
        n("Concat", ["s", "side"], ["cat"], axis=1),
        n("Dropout", ["cat"], ["drop"]),
        n("Reshape", ["drop", "shape"], ["rs"]),
        n("Transpose", ["rs"], ["tr"], perm=[0, 2, 1]),
        n("Flatten", ["tr"], ["fl"]),
        n("MatMul", ["fl", "w4"], ["mm"]),
        n("Add", ["mm", "b4"], ["y"]),
    ]
    inits = [init("w1", w(6, 8)), init("b1", w(8)), init("w2", w(8, 8)), init("b2", w(8)), init("scale", w(8)),
             init("shift", w(1, 8)), init("w3", w(6, 4)), init("b3", w(4)), init("shape", np.array([1, 2, 6], dtype=np.int64)),
             init("w4", w(12, 3)), init("b4", w(3))]
    save(model(nodes, inits, tensor("x", [1, 6]), tensor("y", [1, 3]), 17), "zoo_residual.onnx")


def zoo_pad_dilated():
    n = helper.make_node
    nodes = [
        n("Pad", ["x", "pads"], ["p"], mode="constant"),
        n("Conv", ["p", "w1", "b1"], ["c"], kernel_shape=[3, 3], dilations=[2, 2], strides=[2, 1]),
        n("Relu", ["c"], ["r"]),
        n("AveragePool", ["r"], ["ap"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1),
        n("Flatten", ["ap"], ["f"]),
        n("Gemm", ["f", "w2", "b2"], ["y"]),
    ]
    m = model(nodes, [init("pads", np.array([0, 0, 1, 2, 0, 0, 2, 1], dtype=np.int64)), init("w1", w(3, 1, 3, 3)), init("b1", w(3))],
              tensor("x", [1, 1, 10, 10]), tensor("y", [1, 4]), 11)
    # Output of conv: H=(10+3-5)/2+1=5, W=(10+3-5)/1+1=9; pool -> 3x5; 3*3*5=45
    m.graph.initializer.extend([init("w2", w(45, 4, scale=0.2)), init("b2", w(4))])
    save(m, "zoo_pad_dilated.onnx")


def float_data():
    n = helper.make_node
    w1, b1, w2 = w(4, 6), w(6), w(6, 3)
    inits = [helper.make_tensor("w1", TensorProto.FLOAT, [4, 6], w1.reshape(-1).tolist()),
             helper.make_tensor("b1", TensorProto.FLOAT, [6], b1.tolist()),
             helper.make_tensor("w2", TensorProto.FLOAT, [6, 3], w2.reshape(-1).tolist()),
             helper.make_tensor("b2", TensorProto.FLOAT, [3], w(3).tolist())]
    nodes = [n("Gemm", ["x", "w1", "b1"], ["h"]), n("Relu", ["h"], ["r"]), n("Gemm", ["r", "w2", "b2"], ["y"])]
    save(model(nodes, inits, tensor("x", [1, 4]), tensor("y", [1, 3]), 7), "float_data.onnx")


def opset21():
    n = helper.make_node
    nodes = [n("MatMul", ["x", "w1"], ["h"]), n("Add", ["h", "b1"], ["ha"]), n("Relu", ["ha"], ["r"]),
             n("MatMul", ["r", "w2"], ["y"])]
    save(model(nodes, [init("w1", w(5, 7)), init("b1", w(7)), init("w2", w(7, 2))], tensor("x", [1, 5]), tensor("y", [1, 2]), 21),
         "opset21_mlp.onnx")


def bad_models():
    n = helper.make_node
    data = open(os.path.join(OUT, "zoo_residual.onnx"), "rb").read()
    open(os.path.join(OUT, "truncated.onnx"), "wb").write(data[: int(len(data) * 0.6)])
    open(os.path.join(OUT, "not_a_model.onnx"), "wb").write(b"This is a text file, not an ONNX model.\n")
    m = model([n("Gemm", ["x", "w", "b"], ["h"]), n("Softsign", ["h"], ["y"], name="mystery_node")],
              [init("w", w(4, 3)), init("b", w(3))], tensor("x", [1, 4]), tensor("y", [1, 3]), 13)
    save(m, "unsupported_op.onnx", reference=False)
    m = model([n("Gemm", ["x", "nowhere", "b"], ["y"], name="gemm_missing")], [init("b", w(3))],
              tensor("x", [1, 4]), tensor("y", [1, 3]), 13)
    save(m, "missing_initializer.onnx", reference=False, check=False)
    bad = w(4, 3); bad[1, 2] = np.nan
    m = model([n("Gemm", ["x", "w", "b"], ["y"], name="gemm_nan")], [init("w", bad), init("b", w(3))],
              tensor("x", [1, 4]), tensor("y", [1, 3]), 13)
    save(m, "nan_weight.onnx", reference=False)
    m = model([n("Gemm", ["x", "w"], ["y"], transB=1, name="gemm_shape")], [init("w", w(3, 4))],
              tensor("x", [1, 5]), tensor("y", [1, 3]), 13)
    save(m, "shape_mismatch.onnx", reference=False, check=False)
    empty = helper.make_model(helper.make_graph([], "empty", [], []))
    onnx.save(empty, os.path.join(OUT, "empty_graph.onnx"))


# The original ACAS Xu .nnet normalisation constants (Reluplex/NNet, same for all 45 nets):
# raw input domain and (mean, range) per input; output mean/range last.
ACAS_MINS = [0.0, -3.141593, -3.141593, 100.0, 0.0]
ACAS_MAXS = [60760.0, 3.141593, 3.141593, 1200.0, 1200.0]
ACAS_MEANS = [19791.091, 0.0, 0.0, 650.0, 600.0, 7.5188840201005975]
ACAS_RANGES = [60261.0, 6.28318530718, 6.28318530718, 1100.0, 1200.0, 373.94992]


def acas_nnet():
    """ACAS Xu 1_1 as .nnet. The ONNX graph is Sub(input, input_AvgImg = 0) -> Flatten ->
    6 x (MatMul, Add, Relu) -> MatMul, Add: it takes *normalised* inputs and returns
    *normalised* outputs (as the VNN-COMP specs are written). So the .nnet gets means 0 and
    ranges 1 (the reader's normalisation is the identity) and min/max = the normalised ACAS
    domain; the same raw vector fed to both gives the same outputs."""
    src = os.path.join(BENCH, "vnncomp2021", "acasxu", "ACASXU_run2a_1_1_batch_2000.onnx")
    m = onnx.load(src)
    ops = [nd.op_type for nd in m.graph.node]
    assert ops == ["Sub", "Flatten"] + ["MatMul", "Add", "Relu"] * 6 + ["MatMul", "Add"], ops
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    weights = [inits[nd.input[1]] for nd in m.graph.node if nd.op_type == "MatMul"]
    biases = [inits[nd.input[1]] for nd in m.graph.node if nd.op_type == "Add"]
    assert not inits["input_AvgImg"].any(), "the ONNX graph subtracts a nonzero image"
    sizes = [weights[0].shape[0]] + [wt.shape[1] for wt in weights]
    nmin = [(lo - mu) / r for lo, mu, r in zip(ACAS_MINS, ACAS_MEANS, ACAS_RANGES)]
    nmax = [(hi - mu) / r for hi, mu, r in zip(ACAS_MAXS, ACAS_MEANS, ACAS_RANGES)]
    fmt = lambda vs: ",".join(repr(float(v)) for v in vs) + ","
    lines = ["// ACAS Xu network 1_1 (run2a), converted from vnncomp2021/acasxu/ACASXU_run2a_1_1_batch_2000.onnx by Scripts/make_fixtures.py.",
             "// The ONNX graph takes already-normalised inputs (Sub of an all-zero input_AvgImg) and returns normalised outputs,",
             "// so means are 0 and ranges 1 (identity normalisation); min/max are the original ACAS domain in normalised units.",
             "// Weights and biases are the float32 ONNX values written exactly (repr of the float32 as a double).",
             f"{len(weights)},{sizes[0]},{sizes[-1]},{max(sizes)},", ",".join(map(str, sizes)) + ",", "0,",
             fmt(nmin), fmt(nmax), fmt([0.0] * 6), fmt([1.0] * 6)]
    for wt, b in zip(weights, biases):
        for row in wt.T:
            lines.append(fmt(row))
        lines += [repr(float(v)) + "," for v in b.reshape(-1)]
    out_path = os.path.join(OUT, "ACASXU_run2a_1_1.nnet")
    open(out_path, "w").write("\n".join(lines) + "\n")
    # The same 6 inputs as the ONNX reference written by make_references.py.
    ref_path = os.path.join(os.path.dirname(OUT), "references", "ACASXU_run2a_1_1_batch_2000.json")
    ref = json.load(open(ref_path))
    xs = [np.array(x, dtype=np.float32) for x in ref["inputs"]]
    sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    ys = [sess.run(None, {"input": x.reshape(1, 1, 1, 5)})[0].reshape(-1) for x in xs]
    assert all(np.array_equal(np.float32(a), np.float32(b)) for y, r in zip(ys, ref["outputs"]) for a, b in zip(y, r))
    # Self-check: evaluate the written .nnet with (x - mean)/range normalisation in float64.
    nums = [float(v) for ln in open(out_path) if not ln.startswith("//") for v in ln.strip().rstrip(",").split(",")]
    pos = 4 + len(sizes) + 1 + 2 * 5 + 2 * 6
    for x, y in zip(xs, ys):
        h = (x.astype(np.float64) - 0.0) / 1.0
        for k in range(len(sizes) - 1):
            a, b = sizes[k], sizes[k + 1]
            W = np.array(nums[pos:pos + a * b]).reshape(b, a); pos_b = pos + a * b
            h = W @ h + np.array(nums[pos_b:pos_b + b]); pos = pos_b + b
            if k < len(sizes) - 2:
                h = np.maximum(h, 0)
        pos = 4 + len(sizes) + 1 + 2 * 5 + 2 * 6
        assert np.allclose(h, y, rtol=1e-5, atol=1e-6), (h, y)
    rec = {"model": "ACASXU_run2a_1_1.nnet", "sha256": hashlib.sha256(open(out_path, "rb").read()).hexdigest(),
           "input_name": "input", "input_shape": [1, 5],
           "inputs": [[float(v) for v in x] for x in xs], "outputs": [[float(v) for v in y] for y in ys]}
    json.dump(rec, open(os.path.join(OUT, "ACASXU_run2a_1_1.nnet.json"), "w"), separators=(",", ":"))


QOUT = os.path.join(os.path.dirname(OUT), "quantized")


def quantized_reference(path, xs):
    """onnxruntime outputs with graph optimisations disabled and with the default session, in the
    format of Examples/digits-*/model_*.json (inputs, outputs_noopt, outputs_default)."""
    def run(level):
        so = ort.SessionOptions()
        so.graph_optimization_level = level
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        return [sess.run(None, {name: x})[0].reshape(-1) for x in xs]
    noopt, default = run(ort.GraphOptimizationLevel.ORT_DISABLE_ALL), run(ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    rec = {"model": os.path.basename(path), "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
           "input_shape": list(xs[0].shape), "inputs": [[float(v) for v in x.reshape(-1)] for x in xs],
           "outputs_noopt": [[float(v) for v in y] for y in noopt], "outputs_default": [[float(v) for v in y] for y in default]}
    json.dump(rec, open(path[:-5] + ".json", "w"), separators=(",", ":"))


def quantized_fixtures():
    """int8 operators missing from the Examples models: ConvInteger (quantize_dynamic on a small
    conv net) and QLinearAdd (quantize_static QOperator on a residual net), plus two models that
    must be refused with the operator named."""
    import tempfile
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)
    os.makedirs(QOUT, exist_ok=True)
    n = helper.make_node
    tmp = tempfile.mkdtemp()
    xs = [rng.uniform(0, 1, size=(1, 2, 6, 6)).astype(np.float32) for _ in range(40)]

    # ConvInteger: Conv -> Relu -> Conv -> Flatten, dynamic quantization of the Convs (no float
    # MatMul after them: its float32 summation order is not ours to match bit for bit).
    nodes = [n("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             n("Relu", ["c1"], ["r1"]),
             n("Conv", ["r1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], strides=[2, 2]),
             n("Flatten", ["c2"], ["y"])]
    inits = [init("w1", w(4, 2, 3, 3)), init("b1", w(4)), init("w2", w(3, 4, 3, 3)), init("b2", w(3))]
    fp = os.path.join(tmp, "conv.onnx")
    onnx.save(model(nodes, inits, tensor("x", [1, 2, 6, 6]), tensor("y", [1, 12]), 13), fp)
    out = os.path.join(QOUT, "dynamic_conv.onnx")
    quantize_dynamic(fp, out, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"])
    quantized_reference(out, xs)

    # QLinearAdd: Conv -> Relu -> Conv, + skip, -> Relu -> Flatten -> Gemm, static QOperator.
    nodes = [n("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             n("Relu", ["c1"], ["r1"]),
             n("Conv", ["r1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             n("Add", ["c2", "c1"], ["s"]),
             n("Relu", ["s"], ["r2"]),
             n("Flatten", ["r2"], ["f"]),
             n("Gemm", ["f", "w3", "b3"], ["y"], transB=1)]
    inits = [init("w1", w(3, 2, 3, 3)), init("b1", w(3)), init("w2", w(3, 3, 3, 3)), init("b2", w(3)),
             init("w3", w(4, 3 * 6 * 6, scale=0.2)), init("b3", w(4))]
    fp = os.path.join(tmp, "residual.onnx")
    onnx.save(model(nodes, inits, tensor("x", [1, 2, 6, 6]), tensor("y", [1, 4]), 13), fp)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"x": x} for x in xs[20:]])

        def get_next(self):
            return next(self.it, None)
    out = os.path.join(QOUT, "qop_residual.onnx")
    quantize_static(fp, out, Reader(), quant_format=QuantFormat.QOperator, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8)
    quantized_reference(out, xs)

    # Refused: an onnxruntime contrib op BitBarrier does not model, and DynamicQuantizeLinear
    # feeding a DequantizeLinear (outside quantize_dynamic's pattern).
    g = helper.make_graph(
        [n("QuantizeLinear", ["x", "s", "z"], ["q"]),
         n("QLinearSigmoid", ["q", "s", "z", "s", "z"], ["qs"], domain="com.microsoft"),
         n("DequantizeLinear", ["qs", "s", "z"], ["y"])], "g", [tensor("x", [1, 4])], [tensor("y", [1, 4])],
        [init("s", np.float32(0.05)), init("z", np.int8(0))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    onnx.save(m, os.path.join(QOUT, "unsupported_qlinear_sigmoid.onnx"))
    g = helper.make_graph(
        [n("DynamicQuantizeLinear", ["x"], ["q", "s", "z"]), n("DequantizeLinear", ["q", "s", "z"], ["y"])],
        "g", [tensor("x", [1, 4])], [tensor("y", [1, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(QOUT, "unsupported_dynamic_use.onnx"))


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--quantized"]:
        quantized_fixtures()
        print("wrote", sorted(os.listdir(QOUT)))
        sys.exit(0)
    os.makedirs(OUT, exist_ok=True)
    zoo_conv(); zoo_residual(); zoo_pad_dilated(); float_data(); opset21(); bad_models(); acas_nnet()
    quantized_fixtures()
    print("wrote", sorted(os.listdir(OUT)))
