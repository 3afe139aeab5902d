"""Sweep designs, analyses and models against values known without running the code under test.

- Ishigami: analytic Sobol' indices (Ishigami & Homma 1990; Saltelli et al. 2008, *Global
  Sensitivity Analysis: The Primer*, §4.8, with a = 7, b = 0.1: S1 = 0.3139, 0.4424, 0;
  ST = 0.5576, 0.4424, 0.2437). The literature numbers are typed in here, not computed.
- Morris on a linear function: every elementary effect of f = Σ c_i x_i is c_i (hi_i − lo_i)
  in SALib's unit-cube scaling, so μ* = |c_i|(hi_i − lo_i) and σ = 0 (hand derivation).
- Grid main effects of f = x1 + x2 on a symmetric grid: Var(E[f|x1]) / Var(f) = 1/2.
- The bargaining model at the scenario's point values equals ``detente.forecast``'s point run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.errors import OptionsError
from detente.runs import RunStore, SweepSpec, plan_sweep, run_sweep
from detente.runs.orchestrate import chunk_seed
from detente.runs.sweep import (
    SweepInput,
    analyse,
    get_sweep_model,
    ishigami_analytic_indices,
    make_design,
)

# Saltelli et al. (2008), §4.8 (rounded to 4 decimals there)
ISHIGAMI_LITERATURE = {
    "S1": {"x1": 0.3139, "x2": 0.4424, "x3": 0.0},
    "ST": {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437},
}


def test_analytic_formula_matches_literature() -> None:
    analytic = ishigami_analytic_indices()
    for index, values in ISHIGAMI_LITERATURE.items():
        for name, value in values.items():
            assert analytic[index][name] == pytest.approx(value, abs=6e-5)


def test_ishigami_sobol_indices_within_confidence_interval(store: RunStore) -> None:
    """2048 base samples → 10,240 evaluations; each estimate's 95% interval covers the truth."""
    result = run_sweep(None, SweepSpec("ishigami", "sobol", samples=2048, seed=0), store=store)
    assert result.design.n_evaluations == 2048 * (3 + 2)
    assert len(result.indices) == 6
    for row in result.indices.itertuples():
        truth = ISHIGAMI_LITERATURE[row.index][row.input]
        assert abs(row.value - truth) <= row.conf + 1e-4, (row.index, row.input, row.value,
                                                           row.conf, truth)
        assert 0 < row.conf < 0.1  # an interval, and a usefully narrow one
    # stored: the run's indices table is the result's
    pd.testing.assert_frame_equal(store.table(result.run_id, "indices"), result.indices,
                                  check_dtype=False)
    assert store.record(result.run_id).status == "done"


def test_morris_on_a_linear_function() -> None:
    inputs = [SweepInput("a", 0.0, 1.0, 0.5), SweepInput("b", 0.0, 2.0, 1.0),
              SweepInput("c", -1.0, 1.0, 0.0)]
    design = make_design("morris", inputs, 20, seed=3)
    assert design.n_evaluations == 20 * (3 + 1)
    y = 2.0 * design.X[:, 0] - 3.0 * design.X[:, 1] + 0.0 * design.X[:, 2]
    ind = analyse(design, pd.DataFrame({"y": y}), seed=3).set_index(["input", "index"])["value"]
    # by hand: μ* = |c| (hi - lo): a → 2·1, b → 3·2, c → 0; σ = 0 for a linear function
    assert ind[("a", "mu_star")] == pytest.approx(2.0)
    assert ind[("b", "mu_star")] == pytest.approx(6.0)
    assert ind[("b", "mu")] == pytest.approx(-6.0)
    assert ind[("c", "mu_star")] == pytest.approx(0.0, abs=1e-12)
    assert ind[("a", "sigma")] == pytest.approx(0.0, abs=1e-9)


