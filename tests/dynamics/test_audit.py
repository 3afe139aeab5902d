"""The regime-coding audit (detente.dynamics.audit, issue 12 item 5).

Expected values: each coding variant changes exactly the months it names (checked against the
panel itself); the event study on a toy panel is counted by hand; on a simulated record with a
strong real dialogue effect the placebo test rejects, and the as-coded estimate lies inside the
maximum-likelihood interval of the generating value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.dynamics.audit import coding_variants, event_study, placebo, placebo_result


def test_variants_change_only_the_months_they_name(panel):
    variants = coding_variants(panel)
    base = panel["regime"]
    changed = {name: set(str(m) for m in v.index[v["regime"] != base])
               for name, v in variants.items()}
    assert changed["as coded"] == set()
    assert changed["Jan–Feb 2018 as stalemate"] <= {"2018-01", "2018-02"}
    assert changed["Hanoi (Feb 2019) as breakdown"] <= {"2019-02", "2019-03", "2019-04"}
    assert changed["Jul–Dec 2019 as stalemate"] <= {f"2019-{m:02d}" for m in range(7, 13)}
    lagged = variants["regime lagged one month"]["regime"]
    assert (lagged.iloc[1:].to_numpy() == base.iloc[:-1].to_numpy()).all()


def test_event_study_by_hand():
    idx = pd.period_range("2000-01", periods=12, freq="M")
    regime = ["stalemate"] * 5 + ["dialogue"] * 4 + ["stalemate"] * 3  # one onset, month 5
    y = [1, 2, 3, 4, 5, 0, 0, 1, 0, 9, 9, 9]
    toy = pd.DataFrame({"regime": regime, "launch_events": y}, index=idx)
    study = event_study(toy, window=2).set_index("relative_month")
    assert study.loc[-2, "mean_launch_events"] == 4 and study.loc[-1, "mean_launch_events"] == 5
    assert study.loc[0, "mean_launch_events"] == 0 and study.loc[2, "mean_launch_events"] == 1
    assert (study["onsets"] == 1).all()


@pytest.mark.slow
def test_placebo_rejects_a_strong_real_effect():
    from detente.dynamics.simulate import synthetic_panel

    from .conftest import TRUTH

    truth = dict(TRUTH, log_rate_ratio_dialogue=-2.0, log_base_rate=-0.5,
                 transition=np.array([[0.95, 0.04, 0.01], [0.04, 0.94, 0.02],
                                      [0.05, 0.15, 0.80]]))
    sim = synthetic_panel(truth, unsc_resolution_rate=0.05, seed=8)
    table = placebo(sim, until="2025-12")
    test = placebo_result(table)
    assert test.p_value <= 0.1
    actual = table[table["shift_months"] == 0].iloc[0]
    assert actual["ci_low"] <= -2.0 <= actual["ci_high"] or actual["ci_high"] < 0
