"""An assignment's grading rules: ``--assignment-file assignment.toml`` (read with tomllib).

    name = "Homework 2: zeroing gradients"     # the grade column in the LMS files
    exercises = ["ch02.*"]                      # ids or globs: the subset of the assignment graded
    due = 2027-03-01T23:59:00+08:00             # ISO 8601 with an offset (a TOML date-time or a string)
    late_penalty_per_day = 0.1                  # a fraction of the score, per day or part of a day late
    late_max_days = 3                           # later than this scores 0
    overrides = "overrides.csv"                 # student,exercise,score,comment (relative to this file)
    canvas_assignment_id = 4567                 # export to the existing Canvas assignment "name (4567)"
    [points]
    default = 1
    "ch02.three_grads" = 3
    [extensions]
    "123456" = 2027-03-03T23:59:00+08:00        # student key -> a new due date

It is the grading side of an assignment. What was released (the notebooks, setup cells, exercise ids and
their fingerprints) stays in ``assignment.json`` (``helpers.grading.course``); the file's ``exercises`` must be
ids of it. Scores: each exercise earns its points times the fraction the grader gave (1 or 0, or the parts
earned); an override replaces that (in points, 0 to the exercise's points); the late penalty then takes
``min(1, days × late_penalty_per_day)`` of the total, all of it after ``late_max_days``. ``days`` counts every
started day after the due date (the student's extension, if any). Nothing here ever runs student code.
"""
import csv
import difflib
import fnmatch
import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from helpers.messages import say

KEYS = {"name", "exercises", "points", "due", "late_penalty_per_day", "late_max_days", "extensions", "overrides",
        "canvas_assignment_id"}


class PolicyError(ValueError):
    """The assignment file, its overrides or the submission times cannot be used: one line saying why."""


@dataclass
class Override:
    student: str
    exercise: str
    score: float
    comment: str
    line: int


@dataclass
class Standing:
    """One student's total under the rules, as grades.csv and the LMS files give it."""
    total: float  # the exercises' points earned, overrides applied
    possible: float
    late_days: int = 0
    penalty: float = 0.0  # points taken for lateness
    submitted: datetime = None
    time_source: str = ""
    due: datetime = None  # the student's due date (their extension, if any)

    @property
    def final(self):
        return max(0.0, self.total - self.penalty)


