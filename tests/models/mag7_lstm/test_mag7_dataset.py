"""mag7_lstm.dataset: 60-bar windows, the 21-bar forward label, stride 5, the 1260-bar window, the purge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mag7_planted import planted_market
from models.mag7_lstm.dataset import build_datasets, forward_return_sum, latest_window, symbol_samples
from models.mag7_lstm.features import compute_features

BARS, _ = planted_market(1700, tickers=("AAA", "BBB"), seed=5)
AAA = BARS["AAA"]
DATES = AAA.index
CUTOFF = DATES[1500]


def test_forward_return_sum_is_the_next_21_daily_returns():
    close = AAA["close"]
    fwd = forward_return_sum(close, 21)
    e = 700
    returns = close.pct_change()
    assert fwd.iloc[e] == pytest.approx(returns.iloc[e + 1: e + 22].sum())
    assert fwd.iloc[-21:].isna().all() and fwd.iloc[:-21].notna().all()


def test_samples_align_inputs_label_and_dates():
    train, _ = symbol_samples(AAA, "AAA", CUTOFF, train_days=None)
    feats = compute_features(AAA)
    fwd = forward_return_sum(AAA["close"])
    k = 17
    end = train.end_dates[k]
    np.testing.assert_allclose(train.X[k], feats.loc[:end].iloc[-60:].to_numpy(np.float32))
    assert train.y[k] == pytest.approx(fwd.loc[end], rel=1e-6)
    e = DATES.get_loc(end)
    assert (train.start_dates[k], train.label_start[k], train.label_end[k]) == (DATES[e - 59], DATES[e + 1],
                                                                                DATES[e + 21])


def test_purge_stride_and_window():
    cut = 1600  # late enough that the 1260-bar window starts after the features' 271-bar warm-up
    train, val = symbol_samples(AAA, "AAA", DATES[cut], train_days=1260, validation_days=63)
    # every training label ends before the cutoff, and the newest possible one is kept
    assert train.label_end.max() == DATES[cut - 1] < DATES[cut]
    # every 5th window end, counted back from the newest
    positions = DATES.get_indexer(train.end_dates)
    assert set(np.diff(positions)) == {5}
    # inputs and labels inside the last 1260 bars before the cutoff, starting at most a stride later
    first = DATES.get_loc(train.start_dates.min())
    assert cut - 1260 <= first < cut - 1260 + 5
    # validation labels start on/after the cutoff, within 63 bars, and end inside the data
    assert val.label_start.min() == DATES[cut]
    assert val.label_start.max() < DATES[cut + 63]
    assert len(val) == len(range(0, 63, 5)) and val.label_end.max() <= DATES[-1]


def test_data_on_or_after_the_cutoff_never_changes_the_training_set():
    train, _ = build_datasets(BARS, CUTOFF)
    shocked = {t: b.copy() for t, b in BARS.items()}
    for frame in shocked.values():
        frame.loc[frame.index >= CUTOFF, ["open", "high", "low", "close"]] *= 3.0
    again, _ = build_datasets(shocked, CUTOFF)
    np.testing.assert_array_equal(train.X, again.X)
    np.testing.assert_array_equal(train.y, again.y)
    assert list(train.tickers) == list(again.tickers)


def test_pooled_dataset_and_window():
    train, val = build_datasets(BARS, CUTOFF, validation_days=0)
    assert set(train.tickers) == {"AAA", "BBB"} and len(val) == 0
    assert train.X.shape[1:] == (60, 4) and train.X.dtype == np.float32
    assert train.window() == (train.start_dates.min().date(), DATES[1499].date())


def test_latest_window_uses_rows_strictly_before_as_of():
    feats = compute_features(AAA)
    day = feats.index[400]
    window = latest_window(feats, day)
    np.testing.assert_array_equal(window, feats.iloc[340:400].to_numpy(np.float32))
    assert latest_window(feats, feats.index[30]) is None


def test_errors():
    with pytest.raises(ValueError, match="non-empty"):
        build_datasets({}, CUTOFF)
    with pytest.raises(ValueError, match="train_days"):
        symbol_samples(AAA, "AAA", CUTOFF, train_days=50)
    with pytest.raises(ValueError, match="cutoff must be a date"):
        symbol_samples(AAA, "AAA", "not a date")
    early, _ = symbol_samples(AAA, "AAA", DATES[200])
    assert len(early) == 0
    with pytest.raises(ValueError, match="not bars"):
        symbol_samples(AAA, "AAA", CUTOFF, features=compute_features(AAA).shift(1, freq="D"))
    assert isinstance(pd.Timestamp(CUTOFF), pd.Timestamp)
