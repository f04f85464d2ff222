"""The model store: save/load round trips, as-of rule, integrity checks, atomic saves, listing."""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from models.store import (
    TRAIN_COMMANDS,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelTimeline,
    clean_incomplete,
    delete_model,
    list_timelines,
    load_as_of,
    save_model,
)
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from qclocal.object_store import ObjectStore

FEATURES = ["ret_5", "ret_21", "vol_21"]


class LeanLikeStore:
    """Mimics LEAN's LocalObjectStore: values live in memory; get_file_path materialises a file and
    save(key) reads it back.

    ``keys`` is a one-shot iterator (like a .NET collection seen from Python), not a list.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.data: dict[str, bytes] = {}
        self.reads = 0

    @property
    def keys(self):
        return iter(list(self.data))

    def contains_key(self, key: str) -> bool:
        return key in self.data

    def get_file_path(self, key: str) -> str:
        path = self.folder / key.replace("/", "__")
        if key in self.data:
            path.write_bytes(self.data[key])
        return str(path)

    def save(self, key: str) -> bool:
        self.data[key] = (self.folder / key.replace("/", "__")).read_bytes()
        return True

    def save_bytes(self, key: str, data: bytes) -> bool:
        self.data[key] = bytes(data)
        return True

    def save_string(self, key: str, text: str) -> bool:
        return self.save_bytes(key, text.encode())

    def read_bytes(self, key: str) -> bytes:
        self.reads += 1
        return self.data[key]

    def read(self, key: str) -> str:
        self.reads += 1
        return self.data[key].decode()

    def delete(self, key: str) -> bool:
        return self.data.pop(key, None) is not None


@pytest.fixture
def store(tmp_path) -> ObjectStore:
    return ObjectStore(tmp_path / "storage")


def fitted_sklearn(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] - 0.5 * X[:, 2] + rng.normal(scale=0.3, size=200) > 0).astype(int)
    scaler = StandardScaler().fit(X)
    return scaler, LogisticRegression().fit(scaler.transform(X), y), X


def save_sklearn(store, strategy: str, cutoff: date, seed: int = 0, **kwargs) -> str:
    scaler, model, _ = fitted_sklearn(seed)
    defaults = dict(
        feature_names=FEATURES,
        train_window=(date(2010, 1, 4), cutoff - timedelta(days=10)),
        validation_window=(cutoff, cutoff + timedelta(days=90)),
        hyperparameters={"C": 1.0, "seed": np.int64(seed), "layers": (8, 4)},
        metrics={"accuracy": np.float64(0.61), "auc": float("nan")},
    )
    defaults.update(kwargs)
    return save_model(store, strategy, cutoff, {"model": model, "scaler": scaler}, **defaults)


def stored_files(store: ObjectStore) -> list[str]:
    return [k for k in store.keys]


# -- round trips ---------------------------------------------------------------------------------------------


def test_sklearn_round_trip_and_manifest(store):
    key = save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    assert key == "russell_qpi/2020-01-01/manifest.json"
    assert stored_files(store) == [
        "russell_qpi/2020-01-01/manifest.json",
        "russell_qpi/2020-01-01/model.joblib",
        "russell_qpi/2020-01-01/scaler.joblib",
    ]
    manifest = json.loads(store.read(key))
    assert manifest["strategy"] == "russell_qpi" and manifest["cutoff"] == "2020-01-01"
    assert manifest["feature_names"] == FEATURES
    assert manifest["train_window"] == ["2010-01-04", "2019-12-22"]
    assert manifest["validation_window"] == ["2020-01-01", "2020-03-31"]
    assert manifest["hyperparameters"] == {"C": 1.0, "seed": 0, "layers": [8, 4]}
    assert manifest["metrics"] == {"accuracy": 0.61, "auc": None}  # NaN is stored as null (strict JSON)
    assert set(manifest["versions"]) >= {"python", "tensorflow", "keras", "scikit-learn", "numpy", "pandas"}
    assert manifest["versions"]["numpy"] == np.__version__
    import hashlib

    for name in ("model", "scaler"):
        info = manifest["artifacts"][name]
        data = store.read_bytes(f"russell_qpi/2020-01-01/{info['file']}")
        assert info["format"] == "joblib" and info["sha256"] == hashlib.sha256(data).hexdigest()

    scaler, model, X = fitted_sklearn()
    loaded = load_as_of(store, "russell_qpi", date(2020, 6, 1), feature_names=FEATURES)
    assert loaded.cutoff == date(2020, 1, 1) and loaded.feature_names == FEATURES
    np.testing.assert_allclose(
        loaded["model"].predict_proba(loaded["scaler"].transform(X)), model.predict_proba(scaler.transform(X))
    )


def test_keras_round_trip(tmp_path):
    import keras

    store = LeanLikeStore(tmp_path)  # also proves the LEAN pattern get_file_path -> save(key) is followed
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.LSTM(3), keras.layers.Dense(1)])
    X = np.random.default_rng(0).normal(size=(5, 4, 3)).astype("float32")
    expected = model.predict(X, verbose=0)
    save_model(
        store,
        "mag7_lstm",
        date(2021, 1, 1),
        {"lstm": model, "scaler": StandardScaler().fit(X[:, -1, :])},
        feature_names=FEATURES,
        train_window=(date(2015, 1, 1), date(2020, 12, 31)),
        validation_window=None,
        hyperparameters={"units": 3},
        metrics={},
    )
    assert sorted(store.data) == [
        "mag7_lstm/2021-01-01/lstm.keras",
        "mag7_lstm/2021-01-01/manifest.json",
        "mag7_lstm/2021-01-01/scaler.joblib",
    ]
    loaded = load_as_of(store, "mag7_lstm", datetime(2021, 3, 1, 16, 0))
    assert isinstance(loaded["lstm"], keras.Model)
    assert loaded.manifest["artifacts"]["lstm"]["format"] == "keras"
    assert loaded.manifest["validation_window"] is None
    np.testing.assert_allclose(loaded["lstm"].predict(X, verbose=0), expected, rtol=1e-6)


# -- the as-of rule ------------------------------------------------------------------------------------------


def test_as_of_takes_newest_cutoff_strictly_before(store):
    for year in (2018, 2019, 2020):
        save_sklearn(store, "sector_rotation", date(year, 1, 1), seed=year)
    timeline = ModelTimeline(store, "sector_rotation")
    assert timeline.cutoffs() == [date(2018, 1, 1), date(2019, 1, 1), date(2020, 1, 1)]
    assert timeline.as_of(date(2020, 1, 1)).cutoff == date(2019, 1, 1)  # on the cutoff: not yet usable
    assert timeline.as_of(datetime(2020, 1, 1, 23, 59)).cutoff == date(2019, 1, 1)
    assert timeline.as_of(date(2020, 1, 2)).cutoff == date(2020, 1, 1)
    assert timeline.as_of("2030-05-05").cutoff == date(2020, 1, 1)
    with pytest.raises(ModelNotFoundError) as info:
        timeline.as_of(date(2018, 1, 1))
    assert "sector_rotation/2018-01-01/manifest.json" in str(info.value)
    assert TRAIN_COMMANDS["sector_rotation"] in str(info.value)


def test_missing_timeline_names_key_and_command(store):
    with pytest.raises(ModelNotFoundError) as info:
        load_as_of(store, "tqqq_leverage", date(2020, 1, 1))
    assert "tqqq_leverage/<YYYY-MM-DD>/manifest.json" in str(info.value)
    assert "qclocal research research/tqqq_leverage.ipynb" in str(info.value)
    with pytest.raises(ModelNotFoundError, match="qclocal research research/my_new_idea.ipynb"):
        load_as_of(store, "my_new_idea", date(2020, 1, 1))


def test_models_are_loaded_once_and_cached(tmp_path):
    store = LeanLikeStore(tmp_path)
    save_sklearn(store, "pairs_reversion", date(2019, 1, 1))
    save_sklearn(store, "pairs_reversion", date(2020, 1, 1), seed=1)
    timeline = ModelTimeline(store, "pairs_reversion")
    first = timeline.as_of(date(2019, 6, 1))
    reads = store.reads
    for day in range(2, 28):  # every bar of a month
        assert timeline.as_of(date(2019, 6, day)) is first
    assert store.reads == reads
    assert timeline.as_of(date(2020, 2, 1)).cutoff == date(2020, 1, 1)


def test_timeline_sees_models_saved_after_it_was_created(store):
    timeline = ModelTimeline(store, "mag7_lstm")
    with pytest.raises(ModelNotFoundError):
        timeline.as_of(date(2020, 6, 1))
    save_sklearn(store, "mag7_lstm", date(2020, 1, 1))
    assert timeline.as_of(date(2020, 6, 2)).cutoff == date(2020, 1, 1)  # a miss rescans (once per date)
    save_sklearn(store, "mag7_lstm", date(2020, 3, 1))
    assert timeline.as_of(date(2020, 6, 3)).cutoff == date(2020, 1, 1)  # a hit does not rescan ...
    timeline.refresh()
    assert timeline.as_of(date(2020, 6, 3)).cutoff == date(2020, 3, 1)  # ... refresh() does


@settings(max_examples=30, deadline=None)
@given(
    cutoffs=st.sets(st.dates(date(2015, 1, 1), date(2020, 12, 31)), min_size=1, max_size=5),
    whens=st.lists(
        st.one_of(
            st.dates(date(2014, 6, 1), date(2021, 6, 1)),
            st.datetimes(datetime(2014, 6, 1), datetime(2021, 6, 1)),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_property_never_returns_a_model_from_on_or_after_when(cutoffs, whens):
    with tempfile.TemporaryDirectory() as folder:
        store = ObjectStore(folder)
        for cutoff in cutoffs:
            save_model(
                store,
                "prop",
                cutoff,
                {"w": np.array([cutoff.toordinal()])},
                feature_names=["x"],
                train_window=(date(2000, 1, 1), cutoff - timedelta(days=1)),
                validation_window=None,
                hyperparameters={},
                metrics={},
            )
        timeline = ModelTimeline(store, "prop", feature_names=["x"])
        for when in whens:
            day = when.date() if isinstance(when, datetime) else when
            earlier = [c for c in cutoffs if c < day]
            if not earlier:
                with pytest.raises(ModelNotFoundError):
                    timeline.as_of(when)
                continue
            loaded = timeline.as_of(when)
            assert loaded.cutoff < day
            assert loaded.cutoff == max(earlier)
            assert loaded["w"][0] == loaded.cutoff.toordinal()  # the artifacts belong to that cutoff


# -- integrity -----------------------------------------------------------------------------------------------


def test_tampered_artifact_is_never_loaded(store):
    save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    load_as_of(store, "russell_qpi", date(2020, 2, 1))  # a good load first: its cache must not hide tampering
    path = Path(store.get_file_path("russell_qpi/2020-01-01/model.joblib"))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError) as info:
        load_as_of(store, "russell_qpi", date(2020, 2, 1))
    message = str(info.value)
    assert "russell_qpi/2020-01-01/model.joblib" in message and "modified" in message
    assert TRAIN_COMMANDS["russell_qpi"] in message


def test_truncated_and_missing_artifacts(store):
    save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    path = Path(store.get_file_path("russell_qpi/2020-01-01/scaler.joblib"))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ModelIntegrityError, match=r"russell_qpi/2020-01-01/scaler\.joblib.*40 bytes"):
        load_as_of(store, "russell_qpi", date(2020, 2, 1))
    store.delete("russell_qpi/2020-01-01/scaler.joblib")
    with pytest.raises(ModelIntegrityError, match=r"scaler\.joblib.*missing"):
        load_as_of(store, "russell_qpi", date(2020, 2, 1))


def test_broken_or_foreign_manifest(store):
    save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    key = "russell_qpi/2020-01-01/manifest.json"
    good = store.read(key)
    store.save_string(key, good[: len(good) // 2])
    with pytest.raises(ModelIntegrityError, match="manifest.json.*cannot be read as JSON"):
        load_as_of(store, "russell_qpi", date(2020, 2, 1))
    moved = json.loads(good)
    moved["cutoff"] = "2021-01-01"
    store.save_string(key, json.dumps(moved))
    with pytest.raises(ModelIntegrityError, match="not its own key"):
        load_as_of(store, "russell_qpi", date(2020, 2, 1))


def test_feature_mismatch_names_the_difference(store):
    save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    with pytest.raises(ModelIntegrityError) as info:
        load_as_of(store, "russell_qpi", date(2020, 2, 1), feature_names=["ret_5", "vol_21", "ret_21"])
    message = str(info.value)
    assert "russell_qpi/2020-01-01/manifest.json" in message
    assert "position 1: trained 'ret_21', computed 'vol_21'" in message


def test_version_difference_is_a_logged_warning(store):
    key = save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    manifest = json.loads(store.read(key))
    manifest["versions"]["scikit-learn"] = "0.24.2"
    store.save_string(key, json.dumps(manifest))
    logged: list[str] = []
    loaded = load_as_of(store, "russell_qpi", date(2020, 2, 1), log=logged.append)
    assert loaded.cutoff == date(2020, 1, 1)
    assert len(logged) == 1
    import sklearn

    assert logged[0].startswith("WARNING") and "scikit-learn 0.24.2" in logged[0]
    assert f"running {sklearn.__version__}" in logged[0] and key in logged[0]


# -- atomic saves --------------------------------------------------------------------------------------------


class FailingStore(ObjectStore):
    """Fails on the n-th save call (artifact via save(key) or manifest via save_string)."""

    def __init__(self, root, fail_at: int):
        super().__init__(root)
        self.calls, self.fail_at = 0, fail_at

    def _tick(self):
        self.calls += 1
        if self.calls == self.fail_at:
            raise OSError("disk full")

    def save(self, key, value=None):
        self._tick()
        return super().save(key, value)

    def save_string(self, key, text):
        self._tick()
        return super().save_string(key, text)


class RecordingStore(ObjectStore):
    def __init__(self, root):
        super().__init__(root)
        self.log: list[tuple[str, str]] = []

    def save(self, key, value=None):
        self.log.append(("save", key))
        return super().save(key, value)

    def save_string(self, key, text):
        self.log.append(("save", key))
        return super().save_string(key, text)

    def delete(self, key):
        self.log.append(("delete", key))
        return super().delete(key)


def test_save_order_old_manifest_first_new_manifest_last(tmp_path):
    store = RecordingStore(tmp_path)
    save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    assert store.log[-1] == ("save", "russell_qpi/2020-01-01/manifest.json")
    assert [op for op, _ in store.log] == ["save", "save", "save"]
    store.log.clear()
    save_sklearn(store, "russell_qpi", date(2020, 1, 1), seed=3)
    # the old manifest disappears before any old or new artifact is touched; the new one comes last
    assert store.log[0] == ("delete", "russell_qpi/2020-01-01/manifest.json")
    assert store.log[-1] == ("save", "russell_qpi/2020-01-01/manifest.json")
    assert sum(key.endswith("manifest.json") for _, key in store.log) == 2


@pytest.mark.parametrize("fail_at", [1, 2, 3])  # first artifact, second artifact, manifest
def test_failed_save_leaves_nothing_behind(tmp_path, fail_at):
    store = FailingStore(tmp_path, fail_at=10)
    save_sklearn(store, "russell_qpi", date(2019, 1, 1))
    store.calls, store.fail_at = 0, fail_at
    with pytest.raises(OSError, match="disk full"):
        save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    assert [k for k in store.keys if "2020-01-01" in k] == []
    assert load_as_of(store, "russell_qpi", date(2021, 1, 1)).cutoff == date(2019, 1, 1)


def test_unserialisable_input_fails_before_touching_the_store(store):
    save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    before = {k: store.read_bytes(k) for k in store.keys}
    with pytest.raises(TypeError, match="'bad'.*joblib"):
        save_model(
            store,
            "russell_qpi",
            date(2020, 1, 1),
            {"ok": [1, 2], "bad": lambda x: x},
            feature_names=FEATURES,
            train_window=(date(2010, 1, 1), date(2019, 12, 1)),
            validation_window=None,
            hyperparameters={},
            metrics={},
        )
    with pytest.raises(TypeError, match=r"metrics\.fn"):
        save_sklearn(store, "russell_qpi", date(2020, 1, 1), metrics={"fn": object()})
    assert {k: store.read_bytes(k) for k in store.keys} == before


def test_resave_replaces_and_leaves_no_stale_artifacts(store):
    save_sklearn(store, "russell_qpi", date(2020, 1, 1))
    save_model(
        store,
        "russell_qpi",
        date(2020, 1, 1),
        {"gbm": {"weights": [1, 2, 3]}},
        feature_names=["a"],
        train_window=(date(2015, 1, 1), date(2019, 12, 31)),
        validation_window=None,
        hyperparameters={},
        metrics={"auc": 0.7},
    )
    assert stored_files(store) == [
        "russell_qpi/2020-01-01/gbm.joblib",
        "russell_qpi/2020-01-01/manifest.json",
    ]
    assert load_as_of(store, "russell_qpi", date(2020, 1, 2))["gbm"] == {"weights": [1, 2, 3]}


def test_interrupted_save_is_ignored_warned_and_cleanable(store):
    save_sklearn(store, "russell_qpi", date(2019, 1, 1))
    store.save_bytes("russell_qpi/2020-01-01/model.joblib", b"half")  # a crash before the manifest
    logged: list[str] = []
    timeline = ModelTimeline(store, "russell_qpi", log=logged.append)
    assert timeline.as_of(date(2020, 6, 1)).cutoff == date(2019, 1, 1)
    assert timeline.as_of(date(2020, 6, 2)).cutoff == date(2019, 1, 1)
    assert len(logged) == 1 and "russell_qpi/2020-01-01/" in logged[0] and "no manifest.json" in logged[0]
    assert clean_incomplete(store) == ["russell_qpi/2020-01-01/model.joblib"]
    assert delete_model(store, "russell_qpi", date(2019, 1, 1))[0].endswith("manifest.json")
    assert list(store.keys) == []


def test_save_rejects_bad_arguments(store):
    with pytest.raises(ValueError, match="on or after the cutoff"):
        save_sklearn(
            store, "russell_qpi", date(2020, 1, 1), train_window=(date(2010, 1, 1), date(2020, 1, 1))
        )
    with pytest.raises(ValueError, match="artifact name 'model.pkl'"):
        save_model(
            store,
            "x",
            date(2020, 1, 1),
            {"model.pkl": 1},
            feature_names=[],
            train_window=(date(2019, 1, 1), date(2019, 2, 1)),
            validation_window=None,
            hyperparameters={},
            metrics={},
        )
    with pytest.raises(ValueError, match="strategy must be a folder-safe name"):
        save_sklearn(store, "a/b", date(2020, 1, 1))
    with pytest.raises(ValueError, match="duplicates"):
        save_sklearn(store, "x", date(2020, 1, 1), feature_names=["a", "a"])
    assert list(store.keys) == []


# -- listing and CLI -----------------------------------------------------------------------------------------


def test_list_timelines(store):
    save_sklearn(store, "sector_rotation", date(2019, 1, 1))
    save_sklearn(store, "sector_rotation", date(2020, 1, 1))
    save_sklearn(store, "mag7_lstm", date(2020, 1, 1))
    store.save_bytes("mag7_lstm/2021-01-01/lstm.keras", b"x")
    store.save_string("notes/readme.txt", "not a model")
    listing = list_timelines(store)
    assert [t["strategy"] for t in listing] == ["mag7_lstm", "sector_rotation"]
    mag7 = listing[0]
    assert mag7["incomplete"] == ["2021-01-01"] and mag7["train_command"] == TRAIN_COMMANDS["mag7_lstm"]
    (model,) = mag7["models"]
    assert model["cutoff"] == "2020-01-01" and model["metrics"]["accuracy"] == 0.61
    assert model["features"] == 3 and model["status"] == "present" and model["version_mismatches"] == {}
    assert [m["cutoff"] for m in list_timelines(store, "sector_rotation")[0]["models"]] == [
        "2019-01-01",
        "2020-01-01",
    ]
    Path(store.get_file_path("sector_rotation/2020-01-01/model.joblib")).write_bytes(b"tampered")
    statuses = [m["status"] for m in list_timelines(store, "sector_rotation", verify=True)[0]["models"]]
    assert statuses == ["ok", "corrupt sector_rotation/2020-01-01/model.joblib"]
    assert list_timelines(store, "nothing") == []


def test_cli_models_list(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from qclocal.models_cli import models

    workspace = tmp_path / "ws"
    (workspace / "algorithms").mkdir(parents=True)
    (workspace / "lean.json").write_text("{}")
    store = ObjectStore(workspace / "storage")
    save_sklearn(store, "sector_rotation", date(2020, 1, 1))
    monkeypatch.chdir(workspace / "algorithms")  # the workspace is found by walking up to lean.json
    result = CliRunner().invoke(models, ["list"])
    assert result.exit_code == 0, result.output
    assert "sector_rotation" in result.output and "2020-01-01" in result.output
    assert "accuracy=0.61" in result.output and "2010-01-04..2019-12-22" in result.output
    missing = CliRunner().invoke(models, ["list", "tqqq_leverage"])
    assert missing.exit_code == 1 and TRAIN_COMMANDS["tqqq_leverage"] in missing.output
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    explicit = CliRunner().invoke(models, ["list", "--object-store", str(workspace / "storage"), "--verify"])
    assert explicit.exit_code == 0 and " ok " in explicit.output
    assert CliRunner().invoke(models, ["list"]).exit_code != 0  # no lean.json above, no --object-store
