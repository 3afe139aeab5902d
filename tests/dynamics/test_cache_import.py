"""A cached fit is read without importing the NumPyro model (and so without JAX's start-up on
that path): ``fit`` keys its cache from the model's source files, not from the imported module.
The first subprocess fits (a cache miss, which must import the model); the second reads the cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, sys
from detente.dynamics import fit
p = fit(method="laplace", until="1995-12", samples=50, chains=1, seed=0)
print(json.dumps({"model_imported": "detente.dynamics.model" in sys.modules,
                  "key": p.info["key"]}))
"""


def _run(cache_dir) -> dict:
    env = {**os.environ, "DETENTE_CACHE": str(cache_dir)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cache_hit_does_not_import_the_model(tmp_path) -> None:
    miss = _run(tmp_path)
    hit = _run(tmp_path)
    assert miss["model_imported"] is True  # fitting needs the model
    assert hit["key"] == miss["key"]  # same data, model and settings: the cached posterior
    assert hit["model_imported"] is False
