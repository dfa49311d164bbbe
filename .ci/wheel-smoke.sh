#!/usr/bin/env bash
# Wheel smoke test: build the sdist and the wheel (from the sdist), install the wheel with the sim
# extra into a fresh venv, and run the installed fp8kit from an empty directory, away from any
# checkout: --version, a small regression, a vector file replayed, one exhaust slice.
# pip takes versions from PIP_CONSTRAINT when it is set. Needs python3 (>= 3.11), iverilog and g++.
# Exits non-zero on the first failure; the temporary directories go on exit.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
tmp="$(mktemp -d -t fp8kit-wheel-smoke.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

step() { echo "== wheel-smoke ($SECONDS s): $*"; }

step "build the sdist and the wheel"
"$python" -m venv "$tmp/tools"
"$tmp/tools/bin/python" -m pip install -q build
"$tmp/tools/bin/python" -m build --outdir "$tmp/dist" "$repo" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
wheel="$(echo "$tmp"/dist/fp8kit-*.whl)"
ls "$tmp"/dist/fp8kit-*.tar.gz "$wheel"

step "install $(basename "$wheel")[sim] into a fresh venv"
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q "$wheel[sim]"
export PATH="$tmp/venv/bin:$PATH"
site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

mkdir "$tmp/work"
cd "$tmp/work"

step "fp8kit --version"
version="$(python -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
  "$repo/pyproject.toml")"
test "$(fp8kit --version)" = "fp8kit $version"
rtl="$(python -c 'from fp8kit.paths import rtl_dir; print(rtl_dir())')"
test "$rtl" = "$site/fp8kit/rtl"

step "fp8kit regress (4 cases)"
fp8kit regress --only 'lfsr32/seed00000001' --only 'int8_mac/streams' --only 'fp8_mul/e4m3fn-x-e5m2' \
  --only 'fp8_fma/e4m3fn-x-e4m3fn/float16/rne'
test -f regress_out/junit.xml

step "fp8kit vectors + fp8kit replay"
fp8kit vectors --op fma --format float8_e4m3fn --acc bfloat16 --rounding rne,rtz --out fma.hex
fp8kit replay fma.hex

step "fp8kit exhaust (one sweep: every e4m3fn x e5m2 code pair through fp8_mul)"
fp8kit exhaust --op mul --config float8_e4m3fn,float8_e5m2
test -f exhaust_out/summary.json

step "outputs stay in the working directory"
test -d sim_build/exhaust
test ! -e "$site/sim_build"
step "passed"
