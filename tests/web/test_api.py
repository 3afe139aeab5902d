"""The JSON API of ``detente serve`` over a real server on 127.0.0.1 (tests/web/conftest.py).

Where the expected values come from: the embedded scenario files on disk (read here with
ruamel, not through the server), SHA-256 computed here, and the library verbs called in this
process (``detente.forecast``, ``detente.evaluation.score_records``): the server must be a
thin face over them, so its numbers must be theirs exactly. Limits are those documented in
docs/serve.md and set on the command line of the server under test.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML
from tests.web._json import plain

import detente

SCENARIOS = Path(detente.__file__).parent / "scenarios"


def raw_request(server: Any, method: str, target: str, body: bytes = b"",
                headers: tuple[str, ...] = ()) -> tuple[int, bytes]:
    """Send ``target`` byte for byte (no client-side normalisation of ``..`` or ``%2F``)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        head = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close", *headers]
        if body and not any(h.lower().startswith("transfer-encoding") for h in headers):
            head.append(f"Content-Length: {len(body)}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""


# --- scenarios --------------------------------------------------------------------------------


def test_scenario_list_names_every_embedded_file(api_server):
    files = sorted(SCENARIOS.glob("*.yaml"))
    expected = {}
    for f in files:
        doc = YAML(typ="safe").load(f.read_text(encoding="utf-8"))
        expected[f.stem] = (doc["title"], str(doc["as_of"]), [a["id"] for a in doc["actors"]],
                            [i["id"] for i in doc["issues"]])
    listed = httpx.get(api_server.url + "/api/scenarios", timeout=60).json()
    got = {s["id"]: (s["title"], s["as_of"], s["actors"], s["issues"]) for s in listed
           if s["origin"] == "embedded"}
    assert got == expected


def test_show_scenario_carries_sources_ranges_and_policies_from_the_file(api_server):
    doc = YAML(typ="safe").load((SCENARIOS / "korea-2023.yaml").read_text(encoding="utf-8"))
    shown = httpx.get(api_server.url + "/api/scenarios/korea-2023", timeout=60).json()
    assert [s["id"] for s in shown["sources"]] == [s["id"] for s in doc["sources"]]
    file_actor, shown_actor = doc["actors"][0], shown["actors"][0]
    cap = file_actor["capability"]
    assert shown_actor["capability"]["value"] == cap["value"]
    assert shown_actor["capability"]["source"] == cap.get("source")
    assert shown_actor["capability"]["range"] == cap.get("range")
    issue = doc["issues"][0]["id"]
    stance = file_actor["stances"][issue]["salience"]
    assert shown_actor["stances"][issue]["salience"]["value"] == (
        stance["value"] if isinstance(stance, dict) else stance)
    assert [p["id"] for p in shown["policies"]] == [p["id"] for p in doc["policies"]]
    file_lever = doc["policies"][1]["levers"][0]
    shown_lever = shown["policies"][1]["levers"][0]
    assert (shown_lever["actor"], shown_lever["value"], shown_lever["rationale"]) == (
        file_lever["actor"], file_lever["value"], file_lever.get("rationale"))
    bridge = {row["name"]: row for row in shown["meta"]["bridge"]}
    assert bridge["beta_talks"]["range"] == [0.0, 3.0]  # docs/report.md: B1 in [0, 3]


def test_the_shown_dict_posts_back_as_a_valid_scenario(api_server):
    shown = httpx.get(api_server.url + "/api/scenarios/korea-2023", timeout=60).json()
    checked = httpx.post(api_server.url + "/api/scenarios/validate",
                         json={"scenario": shown}, timeout=60).json()
    assert checked["ok"] is True
    assert not [p for p in checked["problems"] if p["severity"] == "error"]


HOSTILE_TARGETS = [
    "/api/scenarios/../../etc/passwd",
    "/api/scenarios/..%2F..%2Fetc%2Fpasswd",
    "/api/scenarios/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/api/scenarios/%252e%252e%252fetc%252fpasswd",
    "/api/scenarios/%2Fetc%2Fpasswd",
    "/api/scenarios//etc/passwd",
    "/api/scenarios/..",
    "/api/scenarios/korea-2023%00.yaml",
    "/api/scenarios/korea-2023.yaml",
    "/api/scenarios/KOREA-2023",
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_path_traversal_in_the_url_is_refused(api_server, target):
    status, body = raw_request(api_server, "GET", target)
    assert 400 <= status < 500, (status, body[:200])
    assert b"root:" not in body
    assert "detail" in json.loads(body)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..%2F..%2Fetc%2Fpasswd",
                                  "korea-2023/../../../etc/passwd", "FILE"])
