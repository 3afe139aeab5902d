"""The one prior table of the dynamic model, with the provenance of every prior.

Every parameter of :func:`detente.dynamics.model.dprk_testing_model` has exactly one row in
:data:`PRIORS`: its distribution, the sign the prior leans to, its spread, and where that came
from (a study, a stated fact, or a plain assumption of détente's authors, labelled as such).
Nothing here is fitted to the DPRK record that the back-tests score: a prior centred on that
record would leak the future into every rolling-origin fit, so the priors are set from outside
sources or stated as assumptions wide enough for the data to overrule.

Parameters that policy levers act on are marked with ``lever`` (the name
:func:`detente.dynamics.simulate` accepts); no other parameter is ever changed by a policy.

References
----------
.. [1] L. V. Sigal, *Disarming Strangers: Nuclear Diplomacy with North Korea*, Princeton
   University Press, 1998 (the DPRK reciprocates cooperation and retaliates against pressure:
   the "tit-for-tat" reading that motivates a negative sign for dialogue).
.. [2] V. D. Cha and D. C. Kang, *Nuclear North Korea: A Debate on Engagement Strategies*,
   Columbia University Press, 2003 (engagement's effect on DPRK behaviour is disputed; hence
   wide spreads).
.. [3] S. Haggard and M. Noland, *Hard Target: Sanctions, Inducements, and the Case of North
   Korea*, Stanford University Press, 2017 (sanctions had limited and uncertain effect on DPRK
   behaviour; hence a sanctions prior centred on zero).
.. [5] K. Fokianos and D. Tjøstheim, "Log-linear Poisson autoregression", *Journal of
   Multivariate Analysis* 102(3), 2011 (with the memory a mean of past counts, the rate
   satisfies log μ ≈ η + κ log(1 + μ): a stable level needs κ < 1, else campaigns explode).
.. [4] A. Gelman, A. Jakulin, M. G. Pittau and Y.-S. Su, "A weakly informative default prior
   distribution for logistic and other regression models", *Annals of Applied Statistics*
   2(4), 2008 (weakly informative scales on the log/logit scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Regime codes used by every array in :mod:`detente.dynamics` (index into transition rows).
REGIMES: tuple[str, ...] = ("dialogue", "stalemate", "crisis")
DIALOGUE, STALEMATE, CRISIS = 0, 1, 2

#: Dirichlet concentration of each transition-matrix row: mass on staying, mass on each move.
#: Mean monthly persistence 9 / 10 = 0.9 (a regime lasts ~10 months on average a priori).
TRANSITION_STAY, TRANSITION_MOVE = 9.0, 0.5


@dataclass(frozen=True)
class PriorSpec:
    """One row of the prior table.

    Parameters
    ----------
    name : str
        The NumPyro site name (and the symbol in ``docs/model.md``).
    symbol : str
        The symbol used in the equations of :mod:`detente.dynamics.model`.
    dist : str
        Distribution family: ``normal``, ``halfnormal``, ``beta`` or ``lognormal``.
    a, b : float
        Its parameters: (loc, scale) for normal and lognormal (of the log), (scale, unused) for
        halfnormal, (alpha, beta) for beta.
    sign : str
        The direction the prior leans ("−", "+", "0" for centred, "n/a").
    source : str
        Where the prior comes from (a reference key or "assumption").
    meaning : str
        What the parameter is, in the domain's words.
    lever : str or None
        The policy lever acting through this parameter, if any.
    variants : tuple of str
        Model variants that contain the parameter.
    """

    name: str
    symbol: str
    dist: str
    a: float
    b: float
    sign: str
    source: str
    meaning: str
    lever: str | None = None
    variants: tuple[str, ...] = ("full", "no_policy")

    def frozen_scipy(self) -> Any:
        """The same prior as a frozen scipy distribution (for the prior column of tables)."""
        from scipy import stats  # only the tables need it; importing scipy.stats costs ≈ 0.5 s

        if self.dist == "normal":
            return stats.norm(self.a, self.b)
        if self.dist == "halfnormal":
            return stats.halfnorm(scale=self.a)
        if self.dist == "beta":
            return stats.beta(self.a, self.b)
        if self.dist == "lognormal":
            return stats.lognorm(s=self.b, scale=np.exp(self.a))
        raise ValueError(f"unknown prior family {self.dist!r}")

    def describe(self) -> str:
        """The prior written as in the docs, e.g. ``Normal(−0.5, 0.75)``."""
        names = {"normal": "Normal", "halfnormal": "HalfNormal", "beta": "Beta",
                 "lognormal": "LogNormal"}
        if self.dist == "halfnormal":
            return f"HalfNormal({self.a:g})"
        return f"{names[self.dist]}({self.a:.3g}, {self.b:.3g})"


_FULL = ("full",)

#: The prior table. Order is the order of the parameter table printed by ``detente fit``.
PRIORS: tuple[PriorSpec, ...] = (
    # --- launch-event rate (negative binomial, log link) -------------------------------------
    PriorSpec("log_base_rate", "α", "normal", float(np.log(0.3)), 1.5, "0", "[4]",
              "log launch events per month in stalemate (Kim Il Sung, no season, no memory); "
              "±2 sd spans 0.015–6 events/month"),
    PriorSpec("log_rate_ratio_dialogue", "β_D", "normal", -0.5, 0.75, "−", "[1]; spread [2]",
              "log ratio of the launch rate in dialogue to that in stalemate",
              lever="dialogue_rate_ratio", variants=_FULL),
    PriorSpec("log_rate_ratio_crisis", "β_C", "normal", 0.5, 0.75, "+", "assumption",
              "log ratio of the launch rate in crisis to that in stalemate", variants=_FULL),
    PriorSpec("sanctions_effect", "β_U", "normal", 0.0, 0.5, "0", "[3]",
              "log rate ratio in the month after a UNSC sanctions resolution",
              lever="sanctions_effect", variants=_FULL),
    PriorSpec("leader_kim_jong_il", "γ_KJI", "normal", 0.0, 1.5, "0", "[4]",
              "log rate ratio under Kim Jong Il vs Kim Il Sung"),
    PriorSpec("leader_kim_jong_un", "γ_KJU", "normal", 0.0, 1.5, "0", "[4]",
              "log rate ratio under Kim Jong Un vs Kim Il Sung"),
    PriorSpec("season_cos", "s_c", "normal", 0.0, 0.5, "0", "assumption",
              "annual cycle, cosine term (spring and August allied exercise calendar)"),
    PriorSpec("season_sin", "s_s", "normal", 0.0, 0.5, "0", "assumption",
              "annual cycle, sine term"),
    PriorSpec("self_excitation", "κ", "beta", 2.0, 2.0, "+", "[5]",
              "elasticity of the rate to 1 + the recent launch memory (campaigns cluster); "
              "bounded below 1, the stability condition of a log-linear count autoregression"),
    PriorSpec("memory_decay", "δ", "beta", 4.0, 2.0, "+", "assumption",
              "monthly decay of the launch memory (mean 0.67: half-life ≈ 1.7 months)"),
    PriorSpec("concentration", "φ", "lognormal", 0.0, 1.0, "n/a", "[4]",
              "negative-binomial concentration (variance μ + μ²/φ)"),
    # --- nuclear tests (rare Bernoulli, logit link) ---------------------------------------
    PriorSpec("nuclear_logit_base", "ν₀", "normal", -5.0, 1.0, "−", "assumption",
              "logit of the monthly nuclear-test probability outside dialogue; strong prior: "
              "centred on 0.7 %/month (≈ one test a decade to one a year at ±1 sd), set "
              "without reference to the DPRK record"),
    PriorSpec("nuclear_log_odds_dialogue", "ν_D", "normal", -1.0, 1.0, "−", "[1]; spread [2]",
              "log odds ratio of a nuclear test in a dialogue month", variants=_FULL),
    # --- missiles per launch event (secondary series) -------------------------------------
    PriorSpec("extra_missiles_per_event", "ω", "lognormal", float(np.log(0.5)), 1.0, "+",
              "assumption", "mean number of missiles beyond the first in a launch event"),
    PriorSpec("salvo_concentration", "ψ", "lognormal", 0.0, 1.0, "n/a", "assumption",
              "negative-binomial concentration per launch event of the extra missiles"),
)

#: The regime chain is a row of the table too (a Dirichlet per row, not a scalar prior).
TRANSITION_PRIOR_TEXT = (
    f"Dirichlet rows: {TRANSITION_STAY:g} on staying, {TRANSITION_MOVE:g} on each move "
    "(assumption: mean persistence 0.9 per month); the lever p_enter_dialogue sets "
    "P(stalemate→dialogue) and P(crisis→dialogue)"
)

#: Policy levers understood by :func:`detente.dynamics.simulate`, with their meaning and range.
LEVERS: dict[str, tuple[str, float, float]] = {
    "p_enter_dialogue": ("monthly probability that a stalemate or crisis month is followed by a "
                         "dialogue month (the transition-matrix entries into dialogue)", 0.0, 1.0),
    "p_leave_dialogue": ("monthly probability that a dialogue month is followed by a "
                         "non-dialogue month", 0.0, 1.0),
    "dialogue_rate_ratio": ("launch rate in dialogue ÷ launch rate in stalemate, exp(β_D)",
                            0.0, 10.0),
    "sanctions_effect": ("launch-rate ratio in the month after a UNSC sanctions resolution, "
                         "exp(β_U)", 0.0, 10.0),
    "unsc_resolution_rate": ("monthly probability that the UNSC adopts a sanctions resolution "
                             "(default: the rate in the last 120 training months)", 0.0, 1.0),
}


def prior(name: str) -> PriorSpec:
    """The prior row of parameter ``name`` (KeyError if the model has no such parameter)."""
    for spec in PRIORS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def priors_for(variant: str) -> tuple[PriorSpec, ...]:
    """The prior rows of the parameters present in model ``variant``."""
    return tuple(p for p in PRIORS if variant in p.variants)


def prior_table(variant: str = "full") -> pd.DataFrame:
    """The prior table as a frame: one row per parameter, with the 5/50/95 % prior quantiles."""
    rows = []
    for p in priors_for(variant):
        d = p.frozen_scipy()
        q05, q50, q95 = d.ppf([0.05, 0.5, 0.95])
        rows.append({"parameter": p.name, "symbol": p.symbol, "prior": p.describe(),
                     "prior_q05": q05, "prior_median": q50, "prior_q95": q95,
                     "sign": p.sign, "source": p.source, "lever": p.lever or "",
                     "meaning": p.meaning})
    return pd.DataFrame(rows).set_index("parameter")
