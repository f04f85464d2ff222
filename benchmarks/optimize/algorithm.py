# ruff: noqa: F403, F405
from AlgorithmImports import *


class Crossover(QCAlgorithm):
    """The sweep benchmark's (and tests/qclocal/test_optimize.py's) algorithm: an SMA crossover on LEAN's
    sample SPY dailies. ``fail-when-fast`` plants a failing backtest for the tests."""

    def initialize(self):
        self.set_start_date(self.get_parameter("start-year", 2010), 1, 1)
        self.set_end_date(self.get_parameter("end-year", 2015), 12, 31)
        self.set_cash(100000)
        self.add_equity("SPY", Resolution.DAILY)
        fast = self.get_parameter("fast", 10)
        if fast == self.get_parameter("fail-when-fast", -1):
            raise ValueError(f"fast={fast} is the planted failure")
        self._fast = self.sma("SPY", fast)
        self._slow = self.sma("SPY", self.get_parameter("slow", 30))

    def on_data(self, data):
        if not self._slow.is_ready:
            return
        if self._fast.current.value > self._slow.current.value:
            self.set_holdings("SPY", 1)
        else:
            self.liquidate("SPY")
