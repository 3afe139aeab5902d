"""The dashboard's server side: its page and static files, the vendored JavaScript, and the
Vega-Lite specs of ``POST /api/charts/{kind}``, over a real ``detente serve`` (uvicorn) on 127.0.0.1.

Expected numbers come from outside the code under test: the vendored files' hashes from
``static/vendor/VENDOR.md`` (written when they were fetched), the vega-lite version from the
vendored build itself, and every charted number from the library result the chart is given
(``Forecast.to_dict`` of a real SMP run): a chart may reshape those numbers, never change them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from detente.web.dashboard import STATIC

VENDOR = STATIC / "vendor"


@pytest.fixture(scope="module")
def dashboard_server(api_server: Any) -> Any:
    """The API tests' ``detente serve`` (tests/web/conftest.py): a real uvicorn server."""
    return api_server


@pytest.fixture(scope="module")
def smp_forecast() -> dict[str, Any]:
    """A real SMP forecast of the embedded default scenario with Monte Carlo draws."""
    from detente.bargaining.forecast import forecast
    from detente.scenario import load_scenario

    return forecast(load_scenario("korea-2023"), model="smp", draws=8, seed=7).to_dict()


# ------------------------------------------------------------------ vendored files
def _vendor_table() -> dict[str, tuple[str, str]]:
    """``file -> (version, sha256 of the file)`` from VENDOR.md's table."""
    rows = {}
    for line in (VENDOR / "VENDOR.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip(" `") for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0].endswith(".min.js"):
            rows[cells[0]] = (cells[2], cells[5])
    return rows


def test_vendored_files_match_vendor_md():
    table = _vendor_table()
    assert sorted(table) == ["vega-embed.min.js", "vega-lite.min.js", "vega.min.js"]
    for name, (_, digest) in table.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    for lic in ("LICENSE-vega", "LICENSE-vega-lite", "LICENSE-vega-embed"):
        text = (VENDOR / lic).read_text(encoding="utf-8")
        assert "Redistribution and use in source and binary forms" in text, lic  # BSD-3


def test_vendored_swagger_ui_matches_vendor_md():
    # the API's /docs page loads these instead of a CDN copy (they and their hashes: VENDOR.md)
    rows = {}
    for line in (VENDOR / "VENDOR.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip(" `") for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[1] == "swagger-ui-dist":
            rows[cells[0]] = cells[5]
    assert sorted(rows) == ["swagger-favicon-32x32.png", "swagger-ui-bundle.js",
                            "swagger-ui.css"]
    for name, digest in rows.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "Apache License" in (VENDOR / "LICENSE-swagger-ui-dist").read_text(encoding="utf-8")


def test_altair_schema_major_matches_vendored_vega_lite(smp_forecast):
    from detente.web.charts import chart

    vendored = _vendor_table()["vega-lite.min.js"][0]
    # the build announces its own version near its start (var n="6.4.3")
    head = (VENDOR / "vega-lite.min.js").read_text(encoding="utf-8")[:2000]
    assert f'"{vendored}"' in head
    schema = chart("positions", smp_forecast)["$schema"]
    major = re.search(r"/vega-lite/v(\d+)\.", schema)
    assert major is not None, schema
    assert major.group(1) == vendored.split(".")[0]


# ------------------------------------------------------------------ the page and its files
def test_page_loads_only_local_assets(dashboard_server):
    page = httpx.get(dashboard_server.url + "/", timeout=30)
    assert page.status_code == 200
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert refs, "the page references no assets"
    for ref in refs:
        assert ref.startswith(("/static/", "data:")), ref
        if ref.startswith("/static/"):
            asset = httpx.get(dashboard_server.url + ref, timeout=30)
            assert asset.status_code == 200, ref
            assert asset.content, ref


def test_page_passes_its_token_to_its_assets(dashboard_server):
    page = httpx.get(dashboard_server.url + "/?token=a%20b%22c", timeout=30).text
    assert '/static/dashboard.js?token=a%20b%22c"' in page
    assert "{{asset_query}}" not in page


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/%2e%2e/app.py",
                                  "/static/vendor/../../dashboard.py", "/static/nope.js"])
