# One entry point for developers and CI. Every target builds its own virtualenv from this
# project's files, so a fresh clone needs only Python 3.10+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install lint test demo emulator clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

emulator: install
	$(BIN)/zoho-emulator serve --host 127.0.0.1 --port 8765

demo: install
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
