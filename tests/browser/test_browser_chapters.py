"""Every chapter in a real browser: run all cells in JupyterLab, no error output, the main widget responds.

One JupyterLab server and one chromium for the module (so pytest-xdist's loadscope keeps them on one worker);
notebooks run one after the other. A screenshot per chapter goes to test-artifacts/browser/<notebook>.png.
"""
import glob
import json
import os
import re
import time
import urllib.request

import nbformat
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")
RUN_TIMEOUT_S = 420  # one chapter takes about 10 s alone; a loaded 2-core machine is far slower
STDERR = "application/vnd.jupyter.stderr"  # tracebacks and plain stderr alike
# AGC_BROWSER_NOTEBOOKS (a glob) runs other notebooks instead, e.g. a demo notebook while developing a widget.
CHAPTERS = sorted(glob.glob(os.environ.get("AGC_BROWSER_NOTEBOOKS") or os.path.join(ROOT, "notebooks", "0[0-9]_*.ipynb")))


def _copy_without_outputs(source, folder):
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, os.path.join(folder, os.path.basename(source)))


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.5)


def _kernel_idle(page):
    """Idle with a kernel attached (the indicator reads idle briefly before one is) and nothing queued."""
    return (page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() == 1
            and "Python 3" in page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName").inner_text()
            and page.locator(".jp-InputArea-prompt", has_text="[*]").count() == 0)


def _settled(page, seconds=3):
    """Idle for ``seconds`` in a row: output of the last cell and widget rendering have arrived."""
    def steady():
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not _kernel_idle(page):
                return False
            time.sleep(0.5)
        return True
    return steady


def _move(control):
    """What a student does: nudge a slider, pick another option, press a toggle or a button."""
    if control.locator(".noUi-handle").count():
        handle = control.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
    elif control.locator("select").count():
        control.locator("select").select_option(index=1)
    elif control.locator("button:not(.mod-active)").count():
        control.locator("button:not(.mod-active)").first.click()
    elif control.locator("input[type=checkbox]").count():
        control.locator("input[type=checkbox]").click()
    else:
        control.click()


def _shut_down_kernels(lab):
    """Free the CPU for the next chapter: end every session (and so its kernel)."""
    api = f"{lab['url']}/api/sessions"
    for session in json.load(urllib.request.urlopen(f"{api}?token={lab['token']}", timeout=30)):
        request = urllib.request.Request(f"{api}/{session['id']}?token={lab['token']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30)


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[os.path.basename(p)[:-6] for p in CHAPTERS])
def test_chapter_runs_in_jupyterlab_and_its_widget_responds(notebook, lab, browser):
    name = os.path.basename(notebook)[:-6]
    _copy_without_outputs(notebook, lab["dir"])
    os.makedirs(ARTIFACTS, exist_ok=True)
    page = browser.new_page()
    try:
        # A workspace of its own per chapter: JupyterLab would otherwise reopen the previous chapter's tab.
        page.goto(f"{lab['url']}/lab/workspaces/{name}/tree/notebooks/{name}.ipynb?reset&token={lab['token']}",
                  timeout=120_000)
        page.locator(".jp-NotebookPanel").first.wait_for(state="visible", timeout=120_000)
        _wait(lambda: _kernel_idle(page), 180, "the kernel to start")

        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator("li[data-command='runmenu:run-all']").click()
        _wait(lambda: page.locator(".jp-InputArea-prompt", has_text="[*]").count() > 0
              or page.locator(".jp-OutputArea-output").count() > 0, 60, "Run All to start")
        _wait(_settled(page), RUN_TIMEOUT_S, "all cells to finish")

        errors = page.locator(f".jp-OutputArea-output[data-mime-type='{STDERR}']")
        assert errors.count() == 0, f"{name}: error or stderr output:\n{errors.first.inner_text()[:2000]}"

        controls = page.locator(".agc-main-control")
        if controls.count() == 0:
            page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"))
            pytest.fail(f"{name}: no widget with class agc-main-control (add the chapter's widget from helpers.chapters)",
                        pytrace=False)
        control = controls.first
        output = control.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea-output')][1]").locator(
            ".agc-output").first
        control.scroll_into_view_if_needed()
        before = output.inner_html()
        _move(control)
        _wait(lambda: output.inner_html() != before, 60, "the widget's output to change")
        _wait(_settled(page), 60, "the kernel to settle after the widget moved")
        output.scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"))
    finally:
        page.close()
        _shut_down_kernels(lab)
