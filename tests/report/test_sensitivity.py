"""The report's Sensitivity section: tornado charts from a stored sweep (issue 7: "drawn as a
tornado chart in the report"), read from the run store by ``detente compare --sweep``.

The sweep is a real (small) Morris sweep of the bargaining model stored in a temporary DuckDB
file; the expected outputs and the order of inputs are read back from that store with plain
pandas, independently of the report code.
"""

from __future__ import annotations

import re

import pytest

from detente.cli.compare_cmd import load_sensitivity
from detente.errors import OptionsError
from detente.report import render_report
from detente.runs import RunStore


def test_sensitivity_section_draws_one_tornado_per_output(sweep_store, small_comparison, panel):
    path, run_id = sweep_store
    sens = load_sensitivity(run_id, path)
    with RunStore(path, read_only=True) as st:
        stored = st.table(run_id, "indices")
    assert sens.method == "morris" and sens.index == "mu_star"
    html = render_report(small_comparison, panel=panel, sensitivity=sens)
    section = html[html.index('<section id="sensitivity">'):]
    section = section[:section.index("</section>")]
    assert run_id in section
    figures = re.findall(r'<figure id="fig-tornado-\d+"><img alt="tornado chart of ([^"]+)" '
                         r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', section)
    assert figures == list(dict.fromkeys(stored["output"]))  # every output, in stored order


def test_without_a_sweep_the_section_says_how_to_make_one(small_comparison, panel):
    html = render_report(small_comparison, panel=panel)
    section = html[html.index('<section id="sensitivity">'):]
    assert "No sensitivity sweep is attached" in section[:section.index("</section>")]
    assert "fig-tornado" not in html


def test_a_run_that_is_not_a_sweep_is_refused(tmp_path):
    import pandas as pd

    from detente.runs import save_run

    path = tmp_path / "runs.duckdb"
    rid = save_run(kind="forecast", command="x", tables={"t": pd.DataFrame({"a": [1]})},
                   store=path)
    with pytest.raises(OptionsError, match="not a finished sweep"):
        load_sensitivity(rid, path)
