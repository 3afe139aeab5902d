"""The ``compare`` sweep model (issue #7): its inputs, a metamorphic check, determinism, the CLI.

Evaluations are real :func:`detente.policy.compare` runs, kept cheap: the dynamic model's
Laplace fit (read from the on-disk cache after the first run), 2 bargaining draws, a one-year
horizon. The CLI test runs ``detente sweep`` as a subprocess with the model's defaults, so it
reads compare's default NUTS fit (on a cold cache that fit costs ~40 s once; later runs read it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ruamel.yaml import YAML

from detente.policy.bridge import BridgeSettings
from detente.runs import SWEEP_MODELS, PoolRunner, RunStore, SweepSpec, run_sweep
from detente.scenario import load_scenario

CHEAP = {"fit_method": "laplace", "draws": 2, "horizon_months": 12, "paths_per_draw": 16}
DETENTE = str(Path(sys.executable).with_name("detente"))


@pytest.fixture(scope="module")
def korea():
    return load_scenario("korea-2023")


@pytest.fixture(scope="module")
def korea_yaml() -> dict:
    """The embedded Korea file read as plain YAML, not through detente's scenario model."""
    text = resources.files("detente").joinpath("scenarios", "korea-2023.yaml").read_text("utf-8")
    return YAML(typ="safe").load(text)


def _by_name(inputs):
    return {i.name: (i.lo, i.hi, i.base) for i in inputs}


def test_inputs_are_ranged_numbers_bridge_parameters_and_assumptions(korea, korea_yaml):
    """Every input and its interval, derived independently: scenario numbers and dynamics values
    with a ``range`` and every policy assumption with a ``range`` straight from the YAML; every
    BridgeSettings parameter over the range in its field metadata, the month written as a
    decimal year by hand (1990-01 → 1990.0, 2023-09 → 2023 + 8/12, default 2018-01 → 2018.0)."""
    got = _by_name(SWEEP_MODELS["compare"].inputs(korea, {}))

    expected: dict[str, tuple[float, float, float]] = {}
    absent = {(a, i["id"]) for i in korea_yaml["issues"] for a in i.get("absent", [])}
    for actor in korea_yaml["actors"]:
        cap = actor["capability"]
        if isinstance(cap, dict) and "range" in cap:
            expected[f"capability.{actor['id']}"] = (*cap["range"], cap["value"])
        for issue, stance in actor.get("stances", {}).items():
            for fld in ("position", "salience"):
                q = stance[fld]
                if isinstance(q, dict) and "range" in q and (actor["id"], issue) not in absent:
                    expected[f"{fld}.{actor['id']}.{issue}"] = (*q["range"], q["value"])
    for name, q in korea_yaml.get("dynamics", {}).items():
        if "range" in q:
            expected[f"dynamics.{name}"] = (*q["range"], q["value"])
    for f in dataclasses.fields(BridgeSettings):
        lo, hi = f.metadata["range"]
        expected[f"bridge.{f.name}"] = (lo, hi, f.default)
    expected["bridge.unsc_base_since"] = (1990.0, 2023 + 8 / 12, 2018.0)
    n_assumptions = 0
    for policy in korea_yaml["policies"]:
        for a in policy.get("assumptions", []):
            if "range" in a:
                n_assumptions += 1
                where = a["actor"] if a["field"] == "capability" else f"{a['actor']}.{a['issue']}"
                expected[f"assumption.{policy['id']}.{a['field']}.{where}"] = (*a["range"],
                                                                              a["value"])

    assert n_assumptions == 29  # 8 + 11 + 10 ranged assumptions in the file's three policies
    assert {k for k in expected if k.startswith("bridge.")} == {
        "bridge.beta_talks", "bridge.beta_sanctions", "bridge.gamma_pressure",
        "bridge.unsc_base_since", "bridge.weight_launches", "bridge.weight_nuclear",
        "bridge.weight_crisis", "bridge.weight_polarisation"}
    assert set(got) == set(expected)
    for name, (lo, hi, base) in expected.items():
        assert got[name] == pytest.approx((lo, hi, base), abs=1e-12), name

    # only the compared policies' assumptions are inputs
    summit = _by_name(SWEEP_MODELS["compare"].inputs(korea, {"policies": ["summit-diplomacy"]}))
    assert {n.split(".")[1] for n in summit if n.startswith("assumption.")} == {
        "summit-diplomacy"}


