"""Regenerate the back-test tables of docs/model.md from `detente backtest --json`.

Runs ``detente backtest --json`` (seed 0, the defaults) and writes the block between
``<!-- tables:backtest -->`` and ``<!-- /tables:backtest -->`` in docs/model.md: the model
against every baseline, per horizon band and per held-out episode, each score's difference
with its Diebold–Mariano p-value and the verdict the code gave (``beats``, ``beaten`` or
``tie``), then interval coverage. Nothing in that block is typed by hand.

Usage::

    .venv/bin/python scripts/docs_tables.py [--docs docs/model.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- tables:backtest -->", "<!-- /tables:backtest -->"
SCORES = (("crps", "CRPS"), ("log_score", "log score"), ("brier", "Brier (≥ 1 launch)"))
MARK = {"beats": "beats", "beaten": "**beaten**", "tie": "tie"}


def backtest_json() -> dict:
    detente = Path(sys.executable).with_name("detente")
    done = subprocess.run([str(detente), "backtest", "--json", "--no-store"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _cell(row: dict | None) -> str:
    if row is None:
        return "–"
    return f"{row['difference']:+.3f} (p {row['p_value']:.2f}) {MARK[row['verdict']]}"


def comparison_table(doc: dict, kind: str, group: str) -> list[str]:
    rows = [r for r in doc["comparisons"] if r["kind"] == kind and r["horizon"] == group]
    baselines = list(dict.fromkeys(r["baseline"] for r in rows))
    lines = ["| model − baseline | " + " | ".join(name for _, name in SCORES) + " |",
             "|---|" + "---|" * len(SCORES)]
    for base in baselines:
        cells = [_cell(next((r for r in rows if r["baseline"] == base and r["score"] == s),
                            None)) for s, _ in SCORES]
        lines.append(f"| {base} | " + " | ".join(cells) + " |")
    model = {s: next((r["model_score"] for r in rows if r["score"] == s), None)
             for s, _ in SCORES}
    lines.append("| *the model's own score* | " + " | ".join(
        "–" if model[s] is None else f"{model[s]:.3f}" for s, _ in SCORES) + " |")
    return lines


def coverage_table(doc: dict, kind: str) -> list[str]:
    lines = ["| forecaster | band | 50 % | 80 % | 95 % |", "|---|---|---|---|---|"]
    for row in doc[kind]["coverage"]:
        lines.append(f"| {row['forecaster']} | {row['group']} | {row['in50']:.2f} | "
                     f"{row['in80']:.2f} | {row['in95']:.2f} |")
    return lines


def block(doc: dict) -> str:
    s = doc["settings"]
    out = [f"`detente backtest --json` (seed {s['seed']}, {s['draws']:,} draws per forecast, "
           f"{s['method']} fits, {len(s['origins'])} rolling origins every {s['step']} months "
           f"from {s['origins'][0]} to {s['origins'][-1]}, horizon {s['horizon']} months, "
           f"crisis rule {s['crisis_rule']}). Each cell: the model's score minus the "
           "baseline's (negative = the model is better), the Diebold–Mariano p-value, and the "
           "verdict (`beats` / `beaten` only at p < 0.05, else `tie`).", ""]
    for group in ("1-12", "13-36"):
        out += [f"**Rolling origins, months {group} ahead**", "",
                *comparison_table(doc, "rolling", group), ""]
    episodes = list(dict.fromkeys(r["horizon"] for r in doc["comparisons"]
                                  if r["kind"] == "episode"))
    for group in episodes:
        out += [f"**Held-out episode {group}**", "", *comparison_table(doc, "episode", group),
                ""]
    out += ["**Interval coverage, rolling origins** (share of observed months inside the "
            "central interval; a calibrated forecaster matches the nominal level)", "",
            *coverage_table(doc, "rolling"), ""]
    out += ["**The verdicts as the code words them (episodes)**", "",
            *(f"- {line}" for line in doc["episode"]["verdict"])]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "model.md")
    args = parser.parse_args(argv)
    text = args.docs.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{args.docs}: markers {START} … {END} not found")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    args.docs.write_text(f"{head}{START}\n{block(backtest_json())}\n{END}{tail}",
                         encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
