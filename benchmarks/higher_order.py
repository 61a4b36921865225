"""Measure what higher-order and forward/reverse-mode derivatives cost; print markdown tables and store them.

Chapter 07 states the ratios these figures show (and asserts them, in a loose band, from a small live run):

1. Why does a second derivative cost more than a first? For tanh MLPs of growing depth: the autograd nodes of
   the loss and of the first derivative's own graph (built with create_graph=True), and the time of the loss
   (forward), of its gradient (forward + backward) and of a Hessian-vector product (the grad of grad . v).
2. What does a full Hessian cost? torch.func.grad vs torch.func.hessian for f: R^n -> R as n grows.
3. Forward or reverse mode? f itself, one jvp, one vjp, jacfwd and jacrev for a tall Jacobian (few inputs,
   many outputs) and a wide one (many inputs, few outputs).

The functions of a row are timed in turns on one thread (helpers.chapters.ch07.median_ms, the chapters' own
timer); each figure is the median of --repeats timings, then the median over --rounds rounds.

    .venv/bin/python benchmarks/higher_order.py [--repeats 21] [--rounds 5] [--save]

--save writes benchmarks/figures/higher_order.json (machine, date, settings, every row).
"""
import argparse
import statistics

import torch
from torch.func import hessian, jacfwd, jacrev, jvp, vjp

from helpers.chapters.ch07 import count_nodes, median_ms
from machine import describe, headline, store


def make_mlp(depth, width, inputs, outputs, seed=0):
    """Weights of a tanh MLP with ``depth`` hidden layers, drawn from a fixed seed."""
    torch.manual_seed(seed)
    sizes = [inputs] + [width] * depth + [outputs]
    return [(torch.randn(m, n) / n ** 0.5).requires_grad_() for n, m in zip(sizes, sizes[1:])]


def mlp(weights, x):
    for weight in weights[:-1]:
        x = torch.tanh(x @ weight.T)
    return x @ weights[-1].T


def depth_row(depth, width, batch, repeats):
    weights = make_mlp(depth, width, width, 1)
    torch.manual_seed(1)
    x = torch.randn(batch, width)
    vectors = [torch.randn_like(w) for w in weights]

    def loss():
        return mlp(weights, x).pow(2).mean()

    def gradient():
        return torch.autograd.grad(loss(), weights)

    def grad_dot_v():
        grads = torch.autograd.grad(loss(), weights, create_graph=True)
        return sum((g * v).sum() for g, v in zip(grads, vectors))

    def hvp():
        return torch.autograd.grad(grad_dot_v(), weights)

    loss_ms, gradient_ms, hvp_ms = median_ms(loss, gradient, hvp, repeats=repeats)
    return {"depth": depth, "parameters": sum(w.numel() for w in weights), "nodes_loss": count_nodes(loss()),
            "nodes_gradient_graph": count_nodes(grad_dot_v()),
            "loss_ms": loss_ms, "gradient_ms": gradient_ms, "hvp_ms": hvp_ms}


def hessian_row(n, repeats):
    """f(x) = sum(tanh(W2 tanh(W1 x))), x in R^n, hidden width 64."""
    torch.manual_seed(2)
    w1, w2 = torch.randn(64, n) / n ** 0.5, torch.randn(64, 64) / 8

    def f(x):
        return torch.tanh(w2 @ torch.tanh(w1 @ x)).sum()

    x = torch.randn(n)
    gradient_ms, hessian_ms = median_ms(lambda: torch.func.grad(f)(x), lambda: hessian(f)(x), repeats=repeats)
    return {"n": n, "gradient_ms": gradient_ms, "hessian_ms": hessian_ms}


def mode_row(n, m, repeats):
    """A two-layer tanh map R^n -> R^m, hidden width 256."""
    torch.manual_seed(3)
    w1, w2 = torch.randn(256, n) / n ** 0.5, torch.randn(m, 256) / 16

    def f(x):
        return w2 @ torch.tanh(w1 @ x)

    x, tangent, cotangent = torch.randn(n), torch.randn(n), torch.randn(m)
    times = median_ms(lambda: f(x), lambda: jvp(f, (x,), (tangent,)), lambda: vjp(f, x)[1](cotangent),
                      lambda: jacfwd(f)(x), lambda: jacrev(f)(x), repeats=repeats)
    return {"inputs": n, "outputs": m, **dict(zip(("f_ms", "jvp_ms", "vjp_ms", "jacfwd_ms", "jacrev_ms"), times))}