def test_path_traversal_in_bodies_is_refused(api_server, tmp_path, name):
    # a real, valid scenario file at an absolute path must not be readable by naming it either
    copy = tmp_path / "korea-copy.yaml"
    copy.write_text((SCENARIOS / "korea-2023.yaml").read_text(encoding="utf-8"))
    name = str(copy) if name == "FILE" else name
    with api_server.client() as c:
        for method, path, body in [
            ("POST", "/api/forecast", {"scenario": name}),
            ("POST", "/api/jobs", {"kind": "compare", "params": {"scenario": name}}),
            ("POST", "/api/jobs", {"kind": "backcast", "params": {"scenarios": [name]}}),
            ("POST", "/api/jobs", {"kind": "sweep", "params": {"scenario": name}}),
        ]:
            r = c.request(method, path, json=body)
            assert r.status_code == 404, (path, r.text)
            assert "never file paths" in r.text or "no scenario" in r.text \
                or "no embedded scenario" in r.text
        r = c.get("/api/claims", params={"scenario": name})
        assert r.status_code in (404, 422), r.text  # 422: longer than an id may be
        assert "root:" not in r.text


def _korea_text() -> str:
    return (SCENARIOS / "korea-2023.yaml").read_text(encoding="utf-8")


def test_validate_locates_an_error_at_its_line_and_field(api_server):
    text = _korea_text()
    lines = text.splitlines()
    # the first salience number of the file, set to 140 (the scale is 0–100)
    k = next(i for i, line in enumerate(lines) if re.search(r"\bsalience:\s*\{?\s*(value:)?\s*\d", line))
    lines[k] = re.sub(r"(salience:\s*\{?\s*(?:value:)?\s*)\d+(\.\d+)?", r"\g<1>140", lines[k], count=1)
    got = httpx.post(api_server.url + "/api/scenarios/validate",
                     json={"yaml": "\n".join(lines) + "\n"}, timeout=60).json()
    assert got["ok"] is False
    errors = [p for p in got["problems"] if p["severity"] == "error"]
    assert [p["line"] for p in errors] == [k + 1]
    assert errors[0]["field"].endswith(".salience.value") or errors[0]["field"].endswith(
        ".salience")
    assert "140" in errors[0]["message"]


def test_upload_is_named_by_its_hash_and_then_served(api_server):
    text = _korea_text().replace("title: Korean Peninsula, mid-September 2023",
                                 "title: Korean Peninsula, an upload", 1)
    assert "an upload" in text
    with api_server.client() as c:
        r = c.post("/api/scenarios", json={"yaml": text})
        assert r.status_code == 201, r.text
        expected = "upload-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        assert r.json()["id"] == expected
        assert expected in [s["id"] for s in c.get("/api/scenarios").json()]
        assert c.get(f"/api/scenarios/{expected}").json()["title"] == \
            "Korean Peninsula, an upload"
        fc = c.post("/api/forecast", json={"scenario": expected, "model": "bdm"})
        assert fc.status_code == 200
        bad = c.post("/api/scenarios", json={"yaml": text.replace("as_of:", "as_of: [", 1)})
        assert bad.status_code == 422
        assert bad.json()["problems"][0]["line"] is not None


def test_a_posted_dict_is_named_by_the_hash_of_its_canonical_json(api_server):
    """docs/serve.md: the id of a dict upload is the SHA-256 of the dict as JSON with sorted
    keys (recomputed here with the json module), so key order does not change it."""
    with api_server.client() as c:
        data = c.get("/api/scenarios/korea-2023").json()
        data.pop("meta", None)
        data["title"] = "Korean Peninsula, a dict upload"
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        expected = "upload-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
        r = c.post("/api/scenarios", json={"scenario": data})
        assert r.status_code == 201, r.text
        assert r.json()["id"] == expected
        reordered = dict(reversed(list(data.items())))
        assert c.post("/api/scenarios", json={"scenario": reordered}).json()["id"] == expected
        assert c.get(f"/api/scenarios/{expected}").json()["title"] == \
            "Korean Peninsula, a dict upload"


def test_edits_are_checked_at_their_field_and_saved_as_a_download(api_server):
    embedded = SCENARIOS / "korea-2023.yaml"
    before = hashlib.sha256(embedded.read_bytes()).hexdigest()
    with api_server.client() as c:
        data = c.get("/api/scenarios/korea-2023").json()
        actor = data["actors"][0]
        actor["capability"] = {"value": 42.0, "source": "analyst", "note": "edited in a test",
                               "range": [40.0, 45.0]}
        policy = data["policies"][1]
        chooser = policy["chosen_by"][0]
        issue = data["issues"][0]["id"]
        policy["levers"].append({"actor": chooser, "issue": issue, "field": "position",
                                 "op": "shift", "value": 5, "rationale": "test lever"})
        ok = c.post("/api/scenarios/validate", json={"scenario": data}).json()
        assert ok["ok"] is True, ok["problems"]
        saved = c.post("/api/scenarios/export", json={"scenario": data})
        assert saved.status_code == 200
        assert saved.headers["content-disposition"].startswith("attachment;")
        assert saved.headers["content-disposition"].endswith('-edited.yaml"')
        back = YAML(typ="safe").load(saved.text)
        assert back["actors"][0]["capability"] == {"value": 42.0, "source": "analyst",
                                                   "note": "edited in a test",
                                                   "range": [40.0, 45.0]}
        assert back["policies"][1]["levers"][-1]["rationale"] == "test lever"
        # a range that does not hold its value, and a lever of an actor outside chosen_by
        actor["capability"]["range"] = [50.0, 60.0]
        outsider = next(a["id"] for a in data["actors"] if a["id"] not in policy["chosen_by"])
        policy["levers"][-1]["actor"] = outsider
        bad = c.post("/api/scenarios/validate", json={"scenario": data}).json()
        fields = {p["field"] for p in bad["problems"] if p["severity"] == "error"}
        assert "actors[0].capability.range" in fields
        assert any(f.startswith(f"policies[1].levers[{len(policy['levers']) - 1}]")
                   for f in fields), fields
        refused = c.post("/api/scenarios/export", json={"scenario": data})
        assert refused.status_code == 422
    assert hashlib.sha256(embedded.read_bytes()).hexdigest() == before


# --- forecast ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["bdm", "smp"])
def test_forecast_is_the_library_forecast(api_server, model):
    expected = detente.forecast("korea-2023", model=model, draws=24, seed=11).to_dict()
    with api_server.client() as c:
        got = c.post("/api/forecast", json={"scenario": "korea-2023", "model": model,
                                            "draws": 24, "seed": 11})
        again = c.post("/api/forecast", json={"scenario": "korea-2023", "model": model,
                                              "draws": 24, "seed": 11})
    assert got.status_code == 200, got.text
    assert got.json() == plain(json.loads(json.dumps(expected)))
    assert again.json() == got.json()  # same seed, same numbers


def test_forecast_levers_policy_and_engine_options_match_the_library(api_server):
    from detente.scenario import Lever, Policy, load_scenario

    scenario = load_scenario("korea-2023")
    base = scenario.policy("maximum-pressure")
    actor, issue = base.chosen_by[0], "talks"
    policy = Policy(id="maximum-pressure+levers", name="maximum-pressure with levers",
                    chosen_by=list(base.chosen_by),
                    levers=[*base.levers, Lever(actor=actor, issue=issue, field="position",
                                                op="set", value=90.0)],
                    assumptions=list(base.assumptions), dynamics=list(base.dynamics))
    expected = detente.forecast(scenario, model="bdm", policy=policy,
                                options={"capitulation": "never"}).to_dict()
    got = httpx.post(api_server.url + "/api/forecast", timeout=120, json={
        "scenario": "korea-2023", "model": "bdm", "policy": "maximum-pressure",
        "levers": {f"{actor}.{issue}.position": 90}, "set": {"capitulation": "never"}})
    assert got.status_code == 200, got.text
    assert got.json()["issues"] == plain(json.loads(json.dumps(expected["issues"])))
    assert got.json()["options"]["capitulation"] == "never"


