# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install lint test demo bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# The example third-party plugin (docs/example-plugin) is installed for its tests only.
EXAMPLE_STAMP := $(VENV)/.example-plugin
$(EXAMPLE_STAMP): $(STAMP) docs/example-plugin/pyproject.toml
	$(PY) -m pip install -q -e docs/example-plugin
	touch $(EXAMPLE_STAMP)

# Bytecode for our own sources, brought up to date on every install: pip compiles a regular install,
# not an editable one, and where PYTHONDONTWRITEBYTECODE is set every run would compile them again
# (0.1 s of start-up, measured in benchmarks/README.md).
install: $(STAMP)
	@$(PY) -m compileall -q scmigrate plugins sc_emulator > /dev/null

# Style (ruff: pycodestyle, pyflakes, isort, bugbear, pyupgrade) and types (mypy on the core and the
# built-in plugins), as configured in pyproject.toml; make test runs it first.
LINT_PATHS := scmigrate plugins sc_emulator tests benchmarks examples docs/example-plugin
lint: install
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/mypy

test: install $(EXAMPLE_STAMP) lint
	$(PY) -m pytest -n 2 -q

demo: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash examples/demo.sh

# The benchmarks of benchmarks/README.md (several minutes; not part of make test).
bench: install
	$(PY) benchmarks/archive_bench.py
	$(PY) benchmarks/emulator_bench.py
	$(PY) benchmarks/cluster_bench.py

clean:
	rm -rf $(VENV) build *.egg-info demo-out
