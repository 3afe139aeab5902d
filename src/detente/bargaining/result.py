"""The result family every bargaining engine returns (BDM, SMP, …).

One run of one engine on one issue is an :class:`IssueResult`: the per-round positions, the
per-round summary statistics (median-voter position, weighted mean), the offers or challenges
that moved actors, and a **summary forecast** with the range the bargaining cycles in. A run
over Monte Carlo draws adds an :class:`IssueDistribution` per issue. A :class:`Forecast` holds
both for every issue of a scenario, with the seed and the engine options that produced them.

Axis conventions (fixed for every engine)
-----------------------------------------
- positions: ``(rounds + 1, n_actors)``; row 0 is the input, row t the positions after round t.
- batched engine output: ``(n_draws, rounds + 1, n_actors)``; the draw axis always leads.
- pairwise matrices: ``(..., challenger/proposer, target/receiver)`` unless the field says
  otherwise.

Summary-forecast rule (why not the last round)
----------------------------------------------
Bueno de Mesquita's model need not converge: on the EC emissions case it cycles (Scholz,
Calbert & Smith 2011, §7: "In general the results do not stabilise"). The summary forecast is
therefore the **median over rounds ``burn_in + 1 … rounds_run`` of the per-round
median-voter position**, and the cycle range is the minimum and maximum of that same window
(:func:`summarise_median_path`). Round 0 (the input) is never part of the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:  # pandas is imported where a frame is built: `detente forecast` starts
    import pandas as pd  # its work without it (issue 16)

#: Kinds of offer an engine may report. BDM uses the first three (Scholz et al. 2011, §6);
#: engines with other move types add their own strings.
OFFER_KINDS: tuple[str, ...] = ("confrontation", "compromise", "capitulation")

#: Columns of :attr:`IssueResult.offers` (one row per offer made).
OFFER_COLUMNS: tuple[str, ...] = (
    "round",            # 1-based round in which the offer was made
    "receiver",         # actor id who would move
    "proposer",         # actor id whose offer it is
    "kind",             # one of OFFER_KINDS (or an engine-specific kind)
    "receiver_position",  # receiver's position at the start of the round
    "proposer_position",  # proposer's position at the start of the round
    "offered_position",   # where the receiver would move if it accepted
    "eu_receiver",        # BDM: a = E^i(U_ij), receiver's EU of challenging the proposer
    "eu_proposer",        # BDM: b = E^i(U_ji), receiver's view of the proposer's EU
    "accepted",           # True for the (at most one) offer the receiver took this round
)


def summarise_median_path(
    median_path: np.ndarray,
    burn_in: int = 0,
    rounds_run: np.ndarray | int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Summary forecast and cycle range from per-round median-voter positions.

    Parameters
    ----------
    median_path : ndarray of shape (..., rounds + 1)
        Median-voter position per round; index 0 is the input round.
    burn_in : int
        Rounds after round 0 to discard before summarising (0 keeps rounds 1…).
    rounds_run : int or ndarray of shape (...), optional
        Last round actually run (early stopping); later entries are ignored. Default: all.

    Returns
    -------
    forecast, low, high : ndarrays of shape (...)
        Median, minimum and maximum of the median-voter position over rounds
        ``burn_in + 1 … rounds_run``. If the window is empty (``burn_in >= rounds_run``) the
        last round run is used alone.

    Notes
    -----
    The rule follows the recommendation in the BDM reference spec (§9c): the trajectory can
    cycle (Scholz, Calbert & Smith 2011, §7), so no single round is the forecast.
    """
    path = np.asarray(median_path, dtype=float)
    n_rounds = path.shape[-1] - 1
    batch_shape = path.shape[:-1]
    if rounds_run is None:
        last = np.full(batch_shape, n_rounds, dtype=int)
    else:
        last = np.broadcast_to(np.asarray(rounds_run, dtype=int), batch_shape)
    t = np.arange(n_rounds + 1)
    first = np.minimum(burn_in + 1, last)  # empty window -> the last round alone
    first = np.maximum(first, np.minimum(1, last))
    window = (t >= first[..., None]) & (t <= last[..., None])
    masked = np.where(window, path, np.nan)
    forecast = np.nanmedian(masked, axis=-1)
    low = np.nanmin(masked, axis=-1)
    high = np.nanmax(masked, axis=-1)
    return forecast, low, high


