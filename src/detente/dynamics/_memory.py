"""The launch memory of the dynamic model, shared by the NumPyro model and the simulation.

Kept free of JAX so :mod:`detente.dynamics.simulate` runs on numpy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Upper clip of log μ_t: a month has at most 31 launch days (launch events are distinct days).
MAX_LOG_RATE = float(np.log(31.0))

#: Length K of the launch memory: M_t weighs the last K months (the untruncated tail δ^K is
#: ≤ 0.16 even at δ = 0.95, the prior's 97th percentile; the kernel is renormalised to sum to 1).
MEMORY_LAGS = 36


def lagged_launch_events(launch_events: np.ndarray, lags: int = MEMORY_LAGS) -> np.ndarray:
    """Design of past launch events, shape (n_months, lags): entry [t, k] is y_{t-1-k}.

    Months before the record starts count as 0.
    """
    n_months = launch_events.shape[0]
    out = np.zeros((n_months, lags), dtype=float)
    for k in range(lags):
        out[k + 1:, k] = launch_events[: max(n_months - k - 1, 0)]
    return out


def memory_weights(memory_decay: Any, lags: int = MEMORY_LAGS, xp: Any = np) -> Any:
    r"""Truncated geometric kernel :math:`w_k = (1-\delta)\delta^k / (1-\delta^K)`, k < K.

    ``memory_decay`` may be a scalar or an array of shape (..., 1) (one δ per draw); ``xp`` is
    ``numpy`` or ``jax.numpy``.
    """
    k = xp.arange(lags)
    return (1.0 - memory_decay) * memory_decay ** k / (1.0 - memory_decay ** lags)
