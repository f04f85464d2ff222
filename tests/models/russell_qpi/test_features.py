"""QPI on a hand-computed example; features are vectorised, finite-window and never look ahead."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from models import russell_qpi as q
from qpi_market import random_market


def _frames(returns: list[float], volumes: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    closes = 100 * np.cumprod([1.0, *(1 + r for r in returns)])
    days = pd.bdate_range("2020-01-01", periods=len(closes))
    return pd.DataFrame({"X": closes}, index=days), pd.DataFrame({"X": volumes}, index=days)


def test_qpi_matches_a_hand_computed_example():
    # 20 daily returns: +1%, -1% alternating (9 up, 8 down), then three days of -0.5%; volume 1000 a day, 2000 today
    returns = [0.01 if k % 2 == 0 else -0.01 for k in range(17)] + [-0.005] * 3
    close, volume = _frames(returns, [1000.0] * 20 + [2000.0])
    ret_3d = 0.995 ** 3 - 1                                   # -0.014925
    volatility = statistics.stdev(returns)                    # sample sd of the 20 returns: 0.0096620...
    vol_ratio = 2000 / ((19 * 1000 + 2000) / 20)              # 1.904762
    expected = 50 + ret_3d / volatility * 10 - (vol_ratio - 1) * 5
    assert expected == pytest.approx(30.029, abs=1e-3)        # 50 - 15.447 - 4.524
    got = q.qpi(close, volume)["X"]
    assert got.iloc[:-1].isna().all()                         # 21 closes are needed
    assert got.iloc[-1] == pytest.approx(expected, abs=1e-9)
    features = q.compute_features(close, volume)
    assert features["qpi"]["X"].iloc[-1] == pytest.approx(expected, abs=1e-9)
    assert features["ret_3d_z"]["X"].iloc[-1] == pytest.approx(ret_3d / volatility, rel=1e-12)
    assert features["vol_ratio"]["X"].iloc[-1] == pytest.approx(vol_ratio, rel=1e-12)


def test_qpi_is_clipped_to_0_100():
    returns = [0.01 if k % 2 == 0 else -0.01 for k in range(17)] + [-0.02] * 3
    close, volume = _frames(returns, [1000.0] * 20 + [3000.0])
    assert q.qpi(close, volume)["X"].iloc[-1] == 0.0          # raw -7.3
    close, volume = _frames([-r for r in returns], [1000.0] * 21)
    assert q.qpi(close, volume)["X"].iloc[-1] == 100.0


def test_rsi_and_bollinger_on_known_values():
    close = pd.DataFrame({"X": [10, 11, 10, 12, 13.0]}, index=pd.bdate_range("2020-01-01", periods=5))
    rsi3 = q.features._rsi(close, 3)["X"]
    # changes +1 -1 +2 +1: last three gains 3, losses 1 -> 100 * 3 / 4
    assert rsi3.iloc[-1] == pytest.approx(75.0)
    assert rsi3.iloc[-2] == pytest.approx(100 * 3 / 4)       # +1 -1 +2: gains 3, losses 1
    close, volume = random_market(1)
    f = q.compute_features(close, volume)
    window = close["N0"].iloc[-20:]
    mid, sd = window.mean(), window.std(ddof=0)
    assert f["bb_pct_b"]["N0"].iloc[-1] == pytest.approx((window.iloc[-1] - (mid - 2 * sd)) / (4 * sd))
    assert f["bb_width"]["N0"].iloc[-1] == pytest.approx(4 * sd / mid)
    assert f["vol_trend"]["N0"].iloc[-1] == pytest.approx(volume["N0"].iloc[-5:].mean() / volume["N0"].iloc[-20:].mean())


def test_features_never_look_ahead_and_need_only_the_last_window():
    close, volume = random_market(2)
    full = q.compute_features(close, volume)
    t = 50
    changed_close, changed_volume = close.copy(), volume.copy()
    changed_close.iloc[t + 1:] *= 3.0                          # rewrite everything after t
    changed_volume.iloc[t + 1:] = 1.0
    changed = q.compute_features(changed_close, changed_volume)
    short = q.compute_features(close.iloc[t + 1 - q.WINDOW: t + 1], volume.iloc[t + 1 - q.WINDOW: t + 1])
    for name in (*q.FEATURE_NAMES, "qpi"):
        pd.testing.assert_frame_equal(full[name].iloc[: t + 1], changed[name].iloc[: t + 1])
        # the algorithm's short rolling window gives the same numbers as research's full history
        np.testing.assert_allclose(short[name].iloc[-1], full[name].iloc[t], rtol=1e-10, atol=1e-12)


def test_recent_bars_gives_researchs_features():
    close, volume = random_market(3, days=60)
    bars = q.features.RecentBars(size=q.HISTORY_BARS)
    bars.seed(close.iloc[:30, :3], volume.iloc[:30, :3])          # names known from history()
    for day in close.index[30:]:
        bars.append(day, close.loc[day].to_dict(), volume.loc[day].to_dict())   # every name's bar of the day
    bars.seed(close.iloc[:, 3:], volume.iloc[:, 3:])               # names that join late
    latest = bars.latest()
    full = q.compute_features(close, volume)
    for name in (*q.FEATURE_NAMES, "qpi"):
        np.testing.assert_allclose(latest[name].reindex(close.columns), full[name].iloc[-1], rtol=1e-10)
    assert math.isclose(bars.adv_dollars(20)["N0"], float((close["N0"] * volume["N0"]).tail(20).mean()))


def test_bad_input_is_rejected():
    close, volume = random_market(4)
    with pytest.raises(ValueError, match="share their index"):
        q.compute_features(close, volume.iloc[:-1])
    with pytest.raises(ValueError, match="increase"):
        q.compute_features(close.iloc[::-1], volume.iloc[::-1])
    bad = close.copy()
    bad.iloc[40, 0] = 0.0                                          # a non-positive close gives NaN, never a number
    assert q.compute_features(bad, volume)["qpi"]["N0"].iloc[40:61].isna().all()


def test_last_row_features_equal_compute_features_with_gaps_and_bad_prices():
    close, volume = random_market(5, days=80)
    close.iloc[70, 0] = np.nan                                     # a missing bar inside the window
    close.iloc[75, 1] = -1.0                                       # a non-positive close
    volume.iloc[:, 2] = 0.0                                        # no volume at all
    close.iloc[50:, 3] = 10.0                                      # flat price: zero volatility and band
    full = q.compute_features(close, volume)
    for t in (q.WINDOW - 2, q.WINDOW - 1, 60, 79):
        last = q.features.last_row_features(close.iloc[: t + 1].to_numpy(), volume.iloc[: t + 1].to_numpy())
        for name in (*q.FEATURE_NAMES, "qpi"):
            np.testing.assert_allclose(last[name], full[name].iloc[t].to_numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name} at row {t}")
    assert np.isnan(last["qpi"][:3]).all() and last["bb_width"][3] != last["bb_width"][3]
