#!/usr/bin/env python3
"""Writes the hand-made fixture models of Tests/BitBarrierImportTests/Fixtures/models.

Valid models get onnxruntime reference outputs next to them (<name>.json, same format as
make_references.py); bad-input models have none. Needs: onnx, onnxruntime, numpy.
"""
import json, os
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
    rec = {"model": name, "input_name": inp.name, "input_shape": shape,
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
        n("Conv", ["r1", "w2"], ["c2"], kernel_shape=[3, 3], strides=[2, 2], group=2, pads=[0, 0, 1, 1]),
        n("Sigmoid", ["c2"], ["s"]),
        n("MaxPool", ["s"], ["mp"], kernel_shape=[2, 2], strides=[1, 1]),
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


def acas_nnet():
    src = os.path.join(BENCH, "vnncomp2021", "acasxu", "ACASXU_run2a_1_1_batch_2000.onnx")
    m = onnx.load(src)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    weights = [inits[k] for k in sorted((k for k in inits if k.endswith("MatMul_W")), key=lambda s: int(s.split("_")[1]))]
    biases = [inits[k] for k in sorted((k for k in inits if k.endswith("Add_B")), key=lambda s: int(s.split("_")[1]))]
    assert not inits["input_AvgImg"].any(), "the ONNX graph subtracts a nonzero image"
    sizes = [weights[0].shape[0]] + [wt.shape[1] for wt in weights]
    lines = ["// ACAS Xu network 1_1 converted from ACASXU_run2a_1_1_batch_2000.onnx by Scripts/make_fixtures.py.",
             "// The ONNX graph takes normalised inputs (it subtracts a zero image), so means are 0 and ranges 1.",
             f"{len(weights)},{sizes[0]},{sizes[-1]},{max(sizes)},", ",".join(map(str, sizes)) + ",", "0,",
             ",".join(["-1e9"] * 5) + ",", ",".join(["1e9"] * 5) + ",", ",".join(["0.0"] * 6) + ",", ",".join(["1.0"] * 6) + ","]
    for wt, b in zip(weights, biases):
        for row in wt.T:
            lines.append(",".join(repr(float(v)) for v in row) + ",")
        lines += [repr(float(v)) + "," for v in b.reshape(-1)]
    open(os.path.join(OUT, "ACASXU_run2a_1_1.nnet"), "w").write("\n".join(lines) + "\n")
    sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    xs = [rng.uniform(-0.5, 0.5, size=(1, 1, 1, 5)).astype(np.float32) for _ in range(6)]
    rec = {"model": "ACASXU_run2a_1_1.nnet", "input_name": "input", "input_shape": [1, 5],
           "inputs": [[float(v) for v in x.reshape(-1)] for x in xs],
           "outputs": [[float(v) for v in sess.run(None, {"input": x})[0].reshape(-1)] for x in xs]}
    json.dump(rec, open(os.path.join(OUT, "ACASXU_run2a_1_1.nnet.json"), "w"), separators=(",", ":"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    zoo_conv(); zoo_residual(); zoo_pad_dilated(); float_data(); opset21(); bad_models(); acas_nnet()
    print("wrote", sorted(os.listdir(OUT)))
