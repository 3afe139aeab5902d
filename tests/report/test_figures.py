"""``ComparisonPlots(comparison).<name>(ax=...)``: every figure function draws on the axes it is given.

Expected content is structural and independent of the numbers: one fan chart per policy on a
shared y scale, one marker series per policy, the index axis labelled as not a probability.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from detente.report.figures import ComparisonPlots


def test_plot_functions_draw_on_given_axes(small_comparison):
    comp = small_comparison
    n = len(comp.outcomes)
    _, axes = plt.subplots(1, n, sharey=True)
    out = ComparisonPlots(comp).fan_charts(axes=axes)
    assert len(out) == n
    assert len({ax.get_ylim() for ax in axes}) == 1  # one scale so the policies compare
    for name in ("yearly", "positions", "dialogue", "index"):
        _, ax = plt.subplots()
        assert getattr(ComparisonPlots(comp), name)(ax=ax) is ax
        assert ax.has_data()
    _, ax = plt.subplots()
    ComparisonPlots(comp).index(ax=ax)
    assert "not a probability" in ax.get_xlabel()
    _, ax = plt.subplots()
    ComparisonPlots(comp).positions(ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == list(comp.policy_ids)
    axes = ComparisonPlots(comp).trajectories(comp.policy_ids[0])
    assert sum(ax.get_visible() for ax in axes) == len(comp.scenario.issues)
    plt.close("all")
