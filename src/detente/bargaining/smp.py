"""KTAB's Spatial Model of Politics (SMP): a multi-dimensional bargaining engine.

The model of KTAB ``smpc`` (the KAPSARC Toolkit for Behavioral Analysis; public mirror
``lsyaseen/KTAB`` at c57b72a0) as specified in
``reference/bargaining/smp/SPEC.md``: actors hold positions in [0, 100]^M and saliences per
dimension; every turn each actor assesses challenging every other (a probabilistic Condorcet
election with third parties, SPEC §5), proposes a bargain to its best target (§6.2), and every
actor adopts the option its queue vote prefers (§6.4). The run stops when the state moves less
than 2 % of its first step (§9). With default options the positions equal KTAB's bit for bit on
KTAB's six shipped examples (tests/bargaining/test_smp_reference.py).

Options (KTAB's names in brackets; defaults are KTAB's CSV defaults)
--------------------------------------------------------------------
=========================  ==============================================================  ============
field                      meaning                                                         default
=========================  ==============================================================  ============
``voting_rule``            [VotingRule] vote of weight w between utilities a, b (§12):     proportional
                           proportional ``w(a−b)``, binary, prop-bin, prop-cubic, cubic,
                           asym-prospect
``victory_law``            [VictoryProbModel] P(m beats m') from coalition strengths:      linear
                           linear, square, quartic, octic, binary
``pce``                    [PCEModel] conditional, markov-uniform, markov-incentive        conditional
``risk_range``             [BigRRange] map of win probabilities to risk attitudes:         mid
                           mid [−0.5, 1], min [0, 1], max [−1, 1]
``risk_adjust``            [BigRAdjust] h's estimate of i's risk attitude:                 one-third
                           one-third ``(2R_h+R_i)/3``, none, half, two-thirds, full
``third_party_commit``     [ThirdPartyCommit] semi, full, none                             semi
``bargain_interpolation``  [InterVecBrgn] s2p2 (weights s²P²), s1p1, s2pmax                s2p2
``bargain_model``          [BargnModel] init-only, init-rcvr, pw-comp                      init-only
``fix_ktab_quirks``        use the probability (not KTAB's expected-gain slot) for the     False
                           target's view, and the target's own capability in pw-comp
``transitions``            [StateTransitions] deterministic (arg-max) or stochastic        deterministic
``transition_seed``        seed of the stochastic transitions (PCG64, not KTAB's PRNG)     KTAB's seed
``rounds``                 turn limit                                                      100
``stop_ratio``             stop when the step is below this share of the first step       0.02
``burn_in``                states skipped in the cycle range of the expected outcome       0
``salience_rule``          budget (:func:`ktab_saliences`) or as-is (ratings must already  budget
                           sum to at most 100 per actor, as in KTAB CSV files)
=========================  ==============================================================  ============

Saliences across issues
-----------------------
KTAB needs an actor's saliences to sum to at most 100 (an attention budget, SPEC §1); a détente
scenario rates each issue 0–100 on its own. :func:`ktab_saliences` applies one rule
everywhere: **an actor whose ratings sum to more than 100 spreads 100 points of attention over
its issues in proportion to its ratings; an actor within the budget keeps its ratings.** KTAB
CSV files always satisfy the budget (their loader enforces it), so their numbers pass unchanged,
and so does every one-issue run. The saliences used are part of the result
(:attr:`SMPRun.salience`, :attr:`SMPIssueResult.salience_used`).

References
----------
.. [1] KTAB SMP specification, ``reference/bargaining/smp/SPEC.md`` (sections cited as §n).
.. [2] KAPSARC, KTAB source code, ``examples/smp`` (public mirror ``lsyaseen/KTAB`` at
   c57b72a0743e8e88da128552c6f8e6459645c53e); read for the specification, not copied.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.bargaining import _smp_kernels as K
from detente.bargaining._kernels import weighted_median
from detente.bargaining.result import OFFER_COLUMNS, IssueResult
from detente.bargaining.rules import constrain
from detente.errors import OptionsError, Problem, ScenarioError
from detente.options import check_settings, setting, settings_from_mapping

#: KTAB's default PRNG seed (SPEC §11), used for stochastic transitions unless one is given.
KTAB_SEED = 0xD67CC16FE69C185C

#: Monte Carlo draws run in lockstep up to this many actors; above it, where queues can be
#: long and padding them costs more than it saves, one run per draw (each still O(N³)).
LOCKSTEP_MAX_ACTORS = 60

#: Name of the salience conversion rule, recorded in results and options.
SALIENCE_RULE = "attention budget: ratings summing above 100 are scaled to shares of 100"


@dataclass(frozen=True)
class SMPOptions:
    """Settings of the SMP engine (validated on construction; see the module table).

    Raises
    ------
    OptionsError
        A field is out of range; the message names the field and the allowed values.
    """

    rounds: int = setting(100, interval=(1, 10_000), integer=True,
                          words="an integer from 1 to 10000 (KTAB: 100)")
    burn_in: int = setting(0, interval=(0, math.inf), integer=True)
    voting_rule: str = setting("proportional", choices=(
        "proportional", "binary", "prop-bin", "prop-cubic", "cubic", "asym-prospect"))
    victory_law: str = setting("linear", choices=("linear", "square", "quartic", "octic",
                                                  "binary"))
    pce: str = setting("conditional", choices=("conditional", "markov-uniform",
                                               "markov-incentive"))
    risk_range: str = setting("mid", choices=("mid", "min", "max"))
    risk_adjust: str = setting("one-third", choices=("one-third", "none", "half", "two-thirds",
                                                     "full"))
    third_party_commit: str = setting("semi", choices=("semi", "full", "none"))
    bargain_interpolation: str = setting("s2p2", choices=("s2p2", "s1p1", "s2pmax"))
    bargain_model: str = setting("init-only", choices=("init-only", "init-rcvr", "pw-comp"))
    fix_ktab_quirks: bool = setting(False, flag=True)
    transitions: str = setting("deterministic", choices=("deterministic", "stochastic"))
    transition_seed: int = setting(KTAB_SEED, interval=(0, math.inf), integer=True)
    stop_ratio: float = setting(0.02, interval=(0.0, 1.0), open_low=True, open_high=True,
                                words="a number in (0, 1) (KTAB: 0.02)")
    salience_rule: str = setting("budget", choices=("budget", "as-is"))

    def __post_init__(self) -> None:
        check_settings(self, "smp", "invalid SMP options")

    def kernel_kwargs(self) -> dict[str, Any]:
        """The options in the kernel's vocabulary (:func:`_smp_kernels.simulate`)."""
        return {
            "rule": self.voting_rule, "law": self.victory_law, "pce": self.pce,
            "big_r_range": self.risk_range, "big_r_adjust": self.risk_adjust,
            "commit": self.third_party_commit, "scheme": self.bargain_interpolation,
            "bargain_model": self.bargain_model, "fix_ktab_quirks": self.fix_ktab_quirks,
            "transitions": self.transitions, "max_turns": int(self.rounds),
            "stop_ratio": float(self.stop_ratio),
        }


