"""Metrics as the source defines them, forecast baselines, MAE tables, and a research backtest that fills as
LEAN does.

Source metrics, on monthly returns r: CAGR = prod(1 + r) ^ (12 / n) - 1; SD = std(r) x sqrt(12); Sortino =
CAGR / (std of the negative months x sqrt(12)); growth of $100. Max drawdown is added (on daily equity).

Research backtest, filled as LEAN fills the algorithm. A decision on month start D is made during the session,
when the last known prices are D - 1's closes: ``set_holdings`` sizes each order from those prices and the
portfolio value at them, keeping 0.25% of the value free (``free_portfolio_value_percentage``), in whole shares
with the fee deducted (``GetMaximumOrderQuantityForTargetBuyingPower``), skipping changes whose margin is under 0.1% of the value
(``minimum_order_margin_portfolio_percentage``; at LEAN's default equity leverage of 2, position changes under
0.2%); reductions are sent first, then larger orders first. Market
orders on daily data wait for the next bar and fill at D's close plus slippage, paying the Interactive Brokers
fee LEAN applies to US equities ($0.005 a share, at least $1, at most 0.5% of the value). With
``leverage="margin"`` weights may sum above 1; negative cash then pays ``margin_rate`` a year, daily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .features import trailing_returns

__all__ = ["BacktestResult", "FREE_CASH", "LEVERAGE", "MIN_ORDER", "backtest", "baseline_forecasts", "ib_fee",
           "mae_table", "metrics", "metrics_table", "momentum_forecast", "monthly_returns", "order_quantity"]

FREE_CASH = 0.0025  # LEAN's free_portfolio_value_percentage
MIN_ORDER = 0.001   # LEAN's minimum_order_margin_portfolio_percentage (of margin, not of value)
LEVERAGE = 2.0      # LEAN's default for US equities (margin account): an order's margin is half its value


def ib_fee(shares: float, price: float) -> float:
    """LEAN's InteractiveBrokersFeeModel for US equities."""
    if shares == 0:
        return 0.0
    fee = 0.005 * abs(shares)
    return 1.0 if fee < 1.0 else min(fee, 0.005 * abs(shares) * price)


def metrics(monthly: pd.Series, daily_equity: pd.Series | None = None) -> dict[str, float]:
    """The source's CAGR, SD, Sortino and growth of $100 on monthly returns, plus max drawdown."""
    r = pd.Series(monthly, dtype=float).dropna()
    if r.empty:
        raise ValueError("no monthly returns to measure")
    years = len(r) / 12
    growth = float((1 + r).prod())
    cagr = growth ** (1 / years) - 1
    downside = r[r < 0].std() * math.sqrt(12) if (r < 0).sum() > 1 else float("nan")
    curve = (1 + r).cumprod() if daily_equity is None else daily_equity
    drawdown = float((curve / curve.cummax() - 1).min())
    return {"cagr": cagr, "sd": float(r.std() * math.sqrt(12)),
            "sortino": cagr / downside if downside and downside > 0 else float("nan"),
            "growth_of_100": 100 * growth, "max_drawdown": drawdown, "months": float(len(r))}


