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
    # events of ADDED_DIPLOMACY (issue 12, item 7)
    ("2018-03-25", "summit"): "Kim-Xi summit 1, Beijing",
    ("2018-05-07", "summit"): "Kim-Xi summit 2, Dalian",
    ("2018-06-19", "summit"): "Kim-Xi summit 3, Beijing",
    ("2018-09-19", "agreement"): "Inter-Korean Comprehensive Military Agreement",
    ("2019-01-07", "summit"): "Kim-Xi summit 4, Beijing",
    ("2019-06-20", "summit"): "Xi-Kim summit 5, Pyongyang",
    ("2023-11-22", "breakdown"): "ROK partly suspends 2018 military agreement",
    ("2023-11-23", "breakdown"): "DPRK scraps 2018 military agreement",
    ("2024-01-15", "breakdown"): "DPRK names ROK principal enemy; ends inter-Korean bodies",
    ("2024-01", "breakdown"): "Arch of Reunification demolished",
    ("2024-03-26", "breakdown"): "DPRK rejects any contact or talks with Japan",
    ("2024-06-04", "breakdown"): "ROK fully suspends 2018 military agreement",
    ("2024-10-15", "breakdown"): "DPRK blows up inter-Korean road and rail links",
    ("2025-06-11", "channel"): "ROK halts border loudspeaker broadcasts",
    ("2025-09-03", "summit"): "Putin-Kim meeting, Beijing",
    ("2025-09-04", "summit"): "Kim-Xi summit 6, Beijing",
    # events of ADDED_INCIDENTS (issue 12, data items: military deployments, provocations)
    ("2022-12-26", "provocation"): "DPRK drones enter ROK airspace, one over Seoul",
    ("2023-11-24", "provocation"): "DPRK re-arms DMZ guard posts",
    ("2024-05-28", "provocation"): "DPRK trash balloons into the ROK begin",
    ("2024-05-29", "provocation"): "DPRK GPS jamming near the western border",
    ("2024-06-08", "provocation"): "DPRK trash balloons, waves 3-4",
    ("2024-06-09", "provocation"): "DPRK soldiers cross the MDL; ROK warning shots",
    ("2024-06-18", "provocation"): "DPRK soldiers cross the MDL again; warning shots",
    ("2024-06-20", "provocation"): "Third June MDL crossing; ROK warning shots",
    ("2024-06-24", "provocation"): "DPRK trash balloons, waves 5-6",
    ("2024-07-24", "provocation"): "DPRK trash balloons (over 3,000 since May)",
    ("2024-09-04", "provocation"): "DPRK trash balloons on five days running",
    ("2024-10-18", "military"): "DPRK troops sent to Russia (ROK NIS report)",
    ("2024-10-19", "provocation"): "DPRK trash balloons, wave 29",
    ("2024-11-08", "provocation"): "DPRK GPS jamming near Haeju and Kaesong",
    ("2025-04-28", "military"): "DPRK confirms its troops fought for Russia (Kursk)",
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
    tests = _replace_sources(tests, "nuclear_tests.csv")
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


