"""The one atomic-write helper: a file appears whole under its name, or not at all.

Every file détente writes (reports, scenarios, cached fits, exports) goes through
:func:`atomic_file`: the bytes go to a temporary file in the target's folder, which is then
renamed over the target (``os.replace``, atomic on POSIX). An interrupted write, a full disk or
an exception leaves the old file (or no file) and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "w",
                encoding: str | None = "utf-8", permissions: int = 0o644) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on a clean exit rename it to ``path``.

    Parameters
    ----------
    path : path
        The file to (re)place; its folder must exist.
    mode : {"w", "wb"}
    encoding : str or None
        For text mode.
    permissions : int
        Mode bits of the new file (mkstemp creates it 0600).
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                               dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, permissions)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically; return the path."""
    with atomic_file(path, "wb" if isinstance(data, bytes) else "w") as handle:
        handle.write(data)
    return Path(path)


__all__ = ["atomic_file", "atomic_write"]
