"""Regenerate the figures the README quotes from the `--json` output of the current code.

Runs ``detente compare korea-2023 --seed 2023 --json`` (the main job of ``make run``) and writes
the block between ``<!-- figures:compare -->`` and ``<!-- /figures:compare -->`` in README.md:
the headline table, the engines' track record, the out-of-sample verdict and the notes. Nothing
in that block is typed by hand.

Usage::

    .venv/bin/python scripts/readme_figures.py [--readme README.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- figures:compare -->", "<!-- /figures:compare -->"


def compare_json(out: Path) -> dict:
    detente = Path(sys.executable).with_name("detente")
    cmd = [str(detente), "compare", "korea-2023", "--seed", "2023", "--json", "--no-store",
           "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def block(doc: dict) -> str:
    lines = [f"`detente compare korea-2023 --seed 2023 --json` ({doc['draws']} draws, "
             f"{doc['horizon_months']} months from {doc['start_month']}):", "",
             "| policy | launch events, 3 years (80 %) | P(nuclear test) | P(dialogue ≤ 12 m) "
             "| talks position (80 %) | Δ launches vs status quo, paired: median (80 %), "
             "P(fewer) / P(more) |",
             "|---|---|---|---|---|---|"]
    paired = {r["policy"]: r for r in doc["paired"] if r["quantity"] == "launch_events"}
    for r in doc["summary"]:
        d = paired[r["policy"]]
        lines.append(f"| {r['policy']} | {r['launch_events_median']:.0f} "
                     f"({r['launch_events_q10']:.0f}–{r['launch_events_q90']:.0f}) | "
                     f"{r['p_nuclear_test']:.0%} | {r['p_dialogue_12m']:.0%} | "
                     f"{r['talks_median']:.0f} ({r['talks_q10']:.0f}–{r['talks_q90']:.0f}) | "
                     f"{d['median']:+.0f} ({d['q10']:+.0f} to {d['q90']:+.0f}), "
                     f"{d['p_better']:.1%} ± {d['p_better_se']:.1%} / {d['p_worse']:.1%} |")
    lines.append("")
    lines.append(f"What stands behind Δ launches: {doc['paired'][0]['basis']}. Paths are "
                 "paired by common random numbers, so most pairs are equal and P(fewer) and "
                 "P(more) carry the effect.")
    lines.append("")
    sens = doc.get("bridge_sensitivity")
    if sens:
        lines.append("Does the sign hang on the assumptions? The β_T × β_D grid "
                     "(docs/report.md, \"Sensitivity of the policy channel\"):")
        lines.append("")
        lines += [f"- {policy}: {verdict}" for policy, verdict in sens["verdicts"].items()]
        lines.append("")
    if doc.get("claims"):
        lines.append("Claims of the September 2023 column, verdicts by rule (`detente.verdicts`):")
        lines.append("")
        lines.append("| claim | verdict | basis | why |")
        lines.append("|---|---|---|---|")
        for c in doc["claims"]:
            lines.append(f"| {c['id']} | {c['verdict']} | {c['basis']} | {c['sentence']} |")
        lines.append("")
    if doc.get("track_record"):
        lines.append("Track record of the bargaining engines (back-casts, `detente backcast`):")
        lines.append("")
        lines += [f"- {line}" for line in doc["track_record"]["lines"]]
        lines.append("")
    oos = doc.get("out_of_sample")
    if oos and oos.get("held_out"):
        held = next(e for e in oos["episodes"] if e["label"] == oos["held_out"])
        lines.append(f"Out of sample (the dynamic model's back-test): {held['verdict']}")
        lines.append("")
    for note in doc.get("notes", []):
        lines.append(f"Note: {note}")
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        doc = compare_json(Path(tmp))
    text = args.readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    args.readme.write_text(f"{head}{START}\n{block(doc)}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
