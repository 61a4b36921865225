"""Every chapter in a real browser: JupyterLab renders it without an error output, and its widget responds.

What a browser alone can check: the chapter's stored outputs (which nbval has just re-executed and compared)
render in JupyterLab with no error or stderr output, and the chapter's own widget cell, run in the page as a
student runs it, shows a live widget whose main control changes its output. Running every cell again here
would only repeat nbval's work. One JupyterLab server, one chromium, one JupyterLab page and one kernel per module
(pytest-xdist's loadscope keeps a module on one worker): the app loads once, and each chapter is opened in it as
the only document; a screenshot per chapter goes to test-artifacts/browser/<notebook>.png.

One English chapter is opened the same way from en/notebooks/: it runs its setup cell first, as a student does
(``from helpers.en import`` makes the kernel speak English), and nothing on the page, stored outputs and live widget
alike, may show a Chinese character (screenshot en-<notebook>.png). It shares the module's kernel and comes last:
a Chinese chapter checked after it would pass as well, but its screenshot would show English widgets.
"""
import glob
import json
import os
import time
import urllib.request

import nbformat
import pytest

from helpers.authoring.editions import CJK

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")
RUN_TIMEOUT_S = 180  # the widget cell takes a second or two alone; a loaded 2-core machine is far slower
STDERR = "application/vnd.jupyter.stderr"  # tracebacks and plain stderr alike
# AGC_BROWSER_NOTEBOOKS (a glob) runs other notebooks instead, e.g. a demo notebook while developing a widget.
CHAPTERS = sorted(glob.glob(os.environ.get("AGC_BROWSER_NOTEBOOKS") or os.path.join(ROOT, "notebooks", "[0-9][0-9]_*.ipynb")))
ENGLISH_CHAPTER = os.path.join(ROOT, "en", "notebooks", "02_zeroing_gradients.ipynb")  # its widget has words


def _copy_without_outputs(source, folder):
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, os.path.join(folder, os.path.basename(source)))


def _copy_with_outputs(source, folder):
    """The chapter as committed, less its saved widget state (the live widget replaces it); the indexes of the
    cells that set the English edition's language (``from helpers.en import``) and of the widget cell."""
    notebook = nbformat.read(source, as_version=4)
    notebook.metadata.pop("widgets", None)
    os.makedirs(folder, exist_ok=True)
    nbformat.write(notebook, os.path.join(folder, os.path.basename(source)))
    widget = next(index for index, cell in enumerate(notebook.cells)
                  if cell.cell_type == "code" and "_widget()" in cell.source)
    return [index for index, cell in enumerate(notebook.cells[:widget]) if "from helpers.en import" in cell.source], widget


def _wait(page, condition, timeout, what, arg=None):
    """Wait until the JavaScript ``condition`` (a function of ``arg``) holds in the page. It is evaluated there, ten
    times a second, so that waiting costs no round trip through playwright per look."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # here: without playwright the tests skip

    try:
        page.wait_for_function(condition, arg=arg, polling=100, timeout=timeout * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


PROMPT = "cell.querySelector('.jp-InputArea-prompt').innerText.trim()"
KERNEL_IDLE = """() => document.querySelectorAll(".jp-Notebook-ExecutionIndicator[data-status='idle']").length === 1
    && (document.querySelector('.jp-NotebookPanel-toolbar .jp-Toolbar-kernelName')?.innerText || '')
        .includes('Python 3')
    && ![...document.querySelectorAll('.jp-InputArea-prompt')].some(prompt => prompt.innerText.includes('[*]'))"""


def _run(page, cell):
    """Click into the cell's editor and press Shift+Enter, as a student does, until the cell has run. On a loaded
    machine the first keystroke can reach a notebook that is not ready for it and be lost: the prompt neither
    shows ``[*]`` nor a new count. Then press it again, as a student would."""
    before = cell.locator(".jp-InputArea-prompt").inner_text().strip()
    handle = cell.element_handle()
    for _ in range(3):
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            _wait(page, f"([cell, before]) => {PROMPT} !== before", 15, "the cell to be queued", [handle, before])
            break
        except AssertionError:
            continue
    _wait(page, f"cell => /^\\[\\d+\\]:$/.test({PROMPT})", RUN_TIMEOUT_S, "the cell to finish running", handle)


def _wait_idle(page, timeout, what):
    """Idle with a kernel attached (the indicator reads idle briefly before one is) and nothing queued."""
    _wait(page, KERNEL_IDLE, timeout, what)


def _wait_settled(page, timeout, what, seconds=1):
    """Idle for ``seconds`` in a row: output of the last cell and widget rendering have arrived."""
    since = f"window.agcIdleSince{time.monotonic_ns()}"  # this wait's own record of when idling began
    _wait(page, f"""seconds => {{
        if (!({KERNEL_IDLE})()) {{ {since} = undefined; return false; }}
        {since} ??= performance.now();
        return performance.now() - {since} >= seconds * 1000;
    }}""", timeout, what, seconds)


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


CLOSE_DOCUMENTS = """() => {
    for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
        if (widget.context) {  // a document (JupyterLab keeps a Launcher open when nothing else is)
            widget.context.model.dirty = false;  // the cells run here change nothing worth saving
            widget.close();
        }
    }
}"""
DOCUMENTS_OPEN = "Array.from(window.jupyterapp.shell.widgets('main')).filter(widget => widget.context).length"


def close_documents(page):
    """Close every document of the page's main area, without asking to save (the notebooks are the test's copies)."""
    page.evaluate(CLOSE_DOCUMENTS)
    page.wait_for_function(f"{DOCUMENTS_OPEN} === 0", timeout=60_000)


def open_notebook(page, path):
    """Open ``path`` (relative to the served folder) as the page's only notebook and wait until it shows."""
    close_documents(page)
    page.evaluate("path => { window.jupyterapp.commands.execute('docmanager:open', {path}); }", path)
    page.locator(".jp-NotebookPanel").wait_for(state="visible", timeout=120_000)


