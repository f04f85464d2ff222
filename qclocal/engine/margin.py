"""Margin calls as LEAN's default model makes them (Common/Securities/DefaultMarginCallModel.cs).

Margin is ``SecurityMarginModel``'s: initial = maintenance = 1/leverage of the absolute holdings value
(Common/Securities/BuyingPowerModel.cs), so ``TotalMarginUsed`` is the sum of |quantity x price| / leverage and
``MarginRemaining`` is the portfolio value minus it. The engine asks the model every 5 minutes of slice time,
after prices, fills and scheduled events (Engine/AlgorithmManager.cs ``Run``):

- margin remaining at or below 5% of the portfolio value raises the warning flag;
- margin remaining at or below zero *and* margin used above the portfolio value x (1 + buffer, 10%) gives one
  market order per position, tagged "Margin Call", that brings the account back within margin;
- the orders run only if every order's exchange is open (regular hours): ``on_margin_call(requests)`` first,
  then the orders are submitted, losers first. In a backtest they fill like any market order, at the next
  fill scan (after ``on_data``); a daily-only security waits for its next bar. ``on_margin_call_warning`` runs
  when the flag is up and no margin-call order was submitted.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from qclocal.engine.enums import OrderType
from qclocal.engine.lean_api import LeanConstants, lean_type
from qclocal.engine.orders import Order, OrderFeeParameters, OrderTicket, SubmitOrderRequest

if TYPE_CHECKING:
    from qclocal.engine.portfolio import Portfolio
    from qclocal.engine.securities import Security

MARGIN_CALL_TAG = "Margin Call"          # Common/Messages/Messages.Securities.cs DefaultMarginCallModel
WARNING_MARGIN_FRACTION = 0.05


@lean_type("QuantConnect.Securities.DefaultMarginCallModel")
class DefaultMarginCallModel:
    """``DefaultMarginCallModel(portfolio, default_order_properties, margin_buffer=0.10)``."""

    def __init__(self, portfolio: Portfolio, default_order_properties: Any = None, margin_buffer: float = 0.10):
        if default_order_properties is not None:
            raise NotImplementedError("DefaultMarginCallModel(default_order_properties=...) is not implemented in "
                                      "qclocal (it exists in LEAN); order properties are not modelled")
        self.portfolio = portfolio
        self.margin_buffer = float(margin_buffer)

    def get_margin_call_orders(self) -> tuple[list[SubmitOrderRequest], bool]:
        """The margin-call orders and the warning flag (LEAN's ``out issueMarginCallWarning``)."""
        portfolio = self.portfolio
        used = portfolio.total_margin_used
        if used <= 0:
            return [], False
        value = portfolio.total_portfolio_value
        remaining = value - used
        warning = remaining <= value * WARNING_MARGIN_FRACTION
        orders: list[SubmitOrderRequest] = []
        if remaining <= 0:
            if used > value * (1 + self.margin_buffer):
                for security in portfolio.held_securities():
                    order = self.generate_margin_call_order(security, value, used)
                    if order is not None and order.quantity != 0:
                        orders.append(order)
            warning = bool(orders)
        return orders, warning

    def generate_margin_call_order(self, security: Security, total_portfolio_value: float,
                                   total_used_margin: float) -> SubmitOrderRequest | None:
        """The order that frees the position's share of the margin deficit (``GenerateMarginCallOrders``)."""
        if security.quote_currency is not None and security.quote_currency.conversion_rate == 0:
            return None
        quantity = security.holdings.quantity
        deficit = total_used_margin - total_portfolio_value
        used = maintenance_margin(security)
        keep = max(0.0, used - deficit)
        delta = (used - keep) * -_sign(quantity)
        lots = abs(quantity_for_delta_buying_power(self.portfolio, security, delta))
        return SubmitOrderRequest(OrderType.MARKET, security.type, security.symbol, lots * -_sign(quantity), 0.0,
                                  0.0, self.portfolio.transactions.current_time, MARGIN_CALL_TAG)

    def execute_margin_call(self, requests: list[SubmitOrderRequest]) -> list[OrderTicket]:
        """Submit the orders, losers (lowest unrealized profit) first, until margin remaining is not negative.
        Backtest orders fill later, so in practice every order is submitted (``ExecuteMarginCall``)."""
        portfolio = self.portfolio
        if portfolio.margin_remaining >= 0:
            return []
        tickets: list[OrderTicket] = []
        for request in sorted(requests, key=lambda r: portfolio[r.symbol].unrealized_profit):
            security = portfolio.securities[request.symbol]
            tickets.append(portfolio.transactions.submit(security, request.quantity, request.order_type,
                                                         request.tag, request.limit_price, request.stop_price))
            if portfolio.margin_remaining >= 0:
                break
        return tickets


class NullMarginCallModel:
    """``MarginCallModel.NULL``: never issues margin calls or warnings (Common/Securities/IMarginCallModel.cs)."""

    def get_margin_call_orders(self) -> tuple[list[SubmitOrderRequest], bool]:
        return [], False

    def execute_margin_call(self, requests: list[SubmitOrderRequest]) -> list[OrderTicket]:
        return []


@lean_type("QuantConnect.Securities.MarginCallModel")
class MarginCallModel(metaclass=LeanConstants):
    NULL = NullMarginCallModel()


def check_margin_call_model(model: Any) -> Any:
    """Only the models qclocal implements may be set; any other raises, naming it."""
    if type(model) in (DefaultMarginCallModel, NullMarginCallModel):
        return model
    raise NotImplementedError(f"portfolio.margin_call_model = {type(model).__name__}(...) is not implemented in "
                              f"qclocal: it runs DefaultMarginCallModel and MarginCallModel.NULL only; run this "
                              f"algorithm with `lean backtest` for a custom margin-call model")


def maintenance_margin(security: Security) -> float:
    return abs(security.holdings.quantity * security.price) / security.leverage


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def quantity_for_delta_buying_power(portfolio: Portfolio, security: Security, delta: float) -> float:
    """``BuyingPowerModel.GetMaximumOrderQuantityForDeltaBuyingPower`` with no minimum order margin (as the
    margin-call model asks) and no required free buying power (SecurityMarginModel's default)."""
    holdings = security.holdings.quantity
    signed_used = maintenance_margin(security) * (1 if holdings > 0 else -1)
    value = portfolio.total_portfolio_value
    fraction = (signed_used + delta) / value if value != 0 else 0.0
    return quantity_for_target_buying_power(portfolio, security, fraction)


def quantity_for_target_buying_power(portfolio: Portfolio, security: Security, fraction: float,
                                     minimum_order_margin: float = 0.0) -> float:
    """``GetMaximumOrderQuantityForTargetBuyingPower``: the order that moves the position's initial margin to
    ``fraction`` of the portfolio value, net of the order's fee, in whole shares; none when the margin would
    change by less than ``minimum_order_margin`` of the portfolio value while margin remains
    (``BuyingPowerModelExtensions.AboveMinimumOrderMarginPortfolioPercentage``)."""
    value = portfolio.total_portfolio_value
    target = fraction * value
    holdings = security.holdings.quantity
    if target == 0:
        return -holdings
    unit = security.price / security.leverage
    if unit == 0:
        return 0.0
    if minimum_order_margin and abs(target - holdings * unit) < value * minimum_order_margin \
            and portfolio.margin_remaining > 0:
        return 0.0
    last = 0.0
    while True:
        quantity, final_margin = _amount_to_order(security, target, unit)
        if quantity == 0:
            return 0.0
        order = Order(0, security.symbol, quantity, OrderType.MARKET, portfolio.transactions.current_time)
        fee = security.fee_model.get_order_fee(OrderFeeParameters(security, order)).value.amount
        target = (value - fee) * fraction
        if quantity == last:
            raise ArgumentError(f"GetMaximumOrderQuantityForTargetBuyingPower failed to converge on the target "
                                f"margin {target} for {security.symbol} (order fees {fee})")
        last = quantity
        if not abs(final_margin) > abs(target):
            return quantity


def _amount_to_order(security: Security, target: float, unit: float) -> tuple[float, float]:
    """``BuyingPowerModel.GetAmountToOrder``: round toward the side that stays under the target margin."""
    holdings = security.holdings.quantity
    size = -holdings + target / unit
    size = float(math.ceil(size) if target < 0 else math.floor(size))
    final = security.price * (size + holdings) / security.leverage
    difference = final - target
    while (target < 0 and difference < 0) or (target > 0 and difference > 0):
        size += 1 if target < 0 else -1
        final = security.price * (size + holdings) / security.leverage
        difference = final - target
    return size, final


class ArgumentError(ValueError):
    """LEAN's ArgumentException from the buying-power model."""


class MarginCallScan:
    """The engine's margin-call step, once every 5 minutes of slice time (Engine/AlgorithmManager.cs ``Run``)."""

    FREQUENCY = timedelta(minutes=5)

    def __init__(self) -> None:
        self._next: Any = None

    def __call__(self, algorithm: Any) -> None:
        now = algorithm.utc_time
        if self._next is not None and now < self._next:
            return
        model = algorithm.portfolio.margin_call_model
        requests, warning = model.get_margin_call_orders()
        executed = 0
        if requests and all(algorithm.securities[r.symbol].exchange.exchange_open for r in requests):
            requests = algorithm._margin_call_requests(requests)
            tickets = model.execute_margin_call(requests)
            executed = len(tickets)
            for ticket in tickets:
                algorithm.error(f"{algorithm.time:%m/%d/%Y %H:%M:%S} - Executed MarginCallOrder: {ticket.symbol} - "
                                f"Quantity: {_invariant(ticket.quantity)} @ {_invariant(ticket.average_fill_price)}")
        if executed == 0 and warning:
            algorithm.on_margin_call_warning()
        self._next = now + self.FREQUENCY


def _invariant(x: float) -> str:
    """A decimal as C#'s ``ToStringInvariant`` prints it: no trailing zeros, no exponent."""
    text = f"{x:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
