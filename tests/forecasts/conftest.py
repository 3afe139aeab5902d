"""Fixtures of the forecast tests: a private fit cache, a synthetic panel, a frozen record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.dynamics.simulate import synthetic_panel

#: Known parameters of the synthetic panel (those of tests/dynamics/conftest.py).
TRUTH: dict[str, float | np.ndarray] = {
    "log_base_rate": -2.0, "log_rate_ratio_dialogue": -0.8, "log_rate_ratio_crisis": 0.5,
    "sanctions_effect": 0.3, "leader_kim_jong_il": -0.5, "leader_kim_jong_un": 1.2,
    "season_cos": -0.3, "season_sin": 0.2, "self_excitation": 0.6, "memory_decay": 0.6,
    "concentration": 1.5, "nuclear_logit_base": -3.0, "nuclear_log_odds_dialogue": -1.0,
    "extra_missiles_per_event": 0.9, "salvo_concentration": 0.7,
    "transition": np.array([[0.90, 0.06, 0.04], [0.05, 0.90, 0.05], [0.05, 0.20, 0.75]]),
}
AS_OF = "2013-12"
FIT = {"method": "laplace", "chains": 1, "samples": 100}
DRAWS = 400

QUESTIONS_YAML = """\
id: synthetic
title: Synthetic questions
questions:
  - id: days-m1
    text: Launch days in {start}?
    resolution: launch days in {start}
    outcome: launch_days
    type: count
    window: {start: "+1", end: "+1"}
    source: synthetic panel
  - id: days-m2
    text: Launch days in {start}?
    resolution: launch days
    outcome: launch_days
    type: count
    window: {start: "+2", end: "+2"}
    source: synthetic panel
  - id: days-m3
    text: Launch days in {start}?
    resolution: launch days
    outcome: launch_days
    type: count
    window: {start: "+3", end: "+3"}
    source: synthetic panel
  - id: days-12m
    text: Launch days {start} to {end}?
    resolution: total launch days
    outcome: launch_days
    type: quantity
    window: {start: "+1", end: "+12"}
    source: synthetic panel
  - id: missiles-6m
    text: Missiles flown {start} to {end}?
    resolution: total missiles
    outcome: missiles
    type: quantity
    window: {start: "+1", end: "+6"}
    source: synthetic panel
  - id: nuclear-12m
    text: A nuclear test {start} to {end}?
    resolution: any nuclear test
    outcome: nuclear_test
    type: binary
    window: {start: "+1", end: "+12"}
    source: synthetic panel
  - id: any-launch-m1
    text: Any launch in {start}?
    resolution: at least one launch day
    outcome: launch_days
    type: binary
    window: {start: "+1", end: "+1"}
    source: synthetic panel
  - id: busy-year
    text: At least 10 launch days {start} to {end}?
    resolution: ten or more launch days
    outcome: launch_days
    type: binary
    at_least: 10
    window: {start: "+1", end: "+12"}
    source: synthetic panel
  - id: unsc-12m
    text: A UNSC resolution {start} to {end}?
    resolution: any resolution
    outcome: unsc_sanctions_resolution
    type: binary
    window: {start: "+1", end: "+12"}
    source: synthetic panel
  - id: onset-12m
    text: A dialogue onset {start} to {end}?
    resolution: any onset
    outcome: dialogue_onset
    type: binary
    window: {start: "+1", end: "+12"}
    source: synthetic panel
  - id: late
    text: Launch days in {start}?
    resolution: launch days
    outcome: launch_days
    type: count
    window: {start: "+30", end: "+30"}
    source: synthetic panel
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Fits go to a fresh folder, never to ~/.cache/detente; the user evidence layer and the
    run store are private too (a layer in the user's home must not resolve a test question)."""
    monkeypatch.setenv("DETENTE_CACHE", str(tmp_path_factory.mktemp("detente-cache")))
    monkeypatch.setenv("DETENTE_DATA", str(tmp_path_factory.mktemp("detente-data")))
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path_factory.mktemp("store") / "runs.duckdb"))


@pytest.fixture(scope="session")
def full_panel() -> pd.DataFrame:
    """A synthetic panel, 1994-01 … 2014-12: the freeze sees up to 2013-12, the rest is 'the
    future'."""
    return synthetic_panel(TRUTH, start="1994-01",
                           leaders=(("Kim Jong Il", 120), ("Kim Jong Un", 132)), seed=11)


@pytest.fixture(scope="session")
def questions():
    from detente.forecasts import parse_questions

    return parse_questions(QUESTIONS_YAML, "synthetic.yaml")


@pytest.fixture(scope="session")
def frozen(full_panel, questions, tmp_path_factory):
    """The synthetic questions frozen on the panel up to AS_OF only."""
    from detente.forecasts import freeze

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DETENTE_CACHE", str(tmp_path_factory.mktemp("frozen-cache")))
        past = full_panel.loc[:AS_OF].copy()
        return freeze(questions, as_of=AS_OF, panel=past, frames={}, draws=DRAWS, seed=5,
                      **FIT)
