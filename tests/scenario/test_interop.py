"""Other tools' files: KTAB XML and decide readers, the KTAB CSV writer, --scale, `export`.

Expected numbers come from the reference inputs in ``tests/reference/interop/`` (read here with
a different parser from the reader's: ``xml.etree`` for KTAB XML and plain string splitting for
decide), from ``tests/reference/bargaining/smp/`` (the same dummyData_3Dim case as KTAB CSV,
and KTAB's own output for it), or from small files written in the test itself.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.bargaining import smp
from detente.cli import app
from detente.scenario import load_scenario, read_scenario
from detente.scenario.interop import (
    KTAB_PARAMETERS,
    ktab_schema,
    ktab_smp_options,
    write_ktab_csv,
)


@pytest.fixture(scope="module")
def interop(reference_dir: Path) -> Path:
    return reference_dir / "interop"


def _decide_rows(path: Path, tag: str) -> list[list[str]]:
    """The rows of ``tag`` in a decide file, split by hand (tabs, quotes stripped)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("'") for c in line.split("\t")]
        if cells and cells[0] == tag:
            rows.append(cells)
    return rows


# --- KTAB XML ----------------------------------------------------------------------------------


def test_both_ktab_xml_examples_load(interop: Path) -> None:
    for name in ("smpExample.xml", "dummyData_3Dim.xml"):
        loaded = read_scenario(interop / "ktab" / name)
        assert loaded.errors == [], [p.format() for p in loaded.errors]
        assert loaded.scenario is not None
        # the numbers of the first actor, as xml.etree reads them from the file
        root = ET.parse(interop / "ktab" / name).getroot()
        first = root.find("Actors/Actor")
        assert first is not None
        actor = loaded.scenario.actors[0]
        assert actor.capability.value == float(first.findtext("capability"))
        dims = [d.text for d in root.findall("Dimensions/dName")]
        assert [i.name for i in loaded.scenario.issues] == dims


def test_smp_example_keeps_its_model_parameters(interop: Path) -> None:
    # smpExample.xml declares MarkovIncentive, Stochastic, PropCbc, ... and the seed below
    path = interop / "ktab" / "smpExample.xml"
    options = ktab_smp_options(path)
    assert (options.pce, options.transitions, options.voting_rule) == (
        "markov-incentive", "stochastic", "prop-cubic")
    assert (options.risk_adjust, options.risk_range, options.third_party_commit) == (
        "one-third", "mid", "semi")
    assert (options.bargain_interpolation, options.bargain_model, options.victory_law) == (
        "s2p2", "init-only", "linear")
    assert options.transition_seed == 3507583219545544127  # <prngSeed>03507583219545544127
    loaded = read_scenario(path)
    assert loaded.engine_options["smp"]["pce"] == "markov-incentive"
    # Alice's first <dCoord> is empty in KTAB's file: she is absent there, with a warning
    assert "Alice" in loaded.scenario.issues[0].absent
    assert any(p.line == 32 and "empty <dCoord>" in p.message for p in loaded.warnings)