def momentum_forecast(closes: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """12-1 momentum as a monthly forecast: the return over months m-12..m-1 (skipping the last), / 11."""
    return trailing_returns(closes, dates, months=11, skip=1) / 11


def baseline_forecasts(closes: pd.DataFrame, dates: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
    """Forecast baselines known at each decision date: persistence (last month's return), the historical mean
    (mean of all past monthly returns), and 12-1 momentum."""
    last = trailing_returns(closes, dates)
    return {"persistence": last, "historical_mean": last.expanding(min_periods=12).mean(),
            "momentum_12_1": momentum_forecast(closes, dates)}


def mae_table(forecasts: dict[str, pd.DataFrame], realised: pd.DataFrame, dates: pd.DatetimeIndex
              ) -> pd.DataFrame:
    """MAE (over assets and dates) of every forecast on ``dates`` where every forecast and label exists."""
    frames = {k: f.reindex(index=dates, columns=realised.columns) for k, f in forecasts.items()}
    truth = realised.reindex(dates)
    ok = truth.notna().all(axis=1)
    for f in frames.values():
        ok &= f.notna().all(axis=1)
    rows = {k: {"mae": float((f[ok] - truth[ok]).abs().to_numpy().mean()), "months": int(ok.sum())}
            for k, f in frames.items()}
    return pd.DataFrame(rows).T


@dataclass
class BacktestResult:
    equity: pd.Series          # daily, at the close
    monthly: pd.Series         # returns between decision-date closes
    weights: pd.DataFrame      # targets per decision date
    fees: float
    turnover: float            # traded value / average equity, per year

    def stats(self) -> dict[str, float]:
        return metrics(self.monthly, self.equity)


def monthly_returns(equity: pd.Series, decisions: pd.DatetimeIndex) -> pd.Series:
    """Returns between the daily ``equity`` at consecutive decision dates, plus the last stretch to the end when it
    is a nearly whole month (15 sessions or more)."""
    at = equity.reindex([d for d in decisions if d in equity.index])
    monthly = at.pct_change().dropna()
    if len(equity.index[equity.index > at.index[-1]]) >= 15:
        monthly.loc[equity.index[-1]] = equity.iloc[-1] / at.iloc[-1] - 1
    return monthly


def order_quantity(fraction: float, value: float, held: float, price: float, leverage: float = LEVERAGE) -> float:
    """LEAN's ``set_holdings`` size: the whole-share order moving the position to ``fraction`` x (1 - free cash)
    of ``value`` at ``price``, net of its IB fee; 0 when the margin would change by less than ``MIN_ORDER`` of the
    value, i.e. the position by less than ``leverage`` x 0.1% (qclocal/engine/margin.py)."""
    fraction *= 1 - FREE_CASH
    target = fraction * value
    if target == 0:
        return -held
    if price <= 0 or abs(target - held * price) / leverage < MIN_ORDER * value:
        return 0.0
    last = 0.0
    while True:
        size = -held + target / price
        size = float(math.ceil(size) if target < 0 else math.floor(size))
        while (target < 0 and price * (size + held) < target) or (target > 0 and price * (size + held) > target):
            size += 1 if target < 0 else -1
        if size == 0 or size == last:
            return size
        final = price * (size + held)
        target = (value - ib_fee(size, price)) * fraction
        last = size
        if abs(final) <= abs(target):
            return size


def backtest(weights: pd.DataFrame, closes: pd.DataFrame, *, cash: float = 100_000.0, slippage: float = 0.0,
             margin_rate: float = 0.0, end: pd.Timestamp | None = None) -> BacktestResult:
    """Hold ``weights`` (rows: decision dates) from each decision date's close to the next one's."""
    targets = weights.dropna(how="all")
    if targets.empty:
        raise ValueError("no target weights to backtest")
    missing = [a for a in targets.columns if a not in closes.columns]
    if missing:
        raise ValueError(f"no prices for {missing}")
    sessions = closes.index[closes.index <= (end or closes.index[-1])]
    first = int(sessions.searchsorted(targets.index[0]))
    days = sessions[first:]
    prices = closes.loc[sessions[max(first - 1, 0):], list(targets.columns)].ffill()
    known = prices.shift(1).loc[days].fillna(prices.loc[days])  # the last closes before each session
    prices = prices.loc[days]
    shares = np.zeros(len(targets.columns))
    cash_now, fees, traded = float(cash), 0.0, 0.0
    equity = np.empty(len(days))
    decisions = set(targets.index)
    previous = days[0]
    for i, day in enumerate(days):
        px = prices.loc[day].to_numpy(dtype=float)
        if cash_now < 0 and margin_rate:
            cash_now *= 1 + margin_rate * (day - previous).days / 365
        previous = day
        if day in decisions:
            p0 = known.loc[day].to_numpy(dtype=float)
            value = cash_now + float(np.nansum(shares * p0))
            goal = targets.loc[day].fillna(0.0).to_numpy(dtype=float)
            delta = np.array([order_quantity(goal[j], value, shares[j], p0[j]) if p0[j] > 0 else 0.0
                              for j in range(len(goal))])
            reduces = np.abs(shares + delta) < np.abs(shares)
            for j in sorted(np.flatnonzero(np.abs(delta) >= 1), key=lambda j: (not reduces[j], -abs(delta[j] * p0[j]))):
                fill = px[j] * (1 + slippage * np.sign(delta[j]))
                fee = ib_fee(delta[j], px[j])
                cash_now -= delta[j] * fill + fee
                shares[j] += delta[j]
                fees += fee
                traded += abs(delta[j] * fill)
        equity[i] = cash_now + float(np.nansum(shares * px))
    curve = pd.Series(equity, index=days, name="equity")
    monthly = monthly_returns(curve, targets.index)
    years = max((days[-1] - days[0]).days / 365.25, 1 / 12)
    return BacktestResult(equity=curve, monthly=monthly, weights=targets, fees=fees,
                          turnover=traded / float(curve.mean()) / years)


def metrics_table(results: dict[str, BacktestResult]) -> pd.DataFrame:
    return pd.DataFrame({name: r.stats() | {"fees": r.fees, "turnover": r.turnover}
                         for name, r in results.items()}).T