#: Diplomacy events the reference history lacks (issue 12, item 7: the 2023–24 inter-Korean
#: ruptures, the Kim–Xi and Putin–Kim meetings, the 2018 military agreement), each from dated
#: reports found in stored copies of the pages cited (Reuters, AP, KBS, Yonhap, Korea Herald,
#: NK News, ROK MOFA, …). Appended to the reference rows, then all rows sorted by date.
ADDED_DIPLOMACY: tuple[dict[str, str], ...] = (
    {'date_start': '2018-03-25', 'date_end': '2018-03-28', 'date_precision': 'day', 'event': "Kim Jong Un's first foreign trip as leader: unofficial visit to China (25-28 Mar), talks with Xi Jinping in Beijing", 'type': 'summit', 'parties': 'China; DPRK', 'outcome': 'talks; no joint document', 'source': 'https://www.latimes.com/world/la-fg-china-north-korea-kim-20180327-story.html | https://e.vnexpress.net/news/world/china-confirms-kim-held-talks-with-xi-in-beijing-xinhua-3728764.html', 'notes': 'Xinhua/CCTV confirmed the visit only on 28 Mar (AFP via VnExpress; LA Times).'},
    {'date_start': '2018-05-07', 'date_end': '2018-05-08', 'date_precision': 'day', 'event': 'Kim Jong Un meets Xi Jinping in Dalian (7-8 May), second Kim-Xi meeting', 'type': 'summit', 'parties': 'China; DPRK', 'outcome': 'talks; no joint document', 'source': 'http://news.kbs.co.kr/news/view.do?ncd=3646793 | https://scroll.in/latest/878347/scroll_in', 'notes': 'Announced after Kim returned (KBS, 9 May 2018).'},
    {'date_start': '2018-06-19', 'date_end': '2018-06-20', 'date_precision': 'day', 'event': 'Kim Jong Un visits Beijing (19-20 Jun), third Kim-Xi meeting, a week after Singapore', 'type': 'summit', 'parties': 'China; DPRK', 'outcome': 'talks; no joint document', 'source': 'https://www.voanews.com/a/kim-jong-un-visits-china/4444878.html | https://www.caixinglobal.com/2018-06-20/kim-jong-un-is-in-china-for-brief-visit-101292394.html', 'notes': ''},
    {'date_start': '2018-09-19', 'date_end': '', 'date_precision': 'day', 'event': 'Inter-Korean Agreement on the Implementation of the Panmunjom Declaration in the Military Domain (Comprehensive Military Agreement), signed at the Pyongyang summit as an annex to the Pyongyang Joint Declaration', 'type': 'agreement', 'parties': 'ROK; DPRK', 'outcome': 'signed; buffer zones, no-fly zones, DMZ guard-post removal', 'source': 'https://www.mofa.go.kr/eng/brd/m_5478/view.do?seq=319132&srchFr=&amp;srchTo=&amp;srchWord=&amp;srchTp=&amp;multi_itm_seq=0&amp;itm_seq_1=0&amp;itm_seq_2=0&amp;company_cd=&amp;company_nm=&page=1&titleNm= | https://dprktoday.com/abroad/unify/304?lang=e', 'notes': "Signed by the two defence ministers; ROK MOFA unofficial text and DPRK 'dprktoday' text both name it. ROK suspended it in part 2023-11-22 and in full 2024-06-04; DPRK abandoned it 2023-11-23."},
    {'date_start': '2019-01-07', 'date_end': '2019-01-10', 'date_precision': 'day', 'event': 'Kim Jong Un visits China (7-10 Jan), fourth Kim-Xi meeting, before the Hanoi summit', 'type': 'summit', 'parties': 'China; DPRK', 'outcome': 'talks; no joint document', 'source': 'http://english.hani.co.kr/arti/english_edition/e_northkorea/877471.html | https://edition.cnn.com/2019/01/07/china/kim-jong-un-visit-china-intl/index.html', 'notes': 'Xinhua/KCNA announced the visit while under way (Hankyoreh, 8 Jan 2019).'},
    {'date_start': '2019-06-20', 'date_end': '2019-06-21', 'date_precision': 'day', 'event': 'Xi Jinping state visit to Pyongyang (20-21 Jun), first by a Chinese leader in 14 years', 'type': 'summit', 'parties': 'China; DPRK', 'outcome': 'talks; no joint document', 'source': 'https://www.scmp.com/news/china/diplomacy/article/3015307/xi-jinping-lands-north-korea-first-visit-chinese-leader-14 | https://globaltimes.cn/page/201906/1154841.shtml', 'notes': ''},
    {'date_start': '2023-11-22', 'date_end': '', 'date_precision': 'day', 'event': "ROK suspends part of the 2018 Comprehensive Military Agreement (restores aerial surveillance near the MDL) after the DPRK's 21 Nov spy-satellite launch", 'type': 'breakdown', 'parties': 'ROK; DPRK', 'outcome': 'partial suspension', 'source': 'https://www.straitstimes.com/asia/east-asia/south-korea-to-suspend-part-of-military-pact-after-north-claims-spy-satellite-launch | https://kion546.com/ap-national/2023/11/21/south-korea-partially-suspends-inter-korean-agreement-after-the-north-says-it-launched-spy-satellite/', 'notes': 'Dates: AP 21 Nov (US time) announcement; Reuters/Straits Times: suspension took effect 22 Nov KST.'},
    {'date_start': '2023-11-23', 'date_end': '', 'date_precision': 'day', 'event': 'DPRK defence ministry says it will no longer be bound by the 2018 military agreement and will restore all suspended military measures', 'type': 'breakdown', 'parties': 'DPRK; ROK', 'outcome': 'agreement abandoned; guard posts restored from 24 Nov', 'source': 'https://www.nasdaq.com/articles/north-korea-scraps-military-deal-with-south-vows-to-deploy-new-weapons-at-border | https://www.upi.com/Top_News/World-News/2023/11/23/North-Korea-military-agreement-suspension-military-measures-border-satellite-launch/3771700724264/ | https://www.koreaherald.com/view.php?ud=20231127000598', 'notes': 'Reuters (via Nasdaq) dateline Seoul 23 Nov; ROK MND reported 11 guard posts being restored from 24 Nov (Korea Herald, 27 Nov).'},
    {'date_start': '2024-01-15', 'date_end': '', 'date_precision': 'day', 'event': "Kim's Supreme People's Assembly speech calls the ROK the 'primary foe and invariable principal enemy'; the SPA abolishes the Committee for the Peaceful Reunification of the Country, the National Economic Cooperation Bureau and the Kumgangsan International Tourism Administration", 'type': 'breakdown', 'parties': 'DPRK; ROK', 'outcome': 'inter-Korean agencies abolished', 'source': 'https://chosun.com/english/north-korea-en/2024/01/16/NZ2TGZIDRJDG3MYB6Z5ZUXFDYM | https://en.inform.kz/news/dprk-decides-to-abolish-agencies-handling-inter-korean-affairs-e3080e/ | https://sputnikglobe.com/20240116/north-korean-govt-abolishes-departments-dealing-with-inter-korean-cooperation-1116189203.html', 'notes': 'Reported by KCNA on 16 Jan (Chosun Ilbo English; Xinhua via Kazinform; Sputnik quoting the SPA decision).'},
    {'date_start': '2024-01', 'date_end': '', 'date_precision': 'month', 'event': 'Arch of Reunification (Monument to the Three Charters for National Reunification) in Pyongyang demolished, after Kim called it an eyesore on 15 Jan', 'type': 'breakdown', 'parties': 'DPRK; ROK', 'outcome': 'monument demolished', 'source': 'https://news.abs-cbn.com/video/overseas/01/25/24/nokor-reunification-monument-demolished | https://www.newschainonline.com/news/world-news/north-korea-appears-to-demolish-reunification-arch-381630', 'notes': 'Month precision: satellite imagery shows it on 19 Jan and gone on 23 Jan (NK News via Reuters/ABS-CBN and AP/PA). Symbolic; no marginal regime effect (same month as 2024-01-15).'},
    {'date_start': '2024-03-26', 'date_end': '', 'date_precision': 'day', 'event': 'Kim Yo Jong says the DPRK will reject any contact or negotiations with Japan, a day after saying PM Kishida had asked for a summit', 'type': 'breakdown', 'parties': 'DPRK; Japan', 'outcome': 'channel refused', 'source': 'https://www.japantimes.co.jp/news/2024/03/26/japan/politics/north-korea-rules-out-japan-summit/ | https://www.nippon.com/en/news/yjj2024032601018/north-korea-rejects-contact-with-japan.html', 'notes': 'Judgement call: a refusal of a proposed channel rather than the collapse of an existing one. Pivotal only under crisis_rule=breakdown-only (2024-04, 2024-05).'},
    {'date_start': '2024-06-04', 'date_end': '', 'date_precision': 'day', 'event': 'ROK cabinet and President Yoon suspend the whole 2018 Comprehensive Military Agreement after DPRK trash balloons and GPS jamming', 'type': 'breakdown', 'parties': 'ROK; DPRK', 'outcome': 'full suspension', 'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=185847 | https://www.koreaherald.com/view.php?ud=20240604050343 | https://kesq.com/news/2024/06/03/south-korea-is-suspending-a-military-deal-with-north-korea-after-tensions-over-trash-balloons/', 'notes': 'NSC proposal 3 Jun; cabinet and presidential approval 4 Jun (KBS; Korea Herald; AP via KESQ).'},
    {'date_start': '2024-10-15', 'date_end': '', 'date_precision': 'day', 'event': 'DPRK blows up sections of the Gyeongui and Donghae inter-Korean road and rail links north of the MDL', 'type': 'breakdown', 'parties': 'DPRK; ROK', 'outcome': 'land routes cut', 'source': 'https://news.kbs.co.kr/news/pc/view/view.do?ncd=8081869 | https://www.pravda.com.ua/eng/news/2024/10/15/7479728/', 'notes': "ROK JCS: about noon KST; ROK fired warning shots (KBS; Ukrainska Pravda citing Yonhap). Follows the KPA's 9 Oct announcement of a 'complete separation'."},
    {'date_start': '2025-06-11', 'date_end': '', 'date_precision': 'day', 'event': "ROK halts its anti-DPRK border loudspeaker broadcasts (President Lee Jae-myung's order); the DPRK stops its noise broadcasts the next night", 'type': 'channel', 'parties': 'ROK; DPRK', 'outcome': 'de-escalation step; no talks', 'source': 'https://www.nknews.org/2025/06/seoul-says-it-halted-loudspeaker-broadcasts-into-north-korea-to-restore-trust/ | http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=193724 | https://news.kbs.co.kr/news/pc/view/view.do?ncd=8277821', 'notes': 'KBS 11 and 12 Jun 2025; NK News 11 Jun 2025.'},
    {'date_start': '2025-09-03', 'date_end': '', 'date_precision': 'day', 'event': 'Putin and Kim Jong Un hold talks at the Diaoyutai guest house in Beijing after the 3 Sept Victory Day parade', 'type': 'summit', 'parties': 'Russia; DPRK', 'outcome': 'talks; Putin invited Kim to Russia', 'source': 'https://www.ksat.com/news/world/2025/09/03/putin-meets-north-koreas-kim-in-beijing/ | https://mb.com.ph/2025/09/04/putin-meets-north-koreas-kim-in-beijing', 'notes': 'AP via KSAT and Manila Bulletin.'},
    {'date_start': '2025-09-04', 'date_end': '', 'date_precision': 'day', 'event': "Xi Jinping and Kim Jong Un hold talks in the Great Hall of the People, Beijing, during Kim's first China visit since 2019", 'type': 'summit', 'parties': 'China; DPRK', 'outcome': 'talks; no joint document', 'source': 'https://www.channelnewsasia.com/east-asia/china-north-korea-xi-jinping-kim-jong-un-plan-meeting-talks-5332461?cid=cna_flip_070214 | https://www.springfieldnewssun.com/news/nation-world/north-korean-leader-kim-jong-un-will-meet-with-chinese-leader-xi-jinping/JAR3YZMX5VOEVG7GGIKKHEPNSM/', 'notes': 'CNA (AFP) and AP via Springfield News-Sun; Kim arrived 2 Sept.'},
)

