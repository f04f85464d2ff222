"""Walk-forward training: windows before the cutoff, purged validation, training-window scaler, settings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from models.tqqq_leverage.dataset import InputError
from models.tqqq_leverage.features import COMPACT_FEATURES, FEATURE_NAMES, WINDOW, build_features
from models.tqqq_leverage.training import (
    COMPACT_TRAINING,
    REFERENCE_TRAINING,
    TrainingConfig,
    make_samples,
    train,
    train_timeline,
)
from tqqq_planted import FAST, PLANTED_CUTOFF


def test_windows_respect_the_cutoff_and_purge_before_validation(planted, planted_model):
    cutoff = pd.Timestamp(PLANTED_CUTOFF)
    train_start, train_end = planted_model.train_window
    val_start, val_end = planted_model.validation_window
    assert planted_model.cutoff == cutoff.date()
    assert pd.Timestamp(val_end) < cutoff  # validation labels are before the cutoff too
    sessions = planted.inputs.index
    gap = sessions.get_loc(pd.Timestamp(val_start)) - sessions.get_loc(pd.Timestamp(train_end))
    assert gap >= WINDOW  # no validation window reads a training label
    n_val = sessions.get_loc(pd.Timestamp(val_end)) - sessions.get_loc(pd.Timestamp(val_start))
    n_all = sessions.get_loc(pd.Timestamp(val_end)) - sessions.get_loc(pd.Timestamp(train_start))
    assert 0.09 < n_val / n_all < 0.13  # the source's 12% validation split, less the embargo


def test_scaler_is_fitted_on_the_training_window_only(planted, planted_model):
    features = build_features(planted.inputs)[list(COMPACT_FEATURES)]
    sessions = planted.inputs.index
    first_as_of = sessions.get_loc(pd.Timestamp(planted_model.train_window[0]))
    last_as_of = sessions.get_loc(pd.Timestamp(planted_model.train_window[1])) - 1
    rows = features.iloc[first_as_of - WINDOW + 1:last_as_of + 1]
    scaler = planted_model.scaler
    np.testing.assert_allclose(scaler.mean_, rows.mean().to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(scaler.max_, rows.max().to_numpy())
    assert (features.iloc[last_as_of + 1:].max().to_numpy() > scaler.max_).any()  # later data was not seen


def test_samples_pair_each_window_with_the_next_session(planted):
    samples = make_samples(planted.inputs, feature_names=COMPACT_FEATURES)
    sessions = planted.inputs.index
    assert (sessions.get_indexer(samples.target_date) == sessions.get_indexer(samples.as_of) + 1).all()
    returns = planted.inputs[["qqq", "tqqq"]].pct_change()
    k = 500
    day = samples.target_date[k]
    assert samples.labels[k, 0] == pytest.approx(returns.loc[day, "qqq"], rel=1e-6)
    base = -(0.0095 + 2 * planted.inputs["irx"].shift(1).loc[day] / 100) / 252
    assert samples.labels[k, 1] == pytest.approx(returns.loc[day, "tqqq"] - base, rel=1e-5)


def test_compact_settings_and_optimizer(planted_model):
    assert planted_model.variant == "compact" and planted_model.feature_names == COMPACT_FEATURES
    optimizer = planted_model.network.optimizer
    assert (float(optimizer.beta_1), float(optimizer.beta_2), optimizer.epsilon) == pytest.approx((0.91, 0.9995, 1e-8))
    assert optimizer.clipnorm == 1.0
    assert planted_model.hyperparameters["training"]["loss"] == "tracking"
    assert COMPACT_TRAINING.members == 5 and FAST.members == 1


def test_reference_settings_are_the_source_settings():
    c = REFERENCE_TRAINING
    assert (c.batch_size, c.epochs, c.warmup_epochs, c.learning_rate) == (20, 200, 10, 8e-5)
    assert (c.beta_1, c.beta_2, c.epsilon, c.clipnorm, c.validation_fraction) == (0.91, 0.9995, 1e-8, 1.0, 0.12)
    assert (c.early_stopping_patience, c.early_stopping_min_delta) == (50, 1e-6)
    assert (c.reduce_lr_patience, c.reduce_lr_factor, c.min_learning_rate) == (25, 0.5, 1e-5)
    assert c.loss == "focused"


def test_tiny_reference_trains_with_the_focused_loss_and_stays_in_its_band(planted):
    inputs = planted.inputs.iloc[:700]
    config = dataclasses.replace(REFERENCE_TRAINING, epochs=2, warmup_epochs=2, batch_size=64)
    model = train(inputs, inputs.index[-1], variant="reference", size="tiny", config=config)
    assert model.feature_names == FEATURE_NAMES and model.size == "tiny"
    assert len(model.history["loss"]) == 2 and np.isfinite(model.history["val_loss"]).all()
    # Warm-up: the learning rate rose linearly from lr/10 over the warm-up epochs.
    np.testing.assert_allclose(model.history["learning_rate"][:2], [8e-5 * 0.55, 8e-5], rtol=1e-4)
    predictions = model.predict(inputs).dropna()
    assert predictions["leverage"].between(2.990, 3.010).all()
    np.testing.assert_allclose(predictions["drag"], predictions["baseline_drag"])  # no drag head


def test_timeline_trains_one_model_per_cutoff_in_order(planted):
    models = train_timeline(planted.inputs, ["2016-01-01", "2014-01-01"], variant="baseline")
    assert [str(m.cutoff) for m in models] == ["2014-01-01", "2016-01-01"]
    assert all(pd.Timestamp(m.train_window[1]) < pd.Timestamp(m.cutoff) for m in models)
    assert models[0].metrics["tracking_error"] == models[0].metrics["baseline_tracking_error"]


def test_bad_training_requests_are_rejected(planted):
    with pytest.raises(ValueError, match="variant must be one of"):
        train(planted.inputs, PLANTED_CUTOFF, variant="giant")
    with pytest.raises(InputError, match=r"only \d+ usable samples before the cutoff"):
        train(planted.inputs, "2009-03-01", variant="baseline")
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        dataclasses.replace(COMPACT_TRAINING, batch_size=0)
    with pytest.raises(ValueError, match="validation_fraction"):
        dataclasses.replace(COMPACT_TRAINING, validation_fraction=0.7)
    with pytest.raises(ValueError, match="loss must be"):
        TrainingConfig(batch_size=1, epochs=1, warmup_epochs=0, learning_rate=1e-3, loss="mse",
                       early_stopping_patience=1, reduce_lr_patience=1)
    with pytest.raises(InputError, match="unknown"):
        train(planted.inputs, PLANTED_CUTOFF, features=["qqq_ret_1", "made_up"])


def test_timeline_in_parallel_trains_the_same_models_as_in_sequence(planted):
    config = dataclasses.replace(FAST, epochs=2, warmup_epochs=0)
    inputs = planted.inputs.iloc[:900]
    cutoffs = [inputs.index[600], inputs.index[-1]]
    kwargs = {"variant": "compact", "size": "full", "config": config}
    sequential = train_timeline(inputs, cutoffs, n_jobs=1, **kwargs)
    parallel = train_timeline(inputs, cutoffs, n_jobs=2, backend="joblib", **kwargs)
    assert [m.cutoff for m in parallel] == [m.cutoff for m in sequential]
    for seq, par in zip(sequential, parallel, strict=True):
        assert par.metrics == seq.metrics and par.history == seq.history
        for a, b in zip(seq.network.get_weights(), par.network.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
