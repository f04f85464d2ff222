"""``Symbol``: a security's identity. ``str(symbol)`` is its ticker, as in LEAN."""

from __future__ import annotations

from qclocal.engine.enums import Market, SecurityType
from qclocal.engine.lean_api import check_default, lean_type


@lean_type("QuantConnect.Symbol")
class Symbol:
    __slots__ = ("value", "id", "security_type", "market")

    def __init__(self, value: str, security_type: SecurityType = SecurityType.EQUITY, market: str = Market.USA,
                 sid: str | None = None):
        self.value = value.upper()
        self.security_type = security_type
        self.market = market
        self.id = sid or self.value

    @staticmethod
    def create(ticker: str, security_type: SecurityType = SecurityType.EQUITY, market: str = Market.USA) -> Symbol:
        check_default("Symbol.create", "market", market or Market.USA, Market.USA)
        return Symbol(ticker, security_type, Market.USA)

    def _key(self) -> tuple:
        return (self.value, int(self.security_type), self.market)

    def __hash__(self) -> int:
        return hash(self.value)  # equal to the ticker string's hash, so pandas .loc["SPY"] finds it

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Symbol):
            return self._key() == other._key()
        if isinstance(other, str):
            return self.value == other.upper()
        return NotImplemented

    def __lt__(self, other: Symbol) -> bool:
        return self.value < other.value

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return self.value
