"""walkforward: cutoff schedules, purged splits and sequence windows that never leak across a split."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from models.walkforward import cutoff_schedule, make_sequences, purged_split, split_sequences, walk_forward

DAYS = pd.bdate_range("2020-01-01", periods=300)


def test_cutoff_schedules():
    assert cutoff_schedule("2020-01-15", "2020-05-01", "monthly") == [
        date(2020, 2, 1),
        date(2020, 3, 1),
        date(2020, 4, 1),
        date(2020, 5, 1),
    ]
    assert cutoff_schedule(date(2019, 12, 31), date(2021, 1, 1), "quarterly") == [
        date(2020, 1, 1),
        date(2020, 4, 1),
        date(2020, 7, 1),
        date(2020, 10, 1),
        date(2021, 1, 1),
    ]
    assert cutoff_schedule("2018-01-01", "2020-06-30", "yearly") == [
        date(2018, 1, 1),
        date(2019, 1, 1),
        date(2020, 1, 1),
    ]
    with pytest.raises(ValueError, match="freq must be one of"):
        cutoff_schedule("2020-01-01", "2021-01-01", "weekly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after end"):
        cutoff_schedule("2021-01-01", "2020-01-01", "monthly")


def test_purged_split_exact_positions():
    index = pd.bdate_range("2020-01-01", periods=20)  # Jan 1 .. Jan 28 (business days)
    split = purged_split(index, "2020-01-15", horizon=3, embargo=2, validation_periods=4)
    first_after = list(index).index(pd.Timestamp("2020-01-15"))  # position 10
    assert split.train_index.tolist() == list(range(0, first_after - 3))  # positions 7, 8, 9 purged
    assert split.validation_index.tolist() == [12, 13, 14, 15]
    assert split.train_window == (date(2020, 1, 1), index[6].date())
    assert split.label_end == index[9].date() < split.cutoff
    assert split.validation_window == (index[12].date(), index[15].date())


def test_purged_split_horizon_zero_cutoff_on_non_trading_day():
    index = pd.bdate_range("2020-01-01", periods=10)
    split = purged_split(index, "2020-01-04", horizon=0)  # a Saturday: train Jan 1-3, validate from Jan 6
    assert index[split.train_index].max() == pd.Timestamp("2020-01-03")
    assert index[split.validation_index].min() == pd.Timestamp("2020-01-06")
    assert len(split.train_index) + len(split.validation_index) == 10


def test_purged_split_panel_index_and_rolling_train():
    dates = pd.bdate_range("2020-01-01", periods=30)
    panel = pd.Index(np.concatenate([dates, dates[::-1]]))  # two assets, one of them unsorted
    split = purged_split(panel, dates[20], horizon=2, train_periods=5)
    train_dates = set(panel[split.train_index])
    assert train_dates == set(dates[13:18]) and len(split.train_index) == 10
    assert set(panel[split.validation_index]) == set(dates[20:])


def test_purged_split_errors():
    with pytest.raises(ValueError, match="no training rows before cutoff 2020-01-03 with horizon 5"):
        purged_split(DAYS, "2020-01-03", horizon=5)
    with pytest.raises(ValueError, match="horizon must be an integer >= 0"):
        purged_split(DAYS, "2020-06-01", horizon=-1)
    with pytest.raises(ValueError, match="validation_periods"):
        purged_split(DAYS, "2020-06-01", horizon=1, validation_periods=0)
    with pytest.raises(ValueError, match="empty"):
        purged_split(pd.DatetimeIndex([]), "2020-06-01", horizon=1)


def test_validation_may_be_empty_at_the_end_of_data():
    split = purged_split(DAYS, DAYS[-1] + pd.Timedelta(days=30), horizon=5)
    assert len(split.validation_index) == 0 and split.validation_window is None
    assert split.train_index[-1] == len(DAYS) - 6


def test_walk_forward_skips_cutoffs_without_enough_training_data():
    cutoffs = cutoff_schedule(DAYS[0], DAYS[-1], "monthly")
    splits = walk_forward(DAYS, cutoffs, horizon=5, validation_periods=21, min_train_periods=30)
    assert [s.cutoff for s in splits] == [c for c in cutoffs if c >= date(2020, 3, 1)]
    assert all(len(s.validation_index) <= 21 for s in splits)
    # expanding: each training set contains the previous one
    for a, b in zip(splits, splits[1:], strict=False):
        assert set(a.train_index) < set(b.train_index)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(5, 120),
    horizon=st.integers(0, 10),
    embargo=st.integers(0, 5),
    cut_offsets=st.lists(st.integers(-10, 200), min_size=1, max_size=6),
    vp=st.one_of(st.none(), st.integers(1, 30)),
    repeat=st.integers(1, 3),
)
def test_property_splits_never_overlap_purge_gap(n, horizon, embargo, cut_offsets, vp, repeat):
    days = pd.bdate_range("2021-01-01", periods=n)
    index = pd.Index(np.tile(days, repeat))  # panel: the same date repeated per asset
    cutoffs = [(days[0] + pd.Timedelta(days=k)).date() for k in cut_offsets]
    for split in walk_forward(index, cutoffs, horizon=horizon, embargo=embargo, validation_periods=vp):
        cutoff = pd.Timestamp(split.cutoff)
        train_pos = days.searchsorted(index[split.train_index])
        assert len(train_pos) > 0
        # every training label window (date position p .. p + horizon) ends strictly before the cutoff
        assert days[train_pos.max() + horizon] < cutoff
        if len(split.validation_index):
            val_pos = days.searchsorted(index[split.validation_index])
            assert days[val_pos.min()] >= cutoff
            # at least horizon + embargo dates separate the last training date from the first validation date
            assert val_pos.min() - train_pos.max() - 1 >= horizon + embargo
            assert vp is None or len(np.unique(val_pos)) <= vp
        assert not set(split.train_index) & set(split.validation_index)
        # nothing that could train was dropped: the purge is exactly `horizon` dates
        first_after = days.searchsorted(cutoff)
        assert train_pos.max() == first_after - horizon - 1


def test_make_sequences_windows_targets_and_ends():
    X = np.arange(20, dtype=float).reshape(10, 2)
    y = np.arange(10) * 10
    windows, targets, ends = make_sequences(X, y, 3)
    assert windows.shape == (8, 3, 2)
    assert ends.tolist() == list(range(2, 10))
    np.testing.assert_array_equal(windows[0], X[0:3])
    np.testing.assert_array_equal(windows[-1], X[7:10])
    assert targets.tolist() == y[2:].tolist()


def test_make_sequences_segments_and_stride():
    X = np.arange(10, dtype=float)[:, None]
    segment = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 0])  # the 0-run after the 1s is a new run
    windows, targets, ends = make_sequences(X, None, 3, segment=segment)
    assert targets is None
    assert ends.tolist() == [2, 3, 6, 9]
    for w, e in zip(windows, ends, strict=True):
        assert len(set(segment[e - 2 : e + 1])) == 1 and w[-1, 0] == e
    _, _, strided = make_sequences(np.arange(12.0), None, 2, stride=3)
    assert strided.tolist() == [2, 5, 8, 11]  # anchored on the newest row
    empty, _, none = make_sequences(X[:2], None, 3)
    assert empty.shape == (0, 3, 1) and none.size == 0


def test_make_sequences_rejects_bad_input():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="y has 4 rows but X has 5"):
        make_sequences(X, np.zeros(4), 2)
    with pytest.raises(ValueError, match="lookback"):
        make_sequences(X, None, 0)
    with pytest.raises(ValueError, match="segment must have one value per row"):
        make_sequences(X, None, 2, segment=np.zeros(3))
    with pytest.raises(ValueError, match="sort rows"):
        make_sequences(
            X,
            None,
            2,
            index=pd.DatetimeIndex(["2020-01-02", "2020-01-01", "2020-01-03", "2020-01-04", "2020-01-05"]),
        )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(10, 80),
    horizon=st.integers(0, 5),
    embargo=st.integers(0, 3),
    lookback=st.integers(1, 8),
    frac=st.floats(0.2, 0.9),
)
def test_property_split_sequences_never_span_the_split(n, horizon, embargo, lookback, frac):
    days = pd.bdate_range("2022-01-03", periods=n)
    cutoff = days[int(frac * (n - 1))]
    if int(frac * (n - 1)) <= horizon:
        return
    split = purged_split(days, cutoff, horizon=horizon, embargo=embargo)
    X = np.arange(n, dtype=float)[:, None]
    (xt, _, et), (xv, _, ev) = split_sequences(X, X[:, 0], split, lookback)
    train, val = set(split.train_index), set(split.validation_index)
    for window, end in zip(xt, et, strict=True):
        assert set(window[:, 0].astype(int)) <= train and end in train
    for window, end in zip(xv, ev, strict=True):
        assert set(window[:, 0].astype(int)) <= val and end in val
    assert len(et) == max(0, len(train) - lookback + 1)


def test_split_sequences_with_groups():
    dates = pd.bdate_range("2020-01-01", periods=12)
    index = pd.Index(np.concatenate([dates, dates]))
    groups = np.repeat(["A", "B"], 12)
    X = np.arange(24, dtype=float)[:, None]
    split = purged_split(index, dates[8], horizon=1)  # train dates 0..6, validate 8..11
    (xt, yt, et), (xv, yv, ev) = split_sequences(X, X[:, 0], split, 3, groups=groups)
    assert et.tolist() == [2, 3, 4, 5, 6, 14, 15, 16, 17, 18]
    assert ev.tolist() == [10, 11, 22, 23]
    assert yv.tolist() == [10.0, 11.0, 22.0, 23.0]
    np.testing.assert_array_equal(
        xt[5, :, 0], [12.0, 13.0, 14.0]
    )  # group B's first window starts at its row 0
