"""How long a student's ``check()`` takes, per exercise: median and 95th percentile over many calls, in ms.

The answers are the solutions' own answer cells (solutions/ex*.ipynb), so every registered exercise is timed on
the full path: observe the answer on all cases, recompute the reference and the typical mistakes, judge.

    .venv/bin/python benchmarks/check_speed.py [--calls 200]
"""
import argparse
import statistics
import time
from pathlib import Path

import nbformat

from helpers import check
from helpers.exercises import EXERCISES

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 100


def solved_answers():
    """{exercise id: the value or function its solution cell defines}."""
    answers = {}
    for path in sorted((ROOT / "solutions").glob("ex*.ipynb")):
        namespace = {}
        for cell in nbformat.read(path, as_version=4).cells:
            role = cell.metadata.get("autograd_course", {})
            if role.get("role") == "setup" or role.get("exercise"):
                exec(compile(cell.source, str(path), "exec"), namespace)
            if role.get("exercise"):
                answers[role["exercise"]] = namespace[EXERCISES[role["exercise"]].name]
    return answers


def timings(exercise_id, answer, calls):
    for _ in range(5):  # warm-up: first calls pay for lazy imports and allocator growth
        check(exercise_id, answer)
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        verdict = check(exercise_id, answer)
        samples.append((time.perf_counter() - start) * 1000)
        assert verdict.passed, str(verdict)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    answers = solved_answers()
    print(f"check() timings over {args.calls} calls each (torch {__import__('torch').__version__}, "
          f"{__import__('torch').get_num_threads()} threads)")
    print(f"{'exercise':28} {'median ms':>10} {'p95 ms':>8}")
    worst = 0.0
    for exercise_id in sorted(EXERCISES):
        if exercise_id not in answers:
            print(f"{exercise_id:28} {'(no solution cell)':>19}")
            continue
        median, p95 = timings(exercise_id, answers[exercise_id], args.calls)
        worst = max(worst, p95)
        print(f"{exercise_id:28} {median:10.2f} {p95:8.2f}")
    print(f"slowest 95th percentile: {worst:.2f} ms (budget {BUDGET_MS} ms): {'OK' if worst < BUDGET_MS else 'TOO SLOW'}")
    return 0 if worst < BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