def test_grid_main_effects_of_an_additive_function() -> None:
    inputs = [SweepInput("x1", 0.0, 1.0, 0.5), SweepInput("x2", 0.0, 1.0, 0.5)]
    design = make_design("grid", inputs, 25, seed=0)
    assert design.levels == 5 and design.n_evaluations == 25
    y = design.X[:, 0] + design.X[:, 1]
    ind = analyse(design, pd.DataFrame({"y": y}), seed=0)
    # by hand: equal independent contributions → each main effect is 1/2
    assert ind["value"].tolist() == pytest.approx([0.5, 0.5])


def test_design_errors_name_the_field_and_fix() -> None:
    inputs = [SweepInput(f"x{i}", 0.0, 1.0, 0.5) for i in range(30)]
    with pytest.raises(OptionsError) as err:
        make_design("sobol", inputs, 100, 0)
    assert "--samples" in err.value.format() and "64 or 128" in err.value.format()
    with pytest.raises(OptionsError) as err:
        make_design("grid", inputs, 1000, 0)
    assert "--inputs" in err.value.format() or "sobol" in err.value.format()
    with pytest.raises(OptionsError) as err:
        make_design("lhs", inputs, 64, 0)
    assert "sobol | morris | grid" in err.value.format()
    with pytest.raises(OptionsError) as err:
        get_sweep_model("nope")
    assert "bargaining" in err.value.format() and "ishigami" in err.value.format()


def test_chunk_seeds_are_the_spawned_children_whatever_the_count() -> None:
    """Chunk i's stream equals SeedSequence(root).spawn(n)[i] for any n (numpy's own spawn)."""
    for n in (5, 17):
        children = np.random.SeedSequence(42).spawn(n)
        for i in (0, 4):
            assert (np.random.default_rng(chunk_seed(42, i)).random(3).tolist()
                    == np.random.default_rng(children[i]).random(3).tolist())


def test_design_is_reproducible_from_the_seed() -> None:
    inputs = [SweepInput("a", 0.0, 1.0, 0.5), SweepInput("b", 0.0, 2.0, 1.0)]
    a, b = make_design("sobol", inputs, 64, 9), make_design("sobol", inputs, 64, 9)
    c = make_design("sobol", inputs, 64, 10)
    assert a.sha256() == b.sha256() != c.sha256()
    assert (a.X[:, 1] >= 0).all() and (a.X[:, 1] <= 2).all()


# --- the bargaining model on the embedded Korea scenario ----------------------------------------

@pytest.fixture(scope="module")
def korea():
    from detente.scenario import load_scenario

    return load_scenario("korea-2023")


def test_bargaining_inputs_are_the_ranged_numbers(korea) -> None:
    plan, _ = plan_sweep(korea, SweepSpec("bargaining", "morris", samples=2))
    arrays = korea.arrays()
    # count by hand from the arrays: ranges with lo < hi, present entries only
    n_cap = int((arrays.capability_range[:, 1] > arrays.capability_range[:, 0]).sum())
    n_pos = int(((arrays.position_range[..., 1] > arrays.position_range[..., 0])
                 & arrays.present).sum())
    n_sal = int(((arrays.salience_range[..., 1] > arrays.salience_range[..., 0])
                 & arrays.present).sum())
    assert len(plan.inputs) == n_cap + n_pos + n_sal > 0
    assert plan.outputs[0] == f"{arrays.issue_ids[0]}.forecast"
    for inp in plan.inputs:
        assert inp.lo <= inp.base <= inp.hi


def test_bargaining_model_at_point_values_equals_forecast(korea) -> None:
    """Independent path: the public forecast verb's point run (one detailed run per issue)."""
    import detente

    plan, _ = plan_sweep(korea, SweepSpec("bargaining", "morris", samples=2))
    model = get_sweep_model("bargaining")
    context = model.prepare(korea, plan.inputs, plan.options)
    base = np.array([[i.base for i in plan.inputs]])
    out = model.evaluate(context, base, np.random.SeedSequence(0))
    fc = detente.forecast(korea, model="bdm")
    for issue_id, result in fc.results.items():
        assert out[f"{issue_id}.forecast"][0] == pytest.approx(result.forecast, abs=1e-9)
        assert out[f"{issue_id}.cycle_low"][0] == pytest.approx(result.cycle_low, abs=1e-9)


