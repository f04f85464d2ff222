"""Scheduled events: ``schedule.on(date_rule, time_rule, callback)`` with LEAN's date and time rules.

A date rule yields dates; a time rule turns a date into zero or more moments (algorithm time). Events fire
in time order; events at the same moment keep the order in which they were created.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from qclocal.data.market_hours import ExchangeHours
from qclocal.engine.lean_api import lean_type


@lean_type("QuantConnect.Scheduling.IDateRule")
class DateRule:
    def __init__(self, name: str, dates: Callable[[date, date], Iterator[date]]):
        self.name = name
        self.dates = dates


@lean_type("QuantConnect.Scheduling.ITimeRule")
class TimeRule:
    def __init__(self, name: str, times: Callable[[date], list[datetime]]):
        self.name = name
        self.times = times


def _symbol(symbol_or_security: Any) -> Any:
    """Rules take a Symbol, a ticker or a Security (LEAN converts a Security to its Symbol implicitly)."""
    return getattr(symbol_or_security, "symbol", symbol_or_security)


def _each_day(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def _only(day: date) -> Callable[[date, date], Iterator[date]]:
    return lambda s, e: iter([day])


@lean_type("QuantConnect.Scheduling.DateRules")
class DateRules:
    def __init__(self, algorithm: Any):
        self._algo = algorithm

    def _hours(self, symbol: Any) -> ExchangeHours:
        return self._algo.securities[symbol].exchange.hours if symbol is not None else self._algo.default_hours

    def every_day(self, symbol: Any = None) -> DateRule:
        if symbol is None:
            return DateRule("EveryDay", _each_day)
        symbol = _symbol(symbol)
        hours = self._hours(symbol)
        return DateRule(f"EveryDay: {symbol}", lambda s, e: (d for d in _each_day(s, e) if hours.is_trading_day(d)))

    @property
    def today(self) -> DateRule:
        """The algorithm's current date when the rule is made (Common/Scheduling/DateRules.cs ``Today``: a
        property read from the securities' clock, so in ``initialize`` it is the start date)."""
        return DateRule("TodayOnly", _only(self._algo.time.date()))

    @property
    def tomorrow(self) -> DateRule:
        return DateRule("TomorrowOnly", _only(self._algo.time.date() + timedelta(days=1)))

    def on(self, *dates: Any) -> DateRule:
        wanted = sorted({d.date() if isinstance(d, datetime) else (d if isinstance(d, date) else date(*d))
                         for d in (dates if not (len(dates) == 3 and all(isinstance(x, int) for x in dates))
                                   else [date(*dates)])})
        return DateRule("On", lambda s, e: (d for d in wanted if s <= d <= e))

    def every(self, *days_of_week: int) -> DateRule:
        wanted = {int(d) for d in days_of_week}
        # LEAN's DayOfWeek: Sunday=0 ... Saturday=6
        return DateRule("Every", lambda s, e: (d for d in _each_day(s, e) if (d.weekday() + 1) % 7 in wanted))

    def _period_start(self, symbol: Any, days_offset: int, key: Callable[[date], Any]) -> DateRule:
        hours = self._hours(symbol) if symbol is not None else None

        def dates(s: date, e: date) -> Iterator[date]:
            # the first tradable day of each period (plus offset), counting from a little before s
            by_period: dict[Any, list[date]] = {}
            for d in _each_day(s - timedelta(days=40), e + timedelta(days=40)):
                if hours is None or hours.is_trading_day(d):
                    by_period.setdefault(key(d), []).append(d)
            for days in by_period.values():
                if days_offset < len(days) and s <= days[days_offset] <= e:
                    yield days[days_offset]
        return DateRule("PeriodStart", dates)

    def month_start(self, symbol: Any = None, days_offset: int = 0) -> DateRule:
        if isinstance(symbol, int):
            symbol, days_offset = None, symbol
        return self._period_start(symbol, days_offset, lambda d: (d.year, d.month))

    def week_start(self, symbol: Any = None, days_offset: int = 0) -> DateRule:
        if isinstance(symbol, int):
            symbol, days_offset = None, symbol
        return self._period_start(symbol, days_offset, lambda d: d.isocalendar()[:2])

    def year_start(self, symbol: Any = None, days_offset: int = 0) -> DateRule:
        if isinstance(symbol, int):
            symbol, days_offset = None, symbol
        return self._period_start(symbol, days_offset, lambda d: d.year)


