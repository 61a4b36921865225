"""End-to-end tests of ``autograd-course grade`` / ``check`` over a corpus of good, bad and hostile submissions.

The corpus is built from the course's own notebooks (solutions/ for right answers, mutated copies for
mistakes and attacks), so it follows the exercises as they change. One class is graded once (module
fixture, through the real command line) and every test reads its results.
"""
import copy
import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from helpers import cli
from helpers.exercises import EXERCISES as EXERCISES_BY_ID
from helpers.grading import commands, grade as grading, notebooks
from helpers.grading import course as course_settings
from exercise_support import answer_cell, load, with_answer

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "solutions"  # same setup cells and exercise ids as the released copies in exercises/
EX02 = "ex02_zeroing_gradients.ipynb"
EX06 = "ex06_sin_cos_plot.ipynb"
IDS = ["ch02.backward_twice", "ch02.no_zero", "ch02.three_grads", "ch02.retain_graph", "ch02.sequence",
       "ch02.micro_batch"]
TIMEOUT = "2"

pytestmark = pytest.mark.skipif(not (COURSE / EX02).exists(), reason="exercise notebooks not written yet")


GOOD_THREE_GRADS = "".join(answer_cell(load(), "ch02.three_grads")["source"]) if (COURSE / EX02).exists() else ""
WRONG_NO_ZERO = "grad_without_zero = torch.tensor([0.0, 4.0, 8.0, 12.0])\n"


def deleted(exercise_id):
    notebook = load()
    notebook["cells"].remove(answer_cell(notebook, exercise_id))
    return notebook


def as_markdown(exercise_id):
    notebook = load()
    cell = answer_cell(notebook, exercise_id)
    cell["cell_type"] = "markdown"
    cell.pop("outputs", None), cell.pop("execution_count", None)
    return notebook


def duplicated_last_wrong():
    notebook = load()
    cell = answer_cell(notebook, "ch02.no_zero")
    wrong = copy.deepcopy(cell)
    wrong["source"] = WRONG_NO_ZERO
    notebook["cells"].append(wrong)
    return notebook


def reordered():
    notebook = load()
    notebook["cells"].reverse()
    return notebook


def renamed_file(notebook):
    return {"my homework (final).ipynb": notebook}


