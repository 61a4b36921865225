"""The ``grade`` (instructor) and ``check`` (student) sub-commands of ``autograd-course``."""
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from helpers import ROOT
from helpers.grading.environment import ENVIRONMENT

DEFAULT_TIMEOUT = 10.0  # seconds per exercise; helpers.checking.check.TIME_LIMIT gives a notebook's check the same
DEFAULT_MEMORY = 1024  # MB per exercise

def register(subparsers):
    grade = subparsers.add_parser("grade", help="给全班评分 / grade a class folder",
                                  description="Grade SUBMISSIONS/<student>/*.ipynb into RESULTS.")
    grade.add_argument("submissions", type=Path, help="a folder or a zip: one folder per student, or a Canvas or "
                                                      "Moodle download")
    grade.add_argument("--out", type=Path, required=True, help="results folder (reused on a rerun, with its options)")
    grade.add_argument("--roster", type=Path, help="CSV mapping each student's key to id and name (columns folder,id"
                                                   "[,name,email,canvas_id,sis_login_id,section]), or Canvas' "
                                                   "gradebook export")
    grade.add_argument("--export", action="append", choices=("canvas", "moodle"), default=[],
                       help="also write the LMS files (needs --roster, or that LMS's download; repeat for both)")
    grade.add_argument("--assignment", default=None, help="the grade column's name in --export files (default: "
                                                          "the assignment file's name, else autograd-course)")
    grade.add_argument("--assignment-file", type=Path, help="assignment.toml: exercises, points, due date, late "
                                                            "penalty, extensions, overrides (see README)")
    grade.add_argument("--submitted-at", type=Path, help="CSV student,time (ISO 8601 with offset): submission "
                                                         "times (default: a zip's entry times)")
    grade.add_argument("--only", metavar="STUDENT", help="regrade only this student into an existing --out, "
                                                         "keeping the other students' results")
    grade.add_argument("--course-url", metavar="URL", help="where the course's chapters are published (the repository "
                       "or site root): the report's and feedback's chapter links point there instead of relative paths")
    _limits(grade)
    grade.set_defaults(run=run_grade, environment=ENVIRONMENT, exit_now=True)
    check = subparsers.add_parser("check", help="像评分时一样检查一个 notebook / grade one notebook",
                                  description="Grade one notebook as the grader would; exit 1 unless all pass.")
    check.add_argument("notebook", type=Path)
    _limits(check)
    check.set_defaults(run=run_check, exit_now=True)


def _limits(parser):
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="grading workers (default: CPUs)")
    parser.add_argument("--timeout", type=float, default=None,
                        help=f"seconds per exercise (default {DEFAULT_TIMEOUT:g}, as a notebook's check)")
    parser.add_argument("--memory", type=int, default=None, help=f"MB of memory per exercise (default {DEFAULT_MEMORY})")
    parser.add_argument("--course", type=Path, default=None,
                        help="the assignment: an assignment.json (from `handout`) or a folder of released exercise "
                             "notebooks (default: for grade, RESULTS/assignment.json when regrading, else exercises/)")
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="feedback language (default: the course's edition, en for English exercise notebooks)")
    parser.add_argument("--trust-students", action="store_true", help="grade without the kernel sandbox (see README)")
    parser.add_argument("--run-limit", type=float, default=6 * 3600.0, help="seconds for the whole run (default 6 h)")


def _settings(args, course):
    """The limits and language asked for; the language defaults to the edition of ``course`` (checked loadable)."""
    from helpers.grading.course import Course, Settings
    from helpers.messages import language

    return Settings(timeout=args.timeout if args.timeout is not None else DEFAULT_TIMEOUT,
                    memory_mb=args.memory if args.memory is not None else DEFAULT_MEMORY, jobs=max(1, args.jobs),
                    lang=language(args.lang, Course.load(course).language), run_limit=args.run_limit)


def run_grade(args):
    from helpers.grading.course import ASSIGNMENT

    # A regrade grades what the class was given (recorded in RESULTS at its first grade), not what the course
    # has become since; --course names another assignment.
    recorded = args.out / ASSIGNMENT
    source = args.course or (recorded if recorded.is_file() else ROOT / "exercises")
    if not source.exists():
        print(f"autograd-course grade: {source} does not exist", file=sys.stderr)
        return 2
    if source == recorded:
        print(f"grading the assignment recorded in {recorded} (name another with --course)", file=sys.stderr)
    semester = _semester(args, source)
    if semester is None:
        return 2
    try:
        return _run_grade(args, source, recorded, semester)
    finally:
        semester.close()


def _semester(args, source):
    """The submissions read in whatever layout the LMS gave, the assignment file's rules, the options reused
    from RESULTS; None after saying in one line why not."""
    from helpers.grading import semester
    from helpers.grading.course import Course, CourseError

    try:
        semester.recall(args)
        return semester.prepare(args, list(Course.load(source).exercises))
    except (semester.SemesterError, CourseError) as error:
        print(f"autograd-course grade: {error}", file=sys.stderr)
    return None


