# The two commands of the README (`make lab`, `make test`) and the one that regenerates stored outputs
# (`make outputs`). Each creates the virtual environment first when it is missing or stale.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test outputs env test-install test-pythons
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

# A student's install of the handout in a fresh environment (downloads torch and JupyterLab): not in `make test`.
test-install: env
	$(BIN)/python -m pytest -n 0 -m install tests/test_install.py
