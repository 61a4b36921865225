"""`autograd-course release`: exercises/ is exactly what release makes from solutions/, and no solution leaks."""
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.cli import main
from helpers.exercises import EXERCISES
from helpers.authoring.release import VOLATILE_METADATA, ReleaseError, replace_regions, solution_lines, student_copy

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("ex*.ipynb"))


def comparable(cell):
    metadata = {key: value for key, value in cell.metadata.items() if key not in VOLATILE_METADATA}
    return cell.cell_type, cell.source, metadata


def test_there_are_solutions_and_each_has_a_released_copy():
    assert SOLUTIONS
    released = sorted(path.name for path in (ROOT / "exercises").glob("ex*.ipynb"))
    assert released == [path.name for path in SOLUTIONS]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_committed_exercises_equal_what_release_makes(solution):
    expected = student_copy(nbformat.read(solution, as_version=4))
    committed = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    assert [comparable(cell) for cell in committed.cells] == [comparable(cell) for cell in expected.cells], \
        f"exercises/{solution.name} is stale: run `autograd-course release`"
    assert committed.metadata == expected.metadata


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_no_solution_line_reaches_exercises(solution):
    secret = set(solution_lines(nbformat.read(solution, as_version=4)))
    assert secret, "a solution notebook without solution regions"
    released = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    texts = [cell.source for cell in released.cells]
    texts += [str(output.get("text", "")) + str(output.get("data", {})) for cell in released.cells
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


@pytest.mark.parametrize("source", [
    "### BEGIN SOLUTION\nx = 1",
    "x = 1\n### END SOLUTION",
    "### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION",
    "x = 1  ### BEGIN SOLUTION\n### END SOLUTION",
])
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(ReleaseError):
        replace_regions(source)


def exercise_notebook(answer_source):
    return new_notebook(cells=[
        new_markdown_cell("# 练习"),
        new_code_cell("from helpers import check", metadata={"autograd_course": {"role": "setup"}}),
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


def test_release_executes_the_student_copy_and_keeps_its_outputs(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(exercise_notebook("### BEGIN SOLUTION\ngrad_value = 4.5\n### END SOLUTION"),
                   solutions / "ex01_tiny.ipynb")

    assert main(["release", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0

    released = nbformat.read(exercises / "ex01_tiny.ipynb", as_version=4)
    assert released.cells[2].source == "grad_value = ...  # 填入你的答案"
    verdict = released.cells[3].outputs[0]["data"]["text/plain"]
    assert "尚未完成" in verdict and "4.5" not in verdict