# ------------------------------------------------------------------------------------ saliences
def ktab_saliences(salience: np.ndarray) -> np.ndarray:
    """Convert per-issue 0–100 ratings to KTAB saliences summing to at most 100 per actor.

    The rule (one rule, used for every scenario and every Monte Carlo draw): an actor whose
    ratings sum to ``S > 100`` gets ``100 · s_k / S`` on issue k (shares of a full attention
    budget); an actor with ``S ≤ 100`` keeps its ratings. Both branches agree at S = 100, so
    the conversion is continuous. KTAB CSV files satisfy ``S ≤ 100`` (KTAB's own input rule)
    and one-issue runs always do, so their numbers pass unchanged.

    Parameters
    ----------
    salience : ndarray of shape (..., n, d)
        Ratings on 0–100 (0 where the actor is absent from an issue).

    Returns
    -------
    ndarray of shape (..., n, d)
        Saliences on KTAB's 0–100 scale, each actor's row summing to at most 100.
    """
    sal = np.asarray(salience, dtype=float)
    total = sal.sum(axis=-1, keepdims=True)
    over = total > 100.0
    scaled = 100.0 * sal / np.where(over, total, 1.0)
    return np.where(over, np.minimum(scaled, 100.0), sal)


# ------------------------------------------------------------------------------------ validation
def check_inputs(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
                 actor_ids: tuple[str, ...], dim_ids: tuple[str, ...],
                 file: str | None = None, min_actors: int = 3) -> None:
    """KTAB's input rules (SPEC §1) plus the two the model needs, as one ScenarioError.

    Rules: 3 ≤ N ≤ 250 actors; M ≥ 1 dimensions; positions and saliences in [0, 100]; an
    actor's saliences sum to at most 100; capability in (0, 1e8] (KTAB's reader accepts 0, but
    its model then fails: a vote weight must be > 0); every actor cares about something (total
    salience > 0). All numbers finite.
    """
    n, m = position.shape
    problems: list[Problem] = []

    def bad(msg: str, path: str, allowed: str) -> None:
        problems.append(Problem(msg, file=file, path=path, allowed=allowed))

    if not min_actors <= n <= 250:
        bad(f"{n} actors take part; KTAB's SMP needs {min_actors} to 250", "actors",
            f"{min_actors} to 250 actors (add actors, or drop some)")
    if m < 1:
        bad("no dimensions", "issues", "at least one issue")
    for a in range(n):
        who = actor_ids[a] if a < len(actor_ids) else str(a)
        cap = capability[a]
        if not np.isfinite(cap) or not 0.0 < cap <= 1e8:
            bad(f"capability {cap!r} of {who} is outside (0, 1e8]",
                f"actors[{a}].capability", "a number above 0 and at most 1e8")
        for k in range(m):
            dim = dim_ids[k] if k < len(dim_ids) else str(k)
            x, s = position[a, k], salience[a, k]
            if not np.isfinite(x) or not 0.0 <= x <= 100.0:
                bad(f"position {x!r} of {who} is outside [0, 100]",
                    f"actors[{a}].stances.{dim}.position", "a number from 0 to 100")
            if not np.isfinite(s) or not 0.0 <= s <= 100.0:
                bad(f"salience {s!r} of {who} is outside [0, 100]",
                    f"actors[{a}].stances.{dim}.salience", "a number from 0 to 100")
        total = float(np.sum(salience[a]))
        if np.isfinite(total) and total > 100.0 + 1e-9:
            bad(f"saliences of {who} sum to {total:g}, above 100",
                f"actors[{a}].stances", "saliences summing to at most 100 (KTAB's rule); "
                "détente scenarios are converted by smp.ktab_saliences")
        if np.isfinite(total) and total <= 0.0:
            bad(f"{who} has salience 0 on every issue, so it has no vote weight",
                f"actors[{a}].stances", "a salience above 0 on at least one issue, or drop "
                "the actor")
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ScenarioError(f"input breaks KTAB's SMP rules: {problems[0].message}{more}",
                            problems)


