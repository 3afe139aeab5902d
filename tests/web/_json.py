"""JSON as the API sends it, for comparing a response with a library result (the API tests)."""

from __future__ import annotations

import math
from typing import Any


def plain(obj: Any) -> Any:
    """NaN and infinities become null (JSON has neither); keys become strings."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj
