"""mag7_lstm.training and network: purged fit, metrics, warm starts, timelines, the source architecture."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from models.mag7_lstm.dataset import build_datasets
from models.mag7_lstm.model import build_network
from models.mag7_lstm.training import (
    MAX_TIED_SHARE,
    CollapsedModelError,
    refit_cutoffs,
    tied_share,
    train,
    train_timeline,
)


def test_trained_model_records_windows_metrics_and_hyperparameters(tiny_model, tiny_cutoff):
    m = tiny_model
    assert m.cutoff == tiny_cutoff.date()
    assert m.train_window[1] < m.cutoff <= m.validation_window[0]
    assert m.feature_names == ("return", "macd_hist", "bb_width", "psar_dist")
    assert m.hyperparameters["arch"] == "small" and m.hyperparameters["lookback"] == 60
    assert m.metrics["train_n"] > 0 and m.metrics["validation_n"] == 3 * len(range(0, 63, 5))
    for key in ("train_mse", "validation_mse", "validation_ic", "fit_seconds"):
        assert np.isfinite(m.metrics[key])
    X = np.zeros((5, 60, 4), np.float32)
    assert m.predict(X).shape == (5,)


def test_bars_on_or_after_the_cutoff_never_change_the_fit(tiny_market, tiny_cutoff, tiny_model):
    shocked = {t: b.copy() for t, b in tiny_market.items()}
    for frame in shocked.values():
        frame.loc[frame.index >= tiny_cutoff, ["open", "high", "low", "close"]] *= 2.0
    again = train(shocked, tiny_cutoff, epochs=1, train_days=None, validation_days=63, seed=1, seeds=2)
    for net, other in zip(tiny_model.networks, again.networks, strict=True):
        for a, b in zip(net.get_weights(), other.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert again.metrics["validation_mse"] != tiny_model.metrics["validation_mse"]  # validation did see them


def test_warm_start_copies_the_weights_and_leaves_the_source_untouched(tiny_market, tiny_cutoff, tiny_model):
    before = [[w.copy() for w in net.get_weights()] for net in tiny_model.networks]
    frozen = train(tiny_market, tiny_cutoff, epochs=1, train_days=None, warm_start=tiny_model, seeds=2,
                   learning_rate=0.0)
    for k, net in enumerate(frozen.networks):  # member k continues member k
        for a, b in zip(before[k], net.get_weights(), strict=True):
            np.testing.assert_allclose(a, b)
    moved = train(tiny_market, tiny_cutoff, epochs=1, train_days=None, warm_start=tiny_model, seeds=2)
    assert moved.hyperparameters["warm_start_from"] == str(tiny_cutoff.date())
    assert any(not np.allclose(a, b) for a, b in zip(before[0], moved.networks[0].get_weights(), strict=True))
    for k, net in enumerate(tiny_model.networks):
        for a, b in zip(before[k], net.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="input"):
        train(tiny_market, tiny_cutoff, epochs=1, lookback=30, warm_start=tiny_model, seeds=2)
    with pytest.raises(ValueError, match="members but seeds=3"):
        train(tiny_market, tiny_cutoff, epochs=1, warm_start=tiny_model, seeds=3)


def test_timeline_refits_quarterly_with_warm_starts(tiny_market):
    days = tiny_market["AAA"].index
    candidates = [d for d in days[520:640] if d.day <= 3]
    quarterly = refit_cutoffs(candidates, "quarterly")
    assert len(quarterly) == len({(d.year, (d.month - 1) // 3) for d in candidates})
    assert all(refit_cutoffs(candidates, None)[0] <= q for q in quarterly)
    lines: list[str] = []
    models = train_timeline(tiny_market, candidates, "quarterly", epochs=1, train_days=None, seeds=1,
                            log=lines.append)
    assert [m.cutoff for m in models] == quarterly
    assert len(lines) == len(models) and lines[0].startswith(f"[1/{len(models)}] cutoff {quarterly[0]}")
    assert models[0].hyperparameters["warm_start_from"] is None
    assert [m.hyperparameters["warm_start_from"] for m in models[1:]] == [str(m.cutoff) for m in models[:-1]]
    with pytest.raises(ValueError, match="refit must be"):
        refit_cutoffs(candidates, "weekly")  # type: ignore[arg-type]


def test_no_training_sample_is_a_clear_error(tiny_market):
    with pytest.raises(ValueError, match="no training sample before cutoff"):
        train(tiny_market, tiny_market["AAA"].index[300], epochs=1)
    with pytest.raises(ValueError, match="arch must be"):
        train(tiny_market, tiny_market["AAA"].index[600], arch="huge")


def test_source_architecture_is_kept():
    net = build_network("source")
    kinds = [(type(layer).__name__, getattr(layer, "units", None) or getattr(layer, "rate", None))
             for layer in net.layers]
    assert kinds == [("LSTM", 128), ("Dropout", 0.3), ("BatchNormalization", None), ("LSTM", 64),
                     ("Dense", 32), ("Dense", 1)]
    assert net.layers[0].return_sequences and not net.layers[3].return_sequences
    assert net.layers[4].activation.__name__ == "relu"
    assert net.input_shape == (None, 60, 4) and net.count_params() == 120_129
    assert net.loss == "mse" and float(net.optimizer.learning_rate) == pytest.approx(1e-3)
    small = build_network("small")
    assert small.count_params() < 2_000


def test_training_set_size_matches_the_stride(tiny_market, tiny_cutoff, tiny_model):
    train_set, _ = build_datasets(tiny_market, tiny_cutoff, train_days=None)
    assert tiny_model.metrics["train_n"] == len(train_set)


def test_schedules_month_starts_and_cutoffs_the_day_before():
    from datetime import date

    import pandas as pd
    from models.mag7_lstm.rules import month_starts, rebalance_cutoffs

    days = pd.bdate_range("2019-12-20", "2020-07-15").drop(pd.to_datetime(["2020-01-01", "2020-05-01"]))
    assert list(month_starts(days, "2020-01-01").strftime("%m-%d")) == [
        "01-02", "02-03", "03-02", "04-01", "05-04", "06-01", "07-01"]
    monthly = rebalance_cutoffs(days, "2020-01-01", "2020-07-15", "monthly")
    assert monthly[:3] == [date(2020, 1, 1), date(2020, 2, 2), date(2020, 3, 1)]
    quarterly = rebalance_cutoffs(days, "2020-01-01", "2020-07-15", "quarterly")
    assert quarterly == [date(2020, 1, 1), date(2020, 3, 31), date(2020, 6, 30)]
    assert refit_cutoffs(monthly, "quarterly") == quarterly  # a cutoff serves the day after it
    assert refit_cutoffs(["2020-01-01", "2020-02-01", "2020-04-01"], "quarterly") == [date(2020, 1, 1),
                                                                                       date(2020, 4, 1)]


def test_small_network_has_no_relu_before_its_output():
    import keras

    net = build_network("small")
    hidden = [layer for layer in net.layers if not isinstance(layer, keras.layers.Dropout)][-2]
    assert isinstance(hidden, keras.layers.LeakyReLU)
    assert all(getattr(layer, "activation", None) is not keras.activations.relu for layer in net.layers)


def test_tied_share_counts_names_scored_alike_on_one_date():
    dates = np.repeat(np.array(["2020-01-02", "2020-02-03"], dtype="datetime64[D]"), 4)
    assert tied_share(np.arange(8.0), dates) == 0.0
    assert tied_share(np.full(8, 0.013), dates) == 1.0
    assert tied_share(np.array([1, 1, 2, 3, 1, 2, 3, 4.0]), dates) == 0.25  # the tie is within one date only


def test_trained_model_is_not_collapsed_and_a_dead_network_fails_loudly(tiny_market, tiny_cutoff, tiny_model):
    assert tiny_model.metrics["tied_share"] <= MAX_TIED_SHARE
    dead = build_network("small")
    dead.set_weights([np.zeros_like(w) for w in dead.get_weights()])  # constant output: every name ties
    with pytest.raises(CollapsedModelError, match=r"collapsed: 100% of its validation scores tie.*ranks nothing"):
        train(tiny_market, tiny_cutoff, epochs=1, train_days=None, warm_start=replace(tiny_model, networks=(dead,)),
              seeds=1, learning_rate=0.0)