# ------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class SMPRun:
    """One SMP run over all its dimensions (the engine's native result).

    Attributes
    ----------
    actor_ids : tuple of str, length N
    dim_ids : tuple of str, length M
    capability : ndarray of shape (N,)
    salience : ndarray of shape (N, M)
        Saliences used, on KTAB's 0–100 scale (after :func:`ktab_saliences` for scenarios).
    positions : ndarray of shape (T + 1, N, M)
        Positions on 0–100 (``x · 100.0``, SPEC §10.1); row 0 is the input.
    win_prob : ndarray of shape (T + 1, N)
        Each actor's win probability per state (KTAB prints it with 4 decimals, SPEC §10.2).
    risk : ndarray of shape (T + 1, N)
        Risk attitudes R_i per state (SPEC §4).
    challenges : pandas.DataFrame
        One row per initiator per turn: ``turn, initiator, target, p, gain`` (the initiator's
        own estimate that it prevails and its expected gain, SPEC §5–6.1).
    bargains : pandas.DataFrame
        One row per bargain: ``turn, initiator, target, p_used, initiator_<dim>…,
        target_<dim>…, prob_initiator_queue, prob_target_queue, initiator_adopted,
        target_adopted`` (coordinates on 0–100; SPEC §6.2–6.4).
    status_quo_prob : ndarray of shape (T, N)
        Probability the status quo won each actor's queue vote.
    fractional_change : ndarray of shape (T,)
        KTAB's "fractional change compared to first step" per turn (SPEC §9).
    stop_reason : str
        ``"converged"`` or ``"turn-limit"``.
    outcome_positions : ndarray of shape (U, M)
        Unique positions of the final state (SPEC §7), 0–100.
    outcome_prob : ndarray of shape (U,)
        Probability that each wins (the final state's Condorcet election, SPEC §10.2).
    expected_path : ndarray of shape (T + 1, M)
        Probability-weighted expected outcome of every state.
    per_estimator : ndarray of shape (T + 1, N, N) or None
        ``[t, h, i]``: h's estimate of i's win probability (SPEC §10.3), when requested.
    """

    actor_ids: tuple[str, ...]
    dim_ids: tuple[str, ...]
    capability: np.ndarray
    salience: np.ndarray
    positions: np.ndarray
    win_prob: np.ndarray
    risk: np.ndarray
    challenges: pd.DataFrame
    bargains: pd.DataFrame
    status_quo_prob: np.ndarray
    fractional_change: np.ndarray
    stop_reason: str
    outcome_positions: np.ndarray
    outcome_prob: np.ndarray
    expected_path: np.ndarray
    per_estimator: np.ndarray | None = None

    @property
    def turns(self) -> int:
        """Number of turns run (``positions`` has one more state)."""
        return int(self.positions.shape[0] - 1)

    @property
    def expected_outcome(self) -> np.ndarray:
        """Probability-weighted expected outcome per dimension, shape (M,)."""
        return self.expected_path[-1]

    @property
    def modal_position(self) -> np.ndarray:
        """The most likely final position (first of equals), shape (M,)."""
        return self.outcome_positions[int(np.argmax(self.outcome_prob))]

    @property
    def modal_probability(self) -> float:
        """Its probability."""
        return float(np.max(self.outcome_prob))

    def forecast_frame(self) -> pd.DataFrame:
        """Per dimension: ``dim, start, expected, modal, modal_prob``."""
        return pd.DataFrame({
            "dim": list(self.dim_ids),
            "start": self.expected_path[0],
            "expected": self.expected_outcome,
            "modal": self.modal_position,
            "modal_prob": self.modal_probability,
        })

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready run: ids, positions and win probabilities per turn, the outcome."""
        return {"actors": list(self.actor_ids), "dims": list(self.dim_ids),
                "turns": self.turns, "stop_reason": self.stop_reason,
                "positions": self.positions.tolist(), "win_prob": self.win_prob.tolist(),
                "expected_by_turn": self.expected_path.tolist(),
                "modal_position": self.modal_position.tolist(),
                "modal_probability": self.modal_probability}

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: ``turn, actor, dim, position, win_prob`` (KTAB's VectorPosition table)."""
        t, n, m = self.positions.shape
        return pd.DataFrame({
            "turn": np.repeat(np.arange(t), n * m),
            "actor": np.tile(np.repeat(np.array(self.actor_ids, dtype=object), m), t),
            "dim": np.tile(np.array(self.dim_ids, dtype=object), t * n),
            "position": self.positions.ravel(),
            "win_prob": np.repeat(self.win_prob.ravel(), m),
        })


