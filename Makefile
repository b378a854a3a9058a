# Convene. `make run` starts the app with its worker; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ADDR ?= 127.0.0.1:8000

.PHONY: run test test-fast lint format css css-check axe axe-check bench setup browser clean

# A virtualenv with every dependency, rebuilt when the requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

setup: $(VENV)/.installed

## run: install, migrate the SQLite database, start the web server and the Huey worker (Ctrl-C stops both).
run: export DEBUG ?= 1
run: export ADDR := $(ADDR)
run: setup
	$(PY) manage.py migrate --noinput
	@echo ""
	@echo "  Convene is running at http://$(ADDR)/  (web server + Huey worker; Ctrl-C stops both)"
	@echo ""
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	  $(PY) manage.py run_huey & \
	  $(PY) manage.py runserver $(ADDR) & \
	  wait -n

## browser: make sure a Chromium is there for the end-to-end tests.
browser: setup
	@$(PY) e2e/ensure_browser.py

## test: install everything, then run the whole suite (unit, integration and end-to-end).
test: setup browser
	$(PY) -m pytest

## test-fast: everything except the browser tests and the gunicorn races.
test-fast: setup
	$(PY) -m pytest -m "not e2e and not race"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## css: rebuild static/css/app.css (needs Node; the built file is committed).
css:
	npm install --no-audit --no-fund --silent
	npm run --silent build:css

## css-check: fail when the committed CSS differs from a fresh build.
css-check: css
	git diff --exit-code --stat -- static/css/app.css

## axe: refresh the axe-core the accessibility test injects (e2e/vendor/axe-core, committed, so
## `make test` needs no Node) from npm, at the version package.json pins.
axe:
	npm install --no-audit --no-fund --silent
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE node_modules/axe-core/LICENSE-3RD-PARTY.txt e2e/vendor/axe-core/

## axe-check: fail when the committed axe-core differs from npm's copy of that version.
axe-check: axe
	git diff --exit-code --stat -- e2e/vendor/axe-core

## bench: speed and scale figures (printed, not asserted against the clock).
bench: setup
	$(PY) -m pytest tests/benchmarks/bench_*.py -s -q

clean:
	rm -rf $(VENV) node_modules var staticfiles
