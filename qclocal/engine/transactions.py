"""Order submission, LEAN's fill rules for backtests, and order events.

Market orders fill right after the step that placed them, at the current price (ask/bid close of a fresh
quote bar, else the trade close). Everything else is checked when the next data arrives: limit, stop,
stop-limit, market-on-open (the first bar of a new session, at its open) and market-on-close (the close of
the bar at the session close). Buying power is checked at fill time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from qclocal.engine.enums import OrderStatus, OrderType, Resolution
from qclocal.engine.lean_api import lean_type
from qclocal.engine.orders import (
    CashAmount,
    Order,
    OrderEvent,
    OrderFee,
    OrderFeeParameters,
    OrderTicket,
    SubmitOrderRequest,
)
from qclocal.engine.symbols import Symbol

if TYPE_CHECKING:
    from qclocal.engine.portfolio import Portfolio
    from qclocal.engine.securities import Security, SecurityManager

STALE_PRICE = timedelta(hours=1)
LIQUIDATE_FROM_DELISTING = "Liquidate from delisting"   # BrokerageTransactionHandler.LiquidateFromDelistingTag


@lean_type("QuantConnect.Orders.MarketOnCloseOrder")
class MarketOnCloseOrder:
    """Holds LEAN's global MOC submission buffer (``MarketOnCloseOrder.submission_time_buffer``)."""

    DEFAULT_SUBMISSION_TIME_BUFFER = timedelta(minutes=15.5)
    submission_time_buffer = DEFAULT_SUBMISSION_TIME_BUFFER