@dataclass(frozen=True)
class SMPIssueResult(IssueResult):
    """One dimension of an SMP run, in the result family every engine shares.

    The common fields mean: ``positions`` the actors' coordinates on this dimension per state;
    ``median``/``mean`` the capability×salience-weighted median voter and mean per state (as for
    BDM, for comparison); ``forecast`` the SMP's **probability-weighted expected outcome** of the
    final state; ``cycle_low``/``cycle_high`` the range of the expected outcome over the states
    after the input; ``offers`` two rows per bargain, one per party: ``receiver`` is that party,
    ``proposer`` its counterpart, ``kind`` ``"settles as initiator"`` or ``"settles as target"``,
    ``offered_position`` the bargain's coordinate for the receiver, ``eu_receiver`` the bargain's
    probability in the receiver's queue vote, ``eu_proposer`` the initiator's own estimate ``p``
    that it prevails, ``accepted`` whether the receiver adopted it; ``risk_exponent`` the risk
    attitudes R_i used in each turn.

    Attributes
    ----------
    expected_path : ndarray of shape (turns + 1,)
        Expected outcome of every state on this dimension.
    modal_position : float
        This dimension's coordinate of the most likely final position.
    modal_probability : float
        Probability of that position.
    win_prob : ndarray of shape (turns + 1, n)
        Actors' win probabilities per state (shared across the run's dimensions).
    salience_used : ndarray of shape (n,)
        KTAB-scale saliences on this dimension after :func:`ktab_saliences`.
    stop_reason : str
    """

    expected_path: np.ndarray = field(default_factory=lambda: np.zeros(0))
    modal_position: float = float("nan")
    modal_probability: float = float("nan")
    win_prob: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    salience_used: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stop_reason: str = ""

    def engine_summary(self) -> dict[str, Any]:
        """The SMP-only fields for JSON output: modal position and probability, the expected
        outcome per state, the stopping reason and the KTAB-scale saliences used."""
        return {
            "modal_position": self.modal_position,
            "modal_probability": self.modal_probability,
            "expected_by_turn": self.expected_path.tolist(),
            "stop_reason": self.stop_reason,
            "salience_used": dict(zip(self.actor_ids, self.salience_used.tolist(), strict=True)),
        }


# ------------------------------------------------------------------------------------ the run
def run_smp(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    options: SMPOptions | Mapping[str, Any] | None = None,
    *,
    actor_ids: tuple[str, ...] | None = None,
    dim_ids: tuple[str, ...] | None = None,
    per_estimator: bool = False,
    file: str | None = None,
    min_actors: int = 3,
) -> SMPRun:
    """Run KTAB's SMP on arrays in KTAB's units.

    Parameters
    ----------
    capability : ndarray of shape (N,)
        Capabilities ("Power"/"Influence"), used as given (SPEC §0).
    position : ndarray of shape (N, M)
        Positions on 0–100.
    salience : ndarray of shape (N, M)
        Saliences on 0–100, each actor's row summing to at most 100 (KTAB's rule; use
        :func:`ktab_saliences` for per-issue ratings).
    options : SMPOptions or mapping, optional
    actor_ids, dim_ids : tuple of str, optional
        Names for the output (default ``"0"…``).
    per_estimator : bool
        Also compute every actor's estimate of every win probability (SPEC §10.3; O(N⁴)).
    file : str, optional
        Input file named in error messages.

    Returns
    -------
    SMPRun

    Raises
    ------
    ScenarioError
        The input breaks one of KTAB's rules (:func:`check_inputs`), or the state is
        degenerate (every actor equally likely to win, so risk attitudes are undefined).
    """
    opts = _options(options)
    cap = np.asarray(capability, dtype=float)
    pos = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    if pos.ndim != 2 or sal.shape != pos.shape or cap.shape != pos.shape[:1]:
        raise ScenarioError(
            "SMP input arrays do not fit together",
            [Problem(f"capability {cap.shape}, position {pos.shape}, salience {sal.shape}",
                     file=file, path="arrays",
                     allowed="capability (N,), position and salience (N, M)")])
    n, m = pos.shape
    ids = tuple(actor_ids) if actor_ids is not None else tuple(str(i) for i in range(n))
    dims = tuple(dim_ids) if dim_ids is not None else tuple(f"dim{k}" for k in range(m))
    if len(ids) != n or len(dims) != m:
        raise ScenarioError(
            "SMP names do not fit the arrays",
            [Problem(f"{len(ids)} actor ids for {n} actors, {len(dims)} dimension ids for {m}",
                     file=file, path="actor_ids", allowed="one id per row and per column")])
    trace = _trace(cap, pos, sal, opts, ids, dims, file, per_estimator, min_actors=min_actors)
    return _package(trace, ids, dims, cap, sal)


def _trace(cap: np.ndarray, pos: np.ndarray, sal: np.ndarray, opts: SMPOptions,
           ids: tuple[str, ...], dims: tuple[str, ...], file: str | None,
           per_estimator: bool = False, min_actors: int = 3) -> K.SMPTrace:
    """Check KTAB's input rules and run the kernel (0–100 inputs, KTAB saliences).

    ``min_actors`` is 3 (KTAB's rule) except for a ``bilateral`` issue, which the two named
    actors bargain alone (the kernel's arithmetic holds for two)."""
    check_inputs(cap, pos, sal, ids, dims, file, min_actors=min_actors)
    rng = (np.random.default_rng(opts.transition_seed)
           if opts.transitions == "stochastic" else None)
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            return K.simulate(cap, pos / 100.0, sal / 100.0, rng=rng,
                              per_estimator=per_estimator, **opts.kernel_kwargs())
    except K.DegenerateStateError as err:
        raise ScenarioError(
            "SMP cannot run: every actor is equally likely to win, so risk attitudes are 0/0",
            [Problem("all actors' positions are equivalent for the vote (identical actors or "
                     "identical positions)", file=file, path="actors",
                     allowed="actors that differ in position or capability")],
        ) from err


def _options(options: SMPOptions | Mapping[str, Any] | None) -> SMPOptions:
    if options is None:
        return SMPOptions()
    if isinstance(options, SMPOptions):
        return options
    if isinstance(options, Mapping):
        return settings_from_mapping(SMPOptions, options, "smp")
    raise OptionsError("SMP options must be a mapping or SMPOptions",
                       [Problem(f"got {type(options).__name__}", path="options",
                                allowed="dict or SMPOptions")])


