from AlgorithmImports import *


class StopLimitOrderRegressionAlgorithm(QCAlgorithm):
    tolerance = 0.001
    fast_period = 30
    slow_period = 60

    def initialize(self):
        self.set_start_date(2013, 1, 1)
        self.set_end_date(2017, 1, 1)
        self.set_cash(100000)
        self._symbol = self.add_equity("SPY", Resolution.DAILY).symbol
        self._fast = self.ema(self._symbol, self.fast_period, Resolution.DAILY)
        self._slow = self.ema(self._symbol, self.slow_period, Resolution.DAILY)
        self._buy = None
        self._sell = None

    def on_data(self, data):
        if not self._slow.is_ready:
            return
        fast, slow = self._fast.current.value, self._slow.current.value
        bar = data[self._symbol]
        if self._buy is None and fast > slow * (1 + self.tolerance):
            self._buy = self.stop_limit_order(self._symbol, 100, bar.high * 1.10, bar.high * 1.11)
        elif self._buy.status == OrderStatus.FILLED and self._sell is None and fast < slow * (1 + self.tolerance):
            self._sell = self.stop_limit_order(self._symbol, -100, bar.low * 0.99, bar.low * 0.98)

    def on_order_event(self, order_event):
        if order_event.status != OrderStatus.FILLED:
            return
        ticket = self.transactions.get_order_ticket(order_event.order_id)
        stop, limit = ticket.get(OrderField.STOP_PRICE), ticket.get(OrderField.LIMIT_PRICE)
        if order_event.fill_quantity > 0 and order_event.fill_price > limit:
            raise ValueError(f"buy filled at {order_event.fill_price} above its limit {limit} (stop {stop})")
        if order_event.fill_quantity < 0 and order_event.fill_price < limit:
            raise ValueError(f"sell filled at {order_event.fill_price} below its limit {limit} (stop {stop})")
