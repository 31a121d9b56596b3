# make dev: run the function locally against the bundled Pinterest sandbox.
# make test: lint (ruff, and mypy on function/ and main.py) and run every test. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: dev test lint venv clean bench bench-instructions bench-pubsub fuzz soak pubsub-emulator

venv: $(STAMP)

# pip shows each package as it installs it: a fresh machine takes a minute or two, not in silence.
$(STAMP): requirements.txt requirements-dev.txt
	@echo "make: setting up $(VENV) from requirements-dev.txt"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Tools of tests/terraform, one venv each (python-hcl2 and checkov both install a module hcl2;
# the provider stand-in pins its own protobuf and grpcio).
TOOL_STAMPS := .venv-hcl2/.installed .venv-checkov/.installed .venv-jsonschema/.installed \
	.venv-standin/.installed

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

# The Pub/Sub emulator the pubsub tests start (tests/integration/pubsub_emulator.py) ships as a gcloud
# component (Java): installed here when missing, so no test downloads anything. An apt-installed
# gcloud refuses `components install`; its package is google-cloud-cli-pubsub-emulator.
pubsub-emulator:
	@sdk=$$(gcloud info --format='value(installation.sdk_root)'); \
	test -d "$$sdk/platform/pubsub-emulator" || gcloud components install pubsub-emulator beta --quiet \
		|| apt-get install -y google-cloud-cli-pubsub-emulator
	@java -version >/dev/null 2>&1 || { echo "make: the Pub/Sub emulator needs Java (a JRE 11+)"; exit 1; }

test: lint $(TOOL_STAMPS) $(BQ_STAMP) pubsub-emulator
	$(VENV)/bin/pytest

dev: $(STAMP)
	$(PY) -m tools.dev

# make bench: the benchmarks (bench/run.py) in their own venv .venv-bench: the runtime requirements,
# a profiler, and Pinterest's SDK as the baseline (--no-deps: see bench/requirements-sdk.txt).
# make bench-instructions: benchmarks 1, 3 and 4 (also as deployed) counted in CPU instructions with
# valgrind (noise-free).
# make fuzz: the long fuzz profile (over 100,000 inputs; `make test` runs the fast one).
# make soak: 10,000 events through the real server with 20% injected faults and a SIGTERM midway,
# then SIGTERM with Pinterest slow, the queue full and awaited requests in flight; then pubsub delivery
# through the Pub/Sub emulator with SIGKILL of a gateway and of the drain.
BENCH_REQS := requirements.txt bench/requirements.txt bench/requirements-sdk.txt
BENCH_STAMP := .venv-bench/.installed-$(shell cat $(BENCH_REQS) | cksum | cut -d' ' -f1)

$(BENCH_STAMP): $(BENCH_REQS)
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt \
		-r bench/requirements.txt
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
		-r bench/requirements-sdk.txt
	rm -f .venv-bench/.installed-*
	touch $@

bench: $(BENCH_STAMP)
	.venv-bench/bin/python -m bench.run

# make bench-pubsub: pubsub delivery's publish path against optimistic and the bare function, and the
# drain's events/s and calls per 1000 events, through the Pub/Sub emulator (bench/pubsub_path.py).
bench-pubsub: $(STAMP) pubsub-emulator
	$(PY) -m bench.pubsub_path

bench-instructions: $(BENCH_STAMP)
	.venv-bench/bin/python -m bench.instructions

fuzz: $(STAMP)
	FUZZ_PROFILE=long $(VENV)/bin/pytest tests/fuzz -q --hypothesis-show-statistics -p no:cacheprovider

soak: $(STAMP) pubsub-emulator
	$(PY) -m bench.soak
	$(PY) -m bench.soak --profile slow-sigterm
	$(PY) -m bench.soak --profile pubsub

clean:
	rm -rf $(VENV) $(dir $(TOOL_STAMPS)) $(dir $(BQ_STAMP)) .venv-bench .local .pytest_cache .ruff_cache .mypy_cache
