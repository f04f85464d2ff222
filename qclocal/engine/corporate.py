"""Corporate actions from LEAN's map and factor files: ticker resolution, renames, splits, dividends, delistings.

How LEAN does it, and where (paths in QuantConnect/Lean):

* **Ticker resolution** (``Common/SecurityIdentifier.cs`` ``GenerateEquity``): ``add_equity("GOOG")`` resolves the
  ticker through the map files *as of today*, so "GOOG" is the file ``goog.csv`` whose first row names the SID:
  GOOCV VP83T1ZUHROL. A coarse row carries its SID already.
* **Which file a date reads** (``Common/Data/Auxiliary/MapFile.cs``): a row ``date,ticker`` means the security
  traded as ``ticker`` up to and including ``date``. Before the first row and after the last one there is no
  data (``HasData``); the last row's date is the delisting date.
* **Events** come from one provider each, asked once per tradable date D of a subscription
  (``Engine/DataFeeds/Enumerators/*EventProvider.cs``, merged by ``AuxiliaryDataEnumerator``); each is stamped
  D 00:00 and reaches the algorithm in its own time step before D's bar:
  - ``SplitEventProvider``: when the factor file has a row on D whose split factor differs from the next row's,
    a ``Split`` *warning* on D (factor = this / next, reference = last raw price) and the split itself on the
    next tradable date (reference = the row's reference price). Only where the map file has data.
  - ``DividendEventProvider``: the same for price factors; on the next tradable date a ``Dividend`` whose
    distribution is ``round(ref - ref * pf_row / pf_next, 2)`` (``Dividend.ComputeDistribution``); it also adds
    the distribution to the subscription's sum of dividends (TOTAL_RETURN prices).
  - ``MappingEventProvider``: a ``SymbolChangedEvent`` when the ticker in force changes.
  - ``DelistingEventProvider``: a ``Delisting`` warning on the first tradable date on or after the delisting
    date, and ``Delisted`` on the first one after it (stamped delisting date + 1 day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from qclocal.data import lean_format
from qclocal.data.sid import equity_sid
from qclocal.engine.lean_api import LeanEnum, lean_type
from qclocal.engine.symbols import Symbol


@lean_type("QuantConnect.SplitType")
class SplitType(IntEnum, metaclass=LeanEnum):
    WARNING = 0
    SPLIT_OCCURRED = 1


@lean_type("QuantConnect.DelistingType")
class DelistingType(IntEnum, metaclass=LeanEnum):
    WARNING = 0
    DELISTED = 1


class _Event:
    """Auxiliary data (``MarketDataType.Auxiliary`` in LEAN): no period, so ``end_time == time``."""

    __slots__ = ("symbol", "time", "value")

    def __init__(self, symbol: Symbol, time: datetime, value: float):
        self.symbol, self.time, self.value = symbol, time, float(value)

    end_time = property(lambda self: self.time)
    price = property(lambda self: self.value)
    is_fill_forward = False


@lean_type("QuantConnect.Data.Market.Split")
class Split(_Event):
    """``Common/Data/Market/Split.cs``: ``value`` is the reference price."""

    __slots__ = ("split_factor", "type")

    def __init__(self, symbol: Symbol, time: datetime, price: float, split_factor: float, type: SplitType):
        super().__init__(symbol, time, price)
        self.split_factor, self.type = float(split_factor), SplitType(type)

    reference_price = property(lambda self: self.value)

    def __repr__(self) -> str:
        kind = "Split Warning" if self.type == SplitType.WARNING else "Split"
        return f"{kind}: {self.symbol}: {self.split_factor} | {self.value}"


@lean_type("QuantConnect.Data.Market.Dividend")
class Dividend(_Event):
    """``Common/Data/Market/Dividend.cs``: ``value`` is the distribution per share."""

    __slots__ = ("reference_price",)

    def __init__(self, symbol: Symbol, time: datetime, distribution: float, reference_price: float):
        super().__init__(symbol, time, distribution)
        self.reference_price = float(reference_price)

    distribution = property(lambda self: self.value)

    def __repr__(self) -> str:
        return f"Dividend: {self.symbol}: {self.value} | {self.reference_price}"


@lean_type("QuantConnect.Data.Market.Delisting")
class Delisting(_Event):
    """``Common/Data/Market/Delisting.cs``: ``value`` is the last price; ``ticket`` the liquidation order's."""

    __slots__ = ("type", "ticket")

    def __init__(self, symbol: Symbol, time: datetime, price: float, type: DelistingType):
        super().__init__(symbol, time, price)
        self.type, self.ticket = DelistingType(type), None

    def __repr__(self) -> str:
        kind = "Delisting Warning" if self.type == DelistingType.WARNING else "Delisted"
        return f"{kind}: {self.symbol} {self.time}"


