"""Research backtest of the trading rule, with the rule functions the algorithm uses.

A daily loop (the stops are path-dependent) over the trading calendar. On day ``t`` every decision uses closes,
SMA(200) and ATR(20) up to ``t - 1``. First the stops are checked (the source's ``OnData`` on the previous
bar), then, on a rebalance date, :func:`~.portfolio.select_and_weight` sets the targets and the stops are reset.
Orders fill at ``fill="close"``: the previous close, which is what LEAN does for daily bars (a market order
placed on a daily bar fills at that bar's price), or ``fill="open"``: day ``t``'s open (BIL, with no open,
at its previous close). Holdings then earn the return to ``t``'s close. Like LEAN's set_holdings, adjustments
smaller than 0.1% of the portfolio are skipped. Fees are ``cost_bps`` of traded value. Shares are fractional.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from .dataset import as_timestamp
from .evaluation import performance
from .features import atr as atr_indicator
from .features import sma as sma_indicator
from .features import validate_ohlc
from .portfolio import MAX_POSITION, STOP_ATR_MULTIPLE, TOP_N, TREASURY, TrailingStops, select_and_weight

__all__ = ["BacktestResult", "backtest_rule", "backtest_weights", "buy_and_hold",
           "equal_weight", "comparison_table"]

When = date | datetime | str | pd.Timestamp
MIN_ORDER_FRACTION = 0.001  # LEAN's MinimumOrderMarginPortfolioPercentage default


@dataclass
class BacktestResult:
    equity: pd.Series
    weights: pd.DataFrame                 # end-of-day weights, one column per asset
    turnover: pd.Series                   # traded value / portfolio value, per day
    orders: pd.DataFrame                  # date, ticker, reason, value (signed dollars)
    fees: float
    stats: dict[str, float] = field(default_factory=dict)


class _Book:
    """Dollar holdings per asset plus cash; all trades in dollars at one price per asset."""

    def __init__(self, assets: list[str], cash: float, cost_bps: float) -> None:
        self.assets = assets
        self.index = {a: i for i, a in enumerate(assets)}
        self.values = np.zeros(len(assets))
        self.cash = float(cash)
        self.cost = cost_bps / 1e4
        self.fees = 0.0
        self.traded = 0.0
        self.orders: list[tuple[pd.Timestamp, str, str, float]] = []

    @property
    def equity(self) -> float:
        return self.cash + float(self.values.sum())

    def held(self) -> list[str]:
        return [a for a, v in zip(self.assets, self.values, strict=True) if v > 0]

    def trade(self, day: pd.Timestamp, asset: str, delta: float, reason: str) -> None:
        i = self.index[asset]
        self.values[i] += delta
        fee = abs(delta) * self.cost
        self.cash -= delta + fee
        self.fees += fee
        self.traded += abs(delta)
        self.orders.append((day, asset, reason, float(delta)))

    def target(self, day: pd.Timestamp, weights: Mapping[str, float], reason: str) -> None:
        equity = self.equity
        goal = np.zeros(len(self.assets))
        for asset, weight in weights.items():
            if asset not in self.index:
                raise ValueError(f"target weight for {asset!r}, which has no price data")
            goal[self.index[asset]] = weight * equity
        deltas = goal - self.values
        order = np.argsort(deltas)  # sells first, as LEAN orders by margin impact
        for i in order:
            delta = deltas[i]
            closing = goal[i] == 0 and self.values[i] > 0
            if closing or abs(delta) >= MIN_ORDER_FRACTION * equity:
                self.trade(day, self.assets[i], float(delta), reason)


def _aligned_panel(bars: Mapping[str, pd.DataFrame], treasury: pd.Series | None, treasury_name: str
                   ) -> dict[str, pd.DataFrame]:
    calendar = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    closes, opens, smas, atrs = {}, {}, {}, {}
    for ticker, frame in bars.items():
        ohlc = validate_ohlc(frame, name=ticker, required=("open", "high", "low", "close"))
        first = ohlc.index[0]
        closes[ticker] = ohlc["close"].reindex(calendar).ffill().where(calendar >= first)
        opens[ticker] = ohlc["open"].reindex(calendar)
        smas[ticker] = sma_indicator(ohlc["close"]).reindex(calendar).ffill().where(calendar >= first)
        atrs[ticker] = atr_indicator(ohlc).reindex(calendar).ffill().where(calendar >= first)
    if treasury is not None:
        series = treasury.astype(float).sort_index()
        closes[treasury_name] = series.reindex(calendar.union(series.index)).ffill().reindex(calendar)
        opens[treasury_name] = pd.Series(np.nan, index=calendar)
    close = pd.DataFrame(closes)
    open_ = pd.DataFrame(opens).fillna(close.shift(1))  # no open: trade at the previous close
    return {"close": close, "open": open_, "sma": pd.DataFrame(smas), "atr": pd.DataFrame(atrs)}


def _run(panel: dict[str, pd.DataFrame], start: When, end: When | None, rebalance: Iterable[When],
         decide: Any, *, stops: TrailingStops | None, fill: Literal["close", "open"], cost_bps: float,
         initial_cash: float) -> BacktestResult:
    if fill not in ("close", "open"):
        raise ValueError(f"fill must be 'close' or 'open', got {fill!r}")
    close, open_, sma, atr = panel["close"], panel["open"], panel["sma"], panel["atr"]
    calendar = close.index
    first = int(calendar.searchsorted(as_timestamp(start, "start"), side="left"))
    last = len(calendar) - 1 if end is None else int(calendar.searchsorted(as_timestamp(end, "end"), side="right")) - 1
    if first < 1 or first > last:
        raise ValueError(f"backtest window {start}..{end} needs at least one bar before it and one inside it "
                         f"(data {calendar[0].date()}..{calendar[-1].date()})")
    # a rebalance date that is not a trading day moves to the next trading day
    rebalance_days = {calendar[min(int(calendar.searchsorted(as_timestamp(d, "rebalance date"))), len(calendar) - 1)]
                      for d in rebalance}
    book = _Book(list(close.columns), initial_cash, cost_bps)
    close_np = close.to_numpy(float)
    exec_np = close_np if fill == "close" else open_.to_numpy(float)
    equity, weights, turnover = {}, {}, {}
    for i in range(first, last + 1):
        day, prev = calendar[i], i - 1
        exec_price = exec_np[prev] if fill == "close" else exec_np[i]
        with np.errstate(invalid="ignore", divide="ignore"):
            book.values = np.where(book.values != 0, book.values * exec_price / close_np[prev], 0.0)
        traded_before, equity_before = book.traded, book.equity
        seen = {"close": close.iloc[prev], "sma": sma.iloc[prev], "atr": atr.iloc[prev]}
        if stops is not None:
            for ticker in stops.on_day(seen["close"], seen["atr"], invested=book.held()):
                book.trade(day, ticker, -book.values[book.index[ticker]], "stop")
        if day in rebalance_days:
            targets = decide(day, seen)
            if targets is not None:
                book.target(day, targets, "rebalance")
                if stops is not None:
                    stops.on_rebalance([t for t in targets if t in atr.columns], seen["close"], seen["atr"])
        with np.errstate(invalid="ignore", divide="ignore"):
            book.values = np.where(book.values != 0, book.values * close_np[i] / exec_price, 0.0)
        equity[day] = book.equity
        weights[day] = book.values / book.equity
        turnover[day] = (book.traded - traded_before) / equity_before
    equity_s = pd.Series(equity, name="equity")
    turnover_s = pd.Series(turnover, name="turnover")
    orders = pd.DataFrame(book.orders, columns=["date", "ticker", "reason", "value"])
    start_row = pd.Series({calendar[first - 1]: float(initial_cash)})
    curve = pd.concat([start_row, equity_s])
    stats = performance(curve, turnover=turnover_s)
    stats.update({"orders": float(len(orders)), "fees": book.fees, "end_equity": float(curve.iloc[-1])})
    return BacktestResult(curve, pd.DataFrame(weights, index=close.columns).T, turnover_s, orders, book.fees,
                          stats)


def backtest_rule(bars: Mapping[str, pd.DataFrame], scores: pd.DataFrame, *, start: When, end: When | None = None,
                  treasury: pd.Series | None = None, treasury_name: str = TREASURY, top_n: int = TOP_N,
                  cap: float = MAX_POSITION, vol_target: float | None = None, park_in_treasury: bool = False,
                  stop_multiple: float | None = STOP_ATR_MULTIPLE, fill: Literal["close", "open"] = "close",
                  cost_bps: float = 1.0, initial_cash: float = 10_000.0, vol_window: int = 63) -> BacktestResult:
    """Backtest the source's rule driven by ``scores`` (rebalance dates x tickers, as of each date).

    ``bars``: OHLC per ticker of the universe; ``treasury``: the fallback's close series (BIL); without it the
    fallback holds cash. ``stop_multiple=None`` disables the trailing stops. With ``vol_target``, the
    covariance of the last ``vol_window`` daily returns feeds the volatility estimate.
    """
    if treasury is None and park_in_treasury:
        raise ValueError("park_in_treasury needs a treasury price series")
    panel = _aligned_panel(bars, treasury, treasury_name)
    returns = panel["close"][list(bars)].pct_change(fill_method=None)
    score_rows = scores.copy()
    score_rows.index = pd.DatetimeIndex([as_timestamp(d, "score date") for d in scores.index])
    calendar = panel["close"].index
    # scores dated on non-trading days act on the next trading day
    score_rows.index = calendar[np.minimum(calendar.searchsorted(score_rows.index), len(calendar) - 1)]

    def decide(day: pd.Timestamp, seen: dict[str, pd.Series]) -> dict[str, float] | None:
        if day not in score_rows.index:
            return None
        row = score_rows.loc[day]
        row = row.iloc[-1] if isinstance(row, pd.DataFrame) else row
        past = returns.loc[returns.index < day].tail(vol_window) if vol_target is not None else None
        weights = select_and_weight(row.dropna(), seen["close"], seen["sma"], seen["atr"], top_n=top_n, cap=cap,
                                    vol_target=vol_target, treasury=treasury_name, returns=past,
                                    park_in_treasury=park_in_treasury)
        if treasury is None:
            weights.pop(treasury_name, None)
        return weights

    stops = TrailingStops(stop_multiple) if stop_multiple is not None else None
    return _run(panel, start, end, score_rows.index, decide, stops=stops, fill=fill, cost_bps=cost_bps,
                initial_cash=initial_cash)


def backtest_weights(bars: Mapping[str, pd.DataFrame], targets: pd.DataFrame, *, start: When,
                     end: When | None = None, fill: Literal["close", "open"] = "close", cost_bps: float = 1.0,
                     initial_cash: float = 10_000.0) -> BacktestResult:
    """Hold given target weights (rows: rebalance dates; NaN/0 = not held), drifting between rebalances."""
    panel = _aligned_panel(bars, None, TREASURY)
    calendar = panel["close"].index
    rows = targets.copy()
    rows.index = calendar[np.minimum(calendar.searchsorted(pd.DatetimeIndex(rows.index)), len(calendar) - 1)]

    def decide(day: pd.Timestamp, seen: dict[str, pd.Series]) -> dict[str, float] | None:
        row = rows.loc[day].fillna(0.0)
        return {t: float(w) for t, w in row.items() if w != 0}

    return _run(panel, start, end, rows.index, decide, stops=None, fill=fill, cost_bps=cost_bps,
                initial_cash=initial_cash)


def buy_and_hold(bars: pd.DataFrame, *, start: When, end: When | None = None, name: str = "QQQ",
                 **kwargs: Any) -> BacktestResult:
    """100% in one asset from ``start`` (bought like any other order)."""
    one = pd.DataFrame({name: [1.0]}, index=[as_timestamp(start, "start")])
    return backtest_weights({name: bars}, one, start=start, end=end, **kwargs)


def equal_weight(bars: Mapping[str, pd.DataFrame], rebalance: Iterable[When], *, start: When,
                 end: When | None = None, **kwargs: Any) -> BacktestResult:
    """Equal weights over the tickers with a price on each rebalance date (monthly: :func:`month_starts`)."""
    dates = pd.DatetimeIndex([as_timestamp(d, "rebalance date") for d in rebalance])
    rows = []
    for day in dates:
        live = [t for t, b in bars.items() if len(b.loc[b.index < day]) > 0]
        rows.append({t: 1.0 / len(live) for t in live})
    targets = pd.DataFrame(rows, index=dates, columns=list(bars))
    return backtest_weights(bars, targets, start=start, end=end, **kwargs)


def comparison_table(results: Mapping[str, BacktestResult]) -> pd.DataFrame:
    """One row per named result: CAR, volatility, Sharpe, Sortino, max drawdown, turnover, orders, fees."""
    keys = ["car", "volatility", "sharpe", "sortino", "max_drawdown", "turnover", "orders", "fees", "end_equity"]
    return pd.DataFrame({name: {k: r.stats.get(k, np.nan) for k in keys} for name, r in results.items()}).T
