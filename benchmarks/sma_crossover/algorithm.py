# ruff: noqa: F403, F405
"""Benchmark algorithm: a daily SMA(10)/SMA(50) crossover over N generated symbols (LEAN API, run by qclocal).

Rule, per symbol, once SMA(50) is ready (the bar of the 50th close onwards):
- SMA(10) > SMA(50) and not invested -> ``set_holdings(symbol, 0.01)``
- SMA(10) < SMA(50) and invested     -> ``liquidate(symbol)``
Orders placed at the daily bar's close (16:00, market closed) become market-on-open orders and fill at the next
session's open, as in LEAN. Fees are LEAN's default for US equities (Interactive Brokers schedule).

Parameters (``run.py`` passes them): ``symbols`` (tickers SYM000, SYM001, ...), ``start-year``, ``end-year``.
"""

from AlgorithmImports import *

FAST, SLOW, WEIGHT = 10, 50, 0.01


class SmaCrossoverBenchmark(QCAlgorithm):
    def initialize(self):
        count = self.get_parameter("symbols", 100)
        self.set_start_date(self.get_parameter("start-year", 2010), 1, 1)
        self.set_end_date(self.get_parameter("end-year", 2019), 12, 31)
        self.set_cash(1_000_000)
        self.rules = []
        for i in range(count):
            symbol = self.add_equity(f"SYM{i:03d}", Resolution.DAILY).symbol
            self.rules.append((symbol, self.sma(symbol, FAST), self.sma(symbol, SLOW)))
        # The generated data folder has no SPY; benchmark against one of the generated tickers instead.
        self.set_benchmark("SYM000")

    def on_data(self, data: Slice):
        portfolio = self.portfolio
        for symbol, fast, slow in self.rules:
            if not slow.is_ready:
                continue
            invested = portfolio[symbol].invested
            fast_value, slow_value = fast.current.value, slow.current.value
            if fast_value > slow_value and not invested:
                self.set_holdings(symbol, WEIGHT)
            elif fast_value < slow_value and invested:
                self.liquidate(symbol)
