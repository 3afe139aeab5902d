"""Verdicts by rule: what the evidence says of a claim, from test results, never from prose.

Every claim of an argument gets one verdict from a fixed vocabulary, computed from the results of
its declared tests by the rules below (written down before any result was seen; docs/report.md,
"Verdicts"), with the statistics behind it and one sentence giving the reason:

``supported-out-of-sample``
    A causal claim whose term, added to the model, makes it beat the same model without the
    term **significantly, on rolling origins** (Diebold–Mariano test, p < 0.05; the log score at
    1–12 months ahead, the horizon of the claim) — the one test that uses data the fit never saw.
``supported-in-sample``
    A causal claim whose fitted effect has the claimed sign with posterior probability ≥ 0.95,
    without an out-of-sample win; or a descriptive claim every record test confirms.
``not-supported``
    Neither: the effect's sign is uncertain (posterior probability between 0.05 and 0.95), or the
    out-of-sample comparison is lost or tied and the in-sample evidence is not strong either.
``contradicted``
    The evidence points the other way: the fitted effect has the opposite sign with probability
    ≥ 0.95, or a record test fails.

A causal claim about an event outcome with no model term (alignment with Russia and China,
incidents) is tested as an in-sample association (:func:`association_verdict`): the outcome's
monthly rate without diplomacy (stalemate and crisis months) against dialogue months, inside the
outcome's recorded coverage, with the exact conditional 95 % interval of the rate ratio: above 1
``supported-in-sample``, below 1 ``contradicted``, across 1 ``not-supported``; fewer than
:data:`MIN_GROUP_MONTHS` months on either side ``untestable``. An association is never a causal
estimate: the sentence says so.
``untestable``
    The answer passes through assumptions only (scenario inputs, an assumed bridge coefficient,
    the conflict-risk index): détente can show what the assumptions imply, not test them.
``judgement``
    A value judgement (an expected-value trade-off) that no data can settle.

A difference that does not clear its test is a tie, and a tie never supports a claim; verdicts
therefore do not flip with the Monte Carlo seed unless a test sits on its threshold (which the
statistics beside each verdict show).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

VERDICTS: tuple[str, ...] = ("supported-out-of-sample", "supported-in-sample", "not-supported",
                             "contradicted", "untestable", "judgement")

#: Posterior probability of the claimed sign that counts as strong in-sample evidence.
IN_SAMPLE_PROBABILITY = 0.95
#: Months each side of an association test needs inside the outcome's coverage.
MIN_GROUP_MONTHS = 12


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict, its basis, the statistics behind it and the reason in one sentence."""

    verdict: str
    basis: str
    sentence: str
    tests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")


def causal_verdict(effect_draws: np.ndarray | None, claimed_sign: int,
                   comparison: dict[str, Any] | None, effect_name: str) -> Verdict:
    """The verdict of a causal claim tested on the dynamic model.

    Parameters
    ----------
    effect_draws : ndarray or None
        Posterior draws of the effect (e.g. the log launch-rate ratio dialogue/stalemate).
    claimed_sign : {-1, +1}
        The sign the claim predicts for the effect.
    comparison : dict or None
        The rolling-origin comparison of the model with the model without the term
        (a row of :meth:`detente.dynamics.BacktestResult.comparisons`: ``verdict``,
        ``difference``, ``p_value``), or None when no rolling-origin back-test was run.
    effect_name : str
        How the sentence names the effect.
    """
    tests = []
    # the p-value the back-test's verdict used: with the Monte Carlo error when it was measured
    p_used = None if comparison is None else comparison.get("p_value_mc", comparison["p_value"])
    if comparison is not None:
        tests.append({"kind": "out-of-sample",
                      "test": "out of sample: model vs the same model without the term, "
                              "rolling origins, log score 1–12 months (Diebold–Mariano, "
                              "Monte Carlo error in the variance)",
                      "difference": comparison["difference"],
                      "p_value": comparison["p_value"], "mc_se": comparison.get("mc_se"),
                      "p_value_mc": comparison.get("p_value_mc"),
                      "result": comparison["verdict"]})
        if comparison["verdict"] == "beats":
            return Verdict("supported-out-of-sample", "data tested out of sample",
                           f"With {effect_name}, the model beats the same model without it on "
                           f"rolling origins (p = {p_used:.3f}).", tests)
    p_sign = None
    if effect_draws is not None and len(effect_draws):
        p_sign = float(np.mean(np.sign(np.asarray(effect_draws)) == claimed_sign))
        tests.append({"kind": "in-sample",
                      "test": f"in sample: posterior P({effect_name} has the claimed sign)",
                      "probability": p_sign})
    oos = ("" if comparison is None else
           f" Out of sample the model with it {'ties with' if comparison['verdict'] == 'tie' else 'is beaten by'}"
           f" the model without it (p = {p_used:.2f}).")
    if comparison is None:
        oos = " No rolling-origin back-test was run, so nothing was tested out of sample."
    if p_sign is None:
        return Verdict("not-supported", "no evidence", "The model has no term for it." + oos,
                       tests)
    if p_sign >= IN_SAMPLE_PROBABILITY:
        return Verdict("supported-in-sample", "in-sample association",
                       f"Fitted on the record, {effect_name} has the claimed sign with "
                       f"probability {p_sign:.0%}." + oos, tests)
    if p_sign <= 1.0 - IN_SAMPLE_PROBABILITY:
        return Verdict("contradicted", "in-sample association",
                       f"Fitted on the record, {effect_name} has the opposite sign with "
                       f"probability {1 - p_sign:.0%}." + oos, tests)
    return Verdict("not-supported", "in-sample association",
                   f"Fitted on the record, the sign of {effect_name} is uncertain "
                   f"(P(claimed sign) = {p_sign:.0%}, below {IN_SAMPLE_PROBABILITY:.0%})."
                   + oos, tests)


