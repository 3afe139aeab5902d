"""The numeric libraries run at one instruction-set level (detente.numerics), on every host.

What is expected comes from the libraries' own documented switches: XLA's ``xla_cpu_max_isa``
debug option, OpenBLAS's ``OPENBLAS_CORETYPE``, NumPy's ``NPY_DISABLE_CPU_FEATURES`` with the
dispatch groups NumPy 2.4 lists in ``numpy.show_runtime()`` (``X86_V4``, ``AVX512_ICL``,
``AVX512_SPR``). That the pins make two CPUs agree is shown by the golden outputs
(tests/test_golden_outputs.py), made on one host and checked by CI on another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from detente.numerics import PINNED_LEVEL, _cpu_flags, level, pinned_environ

V3 = frozenset({"sse4_2", "avx", "avx2", "fma"})
SKYLAKE_X = V3 | {"avx512f", "avx512cd", "avx512vl", "avx512bw", "avx512dq"}
SAPPHIRE_RAPIDS = SKYLAKE_X | {"avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bitalg",
                               "avx512_vpopcntdq", "avx512ifma", "avx512_fp16"}


def test_an_avx2_host_gets_the_xla_and_openblas_pins_and_nothing_from_numpy_to_disable():
    env = pinned_environ({}, machine="x86_64", cpu_flags=V3)
    assert env == {"XLA_FLAGS": "--xla_cpu_max_isa=AVX2", "OPENBLAS_CORETYPE": "Haswell"}


def test_numpy_groups_disabled_are_the_ones_the_machine_has():
    # NumPy refuses to disable a group the CPU does not have, so each host names its own.
    assert pinned_environ({}, machine="x86_64", cpu_flags=SKYLAKE_X)[
        "NPY_DISABLE_CPU_FEATURES"] == "X86_V4"
    assert pinned_environ({}, machine="x86_64", cpu_flags=SAPPHIRE_RAPIDS)[
        "NPY_DISABLE_CPU_FEATURES"] == "X86_V4 AVX512_ICL AVX512_SPR"


def test_the_users_own_settings_win():
    mine = {"XLA_FLAGS": "--xla_dump_to=/tmp/x", "OPENBLAS_CORETYPE": "SkylakeX",
            "NPY_ENABLE_CPU_FEATURES": "X86_V3"}
    env = pinned_environ(mine, machine="x86_64", cpu_flags=SAPPHIRE_RAPIDS)
    assert env == {"XLA_FLAGS": "--xla_dump_to=/tmp/x --xla_cpu_max_isa=AVX2"}
    assert pinned_environ({"XLA_FLAGS": "--xla_cpu_max_isa=AVX512"}, machine="x86_64",
                          cpu_flags=V3) == {"OPENBLAS_CORETYPE": "Haswell"}


@pytest.mark.parametrize("environ, machine, flags", [
    ({"DETENTE_NUMERICS": "native"}, "x86_64", SAPPHIRE_RAPIDS),  # the user's opt-out
    ({}, "aarch64", frozenset({"asimd"})),                          # not x86-64
    ({}, "x86_64", frozenset({"sse4_2", "avx"})),                   # no AVX2: nothing to pin to
])
def test_no_pins_where_they_do_not_apply(environ, machine, flags):
    assert pinned_environ(environ, machine=machine, cpu_flags=flags) == {}


def test_unknown_cpu_flags_get_only_the_xla_ceiling():
    # A ceiling is safe on any CPU; naming Haswell kernels to OpenBLAS is not.
    assert pinned_environ({}, machine="x86_64", cpu_flags=frozenset()) == {
        "XLA_FLAGS": "--xla_cpu_max_isa=AVX2"}


def test_cpu_flags_are_read_from_the_first_processor(tmp_path: Path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 fma\n\nprocessor\t: 1\n"
                    "flags\t\t: fpu\n", encoding="ascii")
    assert _cpu_flags(info) == {"fpu", "avx2", "fma"}
    assert _cpu_flags(tmp_path / "missing") == frozenset()


def test_level_names_what_is_in_force():
    spr = {"machine": "x86_64", "cpu_flags": SAPPHIRE_RAPIDS}
    pinned = pinned_environ({}, **spr)
    assert level(pinned, **spr) == PINNED_LEVEL
    assert level({}, **spr) == "native"
    # the user's own OpenBLAS core beside the other pins: not the pinned level, and said so
    assert level({**pinned, "OPENBLAS_CORETYPE": "SkylakeX"}, **spr) == "mixed"
    # NumPy needs no variable on a CPU without AVX-512
    v3 = {"machine": "x86_64", "cpu_flags": V3}
    assert level(pinned_environ({}, **v3), **v3) == PINNED_LEVEL
    # flags unknown: only the XLA ceiling can be set, so the level is mixed
    unknown = {"machine": "x86_64", "cpu_flags": frozenset()}
    assert level(pinned_environ({}, **unknown), **unknown) == "mixed"
    # nothing to pin off x86-64
    assert level({}, machine="aarch64", cpu_flags=frozenset({"asimd"})) == "native"


def _unpinned_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {
        "XLA_FLAGS", "OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "DETENTE_NUMERICS"}}


@pytest.mark.skipif(not pinned_environ({}), reason="no pins on this machine (not x86-64-v3)")
def test_a_pinned_process_runs_numpy_without_avx512_and_the_cli_records_the_level():
    """In a new process with none of the variables set: pin, then import NumPy; NumPy must
    dispatch to no group above x86-64-v3, and ``detente --version`` (the
    command line pins itself) must report the pinned level."""
    code = ("from detente.numerics import pin_process\n"
            "assert pin_process()\n"
            "import json, numpy\n"
            "from numpy._core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f\n"
            "print(json.dumps([g for g in d if f[g]]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_unpinned_environ(), timeout=120)
    assert done.returncode == 0, done.stderr
    # the dispatch groups NumPy will use: none above x86-64-v3 (show_runtime's "found")
    assert set(json.loads(done.stdout)) <= {"X86_V2", "X86_V3"}, done.stdout
    detente = Path(sys.executable).with_name("detente")
    done = subprocess.run([str(detente), "--version"], capture_output=True, text=True,
                          env=_unpinned_environ(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"(numerics {PINNED_LEVEL})")
    done = subprocess.run([str(detente), "--version"], capture_output=True, text=True,
                          env={**_unpinned_environ(), "DETENTE_NUMERICS": "native"}, timeout=120)
    assert done.stdout.strip().endswith("(numerics native)")
