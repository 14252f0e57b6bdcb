#!/usr/bin/env bash
# Installs the Python companion and runs its tests, from anywhere:
#
#   bash python/run-tests.sh [pytest arguments]
#
# The same as, from the repository root:
#   python3 -m pip install ./python && python3 -m pytest python/tests -q
#
# The integration tests use the gradsieve binary at $GRADSIEVE_BIN, else .build/debug/gradsieve
# in the repository root, and are skipped with a message when neither exists; the torch tests are
# skipped when torch is not installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -m pip install --quiet ./python
python3 -m pytest python/tests -q "$@"
