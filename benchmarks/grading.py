"""How fast ``autograd-course grade`` grades a class, end to end (start-up, reading, sandbox, judging, reports).

Makes N synthetic submissions of one assignment (a solution notebook: mostly correct, some wrong, some
broken or hostile), runs the real command in a fresh process and prints notebooks and exercises per
second, and the time until the first result is on disk.

    .venv/bin/python benchmarks/grading.py [-n 200] [--repeat 3] [--jobs 2] [--assignment ex02]
"""
import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

BROKEN_FILES = [b"{ not json", b"", b"[1, 2, 3]"]
BAD_CELLS = ["raise ValueError('boom')\n", "import sys\nsys.exit(0)\n", "import os\nos._exit(1)\n",
             "hog = bytearray(64 * 2**30)\n", "print('x' * 10_000_000)\n", "answer = input()\n"]


def synthetic_class(folder, path, count, seed=0):
    """``count`` students handing in ``path``: 80 % correct, 10 % wrong or incomplete, 10 % bad."""
    rng = random.Random(seed)
    for number in range(count):
        student = folder / f"student{number:04d}"
        student.mkdir(parents=True)
        notebook = json.loads(path.read_text(encoding="utf-8"))
        answers = [c for c in notebook["cells"] if c["metadata"].get("autograd_course", {}).get("exercise")]
        roll = rng.random()
        if roll < 0.03:
            (student / path.name).write_bytes(rng.choice(BROKEN_FILES))
            continue
        if roll < 0.10:
            rng.choice(answers)["source"] = rng.choice(BAD_CELLS)
        elif roll < 0.15:
            notebook["cells"].remove(rng.choice(answers))
        elif roll < 0.20:
            cell = rng.choice(answers)
            cell["source"] = "".join(cell["source"]).replace("return ", "return 2 * ") if "return " in "".join(
                cell["source"]) else "answer = 'Z'\n"
        (student / path.name).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")


def run_once(assignment, count, jobs, timeout):
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as scratch:
        submissions, results, course = Path(scratch, "submissions"), Path(scratch, "results"), Path(scratch, "course")
        course.mkdir()
        (course / assignment.name).write_bytes(assignment.read_bytes())
        synthetic_class(submissions, assignment, count)
        log = results / "results.jsonl"
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "helpers.cli", "grade", str(submissions), "--out",
                                    str(results), "--jobs", str(jobs), "--timeout", str(timeout),
                                    "--course", str(course)],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first = None
        while process.poll() is None:
            if first is None and log.exists() and log.stat().st_size:
                first = time.perf_counter() - started
            time.sleep(0.005)
        total = time.perf_counter() - started
        output = process.stdout.read()
        if process.returncode:
            raise SystemExit(output)
        exercises = sum(1 for _ in log.open())
        return {"seconds": total, "first": first or total, "exercises": exercises,
                "summary": output.strip().splitlines()[-1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="submissions (one notebook each)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--assignment", default="ex02", help="which solution notebook the class hands in")
    args = parser.parse_args()
    assignment = next(SOLUTIONS.glob(f"{args.assignment}*.ipynb"))
    rates = []
    for attempt in range(args.repeat):
        run = run_once(assignment, args.n, args.jobs, args.timeout)
        rate = args.n / run["seconds"]
        steady = args.n / max(run["seconds"] - run["first"], 1e-9)
        rates.append(rate)
        print(f"run {attempt + 1}: {args.n} notebooks, {run['exercises']} exercises in {run['seconds']:.2f} s = "
              f"{rate:.1f} notebooks/s, {run['exercises'] / run['seconds']:.0f} exercises/s; first result after "
              f"{run['first']:.2f} s; after it {steady:.1f} notebooks/s")
        print(f"    {run['summary']}")
    print(f"notebooks/s over the whole command: best {max(rates):.1f}, median {statistics.median(rates):.1f} "
          f"({args.repeat} runs, {args.jobs} workers)")


if __name__ == "__main__":
    main()
