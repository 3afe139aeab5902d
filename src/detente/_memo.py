"""The one on-disk cache of pure, keyed stage results (issue 16: the main job warm).

Some stages of :func:`detente.evaluate` are pure functions of their arguments, the package
(code and shipped data) and the user evidence layer: the engines' back-casts (a fixed seed),
the regime-coding audit, the episode back-test (a seed) and the comparison's β_T × β_D grid
(its seed, the posterior and the bargaining forecasts it reads). :func:`memo` keeps their results
under ``$DETENTE_CACHE/stages/`` beside the fitted posteriors (:func:`detente.dynamics.fit`),
keyed by a SHA-256 over

- the stage's name and its arguments (canonical JSON; a frame by the hash of its CSV text),
- every file of the installed ``detente`` package (sources and data, so any change of code or
  shipped evidence is a new key),
- the versions of the numerical libraries the results depend on,
- the user evidence layer (:func:`detente.evidence.user.layer_key`),
- the instruction-set level of the numeric libraries (:func:`detente.numerics.level`).

A hit returns the same object the computation returned when the entry was written (pickled),
so a warm run gives the numbers of a cold one; tests/test_golden_outputs.py runs the main job
cold and warm against the same golden output. An unreadable entry is recomputed; an entry that
cannot be written is skipped (the result is still returned). The cache is the user's own folder,
the same trust as the posterior cache: nothing here reads a cache it did not write by these
rules. The folder is bounded (:func:`detente.limits.max_stage_cache_bytes`, 1 GiB unless
``DETENTE_MAX_STAGE_CACHE_MB`` says otherwise): a hit marks its entry as used, and a write that
takes the folder past the bound removes the least recently used entries down to 80 % of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import os
import pickle
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: Distributions whose numbers end up in cached results (their versions enter every key).
LIBRARIES = ("numpy", "scipy", "pandas", "jax", "jaxlib", "numpyro", "scoringrules",
             "statsmodels", "matplotlib")


@functools.cache
def package_hash() -> str:
    """SHA-256 over the relative path and bytes of every file of the ``detente`` package
    (compiled ``__pycache__`` excluded), in a fixed order; computed once per process."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """Arguments as JSON-ready values: a DataFrame by the SHA-256 of its CSV text, an array by
    its dtype, shape and the SHA-256 of its bytes, a dataclass by its fields."""
    import numpy as np  # here, not at the top: a YAML read keys its entry without them
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        text = value.to_csv(lineterminator="\n").encode()
        return {"frame_sha256": hashlib.sha256(text).hexdigest()}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {"dtype": data.dtype.str, "shape": list(data.shape),
                "sha256": hashlib.sha256(data.tobytes()).hexdigest()}
    if isinstance(value, np.generic):
        return _canonical(value.item())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"dataclass": type(value).__qualname__,
                **{f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot key a stage by a {type(value).__name__}")


class CanonicalPickler(pickle.Pickler):
    """A pickler whose bytes depend only on an object's content, for fingerprints (never for
    storage: what it writes is not meant to be loaded).

    Two equal objects pickle to different bytes in two ways that say nothing about their
    content: a set's order follows the process's string hashing (a pydantic model keeps its
    ``fields_set`` as a set), and the pickle memo writes an object met twice once, so equal
    values that share an object in one process and are separate objects in another differ.
    Here sets are written sorted and the memo is off (``fast``; a structure that refers to
    itself raises ``ValueError``). Subclasses add their own ``reducer_override``, and one for
    objects that do refer to themselves (a matplotlib figure and its axes) sets
    ``memo = True`` (sharing is then the same whenever the objects are built the same way).
    """

    memo: bool = False

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=5)
        self.fast = not self.memo

    def persistent_id(self, obj: Any) -> Any:
        # called for every object before its type's own pickling (reducer_override is not
        # called for built-in sets), so a set is replaced by its sorted members here
        if type(obj) in (set, frozenset):
            return (type(obj).__name__, tuple(sorted(repr(v) for v in obj)))
        return None


def fingerprint(value: Any, pickler: type[CanonicalPickler] = CanonicalPickler) -> str:
    """Hex SHA-256 of ``value``'s canonical pickle (:class:`CanonicalPickler`): equal content,
    equal fingerprint, in any process."""
    buf = io.BytesIO()
    pickler(buf).dump(value)
    return hashlib.sha256(buf.getvalue()).hexdigest()


def stage_key(name: str, arguments: dict[str, Any]) -> str:
    """The cache key of one stage call (hex SHA-256, see the module docstring)."""
    from detente.evidence.user import layer_key
    from detente.numerics import level

    # the instruction-set level too: a native run's draws are not a pinned run's
    payload = json.dumps({"stage": name, "arguments": _canonical(arguments),
                          "package": package_hash(), "user_layer": layer_key(),
                          "numerics": level()},
                         sort_keys=True, allow_nan=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def cache_dir() -> Path:
    """``$DETENTE_CACHE`` or ``~/.cache/detente``: the fitted posteriors, the JAX compilation
    cache and this module's ``stages/`` folder."""
    return Path(os.environ.get("DETENTE_CACHE", Path.home() / ".cache" / "detente"))


def memo(name: str, arguments: dict[str, Any], compute: Callable[[], T]) -> tuple[T, bool]:
    """``compute()``, or its result stored under the key of ``name`` and ``arguments``.

    Returns
    -------
    (result, hit)
        ``hit`` is True when the result came from the cache.
    """
    return kept(f"{name}-{stage_key(name, arguments)[:32]}.pickle", compute)


def kept(entry: str, compute: Callable[[], T]) -> tuple[T, bool]:
    """``compute()``, or its result stored as ``entry`` in the stage folder: the one read,
    atomic write and size bound behind :func:`memo` and callers that key an entry themselves
    (a YAML document by its text, :func:`detente.scenario.load.read_yaml_document`, whose key
    must not cost the package hash). An exception from ``compute`` is raised and nothing is
    stored. Returns ``(result, hit)``."""
    from detente._io import atomic_file

    folder = cache_dir() / "stages"
    path = folder / entry
    try:
        with path.open("rb") as handle:
            result = pickle.load(handle)
    except FileNotFoundError:
        pass
    except Exception:  # a truncated or foreign entry is recomputed, not an error
        pass
    else:
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the last entry the size bound removes
        return result, True
    result = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, "wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a read-only or full cache only costs the next run this stage's time
    else:
        from detente.limits import max_stage_cache_bytes

        bound_folder(folder, "*.pickle", max_stage_cache_bytes(), keep=path)
    return result, False


def bound_folder(folder: Path, pattern: str, limit: int, keep: Path) -> None:
    """Remove the least recently used files of ``folder`` matching ``pattern`` (oldest
    modification time first, never ``keep``) when together they are over ``limit`` bytes, down
    to 80 % of it: the one size bound of the stage cache and of the posterior cache. A hit marks
    its entry used with :func:`os.utime`. Another process may remove or replace an entry
    meanwhile: what is gone is skipped."""
    entries = []
    for entry in folder.glob(pattern):
        with contextlib.suppress(OSError):
            info = entry.stat()
            entries.append((info.st_mtime, info.st_size, entry))
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return
    for _, size, entry in sorted(entries, key=lambda e: (e[0], e[2].name)):
        if total <= 0.8 * limit:
            break
        if entry == keep:
            continue
        with contextlib.suppress(OSError):
            entry.unlink()
            total -= size


__all__ = ["CanonicalPickler", "bound_folder", "cache_dir", "fingerprint", "kept", "memo",
           "package_hash", "stage_key"]
