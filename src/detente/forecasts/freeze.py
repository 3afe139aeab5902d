"""Freezing forecasts: fit on the data up to the as-of month, answer every question with every
forecaster, and seal the answers in a record that carries the hashes of what made it.

Forecasters (:data:`FORECASTERS`): the fitted dynamic model (variant ``full``), the count model
without regime or policy terms (``no_policy``), every closed-form baseline of
:data:`detente.dynamics.baselines.BASELINES`, and an ensemble of all of them. The ensemble is the
back-test's stacking ensemble (:func:`detente.dynamics.backtest.stacking_weights`) at a freeze,
where no month after the as-of month is known: equal weights, so its count forecast is the union
of the members' samples and its probability the members' mean.

How each question is answered, from ``draws`` sample paths per forecaster:

- **binary**: a nuclear test (``at_least`` 1) from the paths' monthly test probabilities,
  Rao–Blackwellised, :math:`\\frac1D\\sum_d 1-\\prod_t(1-p_{dt})`; any other outcome the
  forecaster simulates (launch days, missiles, UNSC resolutions, dialogue onsets) as
  :math:`(k + \\tfrac12)/(D + 1)` of the paths where the window's total reaches ``at_least``
  (never exactly 0 or 1). An outcome the forecaster does not simulate (a new missile type, a
  leader meeting for every forecaster; UNSC resolutions and dialogue onsets for the
  baselines) gets the **historical base rate** over the training window: with k event months
  among n observed training months, :math:`p = (k + \\tfrac12)/(n + 1)` a month and
  :math:`1 - (1 - p)^w` over a window of w months. ``method`` in the record says which.
- **count / quantity**: the sample of the window's total (kept as a histogram) and a
  predictive pmf: for launch days in one month the exact NB2 mixture of the paths' rates
  (:func:`detente.dynamics.scores.log_score_nb_mixture`), otherwise the sample's frequencies
  with half a draw added to every value up to its maximum and to one "beyond" bin. A forecaster
  that does not simulate the outcome (the baselines for missiles) abstains.

Monte Carlo error: a probability from D paths has standard error at most
:math:`0.5/\\sqrt{D}` (0.008 at the default 4000 draws), stated in the record's settings.

Hashes (all SHA-256, hex): ``data`` of the training rows (the panel up to the as-of month, every
column, and the monthly series of the event-frame outcomes), ``evidence_files`` of the shipped
evidence files (:func:`detente.evidence.data_hash`, when the real evidence is used),
``model_source`` of the files ``detente/dynamics/*.py`` and ``detente/forecasts/*.py`` (name and
bytes, sorted by name), ``lock`` of ``requirements.lock`` beside the package (null when détente
was installed without it, e.g. by ``pip install``); and ``sha256`` of the canonical JSON
(:func:`detente.runs.store.canonical_json`) of everything else in the record. Same inputs and
seed, same record bytes: no wall-clock time is kept in it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import OptionsError, Problem
from detente.forecasts.question import DatedQuestion, QuestionSet, date_questions, load_questions
from detente.forecasts.resolve import FRAME_OF, outcome_series

FORMAT = "detente-frozen-forecasts/1"
KIND = "frozen-forecast"
MODEL = "model"
NO_POLICY = "count model (no regime/policy)"
ENSEMBLE = "ensemble (equal weights)"
DEFAULT_DRAWS = 4000
SIGNIFICANT = 6  # digits kept of every probability in the record


def forecasters() -> tuple[str, ...]:
    """Names of the forecasters of a record, in order."""
    from detente.dynamics.baselines import BASELINES

    return (MODEL, NO_POLICY, *BASELINES, ENSEMBLE)


def _r(x: float) -> float:
    return float(f"{float(x):.{SIGNIFICANT}g}")


# ----------------------------------------------------------------------------------------------
# hashes


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_source_hash(packages: tuple[str, ...] = ("detente.dynamics", "detente.forecasts")
                      ) -> str:
    """SHA-256 over the ``*.py`` files of ``packages`` (package, name and bytes; sorted)."""
    digest = hashlib.sha256()
    for package in packages:
        folder = resources.files(package)
        for item in sorted((p for p in folder.iterdir() if p.name.endswith(".py")),
                           key=lambda p: p.name):
            digest.update(f"{package}/{item.name}\0".encode())
            digest.update(item.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def lock_path() -> Path | None:
    """``requirements.lock`` beside the package (a source checkout), or None."""
    import detente

    path = Path(detente.__file__).resolve().parents[2] / "requirements.lock"
    return path if path.is_file() else None


def lock_hash() -> str | None:
    path = lock_path()
    return None if path is None else _sha(path.read_bytes())


def training_data_hash(panel: pd.DataFrame, as_of: pd.Period,
                       frames: Mapping[str, pd.DataFrame] | None) -> str:
    """SHA-256 of the rows a freeze reads: the panel up to ``as_of`` (every column) and the
    monthly series of the frame-based outcomes over the same months."""
    train = panel.loc[panel.index <= as_of]
    # numbers as floats, columns sorted: the same data give the same hash whether a column is
    # stored as int or (with missing months elsewhere in the panel) as float
    table = train[sorted(train.columns)].copy()
    for column in table.columns:
        if pd.api.types.is_numeric_dtype(table[column]) and not pd.api.types.is_bool_dtype(
                table[column]):
            table[column] = table[column].astype(float)
    parts = [table.to_csv(lineterminator="\n")]
    for outcome in sorted(FRAME_OF):
        parts.append(outcome_series(outcome, train, frames).to_csv(lineterminator="\n"))
    return _sha("\n".join(parts).encode())


def content_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a record without its ``sha256`` field."""
    from detente.runs.store import canonical_json, sha256_of

    return sha256_of(canonical_json({k: v for k, v in record.items() if k != "sha256"}))