def _run_grade(args, source, recorded, semester):
    match = None
    if args.roster:
        from helpers.grading import roster

        try:
            entries = roster.read(args.roster)
        except (OSError, roster.RosterError) as error:
            print(f"autograd-course grade: {error}", file=sys.stderr)
            return 2
    started = time.perf_counter()
    from helpers.grading.sandbox.pool import Pool

    pool = Pool(max(1, args.jobs), trust=args.trust_students)  # its zygote imports torch meanwhile
    from helpers.grading import report

    from helpers.exercises import EXERCISES
    from helpers.grading.course import CourseError
    from helpers.grading.grade import grade
    from helpers.grading.results import Unwritable

    settings, bar = _settings(args, source), _ProgressBar()
    try:
        _pin_assignment(source, recorded, EXERCISES)
        course, students, records = grade(semester.folder, args.out, recorded, EXERCISES, settings, bar, pool,
                                          only=args.only, exercises=semester.selection)
    except (KeyboardInterrupt, CourseError, Unwritable) as error:
        pool.__exit__(type(error), None, None)
        bar.close()
        if isinstance(error, CourseError):
            print(f"autograd-course grade: {error}", file=sys.stderr)
            return 2
        if isinstance(error, Unwritable):
            print(_unwritable(error), file=sys.stderr)
            return 2
        print(f"interrupted: finished results are kept in {args.out / 'results.jsonl'}; "
              "run the same command again to continue", file=sys.stderr)
        return 130
    bar.close()
    seconds = time.perf_counter() - started
    _fingerprint_assignment(course.released or course, recorded)
    records, gradebook = semester.gradebook(records, settings.lang, args.assignment)
    if args.roster:
        graded = sorted({r["student"] for r in records} | set(semester.students))
        match = roster.Match.of(entries, graded)
        for folder in match.unlisted:
            print(f"not in the roster{'' if gradebook.lms_ids else ' (status missing)'}: {folder}", file=sys.stderr)
        for entry in match.absent:
            print(f"no submission folder (status missing): {entry.folder} ({entry.id})", file=sys.stderr)
    try:
        semester.remember(args)
        report.write_all(args.out, list(course.exercises), records, settings.lang, seconds, match, args.export,
                         gradebook, course_url=args.course_url)
    except OSError as error:
        print(_unwritable(Unwritable(args.out, error, len(records))), file=sys.stderr)
        return 2
    print(report.console(records, students, seconds, args.out, settings.lang, args.export,
                         report.names_of(match)))
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


def _course_problem(folder):
    """Why the course folder cannot be graded, found before any worker starts; None if it can."""
    from helpers.grading.course import Course, CourseError

    try:
        Course.load(folder)
    except CourseError as error:
        return str(error)
    return None


def _unwritable(error):
    """One line for results that cannot be written (a full disk): what is kept, and how to go on."""
    kept = f"the {error.kept} results already in results.jsonl are kept" if error.kept is not None else \
        "the results already written are kept"
    return (f"autograd-course grade: cannot write {error.path}: {error.strerror}; {kept}: free some space and run "
            "the same command again to continue")


def run_check(args):
    from helpers.grading import notebooks
    from helpers.grading.insight import plain, student_warnings, warning_text

    shown = notebooks.shown(str(args.notebook))  # printable whatever bytes the file name holds
    try:
        notebooks.read(args.notebook)
    except notebooks.InvalidNotebook as error:
        print(f"{shown}: {error.reason(args.lang)}")
        return 2
    args.course = args.course or ROOT / "exercises"
    problem = f"{args.course} does not exist" if not args.course.exists() else _course_problem(args.course)
    if problem:
        print(f"autograd-course check: {notebooks.shown(problem)}")
        return 2
    from helpers.grading.sandbox.pool import Pool

    pool = Pool(1, trust=args.trust_students)  # one student is one task; its zygote imports torch meanwhile

    from helpers.exercises import EXERCISES
    from helpers.grading.course import CourseError
    from helpers.grading.grade import grade
    from helpers.checking.verdict import PROBLEM_SYMBOL, SYMBOLS
    from helpers.messages import say

    settings = _settings(args, args.course)
    name = notebooks.shown(args.notebook.name)
    with tempfile.TemporaryDirectory(prefix="autograd-check-") as scratch:
        student = Path(scratch, "submissions", "me")
        student.mkdir(parents=True)
        shutil.copy(args.notebook, student / name)
        try:
            _, _, records = grade(student.parent, Path(scratch, "results"), args.course, EXERCISES, settings,
                                  pool=pool)
        except CourseError as error:
            pool.__exit__(CourseError, None, None)
            print(f"autograd-course check: {error}")
            return 2
    mine = [r for r in records if r["notebook"] == name]
    if not mine:
        print(f"{shown}: {say('no_exercises', settings.lang)}")
        return 2
    for record in mine:
        symbol = SYMBOLS.get(record["status"], PROBLEM_SYMBOL)
        separator = "：" if settings.lang == "zh" else ": "
        detail = plain(record["detail"])  # no terminal escapes from a student's error message
        print(f"{symbol} {record['exercise']} {say(record['status'], settings.lang)}{separator}{detail}")
    for warning in student_warnings(mine):  # where marks may be lost: an answer outside its cell, a borrowed name
        print(f"⚠️ {plain(warning_text(warning, settings.lang) or '')}")
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
