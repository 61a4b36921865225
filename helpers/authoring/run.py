"""How every notebook of the course is executed and stored: by ``release``, by ``autograd-course outputs`` and by nbval.

Stored outputs must equal what nbval prints when it re-runs a notebook, so all three use this kernel
environment: ipykernel names cells ``<cell>`` instead of a temp path with the kernel's pid, hash order is
fixed, and the debugger's frozen-modules warning stays off stderr. nbval adds ``CROSS_CHECK_ENVIRONMENT``
(see there), so that every test run also proves the outputs do not depend on the CPU.

``save`` writes a notebook only when something a reader or nbval sees has changed: a second
``autograd-course outputs`` leaves every file byte for byte as it was.
"""
import json
import os
import re
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from helpers import ROOT

KERNEL_ENVIRONMENT = {"IPYKERNEL_CELL_NAME": "<cell>", "PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
# Stored outputs are made with the machine's native settings (AVX2 or AVX-512 kernels, MKL's fastest code path,
# one thread per core); nbval re-runs them with ATen's portable kernels, MKL's CPU-independent code path and one
# thread. Sums, matmuls and transcendental functions round differently under the two, so a printed figure that
# depends on the last bits fails every test run, on whatever machine it runs.
CROSS_CHECK_ENVIRONMENT = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE",
                           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CELL_TIMEOUT = 300  # seconds; the slowest cell (chapter 7's timings) takes a few
# Notebooks committed with outputs, both editions (en/: the English one); exercises/ and en/exercises/ are made by release.
STORED = ("notebooks", "solutions", "en/notebooks", "en/solutions")

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MODEL_ID = re.compile(r"[0-9a-f]{32}")  # ipywidgets model ids: uuid4().hex, new on every run
REFERENCE = "IPY_MODEL_"  # how one model's state names another
NBVAL_UNCOMPARED = {"nbval-ignore-output", "nbval-skip"}
NBVAL_UNCOMPARED_COMMENT = re.compile(r"^\s*#+\s*NBVAL_(IGNORE_OUTPUT|SKIP)\s*$", re.M)
FIGURES = re.compile(r"[ \d.]*\d[\d.]*")  # a number and the spaces that pad it


def use_kernel_environment(*extra):
    """Set the kernel variables (and ``extra`` dicts) in this process, so that kernels it starts inherit them."""
    for environment in (KERNEL_ENVIRONMENT, *extra):
        for name, value in environment.items():
            os.environ.setdefault(name, value)


def execute(notebook, folder):
    """Run ``notebook`` (an nbformat node) in a fresh python3 kernel from ``folder``; keep its outputs."""
    from nbclient import NotebookClient

    use_kernel_environment()
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # Streams are merged as nbval merges them: how print() output is split into messages is timing.
    # The kernel's own log (e.g. ipykernel's transport warning) is not the notebook's output: keep it off the console.
    NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT, record_timing=False, coalesce_streams=True,
                   resources={"metadata": {"path": str(folder)}}).execute(stderr=subprocess.DEVNULL)


def output_is_compared(cell):
    """Whether nbval compares this code cell's outputs (no ignore-output or skip tag or comment)."""
    tags = set(cell.metadata.get("tags", ()))
    return not tags & NBVAL_UNCOMPARED and not NBVAL_UNCOMPARED_COMMENT.search(cell.source)


