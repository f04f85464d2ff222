"""QPI and the eight ML features, computed for the whole universe at once on wide (date x ticker) frames.

Every value at date t is a function of the last :data:`WINDOW` bars up to and including t (finite windows
only, no exponential smoothing), so the algorithm, which keeps a short rolling window, and research, which
passes the full history, compute identical numbers. Prices and volumes are split-adjusted (LEAN's default
``ADJUSTED`` mode); the features are ratios, so the adjustment basis does not matter.

QPI (the source's 3-day Quantitative Pressure Index)::

    ret_3d     = C[t] / C[t-3] - 1
    vol_ratio  = V[t] / SMA(V, 20)[t]                  (the mean of the 20 volumes t-19..t)
    volatility = StdDev(daily simple returns, 20)[t]   (sample std, ddof=1, of the 20 returns up to t)
    QPI        = clip(50 + ret_3d / volatility * 10 - (vol_ratio - 1) * 5, 0, 100)

The features (:data:`FEATURE_NAMES`), two from each family the source names:

=================  ==========================================================================================
``rsi_3``          RSI over 3 closes, simple averages of gains and losses (Cutler's RSI), 0..100
``rsi_14``         the same over 14 closes
``bb_pct_b``       Bollinger %B: (C - lower) / (upper - lower), bands SMA(C, 20) +/- 2 sd (population, as LEAN)
``bb_width``       Bollinger width: (upper - lower) / SMA(C, 20)
``ret_3d_z``       ret_3d / volatility: the 3-day move in daily standard deviations (QPI's price term)
``mom_20``         C[t] / C[t-20] - 1: one-month momentum
``vol_ratio``      V[t] / SMA(V, 20): QPI's volume term
``vol_trend``      SMA(V, 5) / SMA(V, 20): volume building up or fading
=================  ==========================================================================================

A name with a missing or non-positive close, or zero average volume, in its window gets NaN, and the rules
never trade NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FEATURE_NAMES", "WINDOW", "HISTORY_BARS", "qpi", "compute_features", "feature_panel", "QPI_PARAMS",
           "RecentBars"]

FEATURE_NAMES: tuple[str, ...] = ("rsi_3", "rsi_14", "bb_pct_b", "bb_width", "ret_3d_z", "mom_20", "vol_ratio",
                                  "vol_trend")
QPI_PARAMS: dict[str, float] = {"lookback": 3, "window": 20, "center": 50.0, "price_scale": 10.0, "volume_scale": 5.0}
WINDOW = 21          # bars behind every value: 20 daily returns need 21 closes
HISTORY_BARS = 30    # what the algorithm keeps per name (a margin over WINDOW for missing bars)


def _check(close: pd.DataFrame, volume: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not isinstance(close, pd.DataFrame) or not isinstance(volume, pd.DataFrame):
        raise TypeError("close and volume must be wide DataFrames (dates x tickers)")
    if not close.index.equals(volume.index) or not close.columns.equals(volume.columns):
        raise ValueError("close and volume must share their index (dates) and columns (tickers)")
    if not close.index.is_monotonic_increasing or close.index.has_duplicates:
        raise ValueError("the date index must increase strictly")
    close = close.astype(float).where(close > 0)
    return close, volume.astype(float)


def _parts(close: pd.DataFrame, volume: pd.DataFrame, lookback: int, window: int
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ret_3d / volatility, vol_ratio)."""
    ret = close.pct_change(fill_method=None)
    ret_3d = close / close.shift(lookback) - 1
    vol_ratio = volume / volume.rolling(window).mean().where(lambda v: v > 0)
    volatility = ret.rolling(window).std(ddof=1).where(lambda s: s > 0)
    return ret_3d / volatility, vol_ratio


def qpi(close: pd.DataFrame, volume: pd.DataFrame, *, lookback: int = 3, window: int = 20, center: float = 50.0,
        price_scale: float = 10.0, volume_scale: float = 5.0) -> pd.DataFrame:
    """The QPI of every name on every date (NaN until ``window + 1`` closes are known)."""
    close, volume = _check(close, volume)
    z, vol_ratio = _parts(close, volume, lookback, window)
    return _qpi(z, vol_ratio, center, price_scale, volume_scale)


def _qpi(z: pd.DataFrame, vol_ratio: pd.DataFrame, center: float, price_scale: float, volume_scale: float
         ) -> pd.DataFrame:
    return (center + z * price_scale - (vol_ratio - 1) * volume_scale).clip(0.0, 100.0)


