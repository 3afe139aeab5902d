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
def report_html(small_comparison, panel, episode_backtest, tmp_path_factory):
    """The report as ``detente compare`` writes it: with the episode back-test."""
    out = tmp_path_factory.mktemp("report")
    path = write_report(small_comparison, out, panel=panel, backtest=episode_backtest)
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
    ids = [*FIGURES, "fig-backtest",
           *(f"fig-trajectories-{p}" for p in small_comparison.policy_ids)]
    for fig_id in ids:
        m = re.search(rf'<figure id="{re.escape(fig_id)}"><img alt="[^"]+" '
                      r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
        assert m, f"figure {fig_id} missing"
        w, h = _png_size(base64.b64decode(m.group(1)))
        assert w > 100 and h > 100


def test_report_needs_no_network(report_html):
    """Nothing the page loads comes from the network (no external src, no <link>, no
    <script>); the only external addresses are the source list's hyperlinks, which a reader
    may follow but the page never loads."""
    _, html = report_html
    assert not re.search(r'src="(https?:)?//', html)
    assert "<script" not in html and "<link" not in html
    sources = html[html.index('<section id="sources">'):html.index('<section id="limits">')]
    outside = html.replace(sources, "")
    assert not re.search(r'href="(https?:)?//', outside)
    assert re.search(r'<a href="https?://', sources)


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
    assert set(bases) <= {"data tested out of sample", "in-sample association", "the record",
                          "no evidence", "assumption", "value judgement"}
    from detente.verdicts import VERDICTS

    verdicts = re.findall(r'<td class="verdict">([^<]+)</td>', claims)
    assert len(verdicts) == len(ids) and set(verdicts) <= set(VERDICTS)


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


def _expected_standing(bt, label: str) -> dict[str, str]:
    """Each forecaster against the model on one episode, derived straight from the back-test's
    long score table (mean CRPS, log score, Brier per forecaster; all three lower for the model:
    beaten by it; none lower: beats it; else mixed) — not through ``skill``/``verdict``."""
    from detente.dynamics.backtest import MODEL

    s = bt.scores[(bt.scores["kind"] == "episode") & (bt.scores["label"] == label)]
    means = s.groupby("forecaster")[["crps", "log_score", "brier"]].mean()
    out = {}
    for fc in means.index.drop(MODEL):
        lower = (means.loc[MODEL] < means.loc[fc]).to_numpy()
        out[fc] = ("beaten by the model" if lower.all() else
                   "beats the model" if not lower.any() else "mixed")
    return out


def _summary_text(standing: dict[str, str]) -> str:
    """The verdict in the back-test's words (``BacktestResult.verdict``), forecasters in the
    protocol's order."""
    from detente.dynamics.backtest import FORECASTERS

    order = [f for f in FORECASTERS if f in standing]
    beats = [f for f in order if standing[f] == "beaten by the model"]
    loses = [f for f in order if standing[f] == "beats the model"]
    mixed = [f for f in order if standing[f] == "mixed"]
    text = f"the model beats {', '.join(beats) or 'no baseline'} on all three scores (CRPS, log score, Brier)"
    if loses:
        text += f"; it is beaten on all three by {', '.join(loses)}"
    if mixed:
        text += f"; mixed against {', '.join(mixed)}"
    return text


def _three_places(html: str, label: str) -> tuple[str, str, dict[str, str]]:
    """The headline's out-of-sample sentence, C4's note, and the evidence table's standing
    column for episode ``label``."""
    head = html[html.index('<div class="headline">'):html.index("</div>", html.index('<div class="headline">'))]
    oos = [p for p in re.findall(r"<p>(.*?)</p>", head) if "Out of sample" in p]
    assert len(oos) == 1
    claims = html[html.index('<section id="claims">'):html.index('<section id="evidence">')]
    c4 = re.search(r"<tr><td>C4</td>(?:<td[^>]*>.*?</td>){3}<td>(.*?)</td></tr>", claims, re.S)
    table = html[html.index('<table id="backtest-table">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>(?:<td[^>]*>[^<]*</td>){4}"
                      r"<td>([^<]*)</td></tr>", table)
    standing = {fc: st for ep, fc, st in rows if ep == label and st}
    return oos[0], c4.group(1), standing


def test_headline_c4_and_evidence_state_one_verdict(report_html, episode_backtest,
                                                    small_comparison, panel):
    """The three places agree with a verdict derived independently from the back-test's raw
    scores, and worsening the model's scores on that episode flips all three together."""
    from dataclasses import replace

    from detente.dynamics.backtest import EPISODES, MODEL
    from detente.report import render_report

    label = next(name for name, until, *_ in EPISODES if until == small_comparison.posterior.until)
    bt = episode_backtest
    expected = _expected_standing(bt, label)
    assert expected and set(expected.values()) != {"beats the model"}  # the flip below changes it
    _, html = report_html
    headline, c4, table = _three_places(html, label)
    text = str(escape(_summary_text(expected)))
    assert text in headline and text in c4
    assert f"episode {label}" in headline and f"episode {label}" in c4
    assert table == expected
    # the episode back-test is not a rolling-origin test: C4 cannot be "supported out of
    # sample" on it (detente.verdicts), its basis is the in-sample association
    c4_row = re.search(r'<tr><td>C4</td>.*?</tr>', html, flags=re.S).group(0)
    assert re.search(r'<td class="verdict">(supported-in-sample|not-supported|contradicted)</td>',
                     c4_row)
    assert '<td class="basis">in-sample association</td>' in c4_row
    evidence = html[html.index('<section id="evidence">'):html.index('<section id="method">')]
    for name, *_ in EPISODES:  # all four episodes in the evidence table
        assert f"<td>{name}</td>" in evidence

    scores = bt.scores.copy()
    worst = scores[["crps", "log_score", "brier"]].max() * 10 + 1
    rows = (scores["kind"] == "episode") & (scores["label"] == label) & (scores["forecaster"] == MODEL)
    for col in ("crps", "log_score", "brier"):
        scores.loc[rows, col] = worst[col]
    flipped = replace(bt, scores=scores)
    flipped_expected = _expected_standing(flipped, label)
    assert set(flipped_expected.values()) == {"beats the model"}
    html2 = render_report(small_comparison, panel=panel, backtest=flipped)
    headline2, c42, table2 = _three_places(html2, label)
    text2 = str(escape(_summary_text(flipped_expected)))
    assert "beats no baseline" in text2
    assert text2 in headline2 and text2 in c42 and text not in headline2
    assert table2 == flipped_expected
    assert "scenario output, not as a tested prediction" in headline2
