"""The README's two set-up commands are real, and CI runs the same test command."""
import re
import subprocess
import sys
from pathlib import Path

import nbformat

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


def readme_command_lines():
    """Every line of the README's bash blocks (a continuation line joined to its command)."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_readme_command_names_a_real_make_target_or_command():
    from helpers.cli import COMMAND_MODULES

    targets = subprocess.run(["make", "-pRrq", "-f", "Makefile"], cwd=ROOT, capture_output=True, text=True).stdout
    lines = readme_command_lines()
    assert not [line for line in lines if line.startswith("autograd-course")], "type it as .venv/bin/autograd-course"
    for line in lines:
        if line.startswith("make "):
            assert re.search(rf"^{line.split()[1]}:", targets, re.M), line
    import argparse
    import importlib

    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    used = {line.split()[1] for line in lines if line.startswith(".venv/bin/autograd-course ")}
    assert used and used <= set(subparsers.choices), used - set(subparsers.choices)


def test_the_students_install_command_names_the_wheel_a_handout_holds():
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f".venv/bin/pip install autograd_course_student-{version}-py3-none-any.whl" in readme_command_lines()


def test_every_pin_is_exact_and_every_supported_python_is_allowed():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + project["optional-dependencies"]["test"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+]*", pin) for pin in pins), pins
    assert project["requires-python"] == ">=3.11,<3.14"


def test_commands_and_test_processes_skip_the_grammars_no_notebook_schema_uses():
    """helpers.lean_imports spares each of them a second: jsonschema, under nbformat, finds no rfc3987_syntax."""
    assert sys.modules["rfc3987_syntax"] is None and nbformat.validator.get_validator() is not None
    loaded = subprocess.run([sys.executable, "-c", "import sys, helpers.cli, nbformat; "
                             "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None)"],
                            capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"