#: Military deployments and provocations (issue 12, item 1): new event types the regime rule
#: ignores (``detente.evidence.regime.INCIDENT_TYPES``) — they are outcomes for claims C5 and C6,
#: not regime markers. Each from a dated report of an official body (ROK JCS, MND, NIS; KCNA; US
#: DoD) carried by an established outlet. Dates are KST; ``notes`` says when the date is the
#: announcement's rather than the event's. Appended to the diplomacy rows, then sorted by date.
ADDED_INCIDENTS: tuple[dict[str, str], ...] = (
    {'date_start': '2022-12-26', 'date_end': '', 'date_precision': 'day',
     'event': 'Five DPRK drones cross the MDL into ROK airspace over Gimpo, Ganghwa and Paju, one '
              'as far as northern Seoul, for about five hours; ROK jets and helicopters fire about '
              '100 rounds without downing any',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'airspace violation',
     'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=174752 | '
               'https://www.scmp.com/news/asia/east-asia/article/3204613/south-korea-launches-jets-fires-shots-after-drones-north-violate-airspace',
     'notes': 'ROK JCS: first detected 10:25 KST (KBS, 26 Dec 2022; AP via SCMP).'},
    {'date_start': '2023-11-24', 'date_end': '', 'date_precision': 'day',
     'event': 'DPRK troops rebuild DMZ guard posts demolished under the 2018 military agreement '
              'and bring back heavy weapons',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'guard posts re-armed',
     'source': 'https://www.koreaherald.com/view.php?ud=20231127000598',
     'notes': 'Event date as given by the ROK Ministry of National Defense (work seen from 24 Nov, '
              'the day after the DPRK scrapped the agreement); announced 27 Nov 2023 (Korea '
              'Herald).'},
    {'date_start': '2024-05-28', 'date_end': '2024-05-29', 'date_precision': 'day',
     'event': 'First wave of DPRK trash balloons into the ROK (about 260 found by 29 May)',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'balloon campaign begins',
     'source': 'https://www.livemint.com/politics/kim-jong-un-s-balloon-barrage-bags-of-excrement-fly-into-the-south-11716979580082.html | '
               'https://www.koreaherald.com/view.php?ud=20240608050091',
     'notes': 'ROK JCS: launches from the night of 28 May (WSJ via Mint, 29 May 2024; Korea Herald, '
              '8 Jun 2024).'},
    {'date_start': '2024-05-29', 'date_end': '2024-06-02', 'date_precision': 'day',
     'event': 'DPRK jams GPS signals from near the western border; about 500 aircraft and '
              'hundreds of ships affected',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'GPS jamming',
     'source': 'https://www.brecorder.com/news/40331576/north-korea-launches-gps-interference-south-koreas-military-says | '
               'https://news.kbs.co.kr/news/pc/view/view.do?ncd=8102239',
     'notes': 'Dates and counts as stated by the ROK government in November 2024 (Reuters via '
              'Business Recorder, 9 Nov 2024); the ROK complained to ICAO.'},
    {'date_start': '2024-06-08', 'date_end': '2024-06-10', 'date_precision': 'day',
     'event': 'Third and fourth waves of DPRK trash balloons (about 330, then about 310 after the '
              'ROK resumed loudspeaker broadcasts on 9 Jun)',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'balloon waves',
     'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=185941 | '
               'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=185955 | '
               'https://www.koreaherald.com/view.php?ud=20240608050091',
     'notes': 'ROK JCS counts (KBS, 9 and 10 Jun 2024; Korea Herald, 8 Jun 2024).'},
    {'date_start': '2024-06-09', 'date_end': '', 'date_precision': 'day',
     'event': 'About 20-30 DPRK soldiers working in the DMZ cross the MDL; ROK warning shots',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'MDL crossing; warning shots',
     'source': 'https://www.business-standard.com/amp/world-news/s-korean-troops-fire-warning-shots-after-n-korean-soldiers-crossed-border-124061100080_1.html | '
               'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=186207',
     'notes': 'Event date 9 Jun (12:30 KST); announced by the ROK JCS on 11 Jun 2024 (AP via '
              'Business Standard). The JCS judged it unintentional.'},
    {'date_start': '2024-06-18', 'date_end': '', 'date_precision': 'day',
     'event': 'DPRK soldiers cross the MDL a second time; ROK warning shots',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'MDL crossing; warning shots',
     'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=186207 | '
               'https://asiaone.com/asia/south-korea-fired-warning-shots-after-north-korean-soldiers-crossed-border-thursday',
     'notes': 'ROK JCS (KBS, 21 Jun 2024; Reuters via AsiaOne). The JCS judged it unintentional.'},
    {'date_start': '2024-06-20', 'date_end': '', 'date_precision': 'day',
     'event': 'DPRK soldiers cross the MDL a third time in June, about 20 m; ROK warning shots',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'MDL crossing; warning shots',
     'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=186207 | '
               'https://asiaone.com/asia/south-korea-fired-warning-shots-after-north-korean-soldiers-crossed-border-thursday | '
               'https://khnews.heraldcorp.com/view.php?ud=20240621050587',
     'notes': 'Event date 20 Jun (about 11:00 KST); announced by the ROK JCS on 21 Jun 2024 (KBS; '
              'Korea Herald).'},
    {'date_start': '2024-06-24', 'date_end': '2024-06-26', 'date_precision': 'day',
     'event': 'Fifth and sixth waves of DPRK trash balloons (about 600 from late 24 Jun)',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'balloon waves',
     'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=186297',
     'notes': 'ROK JCS counts (KBS, 26 Jun 2024: the sixth launch since May).'},
    {'date_start': '2024-07-24', 'date_end': '', 'date_precision': 'day',
     'event': 'Another wave of DPRK trash balloons (over 3,000 since late May)',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'balloon wave',
     'source': 'https://www.koreaherald.com/view.php?ud=20240724050140',
     'notes': 'ROK JCS (Yonhap via Korea Herald, 24 Jul 2024).'},
    {'date_start': '2024-09-04', 'date_end': '2024-09-08', 'date_precision': 'day',
     'event': 'DPRK trash balloons on five days running (about 1,100-1,200), after a month-long '
              'pause',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'balloon waves',
     'source': 'https://www.nationthailand.com/blogs/news/world/40041301 | '
               'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=187937',
     'notes': 'ROK JCS counts (The Nation (Korea Herald), 8 Sep 2024; KBS, Sep 2024).'},
    {'date_start': '2024-10-18', 'date_end': '', 'date_precision': 'day',
     'event': 'ROK NIS says the DPRK has begun sending troops to Russia: about 1,500 special '
              'forces shipped by the Russian Pacific Fleet to Vladivostok from 8 to 13 Oct, of '
              'some 12,000 planned',
     'type': 'military', 'parties': 'DPRK; Russia', 'outcome': 'troops deployed to Russia',
     'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=188550 | '
               'https://www.dw.com/en/ukraine-updates-dozens-freed-in-prisoner-swap-with-russia/live-70537905 | '
               'https://www.cbsnews.com/chicago/video/u-s-seeing-evidence-of-north-korean-troops-in-russia-as-ukraine-war-rages/',
     'notes': 'Announcement date (NIS statement, 18 Oct 2024; KBS, DW); the transport ran 8-13 '
              'Oct. US Defense Secretary Austin said on 23 Oct the US saw evidence of DPRK troops '
              'in Russia (CBS). Russia denied it at the time.'},
    {'date_start': '2024-10-19', 'date_end': '', 'date_precision': 'day',
     'event': 'The 29th wave of DPRK trash balloons since May',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'balloon wave',
     'source': 'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=188559',
     'notes': 'ROK JCS (KBS, 19 Oct 2024): eight days after the 11 Oct wave; the wave count is '
              "the JCS's."},
    {'date_start': '2024-11-08', 'date_end': '2024-11-09', 'date_precision': 'day',
     'event': 'DPRK jams GPS from near Haeju and Kaesong; several ships and dozens of civil '
              'aircraft affected',
     'type': 'provocation', 'parties': 'DPRK; ROK', 'outcome': 'GPS jamming',
     'source': 'https://news.kbs.co.kr/news/pc/view/view.do?ncd=8102239 | '
               'https://www.brecorder.com/news/40331576/north-korea-launches-gps-interference-south-koreas-military-says',
     'notes': 'ROK JCS statement of 9 Nov 2024 (KBS; Reuters via Business Recorder).'},
    {'date_start': '2025-04-28', 'date_end': '', 'date_precision': 'day',
     'event': "DPRK confirms, in a Central Military Commission statement carried by KCNA, that "
              "its troops fought for Russia in the Kursk region on Kim Jong Un's order under the "
              "2024 treaty",
     'type': 'military', 'parties': 'DPRK; Russia', 'outcome': 'deployment acknowledged',
     'source': 'https://www.politico.eu/article/north-korea-sent-troops-fight-russia-ukraine/ | '
               'https://www.brecorder.com/news/40359871/north-korea-confirms-troop-deployment-to-russia-hails-heroes',
     'notes': "Announcement date (KCNA, 28 Apr 2025; Politico; Reuters via Business Recorder) of "
              "the deployment reported on 2024-10-18; Russia's chief of staff Gerasimov had "
              "acknowledged it on 26 Apr."},
)

