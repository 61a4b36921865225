"""Assignments are versioned: a class is graded on what it was given, recorded in RESULTS/assignment.json.

The class below gets chapter 2's notebook before ``ch02.micro_batch`` is released; the exercise arrives in a
later release, and regrading the class must not mark anyone ``missing`` for it.
"""
import copy
import json
from pathlib import Path

import nbformat
import pytest

from helpers import cli
from helpers.exercises import EXERCISES
from helpers.grading.course import ASSIGNMENT, Course, CourseError

ROOT = Path(__file__).resolve().parent.parent
EX02 = "ex02_zeroing_gradients.ipynb"
LATER = "ch02.micro_batch"


def without(notebook, exercise_id):
    """The notebook as released before ``exercise_id`` existed: its question, answer and check cells gone."""
    notebook = copy.deepcopy(notebook)
    index = next(i for i, c in enumerate(notebook.cells) if c.metadata.get("autograd_course", {}).get("exercise") ==
                 exercise_id)
    del notebook.cells[index - 1:index + 2]
    return notebook


def records(results):
    lines = (results / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {(r["student"], r["exercise"]): r for r in map(json.loads, lines)}


def grade(submissions, results, *options):
    return cli.main(["grade", str(submissions), "--out", str(results), "--jobs", "1", "--timeout", "5", *options])


def test_a_class_is_regraded_on_what_it_was_given(tmp_path, capsys):
    """Two students get chapter 2 before its last exercise is released; the next release brings it."""
    course, submissions, results = tmp_path / "course", tmp_path / "submissions", tmp_path / "results"
    course.mkdir()
    released = nbformat.read(ROOT / "exercises" / EX02, as_version=4)
    nbformat.write(without(released, LATER), course / EX02)
    solved = without(nbformat.read(ROOT / "solutions" / EX02, as_version=4), LATER)
    for student in ("ana", "ben"):
        (submissions / student).mkdir(parents=True)
        nbformat.write(solved, submissions / student / EX02)
    assert grade(submissions, results, "--course", str(course)) == 0
    assignment = json.loads((results / ASSIGNMENT).read_text(encoding="utf-8"))
    (notebook,) = assignment["notebooks"]
    assert notebook["file"] == EX02 and notebook["setup"] == "import torch\nfrom helpers import check"
    assert list(notebook["exercises"]) == [i for i in EXERCISES if i.startswith("ch02.") and i != LATER]
    assert all(isinstance(f, str) and len(f) == 16 for f in notebook["exercises"].values())  # recorded after grading
    before = records(results)

    nbformat.write(released, course / EX02)  # the next release brings LATER
    notebook["exercises"]["ch02.no_zero"] = "0" * 16  # as if its checker had changed since the class was graded
    (results / ASSIGNMENT).write_text(json.dumps(assignment), encoding="utf-8")
    capsys.readouterr()
    assert grade(submissions, results) == 0

    err = capsys.readouterr().err
    assert "grading the assignment recorded in" in err
    assert "ch02.no_zero: its checker changed since the assignment was recorded" in err and "ch02.sequence" not in err
    after = records(results)
    assert after.keys() == before.keys() and not [key for key in after if key[1] == LATER]
    assert {r["status"] for r in after.values()} == {"pass"}
    assert "missing" not in (results / "grades.csv").read_text(encoding="utf-8")

    assert grade(submissions, results, "--course", str(course)) == 0  # naming the course grades the new release
    assert records(results)["ana", LATER]["status"] == "missing"  # ana's notebook predates it
    assert LATER in json.loads((results / ASSIGNMENT).read_text(encoding="utf-8"))["notebooks"][0]["exercises"]


def test_an_assignment_the_course_no_longer_defines_is_refused(tmp_path):
    assignment = {"format": 1, "notebooks": [{"file": EX02, "setup": "import torch", "exercises": {"ch02.gone": "x"}}]}
    (tmp_path / ASSIGNMENT).write_text(json.dumps(assignment), encoding="utf-8")
    with pytest.raises(CourseError, match="no longer defines ch02.gone"):
        Course.load(tmp_path / ASSIGNMENT, EXERCISES)
    (tmp_path / ASSIGNMENT).write_text("{", encoding="utf-8")
    with pytest.raises(CourseError, match="not an assignment this version can read"):
        Course.load(tmp_path, EXERCISES)