def test_dummy_xml_gives_the_csv_arrays_and_the_same_smp_run(interop: Path,
                                                              reference_dir: Path) -> None:
    xml = load_scenario(interop / "ktab" / "dummyData_3Dim.xml")
    csv = load_scenario(reference_dir / "bargaining" / "smp" / "cases" / "dummyData_3Dim.csv")
    a, b = xml.arrays(), csv.arrays()
    assert a.actor_ids == b.actor_ids and a.issue_ids == b.issue_ids
    for name in ("capability", "position", "salience", "present"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    options = ktab_smp_options(interop / "ktab" / "dummyData_3Dim.xml")
    run_xml, run_csv = smp.run_scenario(xml, options), smp.run_scenario(csv, options)
    np.testing.assert_array_equal(run_xml.positions, run_csv.positions)
    assert run_xml.turns == run_csv.turns


def test_schema_values_are_read_from_the_xsd_and_all_mapped(interop: Path) -> None:
    # the enumerations as listed in KTAB's smpSchema.xsd, read here with a regex
    xsd = (interop / "ktab" / "smpSchema.xsd").read_text(encoding="utf-8-sig")
    assert ktab_schema().parameters["VotingRule"] == tuple(re.findall(
        r'<xs:enumeration value="(\w+)"/>',
        xsd.split('name="VotingRuleEnum"')[1].split("</xs:simpleType>")[0]))
    from detente.options import choices_of

    choices = choices_of(smp.SMPOptions)
    assert set(ktab_schema().parameters) == set(KTAB_PARAMETERS)
    for name, allowed in ktab_schema().parameters.items():
        option, table = KTAB_PARAMETERS[name]
        assert set(table) == set(allowed), name
        assert set(table.values()) == set(choices[option]), name
    assert ktab_schema().bounds["dSal"] == (0.0, 100.0)
    assert ktab_schema().min_actors == 3


def test_a_parameter_the_xsd_does_not_allow_is_a_located_error(interop: Path,
                                                              tmp_path: Path) -> None:
    text = (interop / "ktab" / "smpExample.xml").read_text(encoding="utf-8-sig")
    assert "<VotingRule>PropCbc</VotingRule>" in text
    bad = tmp_path / "bad.xml"
    bad.write_text(text.replace("<VotingRule>PropCbc</VotingRule>",
                                "<VotingRule>Majority</VotingRule>"), encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "<VotingRule>" in t)
    loaded = read_scenario(bad)
    assert loaded.scenario is None
    [err] = loaded.errors
    assert (err.file, err.line, err.path) == (str(bad), line, "Scenario.ModelParameters.VotingRule")
    assert "'Majority'" in err.message
    for value in ("Binary", "PropBin", "Proportional", "PropCbc", "Cubic", "ASymProsp"):
        assert value in err.allowed


def test_bad_xml_is_located_and_dtds_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<Scenario>\n  <name>x</name>\n  <desc>oops</dsc>\n</Scenario>\n")
    [err] = read_scenario(broken).errors
    assert err.line == 3 and "malformed XML" in err.message
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaa">]>\n'
                    "<Scenario><name>&a;</name></Scenario>\n")
    [err] = read_scenario(bomb).errors
    assert "refused" in err.message and err.line == 2
    missing = tmp_path / "missing.xml"
    missing.write_text("<Scenario>\n<name>x</name>\n<desc>d</desc>\n<prngSeed>1</prngSeed>\n"
                       "<Actors>\n<Actor><name>A</name><description/><capability>2000"
                       "</capability></Actor>\n</Actors>\n</Scenario>\n")
    errors = read_scenario(missing).errors
    messages = " | ".join(p.format() for p in errors)
    assert "capability 2000 is outside 0–1000" in messages  # XSD: maxInclusive 1000.0
    assert "no <Position>" in messages and "at least 3 <Actor>" in messages
    assert all(p.file == str(missing) and p.line for p in errors)


# --- decide ------------------------------------------------------------------------------------


def test_cop21_loads_with_positions_powers_and_saliences(interop: Path) -> None:
    path = interop / "decide" / "cop21.csv"
    scn = load_scenario(path)
    actors = _decide_rows(path, "#A")
    issues = _decide_rows(path, "#P")
    assert len(scn.actors) == len(actors) and len(scn.issues) == len(issues)
    # '#D' 'USA' 'amb2100' 80.0 0.4 1.0; amb2100's #M rows are 0 and 100
    usa = scn.actor("USA")
    stance = usa.stances["amb2100"]
    assert (stance.position.value, stance.salience.value, stance.influence.value) == (
        80.0, 40.0, 1.0)
    # capability = mean of the USA's #D powers
    powers = [float(r[5]) for r in _decide_rows(path, "#D") if r[1] == "USA"]
    assert usa.capability.value == pytest.approx(np.mean(powers))


