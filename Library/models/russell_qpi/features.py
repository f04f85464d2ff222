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
           "last_row_features", "RecentBars"]

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


def last_row_features(close: np.ndarray, volume: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`compute_features` of the last row only, for every column at once, in numpy.

    ``close`` and ``volume`` are (bars x names) arrays whose last row is today; only the last :data:`WINDOW` rows
    matter. Same definitions and NaN rules as :func:`compute_features` (equal to rounding, tested); this is the
    algorithm's daily step, where pandas' per-operation overhead over 30 rows would dominate.
    """
    close = np.asarray(close, dtype=float)[-WINDOW:]
    volume = np.asarray(volume, dtype=float)[-WINDOW:]
    if close.shape[0] < WINDOW:                                     # short history: pad with missing bars
        pad = np.full((WINDOW - close.shape[0], close.shape[1]), np.nan)
        close, volume = np.vstack([pad, close]), np.vstack([pad, volume])
    p = QPI_PARAMS
    window, lookback = int(p["window"]), int(p["lookback"])
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(close > 0, close, np.nan)
        today, v_today = c[-1], volume[-1]
        ret = c[1:] / c[:-1] - 1                                   # the 20 returns up to today
        volatility = ret[-window:].std(axis=0, ddof=1)
        volatility = np.where(volatility > 0, volatility, np.nan)
        vol_sma20 = volume[-window:].mean(axis=0)
        vol_sma20 = np.where(vol_sma20 > 0, vol_sma20, np.nan)
        vol_ratio = v_today / vol_sma20
        z = (today / c[-1 - lookback] - 1) / volatility
        last20 = c[-20:]
        sma20, sd20 = last20.mean(axis=0), last20.std(axis=0, ddof=0)
        upper, lower = sma20 + 2 * sd20, sma20 - 2 * sd20
        band = np.where(upper - lower > 0, upper - lower, np.nan)
        change = np.diff(c, axis=0)

        def rsi(period: int) -> np.ndarray:
            recent = change[-period:]
            gain = np.clip(recent, 0, None).mean(axis=0)
            loss = np.clip(-recent, 0, None).mean(axis=0)
            total = gain + loss
            value = np.where(total > 0, 100 * gain / np.where(total > 0, total, 1.0), 50.0)
            return np.where(np.isnan(gain), np.nan, value)

        out = {
            "rsi_3": rsi(3),
            "rsi_14": rsi(14),
            "bb_pct_b": (today - lower) / band,
            "bb_width": band / sma20,
            "ret_3d_z": z,
            "mom_20": today / c[-21] - 1,
            "vol_ratio": vol_ratio,
            "vol_trend": volume[-5:].mean(axis=0) / vol_sma20,
        }
        out["qpi"] = np.clip(p["center"] + z * p["price_scale"] - (vol_ratio - 1) * p["volume_scale"], 0.0, 100.0)
    return {name: np.where(np.isfinite(a), a, np.nan) for name, a in out.items()}


class RecentBars:
    """The last ``size`` daily closes and volumes of every name, in (bars x names) numpy arrays: what the algorithm
    keeps so it can compute the features for the whole universe once a day (:func:`last_row_features`).
    ``seed`` merges ``history()`` for names that join; ``append`` adds one day's bars."""

    def __init__(self, size: int = HISTORY_BARS):
        self.size = int(size)
        self.dates: list[pd.Timestamp] = []
        self.tickers: list[str] = []
        self.column: dict[str, int] = {}
        self._close = np.empty((0, 0))
        self._volume = np.empty((0, 0))

    @property
    def close(self) -> pd.DataFrame:
        return pd.DataFrame(self._close, index=pd.DatetimeIndex(self.dates), columns=self.tickers)

    @property
    def volume(self) -> pd.DataFrame:
        return pd.DataFrame(self._volume, index=pd.DatetimeIndex(self.dates), columns=self.tickers)

    def _set(self, close: pd.DataFrame, volume: pd.DataFrame) -> None:
        close = close.tail(self.size)
        volume = volume.reindex(index=close.index, columns=close.columns)
        self.dates, self.tickers = list(close.index), [str(t) for t in close.columns]
        self.column = {t: i for i, t in enumerate(self.tickers)}
        self._close, self._volume = close.to_numpy(dtype=float), volume.to_numpy(dtype=float)

    def seed(self, close: pd.DataFrame, volume: pd.DataFrame) -> None:
        """Merge wide history frames; values already held win (they are the same bars)."""
        merged = self.close.combine_first(close.astype(float))
        self._set(merged, self.volume.combine_first(volume.astype(float)).reindex(columns=merged.columns))

    def append(self, day: pd.Timestamp, closes: dict[str, float], volumes: dict[str, float]) -> None:
        """One session's bars (names without a bar today get NaN)."""
        day = pd.Timestamp(day).normalize()
        new = [t for t in closes if t not in self.column]
        if new or (self.dates and day <= self.dates[-1]):        # new names or a replayed day: the slow path
            close, volume = self.close, self.volume
            row = pd.DataFrame([closes], index=pd.DatetimeIndex([day]), dtype=float)
            row_volume = pd.DataFrame([volumes], index=pd.DatetimeIndex([day]), dtype=float)
            close = pd.concat([close.drop(index=day, errors="ignore"), row]).sort_index()
            volume = pd.concat([volume.drop(index=day, errors="ignore"), row_volume]).sort_index()
            self._set(close, volume.reindex(columns=close.columns))
            return
        row_close = np.full(len(self.tickers), np.nan)
        row_volume = np.full(len(self.tickers), np.nan)
        column = self.column
        for ticker, value in closes.items():
            row_close[column[ticker]] = value
        for ticker, value in volumes.items():
            if ticker in column:
                row_volume[column[ticker]] = value
        keep = self.size - 1
        self._close = np.vstack([self._close[-keep:] if keep else self._close[:0], row_close[None]])
        self._volume = np.vstack([self._volume[-keep:] if keep else self._volume[:0], row_volume[None]])
        self.dates = [*self.dates[-keep:], day] if keep else [day]

    def latest(self, tickers: list[str] | None = None) -> dict[str, pd.Series]:
        """Today's features and QPI (the last row), for ``tickers`` (default: every name held)."""
        names = self.tickers if tickers is None else list(tickers)
        index = np.array([self.column.get(t, -1) for t in names], dtype=int)
        known = index >= 0
        close = np.full((len(self.dates), len(names)), np.nan)
        volume = np.full((len(self.dates), len(names)), np.nan)
        close[:, known], volume[:, known] = self._close[:, index[known]], self._volume[:, index[known]]
        return {name: pd.Series(values, index=pd.Index(names, dtype=object), name=name)
                for name, values in last_row_features(close, volume).items()}

    def adv_dollars(self, window: int = 20) -> pd.Series:
        """Mean daily dollar volume over the last ``window`` sessions, per name (missing days skipped)."""
        dollars = (self._close * self._volume)[-int(window):]
        count = np.isfinite(dollars).sum(axis=0)
        total = np.nansum(dollars, axis=0)
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        return pd.Series(mean, index=pd.Index(self.tickers, dtype=object))
