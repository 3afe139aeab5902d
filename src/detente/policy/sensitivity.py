"""Sensitivity of the policy channel: the β_T × β_D grid, and the Monte Carlo error check.

Every launch difference between a policy and the status quo passes through two numbers no data
fix jointly with the policy: **β_T**, bridge rule B1's ``beta_talks`` (log-odds of entering
dialogue per 50 points of the bargaining forecast's talks difference; assumed), and **β_D**,
the dynamic model's log launch-rate ratio of dialogue against stalemate
(``log_rate_ratio_dialogue``, fitted, but the only route by which more dialogue changes
launches). :func:`bridge_grid` reruns the simulation — and only the simulation — over a grid of
the two and reports, per cell and policy, the paired difference in launch events over the
horizon against the status quo.

Design
------
- β_T axis: :data:`BETA_TALKS_GRID` (0 switches rule B1 off; 0.75, 1.5 (shipped), 3 = half,
  once, twice the shipped value, 3 being the top of the setting's range), plus the comparison's
  own value if it is not on the list.
- β_D axis: ``posterior`` (each simulated path keeps its own posterior draw: the main table's
  setting), ``none`` (β_D = 0: dialogue does not change the launch rate), and the posterior's
  5 %, 50 % and 95 % quantiles, each *fixed* in every path through the simulation's own lever
  ``dialogue_rate_ratio = exp(β_D)`` (:data:`detente.dynamics.priors.LEVERS`).
- Common random numbers: every cell reuses the comparison's bargaining forecasts (they do not
  depend on β_T or β_D), its pairing of paths with posterior and bargaining draws, its rule-B2
  UNSC rates and its simulation seed. The status quo is resimulated once per β_D level (it has
  no B1 shift, so β_T does not touch it). The cell (shipped β_T, ``posterior``) is therefore the
  main paired-difference row, number for number.

Monte Carlo error
-----------------
:func:`monte_carlo_check` holds the paired table to :data:`MC_TARGET`: the Monte Carlo standard
error of every P(better) at most 0.02 (binomial, ``sqrt(p(1 − p)/n)`` with p(1 − p) floored at
1/n: :func:`detente.policy.compare.share_se`), and that of the median
paired launch difference at most 0.5 events (bootstrap over pairs). When a policy misses it, the
check names the draws that would meet it (standard errors fall as 1/√n, and the pairs are
``draws × paths_per_draw``), and every face prints "Monte Carlo error above target: rerun with
--draws N".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from detente.policy.bridge import talks_log_odds_shift
from detente.policy.compare import share_se

#: The β_T values of the grid (B1 ``beta_talks``: off, half, shipped, twice the shipped value).
BETA_TALKS_GRID: tuple[float, ...] = (0.0, 0.75, 1.5, 3.0)

#: The β_D levels of the grid: the posterior's own draws, no dialogue effect, and fixed
#: posterior quantiles of ``log_rate_ratio_dialogue``.
BETA_DIALOGUE_LEVELS: tuple[str, ...] = ("posterior", "none", "q05", "q50", "q95")

#: The documented Monte Carlo error target of the paired table.
MC_TARGET: dict[str, float] = {"p_better_se": 0.02, "median_se": 0.5}

#: Monte Carlo standard errors a cell's P(fewer) − P(more) must clear to count as a sign.
VERDICT_Z = 3.0

#: What the grid's numbers are (every face prints it).
GRID_BASIS = ("assumption-driven: β_T (B1 beta_talks) is assumed, not estimated; β_D is the "
              "fitted dialogue launch-rate effect, set to each level in every path")


def level_label(level: str, value: float | None) -> str:
    if level == "posterior":
        return "posterior draws"
    if level == "none":
        return "0 (no effect)"
    return f"{level} = {value:+.2f}"


@dataclass(frozen=True)
class BridgeGrid:
    """The β_T × β_D sensitivity grid of a comparison (:func:`bridge_grid`).

    Attributes
    ----------
    cells : DataFrame
        One row per (β_D level, β_T, policy): ``beta_dialogue`` (level name),
        ``beta_dialogue_value`` (the fixed log rate ratio; NaN for ``posterior``),
        ``beta_talks``, ``policy``, ``median``, ``q10``, ``q90`` (paired difference in launch
        events over the horizon, policy − status quo), ``mean``, ``mean_se``, ``p_fewer``
        (share of pairs with fewer launches), ``p_fewer_se`` (binomial), ``p_more``,
        ``dialogue_12m_diff`` (mean paired difference of a dialogue month within 12 months),
        ``dialogue_onsets_diff`` (mean paired difference of moves into dialogue over the
        horizon), ``n_pairs``.
    shipped_beta_talks : float
    horizon_months : int
    seconds : float
        Wall time of the grid's simulations.
    """

    cells: pd.DataFrame
    shipped_beta_talks: float
    horizon_months: int
    seconds: float = 0.0
    levels: dict[str, float | None] = field(default_factory=dict)

    @property
    def beta_talks(self) -> list[float]:
        return sorted(set(self.cells["beta_talks"]))

    def to_frame(self) -> pd.DataFrame:
        return self.cells.copy()

    def cell(self, policy: str, beta_talks: float, beta_dialogue: str) -> pd.Series:
        c = self.cells
        row = c[(c.policy == policy) & (c.beta_talks == beta_talks)
                & (c.beta_dialogue == beta_dialogue)]
        return row.iloc[0]

    def verdicts(self) -> dict[str, str]:
        """Per policy: does the sign of its launch difference survive every cell?

        A cell counts as *fewer* (*more*) launches when P(fewer) − P(more) exceeds (falls below)
        zero by more than :data:`VERDICT_Z` Monte Carlo standard errors (3: about a 5 %
        family-wise false-alarm rate over a 20-cell grid), else as *undecided*.
        """
        out = {}
        for pid, g in self.cells.groupby("policy", sort=False):
            margin = g.p_fewer - g.p_more
            se = np.sqrt(np.maximum((g.p_fewer + g.p_more - margin ** 2) / g.n_pairs, 0.0))
            is_fewer, is_more = margin > VERDICT_Z * se, margin < -VERDICT_Z * se
            fewer, more, n = int(is_fewer.sum()), int(is_more.sum()), len(g)
            # identical: not one pair differs in any cell (under common random numbers most
            # pairs are equal, so zero quantiles alone do not make a policy identical)
            if ((g.p_fewer == 0) & (g.p_more == 0)).all():
                out[pid] = "identical to the status quo in every cell"
                continue
            if fewer == n:
                text = f"fewer launches in all {n} cells"
            elif more == n:
                text = f"more launches in all {n} cells"
            elif fewer and more:
                text = (f"sign depends on β_T and β_D: fewer launches in {fewer}, more in "
                        f"{more}, no distinguishable difference in {n - fewer - more} of {n} "
                        "cells")
            else:
                text = (f"fewer launches in {fewer}, more in {more}, no distinguishable "
                        f"difference in {n - fewer - more} of {n} cells")
            if fewer and not more:
                hit = g[is_fewer]
                value = hit.beta_dialogue_value.fillna(-np.inf)  # posterior: fitted, mostly < 0
                if (hit.beta_talks > 0).all() and (value < 0).all():
                    text += " (only where β_T > 0 and β_D < 0: through B1 into dialogue)"
            out[pid] = text
        return out

    def to_dict(self) -> dict[str, Any]:
        from detente.policy.compare import _plain

        return {
            "quantity": f"launch events over {self.horizon_months} months, policy − status quo, "
                        "paired path by path",
            "basis": GRID_BASIS,
            "beta_talks": self.beta_talks,
            "shipped_beta_talks": self.shipped_beta_talks,
            "beta_dialogue": [{"level": k, "value": v, "label": level_label(k, v)}
                              for k, v in self.levels.items()],
            "verdicts": self.verdicts(),
            "seconds": round(self.seconds, 3),
            "cells": [{k: _plain(v) for k, v in r.items()}
                      for r in self.cells.to_dict(orient="records")],
        }


def _diff_row(tr: Any, sq: Any, start_regime: int) -> dict[str, Any]:
    from detente.dynamics.priors import DIALOGUE

    d = tr.launch_events.sum(axis=1) - sq.launch_events.sum(axis=1)
    n = d.size
    p = float(np.mean(d < 0))

    def onsets(regime: np.ndarray) -> np.ndarray:
        prev = np.concatenate([np.full((regime.shape[0], 1), start_regime), regime[:, :-1]],
                              axis=1)
        return ((regime == DIALOGUE) & (prev != DIALOGUE)).sum(axis=1)

    dia = ((tr.regime[:, :12] == DIALOGUE).any(axis=1).astype(float)
           - (sq.regime[:, :12] == DIALOGUE).any(axis=1).astype(float))
    return {"median": float(np.median(d)), "q10": float(np.quantile(d, 0.1)),
            "q90": float(np.quantile(d, 0.9)), "mean": float(np.mean(d)),
            "mean_se": float(np.std(d) / np.sqrt(n)), "p_fewer": p,
            "p_fewer_se": share_se(p, n), "p_more": float(np.mean(d > 0)),
            "dialogue_12m_diff": float(np.mean(dia)),
            "dialogue_onsets_diff": float(np.mean(onsets(tr.regime) - onsets(sq.regime))),
            "n_pairs": int(n)}


def bridge_grid(comparison: Any, beta_talks: Sequence[float] | None = None,
                beta_dialogue: Sequence[str] = BETA_DIALOGUE_LEVELS) -> BridgeGrid | None:
    """The β_T × β_D sensitivity grid of ``comparison`` (None without a dynamics binding).

    Parameters
    ----------
    comparison : Comparison
        From :func:`detente.policy.compare`; its bargaining forecasts, pairing, UNSC rates and
        seeds are reused (nothing is re-bargained or refitted).
    beta_talks : sequence of float, optional
        β_T values (default :data:`BETA_TALKS_GRID` plus the comparison's own ``beta_talks``).
    beta_dialogue : sequence of str
        Levels of :data:`BETA_DIALOGUE_LEVELS`. Fixed levels need a ``full`` posterior (the only
        one with a dialogue effect); otherwise only ``posterior`` is kept.

    Returns
    -------
    BridgeGrid
    """
    import time

    from detente.policy.compare import simulate_bridged, simulation_pairing, stage_seed

    if not comparison.bound:
        return None
    started = time.perf_counter()
    shipped = float(comparison.bridge.beta_talks)
    bts = sorted({float(b) for b in (BETA_TALKS_GRID if beta_talks is None else beta_talks)}
                 | ({shipped} if beta_talks is None else set()))
    post = comparison.posterior
    from detente.errors import OptionsError, Problem

    unknown = [lv for lv in beta_dialogue if lv not in BETA_DIALOGUE_LEVELS]
    if unknown:
        raise OptionsError("invalid sensitivity grid", [Problem(
            f"unknown β_D level {unknown[0]!r}", path="beta_dialogue",
            allowed=", ".join(BETA_DIALOGUE_LEVELS))])
    if not bts or not all(math.isfinite(b) for b in bts):
        raise OptionsError("invalid sensitivity grid", [Problem(
            f"β_T values {list(bts)!r}", path="beta_talks",
            allowed="one or more finite numbers (B1's setting range is 0 to 3)")])
    levels: dict[str, float | None] = {}
    draws_d = post.samples.get("log_rate_ratio_dialogue") if post.variant == "full" else None
    for lv in beta_dialogue:
        if lv == "posterior":
            levels[lv] = None
        elif draws_d is not None:
            levels[lv] = (0.0 if lv == "none"
                          else float(np.quantile(np.asarray(draws_d), int(lv[1:]) / 100)))
    pairing = simulation_pairing(post, comparison.seed, comparison.draws,
                                 comparison.paths_per_draw)
    seed = stage_seed(comparison.seed, "dynamics")
    months = comparison.horizon_months
    start_regime = int(post.state.regime)
    talks = comparison.talks_issue
    sq = comparison.status_quo
    t_sq = sq.bargaining.distributions[talks].forecast
    zero = np.zeros(comparison.draws)
    # Same inputs, same paths (the simulation is a pure function of them): a policy with no B1
    # shift and the status quo's B2 rate is the status quo, and two policies that differ only
    # in the talks forecast coincide at β_T = 0. Each distinct input is simulated once.
    runs: dict[tuple[str, bytes, float], Any] = {}

    def paths(level: str, shift: np.ndarray, rate: float) -> Any:
        key = (level, (np.asarray(shift, dtype=float) + 0.0).tobytes(), float(rate))
        if key not in runs:
            value = levels[level]
            extra = {} if value is None else {"dialogue_rate_ratio": math.exp(value)}
            tr = simulate_bridged(post, pairing, shift, rate, months=months, seed=seed,
                                  levers=extra)
            # only what _diff_row reads is kept: ~70 full trajectories held at once were
            # most of the main job's peak memory (issue 16)
            runs[key] = SimpleNamespace(launch_events=tr.launch_events, regime=tr.regime)
        return runs[key]

    rows = []
    for lv, value in levels.items():
        sq_tr = paths(lv, zero, sq.unsc_resolution_rate)
        for o in comparison.outcomes:
            t_pol = o.bargaining.distributions[talks].forecast
            for bt in bts:
                tr = paths(lv, talks_log_odds_shift(t_pol, t_sq, bt), o.unsc_resolution_rate)
                rows.append({"beta_dialogue": lv,
                             "beta_dialogue_value": np.nan if value is None else value,
                             "beta_talks": bt, "policy": o.policy_id,
                             **_diff_row(tr, sq_tr, start_regime)})
    return BridgeGrid(cells=pd.DataFrame(rows), shipped_beta_talks=shipped,
                      horizon_months=months, seconds=time.perf_counter() - started,
                      levels=levels)


@dataclass(frozen=True)
class MonteCarloCheck:
    """The paired table held to :data:`MC_TARGET` (:func:`monte_carlo_check`).

    Attributes
    ----------
    rows : DataFrame
        One row per policy, quantity and statistic: ``policy, quantity, statistic``
        (``p_better_se`` or ``median_se``), ``se``, ``target``, ``met``, ``draws_needed`` (the
        draws at the same paths per draw that bring this standard error to its target).
    draws, paths_per_draw : int
    """

    rows: pd.DataFrame
    draws: int
    paths_per_draw: int
    target: dict[str, float] = field(default_factory=lambda: dict(MC_TARGET))

    @property
    def met(self) -> bool:
        return bool(self.rows["met"].all()) if len(self.rows) else True

    @property
    def draws_needed(self) -> int:
        """Draws that meet every target (the current draws when they already do)."""
        if not len(self.rows):
            return self.draws
        return int(max(self.draws, int(self.rows["draws_needed"].max())))

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def label(self) -> str:
        n = self.draws * self.paths_per_draw
        target = (f"target: SE of P(better) ≤ {self.target['p_better_se']:g}, SE of the median "
                  f"Δ launches ≤ {self.target['median_se']:g} events")
        if self.met:
            return (f"Monte Carlo error within target ({target}; {self.draws} draws × "
                    f"{self.paths_per_draw} paths = {n} pairs)")
        worst = self.rows.loc[~self.rows["met"]].sort_values("draws_needed").iloc[-1]
        return (f"Monte Carlo error above target: rerun with --draws {self.draws_needed} "
                f"({target}; worst: {worst.policy} {worst.quantity} {worst.statistic} = "
                f"{worst.se:.3g} at {n} pairs)")

    def to_dict(self) -> dict[str, Any]:
        from detente.policy.compare import _plain

        return {"target": dict(self.target), "met": self.met, "draws": self.draws,
                "paths_per_draw": self.paths_per_draw, "draws_needed": self.draws_needed,
                "label": self.label(),
                "rows": [{k: _plain(v) for k, v in r.items()}
                         for r in self.rows.to_dict(orient="records")]}


def monte_carlo_check(comparison: Any, paired: pd.DataFrame | None = None,
                      target: dict[str, float] | None = None) -> MonteCarloCheck | None:
    """Hold the paired table's Monte Carlo errors to ``target`` (default :data:`MC_TARGET`).

    Every P(better) (launch events, P(nuclear), dialogue within 12 months) is held to
    ``target["p_better_se"]`` (its binomial standard error), the median paired launch
    difference to ``target["median_se"]`` (bootstrap). Standard errors fall as 1/√n and the
    pairs are ``draws × paths_per_draw``, so the draws needed are
    ``ceil(draws × (se / target)²)``. None without a dynamics binding.
    """
    if not comparison.bound:
        return None
    target = dict(MC_TARGET if target is None else target)
    paired = comparison.paired_frame() if paired is None else paired
    rows = []
    for r in paired.to_dict(orient="records"):
        stats = [("p_better_se", r["p_better_se"])]
        if r["quantity"] == "launch_events":
            stats.append(("median_se", r["median_se"]))
        for stat, se in stats:
            goal = target[stat]
            ratio = (float(se) / goal) ** 2
            rows.append({"policy": r["policy"], "quantity": r["quantity"], "statistic": stat,
                         "se": float(se), "target": goal, "met": bool(se <= goal),
                         "draws_needed": math.ceil(comparison.draws * ratio - 1e-9)})
    cols = ["policy", "quantity", "statistic", "se", "target", "met", "draws_needed"]
    return MonteCarloCheck(rows=pd.DataFrame(rows, columns=cols), draws=comparison.draws,
                           paths_per_draw=comparison.paths_per_draw, target=target)
