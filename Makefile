# The two commands: `make run` (explorer on the sample data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup clean bench lint-deps fuzz neo4j-up neo4j-down
LINT := tools/cypher-lint

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/streamlit run streamlit_app.py

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

# Every importer's fuzz target in turn, FUZZ_SECONDS each (not part of `make test`; see fuzz/README.md).
FUZZ_SECONDS ?= 600
fuzz: setup
	$(BIN)/python -m fuzz.run --seconds $(FUZZ_SECONDS)

# A local Neo4j 5 Community server (tools/neo4j: Java 17+ and Maven; the first run fetches Neo4j from Maven
# Central): Bolt on 127.0.0.1, a generated password, data in .ropa/neo4j/, settings in .ropa/neo4j.env.
neo4j-up:
	$(PYTHON) tools/neo4j/neo4jctl.py up --dir .ropa

neo4j-down:
	$(PYTHON) tools/neo4j/neo4jctl.py down --dir .ropa

clean:
	-$(PYTHON) tools/neo4j/neo4jctl.py down --dir .ropa
	rm -rf $(VENV) .ropa .pytest_cache