def test_static_never_serves_outside_its_folder(dashboard_server, path):
    res = httpx.get(dashboard_server.url + path, timeout=30)
    assert res.status_code == 404, path
    assert "router = APIRouter" not in res.text


def test_static_files_ship_with_the_package():
    """Hatchling packages ``src/detente`` whole; nothing in .gitignore drops the page's
    files (the wheel takes what git would)."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    for rel in ("index.html", "dashboard.js", "dashboard.css", "vendor/vega.min.js",
                "vendor/vega-lite.min.js", "vendor/vega-embed.min.js"):
        path = STATIC / rel
        ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", str(path)],
                                 check=False).returncode == 0
        assert path.is_file() and not ignored, rel


# ------------------------------------------------------------------ chart specs
def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline data rows of a spec (altair puts them under ``datasets``)."""
    rows: list[dict[str, Any]] = []
    for data in spec.get("datasets", {}).values():
        rows += data
    return rows


def test_positions_chart_carries_the_forecast_quantiles_unchanged(dashboard_server,
                                                                  smp_forecast):
    res = httpx.post(dashboard_server.url + "/api/charts/positions", json=smp_forecast,
                     timeout=60)
    assert res.status_code == 200, res.text
    rows = {r["issue"]: r for r in _values(res.json())}
    assert sorted(rows) == sorted(smp_forecast["issues"])
    for issue, item in smp_forecast["issues"].items():
        q = item["draws"]["quantiles"]
        assert rows[issue]["mid"] == q["0.5"]
        assert (rows[issue]["lo"], rows[issue]["hi"]) == (q["0.05"], q["0.95"])
        assert (rows[issue]["lo50"], rows[issue]["hi50"]) == (q["0.25"], q["0.75"])
        assert rows[issue]["start"] == item["start_median"]


def test_trajectories_chart_carries_every_round(dashboard_server, smp_forecast):
    res = httpx.post(dashboard_server.url + "/api/charts/trajectories", json=smp_forecast,
                     timeout=60)
    assert res.status_code == 200, res.text
    rows = _values(res.json())
    for issue, item in smp_forecast["issues"].items():
        actor_rows = [r for r in rows if r["issue"] == issue and r["kind"] == "actor"]
        expected = [(rnd, a, p) for rnd, ps in enumerate(item["positions_by_round"])
                    for a, p in zip(item["actors"], ps, strict=True)]
        assert [(r["round"], r["series"], r["position"]) for r in actor_rows] == expected
        outcome = [r["position"] for r in rows if r["issue"] == issue and r["kind"] == "outcome"]
        assert outcome == item.get("outcome_by_round", item["median_by_round"])


def test_comparison_charts_reshape_its_records():
    """Fan and paired charts from comparison records shaped as ``Comparison.to_dict`` writes
    them (the numbers here are arbitrary inputs: the test checks they pass through)."""
    from detente.web.charts import chart

    yearly = [{"policy": p, "year": y, "months": f"y{y}", "quantity": "launch_events",
               "median": 10.0 * y + k, "q25": 8.0 * y, "q75": 12.0 * y, "q10": 5.0 * y,
               "q90": 15.0 * y, "p_dialogue_starts": 0.2}
              for k, p in enumerate(("sq", "talks")) for y in (1, 2)]
    yearly.append({**yearly[0], "quantity": "missiles", "median": 999.0})
    paired = [{"policy": "talks", "quantity": "launch_events", "median": -2.0, "q10": -6.0,
               "q90": 1.0, "p_better": 0.3, "p_better_se": 0.01, "p_worse": 0.1,
               "median_se": 0.5, "n_pairs": 100, "basis": "assumed"}]
    comp = {"yearly": yearly, "paired": paired,
            "observed": [{"year": 1, "value": 13.0}]}
    fan = chart("fan", comp)
    fan_rows = _values(fan)
    assert 999.0 not in [r.get("median") for r in fan_rows]  # only launch events are fanned
    assert {(r["policy"], r["year"], r["median"]) for r in fan_rows
            if r["what"] == "forecast"} == {(r["policy"], r["year"], r["median"])
                                             for r in yearly[:4]}
    # what happened is drawn in every policy's panel
    assert sorted((r["policy"], r["value"]) for r in fan_rows if r["what"] == "observed") == \
        [("sq", 13.0), ("talks", 13.0)]
    assert [(r["median"], r["q10"], r["q90"]) for r in _values(chart("paired", comp))] == \
        [(-2.0, -6.0, 1.0)]


