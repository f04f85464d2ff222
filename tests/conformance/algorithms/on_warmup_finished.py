from AlgorithmImports import *


class OnWarmupFinishedRegressionAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 8)
        self.set_end_date(2013, 10, 11)
        self.set_cash(100000)
        self.add_equity("SPY", Resolution.MINUTE)
        self.set_warmup(timedelta(days=1))
        self._calls = 0

    def on_warmup_finished(self):
        self._calls += 1

    def on_end_of_algorithm(self):
        if self._calls != 1:
            raise ValueError(f"on_warmup_finished was called {self._calls} times")
