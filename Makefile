# rtk_nb — one-command setup, tests and reproduction. `make help` lists the targets.
SHELL := /bin/bash
comma := ,
PY    ?= python3.11
VENV  ?= .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv test check check-clean check-sync check-outputs outputs lint readme nbtest nbtest-rest pytest repro smoke gpu-check docs clean-venv

help:
	@echo "make repro   set up .venv and reproduce every experiment (dvc repro); prints the plan first, stops on a CPU unless ALLOW_CPU=1"
	@echo "make test    set up .venv and run every test (notebooks clean + in sync, nbdev-test, pytest)"
	@echo "make check  the loop while working (96 s here): notebooks clean/in sync/linted, the notebooks' tests but the slowest, the pytest files that train nothing"
	@echo "make smoke   the quick profile: the whole DAG on the offline plugin dataset shapes, in a copy under .smoke/ (resumed if there; FRESH=1 restarts)"
	@echo "make gpu-check  prove the GPU path: both pairs x every method, compile eager/forward/step, fit + resume (says so and exits 0 without a GPU)"
	@echo "make venv    only create/refresh the virtual environment"
	@echo "make docs    build the documentation site from the notebooks into site/ (offline; serve: python -m http.server -d site)"
	@echo "make outputs execute the notebooks stored with outputs (scripts/nb_outputs.py) and store them; make test checks they are current"

$(STAMP): requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "pip==25.3"
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

venv: $(STAMP)

# Notebooks must be stored clean, and rtk_nb/ must be exactly what nbdev-export makes of them.
check-clean: venv
	@before=$$(md5sum nbs/*.ipynb pipelines/*.ipynb 2>/dev/null); $(BIN)/nbdev-clean; $(BIN)/nbdev-clean --fname pipelines; \
	after=$$(md5sum nbs/*.ipynb pipelines/*.ipynb 2>/dev/null); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: unstripped notebooks (nbdev-clean changed them; commit the cleaned files)"; exit 1; fi; \
	echo "ok: notebooks are clean"
check-sync: venv
	@before=$$(md5sum rtk_nb/*.py README.md 2>/dev/null); $(BIN)/nbdev-export; $(MAKE) -s readme; \
	after=$$(md5sum rtk_nb/*.py README.md 2>/dev/null); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: rtk_nb/ is not in sync with nbs/ (nbdev-export changed it)"; exit 1; fi; \
	echo "ok: library and README in sync with notebooks"

# The notebooks stored with their outputs (scripts/nb_outputs.py: the docs show them): current, or make test fails.
check-outputs: venv
	@$(BIN)/python scripts/nb_outputs.py --check
outputs: venv
	$(BIN)/python scripts/nb_outputs.py

# The notebooks' code lines fit a docs page at 1400 px: ruff holds the limit (pyproject.toml [tool.ruff]).
lint: venv
	@$(BIN)/ruff check && echo "ok: notebook code lines within ruff's line-length"

# README.md is generated from nbs/index.ipynb (nbdev-readme needs Quarto, which this offline setup lacks)
readme: venv
	@$(BIN)/jupyter nbconvert --to markdown --log-level WARN nbs/index.ipynb --output-dir . --output README

nbtest: venv
	$(BIN)/nbdev-test --n-workers 2 --timing

# make test's notebook tests: those check-outputs does not execute (it runs every notebook stored with outputs, tests
# included, stopping at the first failure, as nbdev-test does); so no notebook runs twice
nbtest-rest: venv
	$(BIN)/nbdev-test --n-workers 2 --timing --skip-file-re "$$($(BIN)/python scripts/nb_outputs.py --names-re)"

pytest: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -rA --durations=10 tests

# make test: each part in turn, its time printed after it (pytest's closing line gives its own, and its 10 slowest tests)
test:
	@for part in venv check-clean check-sync lint check-outputs nbtest-rest; do s=$$(date +%s); \
	  $(MAKE) --no-print-directory $$part || exit 1; echo "== make $$part: $$(( $$(date +%s) - s )) s"; done
	@$(MAKE) --no-print-directory pytest

# The loop while working (96 s on this 2-core machine): notebooks clean, in sync, within the line length; the notebooks' own tests
# but the slowest (CHECK_SKIP_NBS, which train); the pytest files that train nothing. It names what it skipped: make test runs all.
CHECK_SKIP_NBS := 03d_train|03e_group|05_report|02_data
CHECK_TESTS    := tests/test_structure.py tests/test_readme.py tests/test_wheel.py::test_wheel_contents tests/test_gpu_check.py::test_no_gpu_says_so_and_exits_0
check: check-clean check-sync lint
	$(BIN)/nbdev-test --n-workers 2 --timing --skip-file-re "^($(CHECK_SKIP_NBS))\.ipynb$$"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -k "not runs_in_a_fresh_folder" $(CHECK_TESTS)
	@echo "make check skipped (make test runs them): the notebooks $(subst |,$(comma) ,$(CHECK_SKIP_NBS)); the README blocks run in a"
	@echo "  fresh folder; tests/ test_pipeline, test_pipeline_identity, test_schedule, test_ui, test_docs, test_reliability, test_group,"
	@echo "  test_gpu_path_on_cpu, test_benchmark, the wheel in a fresh venv, gpu_check on the CPU; the stored-output check"

# check-params --before-repro: the plan (runs, data, device, estimated time); stops on a CPU unless ALLOW_CPU=1,
# and lists every archive that cannot be downloaded, before any training
repro: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/rtk-nb check-params --before-repro $(if $(ALLOW_CPU),--allow-cpu)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro

smoke: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/smoke.py --dest .smoke $(if $(FRESH),--fresh)

# The documentation site: notebooks as stored (no execution), the quick profile's report, the API reference,
# MathJax served from the site (mkdocs.yml, docs/hooks.py).
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "site/ built: python -m http.server -d site  (or .venv/bin/mkdocs serve)"

# The GPU path in one command (scripts/gpu_check.py). Uses .venv where there is one, else python3 with this checkout
# on PYTHONPATH (a GPU machine that has torch but none of the dev tools); no dataset download, no MLflow.
GPU_PY := $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
gpu-check:
	PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(GPU_PY) scripts/gpu_check.py $(ARGS)

clean-venv:
	rm -rf $(VENV)
