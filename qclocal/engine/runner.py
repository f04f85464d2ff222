"""The backtest loop: LEAN's order of work in each time step, driven by the data streams.

Per time step t (``../shared/lean-reference/semantics.md`` §1):
1. scheduled events due strictly before t fire, each at its own time (the engine's midnight Daily Sampling too);
2. the clock moves to t and the securities' caches take the new bars;
3. pending orders are checked for fills; 4. scheduled events due exactly at t fire;
5. universe selection and ``on_securities_changed``; 6. indicators update;
7. ``on_data`` runs when the slice has algorithm data; 8. market orders fill; 9. equity is sampled.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import time as wallclock
import traceback
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qclocal.data import lean_format
from qclocal.data.market_hours import exchange_hours
from qclocal.engine import corporate
from qclocal.engine.algorithm import AlgorithmQuit, QCAlgorithm
from qclocal.engine.data_types import (
    Bar,
    BaseData,
    CloseOnlyTradeBar,
    DataDictionary,
    QuoteBar,
    Slice,
    TradeBar,
)
from qclocal.engine.enums import DataNormalizationMode, Resolution, SecurityType
from qclocal.engine.feed import EventStream, Stream, Subscription, load_stream
from qclocal.engine.lean_api import lean_type
from qclocal.engine.margin import MarginCallScan
from qclocal.engine.portfolio_target import CoarseFundamental, SecurityChanges
from qclocal.engine.results import BacktestResult, Sampler, build_statistics, chart
from qclocal.engine.scheduling import ScheduledEvent
from qclocal.engine.symbols import Symbol
from qclocal.indicators import IndicatorBase
from qclocal.object_store import ObjectStore

NS = 1_000_000_000


def _dt(ns: int) -> datetime:
    return pd.Timestamp(ns).to_pydatetime()


class _DailyConsolidator:
    """Builds one daily bar per session from intraday bars, for daily indicators on intraday data."""

    def __init__(self, indicator: Any, selector: Callable | None):
        self.indicator, self.selector = indicator, selector
        self.bar: TradeBar | None = None

    def update(self, bar: TradeBar, session_close: datetime | None) -> None:
        if self.bar is None or self.bar.time.date() != bar.time.date():
            self.bar = TradeBar(bar.time, bar.symbol, bar.open, bar.high, bar.low, bar.close, bar.volume,
                                end_time=bar.end_time)
        else:
            b = self.bar
            b.high, b.low, b.close, b.volume = max(b.high, bar.high), min(b.low, bar.low), bar.close, \
                b.volume + bar.volume
            b.end_time = bar.end_time
        if session_close is not None and bar.end_time >= session_close:
            self.indicator.update(self.selector(self.bar) if self.selector else self.bar)
            self.bar = None


class _SliceEvents:
    """The corporate events of one time step (keyed by symbol, as LEAN's Splits/Dividends/... collections) and
    the securities their delistings removed."""

    def __init__(self) -> None:
        self.splits, self.dividends = DataDictionary(), DataDictionary()
        self.delistings, self.symbol_changed_events = DataDictionary(), DataDictionary()
        self.removed: list[Any] = []


def _normalization(algo: QCAlgorithm, symbol: Symbol) -> Any:
    return next(s.normalization for s in algo.securities[symbol].subscriptions if not s.is_internal)


def corporate_apply_dividend(algo: QCAlgorithm, dividend: corporate.Dividend) -> None:
    algo.portfolio.apply_dividend(dividend, _normalization(algo, dividend.symbol))


def corporate_apply_split(algo: QCAlgorithm, split: corporate.Split) -> None:
    """``AlgorithmManager.HandleSplits``: the split itself (not its warning) reaches holdings, and in RAW mode the
    open orders (``BrokerageModel.ApplySplit``); the other modes' prices and orders are split-adjusted already."""
    if split.type != corporate.SplitType.SPLIT_OCCURRED:
        return
    security = algo.securities[split.symbol]
    mode = _normalization(algo, split.symbol)
    algo.portfolio.apply_split(split, security, mode)
    if mode == DataNormalizationMode.RAW:
        algo.transactions.apply_split(split.symbol, split.split_factor)


@contextlib.contextmanager
def _bulk_load(freeze: bool) -> Iterator[None]:
    """Loading streams allocates millions of objects that live for the whole run. The cyclic collector is paused
    meanwhile (its full collections would scan the growing pile again and again), and with ``freeze`` they are
    frozen out of its scans afterwards (``run_algorithm`` unfreezes at the end): 8% of the SMA benchmark."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if freeze:
            gc.freeze()


class Engine:
    def __init__(self, algorithm: QCAlgorithm, data_folder: Path, progress: Callable[[float], None] | None = None):
        self.algo = algorithm
        self.data_folder = data_folder
        self.progress = progress
        self.heap: list[tuple[int, int]] = []
        self.streams: list[Stream | EventStream] = []
        self.data_points = 0
        self._consolidators: dict[int, _DailyConsolidator] = {}
        self.benchmark_price = 0.0
        self.benchmark_fn: Callable | None = None
        self._universe_members: dict[Symbol, datetime] = {}  # member -> time it was added
        self._pending_removals: list[Symbol] = []  # deselected members kept while held or with open orders
        self._previous_selection: set[Symbol] | None = None
        self._coarse_symbols: dict[tuple[str, str], Symbol] = {}  # (ticker, SID) -> Symbol, for coarse rows
        self._unsubscribed: set[Symbol] = set()  # left the universe: their data no longer reaches the algorithm
        self._next_model_scan = datetime.min
        self._started = False   # streams added from now on are added during a time step
        self._margin_calls = MarginCallScan()
        self._routes: dict[int, list[Callable[[Any], Any]]] = {}   # stream index -> its indicator updates
        self._routes_version = -1
        self.freezes_gc = gc.get_freeze_count() == 0   # not when the host process froze objects itself

    # -- setup ----------------------------------------------------------------------------------------
    def _feed_start(self) -> datetime:
        algo = self.algo
        start = algo.start_date
        warm = algo._warmup
        if isinstance(warm, timedelta):
            return start - warm
        if isinstance(warm, int) and warm > 0:
            hours = exchange_hours(self.data_folder, "equity")
            res = algo._warmup_resolution or algo.settings.warmup_resolution or min((s.resolution for s in algo._subscriptions), default=Resolution.DAILY)
            if res == Resolution.DAILY:
                days, d = 0, start.date()
                while days < warm:
                    d -= timedelta(days=1)
                    days += hours.is_trading_day(d)
                return datetime.combine(d, time())
            per_day = {Resolution.HOUR: 7, Resolution.MINUTE: 390}[res]
            return start - timedelta(days=int(warm / per_day * 7 / 5) + 3)
        return start

    def _add_streams(self, subs: list[Subscription], start: datetime) -> None:
        with _bulk_load(self.freezes_gc):
            self._load_streams(subs, start)

    def _load_streams(self, subs: list[Subscription], start: datetime) -> None:
        for sub in subs:
            try:
                stream = load_stream(sub, self.data_folder, start, self.algo.end_date)
            except lean_format.MissingDataError as exc:
                if not sub.optional:
                    raise
                self.algo.debug(f"{exc}")
                continue
            self._push(stream)
            # a subscription added during a time step gives its events from the next step on (the current one is
            # under way); one added before the run gives those of its start too
            events = [(t, e) for t, e in stream.events or [] if t > start or not self._started]
            if events:
                times = pd.DatetimeIndex([t for t, _ in events])
                self._push(EventStream(sub, times.asi8, [e for _, e in events]))

    def _push(self, stream: Stream | EventStream) -> None:
        idx = len(self.streams)
        self.streams.append(stream)
        if len(stream):
            heapq.heappush(self.heap, (int(stream.end_ns[0]), idx))

    def _setup_benchmark(self, feed_start: datetime) -> None:
        bench = self.algo._benchmark
        if callable(bench) and not isinstance(bench, str | Symbol):
            self.benchmark_fn = bench
            return
        ticker = str(bench) if bench is not None else "SPY"
        hours = exchange_hours(self.data_folder, "equity", "usa", ticker)
        resolution = Resolution.HOUR if lean_format.bar_file(self.data_folder, "equity", ticker, "hour").is_file() \
            else Resolution.DAILY
        if not lean_format.bar_file(self.data_folder, "equity", ticker, resolution.folder).is_file():
            self.algo.debug(f"Benchmark {ticker}: no data in {self.data_folder}; benchmark statistics are zero. "
                            f"Call set_benchmark(...) with a ticker you have data for.")
            self.benchmark_fn = lambda t: 0.0
            return
        day = feed_start.date() - timedelta(days=1)
        while not hours.is_trading_day(day):
            day -= timedelta(days=1)
        sid, map_file = corporate.resolve_ticker(self.data_folder, ticker)
        sub = Subscription(Symbol(ticker, sid=sid), "equity", resolution, hours, fill_forward=False,
                           is_internal=True, map_file=map_file)
        self._add_streams([sub], datetime.combine(day, time()))

    # -- run ------------------------------------------------------------------------------------------
    def run(self) -> Sampler:
        algo = self.algo
        algo._initializing = True
        algo.initialize()
        algo._initializing = False
        if algo.end_date < algo.start_date:  # LEAN's QCAlgorithm.PostInitialize
            raise ValueError(f"Please select an algorithm end date greater than start date: the start is "
                             f"{algo.start_date:%Y-%m-%d}, the end {algo.end_date:%Y-%m-%d}")
        for sec in algo.securities.values():
            algo._check_data_exists(sec)
        # Securities added in initialize belong to a user-defined universe per security type and market; each
        # makes one selection when the feed starts, and LEAN's DataPoints count that universe data point.
        self.data_points += len({(sec.type, sec.symbol.market) for sec in algo.securities.values()})
        feed_start = self._feed_start()
        algo.schedule.start(feed_start, algo.end_date)
        sampler = Sampler(algo.start_date, algo.end_date)
        self.sampler = sampler
        algo.schedule.add(ScheduledEvent("Daily Sampling", self._midnights(algo.start_date, algo.end_date),
                                         self._daily_sample))
        self._add_streams(algo._new_subscriptions, feed_start)
        algo._new_subscriptions.clear()
        self._setup_benchmark(feed_start)
        self._started = True
        self._universe_times = self._coarse_times(feed_start) if algo._universes else []
        sampler.reset_start(algo.portfolio.total_portfolio_value, algo.portfolio.total_sale_volume)
        algo.is_warming_up = feed_start < algo.start_date
        if not algo.is_warming_up:
            algo.on_warmup_finished()
        if algo._quit:
            return sampler
        last_time = None
        total = (algo.end_date - feed_start).total_seconds()
        try:
            while not algo._quit:
                t_ns = self._next_time()
                if t_ns is None:
                    break
                t = _dt(t_ns)
                if t > algo.end_date and not self._is_universe_time(t):
                    break
                if t < feed_start:  # benchmark bars before the start only seed its price
                    self._consume_before_start(t_ns)
                    continue
                self._step(t, t_ns)
                last_time = t
                if self.progress and total > 0:
                    self.progress((t - feed_start).total_seconds() / total)
        except AlgorithmQuit:
            pass
        if last_time is not None:
            algo._clock.time = last_time
            sampler.daily(last_time, algo.portfolio.total_portfolio_value, self._benchmark_value(last_time),
                          algo.portfolio.total_sale_volume)
        return sampler

    def _midnights(self, start: datetime, end: datetime):
        d = datetime.combine(start.date(), time())
        while d <= end:
            yield d
            d += timedelta(days=1)

    def _coarse_times(self, start: datetime) -> list[datetime]:
        """The file of each date up to the end date, delivered at midnight after it: the end date's file arrives
        after the end, as one last time step that selects nothing (LEAN's ``ApplyUniverseSelection`` ignores
        data after the end) but still moves the clock, so the final sample is taken then."""
        dates = lean_format.coarse_dates(self.data_folder)
        times = [datetime.combine(d + timedelta(days=1), time()) for d in dates if d <= self.algo.end_date.date()]
        return [t for t in times if t >= start]

    def _is_universe_time(self, t: datetime) -> bool:
        return bool(self._universe_times) and self._universe_times[0] == t

    def _next_time(self) -> int | None:
        candidates = []
        if self.heap:
            candidates.append(self.heap[0][0])
        if self._universe_times:
            candidates.append(pd.Timestamp(self._universe_times[0]).value)
        return min(candidates) if candidates else None

    def _daily_sample(self) -> None:
        algo = self.algo
        if algo.is_warming_up:
            return
        self.sampler.daily(algo.time, algo.portfolio.total_portfolio_value, self._benchmark_value(algo.time),
                           algo.portfolio.total_sale_volume)

    def _apply_margin_interest(self, t: datetime) -> None:
        """LEAN scans each security's margin interest model at most once an hour, after prices update."""
        if t < self._next_model_scan:
            return
        for sec in self.algo.securities.values():
            model = sec.margin_interest_rate_model
            if model is not None:
                model.apply_margin_interest_rate(MarginInterestRateParameters(sec, self.algo.utc_time))
        self._next_model_scan = t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    def _benchmark_value(self, t: datetime) -> float:
        if self.benchmark_fn is not None:
            return float(self.benchmark_fn(t))
        return self.benchmark_price

    def _fire_events(self, t: datetime, inclusive: bool) -> None:
        algo = self.algo
        while True:
            due = algo.schedule.pop_due(t, inclusive)
            if due is None:
                return
            moment, event = due
            if not event.enabled:
                continue
            algo._clock.time = moment
            event.callback()
            if algo._quit:
                raise AlgorithmQuit()

    def _step(self, t: datetime, t_ns: int) -> None:
        algo = self.algo
        if algo.is_warming_up and t >= algo.start_date:
            self._end_warmup(t)
        # 1. past scheduled events
        self._fire_events(t, inclusive=False)
        algo._clock.time = t
        # 2. gather data
        bars, quotes, custom = DataDictionary(), DataDictionary(), DataDictionary()
        events = _SliceEvents()
        updates: list[tuple[int, Subscription, Any]] = []
        user_data = False
        heap, streams = self.heap, self.streams
        while heap and heap[0][0] == t_ns:
            _, idx = heapq.heappop(heap)
            stream = streams[idx]
            pos = stream.pos
            point = stream.items[pos] if type(stream) is EventStream else self._make_point(stream, pos)
            stream.pos = pos = pos + 1
            if pos < len(stream.end_ints):
                heapq.heappush(heap, (stream.end_ints[pos], idx))
            sub = stream.sub
            if type(stream) is EventStream:
                user_data |= self._take_event(sub, point, events)
                continue
            if sub.is_internal:
                self.data_points += 1
                self.benchmark_price = point.close
                continue
            security = dict.get(algo.securities, sub.symbol)  # a Symbol: no ticker resolution needed
            if security is None or (self._unsubscribed and sub.symbol in self._unsubscribed):
                continue
            self.data_points += 1   # TimeSliceFactory counts the data of live subscriptions only
            user_data = True
            updates.append((idx, sub, point))
            if sub.data_type == "trade":
                security.cache.update_trade(point)
                bars[sub.symbol] = point
            elif sub.data_type == "quote":
                security.cache.update_quote(point)
                quotes[sub.symbol] = point
            else:
                security.cache.update_custom(point)
                custom[sub.symbol] = point
        for change in events.symbol_changed_events.values():  # AlgorithmManager: before the fills
            for ticket in algo.transactions.get_open_order_tickets(change.symbol):
                ticket.cancel("Open order cancelled on symbol changed event")
        self._apply_margin_interest(t)
        # 3. fills for orders placed earlier, then the delistings (BacktestingTransactionHandler)
        algo.transactions.process()
        self._process_delistings(events.delistings)
        # 4. events due now, then margin calls
        self._fire_events(t, inclusive=True)
        self._margin_calls(algo)
        # 5. universe selection, then dividends and splits reach cash and holdings
        changes = self._select_universe(t)
        if events.removed:  # their subscriptions end: no more data (fill-forward included) reaches the algorithm
            changes = changes or SecurityChanges()
            changes.removed_securities.extend(events.removed)
            self._unsubscribed.update(sec.symbol for sec in events.removed)
        if changes is not None:
            algo.on_securities_changed(changes)
        if not algo.is_warming_up:  # AlgorithmManager.HandleDividends / HandleSplits skip warm-up
            for dividend in events.dividends.values():
                corporate_apply_dividend(algo, dividend)
            for split in events.splits.values():
                corporate_apply_split(algo, split)
        # 6. indicators
        if algo._indicators:
            if self._routes_version != algo._indicator_registrations:
                self._routes_version = algo._indicator_registrations
                self._routes.clear()
            routes = self._routes
            for idx, sub, point in updates:
                if sub.data_type != "quote":
                    route = routes.get(idx)
                    if route is None:
                        route = routes[idx] = self._indicator_updates(sub)
                    for update in route:
                        update(point)
        # 7. on_splits, on_dividends, on_delistings, on_symbol_changed_events, then on_data
        for name in ("splits", "dividends", "delistings", "symbol_changed_events"):
            if len(getattr(events, name)):
                getattr(algo, f"on_{name}")(getattr(events, name))
        if user_data:
            algo.on_data(Slice(t, bars, quotes, custom, events.delistings, events.splits, events.dividends,
                               events.symbol_changed_events))
            if algo._quit:
                raise AlgorithmQuit()
        # 8. market orders fill now
        algo.transactions.process(market_only=True)
        if algo._new_subscriptions:
            self._add_streams(algo._new_subscriptions, t)
            algo._new_subscriptions.clear()
        # 9. sampling
        if not algo.is_warming_up:
            self.sampler.step(t, algo.portfolio.total_portfolio_value)

    def _take_event(self, sub: Subscription, event: Any, events: _SliceEvents) -> bool:
        """File a corporate event in the step's collections (``TimeSliceFactory``); True if the algorithm sees it.
        Internal feeds (the benchmark) pass on delistings only. A ``Delisted`` event retires the security at once
        (``UniverseSelection.HandleDelisting``): not tradable, out of its universe, reported removed unless its
        removal is already pending."""
        if sub.is_internal and not isinstance(event, corporate.Delisting):
            return False
        algo = self.algo
        security = algo.securities.get(sub.symbol)
        if security is None or sub.symbol in self._unsubscribed:
            return False
        if not sub.is_internal:
            self.data_points += 1   # LEAN's DataPoints count the algorithm's corporate events, not the benchmark's
        kind = {corporate.Split: events.splits, corporate.Dividend: events.dividends,
                corporate.Delisting: events.delistings, corporate.SymbolChangedEvent: events.symbol_changed_events}
        kind[type(event)][sub.symbol] = event
        if isinstance(event, corporate.Delisting) and event.type == corporate.DelistingType.DELISTED \
                and not security.is_delisted:
            security.is_delisted, security.is_tradable = True, False
            self._universe_members.pop(sub.symbol, None)
            if sub.symbol in self._pending_removals:
                self._pending_removals.remove(sub.symbol)
            else:
                events.removed.append(security)
        return not sub.is_internal

    def _process_delistings(self, delistings: DataDictionary) -> None:
        """``BacktestingBrokerage.ProcessDelistings``: for each ``Delisted`` event, liquidate the holding (the ticket
        is kept on the event) and cancel the security's other open orders; warnings change nothing."""
        transactions = self.algo.transactions
        for delisting in delistings.values():
            if delisting.type != corporate.DelistingType.DELISTED:
                continue
            security = self.algo.securities[delisting.symbol]
            delisting.ticket = transactions.liquidate_delisted(security)
            if not self.algo.is_warming_up:
                transactions.cancel_open_orders(delisting.symbol)

    def _consume_before_start(self, t_ns: int) -> None:
        while self.heap and self.heap[0][0] == t_ns:
            _, idx = heapq.heappop(self.heap)
            stream = self.streams[idx]
            if stream.sub.is_internal and isinstance(stream, Stream):
                self.data_points += 1   # the benchmark's bar before the start counts (it is a time slice in LEAN)
                self.benchmark_price = float(stream.values[stream.pos][3])
            stream.pos += 1
            if stream.pos < len(stream):
                heapq.heappush(self.heap, (int(stream.end_ns[stream.pos]), idx))

    def _end_warmup(self, t: datetime) -> None:
        algo = self.algo
        algo.is_warming_up = False
        self.sampler.reset_start(algo.portfolio.total_portfolio_value, algo.portfolio.total_sale_volume)
        algo.on_warmup_finished()

    def _make_point(self, stream: Stream, i: int) -> Any:
        sub = stream.sub
        v = stream.rows[i]
        if sub.data_type == "trade":
            cls = CloseOnlyTradeBar if stream.close_only else TradeBar
            return cls(stream.start_times[i], sub.symbol, v[0], v[1], v[2], v[3], v[4], None, stream.end_times[i],
                       stream.ff_flags[i])  # positional: keywords cost a bar's construction a third more
        end = stream.end_times[i]
        if sub.data_type == "quote":
            bid = Bar(v[0], v[1], v[2], v[3]) if v[3] > 0 else None
            ask = Bar(v[5], v[6], v[7], v[8]) if v[8] > 0 else None
            return QuoteBar(stream.start_times[i], sub.symbol, bid, v[4], ask, v[9], end, stream.ff_flags[i])
        ctor = sub.custom_type if isinstance(sub.custom_type, type) and issubclass(sub.custom_type, BaseData) \
            else BaseData
        point = ctor()
        point.symbol, point.time, point.end_time, point.value = sub.symbol, end, end, float(v[0])
        return point

    def _indicator_updates(self, sub: Subscription) -> list[Callable[[Any], Any]]:
        """What each bar of ``sub``'s stream updates, in registration order (kept per stream in ``_routes`` until
        the next registration)."""
        return [self._indicator_update(sub, *registered) for registered in self.algo._indicators.get(sub.symbol, [])]

    def _indicator_update(self, sub: Subscription, indicator: Any, resolution: Resolution | None,
                          selector: Callable | None) -> Callable[[Any], Any]:
        if resolution is not None and Resolution(resolution) > sub.resolution:
            if Resolution(resolution) != Resolution.DAILY:
                raise NotImplementedError("qclocal consolidates intraday data only to DAILY for indicators")
            cons = self._consolidators.setdefault(id(indicator), _DailyConsolidator(indicator, selector))

            def consolidate(point: Any) -> None:
                sess = sub.hours.session(point.time.date())
                cons.update(point, sess[1] if sess else None)
            return consolidate
        if selector is None and isinstance(indicator, IndicatorBase):
            return indicator._update_data   # the fast path for qclocal's indicators
        if selector is None:
            return indicator.update
        return lambda point: indicator.update(selector(point))

    # -- universe -------------------------------------------------------------------------------------
    def _select_universe(self, t: datetime) -> SecurityChanges | None:
        algo = self.algo
        if not self._universe_times or self._universe_times[0] != t:
            return None
        self._universe_times.pop(0)
        day = (t - timedelta(days=1)).date()
        frame = lean_format.read_coarse(self.data_folder, day)
        self.data_points += len(frame)
        if t > algo.end_date:
            return None
        rows = self._coarse_rows(frame, t)
        selected: set[Symbol] = set()
        for selection in algo._universes:
            result = selection(rows)
            if result is None or isinstance(result, str):
                continue
            selected.update(Symbol.create(str(s)) if not isinstance(s, Symbol) else s for s in result)
        # LEAN (Engine/DataFeeds/UniverseSelection.cs ApplyUniverseSelection, PendingRemovalsManager.cs,
        # Common/Data/UniverseSelection/Universe.cs): a deselected member is reported removed once, but it stays a
        # member ("pending removal") while it is held or has open orders. It leaves silently at a later selection
        # once that is no longer so; if it is selected again first, it simply stays, and is not reported added.
        unchanged = self._previous_selection is not None and selected == self._previous_selection
        self._previous_selection = selected
        for sym in list(self._pending_removals):
            safe = self._safe_to_remove(sym)
            if safe or sym in selected:
                self._pending_removals.remove(sym)
                if safe:
                    self._universe_members.pop(sym, None)
                    self._unsubscribed.add(sym)
        if unchanged:  # Universe.PerformSelection returns Unchanged: no additions, no removals
            return None
        changes = SecurityChanges()
        settings = algo.universe_settings
        minimum = timedelta(days=settings.minimum_time_in_universe_days)
        for sym in sorted(set(self._universe_members) - selected, key=lambda s: s.value):
            if not self._can_remove_member(t - self._universe_members[sym], minimum):
                continue
            if sym not in self._pending_removals and sym in algo.securities:
                changes.removed_securities.append(algo.securities[sym])
            if self._safe_to_remove(sym):
                del self._universe_members[sym]
                self._unsubscribed.add(sym)
            elif sym not in self._pending_removals:
                self._pending_removals.append(sym)
        for sym in sorted(selected - set(self._universe_members), key=lambda s: s.value):
            sec = algo.securities.get(sym)
            if sec is None:
                sec = algo._add_security(sym.value, "equity", SecurityType.EQUITY, settings.resolution,
                                         settings.fill_forward, settings.leverage, settings.extended_market_hours,
                                         settings.data_normalization_mode, require_data=False, symbol=sym)
                changes.added_securities.append(sec)
            elif sym in self._unsubscribed:
                changes.added_securities.append(sec)
            # else its data already flows (added by hand): LEAN's DataManager.AddSubscription finds the
            # subscription and returns False, so the universe takes the member without reporting it added
            self._universe_members[sym] = t
            self._unsubscribed.discard(sym)
        if algo._new_subscriptions:
            self._add_streams(algo._new_subscriptions, t)
            algo._new_subscriptions.clear()
        if not changes.added_securities and not changes.removed_securities:
            return None
        return changes

    def _coarse_rows(self, frame: pd.DataFrame, t: datetime) -> list[CoarseFundamental]:
        """One coarse file as ``CoarseFundamental`` objects. A daily universe reads a file of hundreds of rows every
        session, so the columns are read as numpy arrays and each (ticker, SID) keeps one ``Symbol``."""
        symbols = self._coarse_symbols
        columns = [frame[c].to_numpy(dtype=float).tolist() for c in ("price", "volume", "dollar_volume",
                                                                        "price_factor", "split_factor")]
        rows = []
        for ticker, sid, fundamental, price, volume, dollars, price_factor, split_factor in zip(
                frame["ticker"].tolist(), frame["sid"].tolist(), frame["has_fundamental_data"].tolist(), *columns,
                strict=True):
            symbol = symbols.get((ticker, sid))
            if symbol is None:
                symbol = symbols[(ticker, sid)] = Symbol(ticker, SecurityType.EQUITY, sid=sid)
            rows.append(CoarseFundamental(symbol, price, volume, dollars, bool(fundamental), price_factor,
                                          split_factor, t))
        return rows

    def _safe_to_remove(self, sym: Symbol) -> bool:
        """PendingRemovalsManager.IsSafeToRemove: no holdings and no open orders."""
        sec = self.algo.securities.get(sym)
        if sec is None:
            return True
        return sec.holdings.quantity == 0 and not self.algo.transactions.get_open_orders(sym)

    @staticmethod
    def _can_remove_member(time_in_universe: timedelta, minimum: timedelta) -> bool:
        """Universe.CanRemoveMember: time in the universe, rounded (half to even) to a day, hour, minute or
        second depending on the minimum, must reach the minimum time in universe."""
        if minimum <= timedelta(0):
            return True
        unit = next((u for u in (timedelta(days=1), timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1))
                     if minimum >= u), minimum)
        return round(time_in_universe / unit) * unit >= minimum


