"""Loading: the YAML fixture, YAML round trips, and both CSV importers on the shared reference.

Expected numbers come from the shared reference files, read here with pandas (a different
parser from the loader's), or from the fixture text itself.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.scenario import Scenario, dump, load_scenario, read_scenario, validate

HERE = Path(__file__).parent
MINI = HERE / "mini-2023.yaml"
ISSUE_CODES = {"talks": "TALKS", "sanctions": "SANCT"}  # issue ids -> codes in positions.csv


def test_fixture_numbers_match_the_korea_evidence_pack(reference_dir: Path) -> None:
    # mini-2023.yaml copies 12 positions/saliences from korea-2023/positions.csv.
    table = pd.read_csv(reference_dir / "korea-2023" / "positions.csv")
    scn = load_scenario(MINI)
    assert scn.as_of == dt.date(2023, 9, 14)
    for actor in scn.actors:
        for issue_id, stance in actor.stances.items():
            row = table[(table.actor == actor.id) & (table.issue == ISSUE_CODES[issue_id])]
            assert len(row) == 1
            assert stance.position.value == row.position.item()
            assert stance.salience.value == row.salience.item()


def test_fixture_is_clean() -> None:
    # Every number in the fixture has a source and every lever a rationale: no problems at all.
    assert validate(MINI) == []


def test_yaml_round_trip(tmp_path: Path) -> None:
    scn = load_scenario(MINI)
    out = dump(scn, tmp_path / "copy.yaml")
    again = load_scenario(out)
    assert again == scn
    assert again.model_dump(mode="json") == scn.model_dump(mode="json")
    # the atomic write leaves no temporary file behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.yaml"]


def test_round_trip_of_text() -> None:
    scn = load_scenario(MINI)
    assert Scenario.model_validate(
        __import__("ruamel.yaml", fromlist=["YAML"]).YAML(typ="safe").load(scn.to_yaml())
    ) == scn


def test_bare_numbers_load_and_are_warned_with_their_line(tmp_path: Path) -> None:
    # A bare number is accepted; validate warns for it at the line where it stands.
    text = MINI.read_text(encoding="utf-8").replace(
        "capability: {value: 7.3, source: nmc-v6, note: same construction as USA}",
        "capability: 7.3",
    )
    path = tmp_path / "bare.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    capability: 7.3") + 1
    scn = load_scenario(path)
    assert scn.actor("ROK").capability.value == 7.3
    assert scn.actor("ROK").capability.source is None
    problems = validate(path)
    assert [(p.severity, p.line, p.path) for p in problems] == [
        ("warning", line, "actors[2].capability")
    ]
    assert problems[0].message.startswith("unsourced number")


def test_free_citation_and_analyst_sources_need_no_entry(tmp_path: Path) -> None:
    # docs/scenario-format.md: a source with spaces is a free citation; 'analyst' is reserved.
    text = MINI.read_text(encoding="utf-8").replace(
        "source: nmc-v6, note: same construction as USA",
        'source: "Scholz et al. 2011, Table 1", note: same construction as USA',
    )
    path = tmp_path / "free.yaml"
    path.write_text(text, encoding="utf-8")
    assert validate(path) == []


def _plain_reference(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    return frame


@pytest.mark.parametrize("case", ["bdm1994_ec_emissions", "jmckib_sultan", "masad_china",
                                  "thirdwave_greece_eu_2015"])
def test_plain_csv_importer_on_reference_cases(reference_dir: Path, case: str) -> None:
    path = reference_dir / "bargaining" / "bdm" / "cases" / f"{case}.csv"
    expected = _plain_reference(path)
    scn = load_scenario(path)
    arrays = scn.arrays()
    assert arrays.issue_ids == ("issue",)
    assert [a.name for a in scn.actors] == list(expected.Actor)
    np.testing.assert_array_equal(arrays.capability, expected.Capability.to_numpy())
    np.testing.assert_array_equal(arrays.position[:, 0], expected.Position.to_numpy())
    # bdm/README.md: saliences given as fractions (all <= 1) are read as percentages
    salience = expected.Salience.to_numpy(dtype=float)
    if (salience <= 1).all():
        salience = salience * 100
    np.testing.assert_allclose(arrays.salience[:, 0], salience, rtol=0, atol=1e-12)
    assert arrays.present.all()


def test_plain_csv_fraction_saliences_are_percentages(reference_dir: Path) -> None:
    # jmckib_sultan.csv row 2: HAWKS,0.65,14.25,0.8 -> salience 80 (hand conversion)
    scn = load_scenario(reference_dir / "bargaining" / "bdm" / "cases" / "jmckib_sultan.csv")
    hawks = scn.actor("HAWKS")
    assert hawks.stances["issue"].salience.value == pytest.approx(80.0)
    assert hawks.capability.value == 0.65
    # 'RELIGIOUS LEADERS' keeps its name; its id is a slug
    assert scn.actor("RELIGIOUS_LEADERS").name == "RELIGIOUS LEADERS"


KTAB_CASES = ["SOE-Competitive", "SOE-Pol-Comp", "SOE-Policy", "dummyData-a040",
              "dummyData_3Dim", "dummyData_6Dim"]


@pytest.mark.parametrize("case", KTAB_CASES)
def test_ktab_csv_importer_on_reference_cases(reference_dir: Path, case: str) -> None:
    path = reference_dir / "bargaining" / "smp" / "cases" / f"{case}.csv"
    first = next(iter(pd.read_csv(path, header=None, nrows=1, skipinitialspace=True)
                      .itertuples(index=False)))
    n_actors, n_dims = int(first[2]), int(first[3])
    body = pd.read_csv(path, skiprows=1, skipinitialspace=True)
    body.columns = [str(c).strip() for c in body.columns]
    body = body.iloc[:, : 3 + 2 * n_dims]
    scn = load_scenario(path)
    arrays = scn.arrays()
    assert arrays.capability.shape == (n_actors,)
    assert arrays.position.shape == (n_actors, n_dims)
    assert scn.title == str(first[0]).strip()
    assert [i.name for i in scn.issues] == list(body.columns[3::2])
    assert [a.name.split(" (")[0] for a in scn.actors] == [str(a).strip() for a in body.iloc[:, 0]]
    # KTAB numbers are kept unchanged (docs/scenario-format.md)
    np.testing.assert_array_equal(arrays.capability, body.iloc[:, 2].to_numpy(dtype=float))
    np.testing.assert_array_equal(arrays.position, body.iloc[:, 3::2].to_numpy(dtype=float))
    np.testing.assert_array_equal(arrays.salience, body.iloc[:, 4::2].to_numpy(dtype=float))


def test_ktab_ids(reference_dir: Path) -> None:
    # SOE-Pol-Comp.csv row 1 (by eye): "China Policy/Competitive; scen 2" with two dimensions
    # named "Policy Position" and "Competitive Position".
    scn = load_scenario(reference_dir / "bargaining" / "smp" / "cases" / "SOE-Pol-Comp.csv")
    assert scn.id == "china-policy-competitive-scen-2"
    assert scn.issue_ids == ("policy-position", "competitive-position")
    assert scn.actor("XJ").name == "XJ (Xi Jinping)"


@pytest.mark.parametrize("case", ["bargaining/smp/cases/dummyData_6Dim.csv",
                                  "bargaining/bdm/cases/jmckib_sultan.csv"])
def test_csv_imports_round_trip_through_yaml(reference_dir: Path, tmp_path: Path,
                                             case: str) -> None:
    scn = load_scenario(reference_dir / case)
    assert load_scenario(dump(scn, tmp_path / "x.yaml")) == scn


def test_csv_imports_warn_for_every_unsourced_number(reference_dir: Path) -> None:
    # EC emissions: 10 actors x (capability, position, salience) = 30 unsourced numbers.
    problems = validate(reference_dir / "bargaining" / "bdm" / "cases" / "bdm1994_ec_emissions.csv")
    unsourced = [p for p in problems if p.message.startswith("unsourced number")]
    assert len(unsourced) == 30
    assert all(p.severity == "warning" for p in problems)
    # the first data row (Netherlands) is line 2 of the file
    assert {(p.line, p.path) for p in unsourced if p.line == 2} == {
        (2, "Capability"), (2, "Position"), (2, "Salience")}


def test_read_scenario_reports_errors_and_warnings_together(tmp_path: Path) -> None:
    text = MINI.read_text(encoding="utf-8")
    text = text.replace("capability: {value: 7.3, source: nmc-v6, note: same construction as USA}",
                        "capability: 7.3").replace("status_quo: {value: 20,", "status_quo: {value: 200,")
    path = tmp_path / "both.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = read_scenario(path)
    assert loaded.scenario is None
    assert [p.path for p in loaded.errors] == ["issues[0].status_quo.value"]
    assert [p.path for p in loaded.warnings] == ["actors[2].capability"]


def test_public_api_names() -> None:
    import detente

    assert detente.load_scenario is load_scenario
    from detente.scenario import scenarios

    assert detente.scenarios() == scenarios()


def test_direct_construction_checks_the_rules() -> None:
    # A negative capability breaks "capability > 0" also without a file.
    from detente.errors import ScenarioError

    data = {"id": "x", "title": "t",
            "issues": [{"id": "a", "name": "A", "low": "none", "high": "all"}],
            "actors": [{"id": "B", "name": "B", "capability": -1,
                        "stances": {"a": {"position": 5, "salience": 5}}}]}
    with pytest.raises(ScenarioError) as caught:
        Scenario.model_validate(data)
    assert [p.path for p in caught.value.problems] == ["actors[0].capability.value"]


def test_quantity_given_as_text_is_not_a_number(tmp_path: Path) -> None:
    text = MINI.read_text(encoding="utf-8").replace(
        "capability: {value: 7.3, source: nmc-v6, note: same construction as USA}",
        'capability: "seven"')
    path = tmp_path / "text.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(k + 1 for k, t in enumerate(text.splitlines()) if 'capability: "seven"' in t)
    [problem] = validate(path)
    assert (problem.line, problem.path, problem.message) == (
        line, "actors[2].capability", "'seven' is not a number")


def test_validate_warns_on_a_mirror_source(tmp_path):
    """A source on a documented mirror domain is a located warning naming the domain."""
    from detente.scenario import validate

    text = (Path(__file__).parent / "mini-2023.yaml").read_text(encoding="utf-8")
    text = text.replace("address: https://correlatesofwar.org/data-sets/national-material-capabilities/",
                        "address: https://de.zxc.wiki/wiki/National_Material_Capabilities")
    path = tmp_path / "mirror.yaml"
    path.write_text(text, encoding="utf-8")
    warnings = [p for p in validate(path) if p.severity == "warning"]
    hit = [p for p in warnings if "zxc.wiki" in p.message]
    assert hit and hit[0].path == "sources[0].address" and hit[0].line is not None
