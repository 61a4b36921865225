"""What checkpointing costs and saves for chapter 11's network: 8 blocks of Linear(256, 256) + tanh, batch 64.

For 1 (no checkpoint), 2, 4 and 8 segments, each wrapped in torch.utils.checkpoint (use_reentrant=True, as in
the chapter): the memory of saved tensors after the forward pass and at its peak during backward (counted by
distinct storage with the chapter's SavedTensorMeter; deterministic), and the time of forward + backward
(timed in turns on one thread with the chapters' median_ms, median of --repeats, then median over --rounds).

    .venv/bin/python benchmarks/checkpoint.py [--repeats 21] [--rounds 5] [--save]

--save writes benchmarks/figures/checkpoint.json (machine, date, settings, every row).
"""
import argparse
import statistics

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from helpers.chapters.ch07 import median_ms
from helpers.chapters.ch11 import SavedTensorMeter
from machine import describe, headline, store

SEGMENTS = (1, 2, 4, 8)


def network(seed=0):
    torch.manual_seed(seed)
    blocks = [nn.Sequential(nn.Linear(256, 256), nn.Tanh()) for _ in range(8)]
    return blocks, torch.randn(64, 256, requires_grad=True)


def loss_of(blocks, x, segments):
    h, per = x, len(blocks) // segments
    for i in range(0, len(blocks), per):
        segment = nn.Sequential(*blocks[i:i + per])
        h = segment(h) if segments == 1 else checkpoint(segment, h, use_reentrant=True)
    return h.pow(2).mean()


def memory_row(blocks, x, segments):
    with SavedTensorMeter(exclude=[p for block in blocks for p in block.parameters()]) as meter:
        loss = loss_of(blocks, x, segments)
        after_forward = meter.alive
        loss.backward()
    return {"segments": segments, "saved_after_forward_kib": after_forward // 1024, "peak_kib": meter.peak // 1024}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--save", action="store_true", help="write benchmarks/figures/checkpoint.json")
    args = parser.parse_args()

    blocks, x = network()
    rows = [memory_row(blocks, x, segments) for segments in SEGMENTS]
    steps = [lambda s=segments: loss_of(blocks, x, s).backward() for segments in SEGMENTS]
    rounds = [median_ms(*steps, repeats=args.repeats) for _ in range(args.rounds)]
    for row, times in zip(rows, zip(*rounds)):
        row["forward_backward_ms"] = statistics.median(times)
    for row in rows:
        row["time_over_no_checkpoint"] = row["forward_backward_ms"] / rows[0]["forward_backward_ms"]
    torch.set_num_threads(1)  # what median_ms measured with, so that the machine record says so
    machine = describe()

    print(f"{headline(machine)} · median of {args.repeats} repeats, median of {args.rounds} rounds\n")
    print("| segments | saved after forward | peak | forward + backward ms | time / no checkpoint |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['segments']} | {row['saved_after_forward_kib']} KiB | {row['peak_kib']} KiB "
              f"| {row['forward_backward_ms']:.2f} | {row['time_over_no_checkpoint']:.2f} |")
    if args.save:
        path = store("checkpoint", {"machine": machine, "repeats": args.repeats, "rounds": args.rounds,
                                    "network": "8 x (Linear(256, 256) + tanh), batch 64, float32, use_reentrant=True",
                                    "rows": rows})
        print(f"\nstored in {path}")


if __name__ == "__main__":
    main()