@lean_type("QuantConnect.Scheduling.TimeRules")
class TimeRules:
    def __init__(self, algorithm: Any):
        self._algo = algorithm

    def at(self, hour: int | time, minute: int = 0, second: int = 0, tz: Any = None) -> TimeRule:
        t = hour if isinstance(hour, time) else time(hour, minute, second)
        return TimeRule(f"At {t}", lambda d: [datetime.combine(d, t)])

    @property
    def midnight(self) -> TimeRule:
        return TimeRule("Midnight", lambda d: [datetime.combine(d, time())])

    @property
    def noon(self) -> TimeRule:
        return TimeRule("Noon", lambda d: [datetime.combine(d, time(12))])

    def after_market_open(self, symbol: Any, minutes_after_open: float = 0, extended_market_open: bool = False
                          ) -> TimeRule:
        symbol = _symbol(symbol)
        hours = self._algo.securities[symbol].exchange.hours

        def times(d: date) -> list[datetime]:
            segs = hours.segments(d, extended_market_open)
            return [self._algo.to_algorithm_time(segs[0][0] + timedelta(minutes=minutes_after_open),
                                                 hours.time_zone)] if segs else []
        return TimeRule(f"AfterMarketOpen: {symbol} {minutes_after_open} min", times)

    def before_market_close(self, symbol: Any, minutes_before_close: float = 0, extended_market_close: bool = False
                            ) -> TimeRule:
        symbol = _symbol(symbol)
        hours = self._algo.securities[symbol].exchange.hours

        def times(d: date) -> list[datetime]:
            segs = hours.segments(d, extended_market_close)
            return [self._algo.to_algorithm_time(segs[-1][1] - timedelta(minutes=minutes_before_close),
                                                 hours.time_zone)] if segs else []
        return TimeRule(f"BeforeMarketClose: {symbol} {minutes_before_close} min", times)

    def every(self, interval: timedelta) -> TimeRule:
        def times(d: date) -> list[datetime]:
            out, t = [], datetime.combine(d, time())
            while t.date() == d:
                out.append(t)
                t += interval
            return out
        return TimeRule(f"Every {interval}", times)


@lean_type("QuantConnect.Scheduling.ScheduledEvent")
class ScheduledEvent:
    def __init__(self, name: str, moments: Iterator[datetime], callback: Callable[[], Any]):
        self.name = name
        self._moments = moments
        self.callback = callback
        self.enabled = True

    def next_moment(self) -> datetime | None:
        return next(self._moments, None)


@lean_type("QuantConnect.Scheduling.ScheduleManager")
class Scheduler:
    """Holds every event and fires those due. ``schedule`` on the algorithm is this object."""

    def __init__(self) -> None:
        self._start: datetime | None = None
        self._end: datetime | None = None
        self._heap: list[tuple[datetime, int, ScheduledEvent]] = []
        self._seq = itertools.count()
        self._pending: list[tuple[DateRule, TimeRule, Callable[[], Any], str | None]] = []

    def start(self, start: datetime, end: datetime) -> None:
        """Called by the engine after ``initialize``: events created there start producing moments."""
        self._start, self._end = start, end
        for args in self._pending:
            self.on(*args)
        self._pending.clear()

    def add(self, event: ScheduledEvent) -> ScheduledEvent:
        moment = event.next_moment()
        if moment is not None:
            heapq.heappush(self._heap, (moment, next(self._seq), event))
        return event

    def on(self, date_rule: DateRule, time_rule: TimeRule, callback: Callable[[], Any], name: str | None = None
           ) -> ScheduledEvent | None:
        if self._start is None or self._end is None:
            self._pending.append((date_rule, time_rule, callback, name))
            return None
        start, end = self._start, self._end

        def moments() -> Iterator[datetime]:
            for d in date_rule.dates(start.date() - timedelta(days=1), end.date()):
                for m in time_rule.times(d):
                    if start <= m <= end:
                        yield m
        return self.add(ScheduledEvent(name or f"{date_rule.name}: {time_rule.name}", moments(), callback))

    def next_time(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, until: datetime, inclusive: bool) -> tuple[datetime, ScheduledEvent] | None:
        if not self._heap:
            return None
        moment = self._heap[0][0]
        if moment < until or (inclusive and moment == until):
            moment, _, event = heapq.heappop(self._heap)
            self.add(event)
            return moment, event
        return None

    def remove(self, event: ScheduledEvent) -> None:
        event.enabled = False