@lean_type("QuantConnect.Securities.MarginInterestRateParameters")
class MarginInterestRateParameters:
    """What LEAN passes to ``apply_margin_interest_rate``: the security and the current UTC time."""

    def __init__(self, security: Any, time: datetime):
        self.security = security
        self.time = time


def risk_free_provider(data_folder: Path) -> Callable[[datetime], float]:
    """LEAN's InterestRateProvider: the primary credit rate carried forward; first value before the file."""
    rates = lean_format.read_interest_rates(data_folder)
    if rates.empty:
        return lambda t: 0.0
    dates = rates.index.to_numpy()
    values = rates.to_numpy()

    def rate(t: datetime) -> float:
        pos = np.searchsorted(dates, np.datetime64(pd.Timestamp(t.date())), side="right") - 1
        return float(values[max(pos, 0)])
    return rate


def run_algorithm(algorithm: QCAlgorithm, data_folder: Path, object_store: Path,
                  parameters: dict[str, str] | None = None, progress: Callable[[float], None] | None = None,
                  log_sink: Callable[[str], None] | None = None) -> BacktestResult:
    """Run an algorithm instance and compute LEAN's statistics. Exceptions become a failed result."""
    started = wallclock.perf_counter()
    algorithm._data_folder = Path(data_folder)
    algorithm._parameters = {k: str(v) for k, v in (parameters or {}).items()}
    algorithm.object_store = ObjectStore(object_store)
    algorithm._log_sink = log_sink
    engine = Engine(algorithm, Path(data_folder), progress)
    status, error = "Completed", None
    sampler = None
    Symbol.resolver = lambda ticker: corporate.resolve_ticker(Path(data_folder), ticker)[0]
    with _collector_for_a_run(engine):
        try:
            sampler = engine.run()
            algorithm.on_end_of_algorithm()
        except Exception as exc:  # the algorithm failed: report it like LEAN (RuntimeError status)
            status = "RuntimeError"
            error = "".join(traceback.format_exception(exc))
            algorithm.error(f"Runtime Error: {exc}\n{error}")
        finally:
            Symbol.resolver = None
        return _result(algorithm, engine, sampler, status, error, Path(data_folder), started)


