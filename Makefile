# One command per job: `make demo` builds and serves, `make test` runs what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= evidence.db
PORT ?= 8001

.PHONY: install demo build serve test lint eval clean chromium

$(BIN)/evidence: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/evidence

install: $(BIN)/evidence

build: install
	$(BIN)/evidence build $(DB) corpus/papers corpus/pdf

demo: build
	@echo "Serving $(DB) at http://127.0.0.1:$(PORT)/"
	$(BIN)/evidence serve $(DB) --port $(PORT)

# Browser tests use Debian's chromium; installed here when absent (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; } \
		|| echo "chromium is not installed: the browser tests will be skipped"

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/pytest -q

eval: install
	$(BIN)/evidence eval --gold corpus/gold --papers corpus/papers

clean:
	rm -rf $(VENV) $(DB) .pytest_cache
