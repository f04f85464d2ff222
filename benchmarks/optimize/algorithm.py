# ruff: noqa: F403, F405
from AlgorithmImports import *


class Crossover(QCAlgorithm):
    """The sweep's algorithm: an SMA crossover on LEAN's sample SPY dailies, 2010-2015."""

    def initialize(self):
        self.set_start_date(2010, 1, 1)
        self.set_end_date(2015, 12, 31)
        self.set_cash(100000)
        self.add_equity("SPY", Resolution.DAILY)
        self._fast = self.sma("SPY", self.get_parameter("fast", 10))
        self._slow = self.sma("SPY", self.get_parameter("slow", 30))

    def on_data(self, data):
        if not self._slow.is_ready:
            return
        if self._fast.current.value > self._slow.current.value:
            self.set_holdings("SPY", 1)
        else:
            self.liquidate("SPY")