@dataclass
class Policy:
    name: str = None
    exercises: list = None  # ids or globs; None: the whole assignment
    points: dict = field(default_factory=dict)  # id or glob -> points
    default_points: float = 1.0
    due: datetime = None
    late_penalty_per_day: float = 0.0
    late_max_days: int = None
    extensions: dict = field(default_factory=dict)  # student key -> datetime
    overrides: list = field(default_factory=list)
    canvas_assignment_id: str = None
    path: Path = None

    @classmethod
    def load(cls, path):
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise PolicyError(f"{path}: cannot be read ({error})") from None
        except tomllib.TOMLDecodeError as error:
            raise PolicyError(f"{path}: not TOML ({error})") from None
        unknown = sorted(set(data) - KEYS)
        if unknown:
            raise PolicyError(f"{path}: unknown key {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})")
        points = dict(_table(data, "points", path))
        policy = cls(name=_text(data, "name", path), exercises=_patterns(data, path),
                     default_points=_number(points.pop("default", 1.0), "points.default", path),
                     points={k: _number(v, f"points.{k}", path) for k, v in points.items()},
                     due=_moment(data["due"], "due", path) if "due" in data else None,
                     late_penalty_per_day=_number(data.get("late_penalty_per_day", 0.0), "late_penalty_per_day", path,
                                                  most=1.0),
                     late_max_days=int(_number(data["late_max_days"], "late_max_days", path))
                     if "late_max_days" in data else None,
                     extensions={str(k): _moment(v, f"extensions.{k}", path)
                                 for k, v in _table(data, "extensions", path).items()},
                     canvas_assignment_id=str(data["canvas_assignment_id"]) if "canvas_assignment_id" in data else None,
                     path=path)
        if policy.extensions and policy.due is None:
            raise PolicyError(f"{path}: [extensions] without a due date")
        if "overrides" in data:
            policy.overrides = read_overrides(path.parent / _text(data, "overrides", path))
        return policy

    def select(self, exercise_ids):
        """The graded subset of the assignment's ``exercise_ids``, in its order; each pattern must match one."""
        if self.exercises is None:
            return list(exercise_ids)
        for pattern in self.exercises:
            if not any(fnmatch.fnmatchcase(i, pattern) for i in exercise_ids):
                raise PolicyError(f"{self.path}: exercises: {pattern!r} is not in the assignment{_near(pattern, exercise_ids)}")
        return [i for i in exercise_ids if any(fnmatch.fnmatchcase(i, p) for p in self.exercises)]

    def check(self, graded):
        """Refuse points and overrides that name no graded exercise (a typo would silently do nothing)."""
        for pattern in self.points:
            if not any(fnmatch.fnmatchcase(i, pattern) for i in graded):
                raise PolicyError(f"{self.path}: [points] {pattern!r} names no graded exercise{_near(pattern, graded)}")
        for override in self.overrides:
            if override.exercise not in graded:
                raise PolicyError(f"overrides line {override.line}: {override.exercise!r} is not graded"
                                  f"{_near(override.exercise, graded)}")
            if not 0 <= override.score <= self.points_of(override.exercise):
                raise PolicyError(f"overrides line {override.line}: score {override.score:g} is outside 0 to "
                                  f"{self.points_of(override.exercise):g}, the points of {override.exercise}")

    def points_of(self, exercise_id):
        if exercise_id in self.points:
            return self.points[exercise_id]
        for pattern, points in self.points.items():
            if fnmatch.fnmatchcase(exercise_id, pattern):
                return points
        return self.default_points

    def due_for(self, student):
        return self.extensions.get(student, self.due)

    def late_days(self, student, submitted):
        """Every started day after the student's due date (0 when on time, or when a time or a due is unknown)."""
        due = self.due_for(student)
        if due is None or submitted is None or submitted <= due:
            return 0
        return math.ceil((submitted - due) / timedelta(days=1))

    def penalty_share(self, days):
        if not days:
            return 0.0
        if self.late_max_days is not None and days > self.late_max_days:
            return 1.0
        return min(1.0, days * self.late_penalty_per_day)

    def apply(self, records, times, time_source, lang):
        """(records on the assignment's points, overrides applied, with notes the student reads;
        student -> ``Standing``). ``records`` come from results.jsonl and are not changed."""
        overrides = {(o.student, o.exercise): o for o in self.overrides}
        shown, standings = [], {}
        for record in records:
            record = dict(record)
            points = self.points_of(record["exercise"])
            graded = record["score"] / record["points"] * points if record["points"] else 0.0
            record["points"], record["score"] = points, graded
            notes = [record["note"]] if record.get("note") else []
            if record.get("parts"):
                notes.append(parts_note(record["parts"], lang))
            override = overrides.get((record["student"], record["exercise"]))
            if override:
                record["score"] = override.score
                record["override"] = {"score": override.score, "graded": graded, "comment": override.comment}
                notes.append(say("override_note", lang, score=f"{override.score:g}", graded=f"{graded:g}",
                                 comment=override.comment))
            if notes:
                record["note"] = " ".join(notes)
            shown.append(record)
            standing = standings.setdefault(record["student"], Standing(0.0, 0.0))
            standing.total += record["score"]
            standing.possible += points
        for student, standing in standings.items():
            standing.submitted = times.get(student)
            standing.time_source = time_source if standing.submitted else ""
            standing.due = self.due_for(student)
            standing.late_days = self.late_days(student, standing.submitted)
            standing.penalty = standing.total * self.penalty_share(standing.late_days)
        return shown, standings

    def unknown_students(self, students):
        """Overrides and extensions for students not in this class: said on the console, never dropped silently."""
        known = set(students)
        return sorted({o.student for o in self.overrides if o.student not in known}
                      | {s for s in self.extensions if s not in known})

    def column(self, assignment=None):
        """The grade column's name in the LMS files: ``name (canvas_assignment_id)`` updates that Canvas assignment."""
        name = assignment or self.name or "autograd-course"
        return f"{name} ({self.canvas_assignment_id})" if self.canvas_assignment_id else name

    def feedback_lines(self, standing, lang):
        """The sentences a student reads under their feedback: due date, lateness and the final score."""
        lines = []
        if standing.due is not None and standing.due != self.due:
            lines.append(say("extended_to", lang, due=standing.due.isoformat()))
        if standing.late_days:
            share = self.penalty_share(standing.late_days)
            key = "late_zero" if share >= 1 and self.late_max_days is not None and \
                standing.late_days > self.late_max_days else "late_penalty"
            lines.append(say(key, lang, days=standing.late_days, penalty=f"{standing.penalty:.4g}",
                             rate=f"{self.late_penalty_per_day:.0%}", most=self.late_max_days))
        if lines or standing.total != standing.final:
            lines.append(say("final_score", lang, final=f"{standing.final:.4g}", possible=f"{standing.possible:g}"))
        return lines


