"""The faces around the server: ``detente compare`` (``make run``) ends with the one command
that opens the dashboard, right after the report line, and ``detente serve`` refuses a bad
``--limit`` or a busy port with one line naming the option (no traceback).

Expected text comes from the issue (15: "``detente serve`` + URL") and the server's documented
defaults (127.0.0.1:8765, docs/serve.md).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys


def _detente(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "detente.cli", *args], capture_output=True,
                          text=True, env=env, timeout=kw.pop("timeout", 600), **kw)


def test_compare_prints_the_dashboard_command_after_the_report_line(tmp_path):
    store = tmp_path / "runs.duckdb"
    done = _detente("compare", "korea-2023", "--seed", "1", "--draws", "8", "--years", "1",
                    "--no-backtest", "--no-backcast", "--out", str(tmp_path / "out"),
                    "--store", str(store))
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    k = next(i for i, line in enumerate(lines) if line.startswith("Report: "))
    assert lines[k + 1] == (f"Dashboard: detente serve --store {shlex.quote(str(store))}, "
                            "then open http://127.0.0.1:8765/")


def test_bad_limits_and_a_busy_port_are_one_line_errors(tmp_path):
    bad = _detente("serve", "--limit", "max_jobs=0", "--store", str(tmp_path / "s.duckdb"),
                   timeout=120)
    assert bad.returncode == 2 and "limits.max_jobs" in bad.stderr
    unknown = _detente("serve", "--limit", "max_nothing=3", timeout=120)
    assert unknown.returncode == 2 and "max_nothing" in unknown.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = _detente("serve", "--port", str(port), "--store", str(tmp_path / "s.duckdb"),
                         timeout=120)
    assert taken.returncode == 2 and "--port" in taken.stderr
    for done in (bad, unknown, taken):
        assert "Traceback" not in done.stderr