#: Mirror or aggregator addresses in the reference history replaced by a primary or
#: established-outlet report of the same fact: (file, row key, old address, new address).
#: The row key is the reference row's ``date_start type`` (diplomacy), ``resolution date``
#: (sanctions) or ``test_no (date)`` (nuclear tests).
SOURCE_REPLACEMENTS: tuple[tuple[str, str, str, str], ...] = (
    ('diplomacy_events.csv', '1994-09-23 agreement',
     'https://docslib.org/doc/4518467/agreed-framework-text',
     'https://pax.peaceagreements.org/agreements/223'),
    ('diplomacy_events.csv', '2018-04-27 summit',
     'http://w.owiki.org/wiki/Inter-Korean_summits',
     'https://www.reuters.com/article/us-northkorea-southkorea-summit-announce/north-south-korea-agree-to-goal-of-complete-denuclearization-of-korean-peninsula-idUSKBN1HY11I | http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2018-04-28-0011'),
    ('diplomacy_events.csv', '2018-09-18 summit',
     'http://w.owiki.org/wiki/Inter-Korean_summits',
     'https://kls.law.columbia.edu/content/pyongyang-joint-declaration | https://reliefweb.int/report/democratic-peoples-republic-korea/statement-attributable-spokesman-secretary-general'),
    ('diplomacy_events.csv', '2024-06-19 agreement',
     'https://wikimili.com/en/North_Korean%E2%80%93Russian_Treaty_on_Comprehensive_Strategic_Partnership',
     'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=186145'),
    ('sanctions.csv', 'S/RES/2094 (2013)',
     'https://de.wiki.li/Resolution_2094_des_UN-Sicherheitsrates',
     'https://www.un.org/sg/en/content/sg/statement/2013-03-07/statement-attributable-spokesperson-secretary-general-resolution'),
    ('sanctions.csv', 'US draft resolution (vetoed) 2022-05-26',
     'https://www.today.az/print/news/regions/220781.html',
     'https://mb.com.ph/2022/05/27/un-security-council-fails-to-adopt-resolution-on-dprk-sanctions'),
    ('sanctions.csv', 'US draft resolution on Panel of Experts (vetoed) 2024-03-28',
     'https://eir.news/2024/03/news/russia-blocks-extension-of-mandate-of-panel-of-experts-on-north-korea-sanctions-committeee/ | https://www.tag24.com/world/russia/russia-ends-monitoring-of-uns-north-korea-sanctions-amid-reports-of-arms-transfers-3143332',
     'https://www.ajc.com/news/nation-world/russia-vetoes-un-resolution-abolishing-monitoring-of-un-sanctions-against-north-korea-by-un-experts/MTE3EZEJBVF57E7FTK7KLTR3YA/'),
    ('nuclear_tests.csv', '1 (2006-10-09)',
     'https://encyclopedia.datana.cloud/content/wikipedia_en_all_mini_2024-04/A/2006_North_Korean_nuclear_test',
     'http://onlinelibrary.wiley.com/doi/10.1029/2007EO140002/abstract | https://www.globalsecurity.org/wmd/world/dprk/nuke-test-1.htm'),
    # second pass (issue 12, data items): resolution 1874 and the yield sources on aggregators
    # or blogs; the UN addresses take the forms the other resolutions already cite
    ('sanctions.csv', 'S/RES/1874 (2009)',
     'https://de.zxc.wiki/wiki/Resolution_1874_des_UN-Sicherheitsrates',
     'https://press.un.org/en/2009/sc9679.doc.htm | https://www.un.org/securitycouncil/s/res/1874-%282009%29'),
    ('nuclear_tests.csv', '2 (2009-05-25)',
     'https://arabstoday.net/en/amp/41/seoul-north-koreas-possible-nuke-test-forecast-to-be-more | http://www.ecanadanepal.com/2016/09/timeline-of-n-koreas-past-nuclear-tests.html',
     'https://www.reuters.com/article/uk-korea-north-ctbto-sb/north-korea-test-seen-slightly-bigger-than-in-2006-idUKTRE54O3PA20090525 (CTBTO: low single-digit kilotons) | https://www.brisbanetimes.com.au/world/n-korea-test-used-224kt-seismologists-20090528-bnyn.html (Lamont-Doherty: 2.2-4 kt)'),
    ('nuclear_tests.csv', '3 (2013-02-12)',
     'https://arabstoday.net/en/amp/41/seoul-north-koreas-possible-nuke-test-forecast-to-be-more',
     'https://en.yna.co.kr/view/AEN20130130008253315 (ROK MND: 6-7 kt) | http://articles.chicagotribune.com/2013-02-12/news/sns-rt-us-korea-north-russia-sizebre91b0a4-20130211_1_nuclear-test-kilotons-hiroshima-bomb (Reuters: Russian MoD, over 7 kt)'),
    ('nuclear_tests.csv', '4 (2016-01-06)',
     'https://wn.com/2013_North_Korean_nuclear_test',
     'https://armscontrol.org/blog/2016-01-06/fourth-north-korean-nuclear-test-what-means-what-must-done | http://uk.reuters.com/article/northkorea-nuclear-yield-idUKS6N14Q02P (Reuters: initial estimate 6 kt)'),
    ('nuclear_tests.csv', '6 (2017-09-03)',
     'http://www.1913intel.com/index.php/2017/09/13/north-koreas-sixth-nuclear-test-revised-estimate-250-kilotons/',
     'https://thediplomat.com/2017/09/us-intelligence-north-koreas-sixth-test-was-a-140-kiloton-advanced-nuclear-device (US intelligence 140 kt; ROK 50 kt, Japan 70 kt, NORSAR 120 kt; open-source 60 to over 500 kt)'),
)

