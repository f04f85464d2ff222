"""Exchange hours: LEAN's market-hours database when the data folder has it, else an exchange calendar.

All times are naive local times of the exchange. ``ExchangeHours`` answers what the engine asks:
is a date a trading day, when does its regular (or extended) session open and close.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _parse_time(text: str) -> timedelta:
    days = 0
    if "." in text.split(":")[0]:  # "1.00:00:00" means 24:00
        d, text = text.split(".", 1)
        days = int(d)
    h, m, s = (int(float(x)) for x in text.split(":"))
    return timedelta(days=days, hours=h, minutes=m, seconds=s)


def _parse_date(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


class ExchangeHours:
    """Weekly segments (state, start, end) per weekday, minus holidays, with early closes and late opens."""

    def __init__(self, time_zone: str, weekly: dict[int, list[tuple[str, timedelta, timedelta]]],
                 holidays: set[date], early_closes: dict[date, timedelta], late_opens: dict[date, timedelta]):
        self.time_zone = time_zone
        self._weekly = weekly
        self.holidays = holidays
        self.early_closes = early_closes
        self.late_opens = late_opens
        self._tables: dict[tuple[date, date], pd.DataFrame] = {}
        self._days: dict[tuple[int, int], list[date]] = {}
        self._segments: dict[tuple[date, bool], tuple[tuple[datetime, datetime], ...]] = {}

    def is_trading_day(self, day: date) -> bool:
        return day not in self.holidays and any(s == "market" for s, _, _ in self._weekly.get(day.weekday(), []))

    def segments(self, day: date, extended: bool = False) -> tuple[tuple[datetime, datetime], ...]:
        """Open intervals of ``day`` (regular only, or including pre/post market); kept per day, as orders and
        fills ask for the same days again and again."""
        key = (day, extended)
        found = self._segments.get(key)
        if found is None:
            found = self._segments[key] = tuple(self._day_segments(day, extended))
        return found

    def _day_segments(self, day: date, extended: bool) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        base = datetime.combine(day, time())
        out = []
        close = self.early_closes.get(day)
        late = self.late_opens.get(day)
        for state, start, end in self._weekly.get(day.weekday(), []):
            if state != "market" and not extended:
                continue
            if close is not None:
                if start >= close:
                    continue
                end = min(end, close)
            if late is not None and state == "market":
                start = max(start, late)
            out.append((base + start, base + end))
        return out

    def session(self, day: date) -> tuple[datetime, datetime] | None:
        """Regular market open and close of ``day``, or None when closed."""
        segs = self.segments(day)
        return (segs[0][0], segs[-1][1]) if segs else None

    def session_table(self, start: date, end: date) -> pd.DataFrame:
        """Regular sessions of [start, end] indexed by date: columns ``open`` and ``close`` (cached by whole
        calendar years, so the daily moving windows of history() requests hit the cache)."""
        key = (date(start.year, 1, 1), date(end.year, 12, 31))
        if key not in self._tables:
            days, opens, closes = [], [], []
            for day in self.trading_days(*key):
                sess = self.session(day)
                if sess:
                    days.append(day)
                    opens.append(sess[0])
                    closes.append(sess[1])
            self._tables[key] = pd.DataFrame({"open": pd.DatetimeIndex(opens), "close": pd.DatetimeIndex(closes)},
                                             index=pd.DatetimeIndex(days))
        return self._tables[key].loc[pd.Timestamp(start):pd.Timestamp(end)]

    def is_open(self, moment: datetime, extended: bool = False) -> bool:
        """LEAN's ``DateTimeIsOpen``: inside a segment, start included, end excluded."""
        return any(a <= moment < b for a, b in self.segments(moment.date(), extended))

    def trading_days(self, start: date, end: date) -> list[date]:
        """Trading days of [start, end] (a new list; the days of whole calendar years are computed once)."""
        key = (start.year, end.year)
        days = self._days.get(key)
        if days is None:
            days, d = [], date(start.year, 1, 1)
            while d.year <= end.year:
                if self.is_trading_day(d):
                    days.append(d)
                d += timedelta(days=1)
            self._days[key] = days
        return days[bisect_left(days, start):bisect_right(days, end)]

    def next_market_close(self, moment: datetime) -> datetime:
        d = moment.date()
        for _ in range(30):
            sess = self.session(d)
            if sess and sess[1] > moment:
                return sess[1]
            d += timedelta(days=1)
        raise ValueError(f"no market close within 30 days after {moment}")

    def next_market_open(self, moment: datetime) -> datetime:
        d = moment.date()
        for _ in range(30):
            sess = self.session(d)
            if sess and sess[0] >= moment:
                return sess[0]
            d += timedelta(days=1)
        raise ValueError(f"no market open within 30 days after {moment}")


