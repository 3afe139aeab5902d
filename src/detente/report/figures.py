"""Figures of the comparison report (matplotlib; every function takes ``ax=``).

Figures are built as :class:`matplotlib.figure.Figure` objects, never through pyplot, so
importing or using this module leaves the user's matplotlib backend and pyplot state alone.

Each function draws on the axes it is given (or a new figure) and returns the axes, so the
report, notebooks and ``Comparison.plot.<name>(ax=...)`` share one implementation. Nothing
here computes a forecast: the numbers come from :class:`detente.policy.Comparison`.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

#: One colour per policy position in the comparison (the status quo is grey).
PALETTE = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
STATUS_QUO_COLOUR = "#7f7f7f"
REGIME_COLOURS = {"dialogue": "#cfe8cf", "crisis": "#f4cccc"}


def subplots(nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    """``(figure, axes)`` like ``pyplot.subplots``, without pyplot (no backend, no global
    figure registry); ``figsize`` goes to the figure, the rest to :meth:`Figure.subplots`."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=kw.pop("figsize", None))
    return fig, fig.subplots(nrows, ncols, **kw)


def _axes(ax: Any, figsize: tuple[float, float] = (7, 4)) -> Any:
    if ax is None:
        _, ax = subplots(figsize=figsize)
    return ax


def _colour(comp: Any, policy_id: str) -> str:
    ids = list(comp.policy_ids)
    return PALETTE[ids.index(policy_id) % len(PALETTE)] if policy_id in ids else \
        STATUS_QUO_COLOUR


def fan_chart(comp: Any, policy_id: str, ax: Any = None, series: str = "launch_events",
              ymax: float | None = None, observed: pd.Series | None = None) -> Any:
    """Monthly ``series`` of one policy: median with 50 % and 80 % bands over the horizon.

    ``observed`` (a monthly series with a PeriodIndex) is overlaid as dots where it overlaps
    the horizon: the months after the training window that the fit never saw.
    """
    ax = _axes(ax)
    o = comp.outcome(policy_id)
    arr = getattr(o.trajectories, series)
    months = o.trajectories.months
    x = months.to_timestamp()
    q = np.quantile(arr, [0.1, 0.25, 0.5, 0.75, 0.9], axis=0)
    c = _colour(comp, policy_id)
    ax.fill_between(x, q[0], q[4], color=c, alpha=0.18, lw=0, label="80 % interval")
    ax.fill_between(x, q[1], q[3], color=c, alpha=0.38, lw=0, label="50 % interval")
    ax.plot(x, q[2], color=c, lw=1.8, label="median")
    if observed is not None:
        seen = observed[(observed.index >= months[0]) & (observed.index <= months[-1])]
        if len(seen):
            ax.plot(seen.index.to_timestamp(), seen.to_numpy(), "o", ms=3, color="black",
                    label="observed (not used in the fit)")
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_title(o.name, fontsize=9)
    ax.set_ylabel(series.replace("_", " ") + " per month", fontsize=8)
    if ymax is not None:
        ax.set_ylim(0, ymax)
    ax.tick_params(labelsize=7)
    return ax


def fan_charts(comp: Any, axes: Any = None, series: str = "launch_events",
               observed: pd.Series | None = None) -> Any:
    """One fan chart per policy on a shared y scale (so they compare); returns the axes."""
    n = len(comp.outcomes)
    if axes is None:
        _, axes = subplots(1, n, figsize=(3.3 * n, 3.2), sharey=True, squeeze=False)
        axes = axes[0]
    ymax = max(float(np.quantile(getattr(o.trajectories, series), 0.9, axis=0).max())
               for o in comp.outcomes)
    if observed is not None:
        ymax = max(ymax, float(observed.loc[observed.index >= comp.outcomes[0].trajectories
                                            .months[0]].max() if len(observed) else 0))
    for ax, o in zip(axes, comp.outcomes, strict=False):
        fan_chart(comp, o.policy_id, ax=ax, series=series, ymax=1.05 * ymax + 0.5,
                  observed=observed)
    axes[0].legend(fontsize=7, loc="upper left")
    return axes


