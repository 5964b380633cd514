#!/usr/bin/env python3
"""Trains the bundled example: a small ReLU MLP on scikit-learn's digits (8x8, values 0..16).

Writes Examples/digits-mlp/{model.onnx, test.csv, expected.json}. Needs scikit-learn, onnx,
onnxruntime, numpy (never needed by the tests, which use the committed files).
"""
import json, os
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "digits-mlp")

x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype(np.float32)
xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
clf = MLPClassifier(hidden_layer_sizes=(32, 16), activation="relu", max_iter=800, random_state=0, alpha=1e-3)
clf.fit(xtr, ytr)
print("sklearn test accuracy", clf.score(xte, yte))

nodes, inits, prev = [], [], "input"
for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
    inits += [numpy_helper.from_array(w.T.astype(np.float32), f"W{i}"), numpy_helper.from_array(b.astype(np.float32), f"B{i}")]
    out = "logits" if i == len(clf.coefs_) - 1 else f"h{i}"
    nodes.append(helper.make_node("Gemm", [prev, f"W{i}", f"B{i}"], [out], transB=1, name=f"dense{i}"))
    if out != "logits":
        nodes.append(helper.make_node("Relu", [out], [f"r{i}"], name=f"relu{i}"))
        prev = f"r{i}"
graph = helper.make_graph(nodes, "digits_mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 64])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
os.makedirs(OUT, exist_ok=True)
onnx.save(model, os.path.join(OUT, "model.onnx"))

rows = xte[:100]
labels = yte[:100]
with open(os.path.join(OUT, "test.csv"), "w") as f:
    for lab, r in zip(labels, rows):
        f.write(str(int(lab)) + "," + ",".join(repr(float(v)) for v in r) + "\n")
sess = ort.InferenceSession(os.path.join(OUT, "model.onnx"), providers=["CPUExecutionProvider"])
outs = [sess.run(None, {"input": r.reshape(1, 64)})[0].reshape(-1) for r in rows]
pred = [int(np.argmax(o)) for o in outs]
acc = float(np.mean(np.array(pred) == labels))
json.dump({"accuracy": acc, "predicted": pred, "outputs": [[float(v) for v in o] for o in outs]},
          open(os.path.join(OUT, "expected.json"), "w"), separators=(",", ":"))
print("onnxruntime accuracy on the 100 committed rows", acc)
