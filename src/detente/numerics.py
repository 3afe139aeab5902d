"""One instruction-set level for the floating-point libraries, so a seed gives the same numbers
on every x86-64 machine.

Why: XLA (JAX's compiler), NumPy and OpenBLAS each pick their kernels from the CPU they find at
run time. AVX-512 kernels sum and round in a different order from AVX2 ones, so the last bits of a
log-density differ between an Intel Xeon with AVX-512 and an AMD EPYC without it. NUTS is chaotic
in those bits: after a few hundred steps the draws are different draws, and every number
downstream of the fit moves (stop 21's CI, on an AMD host, failed the golden outputs made on an
Intel one; a third host gave a third set). Pinning the three libraries to the AVX2 + FMA level
(x86-64-v3, which every x86-64 server since 2015 has) made an Intel AVX-512 host reproduce the AMD
host's back-test bit for bit (docs/reproducibility.md has the check).

The pins are environment variables, read once when each library starts, so they only work when
set before NumPy is imported and before JAX builds its backend. :func:`pin_process` sets them for
the current process (and so for every worker it spawns); the command line calls it first thing.
A user's own setting of any of these variables wins, and ``DETENTE_NUMERICS=native`` turns the
pins off (faster on AVX-512 machines, reproducible only on the same kind of CPU).

This module imports nothing heavy and changes nothing on import.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: The environment variable that turns the pins off (``native``) or on (``x86-64-v3``, default).
NUMERICS_ENV = "DETENTE_NUMERICS"

#: The pinned level, as recorded with every run.
PINNED_LEVEL = "x86-64-v3"

#: XLA's own switch: no instruction newer than AVX2 in the code it compiles.
XLA_FLAG = "--xla_cpu_max_isa=AVX2"

#: OpenBLAS (NumPy's and SciPy's) kernels for Haswell, the first AVX2 + FMA core.
OPENBLAS_CORE = "Haswell"

#: NumPy 2.4's dispatch groups above x86-64-v3, each with the CPU flags (``/proc/cpuinfo``) it
#: needs. Only groups the machine has are disabled: NumPy refuses to disable what is not there.
_X86_V4 = frozenset({"avx512f", "avx512cd", "avx512vl", "avx512bw", "avx512dq"})
_AVX512_ICL = _X86_V4 | {"avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bitalg",
                         "avx512_vpopcntdq", "avx512ifma"}
_NUMPY_GROUPS_ABOVE_V3: tuple[tuple[str, frozenset[str]], ...] = (
    ("X86_V4", _X86_V4), ("AVX512_ICL", _AVX512_ICL),
    ("AVX512_SPR", _AVX512_ICL | {"avx512_fp16"}),
)


@functools.cache
def _cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first processor's flags, empty where the file is not there (not Linux)."""
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def _machine() -> str:
    """``x86_64`` and the like; without importing :mod:`platform` (3 ms of every start-up)."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


def pinned_environ(environ: Mapping[str, str], *, machine: str | None = None,
                   cpu_flags: frozenset[str] | None = None) -> dict[str, str]:
    """The variables to add to ``environ`` so the numeric libraries run at x86-64-v3.

    Pure: returns only the variables to set, never one the user has set (an ``XLA_FLAGS``
    without ``xla_cpu_max_isa`` gains the flag at its end). Empty off x86-64, on a CPU without
    AVX2 + FMA (the pins would name kernels it cannot run), and when ``DETENTE_NUMERICS=native``.
    """
    machine = (machine or _machine()).lower()
    if environ.get(NUMERICS_ENV, PINNED_LEVEL).strip().lower() == "native":
        return {}
    if machine not in {"x86_64", "amd64"}:
        return {}
    flags = _cpu_flags() if cpu_flags is None else cpu_flags
    if flags and not {"avx2", "fma"} <= flags:
        return {}
    out: dict[str, str] = {}
    xla = environ.get("XLA_FLAGS", "")
    if "xla_cpu_max_isa" not in xla:  # a ceiling: safe even where the flags are unknown
        out["XLA_FLAGS"] = f"{xla} {XLA_FLAG}".strip()
    if not flags:  # naming Haswell kernels on a CPU that may lack AVX2 would crash OpenBLAS
        return out
    if "OPENBLAS_CORETYPE" not in environ:
        out["OPENBLAS_CORETYPE"] = OPENBLAS_CORE
    if "NPY_DISABLE_CPU_FEATURES" not in environ and "NPY_ENABLE_CPU_FEATURES" not in environ:
        groups = [name for name, needs in _NUMPY_GROUPS_ABOVE_V3 if needs <= flags]
        if groups:
            out["NPY_DISABLE_CPU_FEATURES"] = " ".join(groups)
    return out


def pin_process() -> bool:
    """Set the pins in ``os.environ`` for this process and the workers it starts.

    Returns False, changing nothing, when it is too late: NumPy is already imported (its kernels
    are chosen) or JAX is. Call it before anything imports them, as the command line does.
    """
    if "numpy" in sys.modules or "jax" in sys.modules:
        return False
    os.environ.update(pinned_environ(os.environ))
    return True


def level(environ: Mapping[str, str] | None = None, *, machine: str | None = None,
          cpu_flags: frozenset[str] | None = None) -> str:
    """The level recorded with a run, from the variables in force:

    - ``"x86-64-v3"``: all three libraries pinned (NumPy needs no variable on a CPU without
      AVX-512);
    - ``"native"``: none pinned, or nothing to pin on this machine (the libraries chose by CPU;
      the numbers are reproducible on the same kind of CPU);
    - ``"mixed"``: some pinned, some not (a user's own setting, or a CPU whose flags could not
      be read): reproducible on the same kind of CPU only.
    """
    env = os.environ if environ is None else environ
    flags = _cpu_flags() if cpu_flags is None else cpu_flags
    wanted = pinned_environ({}, machine=machine, cpu_flags=flags)
    if not wanted:
        return "native"
    held = [XLA_FLAG.removeprefix("--") in env.get("XLA_FLAGS", "")]
    if flags:
        held.append(env.get("OPENBLAS_CORETYPE") == OPENBLAS_CORE)
        groups = set(wanted.get("NPY_DISABLE_CPU_FEATURES", "").split())
        held.append(groups <= set(env.get("NPY_DISABLE_CPU_FEATURES", "").split()))
    else:
        held.append(False)  # NumPy's and OpenBLAS's kernels are unknown, so not pinned
    if all(held):
        return PINNED_LEVEL
    return "mixed" if any(held) else "native"


__all__ = ["NUMERICS_ENV", "PINNED_LEVEL", "level", "pin_process", "pinned_environ"]
