"""numba is imported only by SMP runs large enough to pay for it (issue 16, lazy imports).

A check of what is imported, not a timing (times go to benchmarks/bench_smp.py): in a fresh
interpreter, KTAB's six shipped cases (3 to 40 actors, tests/reference/bargaining/smp/cases)
run without loading numba, and a run of ``_JIT_MIN_ACTORS`` actors loads it (so the probe can
see the import it is looking for). The numbers of the compiled loops are checked in
test_smp_kernel_equivalence.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

CASES = ["dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy", "SOE-Competitive", "dummyData_6Dim",
         "dummyData-a040"]

PROBE = """
import json, sys
from pathlib import Path
import numpy as np
from detente.bargaining import _smp_kernels as K, smp
from detente.scenario import load_scenario
for name in sys.argv[2:]:
    smp.run_scenario(load_scenario(Path(sys.argv[1]) / f"{name}.csv"))
small = sorted(m for m in sys.modules if m.split(".")[0] in ("numba", "llvmlite"))
n = K._JIT_MIN_ACTORS
rng = np.random.default_rng(5)
K.simulate(np.round(rng.uniform(0.4, 2.0, n), 2), np.round(rng.uniform(0.4, 0.8, (n, 1)), 4),
           np.round(rng.uniform(0.25, 0.78, (n, 1)), 4), max_turns=1)
print(json.dumps({"small": small, "large": "numba" in sys.modules}))
"""


def test_small_cases_do_not_import_numba(reference_dir):
    cases = reference_dir / "bargaining" / "smp" / "cases"
    done = subprocess.run([sys.executable, "-c", PROBE, str(cases), *CASES],
                          capture_output=True, text=True, timeout=300, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["small"] == []
    assert seen["large"] is True


READ_ONLY_PROBE = """
import json, tempfile
import numpy as np

def refuse(*args, **kwargs):
    raise OSError(30, "Read-only file system")

tempfile.TemporaryFile = refuse       # numba's writability probe of every cache folder
from detente.bargaining import _smp_jit, _smp_kernels as K
rng = np.random.default_rng(3)
w, u = rng.uniform(0.4, 2.0, 9), rng.uniform(0.0, 1.0, (2, 9, 5))
compiled = _smp_jit.coalition_strengths(w, u, K.COALITION_FLOOR)
K._JIT_MIN_ACTORS = 10**6
print(json.dumps({"cache": type(_smp_jit.coalition_strengths._cache).__name__,
                  "same": bool(np.array_equal(compiled, K.coalition_strengths(w, u,
                                                                           "proportional")))}))
"""


def test_compiled_loops_work_without_a_writable_cache_folder():
    """An installed package in a read-only place, with a read-only home: numba refuses
    ``cache=True`` there (RuntimeError when the function is defined); the loops then compile in
    the process and still give the NumPy numbers. The read-only file system is simulated (the
    tests run as root, who may write anywhere) by refusing the temporary file with which numba
    probes each cache folder."""
    done = subprocess.run([sys.executable, "-c", READ_ONLY_PROBE], capture_output=True,
                          text=True, timeout=300, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"cache": "NullCache", "same": True}
