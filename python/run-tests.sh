#!/usr/bin/env bash
# Installs the Python companion and runs its tests, from anywhere:
#
#   bash python/run-tests.sh [pytest arguments]
#
# The same as the Python part of `make test`, from the repository root:
#   python3 -m pip install './python[trl]' torch==2.13.0+cpu transformers==5.25.0 trl==1.16.0 peft==0.21.2 mypy==1.19.1 pytest
#   HF_HUB_OFFLINE=1 python3 -m pytest python/tests -q
# (the pins are the Makefile's PYTHON_TEST_PINS; GRADSIEVE_PYTHON_PINS overrides them here).
#
# The integration tests use the gradsieve binary at $GRADSIEVE_BIN, else .build/debug/gradsieve
# in the repository root, and are skipped with a message when neither exists; the torch,
# transformers and trl tests are skipped with a message when those are not installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pins="${GRADSIEVE_PYTHON_PINS:-$(sed -n 's/^PYTHON_TEST_PINS = //p' Makefile)}"
# shellcheck disable=SC2086 # the pins are separate words
python3 -m pip install --quiet './python[trl]' $pins
HF_HUB_OFFLINE=1 python3 -m pytest python/tests -q "$@"
