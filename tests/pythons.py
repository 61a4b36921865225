"""`make test-pythons`: the course on every Python it supports that this machine has (3.11, 3.12, 3.13).

For each interpreter found (on PATH as python3.X, or under pyenv) it builds the environment `.venv-3.X` as
`make env` builds `.venv` (the course's own `.venv` serves for its Python), from wheels it keeps in
~/.cache/autograd-course/wheels/3.X, then runs a smoke subset: the imports, one chapter with nbval, one `check`,
one `grade`, and a student's install of the handout (tests/test_install.py, from the same wheels). It prints how
long each step took.

    python3 tests/pythons.py [3.12 3.13 ...]   # default: every version found
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "autograd-course" / "wheels"
VERSIONS = ("3.11", "3.12", "3.13")
IMPORTS = ("import torch, helpers, content.kinds\nfrom helpers import check, draw_graph, expect_error\n"
           "from helpers.exercises import EXERCISES\nfrom helpers.chapters import ch01, ch12\n"
           "import sys; print(sys.version.split()[0], torch.__version__, len(EXERCISES), 'exercises')")
CHECK = ("import torch\nfrom helpers import check\n"
         "right = check('ch02.no_zero', torch.tensor([1.0, 5.0, 9.0, 13.0]))\n"
         "wrong = check('ch02.no_zero', torch.tensor([0.0, 4.0, 8.0, 12.0]))\n"
         "assert right.passed and wrong.status == 'fail' and '第一次 backward' in wrong.detail, (right, wrong)\n"
         "print(right)")


def interpreters(wanted):
    """{version: the interpreter} for each wanted version found on this machine (PATH first, then pyenv)."""
    pyenv = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() if shutil.which("pyenv") \
        else ""
    found = {}
    for version in wanted:
        candidates = [shutil.which(f"python{version}")]
        candidates += sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"), reverse=True) if pyenv else []
        working = [c for c in candidates if c and _version(c) == version]  # a pyenv shim may just refuse
        if working:
            found[version] = working[0]
    return found


def environment(version, interpreter):
    """(the course's environment for ``version``, the variables its pip runs with): .venv when it runs that Python,
    else .venv-<version>, installed from the wheelhouse (see ``wheelhouse``)."""
    own = ROOT / ".venv" / "bin" / "python"
    if own.exists() and _version(own) == version:
        return ROOT / ".venv", dict(os.environ)
    venv = ROOT / f".venv-{version}"
    marker, house = venv / ".installed", WHEELHOUSE / version
    variables = dict(os.environ, PIP_NO_INDEX="1",
                     PIP_FIND_LINKS=" ".join(filter(None, [str(house), os.environ.get("PIP_FIND_LINKS")])))
    if not marker.exists() or marker.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime:
        _run([interpreter, "-m", "venv", str(venv)])
        wheelhouse(venv / "bin" / "pip", house)
        started = time.perf_counter()
        _run([str(venv / "bin" / "pip"), "install", "--disable-pip-version-check", "-q", "-e", ".[test]"],
             env=variables)
        _run([str(venv / "bin" / "python"), "-c", "import matplotlib.pyplot"])  # its font cache, as make env does
        marker.touch()
        print(f"  installed from the wheelhouse in {time.perf_counter() - started:.0f} s", flush=True)
    return venv, variables


def wheelhouse(pip, house):
    """Download the course's pins (and what they need) for this Python into ``house``, skipping files it holds.

    pip's own cache keeps nothing of these downloads on these machines (its HTTP cache stays empty), and torch from
    PyPI is the CUDA build: GBs. So they are kept here and every install of this Python (the environment, the
    handout's fresh one) reads them from disk."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [*project["project"]["dependencies"], *project["project"]["optional-dependencies"]["test"],
            *project["build-system"]["requires"]]
    house.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    _run([str(pip), "download", "--disable-pip-version-check", "-q", "-d", str(house), *pins])
    size = sum(path.stat().st_size for path in house.iterdir()) / 2**30
    print(f"  wheelhouse {house}: {size:.1f} GB, ready in {time.perf_counter() - started:.0f} s", flush=True)


def _version(python):
    done = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def _run(command, **options):
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, **options)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
                           f"{done.stderr[-3000:]}")
    return done.stdout


def smoke(venv, variables):
    """[(step, callable)]: what runs in the environment ``venv`` (pip there runs with ``variables``)."""
    python, course = str(venv / "bin" / "python"), str(venv / "bin" / "autograd-course")

    def grade():
        with tempfile.TemporaryDirectory() as scratch:
            student, assignment = Path(scratch, "submissions", "ana"), Path(scratch, "course")
            student.mkdir(parents=True)
            assignment.mkdir()
            shutil.copyfile(ROOT / "solutions" / "ex02_zeroing_gradients.ipynb", student / "ex02.ipynb")
            shutil.copyfile(ROOT / "exercises" / "ex02_zeroing_gradients.ipynb", assignment / "ex02.ipynb")
            printed = _run([course, "grade", str(student.parent), "--out", str(Path(scratch, "results")), "--jobs", "1",
                            "--course", str(assignment)])
            statuses = re.findall(r'"status": "(\w+)"', Path(scratch, "results", "results.jsonl").read_text("utf-8"))
            if statuses != ["pass"] * 6:
                raise RuntimeError(f"grade: {statuses}")
            return printed.strip().splitlines()[-1][:90]

    return [("import", lambda: _run([python, "-c", IMPORTS]).strip()),
            ("nbval chapter 01", lambda: _run([python, "-m", "pytest", "-n", "0", "-q",
                                               "notebooks/01_backward_basics.ipynb"]).strip().splitlines()[-1]),
            ("check", lambda: _run([python, "-c", CHECK]).strip().splitlines()[0]),
            ("grade", grade),
            ("handout install", lambda: _run([python, "-m", "pytest", "-n", "0", "-q", "-m", "slow",
                                              "tests/test_install.py"], env=variables).strip().splitlines()[-1])]


def main(wanted):
    found = interpreters(wanted or VERSIONS)
    missing = [v for v in (wanted or VERSIONS) if v not in found]
    for version in missing:
        print(f"python {version}: not found on this machine (skipped)")
    if wanted and missing:
        return 1
    failed = 0
    for version, interpreter in found.items():
        started = time.perf_counter()
        try:
            venv, variables = environment(version, interpreter)
        except RuntimeError as error:
            print(f"python {version} ({interpreter}): environment FAILED\n{error}")
            failed += 1
            continue
        print(f"python {version} ({interpreter}): environment {venv.name} ready in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        for step, action in smoke(venv, variables):
            started = time.perf_counter()
            try:
                result, ok = action(), True
            except RuntimeError as error:
                result, ok = str(error), False
                failed += 1
            print(f"  {step:16} {'ok' if ok else 'FAILED'} {time.perf_counter() - started:6.1f} s  {result}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.pop("PYTHONPATH", None)
    sys.exit(main(sys.argv[1:]))
