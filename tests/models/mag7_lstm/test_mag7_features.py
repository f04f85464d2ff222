"""mag7_lstm.features: LEAN's PSAR, the four z-scored features, SMA/ATR; causal, start- and scale-invariant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mag7_planted import planted_market
from models.mag7_lstm.features import (
    FEATURE_NAMES,
    HISTORY_BARS,
    atr,
    compute_features,
    parabolic_sar,
    raw_features,
    sma,
    source_parabolic_sar,
)

BARS, _ = planted_market(1200, tickers=("AAA",), seed=3)
AAA = BARS["AAA"]


def test_psar_follows_lean_by_hand():
    # bar 1 initialises long (close rose): SAR = previous low 9; the EP update raises AF 0.02 -> 0.04 -> 0.06;
    # bar 4's low 9.2 <= SAR 9.3528 reverses to short at the EP 13; then SAR = 13 + 0.04 * (8.5 - 13).
    high = [10, 11, 12, 13, 12.5, 10, 9.5]
    low = [9, 10, 11, 12, 9.2, 8.5, 8]
    close = [9.5, 10.5, 11.5, 12.5, 9.4, 9, 8.2]
    expected = [np.nan, 9.0, 9.0, 9.12, 13.0, 13.0, 12.82]
    np.testing.assert_allclose(parabolic_sar(high, low, close), expected, rtol=0, atol=1e-12)


def test_source_psar_reverses_before_clamping_lean_does_not():
    # Bar 4: the unclamped SAR 9.3528 is above the low 9.25, but the SAR clamped to bar 3's low (9.2) is not.
    high, low, close = [10, 11, 12, 13, 12], [9, 10, 11, 9.2, 9.25], [9.5, 10.5, 11.5, 12.5, 11]
    np.testing.assert_allclose(parabolic_sar(high, low, close), [np.nan, 9, 9, 9.12, 9.2], atol=1e-12)
    # the source: first two values are the closes, and bar 4 flips short at the extreme point 13
    np.testing.assert_allclose(source_parabolic_sar(high, low, close), [9.5, 10.5, 9, 9.12, 13], atol=1e-12)


def test_raw_features_match_their_definitions():
    raw = raw_features(AAA)
    close = AAA["close"]
    t = 500
    assert raw["return"].iloc[t] == pytest.approx(close.iloc[t] / close.iloc[t - 1] - 1)
    window = close.iloc[t - 19: t + 1]
    assert raw["bb_width"].iloc[t] == pytest.approx(2.5 * window.std() / window.mean())
    fast, slow = close.ewm(span=12, adjust=False).mean(), close.ewm(span=26, adjust=False).mean()
    macd = fast - slow
    assert raw["macd_hist"].iloc[t] == pytest.approx((macd - macd.ewm(span=9, adjust=False).mean()).iloc[t])
    psar = parabolic_sar(AAA["high"], AAA["low"], close)
    assert raw["psar_dist"].iloc[t] == pytest.approx((close.iloc[t] - psar[t]) / close.iloc[t])
    assert list(raw.columns) == list(FEATURE_NAMES)


def test_zscore_uses_the_trailing_252_rows_including_today():
    raw = raw_features(AAA).dropna()
    feats = compute_features(AAA)
    day = feats.index[100]
    t = raw.index.get_loc(day)
    window = raw.iloc[t - 251: t + 1]
    expected = (raw.iloc[t] - window.mean()) / window.std()
    np.testing.assert_allclose(feats.loc[day].to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert feats.index[0] == raw.index[251]  # the first row with a full window
    assert not feats.isna().any().any()


@settings(max_examples=8, deadline=None)
@given(cut=st.integers(min_value=300, max_value=1150), scale=st.floats(0.5, 2.0))
def test_changing_bars_after_t_never_changes_features_up_to_t(cut, scale):
    before = compute_features(AAA)
    changed = AAA.copy()
    changed.iloc[cut:, :4] *= scale
    changed.iloc[cut:, changed.columns.get_loc("high")] *= 1.01
    after = compute_features(changed)
    day = AAA.index[cut]
    pd.testing.assert_frame_equal(before.loc[before.index < day], after.loc[after.index < day])


def test_features_from_history_bars_equal_full_history_features():
    # the algorithm asks history() for HISTORY_BARS bars; its last 60 rows must equal research's
    full = compute_features(AAA)
    short = compute_features(AAA.iloc[-HISTORY_BARS:])
    np.testing.assert_allclose(short.iloc[-60:].to_numpy(), full.iloc[-60:].to_numpy(), rtol=0, atol=1e-8)
    # with much less history the recursive EMAs have not converged and the values differ
    tiny = compute_features(AAA.iloc[-330:])
    assert np.abs(tiny.iloc[-60:].to_numpy() - full.iloc[-60:].to_numpy()).max() > 1e-6


def test_features_are_scale_free():
    scaled = AAA.copy()
    scaled[["open", "high", "low", "close"]] *= 7.3  # a dividend adjustment as of another date
    np.testing.assert_allclose(compute_features(scaled).to_numpy(), compute_features(AAA).to_numpy(), atol=1e-8)


def test_capitalised_yahoo_columns_are_accepted():
    yahoo = AAA.rename(columns=str.capitalize)
    pd.testing.assert_frame_equal(compute_features(yahoo), compute_features(AAA))


def test_sma_and_atr_follow_lean():
    bars = pd.DataFrame({"high": [10, 12, 11, 13.0], "low": [9, 10, 9.5, 11], "close": [9.5, 11, 10, 12]},
                        index=pd.bdate_range("2020-01-01", periods=4))
    # true ranges: 1 (H-L on the first bar), max(2, 2.5, 0.5)=2.5, max(1.5, 0, 1.5)=1.5, max(2, 3, 1)=3
    np.testing.assert_allclose(atr(bars, 2).to_numpy(), [np.nan, 1.75, 2.0, 2.25])
    np.testing.assert_allclose(sma(bars["close"], 3).to_numpy(), [np.nan, np.nan, 30.5 / 3, 11.0])


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f.drop(columns="low"), "missing column"),
    (lambda f: f.iloc[::-1], "strictly increasing"),
    (lambda f: f.assign(close=f["close"].where(f.index != f.index[5], -1.0)), "finite and positive"),
    (lambda f: f.reset_index(drop=True), "DatetimeIndex"),
    (lambda f: f.assign(high=f["low"] - 1), "high is below low"),
])
def test_bad_bars_raise_clear_errors(mutate, message):
    with pytest.raises(ValueError, match=message):
        compute_features(mutate(AAA))
