from AlgorithmImports import *


class ObjectStoreExampleAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 11)
        self._spy = self.add_equity("SPY", Resolution.MINUTE).symbol
        self._key = "spy_close"
        self._close = self.identity(self._spy, Resolution.DAILY)
        self._fast = IndicatorExtensions.ema(self._close, 10)
        self._slow = IndicatorExtensions.ema(self._close, 50)
        self._closes = RollingWindow[IndicatorDataPoint](252)
        self._close.updated += lambda _, point: self._closes.add(point)
        if self.object_store.contains_key(self._key):
            for line in self.object_store.read(self._key).splitlines():
                time, close = line.split(",")
                self._close.update(pd.Timestamp(time).to_pydatetime(), float(close))
        else:
            history = self.history(self._spy, timedelta(days=365), Resolution.DAILY)
            for (_, time), row in history.iterrows():
                self._close.update(time.to_pydatetime(), float(row["close"]))
            lines = [f"{p.end_time},{p.value}" for p in reversed(list(self._closes))]
            self.object_store.save(self._key, "\n".join(lines))

    def on_data(self, data):
        close, fast, slow = self._close.current.value, self._fast.current.value, self._slow.current.value
        if fast > close and fast > slow:
            self.set_holdings(self._spy, 1)
        elif fast < close and fast < slow:
            self.set_holdings(self._spy, -1)
        elif fast < slow and self.portfolio[self._spy].is_long:
            self.liquidate(self._spy)
        elif fast > slow and self.portfolio[self._spy].is_short:
            self.liquidate(self._spy)
