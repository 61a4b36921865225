"""What ``grade`` does around grading for a real class: the options a results folder remembers, the LMS
download read (``intake``), the assignment file's rules (``policy``) and the submission times, checked before
any worker starts; after grading, the rules applied to the records (``Semester.gradebook``).

A results folder keeps ``options.json`` (the roster, exports, language, limits, grade column, assignment file and
submission times of its last run, paths made absolute) and a copy of the assignment file (``assignment.toml``).
A rerun, and ``--only``, reuse every option not given again, so a regrade never drops a column or mixes
languages; ``--only`` refuses a language or limit other than the one the other students were graded with.
"""
import sys
from dataclasses import dataclass, field
from pathlib import Path

from helpers.grading import intake as lms
from helpers.grading.commands import DEFAULT_MEMORY, DEFAULT_TIMEOUT
from helpers.grading.export import Gradebook
from helpers.grading.policy import Policy, PolicyError, read_times
from helpers.grading.results import recall_options, remember_options

# option -> what argparse leaves when it is not given; a remembered value fills it in
REMEMBERED = {"roster": None, "export": [], "lang": None, "assignment": None, "assignment_file": None,
              "submitted_at": None, "timeout": None, "memory": None, "course_url": None}
PATHS = ("roster", "assignment_file", "submitted_at")
DEFAULT_LIMITS = {"timeout": DEFAULT_TIMEOUT, "memory": DEFAULT_MEMORY}
KEPT_FOR_ONLY = ("lang", "timeout", "memory")  # what the other students' kept results were graded with
POLICY_COPY = "assignment.toml"


class SemesterError(ValueError):
    """The options, the submissions, the assignment file or the times cannot be used: one line saying why."""


@dataclass
class Semester:
    intake: lms.Intake
    policy: Policy = field(default_factory=Policy)
    times: dict = field(default_factory=dict)  # student key -> submission time
    time_source: str = ""
    selection: list = None  # the exercise ids the assignment file grades (None: all of the assignment)

    @property
    def folder(self):
        return self.intake.folder

    @property
    def students(self):
        return list(self.intake.submissions)

    def gradebook(self, records, lang, column=None):
        """(records on the assignment's points with overrides and notes, the ``Gradebook``)."""
        shown, standings = self.policy.apply(records, self.times, self.time_source, lang)
        submissions = self.intake.submissions
        return shown, Gradebook(standings, self.policy, self.policy.column(column),
                                {k: s.name for k, s in submissions.items() if s.name},
                                {k for k, s in submissions.items() if s.late}, self.intake.layout)

    @staticmethod
    def remember(args):
        """Keep this run's options (and a copy of the assignment file) in RESULTS for the next run: after grading,
        so that a run stopped by a full disk has written nothing but results."""
        options = {}
        for option in REMEMBERED:
            value = getattr(args, option)
            options[option] = str(Path(value).resolve()) if option in PATHS and value is not None else value
        remember_options(args.out, options)
        if args.assignment_file:
            (args.out / POLICY_COPY).write_bytes(Path(args.assignment_file).read_bytes())

    def close(self):
        self.intake.close()


def recall(args):
    """Fill in ``args`` from RESULTS/options.json where not given; print what was reused. Raises SemesterError."""
    try:
        remembered = recall_options(args.out)
    except ValueError as error:
        raise SemesterError(str(error)) from None
    if args.only is not None:
        for option in KEPT_FOR_ONLY:
            given = getattr(args, option)
            if given is not None and option in remembered and given != remembered[option]:
                raise SemesterError(f"--only keeps the other students' results, graded with --{option} "
                                    f"{remembered[option]}; drop --{option} {given}, or grade everyone without --only")
    reused = []
    for option, unset in REMEMBERED.items():
        if getattr(args, option) == unset and remembered.get(option) not in (None, []):
            value = remembered[option]
            setattr(args, option, Path(value) if option in PATHS else value)
            reused += [f"--{option.replace('_', '-')} {v}" for v in (value if isinstance(value, list) else [value])]
    if reused:
        print(f"reusing the options of {args.out / 'options.json'}: {' '.join(reused)}", file=sys.stderr)
    for option, default in DEFAULT_LIMITS.items():
        if getattr(args, option) is None:
            setattr(args, option, default)
    for option in PATHS:
        path = getattr(args, option)
        if path is not None and not Path(path).is_file():
            raise SemesterError(f"--{option.replace('_', '-')} {path} does not exist"
                                + (" (remembered from an earlier run: name another, or delete "
                                   f"{args.out / 'options.json'})" if option in remembered else ""))


