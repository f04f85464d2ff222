"""Ranking quality of a score panel and performance statistics of an equity curve.

Ranking: for each rebalance date, the information coefficient (Spearman rank correlation across tickers between
the score and the realised forward return), the sign hit rate, and the mean forward return of the top ``n``
minus the bottom ``n``. The forward return of date ``d`` is the label's: the sum of the daily returns of the
21 bars from the last bar before ``d`` onwards (bars ``p + 1 .. p + 21`` with ``p`` the last bar before ``d``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime

import numpy as np
import pandas as pd

from .dataset import HORIZON, as_timestamp

__all__ = ["forward_returns", "information_coefficients", "hit_rate", "top_bottom_spread", "ranking_summary",
           "performance"]


def forward_returns(closes: pd.DataFrame, dates: Iterable[date | datetime | str | pd.Timestamp], *,
                    horizon: int = HORIZON) -> pd.DataFrame:
    """Realised forward return sums (dates x tickers); NaN where the window is not complete in ``closes``."""
    rows = {}
    for when in dates:
        stamp = as_timestamp(when, "date")
        values = {}
        for ticker in closes.columns:
            series = closes[ticker].dropna()
            p = int(series.index.searchsorted(stamp, side="left")) - 1
            if p < 0 or p + horizon >= len(series):
                values[ticker] = np.nan
                continue
            window = series.to_numpy(float)[p: p + horizon + 1]
            values[ticker] = float(np.sum(window[1:] / window[:-1] - 1.0))
        rows[stamp] = values
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(closes.columns))
    frame.index.name = "date"
    return frame


def _aligned(scores: pd.DataFrame, realised: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = scores.index.intersection(realised.index)
    columns = scores.columns.intersection(realised.columns)
    s, r = scores.loc[index, columns].astype(float), realised.loc[index, columns].astype(float)
    mask = s.notna() & r.notna()
    return s.where(mask), r.where(mask)


def information_coefficients(scores: pd.DataFrame, realised: pd.DataFrame, *, min_names: int = 3) -> pd.Series:
    """Spearman IC per date over the tickers with both values; dates with fewer than ``min_names`` are NaN."""
    s, r = _aligned(scores, realised)
    out = {}
    for when in s.index:
        a, b = s.loc[when].dropna(), r.loc[when].dropna()
        if len(a) < min_names or a.nunique() < 2 or b.nunique() < 2:
            out[when] = np.nan
            continue
        out[when] = float(a.rank().corr(b.rank()))
    return pd.Series(out, dtype=float, name="ic")


def hit_rate(scores: pd.DataFrame, realised: pd.DataFrame) -> float:
    """Share of (date, ticker) pairs where the score's sign equals the realised return's sign."""
    s, r = _aligned(scores, realised)
    mask = s.notna().to_numpy()
    if not mask.any():
        return float("nan")
    return float(np.mean(np.sign(s.to_numpy()[mask]) == np.sign(r.to_numpy()[mask])))


def top_bottom_spread(scores: pd.DataFrame, realised: pd.DataFrame, *, n: int = 4) -> pd.Series:
    """Per date: mean realised return of the ``n`` best scores minus that of the ``n`` worst.

    Needs at least ``2 n`` names on a date (else NaN), so top and bottom never share a ticker.
    """
    s, r = _aligned(scores, realised)
    out = {}
    for when in s.index:
        a = s.loc[when].dropna()
        if len(a) < 2 * n:
            out[when] = np.nan
            continue
        order = a.sort_values(kind="mergesort", ascending=False).index
        out[when] = float(r.loc[when, order[:n]].mean() - r.loc[when, order[-n:]].mean())
    return pd.Series(out, dtype=float, name=f"top{n}_minus_bottom{n}")


def _t_stat(values: pd.Series) -> float:
    v = values.dropna()
    if len(v) < 2 or v.std() == 0:
        return float("nan")
    return float(v.mean() / v.std() * math.sqrt(len(v)))


def newey_west_t(values: pd.Series | np.ndarray, lags: int) -> float:
    """t-statistic of the mean with a Newey-West (Bartlett-kernel HAC) standard error over ``lags`` lags: the
    right error for a mean of overlapping forward-window quantities (lags = how many later dates a label
    window overlaps). ``lags=0`` is the plain t with the population variance."""
    v = pd.Series(values, dtype=float).dropna().to_numpy()
    if len(v) < 3 or lags < 0:
        return float("nan")
    e = v - v.mean()
    long_run = float(e @ e) / len(v)
    for k in range(1, min(lags, len(v) - 1) + 1):
        long_run += 2 * (1 - k / (lags + 1)) * float(e[k:] @ e[:-k]) / len(v)
    if long_run <= 0:
        return float("nan")
    return float(v.mean() / math.sqrt(long_run / len(v)))


def overlap_lags(horizon: int, spacing: int) -> int:
    """How many later dates, ``spacing`` bars apart, a ``horizon``-bar label window overlaps."""
    return max(math.ceil(horizon / max(spacing, 1)) - 1, 0)


def ranking_summary(scores: pd.DataFrame, realised: pd.DataFrame, *, n: int = 4, hac_lags: int = 1
                    ) -> dict[str, float]:
    """Mean IC, its std, t-stat and share of positive dates; hit rate; mean top-minus-bottom spread and its t.

    ``ic_t`` treats dates as independent; ``ic_t_hac`` is the Newey-West t with ``hac_lags`` lags (month starts
    are 19-23 bars apart and labels span 21 bars, so a label can share bars with the next one: 1 lag).
    """
    ic = information_coefficients(scores, realised)
    spread = top_bottom_spread(scores, realised, n=n)
    valid = ic.dropna()
    return {
        "dates": int(len(valid)), "ic_mean": float(valid.mean()) if len(valid) else float("nan"),
        "ic_std": float(valid.std()) if len(valid) > 1 else float("nan"), "ic_t": _t_stat(ic),
        "ic_t_hac": newey_west_t(ic, hac_lags),
        "ic_positive_share": float((valid > 0).mean()) if len(valid) else float("nan"),
        "hit_rate": hit_rate(scores, realised),
        "spread_mean": float(spread.mean()) if spread.notna().any() else float("nan"),
        "spread_t": _t_stat(spread)}


def performance(equity: pd.Series, *, turnover: pd.Series | None = None, risk_free: float = 0.0
                ) -> dict[str, float]:
    """CAR, annual volatility, Sharpe, Sortino, max drawdown (positive fraction) and mean daily turnover.

    CAR compounds over calendar days / 365.25 as LEAN does; Sharpe and Sortino annualise daily returns by 252
    after subtracting ``risk_free`` (annual, default 0).
    """
    curve = equity.dropna().astype(float)
    if len(curve) < 2 or (curve <= 0).any():
        raise ValueError("equity needs at least two positive values")
    daily = curve.pct_change().dropna()
    years = (curve.index[-1] - curve.index[0]).days / 365.25
    excess = daily - risk_free / 252.0
    vol = float(daily.std() * math.sqrt(252))
    downside = float(np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)) * math.sqrt(252))
    drawdown = float((1 - curve / curve.cummax()).max())
    return {
        "car": float((curve.iloc[-1] / curve.iloc[0]) ** (1 / years) - 1) if years > 0 else float("nan"),
        "total_return": float(curve.iloc[-1] / curve.iloc[0] - 1), "volatility": vol,
        "sharpe": float(excess.mean() * 252 / vol) if vol > 0 else float("nan"),
        "sortino": float(excess.mean() * 252 / downside) if downside > 0 else float("nan"),
        "max_drawdown": drawdown,
        "turnover": float(turnover.mean()) if turnover is not None and len(turnover) else float("nan")}
