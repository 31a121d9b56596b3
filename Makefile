# make dev: run the function locally against the bundled Pinterest sandbox.
# make test: lint and run every test. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: dev test lint venv clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Tools of tests/terraform, one venv each (python-hcl2 and checkov both install a module hcl2).
TOOL_STAMPS := .venv-hcl2/.installed .venv-checkov/.installed .venv-jsonschema/.installed

.venv-%/.installed: tests/terraform/requirements-%.txt
	test -x .venv-$*/bin/python || $(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

# The local BigQuery emulator the log tests start (tests/logs): its own venv, being large and pinning DuckDB.
BQ_STAMP := .venv-bq/.installed-emulator

$(BQ_STAMP): requirements-bqemulator.txt
	test -x .venv-bq/bin/python || $(PYTHON) -m venv .venv-bq
	.venv-bq/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

test: lint $(TOOL_STAMPS) $(BQ_STAMP)
	$(VENV)/bin/pytest

dev: $(STAMP)
	$(PY) tools/dev.py

clean:
	rm -rf $(VENV) $(dir $(TOOL_STAMPS)) $(dir $(BQ_STAMP)) .local .pytest_cache .ruff_cache
