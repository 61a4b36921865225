"""Static checks of every committed notebook: nbval compares outputs, these check what nbval cannot."""
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL = CHAPTERS + SOLUTIONS + EXERCISES
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,16}|/tmp/ipykernel_")


def load(path):
    return nbformat.read(path, as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]


def test_there_are_six_chapters_at_least():
    names = [path.stem for path in CHAPTERS]
    for expected in ("01_backward_basics", "02_zeroing_gradients", "03_scalar_backward", "04_detach",
                     "05_control_flow", "06_sin_cos_plot"):
        assert expected in names


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_valid_and_executed(path):
    notebook = load(path)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    cells = code_cells(notebook)
    assert cells, "a notebook without code"
    assert any(cell.outputs for cell in cells), "no stored outputs: nbval has nothing to compare"
    for index, cell in enumerate(cells):
        assert cell.execution_count is not None, f"code cell {index} was never executed"
        for output in cell.outputs:
            assert output.output_type != "error", f"cell {index} stores an error: {output.get('ename')}"
            assert output.get("name") != "stderr", f"cell {index} writes to stderr: {output.get('text', '')[:200]}"
    text = json.dumps([_textual(output) for cell in cells for output in cell.outputs], ensure_ascii=False)
    assert not ADDRESS.search(text), "a memory address or temp path in stored output"


def _textual(output):
    """An output without its pictures, whose base64 data can hold anything, 0x7f... included."""
    data = {mime: value for mime, value in output.get("data", {}).items() if not mime.startswith("image/")}
    return {**output, "data": data} if "data" in output else output


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_title_goals_summary_and_exercises(path):
    notebook = load(path)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert markdown and re.match(r"# 第\s*\d+\s*章", markdown[0]), "the first cell must be the chapter title"
    assert "## 学习目标" in markdown[0], "learning goals belong right under the title"
    headings = "\n".join(markdown)
    assert "## 小结" in headings
    number = path.stem[:2]
    assert re.search(rf"## 练习[\s\S]*\.\./exercises/ex{number}_[a-z0-9_]+\.ipynb", headings), \
        "the chapter must end by pointing to its exercise notebook"


def test_chapters_assert_what_they_claim():
    for path in CHAPTERS:
        source = "\n".join(cell.source for cell in code_cells(load(path)))
        assert "assert" in source, f"{path.name} claims gradients but asserts none"


FIRST_EIGHT = [path for path in CHAPTERS if path.stem[:2] <= "08"]
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.M)
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"\]\(([^)\s]+?\.ipynb)(?:#([^)\s]+))?\)")


def markdown_of(path):
    return [cell.source for cell in load(path).cells if cell.cell_type == "markdown"]


def heading_id(text):
    """The id JupyterLab gives a rendered heading: its text, spaces replaced by hyphens."""
    plain = re.sub(r"`([^`]*)`", r"\1", text).replace("**", "")
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", plain)
    return plain.replace(" ", "-")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_one_sitting(path):
    assert len(load(path).cells) <= 45


def test_first_eight_chapters_keep_to_the_prose_budget():
    characters = sum(len(source) for path in FIRST_EIGHT for source in markdown_of(path))
    assert characters <= 42_000, f"{characters} characters of markdown in chapters 01-08"


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_student_text_is_self_contained_and_free_of_build_details(path):
    notebook = load(path)
    for index, cell in enumerate(notebook.cells):
        assert "笔记" not in cell.source, f"cell {index} cites the study notes, which students never see"
        assert "nbval" not in cell.source.lower(), f"cell {index}: nbval belongs in cell tags, not in text"
        prose = FENCED.sub("", cell.source) if cell.cell_type == "markdown" and index else ""  # cell 0: title + goals
        for heading in HEADING.finditer(prose):
            assert heading.start() == 0, f"cell {index}: the heading {heading.group(0)!r} must start its own cell"


def test_checker_messages_do_not_cite_the_notes():
    for path in sorted((ROOT / "helpers" / "exercises").glob("ch*.py")):
        assert "笔记" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("path", CHAPTERS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_links_point_to_existing_notebooks_and_headings(path):
    for source in markdown_of(path):
        for target, anchor in LINK.findall(source):
            linked = (path.parent / target).resolve()
            assert linked.exists(), f"{target} does not exist"
            if anchor:
                ids = {heading_id(h.group(2)) for s in markdown_of(linked) for h in HEADING.finditer(FENCED.sub("", s))}
                assert anchor in ids, f"{target}#{anchor}: no such heading (known: {sorted(ids)[:8]} ...)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_draws_the_graph_autograd_builds_and_has_a_widget(path):
    source = "\n".join(cell.source for cell in code_cells(load(path)))
    assert re.search(r"\bdraw_(value_)?graph\(", source), "the README promises a graph drawing in every chapter"
    assert re.search(r"from helpers\.chapters\.ch\d\d import \w+_widget", source), "and a widget"
