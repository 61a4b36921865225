"""A class's answers (tests/student_answers.py) checked as a student checks them and as the grader grades them.

The notebook side runs each answer in an IPython shell, as a kernel does: the setup cell, any cell before it, the
answer cell, then ``check`` (with the kernel's history, so that a name taken from another cell is found). The
grader side puts the same answers into exercise notebooks (student k answers each exercise with its k-th answer)
and grades them all in one run of ``autograd-course grade``. Both must give what the table expects, and the same
verdict: the same pass or fail and the same mistake key.

The attacks of issue 20 (section 1) are graded in the same run, each in a notebook whose other answers are the
solutions (which must still pass), and ``autograd-course check`` is run on each attacked notebook.
"""
import copy
import json
from pathlib import Path

import nbformat
import pytest

from helpers import cli
from helpers.exercises import EXERCISES
from helpers.messages import say
from student_answers import ANSWERS, ATTACKS

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("ex[0-9][0-9]_*.ipynb"))
# Seconds: the grader's limit, and the notebook's for the table's endless loop (every other answer gets check's own
# default, so that a slow first use of torch.func on a loaded machine is not taken for a loop).
TIME_LIMIT, LOOP_LIMIT = 5, 2
INTERNAL = say("internal", "zh", error="\0").split("\0")[0]
SETUP = "import torch\nfrom helpers import check\n"


# ---- the notebook side -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.ipython_dir = str(tmp_path_factory.mktemp("ipython"))
    current = InteractiveShell.instance(config=config)
    # torch.func's first use imports half of torch (seconds on a loaded machine): done here, not inside a check's
    # time limit, as the grader's workers warm it up before their children start
    from helpers.grading.sandbox.worker import warm_up_transforms

    warm_up_transforms()
    yield current
    InteractiveShell.clear_instance()


def run_cell(shell, source):
    result = shell.run_cell(source, store_history=True, silent=False)
    return result.error_in_exec or result.error_before_exec


def notebook_verdict(shell, exercise_id, answer):
    """What ``check`` says in a kernel that ran the setup cell, the cell before (if any) and the answer cell."""
    namespace = shell.user_ns
    for name in [n for n in namespace if n not in shell.user_ns_hidden]:
        del namespace[name]
    run_cell(shell, SETUP)
    if answer.before:
        run_cell(shell, answer.before)
    run_cell(shell, answer.source)
    from helpers import check

    limit = {"time_limit": LOOP_LIMIT} if answer.expect == "timeout" else {}
    return check(exercise_id, namespace.get(EXERCISES[exercise_id].name, ...), **limit)


@pytest.fixture(scope="module")
def in_notebook(shell):
    return {(exercise_id, number): notebook_verdict(shell, exercise_id, answer)
            for exercise_id, answers in ANSWERS.items() for number, answer in enumerate(answers)}


def label(exercise_id, number):
    answer = ANSWERS[exercise_id][number]
    return f"{exercise_id}#{number} ({answer.kind}{'' if answer.expect is None else ' ' + answer.expect})"


def test_the_table_has_answers_of_every_kind_for_every_exercise():
    assert sorted(ANSWERS) == sorted(EXERCISES)
    for exercise_id, answers in ANSWERS.items():
        kinds = {answer.kind for answer in answers}
        assert {"right", "mistake", "odd"} <= kinds, exercise_id
        assert "rule" in kinds or not getattr(EXERCISES[exercise_id], "rules", ()), exercise_id


@pytest.mark.parametrize("exercise_id", sorted(ANSWERS))
def test_each_answer_gets_its_verdict_in_the_notebook(in_notebook, exercise_id):
    for number, answer in enumerate(ANSWERS[exercise_id]):
        verdict = in_notebook[exercise_id, number]
        assert INTERNAL not in verdict.detail, (label(exercise_id, number), str(verdict))
        if answer.kind == "right":
            assert verdict.status == "pass", (label(exercise_id, number), str(verdict))
        elif answer.kind in ("rule", "mistake"):
            assert verdict.status == "fail" and verdict.mistake == f"{exercise_id}/{answer.expect}", (
                label(exercise_id, number), verdict.mistake, str(verdict))
        else:
            assert verdict.status in ("fail", "todo"), (label(exercise_id, number), str(verdict))


# ---- the grader side ---------------------------------------------------------------------------------------------

def answer_cell(cells, exercise_id):
    return next(i for i, c in enumerate(cells) if c["metadata"].get("autograd_course", {}).get("exercise") == exercise_id)


def notebook_with(path, answers):
    """The solution notebook at ``path`` with some answer cells replaced ({id: Answer}) and the others removed
    (their exercises are then "missing", which costs the grader nothing); None when it answers none."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    ids = [c["metadata"]["autograd_course"]["exercise"] for c in notebook["cells"]
           if "exercise" in c["metadata"].get("autograd_course", {})]
    if not any(i in answers for i in ids):
        return None
    for exercise_id in ids:
        cells = notebook["cells"]
        index = answer_cell(cells, exercise_id)
        if exercise_id not in answers:
            del cells[index]
            continue
        answer = answers[exercise_id]
        cells[index]["source"] = answer.source
        if answer.before:
            cells.insert(index, {"cell_type": "code", "metadata": {}, "source": answer.before, "outputs": [],
                                 "execution_count": None})
    return notebook


def attacked(path, exercise_id, source):
    """The solution notebook with one answer cell replaced by an attack: the other answers are innocent."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["cells"][answer_cell(notebook["cells"], exercise_id)]["source"] = source
    return notebook


