"""Embedded scenarios (package data): the ``*.yaml`` files in this folder, by id.

The lookup lives in :mod:`detente.scenario.embedded`, which reads this folder without importing
this module. Importing it anyway (``import detente.scenarios``) binds ``detente.scenarios`` to
this module instead of the public function :func:`detente.scenario.scenarios`; so that
``detente.scenarios()`` keeps working either way, this module is callable and returns the same
``(id, title)`` list.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from detente.scenario.embedded import embedded_ids, embedded_text


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        from detente.scenario import scenarios

        return scenarios(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["embedded_ids", "embedded_text"]