def _evaluate(korea, names, X, options, seed=11):
    model = SWEEP_MODELS["compare"]
    inputs = [i for i in model.inputs(korea, options) if i.name in names]
    inputs.sort(key=lambda i: names.index(i.name))
    context = model.prepare(korea, inputs, options)
    return model.evaluate(context, np.asarray(X, dtype=float), np.random.SeedSequence(seed))


POLICIES = ("strategic-patience", "engagement-with-incentives", "maximum-pressure",
            "summit-diplomacy")


def test_without_rules_b1_and_b2_no_policy_moves_the_dynamics(korea):
    """Metamorphic check (docs/report.md, bridge rules): the bargaining reaches the dynamic
    model only through rule B1 (``beta_talks``: dialogue odds) and rule B2 (``beta_sanctions``
    and ``gamma_pressure``, the latter 0 by default: the UNSC rate). With both off, every
    policy's dialogue odds, launches and P(nuclear test) equal the status quo's exactly,
    whatever DPRK's assumed move on talks. The control row (``beta_talks = 3``, DPRK talks
    +50) shows the outcome can differ: summitry raises the talks forecast and so the odds."""
    names = ["bridge.beta_talks", "bridge.beta_sanctions",
             "assumption.summit-diplomacy.position.DPRK.talks"]
    out = _evaluate(korea, names, [[0.0, 0.0, 50.0], [0.0, 0.0, 20.0], [3.0, 0.0, 50.0]],
                    CHEAP)
    for metric in ("p_dialogue_12m", "launch_events_median", "p_nuclear_test"):
        sq = out[f"status-quo.{metric}"][:2]
        for policy in POLICIES:
            assert np.array_equal(out[f"{policy}.{metric}"][:2], sq), (policy, metric)
    assert np.all(out["summit-diplomacy.vs_status_quo.p_dialogue_12m"][:2] == 0.0)
    assert out["summit-diplomacy.p_dialogue_12m"][2] > out["status-quo.p_dialogue_12m"][2]
    # the assumption did reach the bargaining: DPRK +50 vs +20 moves the talks forecast
    assert out["summit-diplomacy.talks_median"][0] != out["summit-diplomacy.talks_median"][1]


def test_without_rule_b1_no_policy_moves_the_dialogue_odds(korea):
    """The task's metamorphic check with rule B1 alone off (``beta_talks = 0``, B2 at its
    default): in the model the regime chain does not read the UNSC rate (simulate.py), so every
    policy's P(dialogue within 12 months) should equal the status quo's. Seed 5, row 1 is a
    case where maximum pressure's higher UNSC rate used to shift the shared random stream
    (simulate now draws the regime chain from its own child stream)."""
    out = _evaluate(korea, ["bridge.beta_talks"], [[0.0], [0.0]], CHEAP, seed=5)
    for policy in POLICIES:
        assert np.array_equal(out[f"{policy}.p_dialogue_12m"], out["status-quo.p_dialogue_12m"])


def test_all_index_weights_zero_gives_an_undefined_index(korea):
    """The index is a weighted mean (rule I); with every weight 0 it is 0/0, reported as NaN,
    while the other outcomes are still computed."""
    names = ["bridge.weight_launches", "bridge.weight_nuclear", "bridge.weight_crisis",
             "bridge.weight_polarisation"]
    out = _evaluate(korea, names, [[0.0, 0.0, 0.0, 0.0]], CHEAP | {"policies": ["summit-diplomacy"]})
    assert np.isnan(out["summit-diplomacy.scenario_index"][0])
    assert np.isnan(out["status-quo.scenario_index"][0])
    assert 0.0 <= out["summit-diplomacy.p_nuclear_test"][0] <= 1.0


def test_unknown_input_is_an_options_error(korea):
    from detente.errors import OptionsError
    from detente.runs.sweep import SweepInput

    with pytest.raises(OptionsError, match="cannot place every input") as err:
        SWEEP_MODELS["compare"].prepare(korea, [SweepInput("bridge.beta_talk", 0, 1, 0.5)], CHEAP)
    assert "bridge.PARAMETER" in err.value.problems[0].allowed