def _rsi(close: pd.DataFrame, period: int) -> pd.DataFrame:
    change = close.diff()
    gain = change.clip(lower=0).rolling(period).mean()
    loss = (-change).clip(lower=0).rolling(period).mean()
    total = gain + loss
    return (100 * gain / total.where(total > 0)).where(total > 0, 50.0).where(gain.notna())


def compute_features(close: pd.DataFrame, volume: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{feature name: wide frame}`` for :data:`FEATURE_NAMES` plus ``"qpi"``, same shape as ``close``."""
    close, volume = _check(close, volume)
    p = QPI_PARAMS
    z, vol_ratio = _parts(close, volume, int(p["lookback"]), int(p["window"]))
    sma20 = close.rolling(20).mean()
    sd20 = close.rolling(20).std(ddof=0)
    upper, lower = sma20 + 2 * sd20, sma20 - 2 * sd20
    band = (upper - lower).where(lambda b: b > 0)
    vol_sma20 = volume.rolling(20).mean().where(lambda v: v > 0)
    out = {
        "rsi_3": _rsi(close, 3),
        "rsi_14": _rsi(close, 14),
        "bb_pct_b": (close - lower) / band,
        "bb_width": band / sma20,
        "ret_3d_z": z,
        "mom_20": close / close.shift(20) - 1,
        "vol_ratio": vol_ratio,
        "vol_trend": volume.rolling(5).mean() / vol_sma20,
    }
    out["qpi"] = _qpi(z, vol_ratio, p["center"], p["price_scale"], p["volume_scale"])
    return {name: frame.replace([np.inf, -np.inf], np.nan) for name, frame in out.items()}


def feature_panel(close: pd.DataFrame, volume: pd.DataFrame, *, dropna: bool = True) -> pd.DataFrame:
    """Long panel indexed by (date, ticker), columns ``FEATURE_NAMES + ("qpi",)``; rows with NaN dropped."""
    features = compute_features(close, volume)
    columns = [*FEATURE_NAMES, "qpi"]
    stacked = {name: features[name].stack(future_stack=True) for name in columns}
    panel = pd.DataFrame(stacked)[columns]
    panel.index.names = ["date", "ticker"]
    return panel.dropna() if dropna else panel


class RecentBars:
    """The last ``size`` daily closes and volumes of every name, as wide frames: what the algorithm keeps so it can
    compute the features for the whole universe once a day. ``seed`` merges ``history()`` for names that join;
    ``append`` adds one day's bars."""

    def __init__(self, size: int = HISTORY_BARS):
        self.size = int(size)
        self.close = pd.DataFrame(dtype=float)
        self.volume = pd.DataFrame(dtype=float)

    def seed(self, close: pd.DataFrame, volume: pd.DataFrame) -> None:
        """Merge wide history frames; values already held win (they are the same bars)."""
        self.close = self.close.combine_first(close.astype(float)).tail(self.size)
        self.volume = self.volume.combine_first(volume.astype(float)).reindex(self.close.index)

    def append(self, day: pd.Timestamp, closes: dict[str, float], volumes: dict[str, float]) -> None:
        """One session's bars (names without a bar today get NaN)."""
        day = pd.Timestamp(day).normalize()
        row_close = pd.DataFrame([closes], index=pd.DatetimeIndex([day]), dtype=float)
        row_volume = pd.DataFrame([volumes], index=pd.DatetimeIndex([day]), dtype=float)
        if day in self.close.index:
            self.close = self.close.drop(index=day)
            self.volume = self.volume.drop(index=day)
        self.close = pd.concat([self.close, row_close]).sort_index().tail(self.size)
        self.volume = pd.concat([self.volume, row_volume]).sort_index().reindex(self.close.index)

    def latest(self, tickers: list[str] | None = None) -> dict[str, pd.Series]:
        """Today's features and QPI (the last row), for ``tickers`` (default: every name held)."""
        close, volume = self.close, self.volume.reindex(columns=self.close.columns)
        if tickers is not None:
            close, volume = close.reindex(columns=tickers), volume.reindex(columns=tickers)
        return {name: frame.iloc[-1] for name, frame in compute_features(close, volume).items()}

    def adv_dollars(self, window: int = 20) -> pd.Series:
        """Mean daily dollar volume over the last ``window`` sessions, per name."""
        return (self.close * self.volume.reindex(columns=self.close.columns)).tail(window).mean()