@lean_type("QuantConnect.Securities.SecurityTransactionManager")
class Transactions:
    """``self.transactions``: the order book of the algorithm and the backtesting brokerage."""

    def __init__(self, securities: SecurityManager, portfolio: Portfolio, clock: Callable[[], datetime],
                 on_event: Callable[[OrderEvent], None]):
        self._securities = securities
        self._portfolio = portfolio
        self._now = clock
        self._emit = on_event
        self.orders: dict[int, Order] = {}
        self.tickets: dict[int, OrderTicket] = {}
        self.events: list[OrderEvent] = []
        # open orders only, in id order, and by symbol: scans cost O(open), a symbol's look-up O(its own)
        self._open: dict[int, Order] = {}
        self._open_by_symbol: dict[Symbol, dict[int, Order]] = {}
        self._next_id = 1

    @property
    def current_time(self) -> datetime:
        """The algorithm time that stamps new orders."""
        return self._now()

    # -- queries --------------------------------------------------------------------------------------
    @property
    def orders_count(self) -> int:
        return len(self.orders)

    def get_order_by_id(self, order_id: int) -> Order | None:
        return self.orders.get(order_id)

    def get_orders(self, predicate: Callable[[Order], bool] | None = None) -> list[Order]:
        return [o for o in self.orders.values() if predicate is None or predicate(o)]

    def get_order_tickets(self, predicate: Callable[[OrderTicket], bool] | None = None) -> list[OrderTicket]:
        return [t for t in self.tickets.values() if predicate is None or predicate(t)]

    def get_order_ticket(self, order_id: int) -> OrderTicket | None:
        return self.tickets.get(order_id)

    def _resolve(self, symbol: Any) -> Symbol | None:
        if symbol is None:
            return None
        return self._securities[symbol].symbol

    def get_open_orders(self, symbol: Any = None) -> list[Order]:
        if not self._open:
            return []
        if symbol is None:
            return list(self._open.values())
        return list(self._open_by_symbol.get(self._resolve(symbol), {}).values())

    def get_open_order_tickets(self, symbol: Any = None) -> list[OrderTicket]:
        return [self.tickets[o.id] for o in self.get_open_orders(symbol)]

    def get_open_orders_remaining_quantity(self, symbol: Any) -> float:
        return sum(o.quantity - o.quantity_filled for o in self.get_open_orders(symbol))

    def cancel_order(self, order_id: int, tag: str | None = None) -> bool:
        order = self.orders.get(order_id)
        if order is None or not order.status.is_open:
            return False
        order.status = OrderStatus.CANCELED
        self._close(order)
        if tag:
            order.tag = tag
        self._event(order, OrderStatus.CANCELED, message="Canceled")
        return True

    def cancel_open_orders(self, symbol: Any = None, tag: str | None = None) -> list[OrderTicket]:
        out = []
        for order in self.get_open_orders(symbol):
            self.cancel_order(order.id, tag)
            out.append(self.tickets[order.id])
        return out

    # -- submission -----------------------------------------------------------------------------------
    def submit(self, security: Security, quantity: float, order_type: OrderType, tag: str = "",
               limit_price: float = 0.0, stop_price: float = 0.0, asynchronous: bool = False) -> OrderTicket:
        now = self._now()
        order = Order(self._next_id, security.symbol, float(quantity), order_type, now, tag or "",
                      float(limit_price), float(stop_price))
        reason = self._pre_order_check(security, order)
        ticket = OrderTicket(order, self, SubmitOrderRequest.from_order(order, asynchronous))
        if reason:
            order.status = OrderStatus.INVALID
            order.tag = f"{order.tag} {reason}".strip()
            self.events.append(OrderEvent(order.id, order.symbol, now, OrderStatus.INVALID, order.direction,
                                          message=reason))
            return ticket  # rejected before submission: not counted in Total Orders (LEAN)
        self._next_id += 1
        self.orders[order.id] = order
        self.tickets[order.id] = ticket
        if not self._sufficient_buying_power(security, order):
            return ticket  # invalid at submission: counted in Total Orders (BrokerageTransactionHandler.AddOrder)
        self._open[order.id] = order
        self._open_by_symbol.setdefault(order.symbol, {})[order.id] = order
        order.status = OrderStatus.SUBMITTED
        self._event(order, OrderStatus.SUBMITTED)
        return ticket

    def _sufficient_buying_power(self, security: Security, order: Order) -> bool:
        """LEAN checks buying power when an order is submitted and again at each fill attempt, both with the
        security's current price and the order's fee (BrokerageTransactionHandler.HandleSubmitOrderRequest,
        BacktestingBrokerage.Scan, BuyingPowerModel.HasSufficientBuyingPowerForOrder); a failure invalidates it."""
        fee = security.fee_model.get_order_fee(OrderFeeParameters(security, order)).value.amount
        if self._portfolio.has_buying_power(security, order.quantity, security.price, fee):
            return True
        order.status = OrderStatus.INVALID
        self._close(order)
        msg = (f"Insufficient buying power to complete order (Value:{abs(order.quantity * security.price):.2f}), "
               f"Reason: margin remaining {self._portfolio.margin_remaining:.2f}")
        order.tag = msg
        self._event(order, OrderStatus.INVALID, message=msg)
        return False

    def _close(self, order: Order) -> None:
        """``order`` is no longer open (filled, cancelled or invalid)."""
        if self._open.pop(order.id, None) is not None:
            same_symbol = self._open_by_symbol[order.symbol]
            del same_symbol[order.id]
            if not same_symbol:
                del self._open_by_symbol[order.symbol]

    def _pre_order_check(self, security: Security, order: Order) -> str:
        if order.quantity == 0:
            return "Unable to submit order with zero quantity"
        if not security.is_tradable:
            return f"{security.symbol} is not tradable"
        if security.price == 0:
            return f"{security.symbol}: the security does not have an accurate price as it has not yet received " \
                   f"a bar of data"
        if order.type == OrderType.MARKET_ON_CLOSE:
            sess = security.exchange.hours.session(order.time.date())
            if sess and sess[1] - MarketOnCloseOrder.submission_time_buffer < order.time < sess[1]:
                return (f"MarketOnClose orders must be placed within {MarketOnCloseOrder.submission_time_buffer} "
                        f"before market close")
        return ""

    # -- corporate actions ----------------------------------------------------------------------------
    def apply_split(self, symbol: Symbol, split_factor: float) -> None:
        """``DefaultBrokerageModel.ApplySplit`` (RAW mode): each open order keeps its notional value; quantity
        divided by the factor and truncated (``(int?)``), limit and stop prices multiplied by it. The update is
        acknowledged with an ``UPDATE_SUBMITTED`` event, as the backtesting brokerage's ``UpdateOrder`` does."""
        for order in self.get_open_orders(symbol):
            order.quantity = float(math.trunc(order.quantity / split_factor))
            if order.type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
                order.limit_price *= split_factor
            if order.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT):
                order.stop_price *= split_factor
            order.status = OrderStatus.UPDATE_SUBMITTED
            self._event(order, OrderStatus.UPDATE_SUBMITTED)

    def liquidate_delisted(self, security: Security) -> OrderTicket | None:
        """``BrokerageTransactionHandler.HandleDelistingNotification``: a market order for the whole holding, filled
        at once at the last price with no fee; it counts as an order but sends no Submitted event."""
        quantity = -security.holdings.quantity
        if quantity == 0:
            return None
        now = self._now()
        order = Order(self._next_id, security.symbol, quantity, OrderType.MARKET, now, LIQUIDATE_FROM_DELISTING)
        self._next_id += 1
        self.orders[order.id] = order
        ticket = self.tickets[order.id] = OrderTicket(order, self, SubmitOrderRequest.from_order(order))
        price = security.price
        self._portfolio.apply_fill(security, quantity, price, 0.0, now)
        order.status, order.price, order.quantity_filled, order.last_fill_time = OrderStatus.FILLED, price, quantity, now
        self._event(order, OrderStatus.FILLED, price, quantity, 0.0, message=LIQUIDATE_FROM_DELISTING)
        return ticket

    # -- events ---------------------------------------------------------------------------------------
    def _event(self, order: Order, status: OrderStatus, fill_price: float = 0.0, fill_quantity: float = 0.0,
               fee: float = 0.0, message: str = "") -> None:
        event = OrderEvent(order.id, order.symbol, self._now(), status, order.direction, fill_price, fill_quantity,
                           OrderFee(CashAmount(fee)), message, quantity=order.quantity)
        self.events.append(event)
        self._emit(event)

    # -- fills ----------------------------------------------------------------------------------------
    def process(self, market_only: bool = False) -> None:
        """Try to fill open orders against the securities' current data (LEAN's brokerage scan)."""
        for order in list(self._open.values()):
            if market_only and order.type != OrderType.MARKET:
                continue
            security = self._securities[order.symbol]
            price = self._fill_price(security, order)
            if price is None:
                continue
            if not self._sufficient_buying_power(security, order):
                continue
            fee = security.fee_model.get_order_fee(OrderFeeParameters(security, order)).value.amount
            now = self._now()
            self._portfolio.apply_fill(security, order.quantity, price, fee, now)
            order.status = OrderStatus.FILLED
            self._close(order)
            order.price = price
            order.quantity_filled = order.quantity
            order.last_fill_time = now
            order.fee = fee
            self._event(order, OrderStatus.FILLED, price, order.quantity, fee)

    def _fill_price(self, security: Security, order: Order) -> float | None:
        cache = security.cache
        bar = cache.trade_bar
        slip = security.slippage_model.get_slippage_approximation(security, order)
        sign = 1 if order.quantity > 0 else -1
        now = self._now()
        hours = security.exchange.hours
        if order.type == OrderType.MARKET:
            if not self._exchange_open(security, extended=False):
                return None
            price, stale_end = self._best_effort_price(security, order, sign)
            if stale_end is not None and self._waits_for_fresh_data(security, order, stale_end):
                return None
            return price + sign * slip
        if bar is None:
            return None
        if order.type == OrderType.MARKET_ON_OPEN:
            if bar.time < order.time or bar.end_time <= order.time:
                return None
            if bar.period < timedelta(hours=1) and not hours.is_open(bar.time):
                return None
            if hours.is_open(order.time) and order.time.date() == bar.end_time.date():
                return None
            if not self._exchange_open(security, extended=False):
                return None
            return bar.open + sign * slip
        if order.type == OrderType.MARKET_ON_CLOSE:
            if now < hours.next_market_close(order.time):
                return None
            if not self._exchange_open(security, extended=False):
                return None
            return bar.close + sign * slip
        if bar.end_time <= order.time:
            return None  # stale: only bars that end after the order count
        if order.type == OrderType.LIMIT:
            if not self._exchange_open(security, extended=security.extended_hours):
                return None
            # at the limit, or better when the bar opened through it (semantics.md §2)
            if sign > 0 and bar.low < order.limit_price:
                return min(bar.open, order.limit_price)
            if sign < 0 and bar.high > order.limit_price:
                return max(bar.open, order.limit_price)
            return None
        if order.type == OrderType.STOP_MARKET:
            if not self._exchange_open(security, extended=False):
                return None
            if sign > 0 and bar.high > order.stop_price:
                return max(order.stop_price, bar.close + slip)
            if sign < 0 and bar.low < order.stop_price:
                return min(order.stop_price, bar.close - slip)
            return None
        if order.type == OrderType.STOP_LIMIT:
            if not self._exchange_open(security, extended=security.extended_hours):
                return None
            if sign > 0 and (bar.high > order.stop_price or order.stop_triggered):
                order.stop_triggered = True
                if bar.close < order.limit_price:
                    return min(bar.high, order.limit_price)
            if sign < 0 and (bar.low < order.stop_price or order.stop_triggered):
                order.stop_triggered = True
                if bar.close > order.limit_price:
                    return max(bar.low, order.limit_price)
            return None
        raise NotImplementedError(f"order type {order.type.name} is not implemented in qclocal")

    @staticmethod
    def _best_effort_price(security: Security, order: Order, sign: int) -> tuple[float, datetime | None]:
        """The ask (buy) or bid (sell) close of the latest quote bar, else the latest trade close, and the end time
        of that data when it ended before the order time minus the stale-price span (1 hour) -- LEAN's
        ``GetBestEffortAskPrice``/``GetBestEffortBidPrice`` (Common/Orders/Fills/EquityFillModel.cs)."""
        cutoff = order.time - STALE_PRICE
        cache = security.cache
        best: float | None = None
        best_end: datetime | None = None
        quote = cache.quote_bar
        side = (quote.ask if sign > 0 else quote.bid) if quote is not None else None
        if quote is not None and side is not None and side.close > 0:
            if quote.end_time >= cutoff:
                return side.close, None
            best, best_end = side.close, quote.end_time
        bar = cache.trade_bar
        if bar is not None and (best_end is None or bar.end_time > best_end):
            if bar.end_time >= cutoff:
                return bar.close, None
            best, best_end = bar.close, bar.end_time
        if best is None:
            return security.price, None
        return best, best_end

    @staticmethod
    def _waits_for_fresh_data(security: Security, order: Order, data_end: datetime) -> bool:
        """On a stale price a market order waits for fresh data when every subscription is hour or daily, or
        when the data is more than one bar of the finest resolution older than the order (``FillModel.
        ShouldWaitForFreshDataOnStale``, Common/Orders/Fills/FillModel.cs)."""
        own = [s for s in security.subscriptions if not s.is_internal]
        if own and all(s.resolution in (Resolution.HOUR, Resolution.DAILY) for s in own):
            return True
        if not security.subscriptions:
            return False
        finest = min(s.resolution for s in security.subscriptions)
        return order.time - data_end > finest.span

    def _exchange_open(self, security: Security, extended: bool) -> bool:
        """LEAN's IsExchangeOpen: open now, or the last bar overlapped an open market."""
        hours = security.exchange.hours
        now = self._now()
        if hours.is_open(now, extended):
            return True
        bar = security.cache.trade_bar
        if bar is None:
            return False
        return any(a < bar.end_time and bar.time < b for a, b in hours.segments(bar.time.date(), extended))

