"""Simple estimators that read a generated LEAN data folder back, for the synthetic-market tests.

They are written independently of the generators (pandas/numpy reference implementations of each planted
rule) so a test that recovers a planted parameter checks the generator, the writers and the files together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from qclocal.data import fred as fredlib
from qclocal.data import lean_format

FAR_PAST, FAR_FUTURE = date(1900, 1, 1), date(2100, 1, 1)


def daily_bars(folder: Path, ticker: str, *, adjusted: bool = True) -> pd.DataFrame:
    """A ticker's daily bars; with ``adjusted`` prices x split factor and volume / split factor (LEAN's
    adjusted mode for a series without dividends)."""
    bars = lean_format.read_bars(folder, "equity", ticker, "daily", FAR_PAST, FAR_FUTURE)
    bars.index = bars.index.normalize()
    if adjusted:
        factors = lean_format.read_factor_file(folder, ticker)
        scale = factors.scale_for(bars.index.values, "split_adjusted")
        for col in ("open", "high", "low", "close"):
            bars[col] = bars[col] * scale
        bars["volume"] = bars["volume"] / scale
    return bars


def closes(folder: Path, tickers: list[str]) -> pd.DataFrame:
    return pd.DataFrame({t: daily_bars(folder, t)["close"] for t in tickers})


def index_closes(folder: Path, ticker: str) -> pd.Series:
    bars = lean_format.read_bars(folder, "index", ticker, "daily", FAR_PAST, FAR_FUTURE)
    return pd.Series(bars["close"].to_numpy(), index=bars.index.normalize(), name=ticker)


@dataclass
class Fit:
    coef: np.ndarray
    cov: np.ndarray
    resid_sd: float
    n: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def z(self, truth: np.ndarray) -> np.ndarray:
        return (self.coef - np.asarray(truth, float)) / self.se

    def wald(self, which: list[int] | slice, value: np.ndarray | float = 0.0) -> float:
        """Chi-square statistic of H0: coef[which] == value."""
        diff = self.coef[which] - value
        return float(diff @ np.linalg.solve(self.cov[which][:, which], diff))


def ols(y: np.ndarray, x: np.ndarray, *, robust: bool = False) -> Fit:
    """Least squares with classical or White (HC1) standard errors."""
    y, x = np.asarray(y, float), np.asarray(x, float)
    keep = np.isfinite(y) & np.isfinite(x).all(axis=1)
    y, x = y[keep], x[keep]
    n, p = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ y
    resid = y - x @ coef
    if robust:
        meat = (x * resid[:, None] ** 2).T @ x * n / (n - p)
        cov = xtx_inv @ meat @ xtx_inv
    else:
        cov = xtx_inv * (resid @ resid / (n - p))
    return Fit(coef, cov, float(np.sqrt(resid @ resid / (n - p))), n)


# ---------------------------------------------------------------------------------------------- mag7

def psar(high: np.ndarray, low: np.ndarray, close: np.ndarray, af: float = 0.02, max_af: float = 0.2) -> np.ndarray:
    """The Mag7 source's CalculatePSAR loop, transcribed."""
    psar_ = np.copy(close)
    bull = True
    af_val = af
    hp, lp = high[0], low[0]
    for i in range(2, len(close)):
        if bull:
            psar_[i] = psar_[i - 1] + af_val * (hp - psar_[i - 1])
            bull = psar_[i] < low[i]
            if not bull:
                psar_[i], lp, af_val = hp, low[i], af
            else:
                if high[i] > hp:
                    hp = high[i]
                    af_val = min(af_val + af, max_af)
                if low[i - 1] < psar_[i]:
                    psar_[i] = low[i - 1]
                if low[i - 2] < psar_[i]:
                    psar_[i] = low[i - 2]
        else:
            psar_[i] = psar_[i - 1] + af_val * (lp - psar_[i - 1])
            bull = psar_[i] < high[i]
            if bull:
                psar_[i], hp, af_val = lp, high[i], af
            else:
                if low[i] < lp:
                    lp = low[i]
                    af_val = min(af_val + af, max_af)
                if high[i - 1] > psar_[i]:
                    psar_[i] = high[i - 1]
                if high[i - 2] > psar_[i]:
                    psar_[i] = high[i - 2]
    return psar_


def mag7_features(bars: pd.DataFrame) -> pd.DataFrame:
    """The source's PrepareFeatures (z-scored over 252) plus the SMA(200) regime, on adjusted bars."""
    df = bars.copy()
    close = df["close"]
    df["return"] = close.pct_change()
    macd = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    df["macd_hist"] = macd - macd.ewm(span=9, adjust=False).mean()
    mean, std = close.rolling(20).mean(), close.rolling(20).std()
    df["bb_width"] = 2 * 1.25 * std / mean
    df["psar_dist"] = (close - psar(df["high"].to_numpy(), df["low"].to_numpy(), close.to_numpy())) / close
    cols = ["return", "macd_hist", "bb_width", "psar_dist"]
    valid = df[cols].dropna()
    z = (valid - valid.rolling(252).mean()) / valid.rolling(252).std()
    out = z.reindex(df.index)
    out["above"] = (close > close.rolling(200).mean()).where(close.rolling(200).count() == 200)
    return out


# ---------------------------------------------------------------------------------------------- reversal

def reversal_events(bars: pd.DataFrame, *, threshold: float, volume_ratio: float, lookback: int, hold: int,
                    vol_window: int) -> pd.DataFrame:
    """Events by the documented rule, with forward log returns over ``hold`` sessions."""
    close, volume = bars["close"], bars["volume"]
    r3 = close / close.shift(lookback) - 1
    sd = close.pct_change().rolling(vol_window).std()
    vr = volume / volume.rolling(vol_window).mean()
    score = r3 / (sd * math.sqrt(lookback))
    candidate = ((score.abs() >= threshold) & (vr >= volume_ratio)).to_numpy()
    fwd = np.log(close.shift(-hold) / close).to_numpy()
    rows, last = [], -10 ** 9
    for t in np.flatnonzero(candidate):
        if t - last >= hold:
            rows.append((close.index[t], float(r3.iloc[t]), float(score.iloc[t]), float(fwd[t])))
            last = t
    return pd.DataFrame(rows, columns=["date", "r3", "score", "fwd"])


# ---------------------------------------------------------------------------------------------- sectors

def fred_visible(folder: Path, series_id: str, moment: pd.Timestamp, count: int) -> np.ndarray:
    """The last ``count`` observations visible at ``moment`` (LEAN: from 00:00 the day after release)."""
    frame = fredlib.read_fred_frame(folder, series_id)
    seen = frame[frame["visible"] <= moment].sort_values("observation")
    return seen["value"].to_numpy()[-count:]


# ---------------------------------------------------------------------------------------------- pairs

def ar1(series: np.ndarray) -> Fit:
    """Fit ``S_t = c + phi S_{t-1} + e``; coef = (c, phi)."""
    s = np.asarray(series, float)
    return ols(s[1:], np.column_stack([np.ones(len(s) - 1), s[:-1]]))
