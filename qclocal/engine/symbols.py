"""``Symbol``: a security's identity. ``str(symbol)`` is its ticker, as in LEAN.

Identity follows LEAN's SecurityIdentifier (``Common/Symbol.cs`` compares ``ID`` only): two symbols are the same
security when their SIDs name the same first ticker, whatever ticker each carries as ``value``. So the coarse row
"GOOCV VP83T1ZUHROL,GOOCV" and ``add_equity("GOOG")`` (resolved through the map files as of today to
GOOCV VP83T1ZUHROL) are one security, while the old class-A "GOOG T1AZ164W5VTX" is another. A symbol made from a
ticker alone has that ticker as its first ticker.
"""

from __future__ import annotations

from collections.abc import Callable

from qclocal.engine.enums import Market, SecurityType
from qclocal.engine.lean_api import check_default, lean_type


@lean_type("QuantConnect.Symbol")
class Symbol:
    __slots__ = ("value", "id", "security_type", "market", "_first", "_identity")

    def __init__(self, value: str, security_type: SecurityType = SecurityType.EQUITY, market: str = Market.USA,
                 sid: str | None = None):
        self.value = value.upper()
        self.security_type = security_type
        self.market = market
        self.id = sid or self.value
        self._first = self.id.split(" ", 1)[0].upper()   # the SID's first ticker: the permanent identity
        self._identity = (self._first, int(security_type), market)

    # Set by the engine while it runs (``corporate.resolve_ticker`` on its data folder): ticker -> SID as of today.
    resolver: Callable[[str], str] | None = None

    @staticmethod
    def create(ticker: str, security_type: SecurityType = SecurityType.EQUITY, market: str = Market.USA) -> Symbol:
        """``Symbol.Create``: an equity ticker resolves through the map files as of today, as ``add_equity`` does."""
        check_default("Symbol.create", "market", market or Market.USA, Market.USA)
        sid = Symbol.resolver(ticker) if security_type == SecurityType.EQUITY and Symbol.resolver else None
        return Symbol(ticker, security_type, Market.USA, sid=sid)

    def __hash__(self) -> int:
        # the first ticker's hash: equal to the ticker string's for every security never renamed, so pandas
        # .loc["SPY"] finds it
        return hash(self._first)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Symbol):
            return self is other or self._identity == other._identity
        if isinstance(other, str):
            return self.value == other.upper()
        return NotImplemented

    def __lt__(self, other: Symbol) -> bool:
        return self.value < other.value

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return self.value