def _package(trace: K.SMPTrace, ids: tuple[str, ...], dims: tuple[str, ...],
             cap: np.ndarray, sal: np.ndarray) -> SMPRun:
    """Turn the kernel's trace into an :class:`SMPRun` on the 0–100 scale."""
    positions = trace.positions * 100.0
    turns = positions.shape[0] - 1
    expected = np.stack([K.expected_position(cp, positions[t, reps])
                         for t, (reps, cp) in enumerate(trace.classes)])
    reps, class_prob = trace.classes[-1]
    m = positions.shape[2]
    id_arr = np.array(ids, dtype=object)
    turn_idx, init_idx = np.nonzero(trace.target >= 0)
    challenges = pd.DataFrame({
        "turn": turn_idx + 1,
        "initiator": id_arr[init_idx],
        "target": id_arr[trace.target[turn_idx, init_idx]],
        "p": trace.challenge_p[turn_idx, init_idx],
        "gain": trace.challenge_gain[turn_idx, init_idx],
    })
    sizes = [b.shape[0] for b in trace.bargains]
    barg = (np.concatenate(trace.bargains) if sum(sizes) else np.zeros((0, 3 + 2 * m)))
    qprob = (np.concatenate(trace.bargain_queue_prob) if sum(sizes) else np.zeros((0, 2)))
    b_turn = np.repeat(np.arange(turns), sizes)
    b_local = np.concatenate([np.arange(s) for s in sizes]) if sizes else np.zeros(0, int)
    b_i = barg[:, 0].astype(int)
    b_j = barg[:, 1].astype(int)
    bargains = pd.DataFrame({
        "turn": b_turn + 1, "initiator": id_arr[b_i], "target": id_arr[b_j],
        "p_used": barg[:, 2],
        **{f"initiator_{d}": barg[:, 3 + k] * 100.0 for k, d in enumerate(dims)},
        **{f"target_{d}": barg[:, 3 + m + k] * 100.0 for k, d in enumerate(dims)},
        "prob_initiator_queue": qprob[:, 0], "prob_target_queue": qprob[:, 1],
        "initiator_adopted": trace.adopted[b_turn, b_i] == b_local,
        "target_adopted": trace.adopted[b_turn, b_j] == b_local,
    })
    return SMPRun(
        actor_ids=ids, dim_ids=dims, capability=cap.copy(), salience=sal.copy(),
        positions=positions, win_prob=trace.win_prob, risk=trace.risk,
        challenges=challenges, bargains=bargains,
        status_quo_prob=trace.status_quo_prob, fractional_change=trace.fractional_change,
        stop_reason=trace.stop_reason, outcome_positions=positions[-1, reps],
        outcome_prob=class_prob, expected_path=expected, per_estimator=trace.per_estimator,
    )


# ------------------------------------------------------------------------------------ scenario face
def run_scenario_arrays(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
                        present: np.ndarray, actor_ids: tuple[str, ...],
                        issue_ids: tuple[str, ...], options: SMPOptions,
                        min_actors: int = 3) -> tuple[SMPRun, np.ndarray]:
    """Run the SMP on one draw of a détente scenario's arrays (ratings per issue, 0–100).

    Actors absent from every issue of the run are left out (they have no vote weight). An
    actor absent from one issue of a multi-issue run sits, on that issue, at the
    capability×salience-weighted median of those present, with salience 0 (it takes no side).

    Returns
    -------
    run : SMPRun
    taking_part : bool ndarray of shape (n,)
        The actors that took part (rows of ``run``).
    """
    cap, pos, sal_ktab, taking_part = _scenario_inputs(capability, position, salience,
                                                       present, options)
    keep = np.flatnonzero(taking_part)
    run = run_smp(cap, pos, sal_ktab, options, actor_ids=tuple(actor_ids[i] for i in keep),
                  dim_ids=tuple(issue_ids), min_actors=min_actors)
    return run, taking_part


def _scenario_inputs(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
                     present: np.ndarray, options: SMPOptions,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rule of :func:`run_scenario_arrays`: who takes part, absent placements, saliences.

    ``capability`` (..., n), ``position`` and ``salience`` (..., n, d) may carry a leading draw
    axis; ``present`` (n, d) is shared.
    """
    present = np.asarray(present, dtype=bool)
    taking_part = present.any(axis=1)
    cap = np.asarray(capability, dtype=float)
    pos = np.array(position, dtype=float)
    sal = np.where(present, np.asarray(salience, dtype=float), 0.0)
    batch = cap.shape[:-1]
    for k in range(pos.shape[-1]):
        here = present[:, k]
        if not here.all():
            w = (cap[..., here] * sal[..., here, k]).reshape(-1, int(here.sum()))
            centre = weighted_median(pos[..., here, k].reshape(w.shape), w).reshape(batch)
            pos[..., ~here, k] = np.asarray(centre)[..., None]
    keep = np.flatnonzero(taking_part)
    sal = sal[..., keep, :]
    sal_ktab = ktab_saliences(sal) if options.salience_rule == "budget" else sal
    return cap[..., keep], pos[..., keep, :], sal_ktab, taking_part


def _breaks_rules(cap: np.ndarray, pos: np.ndarray, sal: np.ndarray,
                  min_actors: int = 3) -> np.ndarray:
    """Per draw, whether :func:`check_inputs` would raise (vectorised), shape (B,)."""
    n = pos.shape[-2]
    bad = np.full(cap.shape[0], not min_actors <= n <= 250)
    bad |= ~np.all(np.isfinite(cap) & (cap > 0) & (cap <= 1e8), axis=-1)
    bad |= ~np.all(np.isfinite(pos) & (pos >= 0) & (pos <= 100), axis=(-2, -1))
    bad |= ~np.all(np.isfinite(sal) & (sal >= 0) & (sal <= 100), axis=(-2, -1))
    total = sal.sum(axis=-1)
    bad |= np.any((total > 100.0 + 1e-9) | (total <= 0.0), axis=-1)
    return bad


def issue_results(run: SMPRun, present: np.ndarray, burn_in: int = 0) -> dict[str, SMPIssueResult]:
    """Split an :class:`SMPRun` into one :class:`SMPIssueResult` per dimension.

    ``present`` (n_run, M) says which of the run's actors take part in each issue; the others
    are left out of that issue's result.
    """
    out: dict[str, SMPIssueResult] = {}
    for k, dim in enumerate(run.dim_ids):
        mask = np.asarray(present[:, k], dtype=bool)
        ids = tuple(a for a, keep in zip(run.actor_ids, mask, strict=True) if keep)
        pos = run.positions[:, mask, k]
        w = np.broadcast_to(run.capability[mask] * run.salience[mask, k], pos.shape)
        median = weighted_median(pos, w)
        total = w.sum(axis=1)
        mean = np.where(total > 0, (w * pos).sum(axis=1) / np.where(total > 0, total, 1.0),
                        pos.mean(axis=1))
        path = run.expected_path[:, k]
        window = path[min(burn_in + 1, run.turns):] if run.turns else path
        out[dim] = SMPIssueResult(
            model="smp", issue_id=dim, actor_ids=ids, positions=pos, median=median, mean=mean,
            forecast=float(path[-1]), cycle_low=float(window.min()),
            cycle_high=float(window.max()), offers=_offers(run, dim, k, mask),
            risk_exponent=run.risk[:-1][:, mask],
            extras={"win_prob": run.win_prob[:, mask],
                    "fractional_change": run.fractional_change},
            burn_in=burn_in, expected_path=path, modal_position=float(run.modal_position[k]),
            modal_probability=run.modal_probability, win_prob=run.win_prob[:, mask],
            salience_used=run.salience[mask, k], stop_reason=run.stop_reason,
        )
    return out


def _offers(run: SMPRun, dim: str, k: int, mask: np.ndarray) -> pd.DataFrame:
    """The bargains on dimension ``dim`` as rows of the common offers table (two per bargain)."""
    index = {a: i for i, a in enumerate(run.actor_ids)}
    rows = []
    for rec in run.bargains.to_dict(orient="records"):
        i, j, t = rec["initiator"], rec["target"], rec["turn"]
        for side, who, other in (("initiator", i, j), ("target", j, i)):
            if not mask[index[who]]:
                continue
            rows.append({
                "round": t, "receiver": who, "proposer": other, "kind": f"settles as {side}",
                "receiver_position": run.positions[t - 1, index[who], k],
                "proposer_position": run.positions[t - 1, index[other], k],
                "offered_position": rec[f"{side}_{dim}"],
                "eu_receiver": rec[f"prob_{side}_queue"],
                "eu_proposer": rec["p_used"],
                "accepted": rec[f"{side}_adopted"],
            })
    return pd.DataFrame(rows, columns=list(OFFER_COLUMNS))


def run_scenario(scenario: Any, options: SMPOptions | Mapping[str, Any] | None = None,
                 issue: str | None = None) -> SMPRun:
    """The SMP's native multi-dimensional run on a Scenario's point values.

    Parameters
    ----------
    scenario : Scenario
        From :func:`detente.load_scenario` (YAML, plain CSV or KTAB CSV).
    options : SMPOptions or mapping, optional
    issue : str, optional
        Run on this issue alone (one dimension).
    """
    arrays = scenario.arrays(issue=issue)
    run, _ = run_scenario_arrays(np.asarray(arrays.capability, dtype=float),
                                 np.asarray(arrays.position, dtype=float),
                                 np.asarray(arrays.salience, dtype=float),
                                 np.asarray(arrays.present, dtype=bool),
                                 tuple(arrays.actor_ids), tuple(arrays.issue_ids),
                                 _options(options))
    return run


# ------------------------------------------------------------------------------------ engine
def _runs(inputs: Any) -> list[tuple[tuple[int, ...], np.ndarray, np.ndarray, int]]:
    """How the issues of a scenario are run: ``(issue indices, capability per draw (B, n),
    present (n, d_run), min_actors)`` per SMP run.

    Issues decided collectively, by one actor or by vetoes, with no issue-specific influence,
    are bargained together in one multi-dimensional run (KTAB's model, with the linkage between
    issues that only SMP has); with every issue so, this is exactly the published model. An
    issue with its own ``influence`` is bargained alone with those influences as the vote
    weights (one capability per actor cannot carry two clouts), and a ``bilateral`` issue alone
    by its two actors (docs/decision-rules.md).
    """
    n_issues = len(inputs.issue_ids)
    joint = [k for k in range(n_issues)
             if not inputs.has_influence[:, k].any() and inputs.rules[k][0] != "bilateral"]
    out: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, int]] = []
    if joint:
        out.append((tuple(joint), np.asarray(inputs.capability, dtype=float),
                    np.asarray(inputs.present, dtype=bool)[:, joint], 3))
    for k in range(n_issues):
        if k in joint:
            continue
        mask = inputs.issue_mask(k)
        out.append(((k,), np.asarray(inputs.influence[:, :, k], dtype=float), mask[:, None],
                    2 if inputs.rules[k][0] == "bilateral" else 3))
    return out


def _budgeted(inputs: Any, options: SMPOptions, runs: list[Any]) -> np.ndarray:
    """Saliences for the runs of :func:`_runs`, shape (B, n, d).

    The attention budget (:func:`ktab_saliences`) belongs to the actor across all its issues,
    so when the issues are split into several runs each run gets the saliences budgeted over
    every issue (a run over part of them then leaves them unchanged). A single joint run gets
    the ratings as they are and budgets them itself, exactly as the published model."""
    if len(runs) == 1:
        return inputs.salience
    sal = np.where(inputs.present[None], inputs.salience, 0.0)
    if options.salience_rule == "budget":
        return ktab_saliences(sal)
    over = np.argwhere(sal.sum(axis=-1) > 100.0 + 1e-9)  # as-is: the budget still holds
    if over.size:
        b = int(over[0, 0])
        check_inputs(inputs.capability[b], inputs.position[b], sal[b], tuple(inputs.actor_ids),
                     tuple(inputs.issue_ids))
    return inputs.salience


def _with_rule(res: SMPIssueResult, inputs: Any, k: int, burn_in: int) -> SMPIssueResult:
    """The issue's result under its decision rule and with its honest stop reason: every turn's
    expected outcome constrained (:func:`detente.bargaining.rules.constrain`), and an
    oscillating run summarised over its oscillation (:func:`summarise_outcome`)."""
    rule, named, status_quo = inputs.rule_of(k)
    path = res.expected_path
    outcome = None
    if rule != "collective":
        outcome = constrain(path, res.positions, rule, named, status_quo)
        path = outcome
    forecast, low, high, stop = summarise_outcome(path, res.positions, burn_in,
                                                  res.stop_reason == "turn-limit")
    return dataclasses.replace(res, rule=rule, outcome=outcome, forecast=forecast,
                               cycle_low=low, cycle_high=high, stop=stop)


def summarise_outcome(path: np.ndarray, positions: np.ndarray, burn_in: int,
                      limit_reached: bool) -> tuple[float, float, float, str]:
    """The summary forecast, range and stop reason of one SMP issue's per-turn outcome.

    A run that settled (fixed point, consensus, or a tail whose outcome moves less than
    :data:`OSCILLATION_POINTS` at each step) is summarised by its final state's outcome, as KTAB
    reports it. A run whose outcome keeps reversing by more than that — at least three
    reversals in the last :data:`OSCILLATION_WINDOW` turns, even when KTAB's stopping rule on
    positions says "converged" — is reported as ``oscillating`` and summarised, like a cycling
    BDM run, by the median outcome over those turns, with their range.
    """
    from detente.bargaining.result import stop_reason

    turns = path.shape[0] - 1
    stop = stop_reason(positions, limit_reached)
    window = path[min(burn_in + 1, turns):] if turns else path
    tail = path[max(1, turns - OSCILLATION_WINDOW):]
    steps = np.diff(tail)
    big = steps[np.abs(steps) > OSCILLATION_POINTS]
    reversals = int(np.sum(np.sign(big[1:]) != np.sign(big[:-1]))) if big.size > 1 else 0
    if reversals >= 3 and not stop.startswith("cycle"):
        first = turns - len(tail) + 1
        stop = (f"oscillating (outcome {tail.min():.1f}–{tail.max():.1f} over turns "
                f"{first}–{turns})")
        return float(np.median(tail)), float(tail.min()), float(tail.max()), stop
    if stop.startswith("cycle"):
        period = int(stop.split("period ")[1].split(",")[0])
        cyc = path[-period:]
        return float(np.median(cyc)), float(cyc.min()), float(cyc.max()), stop
    return float(path[-1]), float(window.min()), float(window.max()), stop


#: An SMP outcome that moves by more than this many points per turn, reversing at least three
#: times in the last :data:`OSCILLATION_WINDOW` turns, has not settled (:func:`summarise_outcome`).
OSCILLATION_POINTS = 0.5
OSCILLATION_WINDOW = 10


def _point_results(inputs: Any, options: SMPOptions) -> dict[str, IssueResult]:
    """Detailed run on draw 0 of ``inputs`` (an EngineInputs batch), per issue, under each
    issue's decision rule (:func:`_runs` says which issues are bargained together)."""
    out: dict[str, IssueResult] = {}
    runs = _runs(inputs)
    salience = _budgeted(inputs, options, runs)
    for ks, cap, present, min_actors in runs:
        cols = list(ks)
        run, taking_part = run_scenario_arrays(
            cap[0], inputs.position[0][:, cols], salience[0][:, cols], present,
            tuple(inputs.actor_ids), tuple(inputs.issue_ids[k] for k in ks), options,
            min_actors=min_actors)
        results = issue_results(run, present[taking_part], options.burn_in)
        for k in ks:
            issue_id = inputs.issue_ids[k]
            out[issue_id] = _with_rule(results[issue_id], inputs, k, options.burn_in)
    return {issue_id: out[issue_id] for issue_id in inputs.issue_ids}


def _median_paths(inputs: Any, options: SMPOptions) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per issue and draw: ``(start median-voter position, final outcome)``.

    The summary of each draw is its final state's expected outcome under the issue's decision
    rule; the path handed to the common summariser is therefore two states long
    (``rounds_run = 1``), and column 0 is the input's capability×salience-weighted median voter
    (the same start as BDM reports). With default-family options all draws run in lockstep
    (:func:`_smp_kernels.simulate_batch`); otherwise one after the other.
    """
    paths: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    runs = _runs(inputs)
    salience = _budgeted(inputs, options, runs)
    for ks, cap_all, present, min_actors in runs:
        cols = list(ks)
        issue_ids = tuple(inputs.issue_ids[k] for k in ks)
        sub = _run_paths(cap_all, inputs.position[:, :, cols], salience[:, :, cols],
                         present, tuple(inputs.actor_ids), issue_ids, options, min_actors)
        for k, issue_id in zip(ks, issue_ids, strict=True):
            start, final, final_pos = sub[issue_id]
            rule, named, status_quo = inputs.rule_of(k)
            final = constrain(final, final_pos, rule, named, status_quo)
            paths[issue_id] = (np.column_stack([start, final]),
                               np.ones(inputs.n_draws, dtype=int))
    return {issue_id: paths[issue_id] for issue_id in inputs.issue_ids}


def _run_paths(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
               present: np.ndarray, actor_ids: tuple[str, ...], issue_ids: tuple[str, ...],
               options: SMPOptions, min_actors: int
               ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One SMP run over ``issue_ids`` for every draw: per issue ``(start median (B,), final
    expected outcome (B,), final positions of the issue's actors (B, m))``."""
    n_draws = capability.shape[0]
    cap, pos, sal, taking_part = _scenario_inputs(capability, position, salience, present,
                                                  options)
    ids = tuple(a for a, keep in zip(actor_ids, taking_part, strict=True) if keep)
    broken = np.flatnonzero(_breaks_rules(cap, pos, sal, min_actors))
    if broken.size:  # the first broken draw, with KTAB's located messages
        check_inputs(cap[broken[0]], pos[broken[0]], sal[broken[0]], ids, issue_ids,
                     min_actors=min_actors)
    lockstep = (options.pce == "conditional" and options.bargain_model == "init-only"
                and options.transitions == "deterministic" and len(ids) <= LOCKSTEP_MAX_ACTORS)
    if lockstep:  # all draws as one array program (bit-identical to one run per draw)
        kw = options.kernel_kwargs()
        try:
            with np.errstate(invalid="ignore", divide="ignore"):
                final, class_prob, _ = K.simulate_batch(
                    cap, pos / 100.0, sal / 100.0, rule=kw["rule"], law=kw["law"],
                    big_r_range=kw["big_r_range"], big_r_adjust=kw["big_r_adjust"],
                    commit=kw["commit"], scheme=kw["scheme"], max_turns=kw["max_turns"],
                    stop_ratio=kw["stop_ratio"])
        except K.DegenerateStateError as err:
            raise ScenarioError(
                "SMP cannot run on a draw: every actor is equally likely to win",
                [Problem("all actors' positions are equivalent for the vote", path="actors",
                         allowed="actors that differ in position or capability")]) from err
        expected = K.expected_position(class_prob, final * 100.0)        # (B, M)
        final_pos = final * 100.0
    else:         # options the lockstep kernel does not cover: one run per draw
        expected = np.empty((n_draws, len(issue_ids)))
        final_pos = np.empty(pos.shape)
        for b in range(n_draws):
            trace = _trace(cap[b], pos[b], sal[b], options, ids, issue_ids, None,
                           min_actors=min_actors)
            reps, cp = trace.classes[-1]
            final_pos[b] = trace.positions[-1] * 100.0
            expected[b] = K.expected_position(cp, trace.positions[-1, reps] * 100.0)
    start_pos = (pos / 100.0) * 100.0    # as reported (x · 100.0), like issue_results
    mask = present[taking_part]
    out = {}
    for k, issue_id in enumerate(issue_ids):   # same numbers as issue_results, no frames
        m = mask[:, k]
        start = weighted_median(start_pos[:, m, k], cap[:, m] * sal[:, m, k])
        out[issue_id] = (start, expected[:, k], final_pos[:, m, k])
    return out


def _bytes_per_draw(n_actors: int, options: SMPOptions) -> int:
    """Cache working set of one draw in the lockstep kernel, as the chunk sizer uses it.

    The forecast verb sizes chunks as ``CHUNK_BYTES // (bytes_per_draw × issues)`` so that a
    chunk's arrays stay in cache. One SMP run covers all issues at once, and its hot arrays
    are the (N, N, K + 1, K + 1) queue-vote tables with queues of K ≈ 3 bargains: 16 N² cells.
    (The whole run holds about 40 N² + 6 N² (K + 1)² cells per draw; at the chunk sizes this
    gives, that stays in tens of megabytes up to :data:`LOCKSTEP_MAX_ACTORS` actors.)
    """
    return int(8 * 16 * n_actors * n_actors)


def _engine() -> Any:
    from detente.bargaining.forecast import Engine  # the registry module imports engines lazily

    return Engine(
        name="smp",
        title="KTAB Spatial Model of Politics (multi-dimensional, probabilistic Condorcet)",
        options_type=SMPOptions,
        point_results=_point_results,
        median_paths=_median_paths,
        bytes_per_draw=_bytes_per_draw,
    )


#: The engine as :mod:`detente.bargaining.forecast` registers it (``"smp"``).
ENGINE = _engine()
