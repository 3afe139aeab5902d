"""``compare``: policies side by side, bargaining joined to the fitted dynamics.

For each policy: the bargaining forecast (default engine SMP, the only engine with linkage
between issues) with its Monte Carlo distribution, the BDM cross-check issue by issue, and the
dynamic model's simulation driven through the bridge rules of :mod:`detente.policy.bridge`.

Common random numbers
---------------------
The root seed gives one :class:`numpy.random.SeedSequence` child per *stage*, keyed by the stage
name (:data:`STAGES`), never by a policy's position in the list:

- ``bargaining``: every policy (and the status quo) is run on the same uniforms for the ranges,
  so the sampled inputs differ only where the policy changed them
  (:mod:`detente.bargaining.montecarlo` draws all uniforms up front);
- ``cross_check``: the same for the BDM cross-check;
- ``posterior_pick``: which posterior draw is paired with bargaining draw *i*;
- ``dynamics``: the simulation's random stream, the same under every policy.

So policy differences are not sampling noise, the listed order of the policies changes nothing,
and a policy compared with itself gives identical distributions.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from detente.defaults import DEFAULT_DRAWS, DEFAULT_PATHS_PER_DRAW
from detente.errors import OptionsError
from detente.limits import draw_problem
from detente.options import check_arguments, constraint
from detente.policy.bridge import (
    INDEX_LABEL,
    BridgeSettings,
    polarisation,
    scenario_index,
    shift_entry_into_dialogue,
    status_quo_unsc_rate,
    talks_log_odds_shift,
    unsc_rate_under_policy,
)
from detente.policy.levers import PolicyChange, policy_changes, resolve_policies

#: Seed-sequence child index of each stage (a fixed key: adding a policy never shifts a stream).
STAGES: dict[str, int] = {"bargaining": 0, "cross_check": 1, "posterior_pick": 2, "dynamics": 3}

#: The quantiles every summary reports: 80 % and 50 % central intervals and the median.
QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)

#: Issues whose forecast spread makes the polarisation component of the scenario index.
POLARISATION_ISSUES: tuple[str, ...] = ("deterrence", "rustech")


STATUS_QUO_ID = "status-quo"

#: Seed of the headline NUTS fit. The fit is part of the model, not of one comparison: it is run
#: once with this seed and cached, whatever the comparison's root seed (which drives the Monte
#: Carlo draws, the pairing with posterior draws and the simulation).
FIT_SEED = 0


def stage_seed(root: int, stage: str) -> int:
    """The 32-bit seed of ``stage`` under root seed ``root`` (keyed by stage, not by order)."""
    seq = np.random.SeedSequence(entropy=int(root), spawn_key=(STAGES[stage],))
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def _q(values: np.ndarray, axis: int = 0) -> np.ndarray:
    return np.quantile(np.asarray(values, dtype=float), QUANTILES, axis=axis)


def share_se(p: float, n: int) -> float:
    """Monte Carlo standard error of a share ``p`` of ``n`` pairs: binomial, sqrt(p(1−p)/n),
    with p(1−p) floored at 1/n — under common random numbers most pairs can be identical, and
    a share of exactly 0 or 1 from a few pairs is not an exact answer (the floor makes its SE
    1/n, the scale of the rule-of-three bound 3/n)."""
    return float(np.sqrt(max(p * (1.0 - p), 1.0 / n) / n))


@dataclass(frozen=True)
class PolicyOutcome:
    """Everything ``compare`` computed for one policy (or the status quo).

    Attributes
    ----------
    policy_id, name, summary : str
    changes : tuple of PolicyChange
        Levers, assumptions and dynamics levers, in file order (all shown in every output).
    bargaining : Forecast
        The main engine's forecast (point run + Monte Carlo distributions) under the policy.
    cross_check : Forecast or None
        The cross-check engine's forecast (BDM, one issue at a time).
    dialogue_shift : ndarray of shape (n_draws,)
        Rule B1's per-draw log-odds shift of entering dialogue (0 for the status quo).
    unsc_resolution_rate : float
        Rule B2's monthly UNSC sanctions-resolution rate.
    dynamics_levers : dict of str to float
        The ``sanctions_pressure`` etc. values of the scenario under the policy.
    trajectories : Trajectories
        The dynamic model's simulated months, shape (draws × paths_per_draw, horizon months).
    index : float
        Conflict-risk scenario index (0–100; :data:`~detente.policy.bridge.INDEX_LABEL`).
    index_components : dict of str to float
    """

    policy_id: str
    name: str
    summary: str
    changes: tuple[PolicyChange, ...]
    bargaining: Any
    cross_check: Any
    dialogue_shift: np.ndarray
    unsc_resolution_rate: float
    dynamics_levers: Mapping[str, float]
    trajectories: Any
    index: float = float("nan")
    index_components: Mapping[str, float] = field(default_factory=dict)

    @property
    def assumptions(self) -> tuple[PolicyChange, ...]:
        return tuple(c for c in self.changes if c.kind == "assumption")

    # --- dynamics summaries -------------------------------------------------------------
    def yearly_totals(self, series: str = "launch_events") -> np.ndarray:
        """Per-draw totals of ``series`` per horizon year, shape (n_draws, years)."""
        arr = getattr(self.trajectories, series)
        n_draws, n_months = arr.shape
        return arr[:, : n_months - n_months % 12].reshape(n_draws, -1, 12).sum(axis=2)

    def p_nuclear_within(self, months: int | None = None) -> float:
        """P(at least one nuclear test within ``months`` (default: the horizon))."""
        n = self.trajectories.nuclear_prob.shape[1] if months is None else months
        return self.trajectories.p_nuclear_within(n)

    def p_dialogue_within(self, months: int = 12, start_regime: int | None = None) -> float:
        """Share of simulated paths with at least one dialogue month in the first ``months``."""
        from detente.dynamics.priors import DIALOGUE

        return float(np.mean((self.trajectories.regime[:, :months] == DIALOGUE).any(axis=1)))

    def p_dialogue_starts_by_year(self, start_regime: int) -> np.ndarray:
        """P(a move into dialogue happens during horizon year k), shape (years,).

        ``start_regime`` is the regime of the last observed month (the previous month of the
        first simulated one).
        """
        from detente.dynamics.priors import DIALOGUE

        regime = self.trajectories.regime
        n_draws, n_months = regime.shape
        prev = np.concatenate([np.full((n_draws, 1), start_regime), regime[:, :-1]], axis=1)
        starts = (regime == DIALOGUE) & (prev != DIALOGUE)
        years = n_months // 12
        return starts[:, : years * 12].reshape(n_draws, years, 12).any(axis=2).mean(axis=0)

    def crisis_share(self) -> float:
        from detente.dynamics.priors import CRISIS

        return float(np.mean(self.trajectories.regime == CRISIS))


@dataclass(frozen=True)
class Comparison:
    """Policies compared on one scenario (the result of :func:`compare`).

    Attributes
    ----------
    scenario : Scenario
        The scenario as written (the status quo).
    outcomes : tuple of PolicyOutcome
        One per requested policy, in the order requested.
    status_quo : PolicyOutcome
        The scenario with no policy applied: the reference of every bridge rule.
    horizon_months, draws, seed : int
        The horizon in months (whole years), Monte Carlo draws and root seed.
    model, cross_check_engine : str
    bridge : BridgeSettings
    posterior : Posterior or None
        The fitted dynamic model used (prior vs posterior in the report); None for a scenario
        without a dynamics binding.
    start_month : str
        First simulated month ``YYYY-MM`` ("" without a binding).
    paths_per_draw : int
        Simulated paths per bargaining draw.
    binding : Binding or None
        The scenario's binding to the dynamic model. None: a bargaining comparison only (no
        launch, test or dialogue numbers, no conflict-risk index).
    """

    scenario: Any
    outcomes: tuple[PolicyOutcome, ...]
    status_quo: PolicyOutcome
    horizon_months: int
    draws: int
    seed: int
    model: str
    cross_check_engine: str | None
    bridge: BridgeSettings
    posterior: Any
    start_month: str
    paths_per_draw: int = 1
    binding: Any = None

    #: The one line every face prints for a comparison without a dynamics binding.
    UNBOUND_NOTE: ClassVar[str] = (
        "bargaining comparison only: the scenario declares no binding to a fitted dynamic model, "
        "so no launch, nuclear-test, dialogue or conflict-risk numbers are computed "
        "(docs/scenario-format.md, 'binding')")

    @property
    def horizon_years(self) -> int:
        """The horizon in whole years (``horizon_months // 12``), for yearly tables and text."""
        return self.horizon_months // 12

    @property
    def engine(self) -> str:
        """The main engine's name (same as :attr:`model`; kept for the report's wording)."""
        return self.model

    @property
    def bound(self) -> bool:
        """True when the scenario is bound to a fitted dynamic model (launches, tests, talks)."""
        return self.binding is not None

    @property
    def talks_issue(self) -> str | None:
        return None if self.binding is None else self.binding.talks_issue

    @property
    def sanctions_issue(self) -> str | None:
        return None if self.binding is None else self.binding.sanctions_issue

    @property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(o.policy_id for o in self.outcomes)

    def outcome(self, policy_id: str) -> PolicyOutcome:
        for o in (*self.outcomes, self.status_quo):
            if o.policy_id == policy_id:
                return o
        raise KeyError(policy_id)

    @property
    def year_labels(self) -> list[str]:
        if not self.start_month:
            return []
        start = pd.Period(self.start_month, freq="M")
        return [f"{start + 12 * k}…{start + 12 * k + 11}" for k in range(self.horizon_years)]

    # --- tables --------------------------------------------------------------------------
    def summary_frame(self) -> pd.DataFrame:
        """One row per policy: the headline numbers of the comparison table.

        Without a dynamics binding: the main engine's median forecast per issue
        (``<issue>_median``), nothing simulated.
        """
        rows = []
        if not self.bound:
            for o in self.outcomes:
                row: dict[str, Any] = {"policy": o.policy_id, "name": o.name}
                for issue_id, dist in o.bargaining.distributions.items():
                    row[f"{issue_id}_median"] = float(np.median(dist.forecast))
                row["n_levers"] = sum(c.kind == "lever" for c in o.changes)
                row["n_assumptions"] = len(o.assumptions)
                rows.append(row)
            return pd.DataFrame(rows).set_index("policy")
        start_regime = int(self.posterior.state.regime)
        for o in self.outcomes:
            launches = o.yearly_totals().sum(axis=1)
            ql = _q(launches)
            talks = o.bargaining.distributions[self.talks_issue].forecast
            qt = _q(talks)
            rows.append({
                "policy": o.policy_id,
                "name": o.name,
                "launch_events_median": ql[2], "launch_events_q10": ql[0],
                "launch_events_q90": ql[4],
                "p_nuclear_test": o.p_nuclear_within(),
                "p_dialogue_12m": o.p_dialogue_within(12),
                "p_dialogue_starts_year1": float(o.p_dialogue_starts_by_year(start_regime)[0]),
                "talks_median": qt[2], "talks_q10": qt[0], "talks_q90": qt[4],
                "unsc_resolution_rate": o.unsc_resolution_rate,
                "scenario_index": o.index,
                "n_levers": sum(c.kind == "lever" for c in o.changes),
                "n_assumptions": len(o.assumptions),
            })
        return pd.DataFrame(rows).set_index("policy")

    #: What every paired difference passes through: the bridge rules' assumed coefficients.
    PAIRED_BASIS: ClassVar[str] = (
        "model output through assumed bridge coefficients (B1 beta_talks, B2 beta_sanctions): "
        "assumption-driven, not estimated")

    def paired_frame(self, bootstrap: int = 200) -> pd.DataFrame:
        """Each policy minus the status quo, path by path (common random numbers pair them).

        One row per policy and quantity: ``launch_events`` (total over the horizon; negative =
        fewer), ``p_nuclear`` (Rao–Blackwellised P(nuclear test within the horizon)),
        ``dialogue_12m`` (a dialogue month within 12 months, 0/1 per path). Columns: ``median``,
        ``q10``, ``q90`` of the paired difference (for the two probabilities: the mean
        difference and ± two Monte Carlo standard errors), ``p_better`` (share of pairs where the
        policy does better: fewer launches, a lower nuclear probability, dialogue where the
        status quo has none, minus the reverse for dialogue), its Monte Carlo standard error
        ``p_better_se`` (binomial), ``p_worse`` (the share where the policy does worse: under
        common random numbers most pairs are equal, so P(better) and P(worse) together carry
        the effect), ``median_se`` (bootstrap over pairs), and ``basis``.
        Empty without a dynamics binding.
        """
        cols = ["policy", "quantity", "median", "q10", "q90", "p_better", "p_better_se",
                "p_worse", "median_se", "n_pairs", "basis"]
        if not self.bound:
            return pd.DataFrame(columns=cols)
        from detente.dynamics.priors import DIALOGUE

        sq = self.status_quo.trajectories
        rng = np.random.default_rng(0)  # the bootstrap only measures Monte Carlo error
        rows = []
        sq_launch = sq.launch_events.sum(axis=1)
        sq_nuc = 1.0 - np.prod(1.0 - sq.nuclear_prob, axis=1)
        sq_dia = (sq.regime[:, :12] == DIALOGUE).any(axis=1).astype(float)
        for o in self.outcomes:
            tr = o.trajectories
            n = tr.launch_events.shape[0]
            diffs = {
                "launch_events": tr.launch_events.sum(axis=1) - sq_launch,
                "p_nuclear": (1.0 - np.prod(1.0 - tr.nuclear_prob, axis=1)) - sq_nuc,
                "dialogue_12m": (tr.regime[:, :12] == DIALOGUE).any(axis=1).astype(float)
                - sq_dia,
            }
            for name, d in diffs.items():
                better = d > 0 if name == "dialogue_12m" else d < 0
                worse = d < 0 if name == "dialogue_12m" else d > 0
                p = float(np.mean(better))
                if name == "launch_events":
                    mid, lo, hi = np.median(d), np.quantile(d, 0.1), np.quantile(d, 0.9)
                    boot = np.median(d[rng.integers(0, n, size=(bootstrap, n))], axis=1)
                    se = float(np.std(boot))
                else:
                    mid = float(np.mean(d))
                    se = float(np.std(d) / np.sqrt(n))
                    lo, hi = mid - 2 * se, mid + 2 * se
                rows.append({"policy": o.policy_id, "quantity": name, "median": float(mid),
                             "q10": float(lo), "q90": float(hi), "p_better": p,
                             "p_better_se": share_se(p, n),
                             "p_worse": float(np.mean(worse)), "median_se": se,
                             "n_pairs": int(n), "basis": self.PAIRED_BASIS})
        return pd.DataFrame(rows, columns=cols)

    def yearly_frame(self) -> pd.DataFrame:
        """Per policy and horizon year: launch events and missiles (median, 50 % and 80 %
        intervals) and P(dialogue starts in that year); empty without a dynamics binding."""
        rows = []
        if not self.bound:
            return pd.DataFrame(columns=["policy", "year", "months", "quantity", "median", "q25",
                                         "q75", "q10", "q90", "p_dialogue_starts"])
        start_regime = int(self.posterior.state.regime)
        for o in self.outcomes:
            starts = o.p_dialogue_starts_by_year(start_regime)
            for series in ("launch_events", "missiles"):
                q = _q(o.yearly_totals(series))
                for k, label in enumerate(self.year_labels):
                    rows.append({"policy": o.policy_id, "year": k + 1, "months": label,
                                 "quantity": series, "median": q[2, k], "q25": q[1, k],
                                 "q75": q[3, k], "q10": q[0, k], "q90": q[4, k],
                                 "p_dialogue_starts": float(starts[k])})
        return pd.DataFrame(rows)

    def observed_frame(self) -> pd.DataFrame:
        """What happened in each horizon year, from the shipped record (and the user's
        evidence layer): launch events summed over the year's months the record covers.
        ``months_observed`` says how many of the 12 are in it; ``value`` is None when none is
        (a year still in the future). Empty without a dynamics binding or a start month."""
        cols = ["year", "months", "quantity", "value", "months_observed"]
        if not self.bound or not self.start_month:
            return pd.DataFrame(columns=cols)
        from detente.evidence import monthly_panel

        series = monthly_panel()["launch_events"].dropna()
        start = pd.Period(self.start_month, freq="M")
        rows = []
        for k, label in enumerate(self.year_labels):
            months = pd.period_range(start + 12 * k, periods=12, freq="M")
            seen = series.reindex(months).dropna()
            rows.append({"year": k + 1, "months": label, "quantity": "launch_events",
                         "value": float(seen.sum()) if len(seen) else None,
                         "months_observed": len(seen)})
        return pd.DataFrame(rows, columns=cols)

    def positions_frame(self) -> pd.DataFrame:
        """Per policy, engine and issue: forecast position (median, 50 % and 80 % intervals)."""
        rows = []
        for o in (*self.outcomes,):
            for fc in (o.bargaining, o.cross_check):
                if fc is None:
                    continue
                for issue_id, dist in fc.distributions.items():
                    q = _q(dist.forecast)
                    rows.append({"policy": o.policy_id, "engine": fc.model, "issue": issue_id,
                                 "start": float(fc.results[issue_id].start_median),
                                 "point": float(fc.results[issue_id].forecast),
                                 "median": q[2], "q25": q[1], "q75": q[3], "q10": q[0],
                                 "q90": q[4]})
        return pd.DataFrame(rows)

    def assumptions_frame(self) -> pd.DataFrame:
        """Every change of every policy (levers, assumptions, dynamics levers) with its status."""
        rows = []
        for o in self.outcomes:
            for c in o.changes:
                rows.append({"policy": o.policy_id, **dataclasses.asdict(c)})
        cols = ["policy", "kind", "actor", "issue", "field", "op", "value", "range",
                "rationale", "status"]
        return pd.DataFrame(rows, columns=cols)

    def to_frame(self) -> pd.DataFrame:
        """Long tidy frame: ``policy, section, key, year, stat, value`` for every number.

        Sections: ``summary``, ``yearly``, ``position:<engine>``, and one row per policy
        change with section ``lever``, ``assumption`` or ``dynamics`` (``stat`` holds its
        status, e.g. "assumed" or "recorded, not modelled").
        """
        rows: list[dict[str, Any]] = []
        for policy, row in self.summary_frame().iterrows():
            for key, value in row.items():
                if key == "name":
                    continue
                rows.append({"policy": policy, "section": "summary", "key": key, "year": 0,
                             "stat": "value", "value": float(value)})
        for rec in self.yearly_frame().to_dict(orient="records"):
            for stat in ("median", "q25", "q75", "q10", "q90"):
                rows.append({"policy": rec["policy"], "section": "yearly",
                             "key": rec["quantity"], "year": rec["year"], "stat": stat,
                             "value": float(rec[stat])})
            if rec["quantity"] == "launch_events":
                rows.append({"policy": rec["policy"], "section": "yearly",
                             "key": "p_dialogue_starts", "year": rec["year"], "stat": "value",
                             "value": float(rec["p_dialogue_starts"])})
        for rec in self.positions_frame().to_dict(orient="records"):
            for stat in ("median", "q25", "q75", "q10", "q90"):
                rows.append({"policy": rec["policy"], "section": f"position:{rec['engine']}",
                             "key": rec["issue"], "year": 0, "stat": stat,
                             "value": float(rec[stat])})
        for o in self.outcomes:  # every change, assumptions included, in every output
            for c in o.changes:
                rows.append({"policy": o.policy_id, "section": c.kind, "key": c.describe(),
                             "year": 0, "stat": c.status, "value": float(c.value)})
        return pd.DataFrame(rows, columns=["policy", "section", "key", "year", "stat", "value"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``detente compare --json``): settings, tables, assumptions."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()}
                    for r in frame.reset_index().to_dict(orient="records")]

        return {
            "scenario": self.scenario.id,
            "dynamics": (None if not self.bound else
                         {"model": self.binding.model, "talks_issue": self.talks_issue,
                          "sanctions_issue": self.sanctions_issue}),
            "note": None if self.bound else self.UNBOUND_NOTE,
            "policies": list(self.policy_ids),
            "horizon_months": self.horizon_months, "draws": self.draws, "seed": self.seed,
            "paths_per_draw": self.paths_per_draw,
            "model": self.model, "cross_check": self.cross_check_engine,
            "start_month": self.start_month,
            "bridge": self.bridge.as_dict(),
            "index_label": INDEX_LABEL if self.bound else None,
            "summary": records(self.summary_frame()),
            "paired": records(self.paired_frame()),
            "yearly": records(self.yearly_frame()),
            "observed": records(self.observed_frame()),
            "positions": records(self.positions_frame()),
            "assumptions": records(self.assumptions_frame()),
            "monte_carlo": None if self.monte_carlo is None else self.monte_carlo.to_dict(),
            "bridge_sensitivity": (None if self.bridge_sensitivity is None
                                   else self.bridge_sensitivity.to_dict()),
        }

    # --- Monte Carlo error and sensitivity of the policy channel ----------------------------
    @functools.cached_property
    def monte_carlo(self) -> Any:
        """The paired table held to the documented Monte Carlo error target
        (:func:`detente.policy.sensitivity.monte_carlo_check`; None without a binding)."""
        from detente.policy.sensitivity import monte_carlo_check

        return monte_carlo_check(self)

    @functools.cached_property
    def bridge_sensitivity(self) -> Any:
        """The β_T × β_D grid of paired launch differences
        (:func:`detente.policy.sensitivity.bridge_grid`, computed once; None without a
        binding)."""
        from detente._memo import memo
        from detente.policy.sensitivity import bridge_grid

        if not self.bound:
            return None
        # The grid is a pure function of exactly these (detente.policy.sensitivity.bridge_grid
        # reads nothing else of the comparison; its code and grid axes are in the package
        # hash of the key), so a rerun with the same seed reads it from the stage cache.
        post, talks = self.posterior, self.talks_issue
        outcomes = [[o.policy_id, np.asarray(o.bargaining.distributions[talks].forecast),
                     float(o.unsc_resolution_rate)] for o in (*self.outcomes, self.status_quo)]
        arguments = {
            "posterior": {"samples": {k: np.asarray(v) for k, v in post.samples.items()},
                          "variant": post.variant, "method": post.method,
                          "first_month": post.first_month, "until": post.until,
                          "state": post.state},
            "seed": self.seed, "draws": self.draws, "paths_per_draw": self.paths_per_draw,
            "horizon_months": self.horizon_months, "beta_talks": float(self.bridge.beta_talks),
            "talks_issue": talks, "outcomes": outcomes}
        grid, _ = memo("bridge-grid", arguments, lambda: bridge_grid(self))
        return grid

    def bridge_grid(self, beta_talks: Sequence[float] | None = None,
                    beta_dialogue: Sequence[str] | None = None) -> Any:
        """A β_T × β_D grid on other axes (:func:`detente.policy.sensitivity.bridge_grid`)."""
        from detente.policy.sensitivity import BETA_DIALOGUE_LEVELS, bridge_grid

        return bridge_grid(self, beta_talks,
                           BETA_DIALOGUE_LEVELS if beta_dialogue is None else beta_dialogue)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


#: The horizons a comparison accepts (whole years: the tables are yearly).
HORIZONS: tuple[int, ...] = tuple(range(12, 121, 12))
_HORIZON_WORDS = "a whole number of years in months: 12, 24, …, 120"


def _check_options(horizon_months: Any, draws: Any, *, model: Any = "smp",
                   cross_check: Any = None, cross_check_draws: Any = None,
                   paths_per_draw: Any = DEFAULT_PATHS_PER_DRAW, bridge: Any = None,
                   posterior: Any = None, panel: Any = None, progress: Any = None) -> None:
    """Refuse bad arguments of :func:`compare` before any work (one Problem per argument)."""
    from detente.bargaining.forecast import get_engine
    from detente.dynamics.fit import check_panel
    from detente.dynamics.posterior import Posterior

    check_arguments("invalid comparison options", {
        "horizon_months": (horizon_months, constraint(interval=(HORIZONS[0], HORIZONS[-1]),
                                                      integer=True, words=_HORIZON_WORDS)),
        "draws": (draws, constraint(interval=(2, math.inf), integer=True)),
        "cross_check_draws": (cross_check_draws, constraint(interval=(2, math.inf),
                                                            integer=True, optional=True)),
        "paths_per_draw": (paths_per_draw, constraint(interval=(1, 1000), integer=True)),
        "bridge": (bridge, constraint(instance=BridgeSettings, optional=True,
                                      words="BridgeSettings(...), or none")),
        "posterior": (posterior, constraint(instance=Posterior, optional=True,
                                            words="a Posterior from detente.fit(...), or none")),
        "panel": (panel, constraint(instance=pd.DataFrame, optional=True,
                                    words="detente.monthly_panel(), or none")),
        "progress": (progress, constraint(instance=Callable, optional=True,
                                          words="a function (message) -> None, or none")),
    })
    check_arguments("invalid comparison options", {"horizon_months": (horizon_months, constraint(
        choices=HORIZONS, words=_HORIZON_WORDS))})
    get_engine(model, "model")
    if cross_check is not None:
        get_engine(cross_check, "cross_check")
    if panel is not None:
        check_panel(panel, ("unsc_resolution",))
    too_many = draw_problem(int(draws) * int(paths_per_draw), {"months": int(horizon_months)})
    if too_many is not None:
        raise OptionsError("too many simulated paths for this machine", [dataclasses.replace(
            too_many, message="draws × paths_per_draw: " + too_many.message)])


def _dynamics_values(scenario: Any) -> dict[str, float]:
    from detente.scenario import DYNAMICS_LEVERS

    values = {name: spec.neutral for name, spec in DYNAMICS_LEVERS.items()}
    for name, q in (scenario.dynamics or {}).items():
        values[name] = float(getattr(q, "value", q))
    return values


def _changes_nothing(policy: Any) -> bool:
    return not (policy.levers or policy.assumptions or policy.dynamics)


def compare(
    scenario: Any,
    policies: Sequence[Any] | str | None = None,
    horizon_months: int = 36,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = None,
    *,
    model: str = "smp",
    cross_check: str | None = "bdm",
    cross_check_draws: int | None = None,
    paths_per_draw: int = DEFAULT_PATHS_PER_DRAW,
    bridge: BridgeSettings | None = None,
    posterior: Any = None,
    panel: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Compare policies on a scenario: bargaining forecasts joined to the fitted dynamics.

    The dynamics stage runs only for a scenario with a ``binding`` to a fitted dynamic model
    (docs/scenario-format.md); without one the comparison is the bargaining forecasts alone
    (:attr:`Comparison.bound` is False and :attr:`Comparison.UNBOUND_NOTE` says so).

    Parameters
    ----------
    scenario : Scenario, str or Path
        A Scenario, an embedded id (``"korea-2023"``) or a file path.
    policies : sequence of (str or Policy), comma-separated str, or None
        The policies to compare (default: every policy of the scenario).
    horizon_months : int
        Months simulated from the month after the posterior's training window: whole years,
        12 to 120 (the tables are yearly).
    draws : int
        Monte Carlo draws of the bargaining inputs, paired one to one with simulated paths.
    seed : int, optional
        Root seed (None: drawn from entropy and recorded in the result).
    model : str
        Main bargaining engine (``"smp"``: linkage between issues exists only there).
    cross_check : str or None
        Engine run beside it issue by issue (``"bdm"``), or None.
    cross_check_draws : int, optional
        Draws of the cross-check (default ``draws``).
    paths_per_draw : int
        Simulated paths of the dynamic model per bargaining draw (path ``j`` is paired with
        bargaining draw ``j mod draws``). Simulation is cheap and its outcomes (counts, regime
        switches) are noisy, so more paths than bargaining draws cut the Monte Carlo error of
        the yearly quantiles and probabilities at almost no cost. The default
        (:data:`DEFAULT_PATHS_PER_DRAW`) is set by the Monte Carlo error target;
        :attr:`Comparison.monte_carlo` says whether a run meets it.
    bridge : BridgeSettings, optional
        Parameters of the bridge rules and the index (defaults documented on the class).
    posterior : Posterior, optional
        A fitted dynamic model; default ``detente.dynamics.fit(until=<scenario as_of month>)``
        (NUTS, cached on disk).
    panel : DataFrame, optional
        The monthly panel (default ``detente.evidence.monthly_panel()``), read for rule B2's
        base window only, and only up to the posterior's last training month.
    progress : callable, optional
        Called with a short message as each stage starts (the CLI shows it; the library never
        prints).

    Returns
    -------
    Comparison

    Raises
    ------
    OptionsError, ScenarioError
        Bad options, unknown policies, or a policy whose levers break the format's rules (e.g.
        a lever on an actor that is not in ``chosen_by``).
    """
    from detente.bargaining.forecast import forecast, resolve_scenario
    from detente.bargaining.montecarlo import resolve_seed
    from detente.scenario import apply

    _check_options(horizon_months, draws, model=model, cross_check=cross_check,
                   cross_check_draws=cross_check_draws, paths_per_draw=paths_per_draw,
                   bridge=bridge, posterior=posterior, panel=panel, progress=progress)
    bridge = BridgeSettings() if bridge is None else bridge
    root = resolve_seed(seed)
    if cross_check == model:
        cross_check = None  # a cross-check by the same engine would repeat the main run
    scen = resolve_scenario(scenario)
    chosen = resolve_policies(scen, policies)
    # Validate every policy before any expensive work (a bad lever fails fast).
    applied = {p.id: apply(p, scen) for p in chosen}
    say = progress or (lambda message: None)
    seeds = {stage: stage_seed(root, stage) for stage in STAGES}
    n_cc = int(cross_check_draws or draws)
    arrays = scen.arrays()
    too_many = draw_problem(max(int(draws), n_cc if cross_check else 0),
                            {"actors": len(arrays.actor_ids), "issues": len(arrays.issue_ids)})
    if too_many is not None:
        raise OptionsError("too many Monte Carlo draws for this machine", [too_many])

    def bargain(s: Any, policy_id: str | None) -> tuple[Any, Any]:
        main = forecast(s, model=model, draws=int(draws), seed=seeds["bargaining"])
        cc = None
        if cross_check:
            cc = forecast(s, model=cross_check, draws=n_cc, seed=seeds["cross_check"])
        return (dataclasses.replace(main, policy_id=policy_id),
                None if cc is None else dataclasses.replace(cc, policy_id=policy_id))

    binding = scen.binding
    if binding is None:  # a bargaining comparison only: no dynamics are borrowed
        say(f"bargaining: status quo ({model}, {draws} draws)")
        sq_main, sq_cc = bargain(scen, None)

        def bare(policy_id: str, name: str, summary: str, changes: tuple[PolicyChange, ...],
                 main: Any, cc: Any) -> PolicyOutcome:
            return PolicyOutcome(policy_id=policy_id, name=name, summary=summary,
                                 changes=changes, bargaining=main, cross_check=cc,
                                 dialogue_shift=np.zeros(int(draws)),
                                 unsc_resolution_rate=float("nan"), dynamics_levers={},
                                 trajectories=None)

        outcomes = []
        for p in chosen:
            say(f"bargaining: {p.id} ({model}, {draws} draws)")
            main, cc = bargain(applied[p.id], p.id)
            outcomes.append(bare(p.id, p.name or p.id, (p.summary or "").strip(),
                                 policy_changes(p), main, cc))
        return Comparison(
            scenario=scen, outcomes=tuple(outcomes),
            status_quo=bare(STATUS_QUO_ID, "Status quo (the scenario as written)",
                            "No policy applied.", (), sq_main, sq_cc),
            horizon_months=int(horizon_months), draws=int(draws), seed=root, model=model,
            cross_check_engine=cross_check, bridge=bridge, posterior=None, start_month="",
            paths_per_draw=int(paths_per_draw), binding=None)
    talks_issue, sanctions_issue = binding.talks_issue, binding.sanctions_issue

    if posterior is None:
        say("fitting the dynamic model (cached after the first run)")
        from detente.dynamics.fit import fit

        posterior = fit(until=str(pd.Period(scen.as_of, freq="M")), seed=FIT_SEED)
    if panel is None:
        from detente.evidence import monthly_panel

        panel = monthly_panel()
    window = panel.loc[(panel.index >= pd.Period(bridge.unsc_base_since, freq="M"))
                       & (panel.index <= pd.Period(posterior.until, freq="M")), "unsc_resolution"]
    base_unsc = status_quo_unsc_rate(window.to_numpy())

    months = int(horizon_months)
    pairing = simulation_pairing(posterior, root, int(draws), int(paths_per_draw))

    say(f"bargaining: status quo ({model}, {draws} draws)")
    sq_main, sq_cc = bargain(scen, None)
    sq_dyn = _dynamics_values(scen)

    def run(policy_id: str, name: str, summary: str, changes: tuple[PolicyChange, ...],
            main: Any, cc: Any, dyn: dict[str, float]) -> PolicyOutcome:
        shift = talks_log_odds_shift(main.distributions[talks_issue].forecast,
                                     sq_main.distributions[talks_issue].forecast,
                                     bridge.beta_talks)
        rate = unsc_rate_under_policy(base_unsc, main.distributions[sanctions_issue].forecast,
                                      sq_main.distributions[sanctions_issue].forecast,
                                      dyn["sanctions_pressure"], sq_dyn["sanctions_pressure"],
                                      bridge)
        traj = simulate_bridged(posterior, pairing, shift, rate, months=months,
                                seed=seeds["dynamics"])
        return PolicyOutcome(policy_id=policy_id, name=name, summary=summary, changes=changes,
                             bargaining=main, cross_check=cc, dialogue_shift=shift,
                             unsc_resolution_rate=rate, dynamics_levers=dyn,
                             trajectories=traj)

    status_quo = run(STATUS_QUO_ID, "Status quo (the scenario as written)",
                     "No policy applied: the reference of every bridge rule.", (),
                     sq_main, sq_cc, sq_dyn)
    outcomes = []
    for p in chosen:
        if _changes_nothing(p):
            main, cc = (dataclasses.replace(sq_main, policy_id=p.id),
                        None if sq_cc is None else dataclasses.replace(sq_cc, policy_id=p.id))
        else:
            say(f"bargaining: {p.id} ({model}, {draws} draws)")
            main, cc = bargain(applied[p.id], p.id)
        outcomes.append(run(p.id, p.name or p.id, (p.summary or "").strip(), policy_changes(p),
                            main, cc, _dynamics_values(applied[p.id])))

    # Scenario index (rule I), relative to the status quo's launches.
    sq_launches = float(status_quo.yearly_totals().sum(axis=1).mean())

    def with_index(o: PolicyOutcome) -> PolicyOutcome:
        pol = _polarisation(o.bargaining, applied.get(o.policy_id, scen))
        value, comp = scenario_index(float(o.yearly_totals().sum(axis=1).mean()), sq_launches,
                                     o.p_nuclear_within(), o.crisis_share(), pol, bridge)
        return dataclasses.replace(o, index=value, index_components=comp)

    return Comparison(
        scenario=scen, outcomes=tuple(with_index(o) for o in outcomes),
        status_quo=with_index(status_quo), horizon_months=int(horizon_months),
        draws=int(draws), seed=root, model=model, cross_check_engine=cross_check,
        bridge=bridge, posterior=posterior, start_month=str(status_quo.trajectories.months[0]),
        paths_per_draw=int(paths_per_draw), binding=binding)


@dataclass(frozen=True)
class SimulationPairing:
    """How simulated paths are paired with posterior draws and bargaining draws.

    ``samples`` holds ``draws × paths_per_draw`` posterior draws (picked with the
    ``posterior_pick`` stage seed); sample ``k`` is shifted by rule B1 with bargaining draw
    ``bargaining_draw[k] = k mod draws``. The same pairing serves every policy and every cell of
    :func:`detente.policy.sensitivity.bridge_grid` (common random numbers).
    """

    samples: Mapping[str, np.ndarray]
    bargaining_draw: np.ndarray

    @property
    def n_paths(self) -> int:
        return int(self.bargaining_draw.size)


def simulation_pairing(posterior: Any, root: int, draws: int,
                       paths_per_draw: int) -> SimulationPairing:
    """The pairing of :func:`compare` for root seed ``root`` (a pure function of its inputs)."""
    n_paths = int(draws) * int(paths_per_draw)
    pick = np.random.default_rng(stage_seed(root, "posterior_pick")).integers(
        0, posterior.n_draws, size=n_paths)
    return SimulationPairing(
        samples={k: np.asarray(v)[pick] for k, v in posterior.samples.items()},
        bargaining_draw=np.arange(n_paths) % int(draws))  # path j ↔ bargaining draw j mod draws


def simulate_bridged(posterior: Any, pairing: SimulationPairing, shift: np.ndarray, rate: float,
                     *, months: int, seed: int, levers: Mapping[str, float] | None = None) -> Any:
    """Simulate the paired paths of one policy: rule B1's per-draw ``shift`` (shape (draws,))
    on the entries into dialogue, rule B2's UNSC ``rate``, and any further simulation
    ``levers`` (the sensitivity grid sets ``dialogue_rate_ratio``)."""
    from detente.dynamics.simulate import simulate

    samples = dict(pairing.samples)
    samples["transition"] = shift_entry_into_dialogue(pairing.samples["transition"],
                                                      np.asarray(shift)[pairing.bargaining_draw])
    bridged = dataclasses.replace(posterior, samples=samples)
    return simulate(bridged, months=int(months),
                    levers={"unsc_resolution_rate": rate, **dict(levers or {})},
                    draws=pairing.n_paths, seed=seed)


def _polarisation(fc: Any, scen: Any) -> float:
    """Mean over :data:`POLARISATION_ISSUES` of the weighted spread of final positions."""
    arrays = scen.arrays()
    values = []
    for issue_id in POLARISATION_ISSUES:
        if issue_id not in fc.results:
            continue
        res = fc.results[issue_id]
        k = arrays.issue_ids.index(issue_id)
        idx = [arrays.actor_ids.index(a) for a in res.actor_ids]
        values.append(polarisation(arrays.capability[idx], arrays.salience[idx, k],
                                   res.positions[-1]))
    return float(np.mean(values)) if values else 0.0
