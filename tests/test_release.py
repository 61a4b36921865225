"""`autograd-course release`: exercises/ is exactly what release makes from solutions/ (en/exercises/ from
en/solutions/, with English hints), and no solution leaks;
and the writer both it and `autograd-course outputs` use (run.save) rewrites a notebook only when it changed."""
import itertools
import json
import shutil
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.cli import main
from helpers.exercises import EXERCISES
from helpers.authoring.release import (EDITIONS, VOLATILE_METADATA, ReleaseError, replace_regions, solution_lines,
                                       student_copy)
from helpers.authoring.run import WIDGET_STATE, save

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("ex*.ipynb"))
BOTH_EDITIONS = [path for solutions, _ in EDITIONS for path in sorted((ROOT / solutions).glob("ex*.ipynb"))]


def released(solution):
    """Where release writes the student copy of ``solution`` (exercises/ or en/exercises/)."""
    return ROOT / dict(EDITIONS)[solution.parent.relative_to(ROOT).as_posix()] / solution.name


def edition_id(path):
    """A test id: the file name, after en/ for the English edition."""
    return "en/" * path.is_relative_to(ROOT / "en") + path.name


def comparable(cell):
    metadata = {key: value for key, value in cell.metadata.items() if key not in VOLATILE_METADATA}
    return cell.cell_type, cell.source, metadata


@pytest.mark.parametrize("solutions, exercises", EDITIONS)
def test_there_are_solutions_and_each_has_a_released_copy(solutions, exercises):
    names = sorted(path.name for path in (ROOT / solutions).glob("ex*.ipynb"))
    assert names
    assert sorted(path.name for path in (ROOT / exercises).glob("ex*.ipynb")) == names


@pytest.mark.parametrize("solution", BOTH_EDITIONS, ids=edition_id)
def test_committed_exercises_equal_what_release_makes(solution):
    expected = student_copy(nbformat.read(solution, as_version=4))
    committed = nbformat.read(released(solution), as_version=4)
    assert [comparable(cell) for cell in committed.cells] == [comparable(cell) for cell in expected.cells], \
        f"{released(solution).relative_to(ROOT)} is stale: run `autograd-course release`"
    assert committed.metadata == expected.metadata


@pytest.mark.parametrize("solution", BOTH_EDITIONS, ids=edition_id)
def test_no_solution_line_reaches_exercises(solution):
    secret = set(solution_lines(nbformat.read(solution, as_version=4)))
    assert secret, "a solution notebook without solution regions"
    released_copy = nbformat.read(released(solution), as_version=4)
    texts = [cell.source for cell in released_copy.cells]
    texts += [str(output.get("text", "")) + str(output.get("data", {})) for cell in released_copy.cells
              if cell.cell_type == "code" for output in cell.outputs]
    shown = {line.strip() for text in texts for line in text.split("\n")}
    assert not secret & shown


def test_every_registered_exercise_has_one_answer_cell_followed_by_its_check():
    found = []
    for solution in SOLUTIONS:
        cells = nbformat.read(solution, as_version=4).cells
        for index, cell in enumerate(cells):
            exercise_id = cell.metadata.get("autograd_course", {}).get("exercise")
            if exercise_id:
                found.append(exercise_id)
                check_cell = cells[index + 1]
                assert check_cell.metadata["autograd_course"] == {"check": exercise_id}
                name = EXERCISES[exercise_id].name
                assert check_cell.source == f'check("{exercise_id}", {name})'
    assert len(found) == len(set(found)), "an exercise id is used by two answer cells"
    assert not set(EXERCISES) - set(found), f"registered but in no solution notebook: {set(EXERCISES) - set(found)}"
    assert not set(found) - set(EXERCISES), f"answer cells of unregistered exercises: {set(found) - set(EXERCISES)}"


def test_a_function_body_becomes_a_placeholder_and_the_hint_line_stays():
    source = ("def f(x):\n    \"\"\"Return 4x.\"\"\"\n    ### BEGIN SOLUTION\n    y = 4 * x\n    return y\n"
              "    ### END SOLUTION\n")
    assert replace_regions(source) == "def f(x):\n    \"\"\"Return 4x.\"\"\"\n    ...  # 在这里写你的代码\n"