def test_copenhagen_absent_actors_and_bounds(interop: Path) -> None:
    path = interop / "decide" / "copenhagen.csv"
    scn = load_scenario(path)
    # Russia has no #D row for Commitments and Extra (checked by hand in the file)
    rows = _decide_rows(path, "#D")
    russia_issues = {r[2] for r in rows if r[1] == "Russia"}
    assert "Commitments" not in russia_issues and "Extra" not in russia_issues
    assert scn.issue("commitments").absent == ["Russia"]
    assert scn.issue("extra").absent == ["Russia"]
    # 'EU (incl Norway)' becomes the id EU_incl_Norway; its Control position is 50.0
    assert scn.actor("EU_incl_Norway").stances["control"].position.value == 50.0
    assert scn.issue("newtreaty").low == "0 on the file's scale of Newtreaty"


def test_decide_positions_are_mapped_from_the_issue_bounds(interop: Path) -> None:
    path = interop / "decide" / "sample_data.txt"
    scn = load_scenario(path)
    # '#M' 'tol-hoogte' 0.5 and 7; '#D' 'Willems' 'tol-hoogte' 3.0 0.7 1.0
    bounds = [float(r[2]) for r in _decide_rows(path, "#M") if r[1] == "tol-hoogte"]
    lo, hi = min(bounds), max(bounds)
    [row] = [r for r in _decide_rows(path, "#D") if r[1:3] == ["Willems", "tol-hoogte"]]
    stance = scn.actor("Willems").stances["tol-hoogte"]
    assert stance.position.value == pytest.approx(100 * (float(row[3]) - lo) / (hi - lo))
    assert stance.salience.value == pytest.approx(100 * float(row[4]))


def test_copenhagen_with_errors_gives_located_errors(interop: Path) -> None:
    path = interop / "decide" / "copenhagen_with_errors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    russia = 1 + next(n for n, t in enumerate(lines) if t.startswith("#D\tRussia\tControl"))
    china = 1 + next(n for n, t in enumerate(lines) if t.startswith("#D\tChina India\tControl"))
    loaded = read_scenario(path)
    assert loaded.scenario is None
    got = {(p.file, p.line, p.path) for p in loaded.errors}
    assert got == {(str(path), russia, "#D position"), (str(path), china, "#D power")}
    assert any("160" in p.message for p in loaded.errors)  # Russia's position 160 > 100


# --- KTAB CSV out ------------------------------------------------------------------------------


