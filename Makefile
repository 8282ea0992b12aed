# Carnet: `make run` starts the CRM, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# -rs lists why each skipped test was skipped; tests/progress.py prints a line per file.
PYTEST_ARGS ?= -q -rs -p tests.progress -o console_output_style=classic

.PHONY: install run test test-quick test-sqlite test-postgres lint bench-search migration screenshots clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/pip || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/carnet db upgrade
	$(BIN)/carnet serve

# The two halves run side by side (two cores; separate databases, separate Redis databases),
# each printing a line per finished test file, labelled [sqlite] or [postgres]. When both run,
# the tests that need no suite database are shared between them (CARNET_BOTH_HALVES).
CARNET_BOTH_HALVES ?= 0
test: install
	@both=0; $(BIN)/python -m tests.pg_available "$(TEST_POSTGRES_URL)" && both=1; \
		$(MAKE) --no-print-directory -j2 test-sqlite test-postgres CARNET_BOTH_HALVES=$$both

# A developer's quick run: SQLite only, leaving out the tests marked `slow` (real `carnet serve`
# processes, a browser, timed pacing); `make test` runs everything. HYPOTHESIS_PROFILE=ci (with
# either target) tries every example the property tests name, instead of a tenth (see
# tests/conftest.py; .ci/run uses `ci`).
test-quick: install
	TEST_DB_URL= $(BIN)/python -m pytest -q -m "not slow"

test-sqlite: install
	@echo "== tests on SQLite"
	TEST_DB_URL= CARNET_TEST_LABEL=sqlite CARNET_BOTH_HALVES=$(CARNET_BOTH_HALVES) \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	@if $(BIN)/python -m tests.pg_available "$(TEST_POSTGRES_URL)"; then \
		echo "== tests on PostgreSQL ($(TEST_POSTGRES_URL))"; \
		TEST_DB_URL="$(TEST_POSTGRES_URL)" TEST_REDIS_URL=redis://127.0.0.1:6379/14 \
			CARNET_TEST_LABEL=postgres CARNET_BOTH_HALVES=$(CARNET_BOTH_HALVES) \
			$(BIN)/python -m pytest $(PYTEST_ARGS); \
	elif [ "$$CARNET_REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL is not answering at $(TEST_POSTGRES_URL) and CARNET_REQUIRE_POSTGRES=1: failing"; \
		exit 1; \
	else \
		echo "PostgreSQL is not answering at $(TEST_POSTGRES_URL): skipping the PostgreSQL run (set CARNET_REQUIRE_POSTGRES=1 to make this a failure)"; \
	fi

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy app crm models scheduler bot forms
	$(BIN)/lint-imports

# A migration for what changed in models/ (the suite fails while one is missing).
migration: install
	@test -n "$(NAME)" || { echo "usage: make migration NAME=what_changed"; exit 2; }
	$(BIN)/tortoise -c models.MIGRATIONS_CONFIG makemigrations --name "$(NAME)"

# README screenshots (docs/screenshots/*.png) from the real form page and bot, in Chromium.
screenshots: install
	$(BIN)/python -m docs.screenshots

bench-search: install
	$(BIN)/python -m bench.search

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
