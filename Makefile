# fp8kit: `make run` (the main job) and `make test` set everything up on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fp8kit-installed

.PHONY: run test test-slow bench tools clean

run: $(STAMP)
	$(BIN)/fp8kit report

test: $(STAMP) tools
	$(BIN)/python -m pytest -n auto

# The slow exhaustive tests, bounded as CI runs them (FP8KIT_SLOW=full for the whole sweep).
test-slow: $(STAMP) tools
	FP8KIT_SLOW=$${FP8KIT_SLOW:-bounded} $(BIN)/python -m pytest -n auto -m slow

bench: $(STAMP)
	$(BIN)/python bench/bench_codec.py
	$(BIN)/python bench/bench_arith.py
	$(BIN)/python bench/bench_mx.py

tools:
	@bash scripts/install-tools.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) sim_build .pytest_cache .hypothesis
