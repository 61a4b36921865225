"""The handout installed as a student installs it, with the interpreter that runs this test: a fresh virtual
environment made by the commands of the handout's README, then an exercise notebook run by that environment's own
kernel, where a student has written one right and one wrong answer, and a chapter.

It downloads and installs torch and JupyterLab, so it is not part of `make test`: `make test-slow` runs it with
the course's Python, and `make test-pythons` with every other Python found (see README).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.authoring.handout import build

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
EX02 = "ex02_zeroing_gradients.ipynb"
CHAPTER = "01_backward_basics.ipynb"  # draws a graph and builds a widget: the chapters' helpers work there too
WRONG = ("def three_grads(x):\n    x = x.detach().clone().requires_grad_(True)\n    grads = []\n"
         "    for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):\n        loss.backward()\n"
         "        grads.append(x.grad.clone())\n    return tuple(grads)\n")
RUN_NOTEBOOK = """
import json, sys
import nbformat
from nbclient import NotebookClient

path, answers = sys.argv[1], json.loads(sys.argv[2])
notebook = nbformat.read(path, as_version=4)
for cell in notebook.cells:
    exercise_id = cell.metadata.get("autograd_course", {}).get("exercise")
    if exercise_id in answers:
        cell.source = answers[exercise_id]
notebook.cells.append(nbformat.v4.new_code_cell("import sys, helpers\\nprint(sys.prefix, helpers.__file__)"))
NotebookClient(notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": sys.argv[3]}}).execute()
def shown(cell):
    return "".join(o.get("data", {}).get("text/plain", "") or o.get("text", "") for o in cell.get("outputs", []))

checks = {cell.metadata["autograd_course"]["check"]: shown(cell) for cell in notebook.cells
          if "check" in cell.metadata.get("autograd_course", {})}
errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
print(json.dumps({"checks": checks, "where": shown(notebook.cells[-1]), "errors": len(errors)}))
"""


def readme_install_commands(handout):
    """The commands of the handout README's install block, as a student types them."""
    readme = (handout / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## 1\..*?```bash\n(.*?)```", readme, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_a_student_installs_the_handout_and_checks_an_exercise(tmp_path):
    handout = tmp_path / "handout"
    build(handout)
    interpreter = getattr(sys, "_base_executable", sys.executable)  # this venv's Python, not the venv itself
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    commands = readme_install_commands(handout)
    assert commands[0] == "python3 -m venv .venv" and commands[1].startswith(".venv/bin/pip install ")
    for command in commands:
        command = re.sub(r"^python3 ", f"{interpreter} ", command)
        done = subprocess.run(command, shell=True, cwd=handout, env=environment, capture_output=True, text=True,
                              timeout=3000)
        assert done.returncode == 0, (command, done.stderr[-3000:])
    python = handout / ".venv" / "bin" / "python"
    solution = nbformat.read(ROOT / "solutions" / EX02, as_version=4)
    right = next(c.source for c in solution.cells if c.metadata.get("autograd_course", {}).get("exercise") ==
                 "ch02.no_zero")
    answers = {"ch02.no_zero": right, "ch02.three_grads": WRONG}
    done = subprocess.run([str(python), "-c", RUN_NOTEBOOK, str(handout / "exercises" / EX02), json.dumps(answers),
                           str(handout / "exercises")], cwd=handout, env=environment, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    checks = result["checks"]
    assert result["errors"] == 0
    assert result["where"].startswith(str(handout / ".venv")) and "site-packages/helpers" in result["where"]
    assert checks.pop("ch02.no_zero").startswith("✅ ch02.no_zero 正确")
    wrong = checks.pop("ch02.three_grads")
    assert wrong.startswith("❌ ch02.three_grads 还不对") and "没有清零" in wrong, wrong
    assert checks and all(line.startswith("⏳") for line in checks.values()), checks
    chapter = subprocess.run([str(python), "-c", RUN_NOTEBOOK, str(handout / "notebooks" / CHAPTER), "{}",
                              str(handout / "notebooks")], cwd=handout, env=environment, capture_output=True, text=True,
                             timeout=600)
    assert chapter.returncode == 0 and json.loads(chapter.stdout.splitlines()[-1])["errors"] == 0, chapter.stderr[-3000:]
    version = subprocess.run([str(handout / ".venv" / "bin" / "jupyter"), "lab", "--version"], env=environment,
                             capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.strip(), version.stderr
