"""Subscriptions become streams: numpy arrays of bars stamped with their end time in algorithm time.

Daily bars are re-stamped to the real session (LEAN's DailyPreciseEndTime: 09:30 -> 16:00 or the early
close). Hour and minute bars outside the session are dropped unless extended hours are on. Prices are
scaled by the factor file for the normalization mode (volume divided by it). Fill-forward copies the last
bar at each expected bar time of the subscription's resolution that has no bar.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qclocal.data import lean_format
from qclocal.data.market_hours import ExchangeHours
from qclocal.engine.corporate import Dividend, MapFile, corporate_events
from qclocal.engine.enums import DataNormalizationMode, Resolution
from qclocal.engine.symbols import Symbol

ALGORITHM_TZ = "America/New_York"


@dataclass
class Subscription:
    symbol: Symbol
    kind: str                     # "equity" | "index" | "custom"
    resolution: Resolution
    hours: ExchangeHours
    fill_forward: bool = True
    extended_hours: bool = False
    normalization: DataNormalizationMode = DataNormalizationMode.ADJUSTED
    is_internal: bool = False
    data_type: str = "trade"      # "trade" | "quote" | "custom"
    custom_type: Any = None
    file_ticker: str | None = None
    optional: bool = False        # universe members: a missing file means no data, not an error
    map_file: MapFile | None = None   # equities: which file each date reads, renames and delisting

    @property
    def ticker(self) -> str:
        return self.file_ticker or self.symbol.value

    @property
    def factor_ticker(self) -> str:
        """The factor file's name: the map file's (the ticker in force today), else the ticker."""
        return self.map_file.name if self.map_file is not None else self.ticker


@dataclass
class Stream:
    sub: Subscription
    end_ns: np.ndarray            # int64 nanoseconds, algorithm time (naive New York)
    start: np.ndarray             # datetime64[ns] bar start, algorithm time
    values: np.ndarray            # (n, k) floats: trade o,h,l,c,v | quote 10 cols | custom value
    fill_forward: np.ndarray      # bool
    pos: int = 0
    close_only: bool = False             # imported from a close-only file: no real open/high/low/volume
    events: list[tuple[datetime, Any]] | None = None   # corporate events (``corporate.corporate_events``)

    def __len__(self) -> int:
        return len(self.end_ns)

    def __post_init__(self) -> None:
        # python objects once per stream: building bars from numpy scalars per bar is the feed's hot path
        self.end_times: list[datetime] = _python_times(np.asarray(self.end_ns, dtype="datetime64[ns]"))
        self.start_times: list[datetime] = _python_times(np.asarray(self.start, dtype="datetime64[ns]"))
        self.rows: list[list[float]] = self.values.tolist()
        self.ff_flags: list[bool] = self.fill_forward.tolist()
        self.end_ints: list[int] = self.end_ns.tolist()


_TIMES: OrderedDict[bytes, list[datetime]] = OrderedDict()


def _python_times(stamps: np.ndarray) -> list[datetime]:
    """``datetime`` objects of datetime64[ns] stamps. Subscriptions of one exchange and resolution share their bar
    times, so the lists of the last few distinct arrays are kept and shared (datetimes are immutable)."""
    key = stamps.tobytes()
    times = _TIMES.get(key)
    if times is None:
        times = _TIMES[key] = pd.DatetimeIndex(stamps).to_pydatetime().tolist()
        while len(_TIMES) > 16:
            _TIMES.popitem(last=False)
    return times


@dataclass
class EventStream:
    """A subscription's corporate events, each emitted at 00:00 of the tradable date that produced it."""

    sub: Subscription
    end_ns: np.ndarray
    items: list[Any]
    pos: int = 0

    def __len__(self) -> int:
        return len(self.items)

    def __post_init__(self) -> None:
        self.end_ints: list[int] = self.end_ns.tolist()