# ----------------------------------------------------------------------------------------------
# the forecasters' raw material


@dataclass
class _Paths:
    """One forecaster's sample paths over months as_of+1 … as_of+horizon."""

    name: str
    launch: np.ndarray
    rate: np.ndarray
    conc: np.ndarray
    nuclear_prob: np.ndarray
    missiles: np.ndarray | None = None
    nuclear: np.ndarray | None = None
    unsc: np.ndarray | None = None
    onset: np.ndarray | None = None

    def paths_of(self, outcome: str) -> np.ndarray | None:
        return {"launch_days": self.launch, "missiles": self.missiles,
                "nuclear_test": self.nuclear, "unsc_sanctions_resolution": self.unsc,
                "dialogue_onset": self.onset}.get(outcome)


def _onsets(regime: np.ndarray, start: int) -> np.ndarray:
    from detente.dynamics.priors import DIALOGUE

    d = regime == DIALOGUE
    prev = np.concatenate([np.full((d.shape[0], 1), start == DIALOGUE), d[:, :-1]], axis=1)
    return (d & ~prev).astype(np.int64)


def _seed_for(seed: int, k: int) -> int:
    return int(np.random.SeedSequence([int(seed), k]).generate_state(1)[0])


def _sample_paths(panel: pd.DataFrame, as_of: pd.Period, horizon: int, draws: int, seed: int,
                  fit_options: Mapping[str, Any]) -> tuple[list[_Paths], dict[str, Any]]:
    from detente.dynamics import fit, simulate
    from detente.dynamics.baselines import BASELINES
    from detente.dynamics.fit import TrainingWindow

    out, fits = [], {}
    for k, (variant, name) in enumerate((("full", MODEL), ("no_policy", NO_POLICY))):
        post = fit(panel, until=str(as_of), variant=variant, seed=seed, **fit_options)
        traj = simulate(post, months=horizon, draws=draws, seed=_seed_for(seed, k))
        fits[name] = {"variant": variant, "method": post.method, "first_month": post.first_month,
                      "until": post.until, "key": post.info.get("key"),
                      "converged": bool(post.info.get("converged", False)),
                      "divergences": int(post.info.get("divergences", 0))}
        out.append(_Paths(name, traj.launch_events, traj.launch_rate,
                          np.asarray(traj.concentration, dtype=float), traj.nuclear_prob,
                          missiles=traj.missiles, nuclear=traj.nuclear_test.astype(np.int64),
                          unsc=traj.unsc_resolution.astype(np.int64),
                          onset=_onsets(traj.regime, post.state.regime)))
    train = TrainingWindow(until=as_of).slice(panel)
    for k, (name, baseline) in enumerate(BASELINES.items(), start=2):
        fc = baseline(train, horizon, draws, _seed_for(seed, k))
        out.append(_Paths(name, fc.launch_events, fc.launch_rate,
                          np.broadcast_to(np.asarray(fc.concentration, dtype=float), (draws,)),
                          fc.nuclear_prob))
    return out, fits


