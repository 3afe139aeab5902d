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


def assumption_verdict(reason: str, tests: list[dict[str, Any]] | None = None) -> Verdict:
    """The answer passes through assumptions only."""
    return Verdict("untestable", "assumption", reason, list(tests or []))


def judgement_verdict(reason: str) -> Verdict:
    return Verdict("judgement", "value judgement", reason, [])


__all__ = ["IN_SAMPLE_PROBABILITY", "VERDICTS", "Verdict", "assumption_verdict",
           "causal_verdict", "judgement_verdict", "record_verdict"]