def corpus(results):
    """student -> {file name: notebook dict | raw bytes}."""
    forge = (f"import json, os\n"
             f"for target in [{str(results / 'grades.csv')!r}, {str(results / 'results.jsonl')!r}, "
             f"'../grades.csv', '/tmp/forged-by-student.csv']:\n"
             f"    try:\n"
             f"        with open(target, 'a') as f:\n"
             f"            f.write('forger,1,1,1,1,1,1,6,ok\\n' + json.dumps({{'student': 'forger', 'status': 'pass'}}))\n"
             f"    except OSError:\n"
             f"        pass\n"
             f"with open('scratch.txt', 'w') as f:\n"  # its own temporary folder is fine
             f"    f.write('ok')\n"
             f"grad_without_zero = torch.tensor([1.0, 5.0, 9.0, 13.0])\n")
    return {
        "good": {EX02: load()},
        "blank": {EX02: json.loads((ROOT / "exercises" / EX02).read_text(encoding="utf-8"))}
        if (ROOT / "exercises" / EX02).exists() else {EX02: with_answer("ch02.no_zero", "grad_without_zero = ...\n")},
        "wrong": {EX02: with_answer("ch02.no_zero", WRONG_NO_ZERO)},
        "renamed": renamed_file(load()),
        "not_json": {EX02: b"{ this is not json"},
        "empty_file": {EX02: b""},
        "not_notebook": {EX02: b"[1, 2, 3]"},
        "old_nbformat": {EX02: json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                            "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1",
                                                                       "language": "python", "outputs": []}]}]})},
        "no_notebook": {},
        "deleted_cell": {EX02: deleted("ch02.three_grads")},
        "markdown_cell": {EX02: as_markdown("ch02.three_grads")},
        "duplicated": {EX02: duplicated_last_wrong()},
        "reordered": {EX02: reordered()},
        "raises": {EX02: with_answer("ch02.no_zero", "x = 1\nraise ValueError('boom')\n")},
        "undefined": {EX02: with_answer("ch02.no_zero", "something_else = 3\n")},
        "syntax_error": {EX02: with_answer("ch02.no_zero", "grad_without_zero = torch.tensor([1.0,\n")},
        "infinite_loop": {EX02: with_answer("ch02.micro_batch", "while True:\n    pass\n")},
        "loop_in_function": {EX02: with_answer("ch02.three_grads", "def three_grads(x):\n    while True:\n        pass\n")},
        "memory_bomb": {EX02: with_answer("ch02.no_zero", "hog = bytearray(64 * 2**30)\n")},
        "tensor_bomb": {EX02: with_answer("ch02.three_grads", "def three_grads(x):\n    return torch.empty(2**37)\n")},
        "sys_exit": {EX02: with_answer("ch02.no_zero", "import sys\nsys.exit(0)\n")},
        "os_exit": {EX02: with_answer("ch02.no_zero", "import os\nos._exit(3)\n")},
        "segfault": {EX02: with_answer("ch02.no_zero", "import faulthandler\nfaulthandler._sigsegv()\n")},
        "huge_output": {EX02: with_answer("ch02.no_zero", "print('x' * 30_000_000)\n"
                                                          "grad_without_zero = torch.tensor([1.0, 5.0, 9.0, 13.0])\n")},
        "input_call": {EX02: with_answer("ch02.backward_twice", "answer = input('which? ')\n")},
        # attacks: none of these may change a grade
        "patch_allclose": {EX02: with_answer("ch02.no_zero", "torch.allclose = lambda *a, **k: True\n"
                                                             "torch.Tensor.__eq__ = lambda *a: True\n" + WRONG_NO_ZERO)},
        "patch_helpers": {EX02: with_answer("ch02.no_zero", "import helpers.checking.kinds, helpers.checking.verdict, helpers.checking.observe\n"
                                                            "helpers.checking.kinds.diagnose = lambda *a, **k: None\n"
                                                            "helpers.checking.verdict.Verdict.passed = property(lambda s: True)\n"
                                                            "helpers.checking.observe.describe = lambda v, d=0: {'kind': 'number', 'value': 1.0}\n"
                                                            + WRONG_NO_ZERO)},
        "patch_builtins": {EX02: with_answer("ch02.no_zero", "import builtins\nbuiltins.isinstance = lambda *a: True\n"
                                                             "builtins.any = lambda *a: False\n" + WRONG_NO_ZERO)},
        "fake_pass_print": {EX02: with_answer("ch02.no_zero", "print('✅ ch02.no_zero 正确：')\n"
                                                              "print('{\"outcome\": \"ok\"}')\n" + WRONG_NO_ZERO)},
        "write_results": {EX02: with_answer("ch02.no_zero", forge)},
        "import_references": {EX02: with_answer("ch02.three_grads", "from helpers.exercises import EXERCISES\n"
                                                                    "three_grads = EXERCISES['ch02.three_grads'].reference\n")},
        "unblock_references": {EX02: with_answer("ch02.three_grads",
                                                 "import sys, importlib\nsys.meta_path.pop(0)\n"
                                                 "sys.modules.pop('content', None)\n"
                                                 "three_grads = importlib.import_module('content.ch02').EXERCISES[2].reference\n")},
        "read_solutions": {EX02: with_answer("ch02.three_grads", f"exec(open({str(COURSE / EX02)!r}).read())\n")},
        "lying_tensor": {EX02: with_answer("ch02.three_grads",
                                           "class Liar(torch.Tensor):\n"
                                           "    def __eq__(self, other): return True\n"
                                           "    @classmethod\n"
                                           "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
                                           "        return torch.ones(3)\n"
                                           "def three_grads(x):\n"
                                           "    z = torch.zeros_like(x).as_subclass(Liar)\n"
                                           "    return (z, z, z)\n")},
        "spawn_process": {EX02: with_answer("ch02.no_zero", "import subprocess\nsubprocess.run(['true'])\n")},
        "forge_channel": {EX02: with_answer("ch02.no_zero",
                                            "import os, json\nfor fd in range(3, 64):\n    try:\n"
                                            "        os.write(fd, (json.dumps({'outcome': 'ok', 'observation': "
                                            "{'answer': {'kind': 'number', 'value': 0.0}}}) + '\\n').encode())\n"
                                            "    except OSError:\n        pass\n" + WRONG_NO_ZERO)},
    }


