"""Model store round trip, as-of loading, and a corrupt or foreign model stopping with a clear error."""

from __future__ import annotations

import json

import pytest
from models.store import ModelIntegrityError, ModelNotFoundError, save_model
from models.tqqq_leverage.model import predict_frame, predict_next
from models.tqqq_leverage.persistence import LeveragePredictor, load_for_prediction, save_trained
from models.tqqq_leverage.training import train

from qclocal.object_store import ObjectStore


def test_round_trip_predicts_the_same(tmp_path, planted, planted_model):
    store = ObjectStore(tmp_path)
    key = save_trained(store, planted_model)
    assert key == "tqqq_leverage/2015-01-01/manifest.json"
    manifest = json.loads(store.read(key))
    assert manifest["feature_names"] == list(planted_model.feature_names)
    assert set(manifest["artifacts"]) == {"model", "scaler"}
    assert manifest["extra"]["variant"] == "compact" and manifest["hyperparameters"]["training"]["batch_size"] == 64
    loaded = load_for_prediction(store, "2015-01-02", log=lambda _: None)
    inputs = planted.inputs.iloc[1500:2000]
    original, reloaded = predict_frame(planted_model, inputs), predict_frame(loaded, inputs)
    assert reloaded.dropna().shape[0] > 100
    assert (reloaded.dropna() - original.dropna()).abs().max().max() < 1e-7
    assert loaded.train_window == planted_model.train_window and loaded.cutoff == planted_model.cutoff


def test_models_are_used_only_after_their_cutoff(tmp_path, planted, planted_model):
    store = ObjectStore(tmp_path)
    save_trained(store, planted_model)  # compact, cutoff 2015-01-01
    key = save_trained(store, train(planted.inputs, "2013-01-01", variant="baseline"))
    assert key == "tqqq_leverage_baseline/2013-01-01/manifest.json"  # each variant has its own timeline
    predictor = LeveragePredictor(store, log=lambda _: None)
    with pytest.raises(ModelNotFoundError, match="before 2015-01-01"):
        predictor.model_for("2015-01-01")  # the cutoff day itself is not after it
    assert predictor.model_for("2015-01-02").variant == "compact"
    baseline = LeveragePredictor(store, variant="baseline", log=lambda _: None)
    assert baseline.model_for("2014-06-02").variant == "baseline"
    with pytest.raises(ModelNotFoundError, match="before 2013-01-01.*--parameter variants baseline"):
        baseline.model_for("2013-01-01")
    history = planted.inputs.loc[:"2016-03-01"]
    prediction = predictor.predict(history, "2016-03-02")
    assert prediction.leverage == pytest.approx(predict_next(planted_model, history).leverage, rel=1e-6)
    with pytest.raises(ValueError, match="not before the session 2016-03-01 being predicted"):
        predictor.predict(history, "2016-03-01")


def test_corrupt_model_file_stops_with_the_key_and_the_command(tmp_path, planted_model):
    store = ObjectStore(tmp_path)
    save_trained(store, planted_model)
    path = tmp_path / "tqqq_leverage" / "2015-01-01" / "model.keras"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelIntegrityError, match=r"tqqq_leverage/2015-01-01/model.keras.*truncated or modified"
                                                  r".*qclocal research research/tqqq_leverage.ipynb"):
        load_for_prediction(store, "2016-01-04", log=lambda _: None)


def test_a_model_saved_by_someone_else_is_rejected(tmp_path, planted_model):
    store = ObjectStore(tmp_path)
    save_model(store, "tqqq_leverage", "2015-01-01", {"model": planted_model.network, "scaler": planted_model.scaler},
               feature_names=list(planted_model.feature_names), train_window=planted_model.train_window,
               validation_window=None, hyperparameters={}, metrics={})
    with pytest.raises(ModelIntegrityError, match="extra.variant is None"):
        load_for_prediction(store, "2016-01-04", log=lambda _: None)
