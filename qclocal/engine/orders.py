"""Orders, tickets, order events, and the fee and slippage models (LEAN's defaults and settable ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qclocal.engine.enums import OrderDirection, OrderField, OrderStatus, OrderType
from qclocal.engine.errors import NotInQCLocal
from qclocal.engine.lean_api import Fixed, LeanConstants, lean_type
from qclocal.engine.symbols import Symbol

if TYPE_CHECKING:
    from qclocal.engine.securities import Security
    from qclocal.engine.transactions import Transactions


@lean_type("QuantConnect.Orders.Order")
@dataclass(slots=True)
class Order:
    id: int
    symbol: Symbol
    quantity: float
    type: OrderType
    time: datetime
    tag: str = ""
    limit_price: float = 0.0
    stop_price: float = 0.0
    status: OrderStatus = OrderStatus.NEW
    price: float = 0.0               # average fill price
    quantity_filled: float = 0.0
    last_fill_time: datetime | None = None
    stop_triggered: bool = False
    fee: float = 0.0

    @property
    def direction(self) -> OrderDirection:
        return OrderDirection.BUY if self.quantity > 0 else OrderDirection.SELL

    @property
    def absolute_quantity(self) -> float:
        return abs(self.quantity)

    @property
    def value(self) -> float:
        return self.quantity * self.price

    def get_value(self, security: Security) -> float:
        """LEAN's ``Order.GetValue``: market, MOO and MOC orders at the security's price; a limit or stop-limit
        order at the worse of its limit and the price, a stop-market order at the worse of its stop and the
        price, for the side (Common/Orders/LimitOrder.cs ``CalculateOrderValue``, StopMarketOrder.cs,
        StopLimitOrder.cs ``GetValueImpl``)."""
        price = security.price
        bound = {OrderType.LIMIT: self.limit_price, OrderType.STOP_LIMIT: self.limit_price,
                 OrderType.STOP_MARKET: self.stop_price}.get(self.type)
        if bound is not None:
            price = max(bound, price) if self.quantity < 0 else min(bound, price)
        return self.quantity * price

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "symbol": self.symbol.value, "quantity": self.quantity, "type": self.type.name,
                "status": self.status.name, "time": self.time.isoformat(), "price": self.price,
                "limitPrice": self.limit_price or None, "stopPrice": self.stop_price or None, "tag": self.tag,
                "lastFillTime": self.last_fill_time.isoformat() if self.last_fill_time else None,
                "fee": self.fee}


@lean_type("QuantConnect.Orders.OrderTicket")
class OrderTicket:
    __slots__ = ("_order", "_transactions", "submit_request")   # one per order: Python's own setattr (lean_type)

    def __init__(self, order: Order, transactions: Transactions, request: SubmitOrderRequest | None = None):
        self._order = order
        self._transactions = transactions
        self.submit_request = request or SubmitOrderRequest.from_order(order)

    order_id = property(lambda self: self._order.id)
    symbol = property(lambda self: self._order.symbol)
    quantity = property(lambda self: self._order.quantity)
    quantity_filled = property(lambda self: self._order.quantity_filled)
    average_fill_price = property(lambda self: self._order.price)
    status = property(lambda self: self._order.status)
    order_type = property(lambda self: self._order.type)
    tag = property(lambda self: self._order.tag)
    time = property(lambda self: self._order.time)

    @property
    def order_closed(self) -> bool:
        return self._order.status.is_closed

    def get(self, field_: OrderField) -> float:
        if field_ == OrderField.LIMIT_PRICE:
            return self._order.limit_price
        if field_ == OrderField.STOP_PRICE:
            return self._order.stop_price
        raise NotImplementedError(f"OrderTicket.get({field_!r}) is not implemented in qclocal")

    def cancel(self, tag: str | None = None) -> bool:
        return self._transactions.cancel_order(self._order.id, tag)

    def __repr__(self) -> str:
        o = self._order
        return f"OrderTicket(#{o.id} {o.type.name} {o.quantity} {o.symbol} {o.status.name})"


@lean_type("QuantConnect.Securities.CashAmount")
@dataclass(slots=True)
class CashAmount:
    amount: float
    currency: str = "USD"


@lean_type("QuantConnect.Orders.Fees.OrderFee")
@dataclass(slots=True)
class OrderFee:
    value: CashAmount = field(default_factory=lambda: CashAmount(0.0))


@lean_type("QuantConnect.Orders.OrderEvent")
@dataclass(slots=True)
class OrderEvent:
    order_id: int
    symbol: Symbol
    utc_time: datetime
    status: OrderStatus
    direction: OrderDirection
    fill_price: float = 0.0
    fill_quantity: float = 0.0
    order_fee: OrderFee = field(default_factory=OrderFee)
    message: str = ""
    is_assignment: bool = False
    quantity: float = 0.0

    @property
    def absolute_fill_quantity(self) -> float:
        return abs(self.fill_quantity)

    def to_json(self) -> dict[str, Any]:
        return {"orderId": self.order_id, "symbol": self.symbol.value, "time": self.utc_time.isoformat(),
                "status": self.status.name, "direction": self.direction.name, "fillPrice": self.fill_price,
                "fillQuantity": self.fill_quantity, "orderFee": self.order_fee.value.amount, "message": self.message}

    def __str__(self) -> str:
        return (f"Time: {self.utc_time} OrderID: {self.order_id} Symbol: {self.symbol} Status: {self.status.name}"
                f" Quantity: {self.fill_quantity} FillPrice: {self.fill_price}")


# -- fee models -----------------------------------------------------------------------------------------
@lean_type("QuantConnect.Orders.Fees.OrderFeeParameters")
class OrderFeeParameters:
    __slots__ = ("security", "order")

    def __init__(self, security: Security, order: Order):
        self.security = security
        self.order = order


@lean_type("QuantConnect.Orders.Fees.FeeModel")
class FeeModel:
    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        raise NotImplementedError


@lean_type("QuantConnect.Orders.Fees.InteractiveBrokersFeeModel")
class InteractiveBrokersFeeModel(FeeModel):
    """US equities: 0.005 USD a share, at least 1 USD, at most 0.5% of the order value, which is
    ``Order.GetValue`` (Common/Orders/Fees/InteractiveBrokersFeeModel.cs): a limit price caps it, for example."""

    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        order = parameters.order
        fee = 0.005 * abs(order.quantity)
        if fee < 1.0:
            fee = 1.0
        else:
            fee = min(fee, 0.005 * abs(order.get_value(parameters.security)))
        return OrderFee(CashAmount(fee))


@lean_type("QuantConnect.Orders.Fees.ConstantFeeModel")
class ConstantFeeModel(FeeModel):
    def __init__(self, fee: float, currency: str = "USD"):
        self.fee = float(fee)

    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        return OrderFee(CashAmount(self.fee))


class ZeroFeeModel(ConstantFeeModel):
    def __init__(self) -> None:
        super().__init__(0.0)


# -- slippage models --------------------------------------------------------------------------------------
@lean_type("QuantConnect.Orders.Slippage.NullSlippageModel")
class NullSlippageModel:
    def get_slippage_approximation(self, asset: Security, order: Order) -> float:
        return 0.0


@lean_type("QuantConnect.Orders.Slippage.ConstantSlippageModel")
class ConstantSlippageModel:
    """Slippage as a constant fraction of the price."""

    def __init__(self, slippage_percent: float):
        self.slippage_percent = float(slippage_percent)

    def get_slippage_approximation(self, asset: Security, order: Order) -> float:
        return self.slippage_percent * asset.price


@lean_type("QuantConnect.Orders.Slippage.VolumeShareSlippageModel")
class VolumeShareSlippageModel:
    """LEAN's volume-share model: price × impact × (min(|qty| / bar volume, limit))²."""

    def __init__(self, volume_limit: float = 0.025, price_impact: float = 0.1):
        self.volume_limit = float(volume_limit)
        self.price_impact = float(price_impact)

    def get_slippage_approximation(self, asset: Security, order: Order) -> float:
        bar = asset.cache.trade_bar
        if bar is None or bar.volume <= 0:
            return 0.0
        share = min(abs(order.quantity) / bar.volume, self.volume_limit)
        return asset.price * self.price_impact * share * share


