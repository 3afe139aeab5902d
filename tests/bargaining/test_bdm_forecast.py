"""The forecast verb and the ``detente forecast`` command with the BDM engine.

Expected numbers come from the shared BDM reference (EC emissions case, expected per-round
file) or from hand reasoning stated in each test; reproducibility tests compare two runs that
differ only in something that must not matter (chunking, re-running with the recorded seed).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.bargaining.forecast import ENGINES, forecast, get_engine
from detente.cli import app
from detente.errors import OptionsError

MINI = """\
id: bdm-mini
title: Four actors, two issues, ranges for Monte Carlo (BDM forecast tests)
as_of: 2023-09-14
summary: Test fixture; numbers are illustrative, not evidence.
issues:
  - id: talks
    name: Talks
    low: none
    high: summits
    status_quo: {value: 20, source: test fixture}
  - id: sanctions
    name: Sanctions
    low: lifted
    high: maximum pressure
    absent: [CHN]
actors:
  - id: USA
    name: United States
    capability: {value: 80, source: test fixture, range: [60, 95]}
    stances:
      talks:
        position: {value: 55, source: test fixture, range: [40, 70]}
        salience: {value: 40, source: test fixture, range: [30, 60]}
      sanctions:
        position: {value: 85, source: test fixture}
        salience: {value: 65, source: test fixture, range: [50, 80]}
  - id: DPRK
    name: North Korea
    capability: {value: 5, source: test fixture, range: [2, 8]}
    stances:
      talks:
        position: {value: 10, source: test fixture, range: [0, 30]}
        salience: {value: 70, source: test fixture}
      sanctions:
        position: {value: 0, source: test fixture}
        salience: {value: 90, source: test fixture}
  - id: ROK
    name: South Korea
    capability: {value: 20, source: test fixture}
    stances:
      talks:
        position: {value: 45, source: test fixture, range: [35, 60]}
        salience: {value: 50, source: test fixture}
      sanctions:
        position: {value: 70, source: test fixture, range: [60, 85]}
        salience: {value: 60, source: test fixture}
  - id: CHN
    name: China
    capability: {value: 60, source: test fixture, range: [50, 70]}
    stances:
      talks:
        position: {value: 35, source: test fixture, range: [25, 50]}
        salience: {value: 45, source: test fixture}
policies:
  - id: talks-offer
    name: Offer talks
    summary: The US moves toward summitry.
    chosen_by: [USA]
    levers:
      - {actor: USA, issue: talks, field: position, op: set, value: 80, rationale: test lever}
