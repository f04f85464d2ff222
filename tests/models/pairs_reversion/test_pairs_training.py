"""Training machinery: the cached compiled trainer gives the network a fresh fit gives; the grid search is grouped
by architecture, checkpointed, resumable and can be cut short; the daily inference call matches research."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models import pairs_reversion as pr
from models.pairs_reversion.model import build_classifier, fit_classifier, pos_weight

GRID = {"hidden": [4], "window_size": [3, 5], "batch_size": [32, 64]}


def _fresh_fit(X, y, *, hidden, learning_rate, batch_size, epochs, seed):
    """The fit without the cache: a new Keras model with the default compile."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_classifier(X.shape[1], X.shape[2], hidden=hidden, learning_rate=learning_rate)
    model.fit(X, y, batch_size=batch_size, epochs=epochs, shuffle=False, class_weight={0: 1.0, 1: pos_weight(y)},
              verbose=0)
    return model


def test_cached_trainer_fits_the_same_network_as_a_fresh_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3, 7)).astype(np.float32)
    y = (X[:, -1, 0] + 0.5 * rng.normal(size=150) > 0.3).astype(np.float32)
    # the second and third fits reuse the first one's compiled trainer (other learning rate, batch, seed)
    for lr, batch, seed in ((1e-3, 32, 0), (5e-4, 64, 1), (1e-3, 32, 0)):
        cached = fit_classifier(X, y, hidden=5, learning_rate=lr, batch_size=batch, epochs=3, seed=seed)
        fresh = _fresh_fit(X, y, hidden=5, learning_rate=lr, batch_size=batch, epochs=3, seed=seed)
        for a, b in zip(cached.get_weights(), fresh.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5)
    config = cached.get_compile_config()   # what gets saved is the plain model, not the XLA trainer
    assert config.get("jit_compile") is not True and config.get("steps_per_execution", 1) == 1


def test_grid_search_checkpoints_resumes_and_stops_after_a_limit(planted, tmp_path):
    closes = planted[0]
    specs = [pr.PairSpec("IEMG", "EEM", 3, 0.002), pr.PairSpec("TLT", "SPTL", 5, 0.005)]
    kwargs = dict(grid=GRID, hyperparameters={"epochs": 2}, train_start="2014-01-01", validation_days=126,
                  n_jobs=1, progress=False, checkpoint=tmp_path)
    first = pr.grid_search(closes, specs, "2017-01-01", limit=1, **kwargs)
    assert len(list(tmp_path.glob("*.csv"))) == 1 and len(first) == 2 * 2       # one group: 2 batches x 2 pairs
    assert set(first["window_size"]) == {3}
    full = pr.grid_search(closes, specs, "2017-01-01", **kwargs)                  # resumes: fits the other group
    assert len(list(tmp_path.glob("*.csv"))) == 2 and len(full) == 4 * 2
    assert list(full["config"]) == sorted(full["config"])
    pd.testing.assert_frame_equal(full[full["window_size"] == 3].reset_index(drop=True), first)
    again = pr.grid_search(closes, specs, "2017-01-01", limit=0, **kwargs)         # nothing new: read back
    pd.testing.assert_frame_equal(again, full)
    trained = pr.train_cutoff(closes, specs, "2017-01-01", search=first, seeds=(0,),
                              **{k: v for k, v in kwargs.items() if k not in ("grid", "checkpoint")})
    for spec in specs:
        rows = first[first["pair"] == spec.name]
        best = rows.iloc[int(np.argmax(rows["val_f1"].fillna(-1)))]
        assert trained[spec.name].hyperparameters["batch_size"] == best["batch_size"]
        assert trained[spec.name].metrics["grid_configs"] == 2


def test_latest_probabilities_match_the_research_probabilities(planted, small_timeline):
    closes = planted[0]
    models = small_timeline[min(small_timeline)]
    day = closes.index[closes.index >= "2017-06-01"][0]
    bars = max(pr.history_bars(m.spec.window, m.window_size) for m in models.values())
    recent = closes[closes.index <= day].iloc[-bars:]
    latest = pr.latest_probabilities(models, recent)
    for name, model in models.items():
        assert latest[name] == pytest.approx(float(model.probabilities(closes).loc[day]), abs=1e-6)
    assert all(np.isnan(v) for v in pr.latest_probabilities(models, recent.iloc[:2]).values())