def write_corpus(folder, results):
    for student, files in corpus(results).items():
        (folder / student).mkdir(parents=True)
        for name, content in files.items():
            path = folder / student / name
            if isinstance(content, (bytes, str)):
                path.write_bytes(content if isinstance(content, bytes) else content.encode())
            else:
                path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")


def course_of(folder, *names):
    """A course folder holding only these exercise notebooks."""
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes((COURSE / name).read_bytes())
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    submissions, results = base / "submissions", base / "results"
    write_corpus(submissions, results)
    course = course_of(base / "course", EX02)
    code = cli.main(["grade", str(submissions), "--out", str(results), "--course", str(course),
                     "--timeout", TIMEOUT, "--memory", "512", "--jobs", "2"])
    records = {(r["student"], r["exercise"]): r for r in map(json.loads, (results / "results.jsonl").open())}
    rows = {row["student"]: row for row in csv.DictReader((results / "grades.csv").open(encoding="utf-8"))}
    return {"code": code, "records": records, "rows": rows, "results": results, "submissions": submissions}


def status(graded, student, exercise):
    return graded["records"][student, exercise]["status"]


def others_pass(graded, student, *broken):
    """Every ch02 exercise other than ``broken`` still passes for this student."""
    return all(status(graded, student, i) == "pass" for i in IDS if i not in broken)


def test_every_student_and_exercise_has_exactly_one_record(graded):
    students = set(corpus(graded["results"]))
    assert set(graded["records"]) == {(s, i) for s in students for i in IDS}
    assert set(graded["rows"]) == students
    assert graded["code"] == 0


def test_good_blank_and_wrong(graded):
    assert others_pass(graded, "good") and graded["rows"]["good"]["status"] == "ok"
    assert float(graded["rows"]["good"]["total"]) == len(IDS)
    assert {status(graded, "blank", i) for i in IDS} == {"todo"} and graded["rows"]["blank"]["status"] == "blank"
    assert status(graded, "wrong", "ch02.no_zero") == "fail" and others_pass(graded, "wrong", "ch02.no_zero")
    assert float(graded["rows"]["wrong"]["ch02.no_zero"]) == 0 and float(graded["rows"]["wrong"]["total"]) == 5
    assert others_pass(graded, "renamed"), "notebooks are matched by the exercise ids in their metadata"


@pytest.mark.parametrize("student, reason", [("not_json", "不是 JSON"), ("empty_file", "空文件"),
                                             ("not_notebook", "不是 Jupyter notebook")])
def test_unreadable_notebooks(graded, student, reason):
    records = [graded["records"][student, i] for i in IDS]
    assert {r["status"] for r in records} == {"invalid-notebook"}
    assert all(reason in r["detail"] and EX02 in r["detail"] for r in records)
    assert graded["rows"][student]["status"].startswith("invalid-notebook")


def test_old_nbformat_and_no_notebook(graded):
    assert {status(graded, "old_nbformat", i) for i in IDS} == {"missing"}
    assert {status(graded, "no_notebook", i) for i in IDS} == {"missing"}
    assert graded["rows"]["no_notebook"]["status"].startswith("missing")


@pytest.mark.parametrize("student, exercise, expected, words", [
    ("deleted_cell", "ch02.three_grads", "missing", "删掉"),
    ("markdown_cell", "ch02.three_grads", "missing", "markdown"),
    ("raises", "ch02.no_zero", "error", "ValueError: boom（第 2 行）"),
    ("undefined", "ch02.no_zero", "error", "grad_without_zero"),
    ("syntax_error", "ch02.no_zero", "error", "SyntaxError"),
    ("infinite_loop", "ch02.micro_batch", "timeout", "超过"),
    ("loop_in_function", "ch02.three_grads", "timeout", "超过"),
    ("memory_bomb", "ch02.no_zero", "memory", "512 MB"),
    ("tensor_bomb", "ch02.three_grads", "memory", "512 MB"),
    ("sys_exit", "ch02.no_zero", "crashed", "sys.exit"),
    ("os_exit", "ch02.no_zero", "crashed", "exit code 3"),
    ("segfault", "ch02.no_zero", "crashed", "SIGSEGV"),
    ("input_call", "ch02.backward_twice", "error", "EOFError"),
    ("spawn_process", "ch02.no_zero", "error", "PermissionError"),
])
def test_bad_cells_cost_only_their_own_exercise(graded, student, exercise, expected, words):
    record = graded["records"][student, exercise]
    assert record["status"] == expected and words in record["detail"], record
    assert record["score"] == 0
    assert others_pass(graded, student, exercise)
    assert graded["rows"][student]["status"] == f"{expected}: {exercise}"
    assert float(graded["rows"][student]["total"]) == len(IDS) - 1