def yearly_intervals(comp: Any, ax: Any = None, series: str = "launch_events") -> Any:
    """Per policy and horizon year: median and 50 %/80 % intervals of the yearly total."""
    ax = _axes(ax)
    n = len(comp.outcomes)
    width = 0.8 / n
    for k, o in enumerate(comp.outcomes):
        tot = o.yearly_totals(series)
        q = np.quantile(tot, [0.1, 0.25, 0.5, 0.75, 0.9], axis=0)
        x = np.arange(tot.shape[1]) + (k - (n - 1) / 2) * width
        c = _colour(comp, o.policy_id)
        ax.vlines(x, q[0], q[4], color=c, lw=1.2)
        ax.vlines(x, q[1], q[3], color=c, lw=5, alpha=0.7)
        ax.plot(x, q[2], "o", color="white", mec=c, ms=5, label=o.policy_id)
    ax.set_xticks(np.arange(comp.horizon_years), comp.year_labels, fontsize=7)
    ax.set_ylabel(f"{series.replace('_', ' ')} per year", fontsize=8)
    ax.legend(fontsize=7)
    return ax


def position_distributions(comp: Any, ax: Any = None, engine: str | None = None) -> Any:
    """Forecast position per issue and policy: median, 50 % and 80 % intervals (0–100)."""
    ax = _axes(ax, (7, 4.5))
    frame = comp.positions_frame()
    engine = engine or comp.engine
    frame = frame[frame["engine"] == engine]
    issues = list(dict.fromkeys(frame["issue"]))
    n = len(comp.outcomes)
    height = 0.8 / n
    for k, o in enumerate(comp.outcomes):
        sub = frame[frame["policy"] == o.policy_id].set_index("issue").reindex(issues)
        y = np.arange(len(issues)) + (k - (n - 1) / 2) * height
        c = _colour(comp, o.policy_id)
        ax.hlines(y, sub["q10"], sub["q90"], color=c, lw=1.2)
        ax.hlines(y, sub["q25"], sub["q75"], color=c, lw=5, alpha=0.7)
        ax.plot(sub["median"], y, "o", color="white", mec=c, ms=5, label=o.policy_id)
    # the reference of every forecast: each issue's status quo (where things stand)
    status_quo = {i.id: i.status_quo.value for i in comp.scenario.issues
                  if i.status_quo is not None}
    for j, issue_id in enumerate(issues):
        if issue_id in status_quo:
            ax.plot([status_quo[issue_id]] * 2, [j - 0.45, j + 0.45], color="black", lw=1.2)
    ax.set_yticks(np.arange(len(issues)), issues, fontsize=8)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel(f"forecast position ({engine.upper()}; | = status quo)", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    return ax


def trajectories(comp: Any, policy_id: str, axes: Any = None) -> Any:
    """Bargaining trajectories of the point run: each actor's position per round, per issue."""
    fc = comp.outcome(policy_id).bargaining
    issues = list(fc.results)
    if axes is None:
        cols = 3
        rows = int(np.ceil(len(issues) / cols))
        _, axes = subplots(rows, cols, figsize=(9, 2.2 * rows), sharex=True, sharey=True,
                               squeeze=False)
        for ax in axes.ravel():
            ax.label_outer()  # tick labels on the outer axes only
        axes = axes.ravel()
    for ax, issue_id in zip(axes, issues, strict=False):
        res = fc.results[issue_id]
        for a, actor in enumerate(res.actor_ids):
            ax.plot(res.positions[:, a], lw=1.2, label=actor)
        ax.plot(res.median, color="black", lw=2, ls="--", label="median voter")
        ax.set_title(issue_id, fontsize=8)
        ax.set_ylim(-2, 102)
        ax.tick_params(labelsize=7)
    for ax in list(axes)[len(issues):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=6, ncol=2)
    return axes


def dialogue_odds(comp: Any, ax: Any = None) -> Any:
    """P(dialogue starts in each horizon year) per policy (bridge rule B1 through the model)."""
    ax = _axes(ax)
    start = int(comp.posterior.state.regime)
    n = len(comp.outcomes)
    width = 0.8 / n
    for k, o in enumerate(comp.outcomes):
        p = o.p_dialogue_starts_by_year(start)
        ax.bar(np.arange(len(p)) + (k - (n - 1) / 2) * width, p, width,
               color=_colour(comp, o.policy_id), label=o.policy_id)
    ax.set_xticks(np.arange(comp.horizon_years), comp.year_labels, fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(dialogue starts in the year)", fontsize=8)
    ax.legend(fontsize=7)
    return ax


def scenario_index(comp: Any, ax: Any = None) -> Any:
    """The conflict-risk scenario index per policy, stacked by weighted component."""
    ax = _axes(ax, (7, 3))
    w = comp.bridge.index_weights()
    w = w / w.sum()
    names = ("launches", "nuclear", "crisis", "polarisation")
    colours = ("#4c72b0", "#c44e52", "#dd8452", "#8172b3")
    outs = [*comp.outcomes]
    left = np.zeros(len(outs))
    for j, name in enumerate(names):
        vals = np.array([100 * w[j] * o.index_components.get(name, 0.0) for o in outs])
        ax.barh(np.arange(len(outs)), vals, left=left, color=colours[j], label=name)
        left += vals
    ax.set_yticks(np.arange(len(outs)), [o.policy_id for o in outs], fontsize=8)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("scenario index from stated assumptions — not a probability", fontsize=8)
    ax.legend(fontsize=7, ncol=4, loc="lower right")
    return ax


def history(panel: pd.DataFrame, ax: Any = None, until: str | None = None) -> Any:
    """Monthly launch events of the record, regimes shaded, the training end marked."""
    ax = _axes(ax, (9, 3))
    x = panel.index.to_timestamp()
    for name, colour in REGIME_COLOURS.items():
        on = (panel["regime"] == name).to_numpy()
        ax.fill_between(x, 0, 1, where=on, color=colour, transform=ax.get_xaxis_transform(),
                        lw=0, label=f"{name} regime", step="mid")
    # a step area instead of ~500 bars: the same picture, drawn in one artist
    ax.fill_between(x, panel["launch_events"].to_numpy(dtype=float), step="mid",
                    color="#333333", lw=0, label="launch events")
    tests = panel.index[panel["nuclear_test"] > 0].to_timestamp()
    ax.plot(tests, np.full(len(tests), panel["launch_events"].max() * 1.05), "v",
            color="#c00000", ms=6, label="nuclear test")
    if until is not None:
        ax.axvline(pd.Period(until, freq="M").to_timestamp(), color="black", ls=":", lw=1)
        ax.text(pd.Period(until, freq="M").to_timestamp(), ax.get_ylim()[1] * 0.9,
                " training ends", fontsize=7)
    ax.set_ylabel("launch events per month", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, ncol=4, loc="upper left")
    return ax


def prior_posterior(posterior: Any, axes: Any = None,
                    names: tuple[str, ...] = ("log_rate_ratio_dialogue", "log_rate_ratio_crisis",
                                              "sanctions_effect",
                                              "nuclear_log_odds_dialogue")) -> Any:
    """Prior density beside the posterior histogram for the parameters policies act through."""
    from detente.dynamics.priors import prior

    names = tuple(n for n in names if n in posterior.samples)
    if axes is None:
        _, axes = subplots(1, len(names), figsize=(3 * len(names), 2.6), squeeze=False)
        axes = axes[0]
    for ax, name in zip(axes, names, strict=False):
        draws = np.asarray(posterior.samples[name], dtype=float)
        lo, hi = np.quantile(draws, [0.005, 0.995])
        spec = prior(name)
        d = spec.frozen_scipy()
        plo, phi = d.ppf([0.01, 0.99])
        grid = np.linspace(min(lo, plo), max(hi, phi), 200)
        ax.hist(draws[(draws >= grid[0]) & (draws <= grid[-1])], bins=40, density=True,
                color="#4c72b0", alpha=0.6, label="posterior")
        ax.plot(grid, d.pdf(grid), color="black", lw=1.5, label=f"prior {spec.describe()}")
        ax.set_title(f"{spec.symbol}: {name}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    return axes


def backtest_skill(oos: Any, ax: Any = None) -> Any:
    """CRPS skill of the model against every other forecaster, per held-out episode.

    ``oos`` is a :class:`detente.policy.episode.OutOfSample` (read from the dynamic model's
    episode back-test). Skill :math:`1 - \\text{CRPS}_\\text{model}/\\text{CRPS}_\\text{ref}`:
    right of zero the model is better. The held-out episode of the comparison is starred.
    """
    ax = _axes(ax, (7, 3.2))
    skill = oos.skill["crps_skill"]
    labels = [e.label for e in oos.episodes]
    baselines = list(dict.fromkeys(skill.index.get_level_values(1)))
    height = 0.8 / max(len(baselines), 1)
    for j, ref in enumerate(baselines):
        vals = [float(skill.get((lab, ref), np.nan)) for lab in labels]
        ax.barh(np.arange(len(labels)) + (j - (len(baselines) - 1) / 2) * height, vals,
                height=height, color=PALETTE[j % len(PALETTE)], label=f"vs {ref}")
    held = oos.held_out.label if oos.held_out is not None else None
    ax.set_yticks(np.arange(len(labels)),
                  [f"{lab} *" if lab == held else lab for lab in labels])
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel("CRPS skill of the model (> 0: the model is better)", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=7, loc="best")
    return ax


def reliability_diagram(series: list[dict[str, Any]], ax: Any = None,
                        what: str = "P(≥ 1 launch event in a month)",
                        points: list[dict[str, Any]] | None = None) -> Any:
    """Reliability diagram: per probability bin, the mean forecast against the observed
    frequency, one line per forecaster, the bins' counts written beside the first forecaster's
    points; the diagonal is perfect calibration.

    ``series`` is a list of ``{"forecaster", "role", "rows": [{"low", "high", "forecast",
    "observed", "n"}]}`` as :func:`detente.evaluation.backtest_calibration` returns them (the
    rows of :meth:`detente.dynamics.backtest.BacktestResult.reliability`) or as the report
    groups a :class:`detente.forecasts.ScoreResult`'s calibration table. ``points`` (optional,
    ``[{"p", "observed"}]``) are single forecasts drawn at their 0/1 outcome.
    """
    ax = _axes(ax, (5.5, 4.2))
    ax.plot([0, 1], [0, 1], color="black", ls="--", lw=0.8, label="perfect calibration")
    for k, s in enumerate(series):
        rows = s["rows"]
        if not rows:
            continue
        x = [r["forecast"] for r in rows]
        y = [r["observed"] for r in rows]
        c = PALETTE[k % len(PALETTE)]
        label = s["forecaster"] + (f" ({s['role']})" if s.get("role") else "")
        ax.plot(x, y, "o-", color=c, lw=1.2, ms=5, label=label)
        if k == 0:
            for r in rows:
                ax.annotate(f"n={r['n']}", (r["forecast"], r["observed"]), fontsize=6,
                            xytext=(4, 4), textcoords="offset points", color=c)
    if points:
        ax.plot([q["p"] for q in points], [q["observed"] for q in points], "x",
                color="black", ms=6, label="single forecasts (outcome 0 or 1)")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(f"forecast {what}", fontsize=8)
    ax.set_ylabel("observed frequency", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper left")
    return ax


def pit_histogram(series: list[dict[str, Any]], ax: Any = None) -> Any:
    """PIT histograms as densities (a calibrated forecaster's is flat at 1): the first
    forecaster as bars, the others as steps.

    ``series`` is a list of ``{"forecaster", "role", "shares"}``, the bin shares of
    :meth:`detente.dynamics.backtest.BacktestResult.pit` (they sum to 1), as
    :func:`detente.evaluation.backtest_calibration` returns them.
    """
    ax = _axes(ax, (5.5, 3.6))
    for k, s in enumerate(series):
        shares = np.asarray(s["shares"], dtype=float)
        bins = len(shares)
        edges = np.linspace(0.0, 1.0, bins + 1)
        label = s["forecaster"] + (f" ({s['role']})" if s.get("role") else "")
        c = PALETTE[k % len(PALETTE)]
        if k == 0:
            ax.bar(edges[:-1], shares * bins, width=1.0 / bins, align="edge", color=c,
                   alpha=0.6, edgecolor="white", label=label)
        else:
            ax.stairs(shares * bins, edges, color=c, lw=1.5, label=label)
    ax.axhline(1.0, color="black", ls="--", lw=0.8, label="uniform (calibrated)")
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability integral transform (PIT)", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper left")
    return ax


def tornado(rows: pd.DataFrame, ax: Any = None, output: str = "", index: str = "ST") -> Any:
    """Tornado chart of a sensitivity sweep for one output: inputs by index, largest on top.

    ``rows`` has columns ``input, value, conf`` (a :func:`detente.runs.sweep.tornado_frame`);
    the whiskers are the 95 % bootstrap intervals SALib reports (absent for grid main effects).
    """
    ax = _axes(ax, (7, 0.35 * max(len(rows), 1) + 1.2))
    y = np.arange(len(rows))
    conf = rows["conf"].to_numpy(dtype=float) if "conf" in rows else np.full(len(rows), np.nan)
    ax.barh(y, rows["value"].to_numpy(dtype=float), color=PALETTE[0],
            xerr=np.where(np.isfinite(conf), conf, 0.0), ecolor="black", capsize=2)
    ax.set_yticks(y, list(rows["input"]))
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel(f"{index} of {output}", fontsize=8)
    ax.tick_params(labelsize=8)
    return ax


def figure_fingerprint(fig: Any) -> str:
    """SHA-256 of everything a figure renders from: its pickled state (the state matplotlib
    restores a figure from, with the same picture) and the rcParams a ``savefig`` reads.

    Two parts of that state differ between two builds of the same figure without changing
    the picture, and are left out: the invalidation links of transforms (keyed by ``id()``)
    and the rule a date locator builds with ``dtstart = now`` (the locator resets ``dtstart``
    to the axis's view before it computes any tick; its construction arguments stay in).
    """
    import matplotlib
    from matplotlib.dates import rrulewrapper
    from matplotlib.transforms import TransformNode

    from detente._memo import CanonicalPickler, fingerprint

    class _Fingerprint(CanonicalPickler):
        memo = True  # a figure and its axes refer to each other

        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, TransformNode):
                state = {k: v for k, v in obj.__getstate__().items() if k != "_parents"}
                return type(obj), (), state
            if isinstance(obj, rrulewrapper):
                return type(obj), (), {k: v for k, v in vars(obj).items() if k != "_rrule"}
            return NotImplemented

    rc = repr(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items()))
    return fingerprint((fig, rc, matplotlib.__version__), _Fingerprint)


def to_png(fig: Any, dpi: int = 90) -> bytes:
    """The figure as PNG bytes.

    Rendering (``tight_layout`` and ``savefig``) is most of a warm report's time, and a figure
    built from the same numbers renders the same bytes: the PNG is kept in the stage cache
    (:mod:`detente._memo`) under :func:`figure_fingerprint` and ``dpi``. On a hit the figure is
    not laid out or drawn.
    """
    from detente._memo import memo

    def render() -> bytes:
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()

    png, _ = memo("figure", {"figure": figure_fingerprint(fig), "dpi": int(dpi)}, render)
    return png


class ComparisonPlots:
    """``Comparison.plot``: the figure functions above bound to one comparison."""

    def __init__(self, comp: Any) -> None:
        self._comp = comp

    def fan_chart(self, policy_id: str, ax: Any = None, **kw: Any) -> Any:
        return fan_chart(self._comp, policy_id, ax=ax, **kw)

    def fan_charts(self, axes: Any = None, **kw: Any) -> Any:
        return fan_charts(self._comp, axes=axes, **kw)

    def yearly(self, ax: Any = None, **kw: Any) -> Any:
        return yearly_intervals(self._comp, ax=ax, **kw)

    def positions(self, ax: Any = None, **kw: Any) -> Any:
        return position_distributions(self._comp, ax=ax, **kw)

    def trajectories(self, policy_id: str, axes: Any = None) -> Any:
        return trajectories(self._comp, policy_id, axes=axes)

    def dialogue(self, ax: Any = None) -> Any:
        return dialogue_odds(self._comp, ax=ax)

    def index(self, ax: Any = None) -> Any:
        return scenario_index(self._comp, ax=ax)

    def prior_posterior(self, axes: Any = None) -> Any:
        return prior_posterior(self._comp.posterior, axes=axes)
