from AlgorithmImports import *


class DisplacedMovingAverageRibbon(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2009, 1, 1)
        self.set_end_date(2015, 1, 1)
        self._spy = self.add_equity("SPY", Resolution.DAILY).symbol
        self._ribbon = []
        for delay in range(5, 31, 5):
            sma = SimpleMovingAverage(15)
            displaced = Delay(delay)
            IndicatorExtensions.of(displaced, sma)
            self.register_indicator(self._spy, displaced, Resolution.DAILY)
            self._ribbon.append(displaced)
        self._previous = None

    def on_data(self, data):
        if not data.contains_key(self._spy) or data[self._spy] is None:
            return
        if not all(x.is_ready for x in self._ribbon):
            return
        if self._previous is not None and self._previous.date() == self.time.date():
            return
        values = [x.current.value for x in self._ribbon]
        holding = self.portfolio[self._spy]
        if holding.quantity <= 0 and self._non_increasing(values):
            self.set_holdings(self._spy, 1.0)
        elif holding.quantity > 0 and self._non_decreasing(values):
            self.liquidate(self._spy)
        self._previous = self.time

    @staticmethod
    def _non_increasing(values):
        last = None
        for val in values:
            if not last:
                last = val
                continue
            if last < val:
                return False
            last = val
        return True

    @staticmethod
    def _non_decreasing(values):
        last = None
        for val in values:
            if not last:
                last = val
                continue
            if last > val:
                return False
            last = val
        return True
