# One task runner for laptops and CI. Workflows call these targets; logic lives in
# `mlops` (src/mlops), not here. `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# uv: $UV if set (`uv run` sets it, so nested makes use the same uv), else uv on PATH,
# else where `make install` bootstraps it (pip --user puts it in ~/.local/bin on Linux;
# `python3 -m uv` finds it elsewhere, e.g. macOS).
UV ?= $(shell command -v uv 2>/dev/null || { test -x "$(HOME)/.local/bin/uv" && echo "$(HOME)/.local/bin/uv"; } || echo python3 -m uv)
UV_BOOTSTRAP_VERSION := 0.13.9
# Python caches bytecode by itself unless PYTHONDONTWRITEBYTECODE is set (some machines,
# this one included, set it). Then precompile at install, or every stage and every `dvc`
# call starts ~3x slower (measured: no-op repro 1.8 s -> 0.8 s). Otherwise compiling
# lazily is cheaper: precompiling a fresh environment costs ~10 s (measured here).
# uv compiles the packages it installs, not this project's own src/ (an editable
# install): compile that too, or each stage compiles its modules again (~0.04 s a stage).
ifdef PYTHONDONTWRITEBYTECODE
export UV_COMPILE_BYTECODE := 1
COMPILE_SRC = $(RUN) python -m compileall -q src
else
COMPILE_SRC = @:
endif
RUN := $(UV) run --locked --no-sync

.PHONY: help install data run repro test test-fast lint typecheck bench bench-scale clean report \
  gate review monitor serve image bench-serve

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## uv (if missing) and the locked environment from uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --user --quiet "uv==$(UV_BOOTSTRAP_VERSION)" \
	  || python3 -m pip install --user --quiet --break-system-packages "uv==$(UV_BOOTSTRAP_VERSION)" \
	  || { echo "make install: cannot install uv with python3's pip; install uv (https://docs.astral.sh/uv/getting-started/installation/) and rerun" >&2; exit 1; }
	$(UV) sync --locked
	$(COMPILE_SRC)

data: install ## get data/ from the DVC remote, or rebuild it from the source
	$(RUN) mlops get-data

run: data ## install, get the data, run the whole pipeline, print the headline metrics
	$(RUN) mlops check-params
	$(RUN) dvc repro
	$(RUN) mlops summary

repro: ## rerun only what changed (assumes `make install` ran)
	$(RUN) mlops check-params
	$(RUN) dvc repro

lint: install ## every pre-commit hook on every file: ruff, mypy --strict, YAML/TOML, zizmor, schemas, DVC
	$(RUN) pre-commit run --all-files --show-diff-on-failure

typecheck: install ## mypy --strict over src/ (also a pre-commit hook, so part of lint)
	$(RUN) mypy

# Tests run in parallel (pytest-xdist), one process per core; the expensive fixtures (a
# pipeline run, the default data's splits) are built once and shared by the workers.
JOBS ?= auto

test: lint ## every check: lint and the whole test suite, in parallel, with a coverage floor
	$(RUN) pytest -n $(JOBS) --dist worksteal --cov=mlops --cov-report=term

test-fast: install ## unit tests only (tests/unit: no pipeline, act or browser runs), < 1 min
	$(RUN) pytest -n $(JOBS) tests/unit -m "not e2e"

# Review loop. All three compare the workspace with the same champion: CHAMPION if given, else
# the current GTO prod model, else BASE (the PR's base branch or commit). `mlops gate`
# exits 0 pass, 1 fail, 2 error; make turns any non-zero into 2, so read the decision
# ("pass", "fail" or "error") from reports/gate.json.
BASE ?= main
CHAMPION ?=

report: ## compare the workspace with the gate's champion: reports/report.md, the PR comment
	$(RUN) mlops report --base $(BASE) $(if $(CHAMPION),--champion $(CHAMPION))

gate: ## promotion gate vs CHAMPION (default: prod, else BASE): reports/gate.json, exit 0 = pass
	$(RUN) mlops gate --base $(BASE) $(if $(CHAMPION),--champion $(CHAMPION))

# What a PR runs: both files from ONE comparison, the same bytes as `make gate` and `make
# report` write (half the time). `mlops review` exits as the gate; here a FAIL is a result
# (both files written, the verdict printed and in gate.json), so only an error fails the
# target: the PR's gate job turns gate.json into the check.
review: ## gate.json + report.md from ONE comparison (what a PR runs); fails only on an error
	$(RUN) mlops review --base $(BASE) $(if $(CHAMPION),--champion $(CHAMPION)) || [ $$? -eq 1 ]

# Monitor: judge CURRENT (a batch CSV, a folder of them, or the prediction log; default
# paths.monitor_batch) against the prod model, as the monitor workflow does.
CURRENT ?=

monitor: ## drift, decay and staleness of CURRENT vs prod: reports/monitor.json and .md
	$(RUN) mlops monitor $(if $(CURRENT),--current $(CURRENT))

# Serving (README "Serving"). MODEL: workspace (default), prod, model@v1.2.0, or a folder
# written by `mlops bundle`. HOST and PORT default to `serve:` in params.yaml
# (127.0.0.1:8000). VERSION: the registered version an image is built for (checked out).
MODEL ?= workspace
HOST ?=
PORT ?=
VERSION ?=
CONTAINER_ENGINE ?= docker
IMAGE ?= mlops-model:$(or $(VERSION),workspace)

serve: install ## serve MODEL over HTTP on HOST:PORT: /predict /health /ready /metadata /metrics
	$(RUN) mlops serve --model "$(MODEL)" $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

image: install ## container image of the workspace model as IMAGE (VERSION=v1.2.0 when checked out)
	VERSION="$(VERSION)" $(RUN) mlops bundle
	$(CONTAINER_ENGINE) build --build-arg MODEL_VERSION=$(or $(VERSION),workspace) -t $(IMAGE) .

bench-serve: install ## serving latency/throughput over HTTP vs in-process predict_proba (not a test)
	$(RUN) python bench/serve.py

bench: install ## the pipeline against its floors: cold repro vs bare compute, no-op vs DVC, review vs scoring
	$(RUN) python bench/pipeline.py

# Bootstrapped Adult of ROWS rows through the whole loop; niced: it is heavy (10M rows:
# several GiB and tens of minutes on 2 cores). Several sizes: ROWS="100000 1000000".
ROWS ?= 1000000

bench-scale: install ## the whole loop on ROWS rows (default 1000000): time and peak memory per step
	nice -n 10 $(RUN) python bench/scale.py --rows $(ROWS)

clean: ## remove build outputs (data/ and the DVC cache are kept)
	rm -rf build .pytest_cache .ruff_cache .coverage bench/.work