@lean_type("QuantConnect.Data.Market.SymbolChangedEvent")
class SymbolChangedEvent(_Event):
    """``Common/Data/Market/SymbolChangedEvent.cs``: the ticker in force changed from ``old_symbol``."""

    __slots__ = ("old_symbol", "new_symbol")

    def __init__(self, symbol: Symbol, time: datetime, old_symbol: str, new_symbol: str):
        super().__init__(symbol, time, 0.0)
        self.old_symbol, self.new_symbol = old_symbol, new_symbol

    def __repr__(self) -> str:
        return f"{self.time} {self.old_symbol}->{self.new_symbol}"


# -- map files ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapFile:
    name: str                              # the file's name: the ticker in force today (LEAN's permtick)
    rows: tuple[tuple[date, str], ...]     # (date, ticker in force up to and including that date), ascending

    @property
    def first_date(self) -> date:
        return self.rows[0][0]

    @property
    def first_ticker(self) -> str:
        return self.rows[0][1]

    @property
    def delisting_date(self) -> date:
        return self.rows[-1][0]

    def has_data(self, day: date) -> bool:
        return self.first_date <= day <= self.delisting_date

    def ticker_on(self, day: date) -> str:
        """``MapFile.GetMappedSymbol``: the ticker of the first row dated on or after ``day``."""
        for row_date, ticker in self.rows:
            if row_date >= day:
                return ticker
        return self.rows[-1][1]

    def segments(self, start: date, end: date) -> list[tuple[date, date, str]]:
        """The [first, last] date ranges inside [start, end] with data, each with the ticker whose file holds it."""
        out: list[tuple[date, date, str]] = []
        lo = max(start, self.first_date)
        previous = self.first_date - timedelta(days=1)
        for row_date, ticker in self.rows:
            a, b = max(lo, previous + timedelta(days=1)), min(end, row_date)
            if a <= b:
                if out and out[-1][2] == ticker:
                    out[-1] = (out[-1][0], b, ticker)
                else:
                    out.append((a, b, ticker))
            previous = row_date
        return out


@lru_cache(maxsize=4096)
def _read_map_file(data_folder: str, name: str) -> MapFile | None:
    rows = lean_format.read_map_file(Path(data_folder), name)
    return MapFile(name.upper(), tuple(rows)) if rows else None


@lru_cache(maxsize=8)
def _all_map_files(data_folder: str) -> tuple[MapFile, ...]:
    folder = Path(data_folder) / "equity" / "usa" / "map_files"
    files = (_read_map_file(data_folder, p.stem) for p in sorted(folder.glob("*.csv"))) if folder.is_dir() else ()
    return tuple(f for f in files if f is not None)


def resolve_ticker(data_folder: Path, ticker: str) -> tuple[str, MapFile | None]:
    """(SID, map file) of the security that trades as ``ticker`` today (``SecurityIdentifier.GenerateEquity``).

    Without a map file the SID is the ticker itself (the security is taken never to have been renamed)."""
    found = _read_map_file(str(data_folder), ticker.lower())
    if found is None:
        return ticker.upper(), None
    return equity_sid(found.first_ticker, found.first_date), found