def test_same_numbers_in_process_and_on_a_pool(korea, tmp_path):
    """Each row's compare seed derives from its chunk's SeedSequence and its row index, so a
    grid sweep (beta_talks at 0 and 3, one row per chunk) stores identical evaluations and
    indices in-process and on two worker processes."""
    spec = SweepSpec(model="compare", method="grid", samples=2, seed=5,
                     inputs=("bridge.beta_talks",), chunk_size=1,
                     options=CHEAP | {"policies": ["summit-diplomacy"]})
    with RunStore(tmp_path / "a.duckdb") as store:
        local = run_sweep(korea, spec, store=store)
    with RunStore(tmp_path / "b.duckdb") as store, PoolRunner(2) as pool:
        pooled = run_sweep(korea, spec, store=store, runner=pool)
    assert local.design.X[:, 0].tolist() == [0.0, 3.0]
    pd.testing.assert_frame_equal(local.evaluations, pooled.evaluations, check_exact=True)
    pd.testing.assert_frame_equal(local.indices, pooled.indices, check_exact=True)
    assert np.isfinite(local.evaluations.to_numpy()).all()


def test_cli_sweep_stores_a_compare_run(tmp_path):
    """``detente sweep --model compare`` end to end (subprocess, model defaults: every policy,
    8 draws, 3 years, compare's NUTS fit): a stored sweep run with the selected outputs."""
    store = tmp_path / "runs.duckdb"
    env = dict(os.environ, DETENTE_STORE=str(store), COLUMNS="120")
    proc = subprocess.run(
        [DETENTE, "sweep", "korea-2023", "--model", "compare", "--method", "grid",
         "--samples", "2", "--inputs", "bridge.beta_talks", "--outputs", "*p_dialogue*",
         "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["model"] == "compare" and doc["n_evaluations"] == 2
    assert doc["inputs"] == ["bridge.beta_talks"]
    with RunStore(store, read_only=True) as st:
        rec = st.record(doc["run_id"])
        evaluations = st.table(rec.id, "evaluations")
    assert rec.kind == "sweep" and rec.status == "done" and rec.scenario_id == "korea-2023"
    policies = [p["id"] for p in load_scenario("korea-2023").model_dump()["policies"]]
    assert list(evaluations.columns) == [
        *[c for p in policies for c in (f"{p}.p_dialogue_12m",
                                        f"{p}.vs_status_quo.p_dialogue_12m")],
        "status-quo.p_dialogue_12m"]
    assert ((evaluations >= -1) & (evaluations <= 1)).all().all()
    for p in policies:  # the difference is the policy's value minus the status quo's
        assert np.array_equal(evaluations[f"{p}.vs_status_quo.p_dialogue_12m"],
                              evaluations[f"{p}.p_dialogue_12m"]
                              - evaluations["status-quo.p_dialogue_12m"])
    # strategic patience changes nothing (korea-2023.yaml: no levers, assumptions or dynamics),
    # so it is the status quo under every bridge setting
    assert np.array_equal(evaluations["strategic-patience.p_dialogue_12m"],
                          evaluations["status-quo.p_dialogue_12m"])


def test_common_random_numbers_make_an_unreached_output_constant(korea):
    """Rule B1 shifts only the policies' dialogue odds against the status quo's (docs/report.md),
    so the status quo's own odds cannot depend on ``beta_talks``. Under common random numbers
    (the default) every evaluation shares compare's seed, so that output is exactly constant
    over a beta_talks sweep; with one seed per row it moves with the Monte Carlo noise."""
    from detente.runs.compare_model import evaluation_seed

    root = np.random.SeedSequence(5, spawn_key=(0,))
    crn = {"common_random_numbers": True}
    per_row = {"common_random_numbers": False}
    assert evaluation_seed(root, 0, crn) == evaluation_seed(root, 1, crn)
    assert evaluation_seed(root, 0, per_row) != evaluation_seed(root, 1, per_row)
    spec = SweepSpec(model="compare", method="grid", samples=3, seed=5,
                     inputs=("bridge.beta_talks",), chunk_size=1,
                     options=CHEAP | {"policies": ["summit-diplomacy"]})
    with tempfile.TemporaryDirectory() as tmp, RunStore(Path(tmp) / "runs.duckdb") as store:
        result = run_sweep(korea, spec, store=store)
    sq = result.evaluations["status-quo.p_dialogue_12m"].to_numpy()
    assert np.all(sq == sq[0])
    assert np.ptp(result.evaluations["summit-diplomacy.p_dialogue_12m"].to_numpy()) > 0
