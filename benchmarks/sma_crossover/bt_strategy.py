"""The benchmark's SMA-crossover rule in backtrader, fed the same LEAN-format bars that qclocal reads.

Configured to do the same work as ``algorithm.py`` under qclocal:
- bars: each ``equity/usa/daily/<ticker>.zip`` read with ``pandas.read_csv`` (prices / 10000, as LEAN stores
  them) and handed to ``bt.feeds.PandasData``; the parsing is inside the timed run, as qclocal's is;
- ``bt.Cerebro(stdstats=False)`` with its defaults otherwise (``preload=True``, ``runonce=True``), cash 1,000,000;
- per symbol ``bt.ind.SMA(close, 10)`` and ``bt.ind.SMA(close, 50)``; ``next()`` starts once SMA(50) is ready,
  like the ``is_ready`` check in the LEAN algorithm;
- the rule: fast > slow and flat -> ``order_target_percent(1% x (1 - 0.25%))`` (LEAN's ``set_holdings`` keeps
  0.25% of the portfolio free); fast < slow and invested -> ``close()``. Market orders fill at the next bar's
  open, as LEAN's market-on-open orders do;
- commission: the Interactive Brokers equity schedule exactly as qclocal's default fee model computes it.

Requires backtrader (``pip install -e '.[bench]'``); it is not a dependency of the workspace itself.
"""

from __future__ import annotations

import time
from pathlib import Path

import backtrader as bt
from bars import engine_report, load_bars

FAST, SLOW, WEIGHT = 10, 50, 0.01
LEAN_FREE_PORTFOLIO_FRACTION = 0.0025  # LEAN's Settings.FreePortfolioValuePercentage, applied by set_holdings


class InteractiveBrokersCommission(bt.CommInfoBase):
    """US equities: 0.005 USD a share, at least 1 USD, at most 0.5% of the trade value (qclocal's formula)."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED))

    def _getcommission(self, size, price, pseudoexec):
        fee = 0.005 * abs(size)
        return 1.0 if fee < 1.0 else min(fee, fee * price)


class SmaCross(bt.Strategy):
    params = (("fast", FAST), ("slow", SLOW), ("weight", WEIGHT * (1 - LEAN_FREE_PORTFOLIO_FRACTION)))

    def __init__(self):
        self.rules = [(d, bt.ind.SMA(d.close, period=self.p.fast), bt.ind.SMA(d.close, period=self.p.slow))
                      for d in self.datas]
        self.buys = 0
        self.sells = 0
        self.rejected = 0

    def notify_order(self, order):
        if order.status == order.Completed:
            if order.isbuy():
                self.buys += 1
            else:
                self.sells += 1
        elif order.status in (order.Margin, order.Rejected):
            self.rejected += 1

    def next(self):
        for d, fast, slow in self.rules:
            invested = self.getposition(d).size != 0
            if fast[0] > slow[0] and not invested:
                self.order_target_percent(d, target=self.p.weight)
            elif fast[0] < slow[0] and invested:
                self.close(d)


def run(data_folder: Path, tickers: list[str], cash: float = 1_000_000.0) -> dict:
    """Load the bars, run the strategy, and return what run.py reports (times in seconds)."""
    started = time.perf_counter()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(cash)
    cerebro.broker.addcommissioninfo(InteractiveBrokersCommission())
    bars = 0
    for ticker in tickers:
        frame = load_bars(data_folder, ticker)
        bars += len(frame)
        cerebro.adddata(bt.feeds.PandasData(dataname=frame, openinterest=None), name=ticker)
    cerebro.addstrategy(SmaCross)
    loaded = time.perf_counter()
    strategy = cerebro.run()[0]
    finished = time.perf_counter()
    return engine_report(started, loaded, finished, bars, strategy.buys, strategy.sells, cerebro.broker.getvalue(),
                         strategy.rejected)
