"""Problem ids: strings, with integers accepted and written as their decimal string."""

from __future__ import annotations

from typing import Any, Type

import numpy as np

__all__ = ["normalize_id"]


def normalize_id(value: Any, what: str = "id", error: Type[Exception] = ValueError) -> str:
    """``value`` as the string gradsieve stores: a string as it is, an integer (Python or numpy,
    not bool) as its decimal form (``7`` -> ``"7"``). Anything else raises ``error`` naming
    ``what``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    raise error(f"{what}: id {value!r} is not a string or an integer")
