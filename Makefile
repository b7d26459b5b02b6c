# Designer BFF — `make run` serves the app on port 5000; `make test` runs the whole suite.
# Both install everything they need first (uv from PyPI if missing, then the locked env).

PYTHON ?= python3
UV := $(PYTHON) -m uv
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install uv system-deps lint format migrate bench-commands clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

install: uv
	$(UV) sync --locked --extra speech

# Test-only system tools (espeak-ng makes real speech for the speech tests). Best effort
# as root with apt; without it those tests skip locally and fail under CI=true.
system-deps:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq espeak-ng >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq espeak-ng >/dev/null)) \
	    || echo "warning: could not install espeak-ng"; \
	  else echo "note: espeak-ng not installed (speech tests will skip)"; fi; }

migrate: install
	$(UV) run --locked designer-bff db upgrade

run: install migrate
	$(UV) run --locked designer-bff serve --port $(PORT)

test: install system-deps
	$(UV) run --locked pytest $(PYTEST_ARGS)

lint: install
	$(UV) run --locked ruff check .

format: install
	$(UV) run --locked ruff format src tests bench

bench-commands: install
	$(UV) run --locked python bench/commands/run.py

clean:
	rm -rf .venv .pytest_cache .ruff_cache