def _shut_down_kernels(lab):
    """Free the CPU for the next chapter: end every session (and so its kernel)."""
    api = f"{lab['url']}/api/sessions"
    for session in json.load(urllib.request.urlopen(f"{api}?token={lab['token']}", timeout=30)):
        request = urllib.request.Request(f"{api}/{session['id']}?token={lab['token']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30)


def _api(lab, path, body=None, method="GET"):
    request = urllib.request.Request(f"{lab['url']}/api/{path}?token={lab['token']}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response) if response.status != 204 else None


@pytest.fixture(scope="module")
def kernel(lab):
    """One python3 kernel that every chapter's page attaches to: it starts (and imports torch) once."""
    started = _api(lab, "kernels", {"name": "python3"}, "POST")
    yield started["id"]
    _api(lab, f"kernels/{started['id']}", method="DELETE")


# The first half here, the second in test_browser_student_and_later_chapters.py: two modules, so that two xdist workers
# (each with its own JupyterLab, chromium and kernel) share the chapters.
FIRST_HALF, SECOND_HALF = CHAPTERS[:(len(CHAPTERS) + 1) // 2], CHAPTERS[(len(CHAPTERS) + 1) // 2:]


def chapter_ids(paths):
    return [os.path.basename(p)[:-6] for p in paths]


@pytest.mark.parametrize("notebook", FIRST_HALF, ids=chapter_ids(FIRST_HALF))
def test_chapter_renders_in_jupyterlab_and_its_widget_responds(notebook, lab, app, kernel):
    check_chapter(notebook, lab, app, kernel)


@pytest.mark.skipif(bool(os.environ.get("AGC_BROWSER_NOTEBOOKS")), reason="AGC_BROWSER_NOTEBOOKS chose other notebooks")
def test_an_english_chapter_renders_in_english_and_its_widget_responds(lab, app, kernel):
    check_chapter(ENGLISH_CHAPTER, lab, app, kernel, folder="en/notebooks")


def check_chapter(notebook, lab, page, kernel, folder="notebooks"):
    name = os.path.basename(notebook)[:-6]
    english = folder.startswith("en/")
    shot = os.path.join(ARTIFACTS, f"{'en-' if english else ''}{name}.png")
    setup_cells, widget_cell = _copy_with_outputs(notebook, os.path.join(os.path.dirname(lab["dir"]), folder))
    # JupyterLab connects a notebook it opens to the session already open for its path, and so to the kernel.
    _api(lab, "sessions", {"path": f"{folder}/{name}.ipynb", "type": "notebook", "name": f"{name}.ipynb",
                           "kernel": {"id": kernel}}, "POST")
    os.makedirs(ARTIFACTS, exist_ok=True)
    try:
        open_notebook(page, f"{folder}/{name}.ipynb")
        page.locator(".jp-OutputArea-output").first.wait_for(state="attached", timeout=60_000)
        errors = page.locator(f".jp-OutputArea-output[data-mime-type='{STDERR}']")
        assert errors.count() == 0, f"{name}: error or stderr output:\n{errors.first.inner_text()[:2000]}"

        _wait_idle(page, 180, "the kernel to start")  # a run sent before it is lost
        cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        for index in setup_cells:
            cells.nth(index).scroll_into_view_if_needed()
            _run(page, cells.nth(index))
        cell = cells.nth(widget_cell)
        cell.scroll_into_view_if_needed()
        _run(page, cell)
        controls = cell.locator(".agc-main-control")
        try:
            controls.first.wait_for(state="visible", timeout=RUN_TIMEOUT_S * 1000)
        except Exception:
            page.screenshot(path=shot)
            pytest.fail(f"{name}: its widget cell shows no control with class agc-main-control "
                        f"(add the chapter's widget from helpers.chapters)", pytrace=False)
        assert errors.count() == 0, f"{name}: the widget cell failed:\n{errors.first.inner_text()[:2000]}"
        control = controls.first
        handle = cell.element_handle()
        _wait(page, "cell => (cell.querySelector('.agc-output')?.innerHTML ?? '').trim() !== ''", 60,
              "the widget's first output", handle)
        before = cell.locator(".agc-output").first.inner_html()
        _move(control)
        _wait(page, "([cell, before]) => (cell.querySelector('.agc-output')?.innerHTML ?? before) !== before", 60,
              "the widget's output to change", [handle, before])
        _wait_settled(page, 60, "the kernel to settle after the widget moved")
        cell.locator(".agc-output").first.scroll_into_view_if_needed()
        page.screenshot(path=shot)
        if english:
            shown = page.locator(".jp-NotebookPanel .jp-Notebook").first.inner_text()
            chinese = CJK.search(shown)
            assert not chinese, f"{name}: Chinese on the English page: {shown[max(0, chinese.start() - 60):chinese.end() + 60]!r}"
    finally:
        close_documents(page)