def test_a_value_or_choice_keeps_its_name_so_the_check_cell_still_runs():
    assert replace_regions("### BEGIN SOLUTION\ngrad = torch.tensor([1.0])\n### END SOLUTION") == \
        "grad = ...  # 填入你的答案"
    assert replace_regions("### BEGIN SOLUTION\nanswer = \"B\"\n### END SOLUTION") == \
        "answer = ...  # 填一个选项字母，例如 \"A\""


def test_an_english_notebook_gets_english_hints():
    """The edition is the setup cell's: an English notebook imports helpers.en."""
    english = exercise_notebook("### BEGIN SOLUTION\ngrad_value = 4.5\n### END SOLUTION", "from helpers.en import check")
    english.cells.append(new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"))
    sources = [cell.source for cell in student_copy(english).cells]
    assert sources[2] == "grad_value = ...  # your answer" and sources[4] == "def f(x):\n    ...  # write your code here"
    assert replace_regions("### BEGIN SOLUTION\nanswer = \"B\"\n### END SOLUTION", lang="en") == \
        "answer = ...  # one option letter, e.g. \"A\""


def test_a_plain_release_makes_both_editions(tmp_path, monkeypatch):
    from helpers.authoring import release

    monkeypatch.setattr(release, "ROOT", tmp_path)
    for solutions, setup in (("solutions", "from helpers import check"), ("en/solutions", "from helpers.en import check")):
        (tmp_path / solutions).mkdir(parents=True)
        nbformat.write(exercise_notebook("### BEGIN SOLUTION\ngrad_value = 4.5\n### END SOLUTION", setup),
                       tmp_path / solutions / "ex01_tiny.ipynb")
    assert main(["release", "--no-execute"]) == 0
    hints = {exercises: nbformat.read(tmp_path / exercises / "ex01_tiny.ipynb", as_version=4).cells[2].source
             for _, exercises in EDITIONS}
    assert hints == {"exercises": "grad_value = ...  # 填入你的答案", "en/exercises": "grad_value = ...  # your answer"}
    shutil.rmtree(tmp_path / "en")
    assert main(["release", "--no-execute"]) == 0, "a course without the English edition releases the Chinese one"


def test_release_names_both_folders_or_neither(capsys):
    assert main(["release", "--solutions", "solutions", "--no-execute"]) == 2
    assert "name both --solutions and --exercises" in capsys.readouterr().err


@pytest.mark.parametrize("source", [
    "### BEGIN SOLUTION\nx = 1",
    "x = 1\n### END SOLUTION",
    "### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION",
    "x = 1  ### BEGIN SOLUTION\n### END SOLUTION",
])
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(ReleaseError):
        replace_regions(source)


def exercise_notebook(answer_source, setup="from helpers import check"):
    return new_notebook(cells=[
        new_markdown_cell("# 练习"),
        new_code_cell(setup, metadata={"autograd_course": {"role": "setup"}}),
        new_code_cell(answer_source, metadata={"autograd_course": {"exercise": "ch01.mean_grad"}}),
        new_code_cell('check("ch01.mean_grad", grad_value)', metadata={"autograd_course": {"check": "ch01.mean_grad"}}),
    ], metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}})