def parts_note(parts, lang):
    marks = "; ".join(f"{'✓' if p['earned'] else '✗'} {p['part']}" for p in parts)
    earned = sum(p["share"] for p in parts if p["earned"])
    return say("parts_note", lang, parts=marks, share=f"{earned:.0%}")


def read_overrides(path):
    """``student,exercise,score,comment`` rows (a header row first)."""
    rows = _csv(path, ("student", "exercise", "score", "comment"))
    overrides, seen = [], set()
    for line, row in rows:
        try:
            score = float(row["score"])
        except ValueError:
            raise PolicyError(f"{path}, line {line}: score {row['score']!r} is not a number") from None
        if (row["student"], row["exercise"]) in seen:
            raise PolicyError(f"{path}, line {line}: {row['student']} {row['exercise']} is overridden twice")
        seen.add((row["student"], row["exercise"]))
        overrides.append(Override(row["student"], row["exercise"], score, row.get("comment", ""), line))
    return overrides


def read_times(path):
    """``--submitted-at``: student key -> submission time, from ``student,time`` rows (ISO 8601 with offset)."""
    return {row["student"]: _moment(row["time"], f"line {line}", path) for line, row in _csv(path, ("student", "time"))}


def _csv(path, columns):
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"{path}: cannot be read ({error})") from None
    header = [h.strip().lower() for h in rows[0]] if rows else []
    needed = [c for c in columns if c != "comment"]
    if not all(c in header for c in needed):
        raise PolicyError(f"{path}: the header needs the columns {', '.join(columns)} (found: {', '.join(header)})")
    return [(number, {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)})
            for number, row in enumerate(rows[1:], 2) if any(cell.strip() for cell in row)]


def _moment(value, what, path):
    """A datetime with an offset, from a TOML date-time or an ISO 8601 string; a time without offset is refused
    (it would depend on the grading machine's clock)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PolicyError(f"{path}: {what}: {value!r} is not an ISO 8601 date and time") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise PolicyError(f"{path}: {what}: {value} has no time of day; write e.g. {value}T23:59:00+08:00")
    if not isinstance(value, datetime):
        raise PolicyError(f"{path}: {what}: {value!r} is not a date and time")
    if value.tzinfo is None:
        raise PolicyError(f"{path}: {what}: {value.isoformat()} has no UTC offset; write e.g. "
                          f"{value.isoformat()}+08:00")
    return value.astimezone(timezone.utc)


def _number(value, what, path, most=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (most is not None and value > most):
        raise PolicyError(f"{path}: {what} must be a number from 0{f' to {most:g}' if most is not None else ''}, "
                          f"not {value!r}")
    return float(value)


def _text(data, key, path):
    if key in data and not isinstance(data[key], str):
        raise PolicyError(f"{path}: {key} must be a string, not {data[key]!r}")
    return data.get(key)


def _table(data, key, path):
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: {key} must be a table ([{key}])")
    return table


def _patterns(data, path):
    if "exercises" not in data:
        return None
    value = data["exercises"]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{path}: exercises must be a list of ids or globs, e.g. [\"ch02.*\"]")
    return value


def _near(name, known):
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