def test_chart_errors_name_the_problem(dashboard_server):
    res = httpx.post(dashboard_server.url + "/api/charts/nonsense", json={}, timeout=30)
    assert res.status_code == 404, res.text
    assert res.json()["problems"][0]["field"] == "kind"
    assert "trajectories" in res.json()["problems"][0]["allowed"]
    res = httpx.post(dashboard_server.url + "/api/charts/fan", json={"summary": []},
                     timeout=30)
    assert res.status_code == 422 and "'yearly'" in res.text
    res = httpx.post(dashboard_server.url + "/api/charts/trajectories",
                     json={"issues": {"x": {"actors": ["a"], "positions_by_round": 5}}},
                     timeout=30)
    assert res.status_code == 422 and "Traceback" not in res.text


def _track_record() -> dict[str, Any]:
    """A back-cast dict shaped as ``BackcastResult.summary`` writes it (arbitrary numbers:
    the test checks they pass through)."""
    return {"summary": {"n_cases": 3, "direction_band": 5.0, "forecasters": {
        "smp": {"n_issues": 18, "direction_correct": 9, "mean_abs_error": 29.0,
                "in_interval": 4},
        "nothing changes": {"n_issues": 18, "direction_correct": 3, "mean_abs_error": 19.0,
                            "in_interval": 6}}},
        "lines": ["On 3 past cases, SMP got the direction right on 9 of 18 issues"]}


def test_track_record_chart_carries_the_summary():
    from detente.web.charts import chart

    rows = _values(chart("track-record", _track_record()))
    assert sorted((r["forecaster"], r["value"]) for r in rows) == [
        ("nothing changes", 3), ("nothing changes", 19.0), ("smp", 9), ("smp", 29.0)]


def test_every_chart_is_a_valid_vega_lite_spec(smp_forecast):
    """Each kind validated against the Vega-Lite JSON schema altair ships (the schema of the
    spec's ``$schema`` version): the specs skip validation when served, so it is done here."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import core

    from detente.web.charts import CHARTS, chart

    comparison = {
        "yearly": [{"policy": "sq", "year": 1, "months": "y1", "quantity": "launch_events",
                    "median": 10.0, "q25": 8.0, "q75": 12.0, "q10": 5.0, "q90": 15.0}],
        "paired": [{"policy": "sq", "quantity": "launch_events", "median": 0.0, "q10": 0.0,
                    "q90": 0.0, "p_better": 0.0, "p_worse": 0.0}],
        "positions": [{"policy": "sq", "engine": "smp", "issue": "talks", "start": 20.0,
                       "median": 70.0, "q25": 65.0, "q75": 75.0, "q10": 60.0, "q90": 80.0}],
        "observed": [{"year": 1, "value": 13.0}], "model": "smp"}
    inputs = {"trajectories": smp_forecast, "positions": smp_forecast, "fan": comparison,
              "paired": comparison, "track-record": _track_record()}
    assert sorted(inputs) == sorted(CHARTS)
    schema = core.load_schema()
    for kind, result in inputs.items():
        validate_jsonschema(chart(kind, result), schema)  # raises on an invalid spec
    validate_jsonschema(chart("positions", comparison), schema)
    with pytest.raises(Exception, match="nope"):  # the check can fail
        validate_jsonschema({**chart("positions", comparison), "mark": "nope"}, schema)
