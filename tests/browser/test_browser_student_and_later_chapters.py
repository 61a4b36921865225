"""A student's path through one exercise notebook in a real browser, in each edition.

Open the released exercises/ex02 in JupyterLab, run the setup cell, type a wrong answer into the answer cell of
``ch02.no_zero``, run it and its check cell: the red ❌ box names the specific mistake. Then type the right
answer, run both again: the green ✅ box. The English edition's path does the same in en/exercises/ex02: its
verdicts are English with no setting (the setup cell imports helpers.en). Screenshots of both go to
test-artifacts/browser/ (``en-`` before the English ones).

The module also runs the second half of the chapters (``test_browser_chapters.check_chapter``): its own
JupyterLab and chromium (module-scoped fixtures) serve both, and under pytest-xdist it runs beside the module
of the first half.
"""
import os

import nbformat
import pytest
import torch

from helpers import check
from helpers.authoring.editions import FINGERPRINT
from helpers.messages import say
from test_browser_chapters import (ARTIFACTS, RUN_TIMEOUT_S, SECOND_HALF, _copy_without_outputs, _run,  # noqa: F401
                                   _shut_down_kernels, _wait, _wait_idle, _wait_settled, chapter_ids, check_chapter,
                                   close_documents, kernel, open_notebook)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOKS = {"zh": os.path.join(ROOT, "exercises", "ex02_zeroing_gradients.ipynb"),
             "en": os.path.join(ROOT, "en", "exercises", "ex02_zeroing_gradients.ipynb")}
EXERCISE = "ch02.no_zero"
WRONG = "grad_without_zero = torch.tensor([0.0, 4.0, 8.0, 12.0])"
RIGHT = "grad_without_zero = torch.tensor([1.0, 5.0, 9.0, 13.0])"

def _roles(notebook):
    """The indexes of the setup cell, the exercise's answer cell and its check cell."""
    cells = nbformat.read(notebook, as_version=4).cells
    roles = [{key: value for key, value in cell.metadata.get("autograd_course", {}).items() if key != FINGERPRINT}
             for cell in cells]  # an English cell also records the Chinese cell it translates
    setup = roles.index({"role": "setup"})
    answer = roles.index({"exercise": EXERCISE})
    assert roles[answer + 1] == {"check": EXERCISE}
    return setup, answer, answer + 1


def _type_answer(page, cell, source):
    """Replace the answer cell's text with ``source`` (inserted as typed text, without auto-closed brackets)."""
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.insert_text(source)
    _wait(page, "([cell, source]) => cell.querySelector('.jp-InputArea-editor').innerText.trim() === source", 30,
          "the typed answer", [cell.element_handle(), source])


def _verdict(page, check_cell, symbol):
    """The text of the check cell's output once it shows ``symbol`` and the kernel has settled."""
    _wait(page, "([cell, symbol]) => cell.querySelector('.jp-OutputArea-output')?.innerText.includes(symbol)",
          RUN_TIMEOUT_S, f"a {symbol} verdict", [check_cell.element_handle(), symbol])
    _wait_settled(page, 60, "the kernel to settle")
    return check_cell.locator(".jp-OutputArea-output").first.inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wrong_answer_gets_its_diagnosis_and_the_right_one_passes(lang, lab, app):
    setup, answer, check_index = _roles(NOTEBOOKS[lang])
    served = os.path.join(lab["dir"], lang)  # the two editions' notebooks have the same name
    os.makedirs(served, exist_ok=True)
    _copy_without_outputs(NOTEBOOKS[lang], served)
    name = os.path.basename(NOTEBOOKS[lang])[:-6]
    shot = os.path.join(ARTIFACTS, ("en-" if lang == "en" else "") + name)
    os.makedirs(ARTIFACTS, exist_ok=True)
    diagnosis = check(EXERCISE, torch.tensor([0.0, 4.0, 8.0, 12.0]), lang=lang).detail
    success = check(EXERCISE, torch.tensor([1.0, 5.0, 9.0, 13.0]), lang=lang).detail
    page = app
    try:
        open_notebook(page, f"notebooks/{lang}/{name}.ipynb")  # a kernel of its own starts, as for a student
        _wait_idle(page, 180, "the kernel to start")
        cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        answer_cell, check_cell = cells.nth(answer), cells.nth(check_index)

        _run(page, cells.nth(setup))
        _type_answer(page, answer_cell, WRONG)
        _run(page, answer_cell)
        _run(page, check_cell)
        shown = _verdict(page, check_cell, "❌")
        assert f"❌ {EXERCISE} · {say('fail', lang)}" in shown, shown
        assert diagnosis in shown, f"the diagnosis {diagnosis!r} is not in the box:\n{shown}"
        assert check_cell.locator("div[style*='#d93025']").count() == 1, "no red box"
        check_cell.scroll_into_view_if_needed()
        page.screenshot(path=f"{shot}-wrong.png")

        _type_answer(page, answer_cell, RIGHT)
        _run(page, answer_cell)
        _run(page, check_cell)
        shown = _verdict(page, check_cell, "✅")
        assert f"✅ {EXERCISE} · {say('pass', lang)}" in shown and success in shown, shown
        assert check_cell.locator("div[style*='#1e8e3e']").count() == 1, "no green box"
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()[:2000]
        check_cell.scroll_into_view_if_needed()
        page.screenshot(path=f"{shot}-right.png")
    except Exception:
        page.screenshot(path=f"{shot}-failed.png")  # what the student would have seen
        raise
    finally:
        close_documents(page)
        _shut_down_kernels(lab)


@pytest.mark.parametrize("notebook", SECOND_HALF, ids=chapter_ids(SECOND_HALF))
def test_chapter_renders_in_jupyterlab_and_its_widget_responds(notebook, lab, app, kernel):  # noqa: F811
    check_chapter(notebook, lab, app, kernel)