def test_duplicates_reordering_and_output(graded):
    record = graded["records"]["duplicated", "ch02.no_zero"]
    assert record["status"] == "fail" and "最后一个" in record["note"], "the last of duplicated cells is graded"
    assert others_pass(graded, "reordered")
    assert others_pass(graded, "huge_output")


@pytest.mark.parametrize("student", ["patch_allclose", "patch_helpers", "patch_builtins", "fake_pass_print",
                                     "forge_channel"])
def test_student_code_cannot_pass_a_wrong_answer(graded, student):
    record = graded["records"][student, "ch02.no_zero"]
    assert record["status"] != "pass" and record["score"] == 0, record
    # A student's exercises share one child process, so sabotage (patched builtins, forged report lines) may
    # also sink the same student's later exercises, but it can never raise a score.
    assert float(graded["rows"][student]["total"]) <= len(IDS) - 1


@pytest.mark.parametrize("student", ["import_references", "unblock_references", "read_solutions", "lying_tensor"])
def test_student_code_cannot_use_the_references(graded, student):
    record = graded["records"][student, "ch02.three_grads"]
    assert record["status"] in ("error", "fail") and record["score"] == 0, record


def test_the_trusted_source_is_checked_not_the_childs_claim(tmp_path, capsys):
    hiding = "import inspect\ninspect.getsource = lambda f: 'def f(x): pass'\n" \
             "def sin_and_derivative(x):\n    return torch.sin(x), torch.cos(x)\n"
    path = tmp_path / EX06
    path.write_text(json.dumps(with_answer("ch06.sin_and_derivative", hiding, EX06)), encoding="utf-8")
    course = course_of(tmp_path / "course", EX06)
    assert cli.main(["check", str(path), "--course", str(course), "--jobs", "1"]) == 1
    line = next(line for line in capsys.readouterr().out.splitlines() if "ch06.sin_and_derivative" in line)
    assert line.startswith("❌") and "cos" in line


def test_student_cannot_write_next_to_the_results(graded):
    results = graded["results"]
    assert graded["records"]["write_results", "ch02.no_zero"]["status"] == "pass"  # it ran; its writes did not
    assert "forger" not in (results / "grades.csv").read_text(encoding="utf-8")
    assert "forger" not in (results / "results.jsonl").read_text(encoding="utf-8")
    assert not (results.parent / "grades.csv").exists() and not Path("/tmp/forged-by-student.csv").exists()
    assert sorted(p.name for p in results.iterdir()) == ["assignment.json", "feedback", "grades.csv", "histogram.svg",
                                                         "misconceptions.svg", "options.json", "report.html",
                                                         "results.jsonl", "summary.md"]


def test_reports(graded):
    results = graded["results"]
    page = (results / "feedback" / "wrong.html").read_text(encoding="utf-8")
    assert "ch02.no_zero" in page and "还不对" in page and "<script" not in page
    solution = "".join(answer_cell(load(), "ch02.three_grads")["source"])
    for student in graded["rows"]:
        page = (results / "feedback" / f"{student}.html").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in page and "leaf.grad = None" not in page and solution not in page
    summary = (results / "summary.md").read_text(encoding="utf-8")
    assert "| ch02.no\\_zero |" in summary and "| 超时 |" in summary
    assert b"<svg" in (results / "histogram.svg").read_bytes()