def map_file_of(data_folder: Path, symbol: Symbol) -> MapFile | None:
    """The map file of a symbol's SID (``MapFileResolver.ResolveMapFile(first ticker, first date)``)."""
    first = symbol.id.split(" ", 1)[0].upper()
    for name in dict.fromkeys((symbol.value, first)):
        found = _read_map_file(str(data_folder), name.lower())
        if found is not None and found.first_ticker == first:
            return found
    if " " not in symbol.id:
        return None
    matches = [f for f in _all_map_files(str(data_folder)) if f.first_ticker == first]
    exact = [f for f in matches if equity_sid(f.first_ticker, f.first_date) == symbol.id]
    return (exact or matches or [None])[0]


# -- events -------------------------------------------------------------------------------------------------
def corporate_events(symbol: Symbol, map_file: MapFile | None, factors: lean_format.FactorFile,
                     tradable_dates: list[date], start: date, last_raw_price: Any) -> list[tuple[datetime, Any]]:
    """(emitted at, event) for one equity subscription over its tradable dates, in LEAN's order (split, dividend,
    mapping, delisting providers). An event is emitted at 00:00 of the tradable date that produced it; a
    delisting keeps LEAN's own stamp in ``time``. ``last_raw_price(day)`` is the raw close before ``day``."""
    rows = {d.astype(object): i for i, d in enumerate(factors.dates)}
    out: list[tuple[datetime, Any]] = []
    split: tuple[float, float] | None = None
    dividend: tuple[float, float] | None = None
    mapped = symbol.value
    if map_file is not None and map_file.has_data(start):
        mapped = map_file.ticker_on(start)
    first = delist = None
    if map_file is not None:
        first, delist = map_file.first_date, map_file.delisting_date
        map_rows, row = map_file.rows, 0   # rows[row] is the first map row dated on or after the day
    warned = delisted = False
    for day in tradable_dates:
        if map_file is None or first <= day <= delist:
            i = rows.get(day)
            new = mapped
            if map_file is not None:   # MapFile.ticker_on(day), the days ascending
                while row < len(map_rows) - 1 and map_rows[row][0] < day:
                    row += 1
                new = map_rows[row][1]
            if i is not None or split is not None or dividend is not None or new != mapped:  # else: nothing today
                at = datetime.combine(day, time())
                has_next = i is not None and i + 1 < len(factors.dates)
                if split is not None:
                    out.append((at, Split(symbol, at, split[1], split[0], SplitType.SPLIT_OCCURRED)))
                    split = None
                if has_next and factors.split_factor[i] != factors.split_factor[i + 1]:
                    split = (factors.split_factor[i] / factors.split_factor[i + 1], factors.reference_price[i])
                    out.append((at, Split(symbol, at, last_raw_price(day), split[0], SplitType.WARNING)))
                if dividend is not None:
                    ratio, ref = dividend
                    out.append((at, Dividend(symbol, at, round(ref - ref * ratio, 2), ref)))
                    dividend = None
                if has_next and factors.price_factor[i] != factors.price_factor[i + 1]:
                    dividend = (factors.price_factor[i] / factors.price_factor[i + 1], factors.reference_price[i])
                if new != mapped:
                    out.append((at, SymbolChangedEvent(symbol, at, mapped, new)))
                    mapped = new
        if map_file is not None:
            if not warned and day >= delist:
                warned = True
                at = datetime.combine(day, time())
                out.append((at, Delisting(symbol, datetime.combine(delist, time()), last_raw_price(day),
                                     DelistingType.WARNING)))
            if not delisted and day > delist:
                delisted = True
                at = datetime.combine(day, time())
                out.append((at, Delisting(symbol, datetime.combine(delist + timedelta(days=1), time()),
                                     last_raw_price(day), DelistingType.DELISTED)))
    return out
