# rtk_nb — one-command setup, tests and reproduction. `make help` lists the targets.
SHELL := /bin/bash
PY    ?= python3.11
VENV  ?= .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv test check-clean check-sync nbtest pytest repro smoke lock clean-venv

help:
	@echo "make repro   set up .venv and reproduce every experiment (dvc repro)"
	@echo "make test    set up .venv and run every test (notebooks clean + in sync, nbdev-test, pytest)"
	@echo "make smoke   the quick profile: the whole DAG on the offline digits dataset, in a temporary copy"
	@echo "make venv    only create/refresh the virtual environment"

$(STAMP): requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

venv: $(STAMP)

# Notebooks must be stored clean, and rtk_nb/ must be exactly what nbdev-export makes of them.
check-clean: venv
	@before=$$(md5sum nbs/*.ipynb nbs/*/*.ipynb 2>/dev/null); $(BIN)/nbdev-clean; \
	after=$$(md5sum nbs/*.ipynb nbs/*/*.ipynb 2>/dev/null); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: unstripped notebooks (nbdev-clean changed them; commit the cleaned files)"; exit 1; fi; \
	echo "ok: notebooks are clean"
check-sync: venv
	@before=$$(md5sum rtk_nb/*.py README.md 2>/dev/null); $(BIN)/nbdev-export; \
	after=$$(md5sum rtk_nb/*.py README.md 2>/dev/null); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: rtk_nb/ is not in sync with nbs/ (nbdev-export changed it)"; exit 1; fi; \
	echo "ok: library in sync with notebooks"

nbtest: venv
	$(BIN)/nbdev-test --n-workers 2 --timing

pytest: venv
	$(BIN)/python -m pytest -q tests

test: check-clean check-sync nbtest pytest

repro: venv
	$(BIN)/dvc repro

smoke: venv
	$(BIN)/python -m pytest -q tests/test_pipeline.py -s

clean-venv:
	rm -rf $(VENV)