def test_rerun_after_interruption_keeps_and_reuses_records(tmp_path):
    from helpers.exercises import EXERCISES

    submissions, results = tmp_path / "submissions", tmp_path / "results"
    for student, notebook in [("a", load()), ("b", with_answer("ch02.no_zero", WRONG_NO_ZERO)), ("c", load())]:
        (submissions / student).mkdir(parents=True)
        (submissions / student / EX02).write_text(json.dumps(notebook), encoding="utf-8")
    settings = course_settings.Settings(timeout=5, memory_mb=512, jobs=1)

    def interrupt(done, total):
        if done and sum(1 for _ in (results / "results.jsonl").open()) >= len(IDS):
            raise KeyboardInterrupt

    course = course_of(tmp_path / "course", EX02)
    with pytest.raises(KeyboardInterrupt):
        grading.grade(submissions, results, course, EXERCISES, settings, progress=interrupt)
    kept = [json.loads(line) for line in (results / "results.jsonl").open()]
    assert 0 < len(kept) < 3 * len(IDS)
    with (results / "results.jsonl").open("a") as log:
        log.write('{"student": "a", "exercise": "ch02.no_')  # a line torn by the interruption
    _, _, records = grading.grade(submissions, results, course, EXERCISES, settings)
    assert len(records) == 3 * len(IDS)
    final = {(r["student"], r["exercise"]): r for r in records}
    for record in kept:
        assert final[record["student"], record["exercise"]] == record, "a finished record is reused, not redone"
    assert [r["status"] for r in records if r["student"] == "b"].count("fail") == 1
    assert sum(1 for _ in (results / "results.jsonl").open()) == 3 * len(IDS)


EX01 = "ex01_backward_basics.ipynb"
MARK = "torch.graded_for = getattr(torch, 'graded_for', []) + [{student!r}]\n"  # a patch that outlives its namespace
PROBE = "grad_without_zero = torch.tensor([1.0, 5.0, 9.0, 13.0] if torch.graded_for == [{student!r}] else [0.0])\n"


def test_one_child_per_student_never_shared(tmp_path):
    """A patch on torch in a student's first notebook is seen by that student's second notebook (one child runs
    the whole submission) and by no other student's (a fresh child each); a crash in the first notebook costs
    the student nothing else (a fresh child takes over)."""
    from helpers.exercises import EXERCISES

    first = "ch01.leaf"
    good_leaf = "".join(answer_cell(load(EX01), first)["source"])
    submissions = tmp_path / "submissions"
    for student in ("a", "b", "c"):
        mine = with_answer(first, "import os\nos._exit(3)\n" if student == "c" else MARK.format(student=student)
                           + good_leaf, EX01)
        probed = load() if student == "c" else with_answer("ch02.no_zero", PROBE.format(student=student))
        (submissions / student).mkdir(parents=True)
        (submissions / student / EX01).write_text(json.dumps(mine), encoding="utf-8")
        (submissions / student / EX02).write_text(json.dumps(probed), encoding="utf-8")
    course = course_of(tmp_path / "course", EX01, EX02)
    settings = course_settings.Settings(timeout=5, memory_mb=512, jobs=1)  # one worker: every student forked from it
    _, _, records = grading.grade(submissions, tmp_path / "results", course, EXERCISES, settings)
    ex01_ids = notebooks.read(COURSE / EX01).exercise_ids()
    assert len(records) == 3 * (len(ex01_ids) + len(IDS))
    for record in records:
        if (record["student"], record["exercise"]) == ("c", first):
            assert record["status"] == "crashed" and "exit code 3" in record["detail"], record
        else:
            assert record["status"] == "pass", record


def test_check_command_exit_codes(tmp_path, capsys):
    course = course_of(tmp_path / "course", EX02)
    broken = tmp_path / "broken.ipynb"
    broken.write_text("nope")
    assert cli.main(["check", str(broken), "--course", str(course)]) == 2
    wrong = tmp_path / os.fsdecode(b"ex02 \xff\xfe.ipynb")  # a file name that is not UTF-8
    notebook = with_answer("ch02.no_zero", WRONG_NO_ZERO)
    unfilled = answer_cell(notebook, "ch02.sequence")
    unfilled["source"] = "grad_after_three = ...\n"  # and the answer typed into a new cell below it
    notebook["cells"].insert(notebook["cells"].index(unfilled) + 1, {"cell_type": "code", "metadata": {},
                                                                     "source": "grad_after_three = 1.0\n"})
    wrong.write_text(json.dumps(notebook), encoding="utf-8")
    assert cli.main(["check", str(wrong), "--course", str(course), "--jobs", "1", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "❌ ch02.no_zero" in out and "✅ ch02.three_grads" in out and "4/6 passed" in out
    assert "⚠️ The answer cell of ch02.sequence still holds ... (not answered), but cell " in out
    good = tmp_path / "good" / EX02
    good.parent.mkdir()
    good.write_text(json.dumps(load()), encoding="utf-8")
    assert cli.main(["check", str(good), "--course", str(course), "--jobs", "1"]) == 0


def test_notebook_reader_finds_cells_by_id_not_position(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(reordered()), encoding="utf-8")
    notebook = notebooks.read(path)
    assert notebook.exercise_ids() == list(reversed(IDS))
    assert "def three_grads" in notebooks.source(notebook.answers("ch02.three_grads")[0][0])
    assert commands.ROOT == ROOT  # the project root, from helpers


def no_course_notebook(folder):
    folder.mkdir()
    (folder / "notes.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# no exercise here"}]}), encoding="utf-8")
    return folder


