"""A frozen record's hash covers every forecast, datum and model file; verify catches a
tampered file; neither the store nor the portable file lets a frozen record change."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest

from detente.errors import OptionsError
from detente.forecasts import (
    FrozenRecord,
    freeze,
    model_source_hash,
    read_record,
    store_record,
    stored_record,
    verify,
    write_record,
)
from detente.forecasts.freeze import content_hash, training_data_hash
from tests.forecasts.conftest import AS_OF, DRAWS, FIT


def test_the_hash_covers_the_content_and_same_seed_gives_same_bytes(frozen, full_panel,
                                                                    questions):
    assert content_hash(frozen.data) == frozen.sha256
    again = freeze(questions, as_of=AS_OF, panel=full_panel.loc[:AS_OF].copy(), frames={},
                   draws=DRAWS, seed=5, **FIT)
    assert again.to_bytes() == frozen.to_bytes()
    # months after the as-of month are not read: the record is the same with the future in
    later = freeze(questions, as_of=AS_OF, panel=full_panel, frames={}, draws=DRAWS, seed=5,
                   **FIT)
    assert later.sha256 == frozen.sha256
    # any forecast changed changes the hash
    data = frozen.to_dict()
    data["forecasts"]["nuclear-12m"]["model"]["p"] += 0.01
    assert content_hash(data) != frozen.sha256
    data = frozen.to_dict()
    data["forecasts"]["days-m1"]["climatology"]["sample"]["counts"][0] += 1
    assert content_hash(data) != frozen.sha256
    for key in ("data", "model_source", "lock"):
        data = frozen.to_dict()
        data["hashes"][key] = "0" * 64
        assert content_hash(data) != frozen.sha256


def test_a_changed_datum_changes_the_data_hash_and_the_record(frozen, full_panel, questions):
    past = full_panel.loc[:AS_OF].copy()
    before = training_data_hash(past, past.index[-1], {})
    for column in ("launch_events", "missiles"):  # one more launch day (and missile)
        past.iloc[100, past.columns.get_loc(column)] += 1
    assert training_data_hash(past, past.index[-1], {}) != before
    changed = freeze(questions, as_of=AS_OF, panel=past, frames={}, draws=DRAWS, seed=5, **FIT)
    assert changed.data["hashes"]["data"] != frozen.data["hashes"]["data"]
    assert changed.sha256 != frozen.sha256


def test_a_changed_model_file_changes_the_model_hash(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_model_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text("RATE = 1\n")
    (pkg / "notes.txt").write_text("not source")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = model_source_hash(("fake_model_pkg",))
    (pkg / "notes.txt").write_text("changed, but not a .py file")
    assert model_source_hash(("fake_model_pkg",)) == before
    (pkg / "model.py").write_text("RATE = 2\n")
    assert model_source_hash(("fake_model_pkg",)) != before
    sys.modules.pop("fake_model_pkg", None)
    assert len(model_source_hash()) == 64


def test_verify_catches_a_tampered_or_unreadable_file(frozen, tmp_path):
    path = write_record(frozen, tmp_path / "forecasts.json")
    check = verify(path)
    assert check.ok and check.stored == frozen.sha256 and check.model_source_current
    assert read_record(path).sha256 == frozen.sha256
    text = path.read_text()
    p = frozen.forecast("nuclear-12m", "model")["p"]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(text.replace(f'"p": {json.dumps(p)}', f'"p": {json.dumps(p / 2)}', 1))
    assert tampered.read_text() != text
    check = verify(tampered)
    assert not check.ok and "tampered" in check.reason and check.computed != check.stored
    with pytest.raises(OptionsError) as err:
        read_record(tampered)
    assert "tampered" in err.value.problems[0].message
    for name, body in (("empty.json", ""), ("list.json", "[1]"), ("bin.json", b"\xff\xfe")):
        bad = tmp_path / name
        bad.write_bytes(body if isinstance(body, bytes) else body.encode())
        assert not verify(bad).ok
    assert "unreadable" in verify(tmp_path / "missing.json").reason
    nosha = frozen.to_dict()
    del nosha["sha256"]
    (tmp_path / "nosha.json").write_text(json.dumps(nosha))
    assert "no sha256" in verify(tmp_path / "nosha.json").reason


def test_the_portable_file_is_never_overwritten(frozen, tmp_path):
    path = write_record(frozen, tmp_path / "f.json")
    write_record(frozen, path)  # identical bytes: fine
    other = FrozenRecord({**frozen.to_dict(), "as_of": "1999-01"})
    with pytest.raises(OptionsError) as err:
        write_record(other, path)
    assert "never overwritten" in err.value.problems[0].message
    assert verify(path).ok


def test_the_store_refuses_to_change_a_frozen_record(frozen, tmp_path):
    from detente.runs.store import RunStore

    store = tmp_path / "runs.duckdb"
    rid = store_record(frozen, store)
    assert rid == frozen.id
    assert store_record(frozen, store) == rid  # the same record again: a no-op
    data = frozen.to_dict()
    data["forecasts"]["nuclear-12m"]["model"]["p"] = 0.5
    data["sha256"] = content_hash(data)  # a consistent, but different, record under the id
    with pytest.raises(OptionsError) as err:
        store_record(FrozenRecord(data), store)
    assert "never changed" in err.value.problems[0].message
    kept = stored_record(rid, store)
    assert kept is not None and kept.to_bytes() == frozen.to_bytes()
    with RunStore(store, read_only=True) as st:
        runs = st.list(kind="frozen-forecast")
        assert list(runs["id"]) == [rid] and runs["status"].iloc[0] == "done"
        assert set(st.table(rid, "forecasts")["question"]) == {q.id for q in frozen.questions}
    # the store itself refuses every write to the finished record, whoever calls it
    with RunStore(store) as st:
        for write in (lambda: st.add_table(rid, "forecasts", pd.DataFrame({"x": [1]})),
                      lambda: st.finish_run(rid, "failed"), lambda: st.reopen_run(rid)):
            with pytest.raises(OptionsError) as err:
                write()
            assert "never changed" in str(err.value)
    assert stored_record(rid, store).to_bytes() == frozen.to_bytes()


def test_the_data_hash_does_not_depend_on_int_or_float_storage(full_panel):
    past = full_panel.loc[:AS_OF]
    as_float = past.astype({"launch_events": float, "missiles": float})
    assert training_data_hash(past, past.index[-1], {}) == training_data_hash(
        as_float, past.index[-1], {})
