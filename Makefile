# SafeQuiz: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup db browser fonts clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

db: setup fonts
	$(FLASK) db upgrade
	$(FLASK) setup

run: db
	@echo "SafeQuiz: http://$(HOST):$(PORT)/  (organiser login: http://$(HOST):$(PORT)/admin/login)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Debian's Chromium for the phone tests (Playwright drives it; no browser download).
# Without root or apt, the browser tests skip with a message saying so.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium (Debian package) for the browser tests"; \
			(apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || \
			 (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1)) || \
			echo "could not install chromium: browser tests will be skipped"; \
		else echo "chromium not found: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

# A Chinese font for certificates (PNG/PDF). Without it certificates answer with an install hint.
fonts:
	@if ! fc-list :lang=zh 2>/dev/null | grep -q . ; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing fonts-noto-cjk (Debian package) for certificates"; \
			(apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 || \
			 (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1)) || \
			echo "could not install fonts-noto-cjk: certificate tests will be skipped"; \
		else echo "no Chinese font: apt-get install fonts-noto-cjk (or set SAFEQUIZ_CJK_FONT)"; fi; \
	fi

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: setup browser fonts
	$(FLASK) bank check
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL =="; \
		$(BIN)/python -m pytest -q; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

clean:
	rm -rf $(VENV) .pytest_cache
