"""The regime-coding audit: does the dialogue effect survive other reasonable codings?

The launch model reads a diplomatic regime coded from diplomacy records (``detente.evidence``),
and several coding choices are hindsight or could carry the outcome: "summit diplomacy" from
2018-01-01, breakdowns that followed launches, dialogue months defined by a launch moratorium.
This module re-estimates the dialogue effect β_D (the log launch-rate ratio dialogue/stalemate)
by maximum likelihood (:func:`detente.dynamics.fit.frequentist_check`, the statsmodels NB2
cross-check of the model) under each variant of the coding, and runs two checks against
coding artefacts:

- **coding variants** (:func:`variant_table`): as coded; January–February 2018 as stalemate
  (before the first inter-Korean talks of 9 Jan 2018 could be dialogue); the Hanoi summit of
  Feb 2019 as a breakdown (crisis for three months); July–December 2019 as stalemate (after the
  DMZ meeting of 30 June 2019 no negotiation took place but the coding carries dialogue); and
  the regime **lagged** by one month (last month's regime drives this month's launches, so a
  regime change caused by a launch cannot explain that launch);
- **placebo** (:func:`placebo`): the Kim Jong Un era's dialogue months shifted by k months
  (circularly, within the era), re-estimated; if the real coding's effect is no more negative
  than most shifted ones, the effect is not distinguishable from where the dialogue months
  happen to fall;
- **event study** (:func:`event_study`): mean launch events in the six months before and after
  each dialogue onset (a descriptive check: did launches fall after onsets, or before them?).

References
----------
.. [1] G. W. Imbens and D. B. Rubin, *Causal Inference for Statistics, Social, and Biomedical
   Sciences*, Cambridge University Press, 2015, ch. 5 (randomisation-based placebo tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detente.dynamics.fit import frequentist_check

DIALOGUE, STALEMATE, CRISIS = "dialogue", "stalemate", "crisis"
#: The Kim Jong Un era, within which the placebo shifts the dialogue months.
KJU_ERA = ("2012-01", "2025-12")
PLACEBO_SHIFTS: tuple[int, ...] = (-36, -30, -24, -18, -12, -6, 6, 12, 18, 24, 30, 36)


def _set(panel: pd.DataFrame, first: str, last: str, regime: str) -> pd.DataFrame:
    out = panel.copy()
    out.loc[pd.Period(first, freq="M"):pd.Period(last, freq="M"), "regime"] = regime
    return out


def coding_variants(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The panel under each coding variant of the module docstring (only ``regime`` differs)."""
    lagged = panel.copy()
    lagged["regime"] = panel["regime"].shift(1).fillna(panel["regime"].iloc[0])
    return {
        "as coded": panel,
        "Jan–Feb 2018 as stalemate": _set(panel, "2018-01", "2018-02", STALEMATE),
        "Hanoi (Feb 2019) as breakdown": _set(panel, "2019-02", "2019-04", CRISIS),
        "Jul–Dec 2019 as stalemate": _set(panel, "2019-07", "2019-12", STALEMATE),
        "regime lagged one month": lagged,
    }


def dialogue_effect(panel: pd.DataFrame, until: str) -> dict[str, float]:
    """β_D by maximum likelihood on the months up to ``until``: estimate and 95 % interval."""
    row = frequentist_check(panel, until=until).loc["log_rate_ratio_dialogue"]
    n_dialogue = int((panel.loc[:pd.Period(until, freq="M"), "regime"] == DIALOGUE).sum())
    return {"log_ratio": float(row["estimate"]), "ci_low": float(row["ci_low"]),
            "ci_high": float(row["ci_high"]), "ratio": float(np.exp(row["estimate"])),
            "dialogue_months": n_dialogue}


def variant_table(panel: pd.DataFrame, until: str = "2023-09") -> pd.DataFrame:
    """The dialogue effect under each coding variant: one row per variant."""
    rows = [{"variant": name, **dialogue_effect(p, until)}
            for name, p in coding_variants(panel).items()]
    return pd.DataFrame(rows)


