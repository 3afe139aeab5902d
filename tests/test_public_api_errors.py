"""Bad arguments to the public verbs raise DetenteError subclasses, naming the argument.

The expectation comes from project issue 13, item 1: "the Python API raises DetenteError
subclasses only". A user of the Python API who passes an unknown model, a negative draw count, a
seed that is a string, a dict where a Scenario belongs … gets a :class:`~detente.errors.DetenteError`
(in practice an ``OptionsError`` or a ``ScenarioError``) whose message names the argument and says
what is allowed — never a ``TypeError``/``KeyError``/``ValueError`` from deep inside numpy or
pandas, a silent acceptance of a meaningless value, or a run that never ends.

Every case fails in argument validation, before any expensive work (no dynamic fit, no Monte
Carlo run), so each takes well under a second. The scenario loader has its own fuzz test
(``tests/scenario/test_hostile_input.py``) for hostile file content; here only wrong argument
types reach ``load_scenario`` and ``apply``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import detente
from detente.backcast import backcast
from detente.dynamics.posterior import EndState, Posterior
from detente.errors import DetenteError

NAN, INF = float("nan"), float("inf")


def _posterior() -> Posterior:
    """A tiny posterior with fixed parameters (no fit), trained through 2023-09."""
    values = {
        "log_base_rate": -2.0, "log_rate_ratio_dialogue": -0.8, "log_rate_ratio_crisis": 0.5,
        "sanctions_effect": 0.3, "leader_kim_jong_il": -0.5, "leader_kim_jong_un": 1.2,
        "season_cos": -0.3, "season_sin": 0.2, "self_excitation": 0.6, "memory_decay": 0.6,
        "concentration": 1.5, "nuclear_logit_base": -4.0, "nuclear_log_odds_dialogue": -1.0,
        "extra_missiles_per_event": 0.9, "salvo_concentration": 0.7,
        "transition": np.array([[0.95, 0.03, 0.02], [0.03, 0.93, 0.04], [0.05, 0.20, 0.75]]),
    }
    samples = {k: np.repeat(np.asarray(v, dtype=float)[None], 4, axis=0)
               for k, v in values.items()}
    state = EndState(last_month="2023-09", launch_events=np.zeros(24, dtype=int), regime=0,
                     unsc_resolution=0, leader="Kim Jong Un", unsc_resolution_rate=0.02)
    return Posterior(samples=samples, variant="full", method="fixed", first_month="1984-01",
                     until="2023-09", state=state, diagnostics=pd.DataFrame())


POSTERIOR = _posterior()
TINY_PANEL = pd.DataFrame({"unsc_resolution": [0, 0]},
                          index=pd.period_range("2023-01", periods=2, freq="M"))


def _forecast(**kw: Any) -> Any:
    return detente.forecast(kw.pop("scenario", "korea-2023"), **{"model": "bdm", **kw})


def _compare(**kw: Any) -> Any:
    return detente.compare(kw.pop("scenario", "korea-2023"),
                           **{"draws": 2, "horizon_months": 12, "seed": 1, **kw})


def _evaluate(**kw: Any) -> Any:
    return detente.evaluate(kw.pop("scenario", "korea-2023"),
                            **{"draws": 2, "horizon_months": 12, "seed": 1, **kw})


def _simulate(**kw: Any) -> Any:
    return detente.simulate(kw.pop("posterior", POSTERIOR),
                            **{"months": 12, "draws": 4, "seed": 1, **kw})


def _fit(**kw: Any) -> Any:
    return detente.fit(**{"method": "laplace", "cache": False, "seed": 0, **kw})


def _backtest(**kw: Any) -> Any:
    return detente.backtest(**{"origins": [], "episodes": True, "draws": 2, "seed": 1, **kw})


def _backcast(**kw: Any) -> Any:
    return backcast(**{"scenarios": ["korea-2023"], "draws": 2, "seed": 1, "models": ["bdm"],
                       **kw})


# (verb, keyword arguments, the argument the error must name)
CASES: list[tuple[str, dict[str, Any], str]] = [
    # forecast
    ("forecast", {"model": "xyz"}, "model"),
    ("forecast", {"model": ["bdm"]}, "model"),
    ("forecast", {"policy": "no-such-policy"}, "policy"),
    ("forecast", {"policy": 123}, "policy"),
    ("forecast", {"issue": "no-such-issue"}, "issue"),
    ("forecast", {"issue": 5}, "issue"),
    ("forecast", {"draws": -1}, "draws"),
    ("forecast", {"draws": 2.5}, "draws"),
    ("forecast", {"draws": True}, "draws"),
    ("forecast", {"draws": "10"}, "draws"),
    ("forecast", {"draws": 10**12}, "draws"),
    ("forecast", {"draws": 2, "seed": -1}, "seed"),
    ("forecast", {"draws": 2, "seed": "abc"}, "seed"),
    ("forecast", {"draws": 0, "seed": -1}, "seed"),
    ("forecast", {"rounds": 0}, "rounds"),
    ("forecast", {"rounds": -1}, "rounds"),
    ("forecast", {"rounds": 10**9}, "rounds"),
    ("forecast", {"options": {"zz": 1}}, "zz"),
    ("forecast", {"options": {1: 2}}, "bdm.1"),
    ("forecast", {"options": {"q": "abc"}}, "bdm.q"),
    ("forecast", {"options": {"q": 2.0}}, "bdm.q"),
    ("forecast", {"options": "q=1"}, "options"),
    ("forecast", {"scenario": {}}, "scenario"),
    ("forecast", {"scenario": None}, "scenario"),
    ("forecast", {"scenario": "/no/such/dir/scenario.yaml"}, "/no/such/dir/scenario.yaml"),
    ("forecast", {"draws": 2, "perturbation": -1}, "perturbation"),
    ("forecast", {"draws": 2, "perturbation": NAN}, "perturbation"),
    ("forecast", {"draws": 2, "perturbation": INF}, "perturbation"),
    ("forecast", {"draws": 2, "perturbation": "x"}, "perturbation"),
    ("forecast", {"draws": 0, "perturbation": -1}, "perturbation"),
    ("forecast", {"draws": 0, "distribution": "normal"}, "distribution"),
    ("forecast", {"draws": 2, "thresholds": {"a": "x"}}, "thresholds.a"),
    ("forecast", {"draws": 2, "thresholds": [1]}, "thresholds"),
    ("forecast", {"chunk_size": 0}, "chunk_size"),
    ("forecast", {"workers": -2}, "workers"),
    ("forecast", {"progress": 5}, "progress"),
    # compare
    ("compare", {"model": "xyz"}, "model"),
    ("compare", {"cross_check": "xyz"}, "cross_check"),
    ("compare", {"policies": ["no-such-policy"]}, "policies[0]"),
    ("compare", {"policies": 5}, "policies"),
    ("compare", {"policies": [5]}, "policies[0]"),
    ("compare", {"draws": 0}, "draws"),
    ("compare", {"draws": -3}, "draws"),
    ("compare", {"draws": 2.5}, "draws"),
    ("compare", {"draws": True}, "draws"),
    ("compare", {"draws": 10**12}, "draws"),
    ("compare", {"seed": -1}, "seed"),
    ("compare", {"seed": "abc"}, "seed"),
    ("compare", {"horizon_months": 0}, "horizon_months"),
    ("compare", {"horizon_months": -5}, "horizon_months"),
    ("compare", {"horizon_months": 10**6}, "horizon_months"),
    ("compare", {"horizon_months": 13}, "horizon_months"),
    ("compare", {"cross_check_draws": -1}, "cross_check_draws"),
    ("compare", {"cross_check_draws": 1.5}, "cross_check_draws"),
    ("compare", {"cross_check_draws": 0}, "cross_check_draws"),
    ("compare", {"paths_per_draw": 0}, "paths_per_draw"),
    ("compare", {"bridge": {"beta_talks": 1}}, "bridge"),
    ("compare", {"scenario": {}}, "scenario"),
    ("compare", {"scenario": 42}, "scenario"),
    ("compare", {"scenario": "/no/such/dir/scenario.yaml"}, "/no/such/dir/scenario.yaml"),
    ("compare", {"posterior": "x"}, "posterior"),
    ("compare", {"panel": "x"}, "panel"),
    ("compare", {"panel": pd.DataFrame()}, "index"),
    ("compare", {"panel": TINY_PANEL.rename(columns={"unsc_resolution": "u"})},
     "unsc_resolution"),
    ("compare", {"progress": 5}, "progress"),
    # evaluate (its comparison arguments are compare's; these are its own)
    ("evaluate", {"draws": -1}, "draws"),
    ("evaluate", {"model": "xyz"}, "model"),
    ("evaluate", {"scenario": {}}, "scenario"),
    ("evaluate", {"backtest": "no"}, "backtest"),
    ("evaluate", {"backcast": "no"}, "backcast"),
    ("evaluate", {"sensitivity": "x"}, "sensitivity"),
    # simulate
    ("simulate", {"months": 0}, "months"),
    ("simulate", {"months": -5}, "months"),
    ("simulate", {"months": 2.5}, "months"),
    ("simulate", {"months": True}, "months"),
    ("simulate", {"months": 10**6}, "months"),
    ("simulate", {"draws": 0}, "draws"),
    ("simulate", {"draws": 2.5}, "draws"),
    ("simulate", {"draws": "4"}, "draws"),
    ("simulate", {"draws": None}, "draws"),
    ("simulate", {"draws": 10**12}, "draws"),
    ("simulate", {"seed": -1}, "seed"),
    ("simulate", {"seed": "abc"}, "seed"),
    ("simulate", {"levers": {"zz": 1}}, "levers.zz"),
    ("simulate", {"levers": {"p_enter_dialogue": NAN}}, "levers.p_enter_dialogue"),
    ("simulate", {"levers": {"p_enter_dialogue": True}}, "levers.p_enter_dialogue"),
    ("simulate", {"levers": [1]}, "levers"),
    ("simulate", {"start": "garbage"}, "start"),
    ("simulate", {"start": "9999-01"}, "start"),
    ("simulate", {"posterior": {}}, "posterior"),
    ("simulate", {"posterior": "korea-2023"}, "posterior"),
    # fit (refused before any fit)
    ("fit", {"method": "xyz"}, "method"),
    ("fit", {"variant": "xyz"}, "variant"),
    ("fit", {"until": "garbage"}, "until"),
    ("fit", {"chains": 0}, "chains"),
    ("fit", {"chains": 1.5}, "chains"),
    ("fit", {"chains": "2"}, "chains"),
    ("fit", {"samples": 2.5}, "samples"),
    ("fit", {"samples": 10**12}, "samples"),
    ("fit", {"warmup": -1}, "warmup"),
    ("fit", {"warmup": None}, "warmup"),
    ("fit", {"seed": -1}, "seed"),
    ("fit", {"seed": "abc"}, "seed"),
    ("fit", {"panel": {}}, "panel"),
    ("fit", {"cache": "no"}, "cache"),
    # backtest (refused before any fit)
    ("backtest", {"draws": 0}, "draws"),
    ("backtest", {"draws": 2.5}, "draws"),
    ("backtest", {"draws": True}, "draws"),
    ("backtest", {"draws": 10**12}, "draws"),
    ("backtest", {"seed": -1}, "seed"),
    ("backtest", {"horizon_months": 0}, "horizon_months"),
    ("backtest", {"horizon_months": 2.5}, "horizon_months"),
    ("backtest", {"origins": "2010-01"}, "origins"),
    ("backtest", {"origins": ["garbage"]}, "origins"),
    ("backtest", {"origins": ["1800-01"]}, "origins[0]"),
    ("backtest", {"method": "xyz"}, "method"),
    ("backtest", {"panel": "x"}, "panel"),
    ("backtest", {"panel": pd.DataFrame()}, "index"),
    ("backtest", {"progress": 5}, "progress"),
    # backcast
    ("backcast", {"scenarios": [5]}, "scenarios[0]"),
    ("backcast", {"models": ["xyz"]}, "models[0]"),
    ("backcast", {"models": []}, "models"),
    ("backcast", {"draws": 0}, "draws"),
    ("backcast", {"draws": 2.5}, "draws"),
    ("backcast", {"seed": "abc"}, "seed"),
    # the scenario verbs: a wrong type where an id, a path or a Scenario belongs
    ("load_scenario", {"id_or_path": {}}, "scenario"),
    ("load_scenario", {"id_or_path": None}, "scenario"),
    ("load_scenario", {"id_or_path": 42}, "scenario"),
    ("apply", {"policy": 5}, "policy"),
    ("apply", {"scenario": {}}, "scenario"),
    ("apply", {"scenario": "korea-2023"}, "scenario"),
]


def _apply(**kw: Any) -> Any:
    if "scenario" not in kw:
        kw["scenario"] = detente.load_scenario("korea-2023")
    return detente.apply(kw.pop("policy", "maximum-pressure"), kw["scenario"])

VERBS = {"forecast": _forecast, "compare": _compare, "evaluate": _evaluate,
         "simulate": _simulate, "fit": _fit, "backtest": _backtest, "backcast": _backcast,
         "load_scenario": detente.load_scenario, "apply": _apply}


def _case_id(case: tuple[str, dict[str, Any], str]) -> str:
    verb, kwargs, _ = case
    return verb + ":" + ",".join(f"{k}={v!r}"[:40] for k, v in kwargs.items())


@pytest.mark.parametrize(("verb", "kwargs", "argument"), CASES, ids=map(_case_id, CASES))
def test_bad_argument_is_a_detente_error_naming_it(verb: str, kwargs: dict[str, Any],
                                                  argument: str) -> None:
    with pytest.raises(DetenteError) as err:
        VERBS[verb](**kwargs)
    text = err.value.format()
    assert argument in text, text
    for problem in err.value.problems:  # every problem is one line a terminal can show
        assert "\n" not in problem.format()


def test_a_hostile_value_is_quoted_short() -> None:
    """A 100 000-character value is cut in the message, not echoed whole."""
    with pytest.raises(DetenteError) as err:
        _forecast(options={"capitulation": "x" * 100_000})
    assert len(err.value.format()) < 1_000


def test_valid_edge_values_are_still_accepted() -> None:
    """The checks refuse nonsense only: the smallest and default values still run."""
    fc = _forecast(draws=0, seed=0, perturbation=0.0, chunk_size=None, workers=None)
    assert fc.draws == 0
    fc = _forecast(draws=2, seed=np.int64(3), perturbation=100.0, distribution="uniform",
                   thresholds={"mid": 50}, chunk_size=1, workers=1)
    assert fc.draws == 2 and fc.seed == 3
    traj = _simulate(months=1, draws=1, levers={"p_enter_dialogue": 0.5})
    assert traj.launch_events.shape == (1, 1)
    assert math.isfinite(float(traj.launch_rate[0, 0]))
