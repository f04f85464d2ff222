from AlgorithmImports import *


class SetHoldingsRegressionAlgorithm(QCAlgorithm):
    asynchronous_orders = False

    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 8)
        self.add_equity("SPY", Resolution.MINUTE)

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings("SPY", 0.1, asynchronous=self.asynchronous_orders)
            self.set_holdings("SPY", float(0.20), asynchronous=self.asynchronous_orders)  # noqa: UP018 - as in LEAN
            self.set_holdings("SPY", np.float64(0.30), asynchronous=self.asynchronous_orders)
            self.set_holdings("SPY", 1, asynchronous=self.asynchronous_orders)

    def on_end_of_algorithm(self):
        for ticket in self.transactions.get_order_tickets():
            if ticket.submit_request.asynchronous != self.asynchronous_orders:
                raise AssertionError("Expected all orders to have the same asynchronous flag as the algorithm.")
