"""Monte Carlo inputs for the bargaining engines (shared by BDM and SMP).

Every number in a scenario may carry a ``range: [lo, hi]`` (docs/scenario-format.md). A Monte
Carlo run samples each of them, independently, once per draw, and runs the engine on the whole
batch as one array program. This module turns the scenario's arrays into an
:class:`EngineInputs` batch; engines never see a Scenario.

Distribution
------------
Default: **triangular on [lo, hi] with its mode at the stated value**. The analyst's value is
the best estimate and the range is the plausible interval, so the density should peak at the
value and vanish at the ends; a uniform (``distribution="uniform"``) treats every point of the
range as equally likely and is offered for sensitivity runs. A number with no range
(lo == hi == value) is kept fixed.

Optionally a global perturbation ``±perturbation`` (points on the 0–100 scale) is added to every
position and salience, uniform on ``[-perturbation, +perturbation]``, after range sampling,
then clipped to [0, 100]; this expresses "every judgement is uncertain by about this much".

Reproducibility
---------------
``numpy.random.SeedSequence(seed).spawn(4)`` gives one independent stream each for capability,
position, salience and perturbation. **All uniforms are drawn up front** for the whole run, so
the numbers do not depend on how the engine run is chunked, and the same seed gives the same
inputs under any policy (common random numbers: policies are compared on the same draws).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from detente.errors import OptionsError, Problem
from detente.limits import draw_problem
from detente.options import check_arguments, constraint

Distribution = Literal["triangular", "uniform"]


@dataclass(frozen=True)
class EngineInputs:
    """A batch of engine inputs over all issues of a scenario.

    Attributes
    ----------
    actor_ids : tuple of str, length n
    issue_ids : tuple of str, length d
    capability : ndarray of shape (n_draws, n)
    position : ndarray of shape (n_draws, n, d), on the scenario's 0–100 scale
    salience : ndarray of shape (n_draws, n, d), on the scenario's 0–100 scale (engines that
        need 0–1, like BDM, divide by 100 in their adapter)
    present : bool ndarray of shape (n, d)
        False where an issue lists the actor as absent; those entries are ignored.
    influence : ndarray of shape (n_draws, n, d)
        Each actor's clout per issue: the stance's ``influence`` where the scenario gives one,
        else the same draw's capability (so without any ``influence`` every column is the
        capability, bit for bit).
    has_influence : bool ndarray of shape (n, d)
    status_quo : ndarray of shape (d,)
        NaN where an issue gives none.
    rules : tuple of (str, tuple of int), length d
        Each issue's decision rule and the actor indices it names (:mod:`.rules`).
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    present: np.ndarray
    influence: np.ndarray | None = None
    has_influence: np.ndarray | None = None
    status_quo: np.ndarray | None = None
    rules: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def __post_init__(self) -> None:
        n_issues = len(self.issue_ids)
        if self.influence is None:  # every issue uses the global capability
            object.__setattr__(self, "influence", np.repeat(
                self.capability[:, :, None], n_issues, axis=2))
        if self.has_influence is None:
            object.__setattr__(self, "has_influence", np.zeros(self.present.shape, dtype=bool))
        if self.status_quo is None:
            object.__setattr__(self, "status_quo", np.full(n_issues, np.nan))
        if not self.rules:
            object.__setattr__(self, "rules", tuple(("collective", ()) for _ in self.issue_ids))

    @property
    def collective(self) -> bool:
        """True when every issue is decided collectively with the global capability: the
        engines then run exactly as published."""
        return (not bool(np.any(self.has_influence))
                and all(rule == "collective" for rule, _ in self.rules))

    @property
    def n_draws(self) -> int:
        return int(self.capability.shape[0])

    @classmethod
    def from_arrays(cls, arrays: Any) -> EngineInputs:
        """The scenario's point values as a batch of one draw.

        Parameters
        ----------
        arrays : ScenarioArrays
            From ``Scenario.arrays()`` (any object with its fields).
        """
        influence = getattr(arrays, "influence", None)
        return cls(
            actor_ids=tuple(arrays.actor_ids),
            issue_ids=tuple(arrays.issue_ids),
            capability=np.asarray(arrays.capability, dtype=float)[None, :],
            position=np.asarray(arrays.position, dtype=float)[None, :, :],
            salience=np.asarray(arrays.salience, dtype=float)[None, :, :],
            present=np.asarray(arrays.present, dtype=bool),
            influence=None if influence is None else np.asarray(influence, dtype=float)[None],
            has_influence=getattr(arrays, "has_influence", None),
            status_quo=getattr(arrays, "status_quo", None),
            rules=tuple(getattr(arrays, "rules", ()) or ()),
        )

    def take(self, draws: slice) -> EngineInputs:
        """The sub-batch ``draws`` (a slice of the draw axis)."""
        return EngineInputs(
            actor_ids=self.actor_ids,
            issue_ids=self.issue_ids,
            capability=self.capability[draws],
            position=self.position[draws],
            salience=self.salience[draws],
            present=self.present,
            influence=self.influence[draws],
            has_influence=self.has_influence,
            status_quo=self.status_quo,
            rules=self.rules,
        )

    def issue_mask(self, k: int) -> np.ndarray:
        """The actors that bargain on issue ``k``: those present, and for a ``bilateral`` issue
        only its two named actors (the others' numbers cannot change its outcome)."""
        mask = np.array(self.present[:, k], dtype=bool)
        rule, actors = self.rules[k]
        if rule == "bilateral":
            only = np.zeros_like(mask)
            only[list(actors)] = True
            mask &= only
        return mask

    def issue(self, k: int) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
        """The actors that bargain on issue ``k`` (:meth:`issue_mask`) and their arrays; the
        weight on the issue is each actor's influence there (its capability unless the scenario
        gives an issue-specific influence).

        Returns
        -------
        actor_ids : tuple of str, length m
        influence, position, salience : ndarrays of shape (n_draws, m)
        """
        mask = self.issue_mask(k)
        ids = tuple(a for a, keep in zip(self.actor_ids, mask, strict=True) if keep)
        return (ids, self.influence[:, mask, k], self.position[:, mask, k],
                self.salience[:, mask, k])

    def rule_of(self, k: int) -> tuple[str, np.ndarray, float]:
        """Issue ``k``'s decision rule, the positions (in :meth:`issue`'s actor order) of the
        actors it names, and the status quo."""
        rule, actors = self.rules[k]
        order = np.flatnonzero(self.issue_mask(k))
        local = np.array([int(np.flatnonzero(order == a)[0]) for a in actors], dtype=int)
        return rule, local, float(self.status_quo[k])


#: Seeds are integers in [0, 2**63): they fit the run store's BIGINT column, so the seed a run
#: prints, the one it stores and the one a user passes back to reproduce it are the same number.
MAX_SEED = 2**63 - 1


def resolve_seed(seed: int | None) -> int:
    """The seed to record: ``seed`` itself, or a fresh 63-bit seed from entropy when None.

    Raises
    ------
    OptionsError
        ``seed`` is not an integer in [0, 2**63).
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy) & MAX_SEED
    if (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
            or not 0 <= seed <= MAX_SEED):
        raise OptionsError(
            f"seed {seed!r} is not an integer from 0 to 2**63 - 1",
            [Problem("seed must be an integer from 0 to 2**63 - 1", path="seed",
                     allowed="an integer from 0 to 9223372036854775807, or omit it to draw one")],
        )
    return int(seed)


def check_monte_carlo(draws: Any, perturbation: Any = 0.0, distribution: Any = "triangular",
                      *, min_draws: int = 1) -> None:
    """Check the Monte Carlo arguments of a run (:func:`sample_inputs` and the verbs).

    Raises
    ------
    OptionsError
        One Problem per bad argument (``draws``, ``perturbation``, ``distribution``).
    """
    draws_words = ("0 (point run only) or a positive integer" if min_draws == 0
                   else f"an integer ≥ {min_draws}")
    check_arguments("invalid Monte Carlo options", {
        "draws": (draws, constraint(interval=(min_draws, math.inf), integer=True,
                                    words=draws_words)),
        "perturbation": (perturbation, constraint(
            interval=(0.0, 100.0), words="points on the 0–100 scale, 0–100")),
        "distribution": (distribution, constraint(choices=("triangular", "uniform"))),
    })


def _from_uniform(u: np.ndarray, lo: np.ndarray, mode: np.ndarray, hi: np.ndarray,
                  distribution: Distribution) -> np.ndarray:
    """Inverse CDF of the triangular(lo, mode, hi) or uniform(lo, hi) law at ``u``.

    Degenerate ranges (hi == lo) return ``mode`` exactly.
    """
    width = hi - lo
    if distribution == "uniform":
        out = lo + u * width
    else:
        left = mode - lo
        right = hi - mode
        with np.errstate(invalid="ignore", divide="ignore"):
            split = np.where(width > 0, left / np.where(width > 0, width, 1.0), 0.0)
        lower = lo + np.sqrt(u * width * left)
        upper = hi - np.sqrt((1.0 - u) * width * right)
        out = np.where(u < split, lower, upper)
    return np.where(width > 0, out, mode)


def sample_inputs(
    arrays: Any,
    draws: int,
    seed: int,
    *,
    perturbation: float = 0.0,
    distribution: Distribution = "triangular",
) -> EngineInputs:
    """Sample ``draws`` engine inputs from a scenario's ranges.

    Parameters
    ----------
    arrays : ScenarioArrays
        ``capability_range`` (n, 2), ``position_range`` (n, d, 2) and ``salience_range``
        (n, d, 2) give [lo, hi] per number (lo == hi == value where there is no range).
    draws : int
        Number of draws (≥ 1).
    seed : int
        Root seed (see :func:`resolve_seed`).
    perturbation : float
        Global ± half-width in scale points added to every position and salience (0 = none).
    distribution : {"triangular", "uniform"}
        Law on each range; see the module docstring.

    Returns
    -------
    EngineInputs
        Batch with ``n_draws == draws``; absent entries stay 0.
    """
    check_monte_carlo(draws, perturbation, distribution)

    point = EngineInputs.from_arrays(arrays)
    n, d = point.present.shape
    too_many = draw_problem(int(draws), {"actors": n, "issues": d})
    if too_many is not None:
        raise OptionsError("too many Monte Carlo draws for this machine", [too_many])
    # children 0-3 are those of every earlier release (spawn keys do not depend on the count),
    # so adding the influence stream leaves every other draw unchanged
    cap_rng, pos_rng, sal_rng, pert_rng, infl_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(5)
    )
    # All uniforms up front: the inputs never depend on how the engine run is chunked.
    u_cap = cap_rng.random((draws, n))
    u_pos = pos_rng.random((draws, n, d))
    u_sal = sal_rng.random((draws, n, d))

    cap_range = np.asarray(arrays.capability_range, dtype=float)
    pos_range = np.asarray(arrays.position_range, dtype=float)
    sal_range = np.asarray(arrays.salience_range, dtype=float)
    capability = _from_uniform(u_cap, cap_range[:, 0], point.capability[0], cap_range[:, 1],
                               distribution)
    position = _from_uniform(u_pos, pos_range[..., 0], point.position[0], pos_range[..., 1],
                             distribution)
    salience = _from_uniform(u_sal, sal_range[..., 0], point.salience[0], sal_range[..., 1],
                             distribution)
    if perturbation > 0:
        noise = pert_rng.uniform(-perturbation, perturbation, size=(2, draws, n, d))
        position = np.clip(position + noise[0], 0.0, 100.0)
        salience = np.clip(salience + noise[1], 0.0, 100.0)
    absent = ~point.present
    position = np.where(absent, 0.0, position)
    salience = np.where(absent, 0.0, salience)
    # influence: the draw's capability, except where a stance gives its own (sampled apart)
    influence = np.repeat(capability[:, :, None], d, axis=2)
    own = np.asarray(point.has_influence, dtype=bool)
    if own.any():
        infl_range = np.asarray(arrays.influence_range, dtype=float)
        u_infl = infl_rng.random((draws, n, d))
        sampled = _from_uniform(u_infl, infl_range[..., 0], point.influence[0],
                                infl_range[..., 1], distribution)
        influence = np.where(own[None], sampled, influence)
    return EngineInputs(
        actor_ids=point.actor_ids,
        issue_ids=point.issue_ids,
        capability=capability,
        position=position,
        salience=salience,
        present=point.present,
        influence=influence,
        has_influence=point.has_influence,
        status_quo=point.status_quo,
        rules=point.rules,
    )


def chunk_slices(n_draws: int, chunk_size: int) -> Iterator[slice]:
    """Slices of the draw axis of at most ``chunk_size`` draws each."""
    step = max(1, int(chunk_size))
    for start in range(0, n_draws, step):
        yield slice(start, min(start + step, n_draws))
