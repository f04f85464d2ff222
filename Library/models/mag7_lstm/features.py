"""The four daily features of the Mag7 LSTM and the indicators of its trading rule, from one symbol's OHLC bars.

Features (source ``PrepareFeatures``), each z-scored over a rolling 252-bar window:

- ``return``: close-to-close return.
- ``macd_hist``: MACD(12, 26) minus its 9-bar signal; pandas ``ewm(span, adjust=False)`` as in the source.
- ``bb_width``: Bollinger width with +-1.25 standard deviations over 20 bars, divided by the middle band.
- ``psar_dist``: ``(close - PSAR) / close`` with PSAR(0.02, 0.02, 0.2).

PSAR: we use LEAN's ``ParabolicStopAndReverse`` (the TA-Lib algorithm), ported in :func:`parabolic_sar`, not the
source's loop. It is the documented, tested reference (LEAN checks it against TA-Lib output) and it is what
``self.psar`` gives in LEAN. The source's loop is kept as :func:`source_parabolic_sar` for comparison only; its
defects are: it tests for a reversal *before* clamping the SAR to the prior two bars' range (so it reverses on
bars Wilder's rule would not); it never clamps the SAR set at a reversal; it starts long unconditionally from
``close[1]`` with the extreme points of bar 0 (``ep`` is unused); and its first two values equal the close, a
fake zero distance. Neither version looks ahead: the value at bar ``t`` uses bars ``<= t`` only. (The source's
look-ahead bug is in its label, ``pct_change().shift(-21)``, fixed in :mod:`.dataset`.)

Every feature at bar ``t`` depends only on bars ``<= t``. The EMAs and the PSAR are recursive, so their values
depend (vanishingly) on where the history starts; after :data:`HISTORY_BARS` bars the difference is below
1e-9, so an algorithm that asks ``history()`` for that many bars computes the research features.
All features are scale-free (ratios, or z-scores of a price-linear quantity), so LEAN's adjusted prices, which
are a constant multiple of research's within a window, give the same values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "FEATURE_NAMES", "ZSCORE_WINDOW", "HISTORY_BARS", "validate_ohlc", "parabolic_sar", "source_parabolic_sar",
    "raw_features", "compute_features", "sma", "atr",
]

FEATURE_NAMES: tuple[str, ...] = ("return", "macd_hist", "bb_width", "psar_dist")
ZSCORE_WINDOW = 252
BB_WINDOW, BB_K = 20, 1.25
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
PSAR_AF_START, PSAR_AF_STEP, PSAR_AF_MAX = 0.02, 0.02, 0.2
# Bars an algorithm should request: 60-bar sequence + 252-bar z-score + 19 warm-up + ~420 bars for the EMAs
# ((25/27)**420 < 1e-14) and the PSAR (which forgets its start at its second reversal) to converge.
HISTORY_BARS = 756

_REQUIRED = ("high", "low", "close")


def validate_ohlc(ohlc: pd.DataFrame, *, name: str = "ohlc", required: tuple[str, ...] = _REQUIRED
                  ) -> pd.DataFrame:
    """``ohlc`` with lowercase columns, checked: DatetimeIndex, strictly increasing, finite positive prices.

    Raises ``ValueError`` naming the problem.
    """
    if not isinstance(ohlc, pd.DataFrame):
        raise ValueError(f"{name}: expected a DataFrame of daily bars, got {type(ohlc).__name__}")
    frame = ohlc.rename(columns=lambda c: str(c).lower())
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; it has {list(frame.columns)}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError(f"{name}: index must be a DatetimeIndex of bar dates, got {type(frame.index).__name__}")
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise ValueError(f"{name}: dates must be strictly increasing (sort and de-duplicate the bars)")
    values = frame[list(required)].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"{name}: {list(required)} must be finite and positive (drop or fill missing bars)")
    if np.any(frame["high"].to_numpy(float) < frame["low"].to_numpy(float)):
        raise ValueError(f"{name}: high is below low on some bar")
    return frame


def parabolic_sar(high: np.ndarray, low: np.ndarray, close: np.ndarray, *, af_start: float = PSAR_AF_START,
                  af_step: float = PSAR_AF_STEP, af_max: float = PSAR_AF_MAX) -> np.ndarray:
    """LEAN's ``ParabolicStopAndReverse`` (TA-Lib's SAR) over arrays; NaN at bar 0, where LEAN is not ready."""
    high, low, close = (np.asarray(a, dtype=float) for a in (high, low, close))
    n = len(close)
    out = np.full(n, np.nan)
    if n < 2:
        return out
    # Init on the second bar, exactly as LEAN (including its min() for the long extreme point).
    is_long = close[1] >= close[0]
    if is_long:
        ep, sar = min(high[1], high[0]), low[0]
    else:
        ep, sar = min(low[1], low[0]), high[0]
    out[1] = sar
    af = af_start
    for i in range(2, n):
        h, lo, ph, pl = high[i], low[i], high[i - 1], low[i - 1]
        if is_long:
            if lo <= sar:  # reversal to short: the SAR jumps to the extreme point, kept above both bars' highs
                is_long = False
                sar = max(ep, ph, h)
                out[i] = sar
                af, ep = af_start, lo
                sar = max(sar + af * (ep - sar), ph, h)
            else:
                out[i] = sar
                if h > ep:
                    ep, af = h, min(af + af_step, af_max)
                sar = min(sar + af * (ep - sar), pl, lo)
        else:
            if h >= sar:  # reversal to long
                is_long = True
                sar = min(ep, pl, lo)
                out[i] = sar
                af, ep = af_start, h
                sar = min(sar + af * (ep - sar), pl, lo)
            else:
                out[i] = sar
                if lo < ep:
                    ep, af = lo, min(af + af_step, af_max)
                sar = max(sar + af * (ep - sar), ph, h)
    return out


def source_parabolic_sar(high: np.ndarray, low: np.ndarray, close: np.ndarray, *, af: float = PSAR_AF_START,
                         max_af: float = PSAR_AF_MAX) -> np.ndarray:
    """The source's ``CalculatePSAR`` loop, verbatim in behaviour (defects listed in the module docstring)."""
    high, low = np.asarray(high, dtype=float), np.asarray(low, dtype=float)
    psar = np.array(close, dtype=float, copy=True)
    bull = True
    af_val = af
    hp, lp = high[0], low[0]
    for i in range(2, len(psar)):
        if bull:
            psar[i] = psar[i - 1] + af_val * (hp - psar[i - 1])
            bull = psar[i] < low[i]
            if not bull:
                psar[i], lp, af_val = hp, low[i], af
            else:
                if high[i] > hp:
                    hp, af_val = high[i], min(af_val + af, max_af)
                psar[i] = min(psar[i], low[i - 1], low[i - 2])
        else:
            psar[i] = psar[i - 1] + af_val * (lp - psar[i - 1])
            bull = psar[i] < high[i]
            if bull:
                psar[i], hp, af_val = lp, high[i], af
            else:
                if low[i] < lp:
                    lp, af_val = low[i], min(af_val + af, max_af)
                psar[i] = max(psar[i], high[i - 1], high[i - 2])
    return psar


