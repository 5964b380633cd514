#!/usr/bin/env python3
"""Times auto_LiRPA's IBP / CROWN margin bounds on an ONNX MNIST net, for a side-by-side
speed comparison with BitBarrier on the same machine.

Setup (matches ../shared/reference/auto_lirpa_*.json): the first N images of
mnist/eran_mnist_test.csv (label, 784 pixels 0..255, divided by 255, float32), the L-inf ball
of radius eps clipped to [0,1], specification C = margin matrix (logit_label - logit_j for every
j != label), intermediate bounds by the same method (method='IBP', or method='CROWN' i.e.
backward CROWN throughout), ReLU lower slope chosen adaptively (auto_LiRPA's default).
Only lower bounds are computed (bound_upper=False; --both computes upper bounds too).

For each image: one warm-up compute_bounds call, then one timed call; prints the min margin
lower bound and the time, then the median time and a final line `median_ms=<value>`.

Needs torch, onnx, onnx2torch, numpy and auto_LiRPA (0.7.1). Example:
  python Scripts/bench_autolirpa.py --net ../shared/benchmarks/vnncomp2021/mnistfc/mnist-net_256x2.onnx \
      --images 20 --eps 0.02 --method CROWN --threads 1
"""
import argparse
import csv
import os
import statistics
import time
import warnings

import numpy as np
import onnx
import torch
from onnx2torch import convert
from auto_LiRPA import BoundedModule, BoundedTensor, PerturbationLpNorm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.environ.get("BITBARRIER_BENCHMARKS",
                       os.path.join(os.path.dirname(ROOT), "shared", "benchmarks"))


def load_images(path, count):
    out = []
    with open(path) as f:
        for row in csv.reader(f):
            if not row:
                continue
            label = int(row[0])
            x = np.array([float(v) for v in row[1:]], dtype=np.float32) / np.float32(255)
            out.append((label, x))
            if len(out) == count:
                break
    return out


def input_shape(model):
    inits = {i.name for i in model.graph.initializer}
    inp = [i for i in model.graph.input if i.name not in inits][0]
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1
            for d in inp.type.tensor_type.shape.dim]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--net", required=True, help="ONNX file")
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--eps", type=float, default=0.02)
    ap.add_argument("--method", choices=["CROWN", "IBP"], default="CROWN")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--csv", default=os.path.join(BENCH, "mnist", "eran_mnist_test.csv"))
    ap.add_argument("--both", action="store_true", help="also compute upper bounds")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    onnx_model = onnx.load(args.net)
    shape = input_shape(onnx_model)
    net = convert(onnx_model).eval()
    images = load_images(args.csv, args.images)

    t0 = time.perf_counter()
    dummy = torch.zeros(shape, dtype=torch.float32)
    bounded = BoundedModule(net, dummy, device="cpu", verbose=False)
    build_s = time.perf_counter() - t0
    print(f"auto_LiRPA {__import__('auto_LiRPA').__version__}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, net {os.path.basename(args.net)}, "
          f"method {args.method}, eps {args.eps}, build {build_s:.2f} s")

    times, margins = [], []
    for idx, (label, xv) in enumerate(images):
        x = torch.from_numpy(xv).reshape(shape)
        with torch.no_grad():
            logits = net(x).reshape(-1)
        n_out = logits.numel()
        others = [j for j in range(n_out) if j != label]
        C = torch.zeros(1, n_out - 1, n_out)
        for r, j in enumerate(others):
            C[0, r, label] = 1.0
            C[0, r, j] = -1.0
        lo = torch.clamp(x - args.eps, 0.0, 1.0)
        hi = torch.clamp(x + args.eps, 0.0, 1.0)
        ptb = PerturbationLpNorm(norm=float("inf"), eps=args.eps, x_L=lo, x_U=hi)
        bx = BoundedTensor(x, ptb)

        def run():
            return bounded.compute_bounds(x=(bx,), C=C, method=args.method,
                                          bound_lower=True, bound_upper=args.both)

        run()  # warm-up
        t = time.perf_counter()
        lb, _ = run()
        dt = time.perf_counter() - t
        m = float(lb.min())
        times.append(dt)
        margins.append(m)
        pred = int(logits.argmax())
        print(f"image {idx:3d} label {label} pred {pred} min_margin_lb {m: .8f} "
              f"time_ms {dt * 1e3:.3f}")
    med = statistics.median(times) * 1e3
    print(f"median {med:.3f} ms per bound over {len(times)} images "
          f"(mean {statistics.mean(times) * 1e3:.3f}, min {min(times) * 1e3:.3f}, "
          f"max {max(times) * 1e3:.3f})")
    print(f"median_ms={med:.4f}")


if __name__ == "__main__":
    main()
