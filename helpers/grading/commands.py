"""The ``grade`` (instructor) and ``check`` (student) sub-commands of ``autograd-course``."""
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from helpers import ROOT
from helpers.grading.environment import ENVIRONMENT

DEFAULT_TIMEOUT = 10.0  # seconds per exercise; helpers.checking.check.TIME_LIMIT gives a notebook's check the same



def register(subparsers):
    grade = subparsers.add_parser("grade", help="给全班评分 / grade a class folder",
                                  description="Grade SUBMISSIONS/<student>/*.ipynb into RESULTS.")
    grade.add_argument("submissions", type=Path, help="one folder per student")
    grade.add_argument("--out", type=Path, required=True, help="results folder (reused on a rerun)")
    grade.add_argument("--roster", type=Path, help="CSV mapping folder to student id and name "
                                                   "(columns folder,id[,name,email,canvas_id,sis_login_id,section])")
    grade.add_argument("--export", action="append", choices=("canvas", "moodle"), default=[],
                       help="also write the LMS gradebook import CSV (needs --roster; repeat for both)")
    grade.add_argument("--assignment", default="autograd-course", help="the grade column's name in --export files")
    grade.add_argument("--only", metavar="STUDENT", help="regrade only this student's folder into an existing --out, "
                                                         "keeping the other students' results")
    _limits(grade)
    grade.set_defaults(run=run_grade, environment=ENVIRONMENT, exit_now=True)
    check = subparsers.add_parser("check", help="像评分时一样检查一个 notebook / grade one notebook",
                                  description="Grade one notebook as the grader would; exit 1 unless all pass.")
    check.add_argument("notebook", type=Path)
    _limits(check)
    check.set_defaults(run=run_check, exit_now=True)


def _limits(parser):
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="grading workers (default: CPUs)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per exercise (default {DEFAULT_TIMEOUT:g}, as a notebook's check)")
    parser.add_argument("--memory", type=int, default=1024, help="MB of memory per exercise (default 1024)")
    parser.add_argument("--course", type=Path, default=None,
                        help="the assignment: an assignment.json (from `handout`) or a folder of released exercise "
                             "notebooks (default: for grade, RESULTS/assignment.json when regrading, else exercises/)")
    parser.add_argument("--lang", choices=("zh", "en"), default=None, help="feedback language (default zh)")
    parser.add_argument("--trust-students", action="store_true", help="grade without the kernel sandbox (see README)")
    parser.add_argument("--run-limit", type=float, default=6 * 3600.0, help="seconds for the whole run (default 6 h)")


def _settings(args):
    from helpers.grading.course import Settings
    from helpers.messages import language

    return Settings(timeout=args.timeout, memory_mb=args.memory, jobs=max(1, args.jobs), lang=language(args.lang),
                    run_limit=args.run_limit)