def raw_features(ohlc: pd.DataFrame) -> pd.DataFrame:
    """The four features before z-scoring, one row per bar (NaN during each feature's warm-up)."""
    frame = validate_ohlc(ohlc)
    close = frame["close"].astype(float)
    ret = close.pct_change()
    macd = close.ewm(span=MACD_FAST, adjust=False).mean() - close.ewm(span=MACD_SLOW, adjust=False).mean()
    macd_hist = macd - macd.ewm(span=MACD_SIGNAL, adjust=False).mean()
    mid = close.rolling(BB_WINDOW).mean()
    std = close.rolling(BB_WINDOW).std()
    bb_width = 2 * BB_K * std / mid
    psar = parabolic_sar(frame["high"].to_numpy(float), frame["low"].to_numpy(float), close.to_numpy())
    psar_dist = (close - psar) / close
    out = pd.DataFrame({"return": ret, "macd_hist": macd_hist, "bb_width": bb_width, "psar_dist": psar_dist},
                       index=frame.index)
    return out[list(FEATURE_NAMES)]


def compute_features(ohlc: pd.DataFrame, *, zscore_window: int = ZSCORE_WINDOW) -> pd.DataFrame:
    """Z-scored features (columns :data:`FEATURE_NAMES`), rows with a full window only.

    The z-score at bar ``t`` uses the raw features of bars ``t - window + 1 .. t`` (mean and sample std), as in
    the source. A zero-variance window gives NaN, and such rows are dropped with the warm-up rows.
    """
    if zscore_window < 2:
        raise ValueError(f"zscore_window must be >= 2, got {zscore_window}")
    raw = raw_features(ohlc).dropna()
    rolling = raw.rolling(zscore_window, min_periods=zscore_window)
    z = (raw - rolling.mean()) / rolling.std()
    return z.replace([np.inf, -np.inf], np.nan).dropna()


def sma(close: pd.Series, period: int = 200) -> pd.Series:
    """LEAN's SMA once ready (NaN before ``period`` bars; LEAN returns a partial mean there)."""
    return close.astype(float).rolling(period, min_periods=period).mean()


def atr(ohlc: pd.DataFrame, period: int = 20) -> pd.Series:
    """LEAN's ``ATR(period, MovingAverageType.Simple)``: simple mean of the true range; the first TR is H - L."""
    frame = validate_ohlc(ohlc)
    high, low, close = frame["high"], frame["low"], frame["close"]
    prev = close.shift(1)
    tr = pd.concat([high - low, (high - prev).abs(), (low - prev).abs()], axis=1).max(axis=1, skipna=True)
    return tr.rolling(period, min_periods=period).mean()
