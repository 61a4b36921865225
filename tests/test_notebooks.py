"""Static checks of every committed notebook: nbval compares outputs, these check what nbval cannot."""
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from helpers.authoring.editions import FENCED, HEADING, link_problems
from helpers.authoring.run import CROSS_CHECK_ENVIRONMENT, output_is_compared

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHAPTERS_EN = sorted((ROOT / "en" / "notebooks").glob("*.ipynb"))  # the English edition (tests/test_editions.py)
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "en" / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb")) + sorted((ROOT / "en" / "exercises").glob("*.ipynb"))
ALL = CHAPTERS + CHAPTERS_EN + SOLUTIONS + EXERCISES
BOTH_EDITIONS = CHAPTERS + CHAPTERS_EN
# The headings every chapter has, in each edition's words (EN-EDITION-SPEC.md).
CHAPTER_HEADINGS = {"zh": {"title": r"# 第\s*\d+\s*章", "goals": "## 学习目标", "summary": "## 小结", "exercises": "## 练习"},
                    "en": {"title": r"# Chapter \d+: ", "goals": "## Learning objectives", "summary": "## Summary",
                           "exercises": "## Exercises"}}
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,16}|/tmp/ipykernel_")


def load(path):
    return nbformat.read(path, as_version=4)


def edition(path):
    return "en" if path.is_relative_to(ROOT / "en") else "zh"


def chapter_id(path):
    return f"{edition(path)}/{path.name}"


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]


def test_there_are_six_chapters_at_least():
    names = [path.stem for path in CHAPTERS]
    for expected in ("01_backward_basics", "02_zeroing_gradients", "03_scalar_backward", "04_detach",
                     "05_control_flow", "06_sin_cos_plot"):
        assert expected in names


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
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


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=chapter_id)
def test_chapter_has_title_goals_summary_and_exercises(path):
    notebook = load(path)
    words = CHAPTER_HEADINGS[edition(path)]
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert markdown and re.match(words["title"], markdown[0]), "the first cell must be the chapter title"
    assert words["goals"] in markdown[0], "learning goals belong right under the title"
    headings = "\n".join(markdown)
    assert words["summary"] in headings
    number = path.stem[:2]
    assert re.search(rf"{words['exercises']}[\s\S]*\.\./exercises/ex{number}_[a-z0-9_]+\.ipynb", headings), \
        "the chapter must end by pointing to its exercise notebook"


def test_chapters_assert_what_they_claim():
    for path in BOTH_EDITIONS:
        source = "\n".join(cell.source for cell in code_cells(load(path)))
        assert "assert" in source, f"{path.name} claims gradients but asserts none"


FIRST_EIGHT = [path for path in CHAPTERS if path.stem[:2] <= "08"]


def markdown_of(path):
    return [cell.source for cell in load(path).cells if cell.cell_type == "markdown"]


def prose_characters(path):
    return sum(len(source) for source in markdown_of(path))


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=chapter_id)
def test_chapter_is_one_sitting(path):
    assert len(load(path).cells) <= 45


def test_first_eight_chapters_keep_to_the_prose_budget():
    characters = sum(prose_characters(path) for path in FIRST_EIGHT)
    assert characters <= 42_000, f"{characters} characters of markdown in chapters 01-08"


# English takes about twice the characters of Chinese for the same sentence (one Chinese character is a
# syllable; English words need letters and spaces), while formulas, code spans and links are the same in both.
# The twelve translations measured 1.68-2.26 English characters per Chinese one (103,002 for 52,897 in all;
# 68,163 for chapters 01-08). The budgets below are the Chinese budget at twice the size, and a per-chapter
# ceiling that a natural translation does not reach: an English chapter above it says more than its original.
ENGLISH_PER_CHINESE = 2.4


def test_english_chapters_01_to_08_keep_to_their_prose_budget():
    characters = sum(prose_characters(path) for path in CHAPTERS_EN if path.stem[:2] <= "08")
    assert characters <= 84_000, f"{characters} characters of markdown in English chapters 01-08"


@pytest.mark.parametrize("path", CHAPTERS_EN, ids=chapter_id)
def test_english_chapter_is_not_much_longer_than_its_original(path):
    english, chinese = prose_characters(path), prose_characters(ROOT / "notebooks" / path.name)
    assert english <= ENGLISH_PER_CHINESE * chinese, \
        f"{english} characters of English markdown for {chinese} of Chinese ({english / chinese:.2f} per character)"


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_student_text_is_self_contained_and_free_of_build_details(path):
    notebook = load(path)
    for index, cell in enumerate(notebook.cells):
        for words in ("笔记", "study notes"):
            assert words not in cell.source, f"cell {index} cites the study notes, which students never see"
        assert "nbval" not in cell.source.lower(), f"cell {index}: nbval belongs in cell tags, not in text"
        prose = FENCED.sub("", cell.source) if cell.cell_type == "markdown" and index else ""  # cell 0: title + goals
        for heading in HEADING.finditer(prose):
            assert heading.start() == 0, f"cell {index}: the heading {heading.group(0)!r} must start its own cell"


def test_checker_messages_do_not_cite_the_notes():
    for path in sorted((ROOT / "helpers" / "exercises").glob("ch*.py")):
        assert "笔记" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("path", BOTH_EDITIONS + SOLUTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_point_to_existing_notebooks_and_headings(path):
    """Within their own edition (helpers.authoring.editions.link_problems)."""
    assert link_problems(path, load(path)) == []


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=chapter_id)
def test_chapter_draws_the_graph_autograd_builds_and_has_a_widget(path):
    source = "\n".join(cell.source for cell in code_cells(load(path)))
    assert re.search(r"\bdraw_(value_)?graph\(", source), "the README promises a graph drawing in every chapter"
    assert re.search(r"from helpers\.chapters\.ch\d\d import \w+_widget", source), "and a widget"


