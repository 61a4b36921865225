"""How every notebook of the course is executed: by ``release``, by ``autograd-course outputs`` and by nbval.

Stored outputs must equal what nbval prints when it re-runs a notebook, so all three use this kernel
environment: ipykernel names cells ``<cell>`` instead of a temp path with the kernel's pid, hash order is
fixed, and the debugger's frozen-modules warning stays off stderr.
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from helpers import ROOT

KERNEL_ENVIRONMENT = {"IPYKERNEL_CELL_NAME": "<cell>", "PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
CELL_TIMEOUT = 300  # seconds; the slowest cell (chapter 7's timings) takes a few
STORED = ("notebooks", "solutions")  # notebooks committed with outputs; exercises/ are made by release


def use_kernel_environment():
    """Set the kernel variables in this process, so that kernels it starts inherit them."""
    for name, value in KERNEL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def execute(notebook, folder):
    """Run ``notebook`` (an nbformat node) in a fresh python3 kernel from ``folder``; keep its outputs."""
    from nbclient import NotebookClient

    use_kernel_environment()
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # The kernel's own log (e.g. ipykernel's transport warning) is not the notebook's output: keep it off the console.
    NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT, record_timing=False,
                   resources={"metadata": {"path": str(folder)}}).execute(stderr=subprocess.DEVNULL)


def register(subparsers):
    parser = subparsers.add_parser("outputs", help="重新运行 notebooks/ 与 solutions/ 并保存输出，再生成 exercises/",
                                   description="Re-execute every chapter and solution notebook in place (their stored "
                                               "outputs are what nbval compares), then release exercises/.")
    parser.add_argument("paths", nargs="*", type=Path, help="only these notebooks (default: all, then release)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default: 2)")
    parser.set_defaults(run=run)


def run(args):
    import nbformat
    from tqdm import tqdm

    paths = args.paths or [path for folder in STORED for path in sorted((ROOT / folder).glob("*.ipynb"))]
    failed = []

    def one(path):
        notebook = nbformat.read(path, as_version=4)
        try:
            execute(notebook, path.parent)
        except Exception as error:  # a cell that raises: name the notebook, keep its last stored outputs
            failed.append(f"{path}: {type(error).__name__}: {str(error)[-300:]}")
            return
        for cell in notebook.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(notebook, path)

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        list(tqdm(pool.map(one, paths), total=len(paths), desc="outputs", unit="notebook"))
    for line in failed:
        print(f"outputs: {line}", file=sys.stderr)
    if failed:
        return 1
    if args.paths:
        return 0
    from helpers.authoring import release

    return release.run(release.default_arguments())