# ----------------------------------------------------------------------------------------------
# answers


def _histogram(sample: np.ndarray) -> dict[str, list[int]]:
    values, counts = np.unique(np.asarray(sample, dtype=np.int64), return_counts=True)
    return {"values": values.tolist(), "counts": counts.tolist()}


def sample_of(forecast: Mapping[str, Any]) -> np.ndarray:
    """The draws of a count/quantity forecast, rebuilt from its histogram."""
    h = forecast["sample"]
    return np.repeat(np.asarray(h["values"], dtype=float), np.asarray(h["counts"], dtype=int))


def _empirical_pmf(sample: np.ndarray) -> tuple[list[float], float]:
    top = int(sample.max()) if sample.size else 0
    counts = np.bincount(sample.astype(np.int64), minlength=top + 1).astype(float)
    total = sample.size + 0.5 * (top + 2)
    return [_r(c) for c in (counts + 0.5) / total], _r(0.5 / total)


def _rb_pmf(rate: np.ndarray, conc: np.ndarray, top: int) -> tuple[list[float], float]:
    from detente.dynamics.scores import log_score_nb_mixture

    k = np.arange(top + 1)
    pmf = np.exp(-log_score_nb_mixture(k, np.broadcast_to(rate, (k.size, rate.size)),
                                       conc[None, :]))
    return [_r(p) for p in pmf], _r(max(0.0, 1.0 - float(pmf.sum())))


def _summary(sample: np.ndarray) -> dict[str, float]:
    q = np.quantile(sample, [0.1, 0.5, 0.9], method="inverted_cdf")
    return {"mean": _r(sample.mean()), "q10": float(q[0]), "q50": float(q[1]),
            "q90": float(q[2])}


def _base_rate(q: DatedQuestion, train_series: pd.Series) -> dict[str, Any] | None:
    if (q.at_least or 1) != 1:
        return None
    known = train_series.dropna()
    k, n = int((known > 0).sum()), int(known.size)
    if n == 0:  # the training window never observed the outcome: no base rate
        return None
    p_month = (k + 0.5) / (n + 1.0)
    w = len(q.months)
    return {"p": _r(1.0 - (1.0 - p_month) ** w), "method": "base rate",
            "base_rate": {"event_months": k, "months": n}}


def _answer(q: DatedQuestion, src: _Paths, cols: slice,
            train_series: pd.Series) -> dict[str, Any] | None:
    paths = src.paths_of(q.outcome)
    if q.type == "binary":
        if q.outcome == "nuclear_test" and (q.at_least or 1) == 1:
            p = float(np.mean(1.0 - np.prod(1.0 - src.nuclear_prob[:, cols], axis=1)))
            return {"p": _r(p), "method": "paths (Rao-Blackwellised)"}
        if paths is not None:
            hits = int((paths[:, cols].sum(axis=1) >= (q.at_least or 1)).sum())
            return {"p": _r((hits + 0.5) / (paths.shape[0] + 1.0)), "method": "paths"}
        return _base_rate(q, train_series)
    if paths is None:
        return None
    sample = paths[:, cols].sum(axis=1)
    out: dict[str, Any] = {"sample": _histogram(sample), **_summary(sample)}
    if q.type == "count":
        if q.outcome == "launch_days":
            days = pd.Period(q.window_start, freq="M").days_in_month
            pmf, tail = _rb_pmf(src.rate[:, cols.start], src.conc, days)
            out.update(pmf=pmf, pmf_tail=tail, method="paths (NB2 mixture pmf)")
        else:
            pmf, tail = _empirical_pmf(sample)
            out.update(pmf=pmf, pmf_tail=tail, method="paths (sample pmf)")
    else:
        out["method"] = "paths"
    return out


