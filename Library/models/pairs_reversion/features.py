"""The spread of a pair and its 7 features, normalised with statistics of the training window only.

Spread (the source's): each leg's close is z-scored with the mean and standard deviation of its *training*
closes, and the spread is ``z_a - z_b``. The spread's z-score uses the spread's training mean and standard
deviation (the source used the full sample's, test period included: look-ahead). Rolling features look back
``window`` rows. Every row depends only on closes at or before its date, and rolling statistics are computed per
window, so research (full history) and the algorithm (:func:`compute_features` on a short ``history()``)
compute bit-identical numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["FEATURE_NAMES", "SpreadStats", "fit_stats", "spread", "zscore", "compute_features", "history_bars"]

FEATURE_NAMES: tuple[str, ...] = ("spread", "z_score", "z_score_lag1", "spread_lag1", "rolling_mean",
                                  "rolling_std", "volatility")


@dataclass(frozen=True)
class SpreadStats:
    """Training-window statistics that define a pair's spread, its z-score and the OLS hedge ratio."""

    mean_a: float
    std_a: float
    mean_b: float
    std_b: float
    spread_mean: float
    spread_std: float
    hedge_ratio: float  # OLS slope of A's daily log returns on B's, training window

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _legs(closes: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    if closes.shape[1] != 2:
        raise ValueError(f"closes must have two columns (leg A, leg B), got {list(closes.columns)}")
    return closes.iloc[:, 0].astype(float), closes.iloc[:, 1].astype(float)


def fit_stats(closes: pd.DataFrame) -> SpreadStats:
    """Fit the statistics on ``closes`` (two columns A, B: the training window, nothing after it)."""
    a, b = _legs(closes.dropna())
    if len(a) < 3:
        raise ValueError(f"need at least 3 training closes for both legs {list(closes.columns)}, got {len(a)}")
    std_a, std_b = float(a.std()), float(b.std())
    if not (std_a > 0 and std_b > 0):
        raise ValueError(f"a leg of {list(closes.columns)} is constant over the training window")
    s = (a - a.mean()) / std_a - (b - b.mean()) / std_b
    ra, rb = np.diff(np.log(a.to_numpy())), np.diff(np.log(b.to_numpy()))
    beta = float(np.polyfit(rb, ra, 1)[0]) if rb.std() > 0 else 1.0
    return SpreadStats(float(a.mean()), std_a, float(b.mean()), std_b, float(s.mean()), float(s.std()), beta)


def spread(closes: pd.DataFrame, stats: SpreadStats) -> pd.Series:
    a, b = _legs(closes)
    return ((a - stats.mean_a) / stats.std_a - (b - stats.mean_b) / stats.std_b).rename("spread")


def zscore(spread_values: pd.Series | float, stats: SpreadStats) -> pd.Series | float:
    return (spread_values - stats.spread_mean) / stats.spread_std


def compute_features(closes: pd.DataFrame, stats: SpreadStats, window: int) -> pd.DataFrame:
    """The 7 features (:data:`FEATURE_NAMES`) per date of ``closes``; rows without full history hold NaN.

    ``volatility`` is the rolling std of the spread's percentage change, as in the source; a change from a
    spread of exactly 0 is undefined (NaN), not infinite.
    """
    if not isinstance(window, int | np.integer) or window < 2:
        raise ValueError(f"window must be an integer >= 2, got {window!r}")
    s = spread(closes, stats)
    z = zscore(s, stats)
    change = s.pct_change(fill_method=None).replace([np.inf, -np.inf], np.nan)
    frame = pd.DataFrame({
        "spread": s, "z_score": z, "z_score_lag1": z.shift(1), "spread_lag1": s.shift(1),
        "rolling_mean": _rolling(s, window, np.mean), "rolling_std": _rolling(s, window, np.std, ddof=1),
        "volatility": _rolling(change, window, np.std, ddof=1)}, index=closes.index)
    return frame[list(FEATURE_NAMES)]


def _rolling(series: pd.Series, window: int, fn, **kwargs) -> np.ndarray:
    """``fn`` over each full window ending at a row (NaN if the window holds a NaN), computed per window, so a
    row's value does not depend on where the history starts (pandas' running sums do, by ~1e-8)."""
    values = series.to_numpy(dtype=float)
    out = np.full(len(values), np.nan)
    if len(values) >= window:
        out[window - 1:] = fn(np.lib.stride_tricks.sliding_window_view(values, window), axis=1, **kwargs)
    return out


def history_bars(window: int, window_size: int) -> int:
    """Daily bars the algorithm requests so the newest ``window_size`` feature rows are complete."""
    return window + window_size + 2