@contextlib.contextmanager
def _collector_for_a_run(engine: Engine) -> Iterator[None]:
    """Each time step allocates thousands of short-lived objects (bars, points, slices, orders and their events),
    and the cyclic collector's young generation ran every 700 of them: 9% of a 400-symbol run. It runs every
    10,000 during the run; afterwards the thresholds are restored and the objects the engine froze are
    collectable again."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 10_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if engine.freezes_gc:
            gc.unfreeze()


def _result(algorithm: QCAlgorithm, engine: Engine, sampler: Sampler | None, status: str, error: str | None,
            data_folder: Path, started: float) -> BacktestResult:
    """LEAN's statistics, charts and runtime statistics of a finished run."""
    sampler = sampler or getattr(engine, "sampler", None) or Sampler(algorithm.start_date, algorithm.end_date)
    orders = [o.to_json() for o in algorithm.transactions.orders.values()]
    records = [v for _, v in algorithm.portfolio.trade_records]
    stats = build_statistics(sampler, sampler.start_value or algorithm.portfolio.total_portfolio_value, records,
                             algorithm.portfolio.total_fees, len(algorithm.transactions.orders),
                             getattr(algorithm, "_risk_free_model", None) and
                             (lambda t: algorithm._risk_free_model.get_interest_rate(t))
                             or risk_free_provider(Path(data_folder)), orders)
    stats.update(algorithm._summary_statistics)
    equity = pd.Series({t: v for t, v in sampler.equity}, dtype=float)
    bench = pd.Series(dict(zip(sampler.daily_times, sampler.benchmark, strict=True)), dtype=float)
    charts: dict[str, Any] = {
        "Strategy Equity": {"Equity": chart(sampler.equity),
                            "Return": chart(list(zip(sampler.daily_times, sampler.performance, strict=True)))},
        "Benchmark": {"Benchmark": chart(list(zip(sampler.daily_times, sampler.benchmark, strict=True)))},
    }
    for name, series in algorithm._charts.items():
        charts.setdefault(name, {}).update({s: chart(points) for s, points in series.items()})
    runtime = {"Equity": f"${algorithm.portfolio.total_portfolio_value:,.2f}",
               "Fees": f"-${algorithm.portfolio.total_fees:,.2f}",
               "Holdings": f"${algorithm.portfolio.total_holdings_value:,.2f}",
               "Net Profit": f"${algorithm.portfolio.total_profit:,.2f}",
               "Return": stats.get("Net Profit", "0%"),
               "Unrealized": f"${algorithm.portfolio.total_unrealized_profit:,.2f}",
               "Volume": f"${algorithm.portfolio.total_sale_volume:,.2f}", **algorithm._runtime_statistics}
    return BacktestResult(status, stats, runtime, charts, orders,
                          [e.to_json() for e in algorithm.transactions.events], list(algorithm._logs), error,
                          equity, bench, engine.data_points, algorithm._history_points,
                          wallclock.perf_counter() - started)
