"""Model builders and persistence: the source's LSTM size, the grids, and a saved timeline that loads as of a
date and forecasts exactly what was trained (ridge, tree and an LSTM seed ensemble)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models import sector_rotation as sr
from models.store import ModelIntegrityError

from qclocal.object_store import ObjectStore


def test_source_lstm_has_the_source_parameter_count_and_counts_match_keras():
    assert sr.lstm_parameter_count(135, 12, "source") == 10_496_264
    net = sr.build_lstm(7, 4, "small", lookback=12)
    assert net.count_params() == sr.lstm_parameter_count(7, 4, "small")
    with pytest.raises(ValueError, match="unknown LSTM size"):
        sr.build_lstm(7, 4, "huge")


def _panel(seed: int = 0) -> sr.Panel:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2005-01-03", periods=180, freq="MS")
    features = pd.DataFrame(rng.normal(size=(180, 3)), index=dates, columns=["INDPRO", "UNRATE", "T10Y2Y"])
    labels = pd.DataFrame(0.02 * features["INDPRO"].to_numpy()[:, None] + rng.normal(0, 0.01, (180, 2)),
                          index=dates, columns=["XLK", "SPY"])
    labels.iloc[-1] = np.nan
    return sr.Panel(features=features, labels=labels)


@pytest.mark.parametrize("family", ["ridge", "tree", "lstm"])
def test_saved_timeline_loads_as_of_and_forecasts_the_same(tmp_path, family):
    panel = _panel()
    cutoffs = [pd.Timestamp("2017-01-01").date(), pd.Timestamp("2018-01-01").date()]
    models = sr.train_timeline(family, panel, cutoffs, progress=False, tree_grid=sr.TREE_GRIDS["fixed"],
                               lstm={"size": "tiny", "epochs": 2, "seeds": (0, 1)})
    store = ObjectStore(tmp_path)
    sr.save_timeline(store, models)
    timeline = sr.model_timeline(store, family, log=lambda _: None)
    loaded = timeline.as_of(pd.Timestamp("2018-01-01"))              # on the cutoff day: the previous model
    assert loaded.cutoff == cutoffs[0] and loaded.feature_names == ["INDPRO", "UNRATE", "T10Y2Y"]
    forecaster, assets = sr.forecaster_of(loaded)
    assert assets == ["XLK", "SPY"]
    rows = panel.features.loc[:"2018-01-01"]
    np.testing.assert_allclose(forecaster.forecast_last(rows, loaded.feature_names),
                               models[0].forecaster.forecast_last(rows, models[0].feature_names), rtol=1e-5)
    with pytest.raises(ValueError, match="lacks"):
        forecaster.forecast_last(rows[["INDPRO"]], loaded.feature_names)


def test_ridge_learns_a_planted_linear_effect_and_the_manifest_records_the_grid(tmp_path):
    panel = _panel(1)
    (model,) = sr.train_timeline("ridge", panel, [pd.Timestamp("2017-01-01").date()], progress=False)
    assert model.hyperparameters["chosen"]["alpha"] in (5.0, 25.0, 50.0, 300.0, 500.0, 1000.0)
    assert model.metrics["validation_mae"] < 0.5 * float(panel.labels.abs().mean().mean())
    store = ObjectStore(tmp_path)
    sr.save_timeline(store, [model])
    artifact = next((tmp_path / "sector_rotation_ridge").rglob("model.joblib"))
    artifact.write_bytes(artifact.read_bytes()[:100])
    with pytest.raises(ModelIntegrityError, match="model.joblib"):
        sr.model_timeline(store, "ridge", log=lambda _: None).as_of(pd.Timestamp("2018-01-01"))
