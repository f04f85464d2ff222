from AlgorithmImports import *


class SecurityToSymbolRegressionAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 11)
        self._spy = self.add_equity("SPY", Resolution.MINUTE)
        self.schedule.on(self.date_rules.every_day(self._spy.symbol),
                         self.time_rules.after_market_open(self._spy.symbol, 1), self._buy)

    def _buy(self):
        if not self.portfolio.invested:
            self.set_holdings(self._spy, 1)
