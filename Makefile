# fp8kit: `make run` (the main job) and `make test` set everything up on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fp8kit-installed
# Every Python package at the exact version of the committed lock (`make lock` regenerates it).
LOCK := requirements/lock.txt

.PHONY: run report test test-slow test-latest test-oldest test-peers lock bench tools clean lint synth exhaust-ci exhaust-nightly

# The main job: the quick cocotb regression of every RTL module against the golden model.
run: $(STAMP) tools
	$(BIN)/fp8kit regress --level quick

# The format report and the golden model's self-check (no simulator needed).
report: $(STAMP)
	$(BIN)/fp8kit report

test: $(STAMP) tools
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The slow exhaustive tests, bounded as CI runs them (FP8KIT_SLOW=full for the whole sweep).
test-slow: $(STAMP) tools
	FP8KIT_SLOW=$${FP8KIT_SLOW:-bounded} $(BIN)/python -m pytest -n auto -m slow

# Exhaustive sweeps (docs/verification.md): one chunk of each op, or the nightly level (hours; resumable).
exhaust-ci: $(STAMP) tools
	$(BIN)/fp8kit exhaust --level ci --out exhaust_out/ci

exhaust-nightly: $(STAMP) tools
	$(BIN)/fp8kit exhaust --level nightly --resume --out exhaust_out/nightly

# The suite on the newest releases of every dependency (no lock): is a new release breaking us?
test-latest: tools
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	env -u PIP_CONSTRAINT .venv-latest/bin/python -m pip install -q --upgrade '.[dev]'
	.venv-latest/bin/python -m pip list 2>/dev/null | grep -i -E '^(numpy|ml.dtypes|cocotb|gfloat|hypothesis|pytest) '
	.venv-latest/bin/python -m pytest -n auto -p no:cacheprovider

# The suite with numpy and ml_dtypes at the floors of pyproject.toml (requirements/lock-oldest.txt), less the
# RTL benches of tests/rtl: the floors change the golden model, which the rest covers; the benches run on the lock.
test-oldest: tools
	$(MAKE) VENV=.venv-oldest LOCK=requirements/lock-oldest.txt test PYTEST_ARGS=--ignore=tests/rtl

# The optional cross-check of the GEMM presets against MMA-Sim (docs/gemm.md): torch, mmasim and torchao at
# their newest releases (no lock; torch from PyPI is the CUDA build, about 6 GB installed), tests/peers only.
test-peers:
	$(PYTHON) -m venv .venv-peers
	env -u PIP_CONSTRAINT .venv-peers/bin/python -m pip install -q -e '.[test,peers]'
	.venv-peers/bin/python -m pip list 2>/dev/null | grep -i -E '^(torch|torchao|mmasim|numpy) '
	.venv-peers/bin/python -m pytest -p no:cacheprovider -m peers tests/peers

# Regenerate requirements/lock.txt and requirements/lock-oldest.txt from the newest releases.
lock:
	bash scripts/lock.sh

bench: $(STAMP)
	$(BIN)/python bench/bench_codec.py
	$(BIN)/python bench/bench_arith.py
	$(BIN)/python bench/bench_mx.py
	$(BIN)/python bench/bench_gemm.py

# Verilator -Wall lint of every module the manifest lists (waivers, if any, in rtl/lint/*.vlt, each with a reason).
RTL_MODULES = $(shell $(PYTHON) -m fp8kit.rtlspec.manifest toplevels --sep " ")
lint:
	@for m in $(RTL_MODULES); do \
	  echo "verilator --lint-only -Wall $$m"; \
	  verilator --lint-only -Wall -Irtl/include -y rtl --top-module $$m $(wildcard rtl/lint/*.vlt) rtl/$$m.v || exit 1; \
	done

# Yosys synthesis of every module: no latches, `check -assert` clean.
synth:
	@for m in $(RTL_MODULES); do \
	  echo "yosys synth -top $$m"; \
	  yosys -q -p "read_verilog -D SYNTHESIS -Irtl/include $(wildcard rtl/*.v); synth -top $$m; \
	    select -assert-none t:\$$_DLATCH*; check -assert" || exit 1; \
	done

tools:
	@bash scripts/install-tools.sh

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT=$(abspath $(LOCK)) $(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .venv-latest .venv-oldest .venv-peers sim_build regress_out .pytest_cache .hypothesis
