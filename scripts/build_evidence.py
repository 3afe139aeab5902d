"""Build détente's evidence package data from the reference history (tests/reference/history).

Reads ``reference/history/`` (the compiled annual tables and the raw event files in ``raw/``) and
writes the tidy CSVs shipped in ``src/detente/evidence/data/``. The package never reads the
reference folder at run time: run this once after the reference changes and commit its output.

Only facts are kept: dates, counts, types, outcomes, numbers, short labels written here, and the
source of every row. The description texts of the third-party databases (CNS entries, CSIS
provocation texts) are *not* copied.

Usage::

    .venv/bin/python scripts/build_evidence.py [--reference tests/reference] [--out DIR]

Each file is written atomically (temporary file, then ``os.replace``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "src" / "detente" / "evidence" / "data"

# Provenance of the raw event files, as stated in reference/history/README.md.
NAGIX = "CNS North Korea Missile Test Database via github:nagix/nk-missile-tests@a0cc65874d36a4a0fdf16b73919d23a3a8f5dac5 data/test.en.json"
CNS_EXPORT = "github:mesege1/dprk_missile_stats@e34e63b8efbe10461c916b4f00d3e7974e35ac24 data/north_korea_missile_test_database.csv"
CNS_EXPORT_LAST = "2023-04-12"

# Short labels written for détente (the reference `event` texts are not copied).
DIPLOMACY_LABELS: dict[tuple[str, str], str] = {
    ("1985-12", "agreement"): "DPRK accedes to the NPT",
    ("1992", "agreement"): "Inter-Korean Joint Declaration on Denuclearization",
    ("1993-03-12", "breakdown"): "DPRK announces NPT withdrawal",
    ("1994-06", "channel"): "Carter visit to Pyongyang",
    ("1994-09-23", "agreement"): "Geneva talks; Agreed Framework signed",
    ("1999", "agreement"): "Long-range missile test moratorium",
    ("2000-02-09", "agreement"): "Russia-DPRK friendship treaty",
    ("2000-06-13", "summit"): "Inter-Korean summit 1 (Pyongyang)",
    ("2000-10", "channel"): "Jo Myong Rok and Albright visits",
    ("2002-01", "breakdown"): "'Axis of evil' speech",
    ("2002-10", "breakdown"): "HEU dispute; Agreed Framework collapses",
    ("2003-08-27", "talks"): "Six-Party Talks round 1",
    ("2004-02-25", "talks"): "Six-Party Talks round 2",
    ("2004-06-23", "talks"): "Six-Party Talks round 3",
    ("2005-07-26", "talks"): "Six-Party Talks round 4, phase 1",
    ("2005-09-13", "agreement"): "Six-Party round 4, phase 2; Joint Statement",
    ("2005-09", "breakdown"): "Banco Delta Asia action",
    ("2005-11-09", "talks"): "Six-Party Talks round 5, phase 1",
    ("2006-12-18", "talks"): "Six-Party Talks round 5, phase 2",
    ("2007-02-08", "agreement"): "Six-Party round 5, phase 3; initial actions agreement",
    ("2007-03-19", "talks"): "Six-Party Talks round 6, phase 1",
    ("2007-07-18", "talks"): "Six-Party heads of delegation meeting",
    ("2007-09-27", "agreement"): "Six-Party round 6, phase 2; second-phase actions",
    ("2007-10-02", "summit"): "Inter-Korean summit 2 (Pyongyang)",
    ("2008-06", "agreement"): "Yongbyon cooling tower demolished; declaration",
    ("2008-07-10", "talks"): "Six-Party heads of delegation; verification in principle",
    ("2008-12-08", "breakdown"): "Last Six-Party meeting fails on verification",
    ("2009-04-14", "breakdown"): "DPRK quits Six-Party Talks",
    ("2011", "summit"): "Kim Jong Il trip to Russia",
    ("2012-02-29", "agreement"): "Leap Day agreement",
    ("2012-04-13", "breakdown"): "Leap Day deal collapses",
    ("2018-04-27", "summit"): "Inter-Korean summit 3 (Panmunjom)",
    ("2018-05-26", "summit"): "Inter-Korean summit 4 (Panmunjom)",
    ("2018-06-12", "summit"): "US-DPRK summit, Singapore",
    ("2018-09-18", "summit"): "Inter-Korean summit 5 (Pyongyang)",
    ("2019-02-27", "summit"): "US-DPRK summit, Hanoi (no agreement)",
    ("2019-04-25", "summit"): "Kim-Putin summit, Vladivostok",
    ("2019-06-30", "summit"): "Trump-Kim meeting, Panmunjom",
    ("2019-10-05", "talks"): "US-DPRK working-level talks, Stockholm",
    ("2020-01", "breakdown"): "DPRK declares test moratorium over",
    ("2020-06-10", "breakdown"): "DPRK cuts inter-Korean lines",
    ("2021-04-30", "channel"): "Biden policy review completed",
    ("2023-09-13", "summit"): "Kim-Putin summit, Vostochny",
    ("2024-06-19", "agreement"): "Russia-DPRK strategic partnership treaty signed",
    ("2024-12-04", "agreement"): "Russia-DPRK treaty enters into force",
}

# Short labels for the US policy periods (keyed by start date).
POLICY_LABELS: dict[str, str] = {
    "1993-01-20": "NPT crisis diplomacy",
    "1994-10-21": "Agreed Framework engagement",
    "2001-01-20": "Bush hardline review",
    "2003-08-27": "Six-Party Talks",
    "2007-02-13": "Six-Party implementation",
    "2008-12-12": "Verification deadlock",
    "2009-01-20": "Strategic patience",
    "2012-02-29": "Leap Day deal",
    "2012-04-13": "Strategic patience (resumed)",
    "2017-01-20": "Maximum pressure",
    "2018-01-01": "Summit diplomacy",
    "2019-10-06": "Post-Stockholm stalemate",
    "2021-01-20": "Biden policy review",
    "2021-04-30": "Calibrated practical approach",
}

# DPRK leaders: facts with sources (not part of the reference history; added here).
LEADERS = [
    ("Kim Il Sung", "1948-09-09", "1994-07-08",
     "https://en.wikipedia.org/wiki/Kim_Il_Sung (died 8 July 1994)"),
    ("Kim Jong Il", "1994-07-08", "2011-12-17",
     "https://en.wikipedia.org/wiki/Kim_Jong_Il (succeeded 1994; died 17 December 2011)"),
    ("Kim Jong Un", "2011-12-17", "",
     "https://en.wikipedia.org/wiki/Kim_Jong_Un (leader from 17 December 2011)"),
]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically (temp file in the same folder, then os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _precision(date: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return "day"
    if re.fullmatch(r"\d{4}-\d{2}", date):
        return "month"
    if re.fullmatch(r"\d{4}", date):
        return "year"
    raise ValueError(f"unrecognised date {date!r}")


def _cns_export_counts(raw: Path) -> dict[str, int]:
    """Missiles per date (``YYYY-MM-DD``, or ``YYYY-MM`` where CNS gives a month) in the
    independent CNS export, used to cross-check the primary file date by date."""
    export = pd.read_csv(raw / "cns_mesege1.csv", encoding="cp1252", dtype=str)
    counts: dict[str, int] = {}
    for date in export["Date"].str.strip():
        parsed = pd.to_datetime(date, format="%d-%b-%y", errors="coerce")
        key = pd.to_datetime(date, format="%b-%y").strftime("%Y-%m") if pd.isna(parsed) else parsed.strftime("%Y-%m-%d")
        counts[key] = counts.get(key, 0) + 1
    return counts


#: Launches the CNS data miss, added from a dated report of a primary source (the ROK Joint
#: Chiefs of Staff, via Reuters) and marked ``status = added``.
ADDED_LAUNCHES: tuple[dict[str, str], ...] = (
    {"date": "2022-12-31", "date_precision": "day", "launch_time_utc": "17:50",
     "missile": "kn-25", "missile_name": "KN-25", "missile_class": "SRBM",
     "facility": "ryongsong", "outcome": "success", "status": "added",
     "source": "ROK Joint Chiefs of Staff, 1 Jan 2023: one short-range ballistic missile from "
               "the Ryongsong area of Pyongyang at about 02:50 KST (17:50 GMT, 31 Dec), about "
               "400 km (Reuters, via The Japan News/Yomiuri, 2023-01-01: "
               "https://japannews.yomiuri.co.jp/politics/defense-security/20230101-81312/); KCNA "
               "named it a 600 mm super-large multiple rocket launcher (KN-25); absent from "
               "the CNS data"},
)


def build_missile_launches(history: Path) -> pd.DataFrame:
    """One row per missile (or SLV) flight, the CNS unit; facts only, no description text."""
    raw = history / "raw"
    tests = json.loads((raw / "nagix_test.en.json").read_text(encoding="utf-8"))
    types = json.loads((raw / "nagix_missile.en.json").read_text(encoding="utf-8"))
    export_counts = _cns_export_counts(raw)
    primary_counts: dict[str, int] = {}
    for time_bin in tests["timeBins"]:
        for entry in time_bin["data"]:
            primary_counts[entry["date"]] = primary_counts.get(entry["date"], 0) + 1
    rows = []
    for time_bin in tests["timeBins"]:
        for entry in time_bin["data"]:
            date = entry["date"]
            missile = entry["missile"]
            mclass = types[missile]["type"]
            time = entry.get("time", "unknown")
            time_utc = time.replace(" (UTC)", "") if time != "unknown" else ""
            in_export_period = date[:10] <= CNS_EXPORT_LAST
            if in_export_period:
                status = "final"
                # same number of missiles on that date in the independent CNS export
                confirmed = export_counts.get(date) == primary_counts[date]
                source = NAGIX + (f"; cross-checked in {CNS_EXPORT}" if confirmed else "")
            else:
                status = "preliminary"  # nagix-only entries after the CNS export ends
                source = NAGIX
            rows.append(
                {
                    "date": date,
                    "date_precision": _precision(date),
                    "launch_time_utc": time_utc,
                    "missile": missile,
                    "missile_name": types[missile]["name"],
                    "missile_class": mclass,
                    "facility": entry.get("facility", "unknown"),
                    "outcome": entry["outcome"],
                    "status": status,
                    "source": source,
                }
            )
    frame = pd.DataFrame([*rows, *ADDED_LAUNCHES])
    return frame.sort_values(["date", "launch_time_utc"], kind="stable").reset_index(drop=True)


def build_nuclear_tests(history: Path) -> pd.DataFrame:
    tests = pd.read_csv(history / "nuclear_tests.csv", dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            "test_no": tests["test_no"],
            "date": tests["date"],
            "site": tests["site"],
            "magnitude_mb": tests["magnitude_bloomberg"],
            "yield_low_kt": tests["yield_low_kt"],
            "yield_high_kt": tests["yield_high_kt"],
            "source": tests["source"],
        }
    )


def build_diplomacy_events(history: Path) -> pd.DataFrame:
    events = pd.read_csv(history / "diplomacy_events.csv", dtype=str, keep_default_na=False)
    labels = []
    signed = []
    for _, row in events.iterrows():
        key = (row["date_start"], row["type"])
        if key not in DIPLOMACY_LABELS:
            raise SystemExit(f"diplomacy_events.csv: no short label written for {key}; add one")
        labels.append(DIPLOMACY_LABELS[key])
        # a document signed/issued with the DPRK: agreements, and summits whose outcome records a
        # joint statement or declaration (the reference's own outcome column)
        outcome = row["outcome"].lower()
        signed.append(
            int(row["type"] == "agreement"
                or (row["type"] == "summit" and ("joint statement" in outcome or "declaration" in outcome)))
        )
    return pd.DataFrame(
        {
            "date_start": events["date_start"],
            "date_end": events["date_end"],
            "date_precision": events["date_precision"],
            "type": events["type"],
            "parties": events["parties"],
            "label": labels,
            "signed_document": signed,
            "source": events["source"],
        }
    )


def build_sanctions(history: Path) -> pd.DataFrame:
    sanctions = pd.read_csv(history / "sanctions.csv", dtype=str, keep_default_na=False)
    kinds = []
    for _, row in sanctions.iterrows():
        if row["status"].startswith("vetoed"):
            kinds.append("veto")
        elif row["trigger"] == "Panel of Experts renewal":
            kinds.append("panel_renewal")
        else:
            kinds.append("sanctions")
    return pd.DataFrame(
        {
            "resolution": sanctions["resolution"],
            "date": sanctions["date"],
            "kind": kinds,
            "status": sanctions["status"],
            "vote": sanctions["vote_for_against_abstain"],
            "trigger": sanctions["trigger"],
            "source": sanctions["source"],
        }
    )


def build_us_policy_periods(history: Path) -> pd.DataFrame:
    periods = pd.read_csv(history / "us_policy_periods.csv", dtype=str, keep_default_na=False)
    missing = sorted(set(periods["start"]) - set(POLICY_LABELS))
    if missing:
        raise SystemExit(f"us_policy_periods.csv: no short label written for periods starting {missing}")
    return pd.DataFrame(
        {
            "start": periods["start"],
            "end": periods["end"],
            "administration": periods["administration"],
            "label": [POLICY_LABELS[s] for s in periods["start"]],
            "engagement_level": periods["engagement_level"],
            "engagement_category": periods["engagement_category"],
            "source": periods["source"],
        }
    )


def build_arsenal_estimates(history: Path) -> pd.DataFrame:
    arsenal = pd.read_csv(history / "arsenal_estimates.csv", dtype=str, keep_default_na=False)
    # SIPRI before 2022 counted warheads buildable from fissile material; from 2022 assembled ones
    basis = [
        "buildable_from_fissile" if est.startswith("SIPRI") and as_of[:4] < "2022" else "assembled"
        for est, as_of in zip(arsenal["estimator"], arsenal["as_of"], strict=True)
    ]
    return pd.DataFrame(
        {
            "as_of": arsenal["as_of"],
            "estimator": arsenal["estimator"],
            "published": arsenal["published"],
            "warheads_low": arsenal["warheads_low"],
            "warheads_high": arsenal["warheads_high"],
            "counting_basis": basis,
            "fissile_equiv_warheads_low": arsenal["fissile_equiv_warheads_low"],
            "fissile_equiv_warheads_high": arsenal["fissile_equiv_warheads_high"],
            "source": arsenal["source"],
        }
    )


def build_leaders() -> pd.DataFrame:
    return pd.DataFrame(LEADERS, columns=["leader", "start", "end", "source"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference", type=Path, default=REPO_ROOT / "tests" / "reference",
        help="the reference folder (contains history/); default tests/reference",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR,
        help="where to write the CSVs (default: the package data folder)",
    )
    args = parser.parse_args(argv)
    history = args.reference / "history"
    if not (history / "raw" / "nagix_test.en.json").is_file():
        print(f"error: {history} does not hold the reference history (raw/nagix_test.en.json)",
              file=sys.stderr)
        return 2
    outputs = {
        "missile_launches.csv": build_missile_launches(history),
        "nuclear_tests.csv": build_nuclear_tests(history),
        "diplomacy_events.csv": build_diplomacy_events(history),
        "sanctions.csv": build_sanctions(history),
        "us_policy_periods.csv": build_us_policy_periods(history),
        "arsenal_estimates.csv": build_arsenal_estimates(history),
        "leaders.csv": build_leaders(),
    }
    for name, frame in outputs.items():
        _write_csv(frame, args.out / name)
        print(f"wrote {args.out / name} ({len(frame)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
