import os

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "integration: runs the gradsieve binary ($GRADSIEVE_BIN or ../.build/debug/gradsieve); skipped when absent"
    )


def find_gradsieve_binary():
    """$GRADSIEVE_BIN, else ../.build/debug/gradsieve (then release) relative to python/."""
    configured = os.environ.get("GRADSIEVE_BIN")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for flavour in ("debug", "release"):
        candidate = os.path.join(PYTHON_DIR, "..", ".build", flavour, "gradsieve")
        if os.access(candidate, os.X_OK):
            return os.path.normpath(candidate)
    return None


@pytest.fixture(scope="session")
def gradsieve_bin():
    binary = find_gradsieve_binary()
    if binary is None:
        where = os.environ.get("GRADSIEVE_BIN") or os.path.normpath(os.path.join(PYTHON_DIR, "..", ".build", "debug", "gradsieve"))
        pytest.skip(
            f"gradsieve binary not found at {where}: build it with `swift build` in the repository root "
            "or point GRADSIEVE_BIN at it"
        )
    return binary
