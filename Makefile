# The two commands of the README (`make lab`, `make test`) and the one that regenerates stored outputs
# (`make outputs`). Each creates the virtual environment first when it is missing or stale.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

# `make lab` opens the landing page (index.ipynb), which links both editions; `make lab EDITION=en` opens the
# English chapter 1 directly, `make lab EDITION=zh` the Chinese one. Not LANG=en: every shell already exports
# LANG (a locale such as C.UTF-8 or en_US.UTF-8), so make would read the user's locale as a choice of edition,
# and a LANG=en on make's command line would be exported to JupyterLab and its kernels as an invalid locale.
EDITION ?=
FIRST_CHAPTER := notebooks/01_backward_basics.ipynb
LAB_PAGE := $(if $(EDITION),$(if $(filter en,$(EDITION)),en/$(FIRST_CHAPTER),$(FIRST_CHAPTER)),index.ipynb)
ifneq ($(filter-out en zh,$(EDITION)),)
$(error EDITION must be en or zh (or left out for the page that links both), not "$(EDITION)")
endif

.PHONY: lab test test-en outputs env test-slow test-pythons
env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	# Build matplotlib's font cache now: its first-import notice on stderr would differ from stored outputs.
	$(BIN)/python -c "import matplotlib.pyplot"
	touch $@

lab: env
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/$(LAB_PAGE)

test: env
	$(BIN)/python -m pytest

# nbval over the English edition: chapters, solutions and student copies. `make test` executes only the Chinese
# ones and proves that the English stored outputs follow from theirs (tests/test_editions.py); this executes the
# English code as well.
test-en: env
	$(BIN)/python -m pytest en/notebooks en/solutions en/exercises

outputs: env
	$(BIN)/autograd-course outputs

# Minutes of fresh processes and environments, not in `make test`: a student's install of the handout (it
# downloads torch and JupyterLab) and an author's whole path from new-exercise to grading.
test-slow: env
	$(BIN)/python -m pytest -n 2 -m slow tests/test_install.py tests/test_new_exercise.py

# The course on every other Python found here (.venv-3.X each, a smoke subset): PYTHONS="3.13" picks versions.
test-pythons: env
	$(PYTHON) tests/pythons.py $(PYTHONS)