def test_bargaining_input_moves_only_its_own_issue(korea) -> None:
    """BDM runs each issue on its own (Scholz et al. 2011 is one-dimensional): changing a
    position on one issue cannot change another issue's forecast."""
    plan, _ = plan_sweep(korea, SweepSpec("bargaining", "morris", samples=2,
                                          inputs=("position.*",)))
    model = get_sweep_model("bargaining")
    context = model.prepare(korea, plan.inputs, plan.options)
    j = 0
    issue = plan.inputs[j].name.split(".")[2]
    X = np.array([[i.base for i in plan.inputs]] * 2)
    X[1, j] = plan.inputs[j].lo if plan.inputs[j].base != plan.inputs[j].lo else plan.inputs[j].hi
    out = model.evaluate(context, X, np.random.SeedSequence(0))
    for name, values in out.items():
        if not name.startswith(issue + "."):
            assert values[0] == values[1], name


def test_unknown_extra_parameter_is_refused(korea) -> None:
    with pytest.raises(OptionsError) as err:
        plan, _ = plan_sweep(korea, SweepSpec("bargaining", "morris", samples=2,
                                              extra=(("bridge.gain", 0.0, 1.0),)))
        get_sweep_model("bargaining").prepare(korea, plan.inputs, plan.options)
    assert "bridge.gain" in err.value.format()


def test_engine_option_as_extra_input_matches_forecast_with_that_option(korea) -> None:
    """``bdm.q`` swept as an extra parameter: rows at q = 0.5 equal the forecast verb run with
    ``options={"q": 0.5}`` (independent path through detente.forecast)."""
    import detente

    plan, _ = plan_sweep(korea, SweepSpec("bargaining", "morris", samples=2, inputs=("bdm.q",),
                                          extra=(("bdm.q", 0.5, 1.0),)))
    model = get_sweep_model("bargaining")
    context = model.prepare(korea, plan.inputs, plan.options)
    out = model.evaluate(context, np.array([[0.5], [1.0], [0.5]]), np.random.SeedSequence(0))
    for q, row in ((0.5, 0), (1.0, 1), (0.5, 2)):
        fc = detente.forecast(korea, model="bdm", options={"q": q})
        for issue_id, result in fc.results.items():
            assert out[f"{issue_id}.forecast"][row] == pytest.approx(result.forecast, abs=1e-9)


def test_regenerated_design_equals_the_stored_one(store: RunStore) -> None:
    """The design kept as cells at run time is the reference for the regenerated one."""
    from detente.runs import sweep_design

    result = run_sweep(None, SweepSpec("ishigami", "morris", samples=8, seed=5,
                                       store_design=True), store=store)
    rec = store.record(result.run_id)
    stored = store.table(rec.id, "design")
    np.testing.assert_array_equal(sweep_design(rec).X, stored.to_numpy())
    tampered = type(rec)(**{**rec.__dict__, "seed": 6})
    with pytest.raises(OptionsError):
        sweep_design(tampered)


def test_resume_refuses_a_finished_sweep_and_a_non_sweep(store: RunStore) -> None:
    from detente.runs import resume_sweep

    done = run_sweep(None, SweepSpec("ishigami", "morris", samples=2), store=store)
    with pytest.raises(OptionsError) as err:
        resume_sweep(store, done.run_id)
    assert "already done" in str(err.value) and "--resume" in err.value.format()
    with store.run(kind="forecast", command="x") as run:
        pass
    with pytest.raises(OptionsError) as err:
        resume_sweep(store, run.id)
    assert "not a sweep" in str(err.value)
