"""Verdicts by rule (detente.verdicts, issue 12): each rule on inputs whose right verdict is known.

The end-to-end test simulates two monthly panels from the dynamic model's own generative code
(``synthetic_panel``) that differ only in the dialogue effect: one with a strong real effect,
one with none. Back-tested on rolling origins, the claim "the launch rate is lower in dialogue"
must come out supported out of sample on the first and not on the second.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from detente.verdicts import VERDICTS, causal_verdict, record_verdict

BEATS = {"verdict": "beats", "difference": -0.2, "p_value": 0.001}
TIE = {"verdict": "tie", "difference": -0.01, "p_value": 0.6}
BEATEN = {"verdict": "beaten", "difference": 0.2, "p_value": 0.01}


def test_causal_rules():
    rng = np.random.default_rng(0)
    negative = rng.normal(-1.0, 0.2, 1000)   # P(sign = −1) ≈ 1
    unclear = rng.normal(0.0, 1.0, 1000)     # ≈ 0.5
    positive = rng.normal(1.0, 0.2, 1000)    # ≈ 0
    assert causal_verdict(unclear, -1, BEATS, "e").verdict == "supported-out-of-sample"
    assert causal_verdict(negative, -1, TIE, "e").verdict == "supported-in-sample"
    assert causal_verdict(negative, -1, None, "e").verdict == "supported-in-sample"
    assert causal_verdict(unclear, -1, TIE, "e").verdict == "not-supported"
    assert causal_verdict(positive, -1, BEATEN, "e").verdict == "contradicted"
    assert causal_verdict(None, -1, None, "e").verdict == "not-supported"
    v = causal_verdict(negative, -1, TIE, "e")
    assert v.tests[0]["p_value"] == 0.6 and v.tests[1]["probability"] > 0.99


def test_record_rules():
    assert record_verdict([("a", True, 1), ("b", True, 2)], "x").verdict == \
        "supported-in-sample"
    v = record_verdict([("a", True, 1), ("b fails", False, 0)], "x")
    assert v.verdict == "contradicted" and "b fails" in v.sentence
    assert set(VERDICTS) == {"supported-out-of-sample", "supported-in-sample", "not-supported",
                             "contradicted", "untestable", "judgement"}


def _c4_verdict(log_ratio: float, backtest_seed: int) -> str:
    """C4's rule on a simulated record: persistent regimes (a regime lasts years, as the DPRK's
    dialogue and stalemate spells do) and a launch rate high enough for the effect to show in a
    year of months; 54 half-yearly rolling origins, 12 months ahead."""
    from detente.dynamics import backtest, fit
    from detente.dynamics.simulate import synthetic_panel

    from .dynamics.conftest import TRUTH

    truth = dict(TRUTH, log_rate_ratio_dialogue=log_ratio, log_base_rate=-0.5,
                 transition=np.array([[0.985, 0.01, 0.005], [0.01, 0.98, 0.01],
                                      [0.05, 0.15, 0.80]]))
    panel = synthetic_panel(truth, unsc_resolution_rate=0.05, seed=8)
    origins = [f"{year}-{month:02d}" for year in range(1998, 2025) for month in (1, 7)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bt = backtest(panel, origins=origins, horizon_months=12, episodes=False, draws=300,
                      seed=backtest_seed)
    rows = bt.comparisons("rolling")
    row = rows[(rows.baseline == "no_policy") & (rows.score == "log_score")
               & (rows.horizon == "1-12")].iloc[0].to_dict()
    post = fit(panel, method="laplace", chains=1, samples=400, seed=0, cache=False)
    return causal_verdict(post.samples["log_rate_ratio_dialogue"], -1, row, "e").verdict


@pytest.mark.slow
def test_a_real_regime_effect_is_supported_out_of_sample_and_none_is_not():
    # a real effect (rate ratio e^-2.5 ≈ 0.08): supported out of sample, whatever the seed of
    # the back-test's Monte Carlo draws; no effect: not
    assert _c4_verdict(-2.5, backtest_seed=1) == "supported-out-of-sample"
    assert _c4_verdict(-2.5, backtest_seed=2) == "supported-out-of-sample"
    assert _c4_verdict(0.0, backtest_seed=1) != "supported-out-of-sample"


def test_the_argument_is_data_with_declared_tests(reference_dir):
    """The argument file lists exactly the claims of claims.md, each with a kind and at least
    one declared test (claim ids read from the reference by a regex)."""
    import re

    from detente.policy.claims import load_argument

    doc = load_argument("korea-2023-column")
    ids = re.findall(r"^\|\s*(C\d+)\s*\|", (reference_dir / "korea-2023" / "claims.md")
                     .read_text(encoding="utf-8"), flags=re.M)
    assert [c["id"] for c in doc["claims"]] == ids
    kinds = {"descriptive", "structural", "causal", "prescriptive", "judgement"}
    for claim in doc["claims"]:
        assert claim["kind"] in kinds and claim["tests"] and claim["text"]
        assert {t["test"] for t in claim["tests"]} <= {"record", "in-sample", "out-of-sample",
                                                       "assumption", "judgement"}


# --- association verdicts (C5, C6): expected values from the binomial derivation ------------

def test_rate_ratio_interval_is_the_clopper_pearson_interval_mapped_to_the_ratio():
    from scipy import stats

    from detente.verdicts import rate_ratio_interval

    # a = 30 events in 100 months, b = 10 in 200: given N = 40, a ~ Bin(40, π), π = R/(R + 2)
    ratio, low, high, p = rate_ratio_interval(30, 100, 10, 200)
    assert ratio == pytest.approx((30 / 100) / (10 / 200))
    lo_pi = stats.beta.ppf(0.025, 30, 11)  # Clopper–Pearson bounds as beta quantiles
    hi_pi = stats.beta.ppf(0.975, 31, 10)
    assert low == pytest.approx(lo_pi / (1 - lo_pi) * 2, rel=1e-9)
    assert high == pytest.approx(hi_pi / (1 - hi_pi) * 2, rel=1e-9)
    assert p == pytest.approx(stats.binomtest(30, 40, 1 / 3).pvalue)


@pytest.mark.parametrize(("counts", "expected"), [
    ((30, 100, 5, 100), "supported-in-sample"),   # six times the rate without diplomacy
    ((10, 100, 10, 100), "not-supported"),        # the same rate
    ((2, 100, 25, 100), "contradicted"),          # far fewer without diplomacy
    ((9, 221, 0, 0), "untestable"),               # no dialogue month in the record
    ((9, 221, 1, 11), "untestable"),              # 11 dialogue months: below the 12 needed
])
def test_association_verdict_by_rule(counts, expected):
    from detente.verdicts import association_verdict

    verdict = association_verdict(*counts, "incidents", "a synthetic record")
    assert verdict.verdict == expected
    assert "not a causal estimate" in verdict.sentence or expected == "untestable"
    assert verdict.tests[0]["kind"] == "in-sample"


def test_c5_counts_come_from_the_shipped_diplomacy_and_sanctions_files():
    # the association test behind C5 counts the alignment events (a bilateral step with Russia or
    # China without the US, ROK or Japan, or a Russian/Chinese veto) by regime month: recount the
    # events from the CSV files with the csv module, independently of detente.evidence.outcomes
    import csv
    from importlib import resources

    import detente
    from detente.evidence.outcomes import alignment_events
    from detente.policy.claims import _association

    data = resources.files("detente.evidence") / "data"
    with (data / "diplomacy_events.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    western = {"US", "ROK", "Japan"}
    expected_dated = 0
    for r in rows:
        parties = {p.strip() for p in r["parties"].replace(";", ",").split(",")}
        if parties & {"Russia", "China"} and not parties & western and r["type"] in (
                "summit", "agreement", "channel", "military") and len(r["date_start"]) >= 7:
            expected_dated += 1
    with (data / "sanctions.csv").open(encoding="utf-8") as f:
        expected_dated += sum(1 for r in csv.DictReader(f) if r["kind"] == "veto")
    verdict = _association(detente.monthly_panel(), alignment_events(), "alignment events", "x")
    stats_ = verdict.tests[0]
    assert stats_["events_without"] + stats_["events_with"] == expected_dated


def test_binomial_test_is_the_exact_two_sided_test_with_the_clopper_pearson_interval():
    """By hand: 2 successes in 10 at p = 1/2. The two-sided p-value sums the outcomes no more
    likely than 2, i.e. {0, 1, 2, 8, 9, 10}: 2 (1 + 10 + 45) / 1024 = 0.109375. The exact 95 %
    interval is the Clopper–Pearson one: Beta(2, 9) at 0.025 and Beta(3, 8) at 0.975."""
    from scipy.stats import beta

    from detente.verdicts import binomial_test

    p_value, low, high = binomial_test(2, 10, 0.5)
    assert p_value == pytest.approx(112 / 1024, rel=1e-12)
    assert low == pytest.approx(beta.ppf(0.025, 2, 9), rel=1e-9)
    assert high == pytest.approx(beta.ppf(0.975, 3, 8), rel=1e-9)


def test_a_warm_binomial_test_does_not_import_scipy_stats(tmp_path):
    """issue 16: the test's numbers come from the stage cache on a second run, so a warm
    `detente compare` does not pay scipy.stats' import; the cached numbers are the computed
    ones, bit for bit."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys\n"
            "from detente.verdicts import binomial_test\n"
            "print(json.dumps([binomial_test(7, 23, 0.31), 'scipy.stats' in sys.modules]))\n")
    env = {**os.environ, "DETENTE_CACHE": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, timeout=120) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    (cold, cold_imported), (warm, warm_imported) = (json.loads(r.stdout) for r in runs)
    assert cold_imported and not warm_imported
    assert warm == cold
