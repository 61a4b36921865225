"""Measure what higher-order and forward/reverse-mode derivatives cost; print markdown tables.

Chapter 07 quotes these tables. Three questions, each answered by measurement:

1. Why does a second derivative cost more than a first? For tanh MLPs of growing depth: the number of
   autograd nodes of the loss and of the first derivative's own graph (built with create_graph=True),
   and the time of the loss, of its gradient, and of a Hessian-vector product (the grad of grad . v).
2. What does a full Hessian cost? Gradient vs torch.func.hessian for f: R^n -> R as n grows.
3. Forward or reverse mode? jvp/vjp and jacfwd/jacrev for a tall Jacobian (few inputs, many outputs)
   and a wide one (many inputs, few outputs).

Times are medians: each figure is the median of ``--repeats`` timings, and the whole sweep runs
``--rounds`` times so that the printed figure is the median over rounds (the machine may be shared).

    python benchmarks/higher_order.py [--threads 1] [--repeats 21] [--rounds 5] [--device cuda]
"""
import argparse
import datetime
import os
import platform
import statistics
import time

import torch
from torch.func import hessian, jacfwd, jacrev, jvp, vjp

DEVICE = torch.device("cpu")  # set from --device in main()


def count_nodes(tensor):
    """Number of autograd nodes reachable from ``tensor.grad_fn`` (AccumulateGrad leaves included)."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


def synchronize():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()  # GPU kernels run asynchronously: wait for them around each timing


def median_ms(function, repeats):
    """Median wall time of ``function()`` in milliseconds, after two warm-up calls."""
    function(), function()
    samples = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        function()
        synchronize()
        samples.append(time.perf_counter() - start)
    return 1000 * statistics.median(samples)


def make_mlp(depth, width, inputs, outputs, seed=0):
    """Weights of a tanh MLP with ``depth`` hidden layers, drawn from a fixed seed."""
    torch.manual_seed(seed)
    sizes = [inputs] + [width] * depth + [outputs]
    return [(torch.randn(m, n, device=DEVICE) / n ** 0.5).requires_grad_() for n, m in zip(sizes, sizes[1:])]


def mlp(weights, x):
    for weight in weights[:-1]:
        x = torch.tanh(x @ weight.T)
    return x @ weights[-1].T


def depth_sweep(depths, width, batch, repeats):
    """Rows (depth, parameters, nodes of loss, nodes of gradient graph, ms loss, ms grad, ms HVP)."""
    rows = []
    for depth in depths:
        weights = make_mlp(depth, width, width, 1)
        torch.manual_seed(1)
        x = torch.randn(batch, width, device=DEVICE)
        vectors = [torch.randn_like(w) for w in weights]

        def loss():
            return mlp(weights, x).pow(2).mean()

        def gradient():
            return torch.autograd.grad(loss(), weights)

        def hvp():
            grads = torch.autograd.grad(loss(), weights, create_graph=True)
            dot = sum((g * v).sum() for g, v in zip(grads, vectors))
            return torch.autograd.grad(dot, weights)

        grads = torch.autograd.grad(loss(), weights, create_graph=True)
        dot = sum((g * v).sum() for g, v in zip(grads, vectors))
        rows.append((depth, sum(w.numel() for w in weights), count_nodes(loss()), count_nodes(dot),
                     median_ms(loss, repeats), median_ms(gradient, repeats), median_ms(hvp, repeats)))
    return rows


def hessian_sweep(sizes, repeats):
    """Rows (n, ms gradient, ms full Hessian) for f(x) = sum(tanh(W2 tanh(W1 x))), x in R^n."""
    rows = []
    for n in sizes:
        torch.manual_seed(2)
        w1, w2 = torch.randn(64, n, device=DEVICE) / n ** 0.5, torch.randn(64, 64, device=DEVICE) / 8

        def f(x):
            return torch.tanh(w2 @ torch.tanh(w1 @ x)).sum()

        x = torch.randn(n, device=DEVICE)
        rows.append((n, median_ms(lambda: torch.func.grad(f)(x), repeats),
                     median_ms(lambda: hessian(f)(x), repeats)))
    return rows


def mode_sweep(shapes, repeats):
    """Rows (inputs, outputs, ms jvp, ms vjp, ms jacfwd, ms jacrev) for a two-layer tanh map R^n -> R^m."""
    rows = []
    for n, m in shapes:
        torch.manual_seed(3)
        w1, w2 = torch.randn(256, n, device=DEVICE) / n ** 0.5, torch.randn(m, 256, device=DEVICE) / 16

        def f(x):
            return w2 @ torch.tanh(w1 @ x)

        x, tangent, cotangent = (torch.randn(k, device=DEVICE) for k in (n, n, m))
        rows.append((n, m, median_ms(lambda: jvp(f, (x,), (tangent,)), repeats),
                     median_ms(lambda: vjp(f, x)[1](cotangent), repeats),
                     median_ms(lambda: jacfwd(f)(x), repeats), median_ms(lambda: jacrev(f)(x), repeats)))
    return rows


def median_rows(rounds):
    """Element-wise median over rounds of identical-shaped row lists (counts are equal in every round)."""
    return [tuple(statistics.median(values) for values in zip(*cells)) for cells in zip(*rounds)]


def device_name():
    if DEVICE.type == "cuda":
        return torch.cuda.get_device_name(DEVICE)
    try:  # the CPU
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    torch.set_num_threads(args.threads)

    depth, hess, mode = [], [], []
    for _ in range(args.rounds):
        depth.append(depth_sweep([1, 2, 4, 8, 16], width=128, batch=256, repeats=args.repeats))
        hess.append(hessian_sweep([16, 64, 256, 1024], repeats=args.repeats))
        mode.append(mode_sweep([(8, 2048), (2048, 8)], repeats=args.repeats))

    print(f"{datetime.date.today()} · {device_name()} · {os.cpu_count()} CPU core(s), "
          f"{torch.get_num_threads()} thread(s) · torch {torch.__version__} · device {DEVICE.type} · median of {args.repeats} repeats, median of "
          f"{args.rounds} rounds")
    print("\n| depth | parameters | nodes: loss | nodes: gradient graph | loss ms | gradient ms | HVP ms "
          "| gradient/loss | HVP/gradient |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for d, p, nl, ng, tl, tg, th in median_rows(depth):
        print(f"| {d:.0f} | {p:.0f} | {nl:.0f} | {ng:.0f} | {tl:.3f} | {tg:.3f} | {th:.3f} "
              f"| {tg / tl:.1f} | {th / tg:.1f} |")
    print("\n| n | gradient ms | Hessian ms | Hessian/gradient |\n|---:|---:|---:|---:|")
    for n, tg, th in median_rows(hess):
        print(f"| {n:.0f} | {tg:.3f} | {th:.3f} | {th / tg:.0f} |")
    print("\n| inputs n | outputs m | jvp ms | vjp ms | jacfwd ms | jacrev ms | jacfwd/jacrev |"
          "\n|---:|---:|---:|---:|---:|---:|---:|")
    for n, m, tj, tv, tf, tr in median_rows(mode):
        print(f"| {n:.0f} | {m:.0f} | {tj:.3f} | {tv:.3f} | {tf:.3f} | {tr:.3f} | {tf / tr:.2f} |")


if __name__ == "__main__":
    main()
