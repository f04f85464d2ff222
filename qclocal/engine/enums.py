"""LEAN enumerations, snake_case API style (``Resolution.DAILY``)."""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum

from qclocal.engine.lean_api import LeanConstants, LeanEnum, lean_type


@lean_type("QuantConnect.Resolution")
class Resolution(IntEnum, metaclass=LeanEnum):
    TICK = 0
    SECOND = 1
    MINUTE = 2
    HOUR = 3
    DAILY = 4

    @property
    def span(self) -> timedelta:
        return {Resolution.SECOND: timedelta(seconds=1), Resolution.MINUTE: timedelta(minutes=1),
                Resolution.HOUR: timedelta(hours=1), Resolution.DAILY: timedelta(days=1)}[self]

    @property
    def folder(self) -> str:
        if self not in (Resolution.MINUTE, Resolution.HOUR, Resolution.DAILY):
            raise NotImplementedError(f"Resolution.{self.name} data is not supported by qclocal")
        return self.name.lower()


@lean_type("QuantConnect.SecurityType")
class SecurityType(IntEnum, metaclass=LeanEnum):
    BASE = 0
    EQUITY = 1
    OPTION = 2
    COMMODITY = 3
    FOREX = 4
    FUTURE = 5
    CFD = 6
    CRYPTO = 7
    FUTURE_OPTION = 8
    INDEX = 9
    INDEX_OPTION = 10
    CRYPTO_FUTURE = 11


@lean_type("QuantConnect.Market")
class Market(metaclass=LeanConstants):
    USA = "usa"


@lean_type("QuantConnect.DataNormalizationMode")
class DataNormalizationMode(IntEnum, metaclass=LeanEnum):
    RAW = 0
    ADJUSTED = 1
    SPLIT_ADJUSTED = 2
    TOTAL_RETURN = 3
    FORWARD_PANAMA_CANAL = 4
    BACKWARDS_PANAMA_CANAL = 5
    BACKWARDS_RATIO = 6
    SCALED_RAW = 7

    @property
    def key(self) -> str:
        return self.name.lower()


@lean_type("QuantConnect.Orders.OrderType")
class OrderType(IntEnum, metaclass=LeanEnum):
    MARKET = 0
    LIMIT = 1
    STOP_MARKET = 2
    STOP_LIMIT = 3
    MARKET_ON_OPEN = 4
    MARKET_ON_CLOSE = 5


@lean_type("QuantConnect.Orders.OrderStatus")
class OrderStatus(IntEnum, metaclass=LeanEnum):
    NEW = 0
    SUBMITTED = 1
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELED = 5
    NONE = 6
    INVALID = 7
    CANCEL_PENDING = 8
    UPDATE_SUBMITTED = 9

    @property
    def is_open(self) -> bool:
        return self in _OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self not in _OPEN_STATUSES


_OPEN_STATUSES = frozenset({OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED,
                            OrderStatus.UPDATE_SUBMITTED, OrderStatus.CANCEL_PENDING})


@lean_type("QuantConnect.Orders.OrderDirection")
class OrderDirection(IntEnum, metaclass=LeanEnum):
    BUY = 0
    SELL = 1
    HOLD = 2


@lean_type("QuantConnect.Orders.OrderField")
class OrderField(IntEnum, metaclass=LeanEnum):
    LIMIT_PRICE = 0
    STOP_PRICE = 1
    TRIGGER_PRICE = 2
