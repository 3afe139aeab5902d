"""Bueno de Mesquita's expected-utility group decision model, exact and vectorised.

Follows the reconstruction by Scholz, Calbert & Smith (2011) and its notation; the reference
specification is ``reference/bargaining/bdm/SPEC.md`` ("spec §n", ambiguities "A1…A14").
The default options are the **"Scholz code" variant**, the one that reproduces the paper's
Table 2 (the BDM 1994 EC emissions case), with capitulation implemented correctly.

Every choice the paper leaves open is an explicit field of :class:`BDMOptions`:

================  ====================  ===========================================================
option            default               alternatives (spec reference)
================  ====================  ===========================================================
probability       ``"scholz"``          ``"paper"``: eq. 30/31 as printed (§4a, A8)
compromise_key    ``"scholz"``          ``"signed"`` ([DM-I]), ``"least_movement"`` (paper prose) (§8, A7)
capitulation      ``"fixed"``           ``"never"``: [JM]'s always-false test, reproduces the public
                                        replication on every reference case (§7, A12)
q                 1.0                   any value in [0, 1] (Q, §5.2; the paper also mentions 0.5)
t                 None (derived)        a constant in [0, 1] (T, §5.2, A5)
range_rule        ``"fixed"``           ``"recomputed"`` each round (A6)
perception        ``"receiver"``        ``"own"``: E^j(U_ji) with r_j (§5.3, A9)
rounds            10                    τ ≥ 1 (§9)
stop_tolerance    None (fixed τ)        ε > 0: stop once every move < ε·R (§9b)
burn_in           0                     rounds discarded before the summary forecast
================  ====================  ===========================================================

Salience is used on **[0, 1]** here (it is a probability, spec §1); the scenario's 0–100
saliences are divided by 100 in :func:`scenario_point_results` / :func:`scenario_median_paths`.

References
----------
.. [1] Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De Mesquita's
   group decision model. *Journal of Theoretical Politics* 23(4), 510–531; ICAART 2011, 18–30.
.. [2] Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. In
   Stokman (ed.), *European Community Decision Making*, 71–104.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from detente.bargaining import _kernels as K
from detente.bargaining.montecarlo import EngineInputs
from detente.bargaining.result import (
    OFFER_COLUMNS,
    IssueResult,
    stop_reason,
    summarise_median_path,
)
from detente.bargaining.rules import constrain
from detente.errors import OptionsError, Problem
from detente.options import check_settings, setting, settings_from_mapping

_KIND_NAMES = {K.CONFRONTATION: "confrontation", K.COMPROMISE: "compromise",
               K.CAPITULATION: "capitulation"}


@dataclass(frozen=True)
class BDMOptions:
    """Settings of the BDM engine (validated on construction; see the module table).

    Raises
    ------
    OptionsError
        A field is out of range; the message names the field and the allowed values.
    """

    rounds: int = setting(10, interval=(1, 10_000), integer=True)
    probability: str = setting("scholz", choices=("scholz", "paper"))
    compromise_key: str = setting("scholz", choices=("scholz", "signed", "least_movement"))
    capitulation: str = setting("fixed", choices=("fixed", "never"))
    q: float = setting(1.0, interval=(0.0, 1.0),
                       words="a number in [0, 1] (1 = Scholz et al.'s choice)")
    t: float | None = setting(None, interval=(0.0, 1.0), optional=True,
                              words="a number in [0, 1], or None to derive T per dyad")
    range_rule: str = setting("fixed", choices=("fixed", "recomputed"))
    perception: str = setting("receiver", choices=("receiver", "own"))
    stop_tolerance: float | None = setting(
        None, interval=(0.0, math.inf), open_low=True, optional=True,
        words="a positive number (e.g. 1e-6), or None for fixed rounds")
    burn_in: int = setting(0, interval=(0, math.inf), integer=True)

    def __post_init__(self) -> None:
        check_settings(self, "bdm", "invalid BDM options")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> BDMOptions:
        """Options from a plain mapping (CLI, JSON); unknown keys are an OptionsError."""
        return settings_from_mapping(cls, values, "bdm")

    @classmethod
    def jmckib(cls, **changes: Any) -> BDMOptions:
        """The public replication [JM] exactly: Scholz code with capitulation never offered."""
        return cls(**{"capitulation": "never", **changes})

    @classmethod
    def paper(cls, **changes: Any) -> BDMOptions:
        """The paper's printed probability (eq. 30/31) with otherwise Scholz-code choices."""
        return cls(**{"probability": "paper", **changes})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _kernel_kwargs(self) -> dict[str, Any]:
        return {
            "rounds": int(self.rounds), "probability": self.probability,
            "compromise_key": self.compromise_key,
            "capitulation": self.capitulation == "fixed", "q": float(self.q),
            "t": None if self.t is None else float(self.t), "range_rule": self.range_rule,
            "perception": self.perception, "stop_tolerance": self.stop_tolerance,
        }