def placebo(panel: pd.DataFrame, until: str = "2023-09",
            shifts: tuple[int, ...] = PLACEBO_SHIFTS) -> pd.DataFrame:
    """β_D with the Kim Jong Un era's dialogue months shifted by each k (circularly, in the era,
    up to ``until``); the row ``shift = 0`` is the coding as it is."""
    first, last = pd.Period(KJU_ERA[0], freq="M"), pd.Period(until, freq="M")
    era = (panel.index >= first) & (panel.index <= last)
    regime = panel["regime"].to_numpy(dtype=object)
    dialogue = regime[era] == DIALOGUE
    rows = []
    for k in (0, *shifts):
        moved = np.roll(dialogue, k)
        out = panel.copy()
        new = regime[era].copy()
        new[dialogue & ~moved] = STALEMATE  # dialogue months left behind become stalemate
        new[moved] = DIALOGUE
        values = regime.copy()
        values[era] = new
        out["regime"] = values
        rows.append({"shift_months": k, **dialogue_effect(out, until)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PlaceboResult:
    """The placebo test: the real coding's β_D against the shifted codings' β_D."""

    actual: float
    placebo: np.ndarray
    p_value: float

    @property
    def sentence(self) -> str:
        return (f"β_D as coded {self.actual:+.2f}; shifted codings {self.placebo.min():+.2f} to "
                f"{self.placebo.max():+.2f}; {self.p_value:.0%} of them are as negative or more "
                "(a share above 5 % means the effect cannot be told apart from where the "
                "dialogue months happen to fall)")


def placebo_result(table: pd.DataFrame) -> PlaceboResult:
    """The one-sided permutation p-value: the share of shifted codings with β_D ≤ the actual."""
    actual = float(table.loc[table["shift_months"] == 0, "log_ratio"].iloc[0])
    shifted = table.loc[table["shift_months"] != 0, "log_ratio"].to_numpy()
    return PlaceboResult(actual, shifted, float(np.mean(shifted <= actual)))


def event_study(panel: pd.DataFrame, window: int = 6) -> pd.DataFrame:
    """Mean launch events by month relative to each dialogue onset (−window … +window)."""
    regime = panel["regime"].to_numpy(dtype=object)
    y = panel["launch_events"].to_numpy(dtype=float)
    onsets = [t for t in range(1, len(regime))
              if regime[t] == DIALOGUE and regime[t - 1] != DIALOGUE]
    rows = []
    for rel in range(-window, window + 1):
        values = [y[t + rel] for t in onsets if 0 <= t + rel < len(y)]
        rows.append({"relative_month": rel, "mean_launch_events": float(np.mean(values)),
                     "onsets": len(values)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RegimeAudit:
    """Everything the audit computes, for the report and ``detente audit --json``."""

    variants: pd.DataFrame
    placebo: pd.DataFrame
    placebo_test: PlaceboResult
    events: pd.DataFrame
    until: str

    def to_frame(self) -> pd.DataFrame:
        return self.variants.copy()

    def to_dict(self) -> dict:
        import json

        return {"until": self.until,
                "variants": json.loads(self.variants.to_json(orient="records")),
                "placebo": json.loads(self.placebo.to_json(orient="records")),
                "placebo_p_value": self.placebo_test.p_value,
                "placebo_sentence": self.placebo_test.sentence,
                "event_study": json.loads(self.events.to_json(orient="records"))}


def audit(panel: pd.DataFrame | None = None, until: str = "2023-09") -> RegimeAudit:
    """The regime-coding audit on the months up to ``until`` (module docstring)."""
    if panel is None:
        from detente.evidence import monthly_panel

        panel = monthly_panel()
    table = placebo(panel, until)
    return RegimeAudit(variants=variant_table(panel, until), placebo=table,
                       placebo_test=placebo_result(table),
                       events=event_study(panel.loc[:pd.Period(until, freq="M")]), until=until)


__all__ = ["RegimeAudit", "audit", "coding_variants", "dialogue_effect", "event_study",
           "placebo", "placebo_result", "variant_table"]
