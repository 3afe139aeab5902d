"""Loaders for the evidence package data (``detente/evidence/data/*.csv``).

The CSVs are built from the shared reference history by ``scripts/build_evidence.py`` and
shipped with the package; nothing here reads outside the package. Every frame has a ``source``
column (a page address, or a GitHub repository + commit + path). See ``docs/evidence.md``.

Unit of count (fixed for détente)
---------------------------------
The CNS North Korea Missile Test Database, the primary event-level source, has one row per
missile (or space-launch-vehicle) flight. détente's primary count is the **launch event**: a
distinct launch date, however many missiles flew that day (the ``events`` column of the annual
table). The number of missiles flown is kept as the secondary series. Both include SLV launches
and exclude cruise missiles, rocket artillery and SAMs, as CNS does.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

import pandas as pd

from detente.errors import DetenteError, Problem

DATA_FILES = (
    "missile_launches.csv",
    "nuclear_tests.csv",
    "diplomacy_events.csv",
    "sanctions.csv",
    "us_policy_periods.csv",
    "arsenal_estimates.csv",
    "leaders.csv",
)

#: Missile classes CNS/nagix count as space launch vehicles rather than missiles.
SLV_CLASS = "SLV"

#: The first and last months of the shipped record.
RECORD_START = pd.Period("1984-01", freq="M")
RECORD_END = pd.Period("2025-12", freq="M")


def _data_path(name: str):  # -> Traversable
    return resources.files("detente.evidence").joinpath("data", name)


@cache
def _read(name: str) -> pd.DataFrame:
    """Read one shipped CSV as strings (empty cells stay ``""``); cached, callers get a copy."""
    path = _data_path(name)
    try:
        with path.open("r", encoding="utf-8") as fh:
            frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise DetenteError(
            f"evidence data file {name} is missing from the installed package",
            [Problem(f"{name} not found", file=str(path),
                     allowed="rebuild with scripts/build_evidence.py and reinstall")],
        ) from exc
    if "source" not in frame.columns:
        raise DetenteError(
            f"evidence data file {name} has no source column",
            [Problem("every evidence row must name its source", file=str(path), path="source",
                     allowed="rebuild with scripts/build_evidence.py")],
        )
    return frame


#: The shipped file each kind of user-layer evidence adds rows to.
_USER_KIND = {
    "missile_launches.csv": "launches",
    "nuclear_tests.csv": "nuclear-tests",
    "diplomacy_events.csv": "diplomacy",
    "sanctions.csv": "sanctions",
}


def _raw(name: str, user_layer: bool) -> pd.DataFrame:
    """A shipped CSV as strings (a copy), with the user layer's rows of its kind appended
    (``detente.evidence.user``) when ``user_layer``; the shipped file is only read."""
    frame = _read(name).copy()
    if not user_layer:
        return frame
    from detente.evidence import user

    extra = user.added_records(_USER_KIND[name])
    if extra.empty:
        return frame
    extra = extra.reindex(columns=frame.columns, fill_value="")
    return pd.concat([frame, extra], ignore_index=True)


def _dates(frame: pd.DataFrame, column: str, name: str, fmt: str = "%Y-%m-%d") -> pd.Series:
    """Parse a date column strictly; a bad cell is a DetenteError naming file, row and field."""
    parsed = pd.to_datetime(frame[column], format=fmt, errors="coerce")
    bad = parsed.isna() & (frame[column] != "")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise DetenteError(
            f"evidence data file {name} has an invalid date",
            [Problem(f"{frame[column].iloc[row]!r} is not a date", file=name, line=row + 2,
                     path=column, allowed=f"a date formatted {fmt}")],
        )
    return parsed


def _month_of(date_text: pd.Series) -> pd.Series:
    """The calendar month of a ``YYYY-MM-DD`` or ``YYYY-MM`` string (``NaT`` for a bare year)."""
    def one(text: str):
        if len(text) >= 7:
            return pd.Period(text[:7], freq="M")
        return pd.NaT

    return date_text.map(one)


#: Korea Standard Time is UTC+9 all year (no daylight saving since 1988).
KST_OFFSET = pd.Timedelta(hours=9)


def kst_dates(date: pd.Series, time_utc: pd.Series, precision: pd.Series) -> pd.Series:
    """The Korean (KST) calendar date of each launch: the published date and UTC time plus
    nine hours where the time is known (a 23:24 UTC launch on 17 Dec is 18 Dec in Korea); the
    published date where it is not."""
    has = (time_utc.fillna("") != "") & (precision == "day")
    out = date.copy()
    if has.any():
        stamp = pd.to_datetime(date[has] + " " + time_utc[has], format="%Y-%m-%d %H:%M")
        out[has] = (stamp + KST_OFFSET).dt.strftime("%Y-%m-%d")
    return out


def missile_launches(user_layer: bool = True) -> pd.DataFrame:
    """One row per missile or SLV flight (the CNS unit), 1984–2025, and the flights added in the
    user evidence layer (``status == "user"``; ``user_layer=False``: the shipped record only).

    Columns: ``date`` (str, ``YYYY-MM-DD``: the **Korean (KST) date**, from the published date and
    the UTC launch time where it is known; ``YYYY-MM`` for a few 1984–1992 entries CNS dates
    only to the month), ``date_utc`` (the date as published, UTC where a time is given),
    ``date_basis`` (``KST from the UTC time`` or ``as published``), ``month`` (Period, of the KST
    date), ``date_precision``, ``launch_time_utc`` (kept as published), ``missile``,
    ``missile_name``, ``missile_class`` (ICBM/IRBM/MRBM/SRBM/SLBM/HGV/SLV/Unknown), ``facility``,
    ``outcome`` (success/failure/unknown), ``status`` (``final`` up to the end of the CNS export,
    2023-04-12; ``preliminary`` after; ``added`` from other reports in the build; ``user``
    from the user layer), ``source``. Shipped rows come first, in file order, then added ones.
    """
    frame = _raw("missile_launches.csv", user_layer)
    frame.insert(1, "date_utc", frame["date"])
    frame["date"] = kst_dates(frame["date_utc"], frame["launch_time_utc"],
                              frame["date_precision"])
    frame.insert(2, "date_basis", (frame["date_utc"] != "").map(lambda _: "as published"))
    known = (frame["launch_time_utc"] != "") & (frame["date_precision"] == "day")
    frame.loc[known, "date_basis"] = "KST from the UTC time"
    frame["month"] = _month_of(frame["date"])
    return frame


def launch_events(user_layer: bool = True) -> pd.DataFrame:
    """Launch events: one row per distinct launch date (détente's primary count unit), from
    :func:`missile_launches` (with the user layer unless ``user_layer=False``).

    Returns
    -------
    pandas.DataFrame
        ``date`` (str), ``month`` (Period), ``date_precision``, ``missiles`` (int, missiles or
        SLVs flown that day), ``slv`` (int, of which space launch vehicles), ``failures`` (int,
        CNS outcome "failure"), ``missile_classes`` (``;``-joined sorted classes), ``status``
        (``user`` if any flight that day comes from the user layer, else ``preliminary`` if
        any is, else ``final``), ``source`` (the flights' sources, joined).
    """
    flights = missile_launches(user_layer=user_layer)
    grouped = flights.groupby("date", sort=True)
    events = pd.DataFrame(
        {
            "date_precision": grouped["date_precision"].first(),
            "missiles": grouped.size().astype(int),
            "slv": grouped["missile_class"].agg(lambda s: int((s == SLV_CLASS).sum())),
            "failures": grouped["outcome"].agg(lambda s: int((s == "failure").sum())),
            "missile_classes": grouped["missile_class"].agg(lambda s: ";".join(sorted(set(s)))),
            "status": grouped["status"].agg(
                lambda s: "user" if (s == "user").any()
                else "preliminary" if (s == "preliminary").any() else "final"),
            "source": grouped["source"].agg(lambda s: " | ".join(dict.fromkeys(s))),
        }
    ).reset_index()
    events.insert(1, "month", _month_of(events["date"]))
    return events


def nuclear_tests(user_layer: bool = True) -> pd.DataFrame:
    """The six DPRK nuclear tests (2006–2017), and tests added in the user layer unless
    ``user_layer=False`` (numbered on from the last where the added row has no ``test_no``;
    sorted by date): ``test_no``, ``date`` (Timestamp), ``month``,
    ``site``, ``magnitude_mb``, ``yield_low_kt``, ``yield_high_kt`` (floats; NaN where the
    sources give only an upper bound), ``source``. Yields are seismic estimates; use the range,
    not a point (reference/history README, caveat 3)."""
    frame = _raw("nuclear_tests.csv", user_layer)
    frame["date"] = _dates(frame, "date", "nuclear_tests.csv")
    if (frame["test_no"] == "").any():
        frame = frame.sort_values("date", kind="stable").reset_index(drop=True)
        numbers = pd.to_numeric(frame["test_no"].replace("", None))
        for i in frame.index[frame["test_no"] == ""]:
            numbers[i] = numbers.max() + 1 if numbers.notna().any() else 1
        frame["test_no"] = numbers.astype(int).astype(str)
    frame["month"] = frame["date"].dt.to_period("M")
    frame["test_no"] = frame["test_no"].astype(int)
    for column in ("magnitude_mb", "yield_low_kt", "yield_high_kt"):
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="raise").astype(float)
    return frame


def diplomacy_events(user_layer: bool = True) -> pd.DataFrame:
    """Diplomacy events 1985–2025 (and those added in the user layer unless
    ``user_layer=False``): ``date_start``/``date_end`` (str, KST, day/month/year precision),
    ``date_precision``, ``type`` (summit/talks/agreement/breakdown/channel, and the incident
    types military/provocation, which the regime rule ignores:
    :data:`detente.evidence.regime.INCIDENT_TYPES`), ``parties`` (``;``-separated), ``label``
    (short label written for détente), ``signed_document`` (0/1), ``start_month``/``end_month``
    (Period; NaT for year-precision dates), ``source``, ``note`` (for rows the build adds: e.g.
    that the date is an announcement's, not the event's; empty otherwise)."""
    frame = _raw("diplomacy_events.csv", user_layer)
    frame["signed_document"] = frame["signed_document"].astype(int)
    frame["start_month"] = _month_of(frame["date_start"])
    frame["end_month"] = _month_of(frame["date_end"])
    return frame


def sanctions(user_layer: bool = True) -> pd.DataFrame:
    """UN Security Council actions on the DPRK (and those added in the user layer unless
    ``user_layer=False``): ``resolution``, ``date`` (Timestamp), ``month``,
    ``kind`` (``sanctions`` — a sanctions resolution; ``panel_renewal`` — a Panel of Experts
    mandate renewal; ``veto`` — a vetoed draft), ``status``, ``vote``, ``trigger``, ``source``."""
    frame = _raw("sanctions.csv", user_layer)
    frame["date"] = _dates(frame, "date", "sanctions.csv")
    frame["month"] = frame["date"].dt.to_period("M")
    return frame


def us_policy_periods() -> pd.DataFrame:
    """US policy periods 1993-01-20 – 2025-01-19 with the reference's engagement coding
    (0.25 pressure … 1.0 summits/agreement implemented): ``start``, ``end`` (Timestamps,
    inclusive), ``administration``, ``label``, ``engagement_level`` (float),
    ``engagement_category``, ``source``. The second Trump term is not coded."""
    frame = _read("us_policy_periods.csv").copy()
    frame["start"] = _dates(frame, "start", "us_policy_periods.csv")
    frame["end"] = _dates(frame, "end", "us_policy_periods.csv")
    frame["engagement_level"] = frame["engagement_level"].astype(float)
    return frame


def arsenal_estimates() -> pd.DataFrame:
    """Warhead estimates 2018–2025 (SIPRI, FAS): ``as_of``, ``estimator``, ``published``,
    ``warheads_low``/``warheads_high``, ``counting_basis`` (``buildable_from_fissile`` for SIPRI
    before 2022, ``assembled`` after — a methodology break, not a reduction),
    ``fissile_equiv_warheads_low``/``_high``, ``source``."""
    frame = _read("arsenal_estimates.csv").copy()
    for column in ("warheads_low", "warheads_high", "fissile_equiv_warheads_low",
                   "fissile_equiv_warheads_high"):
        frame[column] = pd.to_numeric(frame[column].replace("", None)).astype(float)
    return frame


def leaders() -> pd.DataFrame:
    """DPRK leaders with start/end dates (Timestamps; ``end`` NaT for the incumbent), sourced."""
    frame = _read("leaders.csv").copy()
    frame["start"] = _dates(frame, "start", "leaders.csv")
    frame["end"] = _dates(frame, "end", "leaders.csv")
    return frame


def data_hash(user_layer: bool = True) -> str:
    """SHA-256 over the shipped evidence files (name and bytes, in a fixed order), for caches,
    and over the user layer's batches (id, kind, ``through``, the file's SHA-256) when
    ``user_layer`` and the layer holds any: adding or removing a batch changes the hash. With
    an empty layer (or ``user_layer=False``) it is the hash of the shipped files alone."""
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(name.encode())
        digest.update(_data_path(name).read_bytes())
    if user_layer:
        from detente.evidence import user

        for batch in user.list_added():
            digest.update(f"user-layer {batch.id} {batch.kind} {batch.through} "
                          f"{batch.sha256}".encode())
    return digest.hexdigest()