def stop_reason(positions: np.ndarray, limit_reached: bool, max_period: int = 12,
                atol: float = 1e-9) -> str:
    """Why a run of positions ended, from the positions themselves (the same rule for every
    engine, so no run that cycles is reported as converged).

    Parameters
    ----------
    positions : ndarray of shape (rounds + 1, n[, m])
        Positions per round; row 0 is the input.
    limit_reached : bool
        Whether the run stopped at its round limit (not by its own stopping rule).

    Returns
    -------
    str
        ``"consensus"`` (every actor at one position), ``"fixed point"`` (the last round repeats
        the one before it), ``"cycle (period p, rounds a–b)"`` (the last ``2p`` rounds repeat
        with period ``p`` ≥ 2), else ``"round limit"`` when the limit was reached and
        ``"converged"`` when the engine's own stopping rule ended it.
    """

    x = np.asarray(positions, dtype=float)
    rounds = x.shape[0] - 1
    last = x[-1].reshape(x.shape[1], -1)
    if np.all(np.abs(last - last[:1]) <= atol):
        return "consensus"
    if rounds >= 1 and np.all(np.abs(x[-1] - x[-2]) <= atol):
        return "fixed point"
    for p in range(2, max_period + 1):
        if rounds + 1 < 2 * p:
            break
        tail = x[-2 * p:]
        if np.all(np.abs(tail[p:] - tail[:p]) <= atol):
            start = rounds - 2 * p + 1
            # extend back while the period holds
            while start - 1 >= 0 and np.all(np.abs(x[start - 1] - x[start - 1 + p]) <= atol):
                start -= 1
            return f"cycle (period {p}, rounds {start}–{rounds})"
    return "round limit" if limit_reached else "converged"


