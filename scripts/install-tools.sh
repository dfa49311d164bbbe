#!/usr/bin/env bash
# Install the simulators and synthesis tool the test suite needs, when missing.
# Uses apt-get (Debian/Ubuntu); without root it prints the command to run instead.
set -euo pipefail
missing=()
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
command -v yosys >/dev/null 2>&1 || missing+=(yosys)
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing: ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Some images cannot run apt's signature check as its sandbox user (_apt): "gpgv ... required for
# verification, but neither seems installed" although gpgv is there; apt then runs it as root.
apt_opts=()
apt-get update -qq || { apt_opts=(-o APT::Sandbox::User=root); apt-get "${apt_opts[@]}" update -qq; }
apt-get "${apt_opts[@]}" install -y -qq "${missing[@]}" >/dev/null
