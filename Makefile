# SafeQuiz: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run dev test setup setup-dev db browser fonts nginx lock clean

# Python 3.11 or newer, checked before .venv is made (an older one would leave a broken .venv).
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "SafeQuiz needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)."; \
		echo "Install it (Debian 12 / Ubuntu 24.04: apt-get install python3 python3-venv) and run"; \
		echo "  make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "python3 -m venv failed: apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

# The app's packages (hash-checked); the tests' tools only for `make test`.
# Each reinstalls only when its requirements file changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

# English catalogues (*.po → *.mo), compiled when changed.
setup: $(VENV)/.installed
	@$(BIN)/python -m quiz.i18n
setup-dev: setup $(VENV)/.installed-dev

# Re-pin after editing requirements.in / requirements-dev.in (needs pip-tools and PyPI).
lock:
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--allow-unsafe -o requirements.txt requirements.in
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--allow-unsafe -o requirements-dev.txt requirements-dev.in

db: setup fonts
	$(FLASK) db upgrade
	$(FLASK) setup

# The production server (gunicorn + gevent, gunicorn.conf.py). HOST=0.0.0.0 serves the LAN:
# QR codes then carry this machine's LAN address (or PUBLIC_BASE_URL when set).
run: db
	@URL=$${PUBLIC_BASE_URL:-$$($(BIN)/python -m quiz.lan $(HOST) $(PORT))}; \
	echo "SafeQuiz: $$URL/  (organiser login: $$URL/admin/login)"; \
	PUBLIC_BASE_URL=$$URL ALLOWED_HOSTS=$${ALLOWED_HOSTS:-localhost,127.0.0.1} exec $(BIN)/gunicorn -c gunicorn.conf.py -b $(HOST):$(PORT) 'app:create_app()'

# Flask's development server, reloading on every change.
dev: db
	$(FLASK) run --debug --host $(HOST) --port $(PORT)

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

# nginx (Debian package) for the scale-out test (tests/test_scaleout.py: nginx in front of two
# servers). It runs only as the test's own process: a service the install started is stopped.
# Another apt-get holding the dpkg lock is waited for (DPkg::Lock::Timeout) and retried.
# Without root or apt the scale-out test skips with a message saying so.
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing nginx-light (Debian package) for the scale-out test"; \
			for try in 1 2 3 4 5; do \
				apt-get install -y -q -o DPkg::Lock::Timeout=120 nginx-light >/dev/null 2>&1 && break; \
				apt-get update -q -o DPkg::Lock::Timeout=120 >/dev/null 2>&1; \
				apt-get install -y -q -o DPkg::Lock::Timeout=120 nginx-light >/dev/null 2>&1 && break; \
				echo "apt-get failed (try $$try of 5; another apt-get may hold the lock): retrying"; sleep 10; \
			done; \
			if [ -x /usr/sbin/nginx ]; then \
				(command -v service >/dev/null 2>&1 && service nginx stop >/dev/null 2>&1) || \
				{ [ -f /run/nginx.pid ] && /usr/sbin/nginx -s quit 2>/dev/null; } || true; \
			else echo "could not install nginx: the scale-out test will be skipped"; fi; \
		else echo "nginx not found: the scale-out test will be skipped (apt-get install nginx-light)"; fi; \
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
test: setup-dev browser fonts nginx
	$(FLASK) bank check
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL =="; \
		$(BIN)/python -m pytest -q; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

clean:
	rm -rf $(VENV) .pytest_cache