@dataclass(frozen=True)
class IssueResult:
    """One engine run on one issue: the whole trajectory and its summary.

    Attributes
    ----------
    model : str
        Engine name (``"bdm"``, ``"smp"``).
    issue_id : str
        The issue (one-dimensional engines) or dimension this result is about.
    actor_ids : tuple of str, length n
        Actors taking part (issues may list some actors as absent).
    positions : ndarray of shape (rounds_run + 1, n)
        Positions on the issue scale; row 0 is the input.
    median : ndarray of shape (rounds_run + 1,)
        Median-voter (Condorcet) position after each round.
    mean : ndarray of shape (rounds_run + 1,)
        Capability×salience-weighted mean position after each round.
    forecast : float
        Summary forecast (:func:`summarise_median_path`).
    cycle_low, cycle_high : float
        Range the median-voter position moves in over the summary window.
    offers : pandas.DataFrame
        Offers made, one row each, columns :data:`OFFER_COLUMNS`.
    risk_exponent : ndarray of shape (rounds_run, n), optional
        BDM's r_i used in each round (Scholz et al. 2011, eq. 33); None for engines without it.
    extras : dict
        Engine-specific per-round arrays (documented by the engine), e.g. security levels.
    burn_in : int
        Burn-in used for the summary.
    rule : str
        The issue's decision rule (:mod:`detente.bargaining.rules`); ``collective`` by default.
    outcome : ndarray of shape (rounds_run + 1,) or None
        The per-round outcome under the rule (the engine's collective outcome constrained by who
        decides); None under ``collective``, where the outcome is the engine's own (``median``
        for BDM, ``expected_path`` for SMP). The summary forecast and the cycle range are
        computed from it.
    stop : str
        Why the run ended (:func:`stop_reason`): ``fixed point``, ``cycle (period p)``,
        ``converged``, ``consensus`` or ``round limit``.
    """

    model: str
    issue_id: str
    actor_ids: tuple[str, ...]
    positions: np.ndarray
    median: np.ndarray
    mean: np.ndarray
    forecast: float
    cycle_low: float
    cycle_high: float
    offers: pd.DataFrame
    risk_exponent: np.ndarray | None = None
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)
    burn_in: int = 0
    rule: str = "collective"
    outcome: np.ndarray | None = None
    stop: str = ""

    @property
    def rounds_run(self) -> int:
        """Number of rounds actually run (positions has one more row)."""
        return int(self.positions.shape[0] - 1)

    @property
    def start_median(self) -> float:
        """Median-voter position of the input (round 0)."""
        return float(self.median[0])

    def accepted_offers(self) -> pd.DataFrame:
        """The offers actors took, in round order (the moves that happened)."""
        return self.offers[self.offers["accepted"]].reset_index(drop=True)

    def movers(self) -> pd.DataFrame:
        """Actors that moved: ``actor, start, end, moves, travelled`` sorted by distance travelled."""
        import pandas as pd

        steps = np.abs(np.diff(self.positions, axis=0))  # (rounds, n)
        frame = pd.DataFrame({
            "actor": list(self.actor_ids),
            "start": self.positions[0],
            "end": self.positions[-1],
            "moves": (steps > 0).sum(axis=0),
            "travelled": steps.sum(axis=0),
        })
        moved = frame[frame["moves"] > 0]
        return moved.sort_values("travelled", ascending=False, kind="stable").reset_index(drop=True)

    def key_moves(self, top: int = 3, names: Mapping[str, str] | None = None) -> list[str]:
        """The ``top`` largest accepted moves in words, largest first.

        E.g. ``"round 2: China compromises toward United States on sanctions: 30 → 42"``.
        ``names`` maps actor ids to display names (ids are used otherwise).
        """
        acc = self.accepted_offers()
        if acc.empty:
            return []
        size = (acc["offered_position"] - acc["receiver_position"]).abs()
        acc = acc.assign(size=size).sort_values(["size", "round"], ascending=[False, True],
                                                kind="stable").head(top)
        label = dict(names or {})
        verbs = {"confrontation": "loses a confrontation to", "compromise": "compromises toward",
                 "capitulation": "capitulates to"}
        return [
            f"round {row.round}: {label.get(row.receiver, row.receiver)} "
            f"{verbs.get(row.kind, row.kind + ' with')} {label.get(row.proposer, row.proposer)} "
            f"on {self.issue_id}: {row.receiver_position:.3g} → {row.offered_position:.3g}"
            for row in acc.itertuples()
        ]

    def engine_summary(self) -> dict[str, Any]:
        """Engine-specific summary fields for JSON output (none for the base result).

        Subclasses add what only their engine has (SMP: the modal position and its
        probability, the stopping reason, the saliences it used).
        """
        return {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary of the run (the per-issue item of :meth:`Forecast.to_dict`)."""
        item: dict[str, Any] = {
            "model": self.model, "issue": self.issue_id, "actors": list(self.actor_ids),
            "start_median": self.start_median, "forecast": self.forecast,
            "cycle_range": [self.cycle_low, self.cycle_high], "rule": self.rule,
            "stop": self.stop, "median_by_round": self.median.tolist(),
            "mean_by_round": self.mean.tolist(), "positions_by_round": self.positions.tolist(),
            "accepted_offers": _records(self.accepted_offers()),
            **_jsonable(self.engine_summary())}
        if self.outcome is not None:
            item["outcome_by_round"] = self.outcome.tolist()
        return item

    def rounds_frame(self) -> pd.DataFrame:
        """Per-round summary: ``round, median, mean``."""
        import pandas as pd

        return pd.DataFrame({
            "round": np.arange(self.rounds_run + 1),
            "median": self.median,
            "mean": self.mean,
        })

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-round, per-actor frame.

        Columns ``model, issue, round, actor, position, risk_exponent, median, mean``;
        ``risk_exponent`` is NaN for round 0 and for engines without one.
        """
        import pandas as pd

        t, n = self.positions.shape
        risk = np.full((t, n), np.nan)
        if self.risk_exponent is not None:
            risk[1:] = self.risk_exponent
        return pd.DataFrame({
            "model": self.model,
            "issue": self.issue_id,
            "round": np.repeat(np.arange(t), n),
            "actor": np.tile(np.array(self.actor_ids, dtype=object), t),
            "position": self.positions.ravel(),
            "risk_exponent": risk.ravel(),
            "median": np.repeat(self.median, n),
            "mean": np.repeat(self.mean, n),
        })


@dataclass(frozen=True)
class IssueDistribution:
    """The distribution of one issue's summary forecast over Monte Carlo draws.

    Attributes
    ----------
    issue_id : str
    forecast : ndarray of shape (n_draws,)
        Summary forecast of each draw (same rule as :attr:`IssueResult.forecast`).
    cycle_low, cycle_high : ndarray of shape (n_draws,)
        Each draw's cycle range.
    start_median : ndarray of shape (n_draws,)
        Each draw's round-0 median-voter position (inputs are sampled too).
    thresholds : dict of str to float
        Named positions on the issue scale; see :meth:`threshold_probabilities`.
    """

    issue_id: str
    forecast: np.ndarray
    cycle_low: np.ndarray
    cycle_high: np.ndarray
    start_median: np.ndarray
    thresholds: Mapping[str, float] = field(default_factory=dict)

    QUANTILES: ClassVar[tuple[float, ...]] = (0.05, 0.25, 0.5, 0.75, 0.95)

    @property
    def n_draws(self) -> int:
        return int(self.forecast.shape[0])

    def quantiles(self, q: tuple[float, ...] | None = None) -> dict[float, float]:
        """Quantiles of the summary forecast (default 5, 25, 50, 75, 95 %)."""
        qs = self.QUANTILES if q is None else q
        values = np.quantile(self.forecast, qs)
        return {float(p): float(v) for p, v in zip(qs, values, strict=True)}

    def threshold_probabilities(self) -> dict[str, dict[str, float]]:
        """P(forecast < t), P(forecast > t) for each named threshold t (ties count on neither side)."""
        return {
            name: {
                "value": float(value),
                "p_below": float(np.mean(self.forecast < value)),
                "p_above": float(np.mean(self.forecast > value)),
            }
            for name, value in self.thresholds.items()
        }

    def p_moves_up(self) -> float:
        """Share of draws whose forecast lies above the issue's status quo (the reference of
        every comparison), or above the draw's own start median when the issue has none."""
        ref = self.thresholds.get("status quo")
        if ref is not None:
            return float(np.mean(self.forecast > ref))
        return float(np.mean(self.forecast > self.start_median))

    @property
    def reference(self) -> str:
        """What :meth:`p_moves_up` compares against: ``"status quo"`` or ``"start median"``."""
        return "status quo" if "status quo" in self.thresholds else "start median"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: quantiles, threshold probabilities, the share above the
        reference."""
        return {"issue": self.issue_id, "draws": self.n_draws,
                "quantiles": {str(k): v for k, v in self.quantiles().items()},
                "thresholds": self.threshold_probabilities(), "p_moves_up": self.p_moves_up(),
                "moves_up_reference": self.reference}

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-draw frame: ``issue, draw, start_median, forecast, cycle_low, cycle_high``."""
        import pandas as pd

        return pd.DataFrame({
            "issue": self.issue_id,
            "draw": np.arange(self.n_draws),
            "start_median": self.start_median,
            "forecast": self.forecast,
            "cycle_low": self.cycle_low,
            "cycle_high": self.cycle_high,
        })


@dataclass(frozen=True)
class Forecast:
    """A bargaining forecast for every issue of a scenario.

    Attributes
    ----------
    model : str
        Engine name.
    scenario_id : str
    policy_id : str or None
        Policy applied before the run, if any.
    results : dict of str to IssueResult
        The run on the scenario's point values, per issue (in the scenario's issue order).
    distributions : dict of str to IssueDistribution
        Monte Carlo distribution per issue; empty when ``draws == 0``.
    draws : int
    seed : int or None
        Root seed of the draws (drawn from entropy and recorded when the caller gave None);
        None when ``draws == 0`` (the point run is deterministic).
    options : dict
        The engine options that produced the result (``dataclasses.asdict`` of the options),
        plus the Monte Carlo settings.
    actor_names : dict of str to str
        Display names by actor id (for sentences; may be empty).
    """

    model: str
    scenario_id: str
    policy_id: str | None
    results: Mapping[str, IssueResult]
    distributions: Mapping[str, IssueDistribution]
    draws: int
    seed: int | None
    options: Mapping[str, Any]
    actor_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(self.results)

    def summary_frame(self) -> pd.DataFrame:
        """One row per issue: start median, forecast, cycle range, and draw quantiles if any."""
        import pandas as pd

        rows = []
        for issue_id, res in self.results.items():
            row: dict[str, Any] = {
                "model": self.model,
                "issue": issue_id,
                "start_median": res.start_median,
                "forecast": res.forecast,
                "cycle_low": res.cycle_low,
                "cycle_high": res.cycle_high,
                "rounds_run": res.rounds_run,
            }
            dist = self.distributions.get(issue_id)
            if dist is not None:
                for p, v in dist.quantiles().items():
                    row[f"q{round(p * 100):02d}"] = v
            rows.append(row)
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-issue, per-round, per-actor frame of the point runs (see IssueResult.to_frame)."""
        import pandas as pd

        return pd.concat([r.to_frame() for r in self.results.values()], ignore_index=True)

    def draws_frame(self) -> pd.DataFrame:
        """Tidy per-issue, per-draw frame of the Monte Carlo distribution (empty without draws).

        Columns ``model, issue, draw, start_median, forecast, cycle_low, cycle_high``.
        """
        import pandas as pd

        frames = [pd.DataFrame({
            "model": self.model, "issue": issue_id, "draw": np.arange(dist.n_draws),
            "start_median": dist.start_median, "forecast": dist.forecast,
            "cycle_low": dist.cycle_low, "cycle_high": dist.cycle_high,
        }) for issue_id, dist in self.distributions.items()]
        columns = ["model", "issue", "draw", "start_median", "forecast", "cycle_low",
                   "cycle_high"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dict (used by ``detente forecast --json`` and the web API)."""
        issues = {}
        for issue_id, res in self.results.items():
            item = res.to_dict()
            for key in ("model", "issue"):
                item.pop(key)
            dist = self.distributions.get(issue_id)
            if dist is not None:
                d = dist.to_dict()
                item["draws"] = {k: d[k] for k in ("quantiles", "thresholds", "p_moves_up",
                                                   "moves_up_reference")}
            issues[issue_id] = item
        return {
            "model": self.model,
            "scenario": self.scenario_id,
            "policy": self.policy_id,
            "draws": self.draws,
            "seed": self.seed,
            "options": _jsonable(dict(self.options)),
            "issues": issues,
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_jsonable(rec) for rec in frame.to_dict(orient="records")]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj
