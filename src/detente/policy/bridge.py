"""The bridge from bargaining to dynamics: named rules, each with a parameter and a reason.

The bargaining engines forecast *positions* on 0–100 issue scales; the dynamic model of DPRK
testing (:mod:`detente.dynamics`) is driven by *monthly probabilities* (of entering dialogue,
of a UNSC sanctions resolution). Nothing in the data links the two, so every link is a stated
rule, printed in the report's method section and open to sensitivity runs through
:class:`BridgeSettings`.

Rules
-----
B1 "talks → dialogue"
    The posterior draw's monthly probability of entering dialogue (stalemate→dialogue and
    crisis→dialogue, fitted on the history) is the status quo's rate. Under a policy, in Monte
    Carlo draw *i*, its log-odds shift by

    .. math:: \\Delta_i = \\beta_T \\, (T^{\\text{policy}}_i - T^{\\text{sq}}_i) / 50,

    where :math:`T_i` is the bargaining forecast of the *talks* issue in the same draw (common
    random numbers: both runs see the same sampled inputs). 50 points on the talks scale is the
    step from one-sided offers (25) to senior negotiations (75) in the issue's anchors.
B2 "sanctions → UNSC resolutions"
    The monthly UNSC sanctions-resolution rate of the status quo is the rate since
    ``unsc_base_since`` (default 2018-01: no resolution has passed since the vetoes of the
    veto era, claim C3), smoothed as :math:`(k + 1/2) / (n + 1)` (Jeffreys) so a zero count
    still leaves a small rate. A policy multiplies it by
    :math:`\\exp(\\beta_S \\, \\operatorname{median}_i(S^{\\text{policy}}_i - S^{\\text{sq}}_i)/50
    + \\gamma_P (p^{\\text{policy}} - p^{\\text{sq}}))`, with :math:`S` the bargaining forecast
    of the *sanctions* issue (new UN measures need the coalition the forecast describes) and
    :math:`p` the ``sanctions_pressure`` dynamics lever (unilateral pressure, default weight 0
    because it does not pass the Security Council). The dynamic model takes this rate as one
    number per run, so B2 uses the median paired shift, not a per-draw one.
B3 "recorded, not modelled"
    Dynamics levers with no parameter in the dynamic model (``exercise_scale``) or that act
    through the bargaining positions (``talks_offer``, ``incentives_offer``, ``summit_offer``)
    are listed in every output with that status; they never change a simulated number.
I "conflict-risk scenario index"
    :func:`scenario_index`: a weighted mean of four components on [0, 1], times 100. It is a
    scenario index from stated assumptions, not a probability: nothing calibrates it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.errors import OptionsError, Problem
from detente.options import check_settings, setting, settings_from_mapping

#: How each registered dynamics lever reaches the simulation (rule B2/B3 of the module docstring).
DYNAMICS_LEVER_STATUS: dict[str, str] = {
    "talks_offer": "recorded, not modelled (acts through the talks positions and rule B1)",
    "incentives_offer": "recorded, not modelled (acts through the incentives positions)",
    "summit_offer": "recorded, not modelled (acts through the talks positions and rule B1)",
    "sanctions_pressure": "modelled by rule B2 (weight gamma_pressure)",
    "exercise_scale": "recorded, not modelled (no parameter in the dynamic model)",
}

#: The label every output puts on the conflict-risk index.
INDEX_LABEL = "scenario index from stated assumptions — not a probability"

#: Scale points that make one unit of a bridge rule's shift (the 25 → 75 anchor step).
ANCHOR_STEP = 50.0


def _setting(default: Any, low: Any, high: Any, rule: str, reason: str) -> Any:
    """A bridge setting: a number in [low, high] or a month between two months
    (:func:`detente.options.setting`, the one options validator)."""
    if isinstance(low, str):
        return setting(default, month=(low, high), rule=rule, reason=reason)
    return setting(default, interval=(low, high), rule=rule, reason=reason)


@dataclass(frozen=True)
class BridgeSettings:
    """The parameters of the bridge rules and the scenario index (sensitivity inputs).

    Every field carries ``metadata`` with its ``range`` (the interval sensitivity sweeps
    explore), the ``rule`` it belongs to and the ``reason`` for its default; see
    :meth:`table`. Values outside the range raise :class:`~detente.errors.OptionsError`.
    """

    beta_talks: float = _setting(
        1.5, 0.0, 3.0, "B1",
        "log-odds shift of the monthly chance of entering dialogue per 50 points of forecast "
        "talks (one-sided offers → senior negotiations). 1.5 multiplies the odds by 4.5: a "
        "fitted ~2 %/month becomes ~8 %/month, about the pace of the 2018 opening; 0 switches "
        "the link off")
    beta_sanctions: float = _setting(
        1.0, 0.0, 3.0, "B2",
        "log rate ratio of UNSC sanctions resolutions per 50 points of forecast sanctions "
        "(openly unenforced → new UN measures); 1.0 is a moderate, unfitted link")
    gamma_pressure: float = _setting(
        0.0, 0.0, 2.0, "B2",
        "log rate ratio of UNSC resolutions per unit of the sanctions_pressure lever; 0 "
        "because unilateral US pressure does not pass the Security Council (C3: vetoes since "
        "2022)")
    unsc_base_since: str = _setting(
        "2018-01", "1990-01", "2023-09", "B2",
        "first month of the window that sets the status-quo UNSC resolution rate; 2018-01 "
        "starts the period with no new resolutions (C3). Use 2013-10 for the dynamic model's "
        "own 120-month default")
    weight_launches: float = _setting(
        0.25, 0.0, 1.0, "I",
        "weight of the launch component L/(L+L_sq) of the scenario index; equal weights "
        "because no data rank the components")
    weight_nuclear: float = _setting(
        0.25, 0.0, 1.0, "I", "weight of P(nuclear test within the horizon) in the index")
    weight_crisis: float = _setting(
        0.25, 0.0, 1.0, "I", "weight of the simulated share of crisis-regime months")
    weight_polarisation: float = _setting(
        0.25, 0.0, 1.0, "I",
        "weight of the capability-weighted spread of forecast positions on deterrence and "
        "rustech (÷ 50)")

    def __post_init__(self) -> None:
        check_settings(self, "bridge", "invalid bridge settings")
        if self.index_weights().sum() <= 0:
            raise OptionsError("invalid bridge settings", [Problem(
                "all index weights are 0", path="bridge.weight_*",
                allowed="at least one positive weight")])

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> BridgeSettings:
        """Settings from a plain mapping (``--bridge KEY=VALUE``); unknown keys refused."""
        return settings_from_mapping(cls, values, "bridge")

    def index_weights(self) -> np.ndarray:
        """Weights of (launches, nuclear, crisis, polarisation), in that order."""
        return np.array([self.weight_launches, self.weight_nuclear, self.weight_crisis,
                         self.weight_polarisation], dtype=float)

    @classmethod
    def table(cls) -> list[dict[str, Any]]:
        """One row per setting: ``name, rule, default, range, reason`` (for reports)."""
        return [{"name": f.name, "rule": f.metadata["rule"], "default": f.default,
                 "range": f.metadata["range"], "reason": f.metadata["reason"]}
                for f in dataclasses.fields(cls)]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------------- rule B1
def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.log(p) - np.log1p(-p)


def talks_log_odds_shift(talks_policy: np.ndarray, talks_status_quo: np.ndarray,
                         beta_talks: float) -> np.ndarray:
    """Rule B1: per-draw log-odds shift of the monthly chance of entering dialogue.

    Parameters
    ----------
    talks_policy, talks_status_quo : ndarray of shape (n_draws,)
        Bargaining forecasts of the talks issue (0–100) in paired Monte Carlo draws.
    beta_talks : float
        Log-odds per :data:`ANCHOR_STEP` points (:attr:`BridgeSettings.beta_talks`).

    Returns
    -------
    ndarray of shape (n_draws,)
        :math:`\\beta_T (T^{policy}_i - T^{sq}_i) / 50`; exactly 0 where the forecasts agree.
    """
    diff = np.asarray(talks_policy, dtype=float) - np.asarray(talks_status_quo, dtype=float)
    return beta_talks * diff / ANCHOR_STEP


def shift_entry_into_dialogue(transition: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Apply a per-draw log-odds shift to P(stalemate→dialogue) and P(crisis→dialogue).

    Parameters
    ----------
    transition : ndarray of shape (n_draws, 3, 3)
        Right-stochastic regime matrices (rows from, columns to; codes of
        ``detente.dynamics.priors.REGIMES``: dialogue, stalemate, crisis).
    shift : ndarray of shape (n_draws,)
        Log-odds shift per draw (rule B1).

    Returns
    -------
    ndarray of shape (n_draws, 3, 3)
        The shifted matrices; the other entries of a changed row keep their proportions so
        each row still sums to 1. Rows with a zero shift are returned bit-identical.
    """
    from detente.dynamics.priors import CRISIS, DIALOGUE, STALEMATE

    out = np.array(transition, dtype=float, copy=True)
    shift = np.asarray(shift, dtype=float)
    moved = shift != 0.0
    if not moved.any():
        return out
    for row in (STALEMATE, CRISIS):
        p_old = out[moved, row, DIALOGUE]
        p_new = 1.0 / (1.0 + np.exp(-(_logit(p_old) + shift[moved])))
        rest_old = 1.0 - p_old
        scale = np.where(rest_old > 0, (1.0 - p_new) / np.where(rest_old > 0, rest_old, 1.0),
                         0.0)
        block = out[moved, row, :] * scale[:, None]
        block[:, DIALOGUE] = p_new
        out[moved, row, :] = block
    return out


# ---------------------------------------------------------------------------------- rule B2
def status_quo_unsc_rate(unsc_resolution: np.ndarray) -> float:
    """Rule B2's base: Jeffreys-smoothed monthly rate ``(k + 1/2) / (n + 1)``.

    Parameters
    ----------
    unsc_resolution : ndarray of shape (n_months,)
        1 in a month with a UNSC sanctions resolution on the DPRK, else 0 (the base window).
    """
    counts = np.asarray(unsc_resolution, dtype=float)
    return float((counts.sum() + 0.5) / (counts.size + 1.0))


def unsc_rate_under_policy(base_rate: float, sanctions_policy: np.ndarray,
                           sanctions_status_quo: np.ndarray, pressure_policy: float,
                           pressure_status_quo: float, settings: BridgeSettings) -> float:
    """Rule B2: the policy's monthly UNSC resolution rate (one number per policy).

    Parameters
    ----------
    base_rate : float
        Status-quo monthly rate (:func:`status_quo_unsc_rate`).
    sanctions_policy, sanctions_status_quo : ndarray of shape (n_draws,)
        Paired bargaining forecasts of the sanctions issue.
    pressure_policy, pressure_status_quo : float
        The ``sanctions_pressure`` dynamics lever under the policy and in the scenario.
    settings : BridgeSettings

    Returns
    -------
    float
        ``base_rate × exp(β_S · median(ΔS)/50 + γ_P · Δp)``, capped at 1.
    """
    diff = np.asarray(sanctions_policy, dtype=float) - np.asarray(sanctions_status_quo,
                                                                  dtype=float)
    log_ratio = (settings.beta_sanctions * float(np.median(diff)) / ANCHOR_STEP
                 + settings.gamma_pressure * (pressure_policy - pressure_status_quo))
    if log_ratio == 0.0:
        return float(base_rate)
    return float(min(1.0, base_rate * np.exp(log_ratio)))


# ---------------------------------------------------------------------------------- index I
def polarisation(capability: np.ndarray, salience: np.ndarray, positions: np.ndarray) -> float:
    """Capability×salience-weighted standard deviation of positions, ÷ 50, capped at 1.

    Parameters
    ----------
    capability, salience, positions : ndarray of shape (n_actors,)
        Actors present on the issue; positions are the bargaining forecast's final positions.
    """
    w = np.asarray(capability, dtype=float) * np.asarray(salience, dtype=float)
    if w.sum() <= 0:
        return 0.0
    x = np.asarray(positions, dtype=float)
    mean = np.sum(w * x) / w.sum()
    sd = np.sqrt(np.sum(w * (x - mean) ** 2) / w.sum())
    return float(min(1.0, sd / ANCHOR_STEP))


def scenario_index(launches: float, launches_status_quo: float, p_nuclear: float,
                   crisis_share: float, polarisation_value: float,
                   settings: BridgeSettings) -> tuple[float, dict[str, float]]:
    """The conflict-risk scenario index (0–100) and its four components (each on [0, 1]).

    Components: ``launches`` = L/(L + L_sq) (0.5 for the status quo), ``nuclear`` =
    P(nuclear test within the horizon), ``crisis`` = share of simulated months in the crisis
    regime, ``polarisation`` = :func:`polarisation` averaged over deterrence and rustech.
    The index is ``100 × Σ w_k c_k / Σ w_k`` — a scenario index from stated assumptions,
    **not a probability** (:data:`INDEX_LABEL`).
    """
    total = launches + launches_status_quo
    comp = {
        "launches": 0.5 if total <= 0 else float(launches / total),
        "nuclear": float(p_nuclear),
        "crisis": float(crisis_share),
        "polarisation": float(polarisation_value),
    }
    w = settings.index_weights()
    value = 100.0 * float(np.dot(w, list(comp.values())) / w.sum())
    return value, comp


