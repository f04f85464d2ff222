"""mag7_lstm.persistence: save to the ObjectStore, load as of a date, same predictions, store checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from models.mag7_lstm.model import lstm_scores
from models.mag7_lstm.persistence import load_as_of, model_timeline, save_trained
from models.store import ModelIntegrityError, ModelNotFoundError, ModelTimeline

from qclocal.object_store import ObjectStore


def test_round_trip_as_of_and_manifest(tmp_path, tiny_model, tiny_market):
    store = ObjectStore(tmp_path)
    key = save_trained(store, tiny_model)
    cutoff = tiny_model.cutoff.isoformat()
    assert key == f"mag7_lstm/{cutoff}/manifest.json"
    assert [store.contains_key(f"mag7_lstm/{cutoff}/member_{k}.keras") for k in range(3)] == [True, True, False]
    manifest = json.loads(store.read(key))
    assert manifest["feature_names"] == ["return", "macd_hist", "bb_width", "psar_dist"]
    assert manifest["train_window"][1] < cutoff <= manifest["validation_window"][0]
    assert manifest["hyperparameters"]["arch"] == "small" and manifest["hyperparameters"]["member_seeds"] == [1, 2]
    days = tiny_market["AAA"].index
    when = days[days > np.datetime64(tiny_model.cutoff)][3]
    loaded = load_as_of(store, when.to_pydatetime(), log=lambda _: None)
    assert loaded.cutoff == tiny_model.cutoff and loaded.train_window == tiny_model.train_window
    assert len(loaded.networks) == 2 and loaded.member_seeds == [1, 2]
    np.testing.assert_allclose(lstm_scores(loaded, tiny_market, when).to_numpy(),
                               lstm_scores(tiny_model, tiny_market, when).to_numpy(), rtol=1e-6)
    # never on the cutoff date itself, nor before it
    with pytest.raises(ModelNotFoundError, match="would look ahead"):
        model_timeline(store, log=lambda _: None).as_of(tiny_model.cutoff)
    # a timeline expecting other features refuses the model
    with pytest.raises(ModelIntegrityError, match="features"):
        ModelTimeline(store, "mag7_lstm", feature_names=["return"], log=lambda _: None).as_of(when)