def _to_algorithm_tz(times: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    if tz == ALGORITHM_TZ or len(times) == 0:
        return times
    return times.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").tz_convert(ALGORITHM_TZ).tz_localize(None)


def _session_bounds(hours: ExchangeHours, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open and close of each bar's session; ``ok`` is False for bars on non-trading days (dropped)."""
    if len(days) == 0:
        empty = np.array([], dtype="datetime64[ns]")
        return empty, empty, np.array([], dtype=bool)
    table = hours.session_table(days[0].date(), days[-1].date()).reindex(days)
    return table["open"].to_numpy(), table["close"].to_numpy(), table["close"].notna().to_numpy()


def _expected_end_times(sub: Subscription, first: date, last: date) -> np.ndarray:
    """Every bar end time the subscription should have between two dates (exchange-local)."""
    if sub.resolution == Resolution.DAILY:
        return sub.hours.session_table(first, last)["close"].to_numpy().astype("datetime64[ns]")
    step = sub.resolution.span
    out: list[datetime] = []
    for day in sub.hours.trading_days(first, last):
        for a, b in sub.hours.segments(day, sub.extended_hours):
            t = a if sub.resolution == Resolution.MINUTE else datetime.combine(day, datetime.min.time()) + \
                timedelta(hours=a.hour)
            while t < b:
                end = min(t + step, b) if sub.resolution == Resolution.HOUR else t + step
                if end > a:
                    out.append(end)
                t += step
    return np.array(sorted(set(out)), dtype="datetime64[ns]")


def _read_frame(sub: Subscription, data_folder: Path, start: date, end: date) -> pd.DataFrame:
    """Raw bars of [start, end]; a mapped equity reads each date from the file of the ticker in force then and
    nothing outside its map file's dates (``SubscriptionDataReader`` with ``MapFile.HasData``)."""
    def read(ticker: str, a: date, b: date) -> pd.DataFrame:
        days = sub.hours.trading_days(a, b) if sub.resolution == Resolution.MINUTE else None
        return lean_format.read_bars(data_folder, sub.kind, ticker, sub.resolution.folder, a, b,
                                     kind=sub.data_type, days=days)
    if sub.map_file is None:
        return read(sub.ticker, start, end)
    parts = [read(ticker, a, b) for a, b, ticker in sub.map_file.segments(start, end)]
    parts = [p for p in parts if len(p)]
    if not parts:
        columns = lean_format.TRADE_COLUMNS if sub.data_type == "trade" else lean_format.QUOTE_COLUMNS
        return pd.DataFrame(columns=columns, dtype=float, index=pd.DatetimeIndex([], name="time"))
    return pd.concat(parts)


def _events(sub: Subscription, factors: lean_format.FactorFile, frame: pd.DataFrame, start: datetime,
            end: datetime) -> list[tuple[datetime, Any]]:
    """Corporate events of an equity subscription over its tradable dates (not for custom data or indexes)."""
    closes = frame["close"] if "close" in frame else (frame["bid_close"] + frame["ask_close"]) / 2
    dates = closes.index.normalize().to_numpy()
    values = closes.to_numpy()

    def last_raw_price(day: date) -> float:
        pos = int(np.searchsorted(dates, np.datetime64(day), side="left")) - 1
        return float(values[pos]) if pos >= 0 else 0.0
    tradable = sub.hours.trading_days(start.date(), end.date())
    return corporate_events(sub.symbol, sub.map_file, factors, tradable, start.date(), last_raw_price)


def load_stream(sub: Subscription, data_folder: Path, start: datetime, end: datetime) -> Stream:
    """All bars of ``sub`` whose end time lies in (start, end], in algorithm time, and its corporate events."""
    if sub.kind == "custom":
        return _custom_stream(sub, data_folder, start, end)
    frame = _read_frame(sub, data_folder, start.date(), end.date())
    factors = lean_format.read_factor_file(data_folder, sub.factor_ticker) if sub.kind == "equity" else None
    events = _events(sub, factors, frame, start, end) if factors is not None else []
    _, begin, finish, values = _session_bars(sub, frame, factors, events)
    end_ns, begin_ns, values, fill = _window(sub, begin, finish, values, start, end)
    return Stream(sub, end_ns, begin_ns, values, fill, close_only=_is_close_only(sub, data_folder),
                  events=[(t, e) for t, e in events if start < t <= end or (t == start and start.time() == time())])


def _session_bars(sub: Subscription, frame: pd.DataFrame, factors: lean_format.FactorFile | None,
                  events: list[tuple[datetime, Any]]
                  ) -> tuple[np.ndarray, pd.DatetimeIndex, pd.DatetimeIndex, np.ndarray]:
    """``(kept, begin, finish, values)``: which file rows are inside a session, and those bars stamped with their
    real start and end (exchange time), prices normalised. Each row depends only on its own date (and, for
    TOTAL_RETURN, on ``events``)."""
    values = frame.to_numpy(dtype=float)
    starts = frame.index
    if sub.resolution == Resolution.DAILY:
        days_idx = starts.normalize()
        opens, closes, mask = _session_bounds(sub.hours, days_idx)
        begin, finish = pd.DatetimeIndex(opens), pd.DatetimeIndex(closes)
        values, begin, finish = values[mask], begin[mask], finish[mask]
    else:
        span = sub.resolution.span
        begin = starts
        finish = starts + span
        if sub.resolution == Resolution.HOUR:
            keep, new_begin, new_finish = [], [], []
            for b, f in zip(begin, finish, strict=True):
                segs = sub.hours.segments(b.date(), sub.extended_hours)
                inter = [(max(b, s), min(f, e)) for s, e in segs if max(b, s) < min(f, e)]
                keep.append(bool(inter))
                new_begin.append(b)
                new_finish.append(inter[-1][1] if inter else f)
            mask = np.array(keep, dtype=bool)
            values = values[mask]
            begin = pd.DatetimeIndex(new_begin)[mask]
            finish = pd.DatetimeIndex(new_finish)[mask]
        else:
            mask = np.array([sub.hours.is_open(b.to_pydatetime(), sub.extended_hours) for b in begin], dtype=bool)
            values, begin, finish = values[mask], begin[mask], finish[mask]
    if factors is not None:
        values = _normalize(sub, factors, values, begin, events)
    return mask, begin, finish, values


def _window(sub: Subscription, begin: pd.DatetimeIndex, finish: pd.DatetimeIndex, values: np.ndarray,
            start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fill-forward up to ``end``, algorithm time zone, and the bars ending in (start, end]:
    ``(end_ns, begin datetime64, values, fill-forward flags)``."""
    fill = np.zeros(len(values), dtype=bool)
    if sub.fill_forward and len(values):
        begin, finish, values, fill = _fill_forward(sub, begin, finish, values, end)
    begin = _to_algorithm_tz(pd.DatetimeIndex(begin), sub.hours.time_zone)
    finish = _to_algorithm_tz(pd.DatetimeIndex(finish), sub.hours.time_zone)
    end_ns = finish.asi8
    window = (end_ns > pd.Timestamp(start).value) & (end_ns <= pd.Timestamp(end).value)
    return end_ns[window], begin.to_numpy()[window], values[window], fill[window]


def _is_close_only(sub: Subscription, data_folder: Path) -> bool:
    return sub.kind == "equity" and sub.ticker.upper() in _close_only(str(data_folder))


# -- history(): the whole file's prepared bars, cached -------------------------------------------------------
@dataclass
class _Prepared:
    stamps: np.ndarray            # datetime64[ns] of each bar as stored in the file (what _read_frame filters on)
    begin: pd.DatetimeIndex
    finish: pd.DatetimeIndex
    values: np.ndarray
    served: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # see _served


def _served(sub: Subscription, prepared: _Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(end_ns, values, position of each file bar)`` of the whole file after ``_window``'s per-request steps
    (fill-forward, algorithm time), computed once. A request's bars are then a slice of it: fill-forward only
    repeats the previous real bar on the expected sessions without one, so over the whole file it adds the same
    bars a request adds after its first real bar, up to the file's last date."""
    if prepared.served is None:
        last = pd.Timestamp(prepared.stamps[-1]).to_pydatetime().replace(hour=23, minute=59, second=59)
        end_ns, _, values, filled = _window(sub, prepared.begin, prepared.finish, prepared.values,
                                            datetime(1900, 1, 1), last)
        prepared.served = (end_ns, values, np.flatnonzero(~filled))
    return prepared.served


_PREPARED: OrderedDict[tuple, _Prepared] = OrderedDict()
_PREPARED_MAX = 128
_EVERYTHING = (date(1900, 1, 1), date(2200, 12, 31))


def history_bars(sub: Subscription, data_folder: Path, start: datetime, end: datetime
                 ) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(end_ns, values, close_only)`` of the bars ``load_stream`` would give, for ``history()``.

    Daily and hour bars come from an in-memory cache of the whole file, parsed, session-stamped and
    normalised once; each request slices it by the dates ``load_stream`` would read and then applies the
    per-request steps (fill-forward up to ``end``, the (start, end] window), so the result is the same array.
    The cache is keyed by the subscription (symbol, resolution, normalisation, hours, map file) and by the
    size and mtime of every file it read, so a rewritten file is read again. TOTAL_RETURN (its prices add the
    dividends paid since the request's start), minute bars and custom data are loaded per request.
    """
    mode = sub.normalization.key
    if sub.kind == "custom" or sub.resolution == Resolution.MINUTE or mode == "total_return":
        stream = load_stream(sub, data_folder, start, end)
        return stream.end_ns, stream.values, stream.close_only
    prepared = _prepared(sub, data_folder)
    low = np.datetime64(start.date(), "ns")
    high = np.datetime64(end.date() + timedelta(days=1), "ns")
    rows = (prepared.stamps >= low) & (prepared.stamps < high)
    if rows.any() and sub.hours.time_zone == ALGORITHM_TZ and end.date() <= pd.Timestamp(prepared.stamps[-1]).date():
        # the request's bars from the whole file served once: those after its first file bar, in (start, end]
        all_end, all_values, position = _served(sub, prepared)
        keep = (all_end > pd.Timestamp(start).value) & (all_end <= pd.Timestamp(end).value)
        keep[:position[int(np.argmax(rows))]] = False
        return all_end[keep], all_values[keep], _is_close_only(sub, data_folder)
    end_ns, _, values, _ = _window(sub, prepared.begin[rows], prepared.finish[rows], prepared.values[rows], start, end)
    return end_ns, values, _is_close_only(sub, data_folder)


@lru_cache(maxsize=4096)
def _file_paths(data_folder: str, kind: str, tickers: tuple[str, ...], folder: str, factor_ticker: str
                ) -> tuple[str, ...]:
    paths = [lean_format.bar_file(Path(data_folder), kind, t, folder) for t in tickers]
    if kind == "equity":
        paths.append(lean_format.factor_file_path(Path(data_folder), factor_ticker))
    return tuple(str(p) for p in paths)


@lru_cache(maxsize=64)
def _resolved(data_folder: str) -> str:
    return str(Path(data_folder).resolve())


def _file_stamps(sub: Subscription, data_folder: Path) -> tuple:
    tickers = sorted({t for _, t in sub.map_file.rows}) if sub.map_file is not None else [sub.ticker]
    stamps = []
    for path in _file_paths(str(data_folder), sub.kind, tuple(tickers), sub.resolution.folder, sub.factor_ticker):
        try:
            stat = os.stat(path)
            stamps.append((path, stat.st_size, stat.st_mtime_ns))
        except FileNotFoundError:
            stamps.append((path, -1, -1))
    return tuple(stamps)


def _prepared(sub: Subscription, data_folder: Path) -> _Prepared:
    key = (_resolved(str(data_folder)), sub.symbol, sub.kind, sub.resolution, sub.hours, sub.extended_hours,
           sub.normalization, sub.data_type, sub.ticker, sub.map_file, _file_stamps(sub, data_folder))
    cached = _PREPARED.get(key)
    if cached is not None:
        _PREPARED.move_to_end(key)
        return cached
    frame = _read_frame(sub, data_folder, *_EVERYTHING)
    factors = lean_format.read_factor_file(data_folder, sub.factor_ticker) if sub.kind == "equity" else None
    kept, begin, finish, values = _session_bars(sub, frame, factors, [])  # not TOTAL_RETURN: events unused
    prepared = _Prepared(frame.index.to_numpy()[kept], begin, finish, values)
    _PREPARED[key] = prepared
    while len(_PREPARED) > _PREPARED_MAX:
        _PREPARED.popitem(last=False)
    return prepared


def _normalize(sub: Subscription, factors: lean_format.FactorFile, values: np.ndarray, begin: pd.DatetimeIndex,
               events: list[tuple[datetime, Any]]) -> np.ndarray:
    """Prices times the factor of the mode, volume divided by it (``PriceScaleFactorEnumerator``,
    ``Extensions.Normalize``). TOTAL_RETURN adds the sum of the dividends the subscription has emitted so far
    (``DividendEventProvider`` grows ``SubscriptionDataConfig.SumOfDividends`` before the day's bar is scaled)."""
    mode = sub.normalization.key
    if mode == "raw" or not len(values):
        return values
    factor = factors.scale_for(begin.to_numpy(), mode)
    values = values.copy()
    prices = [0, 1, 2, 3] if sub.data_type == "trade" else [0, 1, 2, 3, 5, 6, 7, 8]
    values[:, prices] *= factor[:, None]
    if sub.data_type == "trade":
        values[:, 4] /= factor
    if mode == "total_return":
        paid = [(np.datetime64(t, "ns"), e.distribution) for t, e in events if isinstance(e, Dividend)]
        if paid:
            when = np.array([p[0] for p in paid])
            cumulative = np.cumsum([p[1] for p in paid])
            pos = np.searchsorted(when, begin.normalize().to_numpy(), side="right") - 1
            values[:, prices] += np.where(pos >= 0, cumulative[np.maximum(pos, 0)], 0.0)[:, None]
    return values


@lru_cache(maxsize=16)
def _close_only(data_folder: str) -> frozenset[str]:
    from qclocal.data.importer import close_only_tickers

    try:
        return frozenset(t.upper() for t in close_only_tickers(data_folder))
    except (FileNotFoundError, KeyError, ValueError):
        return frozenset()


def _fill_forward(sub: Subscription, begin: pd.DatetimeIndex, finish: pd.DatetimeIndex, values: np.ndarray,
                  end: datetime):
    expected = _expected_end_times(sub, begin[0].date(), end.date())
    real_end = finish.to_numpy()
    expected = expected[expected > real_end[0]]
    missing = expected[~np.isin(expected, real_end)]
    if len(missing) == 0:
        return begin, finish, values, np.zeros(len(values), dtype=bool)
    src = np.searchsorted(real_end, missing, side="right") - 1
    period = (finish - begin).to_numpy()
    all_end = np.concatenate([real_end, missing])
    all_begin = np.concatenate([begin.to_numpy(), missing - period[src]])
    if sub.resolution == Resolution.DAILY:
        table = sub.hours.session_table(begin[0].date(), end.date())
        by_close = pd.Series(table["open"].to_numpy(), index=table["close"].to_numpy())
        all_begin[len(real_end):] = by_close.reindex(missing).fillna(pd.Series(missing, index=missing)).to_numpy()
    all_values = np.concatenate([values, values[src]])
    flags = np.concatenate([np.zeros(len(real_end), bool), np.ones(len(missing), bool)])
    order = np.argsort(all_end, kind="stable")
    return pd.DatetimeIndex(all_begin[order]), pd.DatetimeIndex(all_end[order]), all_values[order], flags[order]


def _custom_stream(sub: Subscription, data_folder: Path, start: datetime, end: datetime) -> Stream:
    reader = getattr(sub.custom_type, "qclocal_read", None)
    if reader is None:
        raise NotImplementedError(
            f"add_data({getattr(sub.custom_type, '__name__', sub.custom_type)}): qclocal reads only the custom "
            f"data types it ships (Fred); this type has no qclocal reader")
    series: pd.Series = reader(data_folder, sub.symbol.value)
    times = pd.DatetimeIndex(series.index)
    end_ns = times.asi8
    window = (end_ns > pd.Timestamp(start).value) & (end_ns <= pd.Timestamp(end).value)
    vals = series.to_numpy(dtype=float)[window].reshape(-1, 1)
    return Stream(sub, end_ns[window], times.to_numpy()[window], vals, np.zeros(window.sum(), bool))
