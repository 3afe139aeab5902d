"""The fitted state of the dynamic model: :class:`Posterior` (draws, diagnostics, end state).

A Posterior is a plain value: numpy arrays and strings, no JAX objects, so it can be cached on
disk (:mod:`detente.dynamics.fit`) and simulated without JAX (:mod:`detente.dynamics.simulate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detente.dynamics.priors import (
    LEVERS,
    REGIMES,
    TRANSITION_MOVE,
    TRANSITION_STAY,
    priors_for,
)


@dataclass(frozen=True)
class EndState:
    """What the simulation needs to know about the last training month.

    Parameters
    ----------
    last_month : str
        The last training month, ``YYYY-MM``.
    launch_events : ndarray of shape (n_months,)
        The training series of launch events (the launch memory is rebuilt per draw from it,
        since the memory decay δ differs between draws).
    regime : int
        Regime code of the last training month (index into ``priors.REGIMES``).
    unsc_resolution : int
        1 if a UNSC sanctions resolution was adopted in the last training month.
    leader : str
        DPRK leader in the last training month (held fixed over the forecast).
    unsc_resolution_rate : float
        Monthly rate of UNSC sanctions resolutions in the last 120 training months (the default
        of the ``unsc_resolution_rate`` lever).
    """

    last_month: str
    launch_events: np.ndarray
    regime: int
    unsc_resolution: int
    leader: str
    unsc_resolution_rate: float


@dataclass(frozen=True)
class Posterior:
    """Posterior draws of the dynamic model fitted on one training window.

    Parameters
    ----------
    samples : dict of str to ndarray
        One entry per parameter site; scalars have shape (n_draws,), ``transition`` has shape
        (n_draws, 3, 3) with rows the regime *from* and columns the regime *to* (right-stochastic).
    variant : {"full", "no_policy"}
        The model variant fitted.
    method : {"nuts", "laplace"}
        NUTS (the headline fit) or a Laplace approximation at the posterior mode (back-tests).
    first_month, until : str
        The training window, ``YYYY-MM`` inclusive at both ends.
    state : EndState
        The last training month's state, the start of every simulation.
    diagnostics : DataFrame
        Per parameter: ``r_hat`` and ``ess`` (NaN for Laplace).
    info : dict
        Settings, divergences, run time, the cache key.
    """

    samples: dict[str, np.ndarray]
    variant: str
    method: str
    first_month: str
    until: str
    state: EndState
    diagnostics: pd.DataFrame
    info: dict = field(default_factory=dict)

    @property
    def n_draws(self) -> int:
        """Number of posterior draws."""
        return int(next(iter(self.samples.values())).shape[0])

    def table(self) -> pd.DataFrame:
        """Prior beside posterior: one row per scalar parameter, plus the regime chain.

        Columns: prior, prior 5/50/95 % quantiles, posterior mean, 5/50/95 % quantiles, r_hat,
        ess, source of the prior, and the lever acting through the parameter.
        """
        from scipy import stats  # the table's prior quantiles only; see priors.frozen_scipy

        rows = []
        for spec in priors_for(self.variant):
            draws = self.samples[spec.name]
            d = spec.frozen_scipy()
            p05, p50, p95 = d.ppf([0.05, 0.5, 0.95])
            q05, q50, q95 = np.quantile(draws, [0.05, 0.5, 0.95])
            diag = self.diagnostics.loc[spec.name] if spec.name in self.diagnostics.index else {}
            rows.append({"parameter": spec.name, "symbol": spec.symbol, "prior": spec.describe(),
                         "prior_q05": p05, "prior_median": p50, "prior_q95": p95,
                         "post_mean": float(np.mean(draws)), "post_q05": q05,
                         "post_median": q50, "post_q95": q95,
                         "r_hat": float(diag.get("r_hat", np.nan)) if len(diag) else np.nan,
                         "ess": float(diag.get("ess", np.nan)) if len(diag) else np.nan,
                         "source": spec.source, "lever": spec.lever or ""})
        conc = TRANSITION_STAY + 2 * TRANSITION_MOVE
        for i, frm in enumerate(REGIMES):
            for j, to in enumerate(REGIMES):
                a = TRANSITION_STAY if i == j else TRANSITION_MOVE
                d = stats.beta(a, conc - a)
                draws = self.samples["transition"][:, i, j]
                q05, q50, q95 = np.quantile(draws, [0.05, 0.5, 0.95])
                name = f"transition[{frm}→{to}]"
                diag = self.diagnostics.loc[name] if name in self.diagnostics.index else {}
                lever = "p_enter_dialogue" if (to == "dialogue" and frm != "dialogue") else (
                    "p_leave_dialogue" if (frm == "dialogue" and to == "dialogue") else "")
                rows.append({"parameter": name, "symbol": f"P[{frm[0].upper()}{to[0].upper()}]",
                             "prior": f"Beta({a:g}, {conc - a:g})",
                             "prior_q05": d.ppf(0.05), "prior_median": d.ppf(0.5),
                             "prior_q95": d.ppf(0.95), "post_mean": float(np.mean(draws)),
                             "post_q05": q05, "post_median": q50, "post_q95": q95,
                             "r_hat": float(diag.get("r_hat", np.nan)) if len(diag) else np.nan,
                             "ess": float(diag.get("ess", np.nan)) if len(diag) else np.nan,
                             "source": "assumption", "lever": lever})
        return pd.DataFrame(rows).set_index("parameter")

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`table` (the common ``to_frame`` of détente results)."""
        return self.table()

    def to_dict(self) -> dict:
        """JSON-ready: the training window, method, variant, diagnostics and the prior beside
        posterior table (``detente fit --json``)."""
        import json

        return {"training": [self.first_month, self.until], "variant": self.variant,
                "method": self.method, "n_draws": self.n_draws,
                "info": json.loads(json.dumps(self.info, default=str)),
                "parameters": json.loads(self.table().reset_index().to_json(orient="records"))}

    def lever_defaults(self) -> dict[str, float]:
        """Posterior-mean value of every lever (what ``simulate`` uses when a lever is unset)."""
        t = self.samples["transition"]
        out = {"p_enter_dialogue": float(np.mean(t[:, 1, 0])),
               "p_leave_dialogue": float(1.0 - np.mean(t[:, 0, 0])),
               "unsc_resolution_rate": self.state.unsc_resolution_rate}
        if "log_rate_ratio_dialogue" in self.samples:
            out["dialogue_rate_ratio"] = float(np.mean(np.exp(
                self.samples["log_rate_ratio_dialogue"])))
            out["sanctions_effect"] = float(np.mean(np.exp(self.samples["sanctions_effect"])))
        assert set(out) <= set(LEVERS)
        return out