def run_grade(args):
    from helpers.grading.course import ASSIGNMENT

    if not args.submissions.is_dir():
        print(f"autograd-course grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    # A regrade grades what the class was given (recorded in RESULTS at its first grade), not what the course
    # has become since; --course names another assignment.
    recorded = args.out / ASSIGNMENT
    source = args.course or (recorded if recorded.is_file() else ROOT / "exercises")
    if not source.exists():
        print(f"autograd-course grade: {source} does not exist", file=sys.stderr)
        return 2
    if source == recorded:
        print(f"grading the assignment recorded in {recorded} (name another with --course)", file=sys.stderr)
    problem = _check_options(args)
    if problem:
        print(f"autograd-course grade: {problem}", file=sys.stderr)
        return 2
    match = None
    if args.roster:
        from helpers.grading import roster

        try:
            entries = roster.read(args.roster)
        except (OSError, roster.RosterError) as error:
            print(f"autograd-course grade: {error}", file=sys.stderr)
            return 2
    started = time.perf_counter()
    from helpers.grading import report

    from helpers.grading.sandbox.pool import Pool

    from helpers.grading.sandbox.worker import warm_up

    # The workers are forked from this process now: it has imported torch and the checker core and warmed
    # them up (once for all workers), but not imported the references, and has read no submission.
    warm_up()
    pool = Pool(max(1, args.jobs), trust=args.trust_students)

    from helpers.exercises import EXERCISES
    from helpers.grading.course import CourseError
    from helpers.grading.grade import grade

    settings, bar = _settings(args), _ProgressBar()
    try:
        _pin_assignment(source, recorded, EXERCISES)
        course, students, records = grade(args.submissions, args.out, recorded, EXERCISES, settings, bar, pool,
                                          only=args.only)
    except (KeyboardInterrupt, CourseError) as error:
        pool.__exit__(type(error), None, None)
        bar.close()
        if isinstance(error, CourseError):
            print(f"autograd-course grade: {error}", file=sys.stderr)
            return 2
        print(f"interrupted: finished results are kept in {args.out / 'results.jsonl'}; "
              "run the same command again to continue", file=sys.stderr)
        return 130
    bar.close()
    seconds = time.perf_counter() - started
    _fingerprint_assignment(course, recorded)
    if args.roster:
        graded = sorted({r["student"] for r in records} | set(_folders(args.submissions)))
        match = roster.Match.of(entries, graded)
        for folder in match.unlisted:
            print(f"not in the roster (status missing): {folder}", file=sys.stderr)
        for entry in match.absent:
            print(f"no submission folder (status missing): {entry.folder} ({entry.id})", file=sys.stderr)
    text = report.write_all(args.out, list(course.exercises), records, settings.lang, seconds, match,
                            args.export, args.assignment)
    print(text)
    counts = Counter(r["status"] for r in records)
    notebooks = len({(r["student"], r["notebook"]) for r in records if r["notebook"]})
    print(f"graded {len(students)} students, {notebooks} notebooks, {len(records)} exercises in {seconds:.1f} s "
          f"({notebooks / seconds:.1f} notebooks/s): " + ", ".join(f"{n} {s}" for s, n in counts.most_common())
          + f" -> {args.out}")
    return 0


def _pin_assignment(source, recorded, registry):
    """RESULTS/assignment.json: what this class is graded on, made from ``source`` (an assignment.json or a folder of
    released notebooks) unless it is that file already."""
    from helpers.grading.course import Course, CourseError, write_assignment

    if source == recorded:
        return
    course = Course.load(source, registry)
    if not course.exercises:
        raise CourseError(f"{source} holds no exercise notebooks")
    recorded.parent.mkdir(parents=True, exist_ok=True)
    write_assignment(recorded, course)


def _fingerprint_assignment(course, recorded):
    """After grading (the references have run, so this is quick): say loudly which exercises changed since the
    assignment was recorded, and record the fingerprints it does not hold yet."""
    from helpers.grading.course import write_assignment

    for exercise_id in course.changed():
        print(f"{exercise_id}: its checker changed since the assignment was recorded; graded with today's",
              file=sys.stderr)
    if not all(course.recorded.get(i) for i in course.exercises):
        course.record_fingerprints()
        write_assignment(recorded, course)


def _folders(submissions):
    from helpers.grading import notebooks

    return list(notebooks.student_folders(submissions))


def _check_options(args):
    """Why the options cannot work together, or None."""
    if args.export and not args.roster:
        return "--export needs --roster (the LMS matches students by the roster's ids)"
    if args.only is not None:
        if args.only not in _folders(args.submissions):
            return f"--only: {args.submissions / args.only} is not a student folder"
        if not (args.out / "results.jsonl").is_file():
            return f"--only regrades into an existing results folder; {args.out / 'results.jsonl'} does not exist"
    return None


def run_check(args):
    from helpers.grading import notebooks

    try:
        notebooks.read(args.notebook)
    except notebooks.InvalidNotebook as error:
        print(f"{args.notebook}: {error.reason(args.lang)}")
        return 2
    args.course = args.course or ROOT / "exercises"
    if not args.course.exists():
        print(f"autograd-course check: {args.course} does not exist")
        return 2
    from helpers.grading.sandbox.pool import Pool

    pool = Pool(1, trust=args.trust_students)  # one student is one task; forked before the references load, as in run_grade

    from helpers.exercises import EXERCISES
    from helpers.grading.course import CourseError
    from helpers.grading.grade import grade
    from helpers.checking.verdict import PROBLEM_SYMBOL, SYMBOLS
    from helpers.messages import say

    settings = _settings(args)
    with tempfile.TemporaryDirectory(prefix="autograd-check-") as scratch:
        student = Path(scratch, "submissions", "me")
        student.mkdir(parents=True)
        shutil.copy(args.notebook, student / args.notebook.name)
        try:
            _, _, records = grade(student.parent, Path(scratch, "results"), args.course, EXERCISES, settings,
                                  pool=pool)
        except CourseError as error:
            pool.__exit__(CourseError, None, None)
            print(f"autograd-course check: {error}")
            return 2
    mine = [r for r in records if r["notebook"] == args.notebook.name]
    if not mine:
        print(f"{args.notebook}: {say('no_exercises', settings.lang)}")
        return 2
    for record in mine:
        symbol = SYMBOLS.get(record["status"], PROBLEM_SYMBOL)
        separator = "：" if settings.lang == "zh" else ": "
        print(f"{symbol} {record['exercise']} {say(record['status'], settings.lang)}{separator}{record['detail']}")
    passed = sum(r["status"] == "pass" for r in mine)
    print(f"{passed}/{len(mine)} passed")
    return 0 if passed == len(mine) else 1


class _ProgressBar:
    """tqdm on stderr with an ETA, only when stderr is a terminal."""

    def __init__(self):
        self.bar = None

    def __call__(self, done, total):
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="ex", file=sys.stderr, disable=None, smoothing=0.1)
        self.bar.update(done)

    def close(self):
        if self.bar is not None:
            self.bar.close()
