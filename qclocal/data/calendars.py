"""Exchange sessions from the `exchange-calendars` library: the market-hours fallback for a data folder that
lacks LEAN's `market-hours/market-hours-database.json` (which `qclocal.data.market_hours` prefers).

Only regular hours are covered; holidays and early closes (13:00 on the day after Thanksgiving, Christmas Eve,
and so on) come from the library's rules for the exchange.
"""

from __future__ import annotations

import datetime as dt
import threading
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from qclocal.cache import cache_folder, write_atomically

# Calendars are built once per exchange over a wide span and sliced. Building one (and importing
# exchange-calendars) costs about a second of start-up, so the table is also kept on disk, per library version.
_SPAN_START = pd.Timestamp("1970-01-01")
_SPAN_END = pd.Timestamp("2040-12-31")
_cache: dict[str, tuple[pd.Timestamp, pd.Timestamp, pd.DataFrame]] = {}
_lock = threading.Lock()


def _table_file(exchange: str, lo: pd.Timestamp, hi: pd.Timestamp) -> Path:
    return cache_folder() / (f"sessions-{exchange}-{lo:%Y%m%d}-{hi:%Y%m%d}-"
                             f"exchange-calendars-{version('exchange-calendars')}.npz")


def _read_table(path: Path) -> pd.DataFrame | None:
    try:
        with np.load(path) as stored:
            frame = pd.DataFrame({"open": stored["open"], "close": stored["close"]},
                                 index=pd.DatetimeIndex(stored["session"], name="session"))
            frame.attrs["tz"] = str(stored["tz"])
            return frame
    except (OSError, KeyError, ValueError):
        return None   # absent or unreadable: build it again


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda fh: np.savez(fh, session=frame.index.to_numpy(), open=frame["open"].to_numpy(),
                                               close=frame["close"].to_numpy(), tz=np.array(frame.attrs["tz"])))


def _build(exchange: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    import exchange_calendars as xcals

    try:
        cal = xcals.get_calendar(exchange, start=lo, end=hi)
    except xcals.errors.InvalidCalendarName:
        raise ValueError(
            f"unknown exchange calendar {exchange!r}; use an exchange-calendars name such as "
            "XNYS (NYSE) or XNAS (Nasdaq)"
        ) from None
    tz = cal.tz
    frame = pd.DataFrame(
        {
            "open": cal.schedule["open"].dt.tz_convert(tz).dt.tz_localize(None),
            "close": cal.schedule["close"].dt.tz_convert(tz).dt.tz_localize(None),
        }
    )
    frame.index = pd.DatetimeIndex(frame.index, name="session")
    frame.attrs["tz"] = str(tz)
    return frame


def _schedule(exchange: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    with _lock:
        cached = _cache.get(exchange)
        if cached is not None and cached[0] <= start and end <= cached[1]:
            return cached[2]
        lo = min(start, _SPAN_START if cached is None else cached[0])
        hi = max(end, _SPAN_END if cached is None else cached[1])
        path = _table_file(exchange, lo, hi)
        frame = _read_table(path)
        if frame is None:
            frame = _build(exchange, lo, hi)
            _write_table(path, frame)
        _cache[exchange] = (lo, hi, frame)
        return frame


def sessions(
    start: dt.date | pd.Timestamp | str, end: dt.date | pd.Timestamp | str, exchange: str = "XNYS"
) -> pd.DataFrame:
    """Sessions from `start` to `end` inclusive, indexed by session date (naive), with naive exchange-local
    `open` and `close` datetimes (early closes included). `.attrs["tz"]` names the exchange time zone."""
    lo = pd.Timestamp(start).normalize()
    hi = pd.Timestamp(end).normalize()
    if hi < lo:
        raise ValueError(f"sessions: end {hi:%Y-%m-%d} is before start {lo:%Y-%m-%d}")
    frame = _schedule(exchange, lo, hi)
    out = frame.loc[lo:hi].copy()
    out.attrs["tz"] = frame.attrs["tz"]
    return out


def session_dates(
    start: dt.date | pd.Timestamp | str, end: dt.date | pd.Timestamp | str, exchange: str = "XNYS"
) -> pd.DatetimeIndex:
    lo = pd.Timestamp(start).normalize()
    hi = pd.Timestamp(end).normalize()
    index = pd.DatetimeIndex(_schedule(exchange, min(lo, hi), max(lo, hi)).index)
    return index[index.searchsorted(lo, "left") : index.searchsorted(hi, "right")]


def is_early_close(frame: pd.DataFrame) -> pd.Series:
    """True for sessions that close before the exchange's usual closing time."""
    close_time = frame["close"] - frame.index
    return close_time < close_time.mode().iloc[0]