def median_rows(rounds):
    """Field-wise median over rounds of rows with the same keys (counts are equal in every round)."""
    return [{key: statistics.median(row[key] for row in rows) for key in rows[0]} for rows in zip(*rounds)]


def print_table(title, rows, columns):
    """columns: (header, function of a row giving the cell's text)."""
    print(f"\n{title}\n\n| " + " | ".join(header for header, _ in columns) + " |")
    print("|" + "---:|" * len(columns))
    for row in rows:
        print("| " + " | ".join(cell(row) for _, cell in columns) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--save", action="store_true", help="write benchmarks/figures/higher_order.json")
    args = parser.parse_args()

    depth, hess, mode = [], [], []
    for _ in range(args.rounds):
        depth.append([depth_row(d, width=128, batch=256, repeats=args.repeats) for d in (1, 2, 4, 8, 16)])
        hess.append([hessian_row(n, args.repeats) for n in (16, 64, 256, 512, 1024)])
        mode.append([mode_row(n, m, args.repeats) for n, m in ((8, 2048), (2048, 8))])
    torch.set_num_threads(1)  # what median_ms measured with, so that the machine record says so
    machine = describe()
    figures = {"machine": machine, "repeats": args.repeats, "rounds": args.rounds,
               "depth": median_rows(depth), "hessian": median_rows(hess), "mode": median_rows(mode)}
    for row in figures["depth"]:
        row["forward_backward_over_forward"] = row["gradient_ms"] / row["loss_ms"]
        row["hvp_over_gradient"] = row["hvp_ms"] / row["gradient_ms"]
        row["nodes_gradient_over_loss"] = row["nodes_gradient_graph"] / row["nodes_loss"]
    for row in figures["hessian"]:
        row["hessian_over_gradient"] = row["hessian_ms"] / row["gradient_ms"]
    for row in figures["mode"]:
        row["jacfwd_over_jacrev"] = row["jacfwd_ms"] / row["jacrev_ms"]

    print(f"{headline(machine)} · median of {args.repeats} repeats, median of {args.rounds} rounds")
    print_table("tanh MLP, width 128, batch 256", figures["depth"], [
        ("depth", lambda r: f"{r['depth']}"), ("parameters", lambda r: f"{r['parameters']}"),
        ("nodes: loss", lambda r: f"{r['nodes_loss']}"), ("nodes: gradient graph", lambda r: f"{r['nodes_gradient_graph']}"),
        ("nodes ratio", lambda r: f"{r['nodes_gradient_over_loss']:.1f}"),
        ("forward ms", lambda r: f"{r['loss_ms']:.3f}"), ("forward+backward ms", lambda r: f"{r['gradient_ms']:.3f}"),
        ("HVP ms", lambda r: f"{r['hvp_ms']:.3f}"),
        ("(forward+backward)/forward", lambda r: f"{r['forward_backward_over_forward']:.2f}"),
        ("HVP/gradient", lambda r: f"{r['hvp_over_gradient']:.2f}")])
    print_table("f(x) = sum tanh(W2 tanh(W1 x)), hidden width 64", figures["hessian"], [
        ("n", lambda r: f"{r['n']}"), ("gradient ms", lambda r: f"{r['gradient_ms']:.3f}"),
        ("Hessian ms", lambda r: f"{r['hessian_ms']:.3f}"), ("Hessian/gradient", lambda r: f"{r['hessian_over_gradient']:.0f}")])
    print_table("R^n -> R^m, hidden width 256", figures["mode"], [
        ("inputs n", lambda r: f"{r['inputs']}"), ("outputs m", lambda r: f"{r['outputs']}"),
        ("f ms", lambda r: f"{r['f_ms']:.3f}"), ("jvp ms", lambda r: f"{r['jvp_ms']:.3f}"),
        ("vjp ms", lambda r: f"{r['vjp_ms']:.3f}"), ("jacfwd ms", lambda r: f"{r['jacfwd_ms']:.3f}"),
        ("jacrev ms", lambda r: f"{r['jacrev_ms']:.3f}"), ("jacfwd/jacrev", lambda r: f"{r['jacfwd_over_jacrev']:.2f}")])
    if args.save:
        print(f"\nstored in {store('higher_order', figures)}")


if __name__ == "__main__":
    main()