def _ensemble(q: DatedQuestion, members: list[dict[str, Any]]) -> dict[str, Any] | None:
    from detente.dynamics.backtest import stacking_weights

    if not members:
        return None
    w = stacking_weights(np.zeros((0, len(members))))  # no month after as-of: equal weights
    if q.type == "binary":
        return {"p": _r(float(np.dot(w, [m["p"] for m in members]))),
                "method": f"equal-weight mean of {len(members)} forecasters"}
    sample = np.concatenate([sample_of(m) for m in members])
    out: dict[str, Any] = {"sample": _histogram(sample), **_summary(sample),
                           "method": f"equal-weight mixture of {len(members)} forecasters"}
    if q.type == "count":
        top = max(len(m["pmf"]) for m in members)
        pmf = np.zeros(top)
        for wk, m in zip(w, members, strict=True):
            pmf[: len(m["pmf"])] += wk * np.asarray(m["pmf"])
        out.update(pmf=[_r(p) for p in pmf],
                   pmf_tail=_r(float(np.dot(w, [m["pmf_tail"] for m in members]))))
    return out


# ----------------------------------------------------------------------------------------------
# the record


@dataclass(frozen=True)
class FrozenRecord:
    """A sealed set of forecasts (:meth:`to_dict` is the portable file's content)."""

    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def sha256(self) -> str:
        return str(self.data["sha256"])

    @property
    def as_of(self) -> str:
        return str(self.data["as_of"])

    @property
    def questions(self) -> list[DatedQuestion]:
        return [DatedQuestion.from_dict(d) for d in self.data["questions"]]

    def forecast(self, question_id: str, forecaster: str) -> dict[str, Any] | None:
        return self.data["forecasts"][question_id].get(forecaster)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.data))

    def to_bytes(self) -> bytes:
        """The portable file's bytes (sorted keys, fixed indentation; same record, same bytes)."""
        return (json.dumps(self.data, sort_keys=True, indent=1, ensure_ascii=False,
                           allow_nan=False) + "\n").encode("utf-8")

    def to_frame(self) -> pd.DataFrame:
        """One row per question and forecaster: the probability, or mean and 80 % interval."""
        rows = []
        for q in self.data["questions"]:
            for name in self.data["forecasters"]:
                fc = self.data["forecasts"][q["id"]].get(name)
                rows.append({"question": q["id"], "type": q["type"],
                             "window_start": q["window_start"], "window_end": q["window_end"],
                             "forecaster": name,
                             "p": None if fc is None else fc.get("p"),
                             "mean": None if fc is None else fc.get("mean"),
                             "q10": None if fc is None else fc.get("q10"),
                             "q90": None if fc is None else fc.get("q90"),
                             "method": None if fc is None else fc.get("method")})
        return pd.DataFrame(rows)


