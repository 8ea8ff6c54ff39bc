# One entry point for developers and CI. Every target builds its own virtualenv from this
# project's files, so a fresh clone needs only Python 3.10+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Singer plugins the tests pipe into, each in a virtualenv of its own (their pins clash).
PLUGINS := .plugins
TARGET_JSONL := $(PLUGINS)/target-jsonl/bin/target-jsonl

.PHONY: install lint test demo emulator bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(TARGET_JSONL):
	$(PYTHON) -m venv $(PLUGINS)/target-jsonl
	$(PLUGINS)/target-jsonl/bin/pip install --quiet target-jsonl==0.1.4

install: $(VENV)/.installed $(TARGET_JSONL)

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

bench: install
	$(BIN)/python benchmarks/tap_sync.py --stream crm_leads --sizes 20000,100000

clean:
	rm -rf $(VENV) $(PLUGINS) .mypy_cache .ruff_cache .pytest_cache