def rules_text(settings: BridgeSettings) -> list[dict[str, str]]:
    """The bridge rules in words, with the values in force (for the report's method section)."""
    s = settings
    return [
        {"id": "B1", "name": "talks → dialogue",
         "rule": (f"monthly log-odds of entering dialogue (posterior draw) + {s.beta_talks:g} × "
                  "(talks forecast under the policy − under the status quo) / 50, paired draw "
                  "by draw"),
         "reason": "50 points on the talks scale is the step from one-sided offers (25) to "
                   "senior negotiations (75); dialogue is the regime the fitted model links to "
                   "launch rates"},
        {"id": "B2", "name": "sanctions → UNSC resolutions",
         "rule": (f"monthly UNSC resolution rate since {s.unsc_base_since} (Jeffreys-smoothed) × "
                  f"exp({s.beta_sanctions:g} × median paired sanctions shift / 50 + "
                  f"{s.gamma_pressure:g} × Δ sanctions_pressure)"),
         "reason": "new UN measures need the Russian and Chinese votes the sanctions forecast "
                   "describes; vetoes have blocked them since 2022 (C3)"},
        {"id": "B3", "name": "recorded, not modelled",
         "rule": "exercise_scale, talks_offer, incentives_offer and summit_offer change no "
                 "simulated number directly",
         "reason": "the dynamic model has no parameter for them; offers act through the "
                   "bargaining positions the policy sets"},
        {"id": "I", "name": "conflict-risk scenario index",
         "rule": (f"100 × weighted mean of launches L/(L+L_sq) [{s.weight_launches:g}], "
                  f"P(nuclear test) [{s.weight_nuclear:g}], crisis share [{s.weight_crisis:g}], "
                  f"polarisation on deterrence and rustech [{s.weight_polarisation:g}]"),
         "reason": "conflict risk cannot be calibrated on data; " + INDEX_LABEL},
    ]