def test_korea_round_trips_through_ktab_csv(tmp_path: Path) -> None:
    scn = load_scenario("korea-2023")
    out = write_ktab_csv(scn, tmp_path / "korea.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["korea.csv"]  # no temporary left
    again = load_scenario(out)
    a, b = scn.arrays(), again.arrays()
    assert b.actor_ids == a.actor_ids and b.issue_ids == a.issue_ids
    np.testing.assert_array_equal(b.capability, a.capability)
    np.testing.assert_array_equal(b.position, a.position)
    np.testing.assert_allclose(b.salience, smp.ktab_saliences(a.salience), rtol=0, atol=1e-12)
    assert (b.salience.sum(axis=1) <= 100 + 1e-9).all()


# --- plain CSV on another scale ----------------------------------------------------------------


def test_a_one_to_ten_table_maps_to_0_100(tmp_path: Path) -> None:
    table = tmp_path / "ten.csv"
    table.write_text("Actor,Capability,Position,Salience\nA,50,1,0.5\nB,30,10,0.8\n"
                     "C,20,4,0.6\n", encoding="utf-8")
    scn = load_scenario(table, scale=(1, 10))
    # 1 -> 0, 10 -> 100, 4 -> (4 - 1) / 9 * 100
    assert [a.stances["issue"].position.value for a in scn.actors] == pytest.approx(
        [0.0, 100.0, 100 * 3 / 9])
    assert scn.issues[0].low == "1 on the table's scale"
    # without --scale, 1..10 lies inside 0–100: read as it stands (the rule maps only
    # positions that leave 0–100), so the table loads either way
    plain = load_scenario(table)
    assert [a.stances["issue"].position.value for a in plain.actors] == [1.0, 10.0, 4.0]
    # a position outside the named scale is a located error (B's 10 on row 3)
    [err] = read_scenario(table, scale=(1, 5)).errors
    assert (err.line, err.path) == (3, "Position") and "outside the scale 1–5" in err.message


def test_positions_leaving_0_100_map_from_the_data_range_with_a_warning(tmp_path: Path) -> None:
    table = tmp_path / "wide.csv"
    table.write_text("Actor,Capability,Position,Salience\nA,50,-5,0.5\nB,30,5,0.8\n"
                     "C,20,0,0.6\n", encoding="utf-8")
    loaded = read_scenario(table)
    assert loaded.scenario is not None
    # data range -5..5: -5 -> 0, 5 -> 100, 0 -> 50
    assert [a.stances["issue"].position.value for a in loaded.scenario.actors] == pytest.approx(
        [0.0, 100.0, 50.0])
    [warn] = [p for p in loaded.warnings if "positions leave 0–100" in p.message]
    assert (warn.file, warn.line, warn.path) == (str(table), 2, "Position")
    assert "--scale -5,5" in warn.allowed
    # the same table with the scale it was written on (-10..10) maps from that instead
    named = load_scenario(table, scale=(-10, 10))
    assert [a.stances["issue"].position.value for a in named.actors] == pytest.approx(
        [25.0, 75.0, 50.0])


def test_scale_option_of_show_and_validate(tmp_path: Path) -> None:
    table = tmp_path / "ten.csv"
    table.write_text("Actor,Capability,Position,Salience\nA,50,1,0.5\nB,30,10,0.8\n"
                     "C,20,4,0.6\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["show", str(table), "--scale", "1,10", "--json"])
    assert result.exit_code == 0, result.output
    assert '"value": 100.0' in result.output
    bad = CliRunner().invoke(app, ["validate", str(table), "--scale", "10,1"])
    assert bad.exit_code == 2 and "LO,HI" in bad.output


# --- export CLI --------------------------------------------------------------------------------


def test_export_cli_writes_ktab_csv(tmp_path: Path) -> None:
    out = tmp_path / "k.csv"
    result = CliRunner().invoke(app, ["export", "korea-2023", "--format", "ktab-csv",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    first = out.read_text(encoding="utf-8").splitlines()[0]
    scn = load_scenario("korea-2023")
    assert first.endswith(f",{len(scn.actors)},{len(scn.issues)}")
    bad = CliRunner().invoke(app, ["export", "korea-2023", "--format", "xml",
                                   "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "ktab-csv" in bad.output


def test_decide_meanings_become_the_issue_words(tmp_path: Path) -> None:
    # a hand-written decide file: issue 'tax' on 2..12 with words at 2, 7 (the middle) and 12
    path = tmp_path / "tax.txt"
    path.write_text("#O\tTax talks\n#A\tx\tParty X\n#A\ty\tParty Y\n#A\tz\tParty Z\n"
                    "#P\ttax\tTax rate\n#M\ttax\t2\tno tax\n#M\ttax\t7\thalf\n#M\ttax\t12\tall\n"
                    "#D\tx\ttax\t2\t0.5\t2\n#D\ty\ttax\t12\t0.4\t1\n#D\tz\ttax\t9.5\t0.9\t3\n",
                    encoding="utf-8")
    scn = load_scenario(path)
    tax = scn.issue("tax")
    assert (scn.title, tax.name, tax.low, tax.mid, tax.high) == (
        "Tax talks", "Tax rate", "no tax", "half", "all")
    # z: (9.5 - 2) / (12 - 2) * 100 = 75; power 3 is its influence and (one issue) capability
    z = scn.actor("z")
    assert z.stances["tax"].position.value == pytest.approx(75.0)
    assert (z.stances["tax"].influence.value, z.capability.value) == (3.0, 3.0)
    assert z.stances["tax"].salience.value == pytest.approx(90.0)
