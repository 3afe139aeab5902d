"""Vega-Lite specs for the dashboard, built with altair from the API's result dicts.

Charts are rendering, not computing: every function here takes a dict exactly as the JSON API
returns it (:meth:`detente.bargaining.result.Forecast.to_dict`,
:meth:`detente.policy.compare.Comparison.to_dict`, the back-cast's ``to_dict``) and only
reshapes numbers already in it into rows. No quantile, mean or difference is computed here; the
intervals drawn are the ones the library reported. The figures mirror the static report's
(:mod:`detente.report.figures`): bargaining trajectories, forecast positions with intervals,
launch fan charts with what happened, the paired differences and the track record.

The specs target the Vega-Lite major version altair writes in ``$schema`` (v6); the vendored
vega-lite under ``static/vendor`` is checked against it by ``tests/web/test_dashboard.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from detente.errors import DetenteError

#: Policy colours, the report's palette (detente.report.figures.PALETTE) so a policy has one
#: colour in the report and on the page.
PALETTE = ("#7f7f7f", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b",
           "#17becf")
WIDTH = 260
HEIGHT = 150


class ChartError(DetenteError):
    """A result dict that lacks what the asked chart draws (names the missing key); the
    server answers it with a 422."""


def _need(result: Mapping[str, Any], key: str, kind: str) -> Any:
    if not isinstance(result, Mapping) or key not in result:
        raise ChartError(f"chart {kind!r}: the result has no {key!r} | pass the dict the API "
                         f"returned for this chart ({CHART_INPUTS[kind]})")
    return result[key]


def _frame(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows)


def _spec(chart: Any) -> dict[str, Any]:
    # validate=False: the spec is checked once in the tests against the schema; re-validating
    # with jsonschema on every lever move would cost most of the request's time.
    return chart.to_dict(validate=False)


def trajectories(result: Mapping[str, Any]) -> dict[str, Any]:
    """Per issue, every actor's position by bargaining round and the outcome path.

    Input: a forecast dict (``issues.<id>.positions_by_round``, ``actors``,
    ``median_by_round`` / ``outcome_by_round``). The report's ``trajectories`` figure.
    """
    import altair as alt

    issues = _need(result, "issues", "trajectories")
    rows = []
    for issue_id, item in issues.items():
        actors = item.get("actors", [])
        for rnd, positions in enumerate(item.get("positions_by_round", [])):
            rows += [{"issue": issue_id, "round": rnd, "series": a, "position": p,
                      "kind": "actor"} for a, p in zip(actors, positions, strict=False)]
        path = item.get("outcome_by_round") or item.get("median_by_round") or []
        rows += [{"issue": issue_id, "round": rnd, "series": "outcome (median voter)",
                  "position": p, "kind": "outcome"} for rnd, p in enumerate(path)]
    base = alt.Chart(_frame(rows)).mark_line(point=False).encode(
        x=alt.X("round:Q", title="round", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("position:Q", title="position (0–100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("series:N", title="actor"),
        strokeDash=alt.StrokeDash("kind:N", title=None, legend=None,
                                  scale=alt.Scale(domain=["actor", "outcome"],
                                                  range=[[1, 0], [6, 3]])),
        strokeWidth=alt.condition("datum.kind == 'outcome'", alt.value(3), alt.value(1.5)),
        tooltip=["issue:N", "series:N", "round:Q", alt.Tooltip("position:Q", format=".1f")],
    ).properties(width=WIDTH, height=HEIGHT)
    return _spec(base.facet(facet=alt.Facet("issue:N", title=None), columns=3)
                 .properties(title="Bargaining trajectories (point run)"))


def positions(result: Mapping[str, Any]) -> dict[str, Any]:
    """Forecast position per issue with its intervals.

    Input: a forecast dict (``issues.<id>.forecast`` and ``draws.quantiles``: 5/25/50/75/95 %)
    or a comparison dict (``positions`` records: median, q25/q75, q10/q90 per policy). The
    report's ``position_distributions`` figure.
    """
    import altair as alt

    rows = []
    if "positions" in result:
        engine = result.get("model")
        for r in result["positions"]:
            if engine is not None and r.get("engine") != engine:
                continue  # the cross-check engine is shown in the table, not on the chart
            rows.append({"issue": r["issue"], "group": r["policy"], "mid": r["median"],
                         "lo": r["q10"], "hi": r["q90"], "lo50": r["q25"], "hi50": r["q75"],
                         "start": r.get("start"), "band": "80 % interval"})
    else:
        for issue_id, item in _need(result, "issues", "positions").items():
            q = (item.get("draws") or {}).get("quantiles") or {}
            row = {"issue": issue_id, "group": result.get("policy") or "status quo",
                   "mid": q.get("0.5", item["forecast"]), "start": item.get("start_median"),
                   "lo": q.get("0.05", item["cycle_range"][0]),
                   "hi": q.get("0.95", item["cycle_range"][1]),
                   "lo50": q.get("0.25"), "hi50": q.get("0.75"),
                   "band": "90 % interval" if q else "cycle range"}
            rows.append(row)
    data = _frame(rows)
    groups = list(dict.fromkeys(data["group"])) if len(data) else []
    colour = alt.Color("group:N", title="policy",
                       scale=alt.Scale(domain=groups, range=list(PALETTE[:len(groups)]) or None))
    y = alt.Y("issue:N", title=None)
    offset = alt.YOffset("group:N")
    base = alt.Chart(data).encode(y=y, yOffset=offset, color=colour)
    wide = base.mark_rule(strokeWidth=1.5).encode(
        x=alt.X("lo:Q", title="forecast position (0–100)", scale=alt.Scale(domain=[0, 100])),
        x2="hi:Q", tooltip=["issue:N", "group:N", "band:N",
                            alt.Tooltip("lo:Q", format=".1f"), alt.Tooltip("hi:Q", format=".1f")])
    narrow = base.mark_rule(strokeWidth=5, opacity=0.6).encode(x="lo50:Q", x2="hi50:Q")
    mid = base.mark_point(filled=True, size=50, shape="diamond").encode(
        x="mid:Q", tooltip=["issue:N", "group:N", alt.Tooltip("mid:Q", format=".1f",
                                                              title="median forecast")])
    start = base.mark_tick(color="black", thickness=1).encode(
        x="start:Q", tooltip=[alt.Tooltip("start:Q", format=".1f", title="start median")])
    return _spec(alt.layer(wide, narrow, mid, start).properties(
        width=2 * WIDTH, title="Forecast positions: median, 50 % and outer interval; "
                               "tick = start"))


def fan(result: Mapping[str, Any]) -> dict[str, Any]:
    """Launch events per horizon year under each policy: median, 50 % and 80 % bands, and what
    happened where the result carries it.

    Input: a comparison dict (``yearly`` records of ``launch_events``; optional ``observed``
    records ``{year, value}`` or ``{month, value}``). The report's fan charts (yearly rather
    than monthly: the comparison dict reports yearly quantiles).
    """
    import altair as alt

    yearly = _need(result, "yearly", "fan")
    rows = [dict(r) for r in yearly if r.get("quantity") == "launch_events"]
    if not rows:
        raise ChartError("chart 'fan': the comparison has no yearly launch-event quantiles "
                         "(a scenario without a dynamics binding simulates no launches)")
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    colour = alt.Color("policy:N", scale=alt.Scale(domain=policies,
                                                   range=list(PALETTE[:len(policies)])),
                       legend=None)
    x = alt.X("year:O", title="horizon year", axis=alt.Axis(labelAngle=0))
    # One data set for the facet (layers inside a facet must inherit it): the quantile rows,
    # then one row per policy and observed year, marked by ``what``.
    observed = [o for o in (result.get("observed") or []) if "year" in o and "value" in o]
    data = _frame([{**r, "what": "forecast"} for r in rows]
                  + [{"policy": p, "year": o["year"], "value": o["value"], "what": "observed"}
                     for p in policies for o in observed])
    base = alt.Chart().encode(x=x, color=colour)
    quantiles = base.transform_filter("datum.what == 'forecast'")
    band80 = quantiles.mark_area(opacity=0.18).encode(
        y=alt.Y("q10:Q", title="launch events per year"), y2="q90:Q")
    band50 = quantiles.mark_area(opacity=0.38).encode(y="q25:Q", y2="q75:Q")
    # the same intervals as bars at each year, so a one-year horizon still shows them
    rule80 = quantiles.mark_rule(strokeWidth=2, opacity=0.6).encode(y="q10:Q", y2="q90:Q")
    rule50 = quantiles.mark_rule(strokeWidth=7, opacity=0.6).encode(y="q25:Q", y2="q75:Q")
    line = quantiles.mark_line(point=True).encode(
        y="median:Q", tooltip=["policy:N", "months:N", alt.Tooltip("median:Q", format=".0f"),
                               alt.Tooltip("q10:Q", format=".0f"),
                               alt.Tooltip("q90:Q", format=".0f")])
    layers = [band80, band50, rule80, rule50, line]
    if observed:
        layers.append(alt.Chart().transform_filter("datum.what == 'observed'")
                      .mark_point(color="black", filled=True, size=40, shape="square")
                      .encode(x="year:O", y="value:Q",
                              tooltip=[alt.Tooltip("value:Q", title="what happened")]))
    chart = alt.layer(*layers).properties(width=WIDTH - 60, height=HEIGHT)
    title = "Launch events per year: median, 50 % and 80 % intervals"
    if observed:
        title += "; squares: what happened"
    return _spec(chart.facet(facet=alt.Facet("policy:N", title=None, sort=policies),
                             columns=4, data=data).properties(title=title))


def paired(result: Mapping[str, Any]) -> dict[str, Any]:
    """Each policy minus the status quo, paired path by path: median and 80 % interval of
    the launch difference, and the mean ± 2 SE of the two probabilities.

    Input: a comparison dict (``paired`` records). The report's paired-difference table.
    """
    import altair as alt

    rows = [dict(r) for r in _need(result, "paired", "paired")]
    if not rows:
        raise ChartError("chart 'paired': the comparison has no paired differences "
                         "(a scenario without a dynamics binding)")
    data = _frame(rows)
    base = alt.Chart().encode(y=alt.Y("policy:N", title=None))
    rule = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("q10:Q", title="policy − status quo"), x2="q90:Q")
    point = base.mark_point(filled=True, size=60).encode(
        x="median:Q", tooltip=["policy:N", "quantity:N", alt.Tooltip("median:Q", format=".3g"),
                               alt.Tooltip("p_better:Q", format=".1%", title="P(better)"),
                               alt.Tooltip("p_worse:Q", format=".1%", title="P(worse)")])
    zero = alt.Chart().mark_rule(color="grey", strokeDash=[3, 3]).encode(x=alt.datum(0))
    chart = alt.layer(zero, rule, point, data=data).properties(width=WIDTH - 40, height=110)
    return _spec(chart.facet(column=alt.Column("quantity:N", title=None))
                 .resolve_scale(x="independent")
                 .properties(title="Paired differences against the status quo"))


def track_record(result: Mapping[str, Any]) -> dict[str, Any]:
    """The engines' back-cast track record against "nothing changes": mean absolute error and
    directions right per forecaster.

    Input: a back-cast dict (``summary.forecasters``). The report's track-record section.
    """
    import altair as alt

    summary = _need(result, "summary", "track-record")
    forecasters = summary.get("forecasters", {}) if isinstance(summary, Mapping) else {}
    rows = []
    for name, f in forecasters.items():
        rows.append({"forecaster": name, "measure": "mean absolute error (points)",
                     "value": f["mean_abs_error"]})
        rows.append({"forecaster": name, "measure": "directions right (issues)",
                     "value": f["direction_correct"]})
    if not rows:
        raise ChartError("chart 'track-record': the back-cast has no forecasters")
    chart = alt.Chart().mark_bar().encode(
        x=alt.X("value:Q", title=None), y=alt.Y("forecaster:N", title=None),
        color=alt.Color("forecaster:N", legend=None),
        tooltip=["forecaster:N", "measure:N", alt.Tooltip("value:Q", format=".3g")],
    ).properties(width=WIDTH, height=90)
    return _spec(chart.facet(column=alt.Column("measure:N", title=None), data=_frame(rows))
                 .resolve_scale(x="independent")
                 .properties(title=f"Track record on {summary.get('n_cases', '?')} past cases"))


#: Chart kinds of ``POST /api/charts/{kind}`` and what each draws from.
CHARTS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "trajectories": trajectories, "positions": positions, "fan": fan, "paired": paired,
    "track-record": track_record,
}
CHART_INPUTS: dict[str, str] = {
    "trajectories": "a forecast", "positions": "a forecast or a comparison",
    "fan": "a comparison", "paired": "a comparison", "track-record": "a back-cast",
}


def chart(kind: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """The Vega-Lite spec of chart ``kind`` for ``result`` (see :data:`CHARTS`)."""
    if kind not in CHARTS:
        raise ChartError(f"unknown chart {kind!r} | allowed: {', '.join(CHARTS)}")
    if not isinstance(result, Mapping):
        raise ChartError(f"chart {kind!r}: the body must be a JSON object (the result dict)")
    try:
        return CHARTS[kind](result)
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise ChartError(f"chart {kind!r}: the result lacks or misshapes {exc} | pass the "
                         f"dict the API returned ({CHART_INPUTS[kind]})") from exc
