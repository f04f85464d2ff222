"""The vectorised floor: the benchmark's rule as a numpy pass over the same bars, sized as LEAN sizes it.

No engine: the bars of all tickers are read into (sessions x tickers) arrays, both SMAs come from cumulative
sums, and one loop over sessions does each day's decisions, fills and cash with vector operations. It must end
at qclocal's fills and equity, so it reproduces what the LEAN engine does for this rule:

- decisions at session t's close, once SMA(50) has its 50th close: fast > slow and flat -> buy, fast < slow and
  invested -> sell everything;
- ``set_holdings(symbol, 0.01)``: the target is 1% of (portfolio value - 0.25% free) at t's closes; shares =
  floor(target / close), then lowered until shares x close fits (value - fee) x 1% x 0.9975
  (``BuyingPowerModel.GetMaximumOrderQuantityForTargetBuyingPower`` with the fee of the order);
- market-on-open fills at session t+1's open; Interactive Brokers fee: 0.005 USD a share, at least 1 USD, at
  most 0.5% of the order value at the security's price when it fills (t+1's close for daily bars).

This is the least work the rule needs in Python: it is the floor the engines are compared with.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from bars import engine_report, ib_fee, load_bars

FAST, SLOW, WEIGHT, FREE = 10, 50, 0.01, 0.0025


def sma(close: np.ndarray, period: int) -> np.ndarray:
    """Simple moving average down the columns; NaN before the period-th row."""
    total = np.cumsum(close, axis=0)
    out = np.full_like(close, np.nan)
    out[period - 1] = total[period - 1] / period
    out[period:] = (total[period:] - total[:-period]) / period
    return out


def run(data_folder: Path, tickers: list[str], cash: float = 1_000_000.0) -> dict:
    started = time.perf_counter()
    frames = [load_bars(data_folder, t) for t in tickers]
    index = frames[0].index
    if any(not f.index.equals(index) for f in frames):
        raise SystemExit("floor: the tickers' sessions differ; it needs aligned bars")
    opens = np.column_stack([f["open"].to_numpy() for f in frames])
    closes = np.column_stack([f["close"].to_numpy() for f in frames])
    loaded = time.perf_counter()
    fast, slow = sma(closes, FAST), sma(closes, SLOW)
    holdings = np.zeros(len(tickers))
    buys = sells = 0
    pending = np.zeros(len(tickers))        # market-on-open orders placed at the previous close
    fraction = WEIGHT * (1 - FREE)
    for t in range(len(index)):
        close = closes[t]
        if pending.any():                    # fills at this session's open
            filled = pending != 0
            quantity = pending[filled]
            cash -= float(np.sum(quantity * opens[t][filled] + ib_fee(quantity, close[filled])))
            holdings[filled] += quantity
            buys += int(np.sum(quantity > 0))
            sells += int(np.sum(quantity < 0))
            pending[:] = 0.0
        if t < SLOW - 1 or t == len(index) - 1:
            continue
        value = cash + float(holdings @ close)
        invested = holdings != 0
        buy = (fast[t] > slow[t]) & ~invested
        sell = (fast[t] < slow[t]) & invested
        price = close[buy]
        quantity = np.floor(fraction * value / price)
        while True:                          # LEAN lowers the order until it fits net of its own fee
            too_big = quantity * price > (value - ib_fee(quantity, price)) * fraction
            if not too_big.any():
                break
            quantity[too_big] -= 1
        pending[buy] = quantity
        pending[sell] = -holdings[sell]
    finished = time.perf_counter()
    return engine_report(started, loaded, finished, int(closes.size), buys, sells,
                         cash + float(holdings @ closes[-1]))
