"""Long work shows progress on stderr even when stderr is not a terminal (issue 13, item 6).

A CI log or ``2> file`` used to show nothing for a minute-long compare or a million-draw
forecast: Rich's spinner and bar print only on a terminal. The expectations are the issue's
words: a line per stage, a line every few seconds while a stage lasts, stdout untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from detente.cli._app import Progress


def test_a_forecast_with_draws_prints_counted_lines_and_keeps_stdout_json():
    env = {**os.environ, "DETENTE_PROGRESS_EVERY": "0.01"}
    done = subprocess.run([sys.executable, "-m", "detente.cli", "forecast", "korea-2023",
                           "--draws", "3000", "--seed", "1", "--no-store", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # stdout is pure JSON: progress goes to stderr only
    lines = done.stderr.splitlines()
    assert lines[0].startswith("detente forecast: bdm: 3,000 draws")
    # the final count is printed (a "still" heartbeat may follow while the summary is built)
    assert any(line.startswith("detente forecast: draws 3,000/3,000") for line in lines)
    assert all(line.startswith("detente forecast: ") for line in lines)


def test_a_long_stage_prints_a_still_line_every_interval(capsys):
    # stderr under pytest is not a terminal: the plain lines, with a heartbeat
    with Progress("detente test", "first stage", every=0.05) as progress:
        time.sleep(0.3)
        progress.stage("second stage")
        progress.stage("second stage")  # the same stage again: no new line
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("detente test: first stage (")
    assert any(line.startswith("detente test: still first stage") for line in err)
    assert sum(line.startswith("detente test: second stage") for line in err) == 1


def test_counted_work_is_throttled_to_one_line_per_interval(capsys):
    with Progress("detente test", "draws", every=3600) as progress:
        for done in range(1, 1001):
            progress.count(done, 1000, "draws")
    err = capsys.readouterr().err.splitlines()
    # the opening line and the final count; the 998 counts between fall inside one interval
    assert [line.split(" (")[0] for line in err] == ["detente test: draws",
                                                     "detente test: draws 1,000/1,000"]
