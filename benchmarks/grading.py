"""How fast ``autograd-course grade`` grades a class, end to end (start-up, reading, sandbox, judging, reports).

Two workloads, each a synthetic class (mostly correct answers, some wrong or incomplete, some broken or
hostile), graded by the real command in a fresh process:

- ``-n N``: N students handing in one assignment (``--assignment``, default ex02);
- ``--class-size S``: S students each handing in every exercise notebook of the course (S × 12 notebooks).

For each run it prints the wall clock of the whole command, notebooks and exercises per second, the time to
the first graded result, the steady-state rate between the first and the last graded result (from the
``graded_at`` stamps in results.jsonl), the time spent after it (reports), the speed-up over nbgrader
(0.35 notebooks/s for torch notebooks on the same machine), and the CPU time of the command and every process
it started (a figure that other work on a shared machine disturbs far less than the wall clock).

    .venv/bin/python benchmarks/grading.py [-n 200] [--class-size 100] [--repeat 5] [--jobs 2]
"""
import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
NBGRADER = 0.35  # notebooks per second: nbgrader autograde, 40 one-notebook torch submissions in 105-116 s

BROKEN_FILES = [b"{ not json", b"", b"[1, 2, 3]"]
BAD_CELLS = ["raise ValueError('boom')\n", "import sys\nsys.exit(0)\n", "import os\nos._exit(1)\n",
             "hog = bytearray(64 * 2**30)\n", "print('x' * 10_000_000)\n", "answer = input()\n"]


def hand_in(student, path, rng):
    """One notebook as a student hands it in: 80 % correct, 10 % wrong or incomplete, 10 % broken or bad."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    answers = [c for c in notebook["cells"] if c["metadata"].get("autograd_course", {}).get("exercise")]
    roll = rng.random()
    if roll < 0.03:
        (student / path.name).write_bytes(rng.choice(BROKEN_FILES))
        return
    if roll < 0.10:
        rng.choice(answers)["source"] = rng.choice(BAD_CELLS)
    elif roll < 0.15:
        notebook["cells"].remove(rng.choice(answers))
    elif roll < 0.20:
        cell = rng.choice(answers)
        source = "".join(cell["source"])
        cell["source"] = source.replace("return ", "return 2 * ") if "return " in source else "answer = 'Z'\n"
    (student / path.name).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")


def synthetic_class(folder, assignments, students, seed=0):
    """``students`` folders, each handing in every notebook of ``assignments``."""
    rng = random.Random(seed)
    for number in range(students):
        student = folder / f"student{number:04d}"
        student.mkdir(parents=True)
        for path in assignments:
            hand_in(student, path, rng)


def run_once(assignments, students, jobs, timeout):
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as scratch:
        submissions, results, course = Path(scratch, "submissions"), Path(scratch, "results"), Path(scratch, "course")
        course.mkdir()
        for path in assignments:
            (course / path.name).write_bytes(path.read_bytes())
        synthetic_class(submissions, assignments, students)
        started_at, started = time.time(), time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        command = [sys.executable, "-m", "helpers.cli", "grade", str(submissions), "--out", str(results),
                   "--jobs", str(jobs), "--timeout", str(timeout), "--course", str(course)]
        process = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        total = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # every descendant was waited for by its parent
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        if process.returncode:
            raise SystemExit(process.stdout)
        records = [json.loads(line) for line in (results / "results.jsonl").open(encoding="utf-8")]
        graded = sorted(r["graded_at"] for r in records if r["seconds"] is not None)  # ran in a child
        notebooks = len({(r["student"], r["notebook"]) for r in records if r["seconds"] is not None})
        return {"seconds": total, "cpu": cpu, "exercises": len(records), "first": graded[0] - started_at,
                "last": graded[-1] - started_at, "graded_notebooks": notebooks,
                "summary": process.stdout.strip().splitlines()[-1]}


def measure(label, assignments, students, args):
    notebooks = students * len(assignments)
    print(f"== {label}: {students} students x {len(assignments)} notebooks = {notebooks} notebooks, "
          f"{args.jobs} workers")
    rates, cpus = [], []
    for attempt in range(args.repeat):
        run = run_once(assignments, students, args.jobs, args.timeout)
        rate = notebooks / run["seconds"]
        steady = run["graded_notebooks"] / max(run["last"] - run["first"], 1e-9)
        rates.append(rate)
        cpus.append(run["cpu"])
        print(f"run {attempt + 1}: {run['seconds']:.2f} s = {rate:.1f} notebooks/s, "
              f"{run['exercises'] / run['seconds']:.0f} exercises/s ({rate / NBGRADER:.0f}x nbgrader); "
              f"first result {run['first']:.2f} s, then {steady:.1f} notebooks/s until {run['last']:.2f} s, "
              f"reports {run['seconds'] - run['last']:.2f} s; CPU {run['cpu']:.1f} s")
        print(f"    {run['summary']}")
    best, median = max(rates), statistics.median(rates)
    print(f"{label}: notebooks/s over the whole command: best {best:.1f}, median {median:.1f} "
          f"({best / NBGRADER:.0f}x / {median / NBGRADER:.0f}x nbgrader, {args.repeat} runs); "
          f"CPU median {statistics.median(cpus):.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=None, help="students handing in one notebook (default 200)")
    parser.add_argument("--class-size", type=int, default=None, help="students handing in every exercise notebook")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--assignment", default="ex02", help="the notebook of the -n workload")
    args = parser.parse_args()
    if args.n is None and args.class_size is None:
        args.n = 200
    if args.n:
        measure("one notebook each", [next(SOLUTIONS.glob(f"{args.assignment}*.ipynb"))], args.n, args)
    if args.class_size:
        measure("whole course", sorted(SOLUTIONS.glob("ex*.ipynb")), args.class_size, args)


if __name__ == "__main__":
    main()