def record_verdict(checks: list[tuple[str, bool, Any]], what: str) -> Verdict:
    """A descriptive claim judged against the record: each check ``(name, holds, value)``."""
    tests = [{"kind": "record", "test": name, "holds": bool(ok), "value": value}
             for name, ok, value in checks]
    failed = [name for name, ok, _ in checks if not ok]
    if failed:
        return Verdict("contradicted", "the record",
                       f"The record does not bear out {what}: " + "; ".join(failed) + ".", tests)
    return Verdict("supported-in-sample", "the record",
                   f"The record bears out {what} (" + "; ".join(n for n, *_ in checks) + ").",
                   tests)


def binomial_test(k: int, n: int, p: float, level: float = 0.95) -> tuple[float, float, float]:
    """The two-sided exact binomial test of ``k`` successes in ``n`` trials at probability
    ``p``: ``(p_value, low, high)``, with the exact (Clopper–Pearson) interval of the proportion
    at ``level`` (:func:`scipy.stats.binomtest` and its ``proportion_ci(method="exact")``).

    A pure function of four numbers, kept in the stage cache (:func:`detente._memo.memo`), so a
    warm run never imports scipy.stats: that import is 0.8–1 s of a warm ``detente compare`` on
    a slow host (issue 16). A hit returns the numbers the computation returned.
    """
    from detente._memo import memo

    def compute() -> tuple[float, float, float]:
        from scipy import stats

        test = stats.binomtest(k, n, p=p)
        ci = test.proportion_ci(confidence_level=level, method="exact")
        return float(test.pvalue), float(ci.low), float(ci.high)

    result, _ = memo("binomial-test", {"k": int(k), "n": int(n), "p": float(p),
                                       "level": float(level)}, compute)
    return result


def rate_ratio_interval(events_a: int, months_a: int, events_b: int, months_b: int,
                        level: float = 0.95) -> tuple[float, float, float, float]:
    r"""Rate ratio of two Poisson counts (a over b) with its exact conditional interval and
    two-sided p-value: given the total :math:`N = a + b`, :math:`a \sim \mathrm{Bin}(N, \pi)`
    with :math:`\pi = m_a R / (m_a R + m_b)` (Przyborowski & Wilenski 1940; the Clopper–Pearson
    interval of :math:`\pi` mapped to :math:`R = \frac{\pi}{1-\pi}\frac{m_b}{m_a}`).
    Returns ``(ratio, low, high, p_value)``; the ratio is inf when b = 0."""
    total = events_a + events_b
    if total == 0:
        return float("nan"), 0.0, float("inf"), 1.0
    p_value, low, high = binomial_test(events_a, total, months_a / (months_a + months_b), level)

    def to_ratio(pi: float) -> float:
        return float("inf") if pi >= 1.0 else pi / (1.0 - pi) * months_b / months_a

    ratio = (float("inf") if events_b == 0 else
             (events_a / months_a) / (events_b / months_b))
    return ratio, to_ratio(low), to_ratio(high), p_value


def association_verdict(events_without: int, months_without: int, events_with: int,
                        months_with: int, outcome: str, window: str) -> Verdict:
    """A causal claim "without diplomacy, more ``outcome``" tested as an in-sample association:
    the monthly rate of the outcome's events in stalemate and crisis months against dialogue
    months (the rules in the module docstring)."""
    test = {"kind": "in-sample",
            "test": f"in sample: rate of {outcome} without diplomacy (stalemate, crisis) over "
                    f"the rate in dialogue months, {window} (exact conditional 95 % interval)",
            "events_without": events_without, "months_without": months_without,
            "events_with": events_with, "months_with": months_with}
    if min(months_without, months_with) < MIN_GROUP_MONTHS:
        test["result"] = "untestable"
        return Verdict("untestable", "no evidence",
                       f"The record of {outcome} ({window}) has {months_with} dialogue and "
                       f"{months_without} other months; the test needs {MIN_GROUP_MONTHS} on "
                       "each side, so the claim rests on assumptions here.", [test])
    ratio, low, high, p = rate_ratio_interval(events_without, months_without, events_with,
                                              months_with)
    test.update(rate_ratio=ratio, low=low, high=high, p_value=p)
    rates = (f"{12 * events_without / months_without:.2f} {outcome} a year without diplomacy "
             f"against {12 * events_with / months_with:.2f} in dialogue months ({window}; "
             f"ratio {ratio:.2f}, 95 % {low:.2f}–{high:.2f})")
    caveat = "; an association on the record, not a causal estimate."
    if low > 1.0:
        test["result"] = "higher without diplomacy"
        return Verdict("supported-in-sample", "in-sample association",
                       f"Without diplomacy the record has more: {rates}" + caveat, [test])
    if high < 1.0:
        test["result"] = "lower without diplomacy"
        return Verdict("contradicted", "in-sample association",
                       f"Without diplomacy the record has fewer: {rates}" + caveat, [test])
    test["result"] = "no clear difference"
    return Verdict("not-supported", "in-sample association",
                   f"The record shows no clear difference: {rates}" + caveat, [test])


def assumption_verdict(reason: str, tests: list[dict[str, Any]] | None = None) -> Verdict:
    """The answer passes through assumptions only."""
    return Verdict("untestable", "assumption", reason, list(tests or []))


def judgement_verdict(reason: str) -> Verdict:
    return Verdict("judgement", "value judgement", reason, [])


__all__ = ["IN_SAMPLE_PROBABILITY", "MIN_GROUP_MONTHS", "VERDICTS", "Verdict",
           "association_verdict", "assumption_verdict", "binomial_test", "causal_verdict",
           "judgement_verdict", "rate_ratio_interval", "record_verdict"]
