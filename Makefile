# One command per job: `make demo` builds and serves, `make test` runs what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= evidence.db
PORT ?= 8001

.PHONY: install demo build serve test lint eval clean

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

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

eval: install
	$(BIN)/evidence eval --gold corpus/gold --papers corpus/papers

clean:
	rm -rf $(VENV) $(DB) .pytest_cache