# A number as printed: not part of a name, a version (1.0.0) or a longer number.
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![A-Za-z0-9_]|\.\d)")
TIMING = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?\s?(?:ns|µs|μs|us|ms|s|sec|秒|毫秒|微秒)(?![A-Za-z])")
TINY = 1e-5  # below this a printed figure is a rounding residue: float32's eps is 1.2e-7, float64's 2.2e-16
FLOAT32_DIGITS = 8  # float32's 24-bit significand holds 7.2 decimal digits: an 8th printed digit is its last bits


def rounding_level_figures(text):
    """The figures in ``text`` that show the last bits of floating point, each with the reason."""
    found = [(match.group(0), "timing") for match in TIMING.finditer(text)]
    for match in NUMBER.finditer(text):
        mantissa, _, exponent = match.group(0).lstrip("+-").lower().partition("e")
        if "." not in mantissa and not exponent:
            continue  # an integer: counts, sizes, exact results
        digits = mantissa.replace(".", "").lstrip("0")
        value = float(match.group(0))
        if value and abs(value) < TINY and digits.rstrip("0") != "1":  # 1e-6, 1.0e-12: a bound the author wrote
            found.append((match.group(0), "rounding-level magnitude"))
        elif len(digits) >= FLOAT32_DIGITS:
            found.append((match.group(0), f"{len(digits)} significant digits"))
    return found


def checked_output_text(cell):
    """What nbval compares of a code cell's stored outputs, as one text ("" where nbval ignores them)."""
    if not output_is_compared(cell) or cell.metadata.get("autograd_course", {}).get("exact_digits"):
        return ""
    texts = [output.get("text", "") for output in cell.outputs if output.output_type == "stream"]
    texts += [output.get("evalue", "") for output in cell.outputs if output.output_type == "error"]
    texts += [value for output in cell.outputs for mime, value in output.get("data", {}).items()
              if mime in ("text/plain", "text/html", "text/latex")]
    return "\n".join(texts)


@pytest.mark.parametrize("text, flagged", [
    ("梯度最大差： 3.3e-16", ["3.3e-16"]),
    ("max |diff| 1.19e-07, eps 2.2e-16", ["1.19e-07", "2.2e-16"]),
    ("0.1 + 0.2 = 0.30000000000000004", ["0.30000000000000004"]),
    ("冻结层变了多少： 0.10071849822998047", ["0.10071849822998047"]),
    ("tensor(1577.9800, grad_fn=<MulBackward0>)", ["1577.9800"]),
    ("tensor([3.7835e-44, 5.0000e-01])", ["3.7835e-44"]),
    ("forward 1.52 ms, backward 3 s, 4.5秒", ["1.52 ms", "3 s", "4.5秒"]),
    ("tensor([0.1000, 4.5000]) tensor([[-2.4783,  1.5432]]) tensor([3.9236e+00, 1.0000e+02])", []),
    ("max |autograd - finite difference| < 1e-6: True; < 1.0e-12; 0.000001", []),
    ("loss 1.081492, 9.6964 -> 0.0079, 0.0, -0.0000, 1088 KiB, 204800, 12 steps, 3.5x", []),
    ("torch.Size([2, 4]) ipywidgets 8.1.9 TensorBody.h:493 ch01.leaf font-size: 0.9em rgba(0,0,0,0.1)", []),
])
def test_rounding_level_figures_are_told_from_legitimate_ones(text, flagged):
    assert [figure for figure, _ in rounding_level_figures(text)] == flagged


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_outputs_print_no_rounding_level_figures(path):
    """No checked output prints a figure that depends on the last bits of floating point or on the machine.

    Sums, matmuls and transcendental functions round differently with the CPU's vector width (AVX2,
    AVX-512, ARM), MKL's code path and the thread count, so their last bits differ between machines. Flagged:
    - magnitudes below 1e-5 (3.3e-16, 1.19e-07, 3.7835e-44): a difference between two ways of computing one
      value, or a subnormal, is rounding itself; print a bound (``< 1e-12``) instead. A power of ten (1e-6)
      is a bound the author wrote and passes.
    - 8 or more significant digits (0.30000000000000004, 1577.9800): float32 holds 7.2, so the 8th is its
      last bit, and a float64 printed in full shows its own; round it (``f"{x:.4f}"``, ``round(x, 4)``).
    - timings (1.52 ms, 3 s): they belong in a cell tagged nbval-ignore-output, or in benchmarks/.
    Integers and figures of at most 7 significant digits pass (torch's 4-decimal tensors of values below
    1000, ``loss 1.081492``).
    Cells nbval ignores are skipped. A cell whose digits are exact on every CPU (elementwise IEEE arithmetic,
    no reduction: a product by 2 or 100) may say so in its metadata, ``"autograd_course": {"exact_digits":
    "<why>"}``. The cross-check run (``CROSS_CHECK_ENVIRONMENT``) catches what a text heuristic cannot.
    """
    notebook = load(path)
    flagged = [f"cell {index}: {figure} ({why})" for index, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" for figure, why in rounding_level_figures(checked_output_text(cell))]
    assert not flagged, "rounding-level figures in stored outputs:\n" + "\n".join(flagged)


def test_the_kernels_nbval_starts_run_the_cross_check_configuration():
    """nbval's kernels inherit this process's environment, set (conftest.py) before torch was first imported:
    torch here, as in them, uses ATen's portable kernels and one thread."""
    import torch

    assert all(os.environ[name] == value for name, value in CROSS_CHECK_ENVIRONMENT.items())
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT" and torch.get_num_threads() == 1
