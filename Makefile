# OpenVergabe: `make run` starts the platform, `make test` runs every check.
# Both set up what they need first (.venv from requirements.lock, node_modules from
# package-lock.json, compiled message catalogs); nothing else has to be installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export VERGABE_PORT ?= 8000

.PHONY: run test setup setup-test lint check lock clean bench signature-tools

run: setup
	$(BIN)/vergabe db upgrade
	$(BIN)/vergabe demo
	$(BIN)/vergabe run

test: setup-test lint
	$(BIN)/pytest -q

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

setup: $(VENV)/.installed node_modules/.installed catalogs

setup-test: setup chromium signature-tools

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d infra/web/locale -D messages 2>&1 | grep -v "^compiling" || true

# Page tests drive Debian's Chromium; install it when it is missing and apt is at hand.
chromium:
	@test -x /usr/bin/chromium || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "page tests need /usr/bin/chromium (Debian package 'chromium')"; exit 1; fi; }

# Seal tests use SoftHSM2 as PKCS#11 token; the signature bench compares with poppler's pdfsig.
signature-tools:
	@test -e /usr/lib/softhsm/libsofthsm2.so -a -x /usr/bin/softhsm2-util -a -x /usr/bin/pdfsig || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 poppler-utils >/dev/null; \
	  else echo "seal tests and the bench need Debian packages 'softhsm2' and 'poppler-utils'"; exit 1; fi; }

# Re-resolve the pinned Python dependencies (after editing pyproject.toml).
lock:
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --quiet -o requirements.lock

bench: setup
	$(BIN)/python bench/ceiling.py

clean:
	rm -rf $(VENV) node_modules data .pytest_cache .mypy_cache .ruff_cache
