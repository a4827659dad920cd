# The two set-up commands: `make run` and `make test`. Each installs what is missing first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Re-install when the dependencies change.
STAMP := $(VENV)/.installed

.PHONY: run test test-at lint format bench clean

$(STAMP): pyproject.toml scripts/bootstrap.sh
	PYTHON=$(PYTHON) scripts/bootstrap.sh $(VENV)
	touch $(STAMP)

run: $(STAMP)  ## run the whole service on this machine (Ctrl-C stops it)
	$(BIN)/voicecast dev

test: $(STAMP)  ## lint, then the whole suite on SQLite (and PostgreSQL when it answers)
	VENV=$(VENV) scripts/test.sh

test-at: $(STAMP)  ## the same under another clock: make test-at WHEN="2026-12-06 01:30" (Paris time)
	@test -n "$(WHEN)" || { echo 'Say when: make test-at WHEN="2026-12-06 01:30 Europe/Paris"' >&2; exit 2; }
	VENV=$(VENV) scripts/test-at.sh "$(WHEN)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .coverage htmlcov
