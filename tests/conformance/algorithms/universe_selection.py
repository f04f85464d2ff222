from AlgorithmImports import *


class UniverseSelectionRegressionAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 3, 22)
        self.set_end_date(2014, 4, 7)
        self.set_cash(100000)
        # security that exists with no mappings
        self.add_equity("SPY", Resolution.DAILY)
        # security that doesn't exist until half way in backtest (comes in as GOOCV)
        self.add_equity("GOOG", Resolution.DAILY)
        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(self.coarse_selection_function)
        self.delisted_symbols = []
        self.changes = None

    def coarse_selection_function(self, coarse):
        return [c.symbol for c in coarse if c.symbol.value in ("GOOG", "GOOCV", "GOOAV", "GOOGL")]

    def on_data(self, data):
        if self.transactions.orders_count == 0:
            self.market_order("SPY", 100)
        for symbol in data.delistings.keys():
            self.delisted_symbols.append(symbol)
        if self.changes is None:
            return
        if not all(data.bars.contains_key(x.symbol) for x in self.changes.added_securities):
            return
        for security in self.changes.added_securities:
            self.log(f"{self.time}: Added Security: {security.symbol}")
            self.market_on_open_order(security.symbol, 100)
        for security in self.changes.removed_securities:
            self.log(f"{self.time}: Removed Security: {security.symbol}")
            if security.symbol not in self.delisted_symbols:
                self.log(f"Not in delisted: {security.symbol}:")
                self.market_on_open_order(security.symbol, -100)
        self.changes = None

    def on_securities_changed(self, changes):
        self.changes = changes

    def on_order_event(self, order_event):
        if order_event.status == OrderStatus.SUBMITTED:
            self.log(f"{self.time}: Submitted: {self.transactions.get_order_by_id(order_event.order_id)}")
        if order_event.status == OrderStatus.FILLED:
            self.log(f"{self.time}: Filled: {self.transactions.get_order_by_id(order_event.order_id)}")

    def on_end_of_algorithm(self):
        # from the C# twin: every position still held is 100 shares (SPY, and GOOG T1AZ164W5VTX, whose split on
        # 2014-04-03 leaves ADJUSTED holdings alone); GOOAV was liquidated by its delisting
        for security in self.securities.values():
            if security.invested and security.holdings.quantity != 100:
                raise AssertionError(f"{security.symbol}({security.symbol.id}) expected 100, "
                                     f"but received {security.holdings.quantity}")