def chapter_notebook(exercise_id):
    (path,) = [p for p in SOLUTIONS if p.name[2:4] == exercise_id[2:4]]
    return path


def student(number):
    return f"s{number:02d}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from textwrap import dedent

    base = tmp_path_factory.mktemp("class")
    submissions, results = base / "submissions", base / "results"
    for number in range(max(len(answers) for answers in ANSWERS.values())):
        mine = {i: answers[number] for i, answers in ANSWERS.items() if number < len(answers)}
        folder = submissions / student(number)
        folder.mkdir(parents=True)
        for path in SOLUTIONS:
            notebook = notebook_with(path, mine)
            if notebook is not None:
                (folder / path.name).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    notebooks = {}
    for name, (exercise_id, _, source) in ATTACKS.items():
        path = chapter_notebook(exercise_id)
        notebooks[name] = submissions / f"attack_{name}" / path.name
        notebooks[name].parent.mkdir(parents=True)
        notebooks[name].write_text(json.dumps(attacked(path, exercise_id, dedent(source)), ensure_ascii=False),
                                   encoding="utf-8")
    code = cli.main(["grade", str(submissions), "--out", str(results), "--course", str(ROOT / "solutions"),
                     "--timeout", str(TIME_LIMIT), "--memory", "1024", "--jobs", "2"])
    records = {(r["student"], r["exercise"]): r for r in map(json.loads, (results / "results.jsonl").open())}
    return {"code": code, "records": records, "notebooks": notebooks}


@pytest.mark.parametrize("exercise_id", sorted(ANSWERS))
def test_the_grader_agrees_with_the_notebook(in_notebook, graded, exercise_id):
    assert graded["code"] == 0
    for number, answer in enumerate(ANSWERS[exercise_id]):
        record = graded["records"][student(number), exercise_id]
        verdict = in_notebook[exercise_id, number]
        assert INTERNAL not in record["detail"], (label(exercise_id, number), record)
        assert (record["status"] == "pass") == verdict.passed and record["mistake"] == verdict.mistake, (
            label(exercise_id, number), record["status"], record["mistake"], record["detail"], str(verdict))
        if record["status"] == "fail" and record["mistake"].endswith("/outside_name"):  # each names the cell
            assert "In [" in verdict.detail and "notebook 的第" in record["detail"], (verdict.detail, record["detail"])
        elif record["status"] == "fail":
            assert record["detail"] == verdict.detail, label(exercise_id, number)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_on_the_observer_gets_no_mark_and_is_reported(graded, attack):
    """The attacked exercise gets its status (tampered, with the evidence, or the rule it breaks) and no mark; the
    answers before it in the same notebook (solutions) pass. A student whose answer tampered with the checker's code
    has the rest of that run reported as tampered too: what the child observed after it cannot be trusted."""
    exercise_id, status, _ = ATTACKS[attack]
    mine = {i: r for (s, i), r in graded["records"].items() if s == f"attack_{attack}" and r["status"] != "missing"}
    record = mine[exercise_id]
    assert record["status"] == status and record["score"] == 0, record
    if status == "tampered":
        assert record["mistake"] == f"{exercise_id}/tampered" and "（" in record["detail"], record
    order = [i for i in EXERCISES if i in mine]
    before, after = order[:order.index(exercise_id)], order[order.index(exercise_id) + 1:]
    assert all(mine[i]["status"] == "pass" for i in before), [mine[i] for i in before]
    later = ("pass", "tampered") if status == "tampered" else ("pass",)
    assert after and all(mine[i]["status"] in later for i in after), [mine[i] for i in after]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_check_says_no_to_an_attack(graded, capsys, attack):
    exercise_id, _, _ = ATTACKS[attack]
    assert cli.main(["check", str(graded["notebooks"][attack]), "--course", str(ROOT / "solutions"),
                     "--jobs", "1", "--timeout", str(TIME_LIMIT)]) == 1
    line = next(line for line in capsys.readouterr().out.splitlines() if f" {exercise_id} " in line)
    assert not line.startswith("✅"), line


def test_check_stops_an_endless_loop_after_its_time_limit_as_the_grader_does():
    import time

    from helpers import check
    from helpers.checking.check import TIME_LIMIT as CHECK_LIMIT
    from helpers.grading.commands import DEFAULT_TIMEOUT

    def finetune(W1, W2, X, y, lr, steps):
        while True:
            try:
                W2 = W2 * 1
            except Exception:  # noqa: BLE001 -- a student's catch-all does not keep it running
                pass

    started = time.monotonic()
    verdict = check("ch10.freeze", finetune, time_limit=0.5)
    assert time.monotonic() - started < 5
    assert verdict.status == "fail" and verdict.mistake == "ch10.freeze/timeout"
    assert verdict.detail == say("too_slow", "zh", seconds="0.5")
    assert CHECK_LIMIT == DEFAULT_TIMEOUT
