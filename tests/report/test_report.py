"""The HTML report: every section and figure, every claim, self-contained, atomic write.

Expected section and claim ids come from the issue (sections) and from
``reference/korea-2023/claims.md`` (claim ids), read through the ``reference_dir`` fixture.
"""

from __future__ import annotations

import base64
import re
import struct

import pytest
from markupsafe import escape

from detente.report import FIGURES, SECTIONS, write_report


@pytest.fixture(scope="module")
def report_html(small_comparison, panel, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    path = write_report(small_comparison, out, panel=panel)
    return path, path.read_text(encoding="utf-8")


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (PNG spec §11.2.2)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_every_section_is_present(report_html):
    _, html = report_html
    # the sections the issue lists: question, scenario, policies, fan charts, claims,
    # evidence, method, assumptions, limits (+ the comparison table)
    for section in ("question", "scenario", "policies", "fan-charts", "claims", "evidence",
                    "method", "assumptions", "limits", "comparison"):
        assert section in SECTIONS
        assert f'<section id="{section}">' in html


def test_every_figure_is_an_embedded_png_of_nonzero_size(report_html, small_comparison):
    _, html = report_html
    ids = [*FIGURES, *(f"fig-trajectories-{p}" for p in small_comparison.policy_ids)]
    for fig_id in ids:
        m = re.search(rf'<figure id="{re.escape(fig_id)}"><img alt="[^"]+" '
                      r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
        assert m, f"figure {fig_id} missing"
        w, h = _png_size(base64.b64decode(m.group(1)))
        assert w > 100 and h > 100


def test_report_needs_no_network(report_html):
    _, html = report_html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "<link" not in html


def test_claims_table_has_every_claim_of_the_reference(report_html, reference_dir):
    _, html = report_html
    text = (reference_dir / "korea-2023" / "claims.md").read_text(encoding="utf-8")
    ids = re.findall(r"^\|\s*(C\d+)\s*\|", text, flags=re.M)
    assert len(ids) == 10
    claims = html[html.index('<section id="claims">'):html.index('<section id="evidence">')]
    for cid in ids:
        assert f"<td>{cid}</td>" in claims
    bases = re.findall(r'<td class="basis">([^<]+)</td>', claims)
    assert len(bases) == len(ids)
    assert set(bases) <= {"data (fitted and back-tested)", "data (history)",
                          "bargaining model", "assumptions only"}


def test_assumptions_and_bridge_rules_are_in_the_report(report_html, korea):
    _, html = report_html
    section = html[html.index('<section id="assumptions">'):html.index('<section id="limits">')]
    for policy in korea.policies:
        for a in policy.assumptions:
            assert str(escape(a.rationale))[:40] in section
    method = html[html.index('<section id="method">'):html.index('<section id="assumptions">')]
    for rule in ("B1", "B2", "B3", "beta_talks", "beta_sanctions", "weight_nuclear"):
        assert rule in method
    assert "not a probability" in html


def test_write_is_atomic_and_leaves_no_temporary_file(report_html):
    path, _ = report_html
    assert path.name == "korea-2023-comparison.html"
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0) in a baseline's score (scoringrules)
def test_episode_backtest_goes_into_the_evidence_and_claim_c4(small_comparison, panel):
    """With the dynamic model's episode back-test, the evidence section lists every episode of
    ``detente.dynamics.backtest.EPISODES`` and C4 quotes its verdict."""
    from detente.dynamics import backtest
    from detente.dynamics.backtest import EPISODES
    from detente.policy import claims_table
    from detente.report import render_report

    bt = backtest(panel, origins=[], episodes=True, draws=200, seed=1)
    claims = claims_table(small_comparison, panel=panel, backtest=bt)
    c4 = next(c for c in claims if c.id == "C4")
    assert c4.basis == "data (fitted and back-tested)"
    assert "back-test" in c4.note and "since 2023-09" in c4.note
    html = render_report(small_comparison, claims=claims, panel=panel, backtest=bt)
    evidence = html[html.index('<section id="evidence">'):html.index('<section id="method">')]
    assert 'id="backtest"' in evidence
    for name, *_ in EPISODES:
        assert f"<td>{name}</td>" in evidence