def freeze(questions: QuestionSet | str | os.PathLike[str] | None = None, *,
           as_of: str, panel: pd.DataFrame | None = None,
           frames: Mapping[str, pd.DataFrame] | None = None, draws: int = DEFAULT_DRAWS,
           seed: int = 0, method: str = "nuts", chains: int = 2, warmup: int = 500,
           samples: int = 500, evidence_files: str | None = None) -> FrozenRecord:
    """Fit on the months up to ``as_of``, answer every question, and seal the record.

    Parameters
    ----------
    questions : QuestionSet or path, optional
        Default: the shipped Korea set (:func:`~detente.forecasts.question.load_questions`).
    as_of : str
        Last month the forecasters may see, ``YYYY-MM``.
    panel, frames : optional
        The monthly panel and the event frames (:func:`detente.forecasts.resolve.
        evidence_inputs`, the default); only rows up to ``as_of`` are read.
    draws : int
        Sample paths per forecaster (module docstring: Monte Carlo error).
    seed : int
        Root seed of the fits, simulations and baselines; recorded.
    method, chains, warmup, samples
        Fit settings of :func:`detente.dynamics.fit` (NUTS by default, the headline fit).
    evidence_files : str, optional
        Hash of the evidence files; default :func:`detente.evidence.data_hash` when the panel is
        the real one (``panel=None``), else None.

    Raises
    ------
    OptionsError
        Bad options, an as-of month outside the panel, or a window not after ``as_of``.
    """
    from detente.options import check_arguments, constraint

    check_arguments("invalid freeze options", {
        "draws": (draws, constraint(interval=(100, 1_000_000), integer=True)),
        "seed": (seed, constraint(interval=(0, 2**32 - 1), integer=True)),
    })
    try:
        origin = pd.Period(as_of, freq="M")
    except (ValueError, TypeError):
        raise OptionsError("bad as-of month", [Problem(
            f"{as_of!r} is not a month", path="--as-of", allowed="YYYY-MM, e.g. 2025-12")]) \
            from None
    qset = questions if isinstance(questions, QuestionSet) else load_questions(questions)
    dated = date_questions(qset, origin)
    if panel is None:
        from detente import evidence
        from detente.forecasts.resolve import evidence_inputs

        panel, real_frames = evidence_inputs()
        frames = real_frames if frames is None else frames
        evidence_files = evidence_files or evidence.data_hash()
    if not isinstance(panel.index, pd.PeriodIndex) or origin not in panel.index:
        span = (f"{panel.index.min()} … {panel.index.max()}"
                if isinstance(panel.index, pd.PeriodIndex) and len(panel) else "none")
        raise OptionsError("the as-of month is not in the data", [Problem(
            f"as-of {origin} is not a month of the panel ({span})", path="--as-of",
            allowed="a month of the record")])
    horizon = max(int((pd.Period(q.window_end, freq="M") - origin).n) for q in dated)
    fit_options = {"method": method, "chains": chains, "warmup": warmup, "samples": samples}
    sources, fits = _sample_paths(panel, origin, horizon, int(draws), int(seed), fit_options)
    train = panel.loc[panel.index <= origin]
    series = {o: outcome_series(o, train, frames) for o in {q.outcome for q in dated}}

    names = forecasters()
    forecasts: dict[str, dict[str, Any]] = {}
    for q in dated:
        first = int((pd.Period(q.window_start, freq="M") - origin).n) - 1
        last = int((pd.Period(q.window_end, freq="M") - origin).n) - 1
        cols = slice(first, last + 1)
        answers = {src.name: _answer(q, src, cols, series[q.outcome]) for src in sources}
        answers[ENSEMBLE] = _ensemble(q, [a for a in answers.values() if a is not None])
        forecasts[q.id] = {n: answers[n] for n in names if answers.get(n) is not None}

    from detente import __version__

    lock = lock_hash()
    record: dict[str, Any] = {
        "format": FORMAT,
        "id": f"{KIND}-{origin}-{qset.id}-seed{int(seed)}",
        "as_of": str(origin),
        "question_set": {"id": qset.id, "title": qset.title},
        "questions": [q.to_dict() for q in dated],
        "forecasters": list(names),
        "forecasts": forecasts,
        "settings": {"draws": int(draws), "seed": int(seed), **fit_options,
                     "horizon_months": horizon,
                     "mc_error_binary_max": _r(0.5 / math.sqrt(int(draws))),
                     "ensemble": "stacking weights with no observation after as-of: equal"},
        "fits": fits,
        "hashes": {"data": training_data_hash(panel, origin, frames),
                   "evidence_files": evidence_files,
                   "model_source": model_source_hash(),
                   "lock": lock,
                   "lock_note": None if lock is not None else
                   "requirements.lock not found beside the package (installed without it)"},
        "detente_version": __version__,
    }
    record["sha256"] = content_hash(record)
    return FrozenRecord(json.loads(json.dumps(record, allow_nan=False)))


# ----------------------------------------------------------------------------------------------
# writing, verifying, storing


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: ``ok`` when the stored hash equals the recomputed one."""

    path: str
    ok: bool
    reason: str
    stored: str | None = None
    computed: str | None = None
    record_id: str | None = None
    model_source_current: bool | None = None
    lock_current: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def write_record(record: FrozenRecord, path: str | os.PathLike[str]) -> Path:
    """Write the portable file atomically; an existing file is never overwritten unless it
    already holds these exact bytes.

    Raises
    ------
    OptionsError
        ``path`` exists with other content (a frozen record is immutable).
    """
    from detente._io import atomic_write

    target = Path(path)
    data = record.to_bytes()
    if target.exists():
        try:
            same = target.read_bytes() == data
        except OSError:
            same = False
        if same:
            return target
        raise OptionsError(f"{target} exists and is not this record", [Problem(
            "a frozen record is never overwritten", file=str(target), path="--out",
            allowed="a new file name (or remove the old file yourself)")])
    try:
        return atomic_write(target, data)
    except OSError as exc:
        raise OptionsError(f"cannot write {target}", [Problem(
            exc.strerror or type(exc).__name__, file=str(target), path="--out",
            allowed="a writable folder")]) from None


def verify(path: str | os.PathLike[str]) -> Verification:
    """Recompute a portable record's SHA-256 and compare it with the one it carries."""
    p = str(path)
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Verification(p, False, f"unreadable: {reason}"[:300])
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return Verification(p, False, f"not a frozen forecast record (format {FORMAT} expected)")
    stored = data.get("sha256")
    if not isinstance(stored, str):
        return Verification(p, False, "the record carries no sha256")
    try:
        computed = content_hash(data)
    except (TypeError, ValueError) as exc:
        return Verification(p, False, f"unreadable content: {exc}"[:300], stored)
    hashes = data.get("hashes") if isinstance(data.get("hashes"), dict) else {}
    current = {"model_source_current": hashes.get("model_source") == model_source_hash(),
               "lock_current": hashes.get("lock") == lock_hash()}
    if computed != stored:
        return Verification(p, False, "tampered: the content's SHA-256 is not the one recorded",
                            stored, computed, str(data.get("id")), **current)
    return Verification(p, True, "intact", stored, computed, str(data.get("id")), **current)


