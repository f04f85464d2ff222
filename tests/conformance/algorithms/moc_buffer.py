from AlgorithmImports import *


class MarketOnCloseOrderBufferRegressionAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 8)
        self._spy = self.add_equity("SPY", Resolution.MINUTE).symbol
        self._valid = None
        self._invalid = None
        self._after_close = None
        MarketOnCloseOrder.submission_time_buffer = timedelta(minutes=10)
        self.schedule.on(self.date_rules.today, self.time_rules.at(17, 0), self._after_market_close)

    def _after_market_close(self):
        self._after_close = self.market_on_close_order(self._spy, 2)

    def on_data(self, data):
        if self.time.hour == 15 and self.time.minute == 49 and self._valid is None:
            self._valid = self.market_on_close_order(self._spy, 2)
        if self.time.hour == 15 and self.time.minute == 51 and self._invalid is None:
            self._invalid = self.market_on_close_order(self._spy, 2)

    def on_end_of_algorithm(self):
        MarketOnCloseOrder.submission_time_buffer = MarketOnCloseOrder.DEFAULT_SUBMISSION_TIME_BUFFER
        if self._valid.status != OrderStatus.FILLED or self._after_close.status != OrderStatus.FILLED:
            raise ValueError("the 15:49 and 17:00 market-on-close orders should have filled")
        if self._invalid.status != OrderStatus.INVALID:
            raise ValueError("the 15:51 market-on-close order should be invalid")