@lean_type("QuantConnect.Orders.SubmitOrderRequest")
class SubmitOrderRequest:
    """An order to submit, as LEAN's margin-call model hands it to ``on_margin_call`` (Common/Orders/
    SubmitOrderRequest.cs). Algorithms may build new ones there:
    ``SubmitOrderRequest(order_type, security_type, symbol, quantity, stop_price, limit_price, time, tag)``."""

    __slots__ = ("order_type", "security_type", "symbol", "quantity", "stop_price", "limit_price", "time", "tag",
                 "order_id", "asynchronous")

    def __init__(self, order_type: OrderType, security_type: Any, symbol: Symbol, quantity: float,
                 stop_price: float, limit_price: float, time: datetime, tag: str = "",
                 properties: Any = None, group_order_manager: Any = None):
        if not isinstance(time, datetime):
            raise NotImplementedError("SubmitOrderRequest(..., trigger_price, ...) is not implemented in qclocal "
                                      "(it exists in LEAN); pass (order_type, security_type, symbol, quantity, "
                                      "stop_price, limit_price, time, tag)")
        if properties is not None or group_order_manager is not None:
            raise NotImplementedError("SubmitOrderRequest order properties and group orders are not implemented in "
                                      "qclocal (they exist in LEAN)")
        self.order_type = OrderType(order_type)
        self.security_type = security_type
        self.symbol = symbol
        self.quantity = float(quantity)
        self.stop_price = float(stop_price)
        self.limit_price = float(limit_price)
        self.time = time
        self.tag = tag
        self.order_id = 0
        self.asynchronous = False  # a backtest processes every request synchronously either way

    @classmethod
    def from_order(cls, order: Order, asynchronous: bool = False) -> SubmitOrderRequest:
        """The request behind an order the algorithm placed, as ``ticket.submit_request``."""
        request = object.__new__(cls)   # the order's fields are already checked: no constructor validation
        request.order_type, request.security_type, request.symbol = order.type, order.symbol.security_type, order.symbol
        request.quantity, request.stop_price, request.limit_price = order.quantity, order.stop_price, order.limit_price
        request.time, request.tag = order.time, order.tag
        request.order_id, request.asynchronous = order.id, bool(asynchronous)
        return request

    def __repr__(self) -> str:
        return f"SubmitOrderRequest({self.order_type.name} {self.quantity} {self.symbol} tag={self.tag!r})"
