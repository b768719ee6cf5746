# SafeQuiz: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup db check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

db: setup
	$(FLASK) db upgrade
	$(FLASK) setup

run: db
	@echo "SafeQuiz: http://$(HOST):$(PORT)/  (organiser login: http://$(HOST):$(PORT)/admin/login)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: setup
	$(FLASK) bank check
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL =="; \
		$(BIN)/python -m pytest -q; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

clean:
	rm -rf $(VENV) .pytest_cache
