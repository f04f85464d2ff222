from AlgorithmImports import *


class CoarseFundamentalTop3Algorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 3, 24)
        self.set_end_date(2014, 4, 7)
        self.set_cash(50000)
        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(self._select)
        self._changes = None

    def _select(self, coarse):
        ranked = sorted(coarse, key=lambda c: c.dollar_volume, reverse=True)
        return [c.symbol for c in ranked[:3]]

    def on_data(self, data):
        self.log(f"OnData({self.utc_time}): Keys: {', '.join(sorted(str(k) for k in data.keys()))}")
        if self._changes is None:
            return
        for security in self._changes.removed_securities:
            if security.invested:
                self.liquidate(security.symbol)
        for security in self._changes.added_securities:
            self.set_holdings(security.symbol, 1 / 3)
        self._changes = None

    def on_securities_changed(self, changes):
        self._changes = changes

    def on_order_event(self, order_event):
        self.log(f"OnOrderEvent({self.utc_time}):: {order_event}")