def shipped_record_path():  # -> Traversable
    """The record shipped with détente: the default questions frozen as of 2025-12."""
    return resources.files("detente.forecasts").joinpath("records", "forecasts-2025-12.json")


def read_record(path: str | os.PathLike[str] | None = None) -> FrozenRecord:
    """Read and verify a portable record (default: the shipped one).

    Raises
    ------
    OptionsError
        The file is unreadable or tampered (the reason).
    """
    if path is None:
        target = shipped_record_path()
        with resources.as_file(target) as real:
            return read_record(real)
    check = verify(path)
    if not check.ok:
        raise OptionsError(f"{path} is not an intact frozen record", [Problem(
            check.reason, file=str(path), path="RECORD",
            allowed="a file written by `detente forecasts freeze`, unchanged")])
    return FrozenRecord(json.loads(Path(path).read_bytes().decode("utf-8")))


DOCUMENT = "frozen-record"


def store_record(record: FrozenRecord, store: Any = None, *, command: str | None = None) -> str:
    """Keep the record as a run of kind ``frozen-forecast`` (its id is the record's id).

    Storing the same record again is a no-op; a record whose id is already stored with other
    content is refused: a frozen record is immutable.

    Raises
    ------
    OptionsError
        The id is taken by different content.
    """
    from detente.runs.store import DOCUMENTS_TABLE, RunStore, canonical_json

    owned = not isinstance(store, RunStore)
    st = RunStore(store) if owned else store
    try:
        existing = st.list(kind=KIND)
        if record.id in set(existing["id"]):
            old = stored_record(record.id, st)
            if old is not None and old.sha256 == record.sha256 and content_hash(
                    old.data) == record.sha256:
                return record.id
            raise OptionsError(f"frozen record {record.id} is already stored with other content",
                               [Problem("a frozen record is never changed", file=str(st.path),
                                        path="RUN_ID", allowed="another seed or as-of month, "
                                        "or another question set id")])
        rid = st.create_run(kind=KIND, command=command or "detente.forecasts.freeze(...)",
                            seed=int(record.data["settings"]["seed"]),
                            params={"as_of": record.as_of, "sha256": record.sha256,
                                    "question_set": record.data["question_set"]["id"]},
                            run_id=record.id)
        try:
            st.add_table(rid, DOCUMENTS_TABLE, pd.DataFrame(
                {"name": [DOCUMENT], "json": [canonical_json(record.data)]}))
            st.add_table(rid, "forecasts", record.to_frame())
        except BaseException:
            st.finish_run(rid, "failed", error="the record could not be stored whole")
            raise
        st.finish_run(rid, "done")
        return rid
    finally:
        if owned:
            st.close()


def stored_record(run_id: str, store: Any = None) -> FrozenRecord | None:
    """The frozen record kept as run ``run_id``, or None when the run keeps none."""
    from detente.runs.store import RunStore, read_document

    owned = not isinstance(store, RunStore)
    st = RunStore(store, read_only=True) if owned else store
    try:
        try:
            return FrozenRecord(read_document(st, run_id, DOCUMENT))
        except OptionsError:
            return None
    finally:
        if owned:
            st.close()