def _as_batch(
    capability: np.ndarray, position: np.ndarray, salience: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate engine inputs and give them a batch axis: (n,) → (1, n); (B, n) kept."""
    c = np.asarray(capability, dtype=float)
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    problems = []
    if not (c.shape == x.shape == s.shape) or c.ndim not in (1, 2) or c.shape[-1] < 1:
        problems.append(Problem(
            f"capability {c.shape}, position {x.shape}, salience {s.shape} do not match",
            path="inputs", allowed="three arrays of the same shape (n,) or (draws, n), n ≥ 1"))
        raise OptionsError("invalid BDM inputs", problems)
    for name, arr in (("capability", c), ("position", x), ("salience", s)):
        if not np.isfinite(arr).all():
            problems.append(Problem(f"{name} has non-finite values", path=name,
                                    allowed="finite numbers"))
    if (c < 0).any():
        problems.append(Problem("capability has negative values", path="capability",
                                allowed="numbers ≥ 0"))
    if ((s < 0) | (s > 1)).any():
        problems.append(Problem("salience outside [0, 1]", path="salience",
                                allowed="saliences on [0, 1] (divide 0–100 saliences by 100)"))
    if problems:
        raise OptionsError("invalid BDM inputs", problems)
    if c.ndim == 1:
        c, x, s = c[None], x[None], s[None]
    return c, x, s


def run_bdm(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    options: BDMOptions | None = None,
    *,
    record_offers: bool = False,
) -> K.Trajectories:
    """Run the model on one issue for a batch of draws (Scholz et al. 2011, Appendix steps 1–13).

    Parameters
    ----------
    capability, position, salience : ndarrays of shape (n,) or (n_draws, n)
        c_i ≥ 0 (any scale), x_i (any scale), s_i on [0, 1].
    options : BDMOptions, optional
        Defaults to the Scholz-code variant.
    record_offers : bool
        Keep every round's (n, n) offer matrices (for a single detailed run; off for Monte Carlo).

    Returns
    -------
    Trajectories
        Arrays with a leading draw axis (``(1, …)`` for 1-D inputs).
    """
    opts = options or BDMOptions()
    c, x, s = _as_batch(capability, position, salience)
    return K.simulate(c, x, s, record_offers=record_offers, **opts._kernel_kwargs())


def round_internals(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    options: BDMOptions | None = None,
) -> K.RoundState:
    """All quantities of round 1 (P, E(U), security, R_i, r_i, offers) for inspection and tests.

    Same inputs as :func:`run_bdm`; the range R is the initial range.
    """
    opts = options or BDMOptions()
    c, x, s = _as_batch(capability, position, salience)
    span = x.max(axis=1) - x.min(axis=1)
    kw = opts._kernel_kwargs()
    return K.bdm_round(
        x, c, s, np.where(span > 0, span, 1.0), probability=kw["probability"],
        compromise_key=kw["compromise_key"], capitulation=kw["capitulation"], q=kw["q"],
        t=kw["t"], perception=kw["perception"])


def offers_frame(traj: K.Trajectories, actor_ids: tuple[str, ...], draw: int = 0) -> pd.DataFrame:
    """Tidy table of every offer made in a recorded run (columns :data:`OFFER_COLUMNS`).

    ``eu_receiver`` is a = E^i(U_ij) and ``eu_proposer`` is b = E^i(U_ji), the two expected
    utilities that decided the offer (spec §7).
    """
    if traj.kind is None:
        raise ValueError("run_bdm(..., record_offers=True) is needed for the offers table")
    kind = traj.kind[draw]  # (rounds, i, j)
    t_idx, i_idx, j_idx = np.nonzero(kind)
    start = traj.positions[draw, :-1]  # positions at the start of each round
    ids = np.array(actor_ids, dtype=object)
    accepted = traj.proposer[draw][t_idx, i_idx] == j_idx
    frame = pd.DataFrame({
        "round": t_idx + 1,
        "receiver": ids[i_idx],
        "proposer": ids[j_idx],
        "kind": [_KIND_NAMES[k] for k in kind[t_idx, i_idx, j_idx]],
        "receiver_position": start[t_idx, i_idx],
        "proposer_position": start[t_idx, j_idx],
        "offered_position": traj.offered[draw][t_idx, i_idx, j_idx],
        "eu_receiver": traj.a[draw][t_idx, i_idx, j_idx],
        "eu_proposer": traj.b_eu[draw][t_idx, i_idx, j_idx],
        "accepted": accepted,
    }, columns=list(OFFER_COLUMNS))
    return frame


def bdm_issue(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    *,
    actor_ids: tuple[str, ...] | None = None,
    issue_id: str = "issue",
    options: BDMOptions | None = None,
) -> IssueResult:
    """One detailed run on one issue, as an :class:`IssueResult` with the offers table.

    Parameters
    ----------
    capability, position, salience : ndarrays of shape (n,)
        Saliences on [0, 1].
    actor_ids : tuple of str, optional
        Defaults to ``("A0", "A1", …)``.
    issue_id : str
    options : BDMOptions, optional
    """
    opts = options or BDMOptions()
    if np.ndim(position) != 1:
        raise OptionsError("bdm_issue runs one draw",
                           [Problem("position must be 1-D", path="position",
                                    allowed="an array of shape (n,); use run_bdm for batches")])
    n = int(np.shape(position)[0])
    ids = tuple(actor_ids) if actor_ids is not None else tuple(f"A{i}" for i in range(n))
    if len(ids) != n:
        raise OptionsError("actor_ids do not match the inputs",
                           [Problem(f"{len(ids)} ids for {n} actors", path="actor_ids",
                                    allowed=f"{n} actor ids")])
    traj = run_bdm(capability, position, salience, opts, record_offers=True)
    last = int(traj.rounds_run[0])
    forecast, low, high = summarise_median_path(traj.median[0, : last + 1], opts.burn_in)
    return IssueResult(
        model="bdm",
        issue_id=issue_id,
        actor_ids=ids,
        positions=traj.positions[0, : last + 1],
        median=traj.median[0, : last + 1],
        mean=traj.mean[0, : last + 1],
        forecast=float(forecast),
        cycle_low=float(low),
        cycle_high=float(high),
        offers=offers_frame(traj, ids).query("round <= @last").reset_index(drop=True),
        risk_exponent=traj.r[0, :last],
        extras={"security": traj.security[0, :last]},
        burn_in=opts.burn_in,
        stop=stop_reason(traj.positions[0, : last + 1],
                         limit_reached=opts.stop_tolerance is None or last == opts.rounds),
    )


# --- adapters from scenario inputs (0–100 saliences) --------------------------------------


def scenario_point_results(inputs: EngineInputs, options: BDMOptions) -> dict[str, IssueResult]:
    """Detailed run on the first draw of ``inputs`` for every issue (issue by issue: the model
    is one-dimensional). Saliences are divided by 100 (spec §1). Each issue's weights are its
    actors' influence there, and its decision rule constrains every round's outcome
    (:func:`detente.bargaining.rules.constrain`); the summary forecast is taken over the
    constrained outcomes."""
    out = {}
    for k, issue_id in enumerate(inputs.issue_ids):
        ids, c, x, s = inputs.issue(k)
        res = bdm_issue(c[0], x[0], s[0] / 100.0, actor_ids=ids, issue_id=issue_id,
                        options=options)
        rule, named, status_quo = inputs.rule_of(k)
        if rule != "collective":
            outcome = constrain(res.median, res.positions, rule, named, status_quo)
            forecast, low, high = summarise_median_path(outcome, options.burn_in)
            res = replace(res, rule=rule, outcome=outcome, forecast=float(forecast),
                          cycle_low=float(low), cycle_high=float(high))
        out[issue_id] = res
    return out


def scenario_median_paths(
    inputs: EngineInputs, options: BDMOptions
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Median-voter paths of every draw, issue by issue, as one batched array run per issue.

    Returns
    -------
    dict of issue id to (median_path, rounds_run)
        ``median_path`` of shape (n_draws, rounds + 1), ``rounds_run`` of shape (n_draws,).
    """
    # Issues with the same participating actors are stacked on the draw axis and run as one
    # batch (draws never interact, so this only saves numpy call overhead).
    groups: dict[bytes, list[int]] = {}
    for k in range(len(inputs.issue_ids)):
        groups.setdefault(inputs.issue_mask(k).tobytes(), []).append(k)
    out = {}
    B = inputs.n_draws
    for ks in groups.values():
        parts = [inputs.issue(k)[1:] for k in ks]
        c, x, s = (np.concatenate([p[i] for p in parts]) for i in range(3))
        traj = run_bdm(c, x, s / 100.0, options)
        for g, k in enumerate(ks):
            rows = slice(g * B, (g + 1) * B)
            median = traj.median[rows]
            rule, named, status_quo = inputs.rule_of(k)
            if rule != "collective":  # round 0 stays the input's median voter (never summarised)
                median = np.concatenate([median[:, :1], constrain(
                    median[:, 1:], traj.positions[rows, 1:], rule, named, status_quo)], axis=1)
            out[inputs.issue_ids[k]] = (median, traj.rounds_run[rows])
    return {issue_id: out[issue_id] for issue_id in inputs.issue_ids}


def _bytes_per_draw(n_actors: int, options: BDMOptions) -> int:
    """Peak working set of one draw of one issue: up to 12 actors the (voter, i, j) tensor of
    §4b (about 2 copies), above that the sorted prefix sums (a few (n, n) arrays), plus some
    40 (n, n) matrices of the round and the per-round history."""
    n = n_actors
    probability = 2 * n**3 if n <= K.DENSE_MAX_ACTORS else 8 * n**2
    return 8 * (probability + 40 * n**2 + 3 * n * (options.rounds + 1))


def _make_engine() -> Any:
    from detente.bargaining.forecast import Engine

    return Engine(
        name="bdm",
        title="Bueno de Mesquita expected-utility model (Scholz et al. 2011)",
        options_type=BDMOptions,
        point_results=scenario_point_results,
        median_paths=scenario_median_paths,
        bytes_per_draw=_bytes_per_draw,
    )


#: The registry entry :func:`detente.bargaining.forecast.forecast` uses for ``model="bdm"``.
ENGINE = _make_engine()
