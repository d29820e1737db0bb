# The two commands: `make run` (explorer on the sample data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup clean bench lint-deps fuzz faults eval eval-test bench-extract neo4j-up neo4j-down reset
LINT := tools/cypher-lint

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "RoPA Graph Explorer needs Python 3.11 or newer ($(PYTHON) is $$($(PYTHON) -V 2>&1)); try make PYTHON=python3.11 ..."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Loopback only unless ADDRESS names an interface to serve on (docs/explorer.md, "Serving to a network").
ADDRESS ?= 127.0.0.1
PORT ?= 8501
run: setup
	$(BIN)/streamlit run streamlit_app.py --server.address $(ADDRESS) --server.port $(PORT) \
	  --browser.serverAddress $(ADDRESS)

# Neo4j's Cypher front end for tests/test_cypher_lint.py (npm ci from the committed lock file).
$(LINT)/node_modules/.installed: $(LINT)/package.json $(LINT)/package-lock.json
	@if command -v npm >/dev/null; then \
	  cd $(LINT) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the Cypher lint test will be skipped (.ci/run installs Node.js)"; fi

lint-deps: $(LINT)/node_modules/.installed

test: setup lint-deps
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run.py

# Extraction scored on the held-out notices (tests/heldout/README.md): the dev half; eval-test is for the end of a piece of work.
eval: setup
	$(BIN)/python tools/eval_extraction.py --split dev

eval-test: setup
	$(BIN)/python tools/eval_extraction.py --split test

# Every importer's fuzz target in turn, FUZZ_SECONDS each (not part of `make test`; see fuzz/README.md).
FUZZ_SECONDS ?= 600
fuzz: setup
	$(BIN)/python -m fuzz.run --seconds $(FUZZ_SECONDS)

# Kill `ropa import` FAULT_KILLS times (SIGKILL and SIGTERM) and fill the disk FAULT_DISK_FULL times on a
# store of FAULT_RELATIONSHIPS; each time the store must be the old or the new state (tests/faults.py).
FAULT_RELATIONSHIPS ?= 100000
FAULT_KILLS ?= 200
FAULT_DISK_FULL ?= 20
faults: setup
	$(BIN)/python tests/faults.py --relationships $(FAULT_RELATIONSHIPS) --kills $(FAULT_KILLS) \
	  --disk-full $(FAULT_DISK_FULL) --out .faults/results.json

# A local Neo4j 5 Community server (tools/neo4j: Java 17+ and Maven; the first run fetches Neo4j from Maven
# Central): Bolt on 127.0.0.1, a generated password, data in .ropa/neo4j/, settings in .ropa/neo4j.env.
neo4j-up:
	$(PYTHON) tools/neo4j/neo4jctl.py up --dir .ropa

neo4j-down:
	$(PYTHON) tools/neo4j/neo4jctl.py down --dir .ropa

# Start from an empty store (--store / $ROPA_STORE, else .ropa/ropa.lbdb): a new state, so `ropa store restore N`
# brings the old one back; .venv stays. The explorer leaves an emptied store empty (no sample).
reset: setup
	$(BIN)/ropa store reset

# Everything this checkout made, the virtual environment and the store included (not undoable).
clean:
	-$(PYTHON) tools/neo4j/neo4jctl.py down --dir .ropa
	rm -rf $(VENV) .ropa .pytest_cache .faults