@pytest.mark.parametrize("body, field", [
    ({"scenario": "korea-2023", "set": {"no_such_option": 1}}, "set.no_such_option"),
    ({"scenario": "korea-2023", "set": {"q": 7}}, "bdm.q"),
    ({"scenario": "korea-2023", "levers": {"NOBODY.talks.position": 50}},
     "levers.NOBODY.talks.position"),
    ({"scenario": "korea-2023", "policy": "no-such-policy"}, "policy"),
    ({"scenario": "korea-2023", "draws": -1}, "draws"),
    ({"scenario": "korea-2023", "model": "xyz"}, "body.model"),
])
def test_bad_forecast_input_is_a_located_4xx(api_server, body, field):
    r = httpx.post(api_server.url + "/api/forecast", json=body, timeout=60)
    assert r.status_code == 422, r.text
    assert field in [p["field"] for p in r.json()["problems"]]
    assert isinstance(r.json()["detail"], str)


# --- limits (the defaults of detente.limits, and those set on the command line) --------------


def test_over_limit_requests_get_a_4xx_naming_the_limit(api_server):
    from detente.limits import SERVE_MAX_DRAWS, SERVE_MAX_HORIZON_MONTHS, SERVE_MAX_JOB_DRAWS

    with api_server.client() as c:
        # the server is shared: jobs of earlier tests may be listed (and still changing)
        jobs_before = {job["id"] for job in c.get("/api/jobs").json()}
        r = c.post("/api/forecast", json={"scenario": "korea-2023",
                                          "draws": SERVE_MAX_DRAWS + 1})
        assert r.status_code == 422 and f"{SERVE_MAX_DRAWS:,}" in r.json()["detail"]
        assert "limits.max_draws" in r.json()["detail"]
        r = c.post("/api/forecast", json={"scenario": "korea-2023", "model": "bdm",
                                          "rounds": 10_000, "draws": 2_000})
        assert r.status_code == 422 and "limits.max_draw_rounds" in r.json()["detail"]
        assert "20,000,000 draw-rounds" in r.json()["detail"]  # 2 000 × 10 000
        r = c.post("/api/forecast", json={"scenario": "korea-2023", "model": "smp",
                                          "set": {"rounds": 10_000}, "draws": 100})
        assert r.status_code == 422 and "limits.max_draw_rounds" in r.json()["detail"]
        r = c.post("/api/jobs", json={"kind": "compare", "params": {
            "scenario": "korea-2023", "horizon_months": SERVE_MAX_HORIZON_MONTHS + 1}})
        assert r.status_code == 422 and "limits.max_horizon_months" in r.json()["detail"]
        r = c.post("/api/jobs", json={"kind": "backcast", "params": {
            "draws": SERVE_MAX_JOB_DRAWS + 1}})
        assert r.status_code == 422 and f"{SERVE_MAX_JOB_DRAWS:,}" in r.json()["detail"]
        assert {job["id"] for job in c.get("/api/jobs").json()} == jobs_before  # none started


def test_body_limit_with_and_without_content_length(start_server):
    with start_server("--limit", "max_body_bytes=4000") as server:
        big = {"yaml": "x" * 5000}
        r = httpx.post(server.url + "/api/scenarios/validate", json=big, timeout=60)
        assert r.status_code == 413
        assert "4,000 bytes" in r.json()["detail"] and "max_body_bytes" in r.json()["detail"]
        chunk = b'{"yaml": "' + b"y" * 3000
        body = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                + f"{len(chunk) - 10:x}\r\n".encode() + b"z" * (len(chunk) - 10) + b"\r\n0\r\n\r\n")
        status, text = raw_request(server, "POST", "/api/scenarios/validate", body, (
            "Transfer-Encoding: chunked", "Content-Type: application/json"))
        assert status == 413, text[:200]
        small = httpx.post(server.url + "/api/scenarios/validate", json={"yaml": "id: x"},
                           timeout=60)
        assert small.status_code == 200


def test_deep_json_is_a_4xx_not_a_crash(api_server):
    body = b'{"scenario": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, text = raw_request(api_server, "POST", "/api/scenarios/validate", body,
                               ("Content-Type: application/json",))
    assert 400 <= status < 500, text[:300]


# --- the token rule ---------------------------------------------------------------------------


def test_another_address_without_a_token_is_refused_before_listening(tmp_path):
    done = subprocess.run([sys.executable, "-m", "detente.cli", "serve", "--host", "0.0.0.0",
                           "--store", str(tmp_path / "s.duckdb")], capture_output=True,
                          text=True, timeout=120, env={k: v for k, v in __import__(
                              "os").environ.items() if k != "DETENTE_TOKEN"})
    assert done.returncode == 2
    assert "--token" in done.stderr and "DETENTE_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("via_env", [False, True])