def broken_course_notebook(folder):
    course_of(folder, EX02)
    (folder / "ex99_broken.ipynb").write_text("{ not json", encoding="utf-8")
    return folder


@pytest.mark.parametrize("course", [lambda tmp: tmp / "nowhere", lambda tmp: course_of(tmp / "empty"),
                                    lambda tmp: no_course_notebook(tmp / "notes"),
                                    lambda tmp: broken_course_notebook(tmp / "broken")])
def test_grade_without_a_course_says_so_and_exits_2(tmp_path, capsys, course):
    course = course(tmp_path)
    (tmp_path / "submissions" / "a").mkdir(parents=True)
    (tmp_path / "submissions" / "a" / EX02).write_text(json.dumps(load()), encoding="utf-8")
    code = cli.main(["grade", str(tmp_path / "submissions"), "--out", str(tmp_path / "results"),
                     "--course", str(course), "--jobs", "1"])
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and str(course) in error, error
    assert not (tmp_path / "results").exists()


# Run in a fresh interpreter, as the command runs: start a pool, then load the references as the grading process
# does, then read the worker's command line and environment (its zygote's, exec'd clean) and memory (and, as a
# control, the memory of a process forked after the load).
SCAN_WORKER = r"""
import os, sys, time
from helpers.grading.sandbox.pool import Pool, WORKER_ENVIRONMENT

def holds(pid, needle):
    found, maps = False, open(f"/proc/{pid}/smaps").read().split("\n")
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        for number, line in enumerate(maps):
            fields = line.split()
            if len(fields) < 5 or "-" not in fields[0] or not fields[1].startswith("r"):
                continue
            rss = next((int(l.split()[1]) for l in maps[number + 1:number + 20] if l.startswith("Rss:")), 0)
            if not rss:
                continue
            start, end = (int(a, 16) for a in fields[0].split("-"))
            try:
                memory.seek(start)
                found = found or needle in memory.read(end - start)
            except OSError:
                continue
    return found

pool = Pool(1)
task = {"id": 0, "items": [{"exercise": "x", "name": "x", "setup": "", "answer": "x = 1", "probe": "describe",
                            "inputs": None}], "timeout": 5, "cpu_seconds": 5, "memory_mb": 0, "hidden": []}
list(pool.run([task]))  # warmed up
zygote = pool.zygote.process.pid
(worker,) = map(int, open(f"/proc/{zygote}/task/{zygote}/children").read().split())
import content.ch02
control = os.fork()
if control == 0:
    time.sleep(60)
    os._exit(0)
needle = content.ch02.__file__.encode()
command = open(f"/proc/{worker}/cmdline", "rb").read().split(b"\0")[:-1]
environment = dict(line.split(b"=", 1) for line in open(f"/proc/{worker}/environ", "rb").read().split(b"\0") if line)
print(command == [os.fsencode(part) for part in pool.zygote.command(False)],
      environment == {k.encode(): v.encode() for k, v in WORKER_ENVIRONMENT.items()},
      holds(worker, needle), holds(control, needle))
os.kill(control, 9)
pool.close()
"""


def test_workers_start_clean_and_never_hold_the_references():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SCAN_WORKER], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if "PermissionError" in done.stderr:
        pytest.skip("this system does not let a process read its children's memory")
    assert done.stdout.split() == ["True", "True", "False", "True"], done.stderr


