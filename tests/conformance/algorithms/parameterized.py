from AlgorithmImports import *


class ParameterizedAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 11)
        self.set_cash(100000)
        self.add_equity("SPY")
        fast = self.get_parameter("ema-fast", 100)
        slow = self.get_parameter("ema-slow", 200)
        self._fast = self.ema("SPY", fast)
        self._slow = self.ema("SPY", slow)

    def on_data(self, data):
        if not self._fast.is_ready or not self._slow.is_ready:
            return
        fast, slow = self._fast.current.value, self._slow.current.value
        if fast > slow * 1.001:
            self.set_holdings("SPY", 1)
        elif fast < slow * 0.999:
            self.liquidate("SPY")