def save(notebook, path):
    """Write ``notebook`` to ``path`` in its stored form unless the file already holds exactly that; True if written.

    The stored form drops what changes on every run but no reader or nbval sees: per-cell execution
    metadata, the Python patch version, the random ipywidgets model ids (renamed in a fixed order), and the
    figures of a cell whose output nbval ignores (timings) when only its digits changed.
    """
    import nbformat

    path = Path(path)
    try:
        old = nbformat.read(path, as_version=4)
    except (OSError, ValueError, TypeError, KeyError):  # none yet, or not a notebook (a merge conflict): replace it
        old = None
    notebook.metadata.get("language_info", {}).pop("version", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    if old is not None:
        _keep_uncompared_outputs(notebook, old)
    text = nbformat.writes(_canonical_widget_ids(notebook, path.stem)).rstrip("\n") + "\n"
    if old is not None and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _keep_uncompared_outputs(notebook, old):
    """Keep the stored outputs of unchanged cells nbval ignores where only their figures differ (timings)."""
    stored = {cell.source: cell.outputs for cell in old.cells if cell.cell_type == "code"}
    shape = lambda outputs: FIGURES.sub("0", json.dumps(outputs, sort_keys=True))  # noqa: E731
    for cell in notebook.cells:
        if cell.cell_type != "code" or output_is_compared(cell) or cell.source not in stored:
            continue
        outputs = stored[cell.source]
        if shape(outputs) == shape(cell.outputs) and WIDGET_VIEW not in json.dumps(outputs):
            for output in outputs:
                if "execution_count" in output:
                    output.execution_count = cell.execution_count
            cell.outputs = outputs


def _canonical_widget_ids(notebook, salt):
    """``notebook`` with every widget model id replaced by one that depends only on the model's place.

    Models are numbered as they are reached from the cells' outputs, in order, then through the references
    between models (children, layout, style); models no output shows come last, ordered by their state.
    """
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    order = {}

    def visit(node):
        if isinstance(node, dict):
            for key in sorted(node):
                if key == "model_id" and node[key] in state:
                    reach(node[key])
                else:
                    visit(node[key])
        elif isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, str) and node.startswith(REFERENCE) and node.removeprefix(REFERENCE) in state:
            reach(node.removeprefix(REFERENCE))

    def reach(model_id):
        if model_id not in order:
            order[model_id] = uuid.uuid5(uuid.NAMESPACE_URL, f"autograd-course/{salt}/{len(order)}").hex
            visit(state[model_id])

    visit([cell.get("outputs", []) for cell in notebook.cells])
    for model_id in sorted(state, key=lambda key: MODEL_ID.sub("", json.dumps(state[key], sort_keys=True))):
        reach(model_id)
    if not order:
        return notebook
    import nbformat

    text = MODEL_ID.sub(lambda match: order.get(match.group(0), match.group(0)), json.dumps(notebook))
    return nbformat.reads(text, as_version=4)


def register(subparsers):
    parser = subparsers.add_parser("outputs", help="重新运行两版的章节与 solutions/ 并保存输出，再生成两版的 exercises/",
                                   description="Re-execute every chapter and solution notebook of both editions "
                                               "(notebooks/, solutions/, en/notebooks/, en/solutions/) in place (their "
                                               "stored outputs are what nbval compares, and what the English outputs "
                                               "are proven against), then release exercises/ and en/exercises/. A file "
                                               "is rewritten only when its outputs changed.")
    parser.add_argument("paths", nargs="*", type=Path, help="only these notebooks (default: all, then release)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default: 2)")
    parser.set_defaults(run=run)


def stored_notebooks():
    """What a plain ``autograd-course outputs`` re-executes: every notebook committed with outputs."""
    return [path for folder in STORED for path in sorted((ROOT / folder).glob("*.ipynb"))]


def run(args):
    import nbformat
    from tqdm import tqdm

    paths = args.paths or stored_notebooks()
    failed, written = [], []

    def one(path):
        notebook = nbformat.read(path, as_version=4)
        try:
            execute(notebook, path.parent)
        except Exception as error:  # a cell that raises: name the notebook, keep its last stored outputs
            failed.append(f"{path}: {type(error).__name__}: {str(error)[-300:]}")
            return
        if save(notebook, path):
            written.append(path)

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        list(tqdm(pool.map(one, paths), total=len(paths), desc="outputs", unit="notebook"))
    print(f"outputs: {len(written)} of {len(paths)} notebooks changed" + "".join(f"\n  {path}" for path in written))
    for line in failed:
        print(f"outputs: {line}", file=sys.stderr)
    if failed:
        return 1
    if args.paths:
        return 0
    from helpers.authoring import release

    return release.run(release.default_arguments())
