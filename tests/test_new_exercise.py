"""`autograd-course new-exercise`: the scaffold of each kind, what it refuses and why, and an author's whole path.

The whole path runs in a temporary copy of the course, in fresh processes (as an author types it): new-exercise,
filling in the gaps, outputs, release, and grading, both a class graded before the exercise existed and one after.
It runs the kernel and the grader several times, so it is marked ``slow`` (`make test-slow`, run by CI).
"""
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.authoring.new_exercise import EXERCISES_PER_CHAPTER, TODO, ScaffoldError, scaffold
from helpers.authoring.release import student_copy
from helpers.exercises import EXERCISES

ROOT = Path(__file__).resolve().parent.parent
EX03 = "ex03_scalar_backward.ipynb"


def course_copy(folder, *chapters):
    """The course's code and the named chapters' definitions and notebooks, in ``folder``."""
    for name in ("helpers", "content"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(ROOT / "pyproject.toml", folder / "pyproject.toml")
    for part in ("solutions", "exercises"):
        (folder / part).mkdir()
        for chapter in chapters:
            for path in (ROOT / part).glob(f"ex{chapter}_*.ipynb"):
                shutil.copyfile(path, folder / part / path.name)
    return folder


@pytest.mark.parametrize("kind, name", [("function", "my_id"), ("value", "my_id"), ("choice", "answer")])
def test_the_scaffold_adds_a_definition_and_the_three_cells(tmp_path, kind, name):
    root = course_copy(tmp_path, "03")
    printed = scaffold("ch03.my_id", kind, root=root)

    definitions = runpy.run_path(str(root / "content" / "ch03.py"))["EXERCISES"]
    assert [e.id for e in definitions] == [i for i in EXERCISES if i.startswith("ch03.")] + ["ch03.my_id"]
    assert type(definitions[-1]).__name__ == {"function": "FunctionExercise", "value": "ValueExercise",
                                              "choice": "ChoiceExercise"}[kind]
    assert definitions[-1].name == name
    notebook = nbformat.read(root / "solutions" / EX03, as_version=4)
    question, answer, check = notebook.cells[-3:]
    assert question.cell_type == "markdown" and "`ch03.my_id`" in question.source
    assert answer.metadata == {"autograd_course": {"exercise": "ch03.my_id"}}
    assert check.metadata == {"autograd_course": {"check": "ch03.my_id"}} and check.source == f'check("ch03.my_id", {name})'
    released = student_copy(notebook).cells[-2].source
    assert "BEGIN SOLUTION" not in released and "..." in released
    assert TODO in (root / "content" / "ch03.py").read_text(encoding="utf-8") and TODO in question.source
    assert "content/ch03.py" in printed and f"autograd-course outputs solutions/{EX03}" in printed


@pytest.mark.parametrize("exercise_id, kind, reason", [
    ("ch3.x", "value", "is no exercise id: write chNN.name"),
    ("ch03.Bad", "value", "is no exercise id"),
    ("ch42.x", "value", "chapter 42 needs content/ch42.py and one solutions/ex42_*.ipynb"),
    ("ch03.jacobian", "function", "ch03.jacobian exists already"),
    ("ch02.one_more", "value", f"has 6 exercises, the most a chapter may have: a chapter's exercise notebook is one "
                               f"sitting: at least {EXERCISES_PER_CHAPTER[0]}"),
])
def test_what_the_scaffold_refuses_and_why(tmp_path, exercise_id, kind, reason):
    root = course_copy(tmp_path, "02", "03")
    before = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    with pytest.raises(ScaffoldError, match=reason.replace("*", r"\*").replace("(", r"\(")):
        scaffold(exercise_id, kind, root=root)
    assert {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} == before, "nothing is written"


def test_a_function_name_the_chapter_already_defines_is_refused(tmp_path):
    root = course_copy(tmp_path, "05")
    with pytest.raises(ScaffoldError, match="already defines f_cases"):
        scaffold("ch05.f", "function", root=root)


# ---- the whole path, as an author types it ---------------------------------------------------------------------------

def run(root, *arguments, code=0):
    """``autograd-course ARGUMENTS`` in ``root``, importing the copy's helpers and content (also in its kernels)."""
    environment = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-m", "helpers.cli", *arguments], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == code, (arguments, done.stdout[-2000:], done.stderr[-3000:])
    return done


def fill_in(root):
    """What the author writes where the scaffold says TODO: ch03.triple asks for 3x."""
    module = root / "content" / "ch03.py"
    source = module.read_text(encoding="utf-8")
    source = source.replace(f'raise NotImplementedError("{TODO}: the reference of ch03.triple")', "return 3 * x")
    source = source.replace(f"generator=generator),)]  # {TODO}", "generator=generator),)]")
    blank = f'{{"zh": "{TODO}: 中文", "en": "{TODO}: English"}}'
    source = source.replace(blank, '{"zh": "3x：每个元素乘 3。", "en": "3x: each element times 3."}', 1)
    source = source.replace(blank, '{"zh": "这是 2x，要的是 3x。", "en": "That is 2x; 3x is asked."}', 1)
    module.write_text(source, encoding="utf-8")
    path = root / "solutions" / EX03
    notebook = nbformat.read(path, as_version=4)
    question, answer, _ = notebook.cells[-3:]
    question.source = "## 3.5 三倍（函数题）\n\n写函数 `triple(x)`，返回 `3 * x`。\n\n练习编号：`ch03.triple`"
    answer.source = answer.source.replace(f'raise NotImplementedError("{TODO}: the solution")', "return 3 * x")
    answer.source = answer.source.replace(f"{TODO}: what the function returns.", "3x。")
    nbformat.write(notebook, path)
    assert TODO not in module.read_text(encoding="utf-8") + path.read_text(encoding="utf-8")


def grade_records(root, submissions, results, *options):
    done = run(root, "grade", str(submissions), "--out", str(results), "--jobs", "1", *options)
    lines = (results / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return done, {(r["student"], r["exercise"]): r["status"] for r in map(json.loads, lines)}


@pytest.mark.slow
def test_an_author_adds_an_exercise_that_is_released_checked_and_graded(tmp_path):
    root = course_copy(tmp_path / "course", "03")
    old_class, results = tmp_path / "old-class", tmp_path / "old-results"
    (old_class / "ana").mkdir(parents=True)
    shutil.copyfile(root / "solutions" / EX03, old_class / "ana" / EX03)
    grade_records(root, old_class, results)

    printed = run(root, "new-exercise", "ch03.triple", "--kind", "function").stdout
    assert "fill in every TODO(new-exercise)" in printed
    fill_in(root)
    run(root, "outputs", f"solutions/{EX03}")
    solved = nbformat.read(root / "solutions" / EX03, as_version=4)
    assert solved.cells[-1].outputs[0]["data"]["text/plain"].startswith("✅ ch03.triple 正确")
    run(root, "release")
    released = nbformat.read(root / "exercises" / EX03, as_version=4)
    assert released.cells[-2].source.endswith("...  # 在这里写你的代码")
    assert released.cells[-1].outputs[0]["data"]["text/plain"].startswith("⏳ ch03.triple")
    # The generic tests, as `make test` runs them in the copy, pick ch03.triple up: no table was edited.
    shutil.copytree(ROOT / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__", "browser"))
    shutil.copyfile(ROOT / "conftest.py", root / "conftest.py")
    tested = subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-q", "-rA", "-k", "triple or ex03 or unfinished",
                             "tests/test_exercises.py", "tests/test_release.py"], cwd=root,
                            env=dict(os.environ, PYTHONPATH=str(root)), capture_output=True, text=True, timeout=600)
    assert tested.returncode == 0, tested.stdout[-3000:]
    for test in ("test_the_right_functions_pass[ch03.triple]", "test_each_listed_mistake_gets_its_own_message[ch03.triple]",
                 "test_solution_notebook_follows_the_exercise_format[ex03_scalar_backward]",
                 f"test_committed_exercises_equal_what_release_makes[{EX03}]", "test_no_scaffold_is_left_unfinished"):
        assert f"PASSED tests/test_exercises.py::{test}" in tested.stdout or f"PASSED tests/test_release.py::{test}" in \
            tested.stdout, (test, tested.stdout[-3000:])

    done, regraded = grade_records(root, old_class, results)  # the class graded before ch03.triple existed
    assert "grading the assignment recorded in" in done.stderr
    assert not [key for key in regraded if key[1] == "ch03.triple"] and set(regraded.values()) == {"pass"}

    new_class = tmp_path / "new-class"
    for student, source in (("ana", root / "solutions" / EX03), ("ben", root / "exercises" / EX03)):
        (new_class / student).mkdir(parents=True)
        shutil.copyfile(source, new_class / student / EX03)
    _, graded = grade_records(root, new_class, tmp_path / "new-results")
    assert graded["ana", "ch03.triple"] == "pass" and graded["ben", "ch03.triple"] == "todo"
