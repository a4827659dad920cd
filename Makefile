# The two set-up commands: `make run` and `make test`. Each installs what is missing first, at
# the versions requirements.lock pins.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Re-install when the dependencies change.
STAMP := $(VENV)/.installed
# The newest releases pyproject.toml allows, for `make test-latest`.
LATEST_VENV ?= .venv-latest

.PHONY: run test test-at test-latest lock lint format clean

$(STAMP): pyproject.toml requirements.lock scripts/bootstrap.sh
	PYTHON=$(PYTHON) scripts/bootstrap.sh $(VENV)
	touch $(STAMP)

run: $(STAMP)  ## run the whole service on this machine (Ctrl-C stops it); RUN_ARGS="--port 5001"; WHEN="2026-12-07 10:30" (Paris time) runs it under that clock
	$(if $(WHEN),VENV=$(VENV) scripts/at.sh "$(WHEN)") $(BIN)/voicecast dev $(RUN_ARGS)

test: $(STAMP)  ## lint, then the whole suite on SQLite (and PostgreSQL when it answers)
	VENV=$(VENV) scripts/test.sh $(TESTS)

test-latest:  ## the suite (or TESTS=...) on the newest releases allowed, in $(LATEST_VENV)
	PYTHON=$(PYTHON) scripts/bootstrap.sh --latest $(LATEST_VENV)
	VENV=$(LATEST_VENV) VOICECAST_UNLOCKED=1 LINT=0 scripts/test.sh $(TESTS)

lock: $(STAMP)  ## resolve requirements.lock again after a change to pyproject.toml; UPGRADE=1: newest releases
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 $(if $(UPGRADE),--upgrade) --quiet -o requirements.lock
	PYTHON=$(PYTHON) scripts/bootstrap.sh $(VENV)
	touch $(STAMP)

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
	rm -rf $(VENV) $(LATEST_VENV) instance .pytest_cache .ruff_cache .coverage htmlcov
