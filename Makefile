# The two commands of the README (`make lab`, `make test`) and the one that regenerates stored outputs
# (`make outputs`). Each creates the virtual environment first when it is missing or stale.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test outputs env test-slow test-pythons
env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	# Build matplotlib's font cache now: its first-import notice on stderr would differ from stored outputs.
	$(BIN)/python -c "import matplotlib.pyplot"
	touch $@

lab: env
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks

test: env
	$(BIN)/python -m pytest

outputs: env
	$(BIN)/autograd-course outputs

# Minutes of fresh processes and environments, not in `make test`: a student's install of the handout (it
# downloads torch and JupyterLab) and an author's whole path from new-exercise to grading.
test-slow: env
	$(BIN)/python -m pytest -n 2 -m slow tests/test_install.py tests/test_new_exercise.py

# The course on every other Python found here (.venv-3.X each, a smoke subset): PYTHONS="3.13" picks versions.
test-pythons: env
	$(PYTHON) tests/pythons.py $(PYTHONS)