def test_with_a_token_every_request_must_carry_it(start_server, via_env):
    token = "s3cret-token"
    args = () if via_env else ("--token", token)
    env = {"DETENTE_TOKEN": token} if via_env else None
    with start_server(*args, host="0.0.0.0", token=token, env=env) as server:
        log = next(server.store.parent.glob("serve-*.log")).read_text()
        assert "warning:" in log and "token" in log
        for path in ("/api/scenarios", "/api/limits", "/docs", "/openapi.json", "/",
                     "/api/runs"):
            assert httpx.get(server.url + path, timeout=60).status_code == 401, path
            wrong = httpx.get(server.url + path, timeout=60,
                              headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert httpx.get(server.url + path, timeout=60,
                             headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert httpx.get(server.url + path, params={"token": token},
                             timeout=60).status_code == 200
        r = httpx.post(server.url + "/api/forecast", json={"scenario": "korea-2023"},
                       timeout=60)
        assert r.status_code == 401 and "Authorization: Bearer" in r.json()["detail"]


def test_localhost_needs_no_token(api_server):
    assert httpx.get(api_server.url + "/api/limits", timeout=60).json()["token_required"] \
        is False


# --- runs and stored results ------------------------------------------------------------------


def test_unknown_runs_and_results_are_404_with_the_fix(api_server):
    with api_server.client() as c:
        for path in ("/api/runs/compare-00000000-000000-000000", "/api/runs/..%2Fx",
                     "/api/runs/nope/report", "/api/runs/nope/export",
                     "/api/jobs/job-000000000000", "/api/jobs/../etc"):
            r = c.get(path)
            assert r.status_code == 404, (path, r.text)
        r = c.get("/api/claims", params={"scenario": "korea-2017"})
        assert r.status_code == 404 and "run a compare first" in r.json()["detail"]


def test_records_are_the_library_scores(api_server):
    from detente.evaluation import score_records

    expected = score_records(None).to_dict()
    got = httpx.get(api_server.url + "/api/records", timeout=120).json()
    assert [r["record"] for r in got["records"]] == \
        plain(json.loads(json.dumps([r["record"] for r in expected["records"]])))
    assert got["records"][0]["leaderboard"] == plain(json.loads(json.dumps(
        expected["records"][0]["leaderboard"])))


def test_a_store_held_by_another_writer_is_a_503_saying_so(start_server):
    from detente.runs.store import RunStore

    with start_server(env={"DETENTE_STORE_TIMEOUT": "1"}) as server:
        with RunStore(server.store):  # this process writes: DuckDB locks the file
            r = httpx.get(server.url + "/api/runs", timeout=60)
            assert r.status_code == 503, r.text
            assert "in use by another process" in r.json()["detail"]
            assert r.headers["retry-after"] == "5"
        assert httpx.get(server.url + "/api/runs", timeout=60).json() == []


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example",
                                  ""])
def test_without_a_token_other_host_names_are_refused(api_server, host):
    # DNS rebinding: a page of another site resolving its name to 127.0.0.1
    port = api_server.url.rsplit(":", 1)[1]
    with socket.create_connection(("127.0.0.1", int(port)), timeout=60) as sock:
        head = "GET /api/scenarios HTTP/1.1\r\n" + (f"Host: {host}\r\n" if host else "")
        sock.sendall((head + "Connection: close\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert int(data.split(b" ", 2)[1]) == 400
    assert b"korea-2023" not in data
    ok, _ = raw_request(api_server, "GET", "/api/limits")
    assert ok == 200
    local = httpx.get(api_server.url.replace("127.0.0.1", "localhost") + "/api/limits",
                      timeout=60)
    assert local.status_code == 200


def test_a_body_not_sent_as_json_is_refused(api_server):
    # an HTML form of another site can send text/plain; it must not start anything
    with api_server.client() as c:
        before = len(c.get("/api/jobs").json())
        r = c.post("/api/jobs", content=json.dumps({"kind": "backcast",
                                                    "params": {"draws": 20}}),
                   headers={"Content-Type": "text/plain"})
        assert r.status_code == 422, r.text
        assert len(c.get("/api/jobs").json()) == before
