# One entry point for developers and CI. Every target builds its own virtualenv from this
# project's files, so a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Meltano in a virtualenv of its own; it installs meltano.yml's plugins (tap-zoho,
# target-zoho, target-jsonl, target-duckdb, target-postgres) each in its own under .meltano/.
PLUGINS := .plugins
MELTANO := $(PLUGINS)/meltano/bin/meltano
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install postgres lint test demo emulator bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(MELTANO):
	$(PYTHON) -m venv $(PLUGINS)/meltano
	$(PLUGINS)/meltano/bin/pip install --quiet meltano==4.4.1

$(PLUGINS)/.meltano-installed: $(MELTANO) meltano.yml pyproject.toml
	$(MELTANO) install
	touch $@

install: $(VENV)/.installed $(PLUGINS)/.meltano-installed

# The PostgreSQL server the target-postgres tests start clusters of (Debian's package).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql || { \
		echo "make test needs PostgreSQL's server: apt-get install postgresql (as root)"; exit 1; }; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint postgres
	$(BIN)/pytest

emulator: install
	$(BIN)/zoho-emulator serve --host 127.0.0.1 --port 8765

demo: install
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python benchmarks/read_floor.py --memory
	$(BIN)/python benchmarks/tap_sync.py --stream crm_leads --sizes 20000,100000
	$(BIN)/python benchmarks/subforms.py
	$(BIN)/python benchmarks/write.py --path rest
	$(BIN)/python benchmarks/write.py --path target
	$(BIN)/python benchmarks/write.py --path bulk
	$(BIN)/python benchmarks/org_copy.py

clean:
	rm -rf $(VENV) $(PLUGINS) .meltano .mypy_cache .ruff_cache .pytest_cache
