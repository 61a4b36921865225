"""``autograd-course gradescope --assignment-file A --out autograder.zip``: a Gradescope autograder.

Gradescope (its "Autograder Specifications", gradescope-autograders.readthedocs.io/en/latest/specs/) unpacks the
zip into ``/autograder/source``, runs ``setup.sh`` once to build the image, then ``run_autograder`` for each
submission, with the student's files in ``/autograder/submission`` and ``/autograder/submission_metadata.json``
(the submission time, the assignment's due date, the student). ``run_autograder`` must write
``/autograder/results/results.json``. The zip holds:

    setup.sh            a Python ≥ 3.11, the pinned CPU build of torch from PyTorch's CPU index, the course
                        (installed editable, so its references stay in /autograder/source, where a child of
                        the sandbox cannot read, and out of site-packages, where it can)
    run_autograder      python -m helpers.grading.gradescope: grades the submission as ``grade`` grades a student
    assignment.json     what the class was given (``--course``), with fingerprints
    assignment.toml     the rules (``--assignment-file``), and its overrides file beside it
    settings.json       language, limits, whether to trust the students (no kernel sandbox)
    course/             the course's source: pyproject.toml, helpers/, content/

results.json has ``score`` (the final score: the assignment's points, late penalty taken, from the submission
time Gradescope gives), and a test per exercise (``name``, ``number``, ``score``, ``max_score``, ``status``
passed/failed, the diagnosis as Markdown in ``output``). Whatever fails, a results.json is written saying why.
The root ``/autograder`` is read from ``$AUTOGRAD_COURSE_GRADESCOPE_ROOT`` when set (a local test's fake tree).
"""
import json
import os
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from helpers import ROOT

ROOT_VARIABLE = "AUTOGRAD_COURSE_GRADESCOPE_ROOT"
COURSE_FILES = ("pyproject.toml", "README.md", "helpers", "content")
RUN_LIMIT = 540.0  # seconds: results.json is written before Gradescope's default 10 minutes are up
FIXED_TIME = (1980, 1, 1, 0, 0, 0)

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder's image (/autograder/source holds this zip).
set -euo pipefail
PYTHON=$(command -v python3.13 || command -v python3.12 || command -v python3.11 || true)
if [ -z "$PYTHON" ]; then  # Ubuntu 22.04's python3 is 3.10: the course needs 3.11 to 3.13
    apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi
"$PYTHON" -m venv /autograder/venv || { apt-get install -y "$(basename "$PYTHON")-venv" && "$PYTHON" -m venv /autograder/venv; }
/autograder/venv/bin/pip install --upgrade pip
# The CPU build of the pinned torch, from PyTorch's own index (PyPI's is the CUDA build, several GB).
/autograder/venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu torch=={torch}
# Editable: the references stay in /autograder/source/course, which the sandbox's children cannot read.
/autograder/venv/bin/pip install -e /autograder/source/course
/autograder/venv/bin/python -c "import torch, helpers.grading.gradescope"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission; it writes $root/results/results.json.
root="${AUTOGRAD_COURSE_GRADESCOPE_ROOT:-/autograder}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg
exec "$root/venv/bin/python" -m helpers.grading.gradescope "$root"
"""


def register(subparsers):
    parser = subparsers.add_parser("gradescope", help="生成 Gradescope 自动评分包 / build a Gradescope autograder zip",
                                   description="Write a Gradescope autograder (setup.sh, run_autograder, the course and "
                                               "the assignment's rules) to --out.")
    parser.add_argument("--assignment-file", type=Path, help="assignment.toml: exercises, points, due date, late "
                                                            "penalty, extensions, overrides")
    parser.add_argument("--out", type=Path, required=True, help="the zip to write, e.g. autograder.zip")
    parser.add_argument("--course", type=Path, default=None, help="the assignment the class was given: an "
                                                                   "assignment.json or released notebooks (default "
                                                                   "exercises/)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="feedback language (default zh)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per exercise (default 10)")
    parser.add_argument("--memory", type=int, default=1024, help="MB of memory per exercise (default 1024)")
    parser.add_argument("--trust-students", action="store_true",
                        help="grade without the kernel sandbox inside Gradescope's container (see README)")
    parser.set_defaults(run=run_build)


def run_build(args):
    from helpers.grading.course import CourseError
    from helpers.grading.policy import PolicyError

    try:
        made = build(args.out, args.assignment_file, args.course or ROOT / "exercises",
                     {"lang": args.lang, "timeout": args.timeout, "memory": args.memory,
                      "trust_students": args.trust_students})
    except (CourseError, PolicyError, OSError) as error:
        print(f"autograd-course gradescope: {error}", file=sys.stderr)
        return 2
    print(made)
    return 0


def build(out, assignment_file, course_source, settings):
    """Write the autograder zip ``out``; return one line saying what it grades."""
    from helpers.exercises import EXERCISES
    from helpers.grading.course import Course, CourseError
    from helpers.grading.policy import Policy, PolicyError

    if not Path(course_source).exists():
        raise CourseError(f"{course_source} does not exist")
    course = Course.load(course_source, EXERCISES)
    course.record_fingerprints()
    policy = Policy.load(assignment_file) if assignment_file else Policy()
    graded = policy.select(list(course.exercises))
    policy.check(graded)
    files = {"setup.sh": SETUP.replace("{torch}", _pinned("torch")), "run_autograder": RUN,
             "assignment.json": json.dumps(course.assignment(), ensure_ascii=False, indent=1) + "\n",
             "settings.json": json.dumps(settings, indent=1) + "\n"}
    if assignment_file:
        files["assignment.toml"] = Path(assignment_file).read_bytes()
        overrides = _overrides_path(assignment_file)
        if overrides:
            files[overrides] = (Path(assignment_file).parent / overrides).read_bytes()
    for name in COURSE_FILES:
        path = ROOT / name
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix in ("", ".py", ".toml", ".md") \
                    and file.name != "exercises.recorded":
                files[f"course/{file.relative_to(ROOT).as_posix()}"] = file.read_bytes()
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            entry = zipfile.ZipInfo(name, FIXED_TIME)
            entry.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    partial.replace(out)
    points = sum(policy.points_of(i) for i in graded)
    return (f"{out}: a Gradescope autograder for {len(graded)} exercises, {points:g} points"
            f"{' (without the kernel sandbox: --trust-students)' if settings['trust_students'] else ''}; "
            "upload it as the programming assignment's autograder (Configure Autograder > Zip file upload)")


def _pinned(package):
    import tomllib

    for requirement in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]:
        name, _, version = requirement.partition("==")
        if name == package:
            return version
    raise KeyError(package)


def _overrides_path(assignment_file):
    """The overrides file named by the assignment file, relative to it; it must lie beside it or below."""
    import tomllib

    from helpers.grading.policy import PolicyError

    name = tomllib.loads(Path(assignment_file).read_text(encoding="utf-8")).get("overrides")
    if not name:
        return None
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise PolicyError(f"{assignment_file}: overrides {name!r}: put it beside the assignment file (or below) "
                          "to build an autograder")
    return relative.as_posix()


# --- inside Gradescope's container -----------------------------------------------------------------------------

def main(argv=None):
    root = Path((argv or sys.argv[1:] or [os.environ.get(ROOT_VARIABLE, "/autograder")])[0])
    results = run(root)
    print(json.dumps({"score": results["score"], "tests": len(results.get("tests", []))}))
    sys.stdout.flush()
    os._exit(0)  # torch's teardown is slow and nothing is left to write


def run(root):
    """Grade ``root``/submission and write ``root``/results/results.json; return what it holds."""
    started = time.monotonic()
    try:
        results = _grade(root)
    except SystemExit:  # the pool refused: the kernel here cannot raise the sandbox's walls
        from helpers.grading.sandbox import unavailable

        results = _failed(f"The grader could not start its sandbox in this container ({unavailable()}); the "
                          "instructor can rebuild the autograder with `--trust-students` (see the course's README, "
                          "Gradescope).")
    except Exception as error:  # noqa: BLE001 -- whatever it is, Gradescope gets a results.json saying so
        results = _failed(f"The grader failed ({type(error).__name__}: {error}).")
    results["execution_time"] = round(time.monotonic() - started, 1)
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / ".results.json.partial"
    partial.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    partial.replace(folder / "results.json")
    return results


def _failed(why):
    print(why, file=sys.stderr)
    return {"score": 0.0, "output": why, "output_format": "md", "visibility": "visible",
            "tests": [{"name": "autograd-course", "score": 0.0, "max_score": 0.0, "status": "failed", "output": why,
                       "output_format": "md", "visibility": "visible"}]}


def _grade(root):
    from helpers.exercises import EXERCISES
    from helpers.grading import intake
    from helpers.grading.course import Course, Settings
    from helpers.grading.grade import grade
    from helpers.grading.insight import md
    from helpers.grading.policy import Policy
    from helpers.grading.sandbox.pool import Pool

    source = root / "source"
    settings_file = json.loads((source / "settings.json").read_text(encoding="utf-8"))
    settings = Settings(timeout=settings_file["timeout"], memory_mb=settings_file["memory"], jobs=1,
                        lang=settings_file["lang"], run_limit=RUN_LIMIT)
    metadata = _metadata(root / "submission_metadata.json")
    users = metadata.get("users") or [{}]
    key = str(users[0].get("id") or "submission")
    policy = Policy.load(source / "assignment.toml") if (source / "assignment.toml").is_file() else Policy()
    _rekey(policy, key, [str(users[0].get(alias)) for alias in ("email", "sid", "name") if users[0].get(alias)])
    if policy.due is None and (metadata.get("assignment") or {}).get("due_date"):
        policy.due = _time(metadata["assignment"]["due_date"])
    submitted = _time(metadata.get("created_at"))
    pool = Pool(1, trust=settings_file["trust_students"])
    assignment = source / "assignment.json"
    selection = policy.select(list(Course.load(assignment).exercises))
    staged = intake.one_student(root / "submission", key)
    try:
        with tempfile.TemporaryDirectory(prefix="autograd-gradescope-") as out:
            _, _, records = grade(staged.folder, Path(out), assignment, EXERCISES, settings, pool=pool,
                                  exercises=selection)
    finally:
        staged.close()
    shown, standings = policy.apply(records, {key: submitted} if submitted else {}, "gradescope", settings.lang)
    standing = standings[key]
    files = ", ".join(md(f) for f in staged.submissions[key].files) or "none"
    lines = [f"autograd-course: {standing.final:.4g}/{standing.possible:g}", "",
             *policy.feedback_lines(standing, settings.lang), "", f"notebooks: {files}"]
    if staged.ignored:
        lines.append("not graded: " + ", ".join(f"{md(name)} ({md(why)})" for name, why in staged.ignored))
    return {"score": round(standing.final, 4), "output": "\n".join(lines), "output_format": "md",
            "visibility": "visible", "stdout_visibility": "hidden",
            "tests": [_test(number, record, settings.lang) for number, record in enumerate(shown, 1)]}


def _test(number, record, lang):
    from helpers.checking.verdict import PROBLEM_SYMBOL, SYMBOLS
    from helpers.grading.insight import md
    from helpers.messages import say

    status = record["status"]
    output = [f"**{SYMBOLS.get(status, PROBLEM_SYMBOL)} {md(say(status, lang))}**", "", md(record["detail"])]
    if record.get("note"):
        output += ["", f"_{md(record['note'])}_"]
    return {"name": record["exercise"], "number": str(number), "score": round(record["score"], 4),
            "max_score": record["points"], "status": "passed" if status == "pass" else "failed",
            "output": "\n".join(output), "output_format": "md", "visibility": "visible"}


def _rekey(policy, key, aliases):
    """Extensions and overrides may name the student by Gradescope email, SID or name: key them by user id."""
    for alias in aliases:
        if alias in policy.extensions:
            policy.extensions.setdefault(key, policy.extensions[alias])
        for override in policy.overrides:
            if override.student == alias:
                override.student = key


def _metadata(path):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _time(value):
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


if __name__ == "__main__":
    main()
