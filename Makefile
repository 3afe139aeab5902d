# détente: the two set-up commands are `make run` and `make test` (see README).
#
# Everything installs from the committed lock file (requirements.lock: every package pinned with
# its hashes), so two fresh clones get identical versions. `make lock` refreshes it.
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
LOCK     := requirements.lock
CHROMIUM := /usr/bin/chromium
STAMP    := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | sha1sum | cut -c1-12)

.PHONY: run test bench fuzz lint install lock browser clean

# The editable install compiles nothing, so where Python may not write __pycache__ itself
# (PYTHONDONTWRITEBYTECODE set) every command would compile détente's own modules again
# (benchmarks/README.md has the cost). pip compiles every other package at install.
BYTECODE = $(BIN)/python -m compileall -q src/detente >/dev/null

# A Debian python3 without its venv module gets python3-venv (as root, through apt-get).
$(BIN)/python:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || $(MAKE) --no-print-directory _apt PKG=python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml or the lock change (the stamp carries their hash).
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BYTECODE)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The main job on the embedded default scenario.
run: $(STAMP)
	$(BIN)/detente compare korea-2023 --seed 2023 --out out/

# The browser tests need Debian's chromium: installed here when it is missing (as root), else
# one line naming the package and the command, before pytest starts.
test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

browser:
	@[ -x $(CHROMIUM) ] || $(MAKE) --no-print-directory _apt PKG=chromium

# Install one Debian package, or stop with the command a user must run.
_apt:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make: installing Debian package $(PKG)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $(PKG) >/dev/null \
	    || { echo "make: apt-get install $(PKG) failed" >&2; exit 1; }; \
	else \
	  echo "make: the Debian package $(PKG) is missing; install it with: sudo apt-get update && sudo apt-get install $(PKG)" >&2; \
	  exit 1; \
	fi

bench: $(STAMP) browser
	$(BYTECODE)
	$(BIN)/python benchmarks/run_all.py

# A longer, randomised search than `make test`'s fixed budget (FUZZ_EXAMPLES per fuzz test).
# A failure prints the input that crashed: add it to tests/scenario/test_hostile_input.py.
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	DETENTE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) CI= $(BIN)/python -m pytest -q -p no:cacheprovider \
	  tests/scenario/test_hostile_input.py -k fuzzed

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

# Refresh the lock from pyproject.toml's ranges (then run `make test` and commit both).
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --universal \
	  --python-version 3.11 --quiet -o $(LOCK)

clean:
	rm -rf $(VENV) build dist .pytest_cache