def prepare(args, exercise_ids):
    """Read the submissions and the rules for ``exercise_ids`` (the assignment's); print the layout found and
    what is not graded. Raises SemesterError (nothing is graded then)."""
    try:
        policy = Policy.load(args.assignment_file) if args.assignment_file else Policy()
        selection = policy.select(exercise_ids) if args.assignment_file else None
        policy.check(selection or exercise_ids)
        times = read_times(args.submitted_at) if args.submitted_at else {}
    except PolicyError as error:
        raise SemesterError(str(error)) from None
    try:
        intake = lms.read(args.submissions)
    except lms.IntakeError as error:
        raise SemesterError(str(error)) from None
    semester = Semester(intake, policy, times or intake.times(),
                        "submitted-at" if times else "zip" if intake.zipped else "", selection)
    try:
        _say(semester, args)
        problem = _mismatch(args, semester)
        if problem:
            raise SemesterError(problem)
    except BaseException:
        semester.close()
        raise
    return semester


def _mismatch(args, semester):
    """Why the options do not fit these submissions, or None."""
    keyed = semester.intake.layout in ("canvas", "moodle")
    for kind in args.export:
        if args.roster is None and not (kind == semester.intake.layout and keyed):
            return (f"--export {kind} needs --roster (the LMS matches students by the roster's ids), or "
                    f"submissions downloaded from {kind.capitalize()}")
    if args.only is not None and args.only not in semester.intake.submissions:
        return f"--only: no student {args.only!r} in {args.submissions}"
    if args.only is not None and not (args.out / "results.jsonl").is_file():
        return f"--only regrades into an existing results folder; {args.out / 'results.jsonl'} does not exist"
    return None


def _say(semester, args):
    """The layout found, what is not graded, and every student the rules name but the class lacks."""
    intake, policy = semester.intake, semester.policy
    if intake.scratch:  # a zip, or an LMS's layout (a folder per student, graded in place, is what it always was)
        print(intake.describe(), file=sys.stderr)
    for name, why in intake.ignored:
        print(f"not graded: {name}: {why}", file=sys.stderr)
    for submission in intake.submissions.values():
        for older in submission.superseded:
            print(f"not graded: {older}: an older submission of {submission.key}", file=sys.stderr)
    students = semester.students
    for student in policy.unknown_students(students):
        print(f"{policy.path}: {student} is in the overrides or extensions but has no submission", file=sys.stderr)
    for student in sorted(set(semester.times) - set(students)):
        print(f"--submitted-at: {student} has no submission", file=sys.stderr)
    if policy.due is not None:
        untimed = [s for s in students if s not in semester.times]
        if untimed:
            print(f"no submission time for {len(untimed)} students, so no late penalty for them: "
                  f"{', '.join(untimed[:10])}{' ...' if len(untimed) > 10 else ''} (give --submitted-at times.csv, or "
                  "the LMS zip)", file=sys.stderr)
    if intake.layout == "canvas" and not semester.times:
        late = [s.key for s in intake.submissions.values() if s.late]
        if late:
            print(f"Canvas flags {len(late)} submissions late but gives no time here ({', '.join(late[:10])}): "
                  "grade the zip, or give --submitted-at, to apply a late penalty", file=sys.stderr)
    if semester.time_source == "zip" and policy.due is not None:
        print("submission times: the zip's entry times, read as UTC where the zip names no zone", file=sys.stderr)
