from AlgorithmImports import *


class SecurityToSymbolRegressionAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 11)
        asset = self.add_equity("SPY", Resolution.MINUTE)
        # the Security object itself goes to the date rule, the time rule and set_holdings (LEAN converts it)
        self.schedule.on(self.date_rules.every_day(asset), self.time_rules.after_market_open(asset, 1),
                         lambda: None if self.portfolio.invested else self.set_holdings(asset, 1))
