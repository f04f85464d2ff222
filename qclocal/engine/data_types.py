"""Market data objects handed to algorithms: ``TradeBar``, ``QuoteBar``, custom ``BaseData`` and ``Slice``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from qclocal.engine.lean_api import lean_type
from qclocal.engine.symbols import Symbol


@lean_type("QuantConnect.Data.BaseData")
class BaseData:
    """Custom data point (``add_data``). ``value``/``price`` is the payload; ``end_time`` when it became known."""

    __slots__ = ("symbol", "time", "end_time", "value", "is_fill_forward")

    def __init__(self, symbol: Symbol | None = None, time: datetime | None = None, value: float = 0.0,
                 end_time: datetime | None = None):
        self.symbol = symbol
        self.time = time
        self.end_time = end_time or time
        self.value = value
        self.is_fill_forward = False

    @property
    def price(self) -> float:
        return self.value

    @property
    def close(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.symbol}, {self.end_time}, {self.value})"


@lean_type("QuantConnect.Data.Market.TradeBar")
class TradeBar:
    __slots__ = ("symbol", "time", "end_time", "open", "high", "low", "close", "volume", "is_fill_forward")

    def __init__(self, time: datetime | None = None, symbol: Symbol | None = None, open: float = 0.0,
                 high: float = 0.0, low: float = 0.0, close: float = 0.0, volume: float = 0.0,
                 period: timedelta = timedelta(minutes=1), end_time: datetime | None = None,
                 is_fill_forward: bool = False):
        self.symbol = symbol
        self.time = time
        self.end_time = end_time if end_time is not None else (time + period if time is not None else None)
        self.open, self.high, self.low, self.close, self.volume = open, high, low, close, volume
        self.is_fill_forward = is_fill_forward

    @property
    def price(self) -> float:
        return self.close

    @property
    def value(self) -> float:
        return self.close

    @property
    def period(self) -> timedelta:
        return self.end_time - self.time

    def __repr__(self) -> str:
        return (f"TradeBar({self.symbol} {self.end_time} o={self.open} h={self.high} l={self.low} c={self.close}"
                f" v={self.volume}{' ff' if self.is_fill_forward else ''})")


class CloseOnlyTradeBar(TradeBar):
    """A bar from a close-only import: open = high = low = close, and no volume at all."""

    __slots__ = ()

    @property  # type: ignore[override]
    def volume(self) -> float:
        raise ValueError(f"{self.symbol}: volume is unknown; its data was imported from a close-only file "
                         f"(Date,Close). Import an OHLCV file: `qclocal data import --source <folder> --tickers "
                         f"{self.symbol}`")

    @volume.setter
    def volume(self, value: float) -> None:
        pass

    def __repr__(self) -> str:
        return f"TradeBar({self.symbol} {self.end_time} close={self.close} (close-only))"


@lean_type("QuantConnect.Data.Market.Bar")
class Bar:
    __slots__ = ("open", "high", "low", "close")

    def __init__(self, open: float, high: float, low: float, close: float):
        self.open, self.high, self.low, self.close = open, high, low, close


@lean_type("QuantConnect.Data.Market.QuoteBar")
class QuoteBar:
    __slots__ = ("symbol", "time", "end_time", "bid", "ask", "last_bid_size", "last_ask_size", "is_fill_forward")

    def __init__(self, time: datetime, symbol: Symbol, bid: Bar | None, last_bid_size: float, ask: Bar | None,
                 last_ask_size: float, end_time: datetime, is_fill_forward: bool = False):
        self.symbol, self.time, self.end_time = symbol, time, end_time
        self.bid, self.ask = bid, ask
        self.last_bid_size, self.last_ask_size = last_bid_size, last_ask_size
        self.is_fill_forward = is_fill_forward

    @property
    def close(self) -> float:
        if self.bid and self.ask:
            return (self.bid.close + self.ask.close) / 2
        return (self.bid or self.ask).close if (self.bid or self.ask) else 0.0

    @property
    def price(self) -> float:
        return self.close


@lean_type("QuantConnect.Data.Market.DataDictionary")
class DataDictionary(dict):
    """A dict keyed by Symbol that also accepts the ticker string, like LEAN's Python data dictionaries."""

    def _resolve(self, key: Any) -> Any:
        if type(key) is Symbol:  # the common case first: hasattr() on a Symbol builds a missing-member error
            return key
        if isinstance(key, str):
            for sym in self.keys():
                if sym.value == key.upper():
                    return sym
        if not isinstance(key, Symbol) and hasattr(key, "symbol"):
            return key.symbol
        return key

    def __getitem__(self, key: Any) -> Any:
        resolved = self._resolve(key)
        if not dict.__contains__(self, resolved):
            raise KeyError(f"'{key}' wasn't found in the Slice object, likely because there was no data for this "
                           f"symbol at this time; check slice.contains_key(symbol) first")
        return dict.__getitem__(self, resolved)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, self._resolve(key))

    def contains_key(self, key: Any) -> bool:
        return key in self

    def get(self, key: Any, default: Any = None) -> Any:
        resolved = self._resolve(key)
        return dict.get(self, resolved, default)


@lean_type("QuantConnect.Data.Slice")
class Slice(DataDictionary):
    """All data at one moment. Indexing gives the bar (or custom data point) of a symbol.

    Corporate events (``splits``, ``dividends``, ``delistings``, ``symbol_changed_events``) are not keys of the
    slice itself, as in LEAN (``Common/Data/Slice.cs`` caches only each symbol's default data type), but a slice
    that carries only them still has data, so ``on_data`` runs (``TimeSliceFactory``: ``HasData`` counts all
    algorithm data)."""

    def __init__(self, time: datetime, bars: DataDictionary, quote_bars: DataDictionary, custom: DataDictionary,
                 delistings: DataDictionary | None = None, splits: DataDictionary | None = None,
                 dividends: DataDictionary | None = None, symbol_changed_events: DataDictionary | None = None):
        super().__init__()
        self.time = time
        self.bars = bars
        self.quote_bars = quote_bars
        self.delistings = delistings if delistings is not None else DataDictionary()
        self.splits = splits if splits is not None else DataDictionary()
        self.dividends = dividends if dividends is not None else DataDictionary()
        self.symbol_changed_events = symbol_changed_events if symbol_changed_events is not None else DataDictionary()
        self._custom = custom
        dict.update(self, quote_bars)
        dict.update(self, bars)
        dict.update(self, custom)

    @property
    def has_data(self) -> bool:
        return len(self) > 0 or any(map(len, (self.splits, self.dividends, self.delistings,
                                              self.symbol_changed_events)))

    def get(self, type_or_key: Any, default: Any = None) -> Any:
        if isinstance(type_or_key, type):
            if type_or_key is TradeBar:
                return self.bars
            if type_or_key is QuoteBar:
                return self.quote_bars
            return DataDictionary({k: v for k, v in self._custom.items() if isinstance(v, type_or_key)})
        return super().get(type_or_key, default)

    def __iter__(self) -> Iterator:
        return iter(self.keys())
