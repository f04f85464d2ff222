"""The trading rules, pure: monthly selection and weights, and the daily ATR trailing stops.

Source numbers: top 4, scores > 0, price above SMA(200), inverse-volatility weights with volatility
``ATR(20) / price * sqrt(252)``, each capped at 40%; nothing qualifies -> 100% BIL; stop ``price - 2.5 * ATR``,
raised daily, exit when the price falls below it. As in the source, capped weight is left in cash.

``vol_target`` (default None, the source's behaviour: it declares 12% but never uses it) scales the weights so the
estimated portfolio volatility equals the target, without leverage. The estimate is ``sqrt(252 w' S w)`` with
``S`` the covariance of ``returns`` when given, else ``sum(w_i * vol_i)`` (perfect correlation: an upper bound,
so the scaling errs on the safe side). ``park_in_treasury`` puts the unallocated remainder in BIL.
The source's ``RiskPerTrade = 0.02`` is declared and never used; it is kept as a constant only.

Schedule: the rule trades on the first trading day of each month. A model is usable on dates strictly after its
cutoff (``models.store``), so the cutoff for a refit at rebalance date ``d`` is the day before ``d``: it learns from
labels ending before ``d - 1`` and trades from ``d`` on.

Scores other than the model's: 12-1 momentum (the ablation) and seeded random scores (the no-skill ablation: the
rules alone). Each as of date ``d`` uses bars dated strictly before ``d``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from .dataset import as_timestamp

__all__ = ["TOP_N", "MAX_POSITION", "TARGET_VOL", "RISK_PER_TRADE", "STOP_ATR_MULTIPLE", "TREASURY",
           "select_and_weight", "TrailingStops", "month_starts", "rebalance_cutoffs", "momentum_12_1",
           "momentum_panel", "random_scores"]

When = date | datetime | str | pd.Timestamp

TOP_N, MAX_POSITION, TARGET_VOL, RISK_PER_TRADE, STOP_ATR_MULTIPLE = 4, 0.40, 0.12, 0.02, 2.5
TREASURY = "BIL"
_ANNUAL = math.sqrt(252.0)


def _value(mapping: Mapping[str, float] | pd.Series, key: str) -> float:
    try:
        value = float(mapping[key])
    except (KeyError, TypeError, ValueError):
        return float("nan")
    return value


def select_and_weight(scores: Mapping[str, float] | pd.Series, prices: Mapping[str, float] | pd.Series,
                      sma200: Mapping[str, float] | pd.Series, atr: Mapping[str, float] | pd.Series, *,
                      top_n: int = TOP_N, cap: float = MAX_POSITION, vol_target: float | None = None,
                      treasury: str = TREASURY, returns: pd.DataFrame | None = None,
                      park_in_treasury: bool = False) -> dict[str, float]:
    """Target weights ``{ticker: weight}`` for the month; tickers absent from the result are to be sold.

    A ticker qualifies when its score is > 0, its price is above its SMA(200) and its ATR is positive (all
    finite). The ``top_n`` highest scores (ties: ticker order) get inverse-volatility weights capped at ``cap``.
    Nothing qualifies -> ``{treasury: 1.0}``.
    """
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1, got {top_n}")
    if not 0 < cap <= 1:
        raise ValueError(f"cap must be in (0, 1], got {cap}")
    if vol_target is not None and not vol_target > 0:
        raise ValueError(f"vol_target must be positive or None, got {vol_target}")
    candidates = []
    for ticker in scores.keys():
        score, price = _value(scores, ticker), _value(prices, ticker)
        level, range_ = _value(sma200, ticker), _value(atr, ticker)
        if not all(np.isfinite([score, price, level, range_])) or price <= 0 or range_ <= 0:
            continue
        if score > 0 and price > level:
            candidates.append((-score, str(ticker), price, range_))
    if not candidates:
        return {treasury: 1.0}
    picks = sorted(candidates)[:top_n]
    vols = np.array([r / p * _ANNUAL for _, _, p, r in picks])
    inverse = 1.0 / vols
    weights = np.minimum(inverse / inverse.sum(), cap)
    tickers = [t for _, t, _, _ in picks]
    if vol_target is not None:
        weights = _scale_to_target(weights, vols, tickers, vol_target, cap, returns)
    result = {t: float(w) for t, w in zip(tickers, weights, strict=True)}
    remainder = 1.0 - float(weights.sum())
    if park_in_treasury and remainder > 1e-9:
        result[treasury] = remainder
    return result


def _scale_to_target(weights: np.ndarray, vols: np.ndarray, tickers: list[str], target: float, cap: float,
                     returns: pd.DataFrame | None) -> np.ndarray:
    if returns is not None:
        missing = [t for t in tickers if t not in returns.columns]
        if missing:
            raise ValueError(f"returns has no column for {missing}")
        window = returns[tickers].dropna()
        if len(window) < 2:
            raise ValueError("returns needs at least two rows without NaN to estimate the covariance")
        cov = np.cov(window.to_numpy(dtype=float), rowvar=False).reshape(len(tickers), len(tickers))
        estimate = math.sqrt(max(float(weights @ cov @ weights), 0.0) * 252.0)
    else:
        estimate = float(weights @ vols)
    if estimate <= 0:
        return weights
    scaled = np.minimum(weights * (target / estimate), cap)
    total = scaled.sum()
    return scaled / total if total > 1 else scaled


class TrailingStops:
    """Per-ticker stop levels: set at each rebalance, raised daily, triggered when the price falls below.

    Prices and ATRs passed in are the ones the algorithm sees at that moment (the last close and ATR(20)).
    """

    def __init__(self, multiple: float = STOP_ATR_MULTIPLE) -> None:
        if not multiple > 0:
            raise ValueError(f"multiple must be positive, got {multiple}")
        self.multiple = float(multiple)
        self.stops: dict[str, float] = {}

    def on_rebalance(self, picks: Iterable[str], prices: Mapping[str, float] | pd.Series,
                     atr: Mapping[str, float] | pd.Series) -> None:
        """Reset stops to ``price - multiple * ATR`` for ``picks`` (as the source does, even if lower than
        before) and forget every other ticker. Picks without a finite price and ATR get no stop."""
        self.stops = {}
        for ticker in picks:
            price, range_ = _value(prices, ticker), _value(atr, ticker)
            if np.isfinite(price) and np.isfinite(range_):
                self.stops[ticker] = price - self.multiple * range_

    def on_day(self, prices: Mapping[str, float] | pd.Series, atr: Mapping[str, float] | pd.Series,
               invested: Iterable[str] | None = None) -> list[str]:
        """Tickers to liquidate now (sorted); their stops are removed. Other stops rise to
        ``price - multiple * ATR`` when that is higher. ``invested`` limits the check to held tickers."""
        held = None if invested is None else set(invested)
        exits = []
        for ticker in sorted(self.stops):
            if held is not None and ticker not in held:
                continue
            price = _value(prices, ticker)
            if not np.isfinite(price):
                continue
            stop = self.stops[ticker]
            if price < stop:
                exits.append(ticker)
                continue
            candidate = price - self.multiple * _value(atr, ticker)
            if np.isfinite(candidate) and candidate > stop:
                self.stops[ticker] = candidate
        for ticker in exits:
            del self.stops[ticker]
        return exits


def month_starts(calendar: pd.DatetimeIndex, start: When | None = None, end: When | None = None
                 ) -> pd.DatetimeIndex:
    """First trading day of each month in ``calendar`` within [start, end] (a partial first month counts only
    if its first trading day is in the window)."""
    days = pd.DatetimeIndex(calendar).sort_values().unique()
    if len(days) == 0:
        return days
    periods = days.to_period("M")
    firsts = days[np.concatenate([[True], periods[1:] != periods[:-1]])]
    if start is not None:
        firsts = firsts[firsts >= as_timestamp(start, "start")]
    if end is not None:
        firsts = firsts[firsts <= as_timestamp(end, "end")]
    return firsts


def rebalance_cutoffs(calendar: pd.DatetimeIndex, start: When, end: When,
                      refit: Literal["monthly", "quarterly", "annual"] = "monthly") -> list[date]:
    """Cutoffs (the day before the rebalance) for refits at the first trading day of each month, quarter or year."""
    if refit not in ("monthly", "quarterly", "annual"):
        raise ValueError(f"refit must be 'monthly', 'quarterly' or 'annual', got {refit!r}")
    days = month_starts(calendar, start, end)
    if refit == "quarterly":
        days = days[(days.month - 1) % 3 == 0]
    elif refit == "annual":
        days = days[days.month == 1]
    return [(d - timedelta(days=1)).date() for d in days]


def momentum_12_1(closes: pd.DataFrame, as_of: When, *, lookback: int = 252, skip: int = 21) -> pd.Series:
    """12-1 momentum per ticker: ``close[p - skip] / close[p - lookback] - 1`` with ``p`` the last bar before
    ``as_of``. ``closes`` is wide (dates x tickers); tickers without ``lookback + 1`` bars are left out."""
    if not isinstance(closes, pd.DataFrame):
        raise ValueError(f"closes must be a wide DataFrame (dates x tickers), got {type(closes).__name__}")
    if not 0 <= skip < lookback:
        raise ValueError(f"need 0 <= skip < lookback, got skip={skip}, lookback={lookback}")
    past = closes.loc[closes.index < as_timestamp(as_of, "as_of")]
    out = {}
    for ticker in past.columns:
        series = past[ticker].dropna()
        if len(series) > lookback:
            out[ticker] = float(series.iloc[-1 - skip] / series.iloc[-1 - lookback] - 1.0)
    return pd.Series(out, dtype=float, name="momentum_12_1")


def momentum_panel(closes: pd.DataFrame, dates: Iterable[When], **kwargs: Any) -> pd.DataFrame:
    """:func:`momentum_12_1` for each date (rows) and ticker (columns)."""
    rows = {as_timestamp(d, "date"): momentum_12_1(closes, d, **kwargs) for d in dates}
    panel = pd.DataFrame(rows).T.reindex(columns=list(closes.columns)).sort_index()
    panel.index.name = "date"
    return panel


def random_scores(tickers: Sequence[str], as_of: When, *, seed: int = 0) -> pd.Series:
    """Uniform(0, 1) scores that depend only on ``seed`` and the date: every name passes the score > 0 test, so the
    rule picks at random among the names above their SMA(200). The ablation that shows what the rules carry."""
    day = as_timestamp(as_of, "as_of")
    rng = np.random.default_rng([seed, day.year, day.month, day.day])
    return pd.Series(rng.uniform(size=len(tickers)), index=list(tickers), dtype=float, name="random")