"""


@pytest.fixture()
def mini_path(tmp_path: Path) -> Path:
    path = tmp_path / "bdm-mini.yaml"
    path.write_text(MINI)
    return path


@pytest.fixture()
def ec_csv(reference_dir: Path) -> Path:
    return reference_dir / "bargaining" / "bdm" / "cases" / "bdm1994_ec_emissions.csv"


def test_registry_has_bdm_and_rejects_unknown_models():
    assert "bdm" in ENGINES and get_engine("bdm").name == "bdm"
    with pytest.raises(OptionsError) as err:
        forecast("anything", model="nope")
    assert err.value.problems[0].path == "model"


def test_point_forecast_of_the_ec_case_reproduces_the_reference(ec_csv, reference_dir):
    """Through the scenario loader (plain CSV, saliences 0–100 → /100 in the adapter)."""
    expected = pd.read_csv(reference_dir / "bargaining" / "bdm" / "expected"
                           / "bdm1994_ec_emissions__scholz_code_rounds.csv")
    fc = forecast(ec_csv, options={"capitulation": "never"})
    (res,) = fc.results.values()
    np.testing.assert_allclose(res.median, expected["median"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(res.positions, expected.iloc[:, 3:].to_numpy(), atol=1e-9, rtol=0)
    assert fc.draws == 0 and fc.seed is None and fc.distributions == {}


def test_draws_without_ranges_are_all_the_point_run(ec_csv):
    """The CSV has no ranges, so every draw is the point run: forecast (9.611 + 9.671)/2 from
    the reference medians, above the start median 7 in every draw."""
    fc = forecast(ec_csv, draws=40, seed=1)
    dist = next(iter(fc.distributions.values()))
    np.testing.assert_allclose(dist.forecast, (9.6108591341 + 9.6711297698) / 2, atol=1e-9)
    probs = dist.threshold_probabilities()["start median"]
    assert probs == {"value": 7.0, "p_below": 0.0, "p_above": 1.0}


def test_same_seed_same_numbers_whatever_the_chunking(mini_path):
    a = forecast(mini_path, draws=300, seed=42)
    b = forecast(mini_path, draws=300, seed=42, chunk_size=7)
    threads = forecast(mini_path, draws=300, seed=42, chunk_size=40, workers=2)
    c = forecast(mini_path, draws=300, seed=43)
    for issue in ("talks", "sanctions"):
        np.testing.assert_array_equal(a.distributions[issue].forecast,
                                      b.distributions[issue].forecast)
        np.testing.assert_array_equal(a.distributions[issue].forecast,
                                      threads.distributions[issue].forecast)
    assert not np.array_equal(a.distributions["talks"].forecast, c.distributions["talks"].forecast)


def test_missing_seed_is_drawn_and_recorded(mini_path):
    first = forecast(mini_path, draws=50)
    assert isinstance(first.seed, int)
    again = forecast(mini_path, draws=50, seed=first.seed)
    np.testing.assert_array_equal(first.distributions["talks"].forecast,
                                  again.distributions["talks"].forecast)


def test_ranges_spread_the_forecast_and_absent_actors_are_left_out(mini_path):
    fc = forecast(mini_path, draws=400, seed=5, thresholds={"working level": 50})
    talks = fc.distributions["talks"]
    q = talks.quantiles()
    assert q[0.05] < q[0.95]  # the talks inputs have ranges, so outcomes vary
    names = talks.threshold_probabilities()
    assert set(names) == {"start median", "status quo", "working level"}
    assert names["status quo"]["value"] == 20.0
    # sanctions: CHN is absent, so only three actors bargain
    assert fc.results["sanctions"].actor_ids == ("USA", "DPRK", "ROK")
    # every forecast lies inside the hull of the sampled ranges of the talks positions (0–70)
    assert talks.forecast.min() >= 0 and talks.forecast.max() <= 70


def test_policy_changes_inputs_and_is_recorded(mini_path):
    base = forecast(mini_path)
    policy = forecast(mini_path, policy="talks-offer")
    assert policy.policy_id == "talks-offer"
    usa = policy.results["talks"].actor_ids.index("USA")
    assert policy.results["talks"].positions[0, usa] == 80.0
    assert base.results["talks"].positions[0, usa] == 55.0


def test_json_export_is_plain_json(mini_path):
    fc = forecast(mini_path, draws=20, seed=3, rounds=4)
    data = json.loads(json.dumps(fc.to_dict()))
    assert data["options"]["rounds"] == 4 and data["seed"] == 3
    assert len(data["issues"]["talks"]["median_by_round"]) == 5


def test_bad_options_are_named(mini_path):
    with pytest.raises(OptionsError) as err:
        forecast(mini_path, options={"q": 1.5, "compromise_key": "nearest"})
    paths = {p.path for p in err.value.problems}
    assert paths == {"bdm.q", "bdm.compromise_key"}
    with pytest.raises(OptionsError) as err:
        forecast(mini_path, options={"rho": 2})
    assert err.value.problems[0].path == "bdm.rho"
    with pytest.raises(OptionsError):
        forecast(mini_path, draws=-1)


runner = CliRunner()


def test_cli_forecast_table_and_json(mini_path):
    out = runner.invoke(app, ["forecast", str(mini_path), "--draws", "50", "--seed", "2"])
    assert out.exit_code == 0, out.output
    assert "talks" in out.output and "forecast" in out.output and "seed 2" in out.output
    out = runner.invoke(app, ["forecast", str(mini_path), "--json", "--rounds", "3"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["options"]["rounds"] == 3


def test_cli_bad_option_exits_2_with_the_field(mini_path):
    out = runner.invoke(app, ["forecast", str(mini_path), "--set", "q=3"])
    assert out.exit_code == 2
    assert "bdm.q" in out.output
    out = runner.invoke(app, ["forecast", str(mini_path), "--policy", "nope"])
    assert out.exit_code == 2