def _from_lean_entry(entry: dict) -> ExchangeHours:
    weekly = {i: [(s["state"], _parse_time(s["start"]), _parse_time(s["end"])) for s in entry.get(name, [])]
              for i, name in enumerate(_DAYS)}
    return ExchangeHours(
        entry["exchangeTimeZone"], weekly,
        {_parse_date(h) for h in entry.get("holidays", [])},
        {_parse_date(d): _parse_time(t) for d, t in entry.get("earlyCloses", {}).items()},
        {_parse_date(d): _parse_time(t) for d, t in entry.get("lateOpens", {}).items()},
    )


@lru_cache(maxsize=8)
def _lean_database(path: str) -> dict:
    return json.loads(Path(path).read_text())["entries"]


# Used when the data folder has no LEAN database: NYSE sessions from qclocal.data.calendars (exchange-calendars),
# 09:30-16:00 with its early closes; equities also get LEAN's pre/post-market segments (04:00-20:00).
_EXTENDED = (timedelta(hours=4), timedelta(hours=20))


@lru_cache(maxsize=4)
def _from_calendar(security_type: str) -> ExchangeHours:
    from qclocal.data.calendars import sessions

    table = sessions("1990-01-01", "2040-12-31")
    regular = ("market", timedelta(hours=9, minutes=30), timedelta(hours=16))
    segments = [("premarket", _EXTENDED[0], regular[1]), regular, ("postmarket", regular[2], _EXTENDED[1])] \
        if security_type == "equity" else [regular]
    weekly = {i: segments for i in range(5)}
    open_days = table.index.to_numpy().astype("datetime64[D]")
    days = np.arange(open_days[0], open_days[-1] + np.timedelta64(1, "D"))
    weekdays = days[(days.view("int64") + 3) % 7 < 5]   # 1970-01-01 was a Thursday
    holidays = set(np.setdiff1d(weekdays, open_days).tolist())   # datetime64[D].tolist() gives dates
    close_after_midnight = table["close"].to_numpy() - open_days.astype("datetime64[ns]")
    early_rows = np.flatnonzero(close_after_midnight != np.timedelta64(16, "h"))
    early = {table.index[i].date(): table["close"].iloc[i] - table.index[i] for i in early_rows}
    return ExchangeHours(table.attrs["tz"], weekly, holidays, early, {})


def exchange_hours(data_folder: str | Path | None, security_type: str, market: str = "usa",
                   ticker: str | None = None) -> ExchangeHours:
    """Hours for a security: the LEAN database entry (specific ticker first, then wildcard), else a calendar."""
    if data_folder is not None:
        db = Path(data_folder) / "market-hours" / "market-hours-database.json"
        if db.is_file():
            entries = _lean_database(str(db.resolve()))
            kind = security_type.capitalize()
            for key in ([f"{kind}-{market}-{ticker.upper()}"] if ticker else []) + [f"{kind}-{market}-[*]"]:
                if key in entries:
                    return _entry_hours(str(db.resolve()), key)
    return _from_calendar(security_type)


@lru_cache(maxsize=256)
def _entry_hours(db: str, key: str) -> ExchangeHours:
    return _from_lean_entry(_lean_database(db)[key])