INTERRUPT = r"""
import os, sys
from helpers import cli
from helpers.grading import commands

class Interrupt:
    def __call__(self, done, total):
        if done:
            raise KeyboardInterrupt
    def close(self):
        pass

commands._ProgressBar = Interrupt
print(cli.main(["grade", sys.argv[1], "--out", sys.argv[2], "--course", sys.argv[3], "--jobs", "2"]))
try:
    os.waitpid(-1, os.WNOHANG)
    print("a worker or helper is left")
except ChildProcessError:
    print("none left")
"""


def test_an_interrupted_command_stops_its_forked_workers(tmp_path):
    import subprocess
    import sys

    submissions, results = tmp_path / "submissions", tmp_path / "results"
    for student in "abc":
        (submissions / student).mkdir(parents=True)
        (submissions / student / EX02).write_text(json.dumps(load()), encoding="utf-8")
    course = course_of(tmp_path / "course", EX02)
    done = subprocess.run([sys.executable, "-c", INTERRUPT, str(submissions), str(results), str(course)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["130", "none", "left"], done.stderr
    assert "interrupted" in done.stderr and (results / "results.jsonl").read_text().count("\n") >= len(IDS)


def test_a_widget_edit_keeps_the_cache_and_a_checker_edit_does_not(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "helpers", tmp_path / "helpers")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    monkeypatch.setattr(course_settings, "ROOT", tmp_path)
    settings, course = course_settings.Settings(), ROOT / "exercises"
    before = course_settings.fingerprint(course, settings)
    with open(tmp_path / "helpers" / "chapters" / "ch02.py", "a", encoding="utf-8") as widget:
        widget.write("\n# an edited widget\n")
    assert course_settings.fingerprint(course, settings) == before
    with open(tmp_path / "content" / "ch02.py", "a", encoding="utf-8") as checker:
        checker.write("\n# an edited checker\n")
    assert course_settings.fingerprint(course, settings) != before


def test_the_reasons_for_an_unreadable_notebook_follow_the_language(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("", encoding="utf-8")
    assert cli.main(["check", str(broken), "--lang", "en"]) == 2
    assert capsys.readouterr().out.strip() == f"{broken}: an empty file"
    assert cli.main(["check", str(broken)]) == 2
    assert capsys.readouterr().out.strip() == f"{broken}: 空文件"


def test_an_english_class_is_graded_in_english_without_lang(tmp_path, capsys):
    """English exercise notebooks (en/exercises/: their setup cell imports helpers.en) run their setup cell in the
    sandboxed child, and the feedback follows their edition when --lang is not given (--lang overrides it:
    test_check_command_exit_codes). The workers import helpers.en for those setup cells without keeping the
    language it sets: a child's environment stays the one it is given."""
    course, solved = ROOT / "en" / "exercises", tmp_path / "ex01_backward_basics.ipynb"
    notebook = json.loads((ROOT / "en" / "solutions" / solved.name).read_text(encoding="utf-8"))
    answer_cell(notebook, "ch01.mean_grad")["source"] = \
        "import os\ngrad_value = 18.0 if 'AUTOGRAD_COURSE_LANG' in os.environ else 4.5\n"
    solved.write_text(json.dumps(notebook), encoding="utf-8")
    assert cli.main(["check", str(solved), "--course", str(course), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "✅ ch01.leaf Correct: x is a floating-point leaf tensor" in out and "5/5 passed" in out


def test_every_solution_passes_through_the_sandbox_whatever_its_exercise_kind(tmp_path):
    """All twelve solution notebooks, graded as one student's work: every kind (value, choice, function, and
    chapter 9's autograd.Function classes with their own probe) is observed in the child and judged here."""
    student = tmp_path / "submissions" / "teacher"
    student.mkdir(parents=True)
    for notebook in sorted(COURSE.glob("ex*.ipynb")):
        shutil.copy(notebook, student / notebook.name)
    assert cli.main(["grade", str(student.parent), "--out", str(tmp_path / "results"), "--course", str(COURSE),
                     "--jobs", "1"]) == 0
    records = [json.loads(line) for line in (tmp_path / "results" / "results.jsonl").read_text().splitlines()]
    assert len(records) == len(EXERCISES_BY_ID) and {type(EXERCISES_BY_ID[r["exercise"]]).__name__ for r in records} >= {
        "ValueExercise", "ChoiceExercise", "FunctionExercise", "AutogradFunctionExercise"}
    assert [r for r in records if r["status"] != "pass"] == []
