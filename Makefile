# 全办 Quanban — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# Two workers: the machines we target have two cores. PYTEST_ARGS= runs the suite in one process.
PYTEST_ARGS ?= -n 2
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: run test test-fast lint format bench bench-quick openapi messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/quanban migrate --no-input
	$(BIN)/quanban demo --if-empty
	$(BIN)/quanban run --port $(PORT)

# The page tests drive Debian's Chromium: installed from the system's packages when it is missing
# (as root, or through sudo), and then required, so that a missing browser fails instead of skipping.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

test: $(VENV)/.installed-test node_modules/.package-lock.json $(CHROMIUM)
	QUANBAN_REQUIRE_BROWSER=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

openapi: $(VENV)/.installed
	$(BIN)/quanban openapi -o openapi.json

# One English catalogue for the whole package (templates included): src/quanban/locale/en.
# Translate the new empty msgstr entries after this, then run it again (or just msgfmt) to compile;
# tests/test_translations.py fails while any entry is untranslated or fuzzy. See docs/translations.md.
CATALOGUE := src/quanban/locale/en/LC_MESSAGES/django
messages: $(VENV)/.installed
	cd src/quanban && ../../$(BIN)/quanban makemessages --locale en --no-obsolete --add-location file \
	  --ignore 'migrations/*' --ignore 'node_modules/*' --ignore '.venv/*' --ignore 'tests/*'
	msgfmt --check --statistics --output-file $(CATALOGUE).mo $(CATALOGUE).po

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $(VENV)/.installed $(VENV)/.installed-test $@

# Each benchmark runs in a throwaway database (PostgreSQL when DATABASE_URL says so); results
# in bench/results/. `make bench` makes a million cases for cases_queries and for supervision
# (QUANBAN_BENCH_CASES sets another number), and ten million finished cases for dashboard
# (QUANBAN_BENCH_FINISHED sets another number). See docs/benchmarks.md.
bench: $(VENV)/.installed-bench node_modules/.package-lock.json
	$(BIN)/python -m bench --size full

bench-quick: $(VENV)/.installed-bench node_modules/.package-lock.json
	$(BIN)/python -m bench --size quick

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
