"""The package type-checks with mypy (its settings are in pyproject.toml). Skipped without mypy."""

import os
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mypy_is_clean(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed (make test installs it)")
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "--config-file",
         os.path.join(PYTHON_DIR, "pyproject.toml"), os.path.join(PYTHON_DIR, "gradsieve")],
        capture_output=True, text=True, cwd=PYTHON_DIR, timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
