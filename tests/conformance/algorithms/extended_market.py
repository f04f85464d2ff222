from AlgorithmImports import *


class ExtendedMarketTradingRegressionAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 11)
        self.set_cash(100000)
        self._spy = self.add_equity("SPY", Resolution.MINUTE, Market.USA, True, 1, True)
        self._last_action = None

    def on_data(self, data):
        if self._last_action is not None and self._last_action.date() == self.time.date():
            return
        bar = data.bars.get("SPY")
        if bar is None:
            return
        if not self._in_market_hours():
            self.limit_order("SPY", 10, bar.low)
            self._last_action = self.time

    def on_order_event(self, order_event):
        self.log(str(order_event))
        if self._in_market_hours():
            raise ValueError("order processed during market hours")

    def _in_market_hours(self):
        now = self.time.time()
        return time(9, 30) < now < time(16, 0)