def test_release_reports_a_broken_notebook_with_exit_2_and_still_releases_the_others(tmp_path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(exercise_notebook("### BEGIN SOLUTION\ngrad_value = 4.5"), solutions / "ex01_unbalanced.ipynb")
    nbformat.write(exercise_notebook("grad_value = 4.5"), solutions / "ex02_no_region.ipynb")
    nbformat.write(exercise_notebook("### BEGIN SOLUTION\ngrad_value = 4.5\n### END SOLUTION"),
                   solutions / "ex03_fine.ipynb")
    (solutions / "ex04_not_json.ipynb").write_text("{ not a notebook")

    status = main(["release", "--solutions", str(solutions), "--exercises", str(exercises), "--no-execute"])

    err = capsys.readouterr().err
    assert status == 2
    assert "ex01_unbalanced.ipynb" in err and "without ### END SOLUTION" in err
    assert "ex02_no_region.ipynb" in err and "no ### BEGIN SOLUTION region" in err
    assert "ex04_not_json.ipynb" in err and "Traceback" not in err
    assert sorted(path.name for path in exercises.iterdir()) == ["ex03_fine.ipynb"]
    released = (exercises / "ex03_fine.ipynb").read_bytes()
    main(["release", "--solutions", str(solutions), "--exercises", str(exercises), "--no-execute"])
    assert "ex03_fine.ipynb: 1 exercises, unchanged" in capsys.readouterr().out
    assert (exercises / "ex03_fine.ipynb").read_bytes() == released


def test_release_executes_the_student_copy_and_keeps_its_outputs(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    solution = exercise_notebook("### BEGIN SOLUTION\ngrad_value = 4.5\n### END SOLUTION")
    # one line printed in two messages, and a widget: a new random model id on every run
    solution.cells.append(new_code_cell("import ipywidgets\nprint('a', flush=True); print('b')\nipywidgets.IntSlider(3)"))
    nbformat.write(solution, solutions / "ex01_tiny.ipynb")

    assert main(["release", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0

    target = exercises / "ex01_tiny.ipynb"
    released = nbformat.read(target, as_version=4)
    assert released.cells[2].source == "grad_value = ...  # 填入你的答案"
    verdict = released.cells[3].outputs[0]["data"]["text/plain"]
    assert "尚未完成" in verdict and "4.5" not in verdict
    assert [output.get("text") for output in released.cells[4].outputs][0] == "a\nb\n", "merged as nbval merges"
    assert released.metadata.widgets[WIDGET_STATE]["state"], "the widget's state is kept for JupyterLab"
    assert not save(with_new_widget_ids(released), target), "the next run's new widget ids change nothing"


def chapter_with_widgets():
    """A committed chapter with its widget state, and a timing cell nbval ignores."""
    path = next(path for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
                if "widgets" in nbformat.read(path, as_version=4).metadata)
    notebook = nbformat.read(path, as_version=4)
    timing = new_code_cell("print(f'forward {ms:.2f} ms')", execution_count=99,
                           metadata={"tags": ["nbval-ignore-output"]},
                           outputs=[nbformat.v4.new_output("stream", name="stdout", text="forward 1.52 ms\n")])
    notebook.cells.append(timing)
    return notebook


PATCH_RELEASES = itertools.count(7)


def with_new_widget_ids(notebook):
    """``notebook`` with new random widget model ids, its widget state in another order, as each run makes it."""
    text = json.dumps(notebook)
    for model_id in notebook.metadata.widgets[WIDGET_STATE]["state"]:
        text = text.replace(model_id, uuid.uuid4().hex)
    again = nbformat.reads(text, as_version=4)
    widgets = again.metadata.widgets[WIDGET_STATE]
    widgets["state"] = dict(reversed(widgets["state"].items()))
    return again


def as_if_run_again(notebook, timing):
    """``notebook`` as the next run, or another machine, makes it: new widget model ids, another timing,
    another Python patch release."""
    again = with_new_widget_ids(notebook)
    again.cells[-1].outputs[0].text = timing
    again.metadata.setdefault("language_info", {})["version"] = f"3.11.{next(PATCH_RELEASES)}"
    return again


def test_saving_a_notebook_that_differs_only_in_widget_ids_and_timings_keeps_its_bytes(tmp_path):
    path = tmp_path / "chapter.ipynb"
    notebook = chapter_with_widgets()
    assert save(as_if_run_again(notebook, "forward 1.52 ms\n"), path)
    stored = path.read_bytes()

    assert not save(as_if_run_again(notebook, "forward 13.07 ms\n"), path)
    assert path.read_bytes() == stored

    changed = as_if_run_again(notebook, "forward 1.52 ms\nbackward 3.04 ms\n")
    assert save(changed, path), "a timing cell that prints another line is rewritten"
    shown = next(cell for cell in notebook.cells if cell.cell_type == "code" and cell.outputs
                 and cell.outputs[0].output_type == "stream")
    shown.outputs[0].text += "one more line\n"
    assert save(as_if_run_again(notebook, "forward 1.52 ms\n"), path), "a changed output nbval compares is rewritten"
    assert "one more line" in path.read_text(encoding="utf-8")

    path.write_text("<<<<<<< HEAD\n", encoding="utf-8")  # a merge conflict left in a generated copy
    assert save(as_if_run_again(notebook, "forward 1.52 ms\n"), path)
    assert len(nbformat.read(path, as_version=4).cells) == len(notebook.cells)