@lean_type("QuantConnect.Orders.TimeInForce")
class TimeInForce(metaclass=LeanConstants):
    """LEAN's time in force. qclocal keeps an order open until it fills or is cancelled, which is LEAN's default
    ``GOOD_TIL_CANCELED``; ``DAY`` and ``GOOD_TIL_DATE`` raise."""
    GOOD_TIL_CANCELED: TimeInForce
    def is_order_expired(self, security: Any, order: Order) -> bool:
        return False
    def is_fill_valid(self, security: Any, order: Order, fill: OrderEvent) -> bool:
        return True
        return "TimeInForce.GOOD_TIL_CANCELED"
TimeInForce.GOOD_TIL_CANCELED = TimeInForce()
@lean_type("QuantConnect.Orders.OrderProperties")
class OrderProperties:
    """An order's properties. qclocal honours only LEAN's defaults (``OrderProperties.cs``)."""
    time_in_force = Fixed(TimeInForce.GOOD_TIL_CANCELED)
    exchange = Fixed(None)
    def clone(self) -> OrderProperties:
        return OrderProperties()
def check_order_properties(properties: Any) -> None:
    """``order_properties=`` must be None or qclocal's ``OrderProperties`` (always at LEAN's defaults)."""
    if properties is not None and not isinstance(properties, OrderProperties):
        raise NotInQCLocal(f"order_properties={type(properties).__name__}(...) is not implemented in qclocal, "
                           f"which only runs with the default OrderProperties(); run this algorithm with "
                           f"`lean backtest` or extend qclocal")
