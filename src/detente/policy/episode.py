"""The held-out episode: train ≤ Sept 2023, score the months since (Oct 2023 → end of record).

The opinion column was written in mid-September 2023; everything after that month is out of
sample for a posterior fitted up to it. This module scores the status-quo simulation of a
:class:`~detente.policy.compare.Comparison` against what happened, month by month, with the
continuous ranked probability score (CRPS; Gneiting & Raftery 2007 [1]_, the ensemble form of
``scoringrules.crps_ensemble``), against two naive baselines built from the training months
only:

- **climatology**: every training month of the last ten years is an equally likely outcome;
- **persistence**: the last twelve training months are the equally likely outcomes.

Lower CRPS is better. This is one episode, not the rolling-origin back-test of
:mod:`detente.dynamics`; the report says so.

References
----------
.. [1] T. Gneiting and A. E. Raftery, "Strictly proper scoring rules, prediction, and
   estimation", *JASA* 102(477), 2007.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class EpisodeScore:
    """Mean CRPS per month of the model and the baselines on the held-out months.

    Attributes
    ----------
    first, last : str
        The scored months ``YYYY-MM`` (inclusive).
    n_months : int
    crps : dict of str to float
        ``model``, ``climatology``, ``persistence`` → mean CRPS of monthly launch events.
    observed_total : int
        Launch events observed in the scored months.
    model_total_q : tuple of float
        10/50/90 % quantiles of the simulated total over the same months.
    """

    first: str
    last: str
    n_months: int
    crps: dict[str, float]
    observed_total: int
    model_total_q: tuple[float, float, float]

    @property
    def beats_baselines(self) -> bool:
        """True when the model's CRPS is below both baselines'."""
        return self.crps["model"] < min(self.crps["climatology"], self.crps["persistence"])


def _crps_ensemble(observed: np.ndarray, ensemble: np.ndarray) -> np.ndarray:
    """CRPS of ensemble forecasts, ``ensemble`` (n_months, m) against ``observed`` (n_months,).

    The energy form ``E|X − y| − ½ E|X − X'|`` (Gneiting & Raftery 2007, eq. 21), exact for
    the empirical distribution of the members; it equals ``scoringrules.crps_ensemble`` with
    its default estimator's counterpart ``"nrg"``.
    """
    ens = np.asarray(ensemble, dtype=float)
    y = np.asarray(observed, dtype=float)[:, None]
    term1 = np.mean(np.abs(ens - y), axis=1)
    srt = np.sort(ens, axis=1)
    m = srt.shape[1]
    # E|X − X'| for the empirical law via sorted members: (2 / m²) Σ (2i − m − 1) x_(i)
    i = np.arange(1, m + 1)
    term2 = (2.0 / m**2) * np.sum((2 * i - m - 1) * srt, axis=1)
    return term1 - 0.5 * term2


def score_episode(simulated_launches: np.ndarray, sim_months: pd.PeriodIndex,
                  panel: pd.DataFrame, until: str) -> EpisodeScore | None:
    """Score simulated monthly launch events against the record after ``until``.

    Parameters
    ----------
    simulated_launches : ndarray of shape (n_draws, n_months)
        Status-quo simulation, first month the one after ``until``.
    sim_months : PeriodIndex of length n_months
    panel : DataFrame
        The monthly panel (``launch_events`` column, PeriodIndex).
    until : str
        Last training month; the baselines read only months up to it.

    Returns
    -------
    EpisodeScore or None
        None when the record has no month after ``until`` inside the simulated span.
    """
    end = pd.Period(until, freq="M")
    observed = panel.loc[(panel.index > end) & (panel.index <= sim_months[-1]), "launch_events"]
    if observed.empty:
        return None
    n = len(observed)
    sim = np.asarray(simulated_launches)[:, :n].T  # (n_months, n_draws)
    train = panel.loc[panel.index <= end, "launch_events"].to_numpy(dtype=float)
    clim = np.broadcast_to(train[-120:], (n, min(120, train.size)))
    pers = np.broadcast_to(train[-12:], (n, min(12, train.size)))
    y = observed.to_numpy(dtype=float)
    crps = {"model": float(_crps_ensemble(y, sim).mean()),
            "climatology": float(_crps_ensemble(y, clim).mean()),
            "persistence": float(_crps_ensemble(y, pers).mean())}
    totals = np.asarray(simulated_launches)[:, :n].sum(axis=1)
    q = np.quantile(totals, [0.1, 0.5, 0.9])
    return EpisodeScore(first=str(observed.index[0]), last=str(observed.index[-1]), n_months=n,
                        crps=crps, observed_total=int(y.sum()),
                        model_total_q=(float(q[0]), float(q[1]), float(q[2])))