_ROW_KEYS = {
    "diplomacy_events.csv": lambda row: f"{row['date_start']} {row['type']}",
    "sanctions.csv": lambda row: (row["resolution"] if row["resolution"].startswith("S/RES")
                                  else f"{row['resolution']} {row['date']}"),
    "nuclear_tests.csv": lambda row: f"{row['test_no']} ({row['date']})",
}


def _replace_sources(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Apply :data:`SOURCE_REPLACEMENTS` to one table's ``source`` column (each address of a
    ``|``-separated list is replaced on its own, with its note); every replacement must find
    its row."""
    # an entry may replace several addresses of one row: the first gives way to the new
    # source(s), the others are dropped
    wanted: dict[tuple[str, str], str] = {}
    for file, key, old, new in SOURCE_REPLACEMENTS:
        if file == name:
            for k, address in enumerate(a.strip() for a in old.split("|")):
                wanted[(key, address)] = new if k == 0 else ""
    used: set[tuple[str, str]] = set()

    def fix(row: pd.Series) -> str:
        key = _ROW_KEYS[name](row)
        out = []
        for part in (p.strip() for p in row["source"].split("|")):
            address = part.split(" ", 1)[0]  # an address may carry a note: "URL (mirror, 2024)"
            if (key, address) in wanted:
                used.add((key, address))
                part = wanted[(key, address)]
            if part:
                out.append(part)
        return " | ".join(out)

    out = frame.copy()
    out["source"] = out.apply(fix, axis=1)
    missing = set(wanted) - used
    if missing:
        raise SystemExit(f"{name}: source replacements match no row: {sorted(missing)}")
    return out


def build_diplomacy_events(history: Path) -> pd.DataFrame:
    """The reference diplomacy rows plus :data:`ADDED_DIPLOMACY` and :data:`ADDED_INCIDENTS`, by
    date; ``note`` carries the added rows' own notes (the reference's are its compiler's text and,
    like its event descriptions, are not copied)."""
    events = pd.read_csv(history / "diplomacy_events.csv", dtype=str, keep_default_na=False)
    events["notes"] = ""
    events = pd.concat([events, pd.DataFrame([*ADDED_DIPLOMACY, *ADDED_INCIDENTS])],
                       ignore_index=True)
    events = events.sort_values("date_start", kind="stable").reset_index(drop=True)
    events = _replace_sources(events, "diplomacy_events.csv")
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
            "note": events["notes"],
        }
    )


def build_sanctions(history: Path) -> pd.DataFrame:
    sanctions = pd.read_csv(history / "sanctions.csv", dtype=str, keep_default_na=False)
    sanctions = _replace_sources(sanctions, "sanctions.csv")
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
