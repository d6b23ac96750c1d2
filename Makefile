# Set up, run the demo, test. Everything runs offline on the embedded models.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint format train graph clean

$(BIN)/proactive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/proactive

setup: $(BIN)/proactive

demo: setup  ## set up (once) and play the bundled scenarios offline
	$(BIN)/proactive demo

test: setup  ## run the whole test suite
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check .

format:
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

train: setup  ## rebuild the embedded models from ProactiveBench data
	$(BIN)/proactive train

graph: setup
	$(BIN)/proactive graph

clean:
	rm -rf $(VENV) .pytest_cache .langgraph_api
