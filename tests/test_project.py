"""The README's two set-up commands are real, and CI runs the same test command."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands():
    """The commands of the README's set-up block (the fenced block right under '## 开始 / Getting started')."""
    section = README.split("## 开始 / Getting started", 1)[1]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_readme_has_exactly_two_setup_commands():
    assert readme_commands() == ["make lab", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_make_targets_exist():
    targets = subprocess.run(["make", "-pRrq", "-f", "Makefile"], cwd=ROOT, capture_output=True, text=True).stdout
    for target in ("lab", "test", "outputs"):
        assert re.search(rf"^{target}:", targets, re.M), target


def test_regenerate_command_is_documented():
    assert "make outputs" in README
