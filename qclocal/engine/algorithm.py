"""``QCAlgorithm``: the snake_case LEAN API that algorithms subclass, backed by qclocal's engine state.

The loop that drives it lives in ``qclocal.engine.runner``. Members outside qclocal's subset raise a
``NotImplementedError`` that names them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from qclocal import indicators as ind
from qclocal.data.market_hours import exchange_hours
from qclocal.engine.corporate import map_file_of, resolve_ticker
from qclocal.engine.enums import DataNormalizationMode, Market, OrderType, Resolution, SecurityType
from qclocal.engine.errors import missing_member
from qclocal.engine.feed import ALGORITHM_TZ, Subscription, history_bars, load_stream
from qclocal.engine.lean_api import Fixed, check_default, lean_type
from qclocal.engine.margin import quantity_for_target_buying_power
from qclocal.engine.orders import OrderProperties, OrderTicket, check_order_properties
from qclocal.engine.portfolio import Portfolio
from qclocal.engine.portfolio_target import PortfolioTarget, UniverseSettings
from qclocal.engine.scheduling import DateRules, Scheduler, TimeRules
from qclocal.engine.securities import Security, SecurityExchange, SecurityManager
from qclocal.engine.symbols import Symbol
from qclocal.engine.transactions import MarketOnCloseOrder, Transactions
from qclocal.object_store import ObjectStore

# Normalisation modes whose prices and corporate actions qclocal reproduces (feed._normalize, Portfolio.apply_*);
# the others (SCALED_RAW and the futures-only Panama-canal / ratio modes) raise when a security asks for them.
SUPPORTED_NORMALIZATION = (DataNormalizationMode.RAW, DataNormalizationMode.ADJUSTED,
                           DataNormalizationMode.SPLIT_ADJUSTED, DataNormalizationMode.TOTAL_RETURN)
FREE_PORTFOLIO_VALUE_PERCENTAGE = 0.0025
MINIMUM_ORDER_MARGIN_PERCENTAGE = 0.001


class AlgorithmQuit(Exception):
    """Raised by ``quit()`` to stop the run cleanly."""


class _Clock:
    def __init__(self) -> None:
        self.time = datetime(1998, 1, 1)

    def local_time(self, tz: str) -> datetime:
        if tz == ALGORITHM_TZ:
            return self.time
        aware = self.time.replace(tzinfo=ZoneInfo(ALGORITHM_TZ))
        return aware.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


@lean_type("QuantConnect.AlgorithmSettings")
class Settings:
    """``self.settings``. Settings qclocal does not honour are ``Fixed`` at LEAN's default (Common/AlgorithmSettings.cs);
    stub-listed settings absent here raise on any use."""

    automatic_indicator_warm_up = Fixed(False)
    daily_precise_end_time = Fixed(True)  # honoured as the default: daily bars end at the session close
    daily_consolidation_use_extended_market_hours = Fixed(False)
    data_subscription_limit = Fixed(2**31 - 1)
    databases_refresh_period = Fixed(timedelta(days=1))
    ignore_unknown_asset_holdings = Fixed(False)
    max_absolute_portfolio_target_percentage = Fixed(1_000_000_000)
    min_absolute_portfolio_target_percentage = Fixed(1e-10)
    rebalance_portfolio_on_insight_changes = Fixed(None)
    rebalance_portfolio_on_security_changes = Fixed(None)
    stale_price_time_span = Fixed(timedelta(hours=1))
    trading_days_per_year = Fixed(None)  # statistics use 252, LEAN's default brokerage's value

    def __init__(self) -> None:
        self.free_portfolio_value_percentage = FREE_PORTFOLIO_VALUE_PERCENTAGE
        self.free_portfolio_value: float | None = None
        self.minimum_order_margin_portfolio_percentage = MINIMUM_ORDER_MARGIN_PERCENTAGE
        self.liquidate_enabled = True
        self.warmup_resolution: Resolution | None = None

    @property
    def warm_up_resolution(self) -> Resolution | None:
        return self.warmup_resolution

    @warm_up_resolution.setter
    def warm_up_resolution(self, value: Resolution | None) -> None:
        self.warmup_resolution = value


@lean_type("QuantConnect.Algorithm.QCAlgorithm")
class QCAlgorithm:
    """Base class of every algorithm. Engine state lives on the instance; the runner drives it."""

    def __init__(self) -> None:
        self._clock = _Clock()
        self._data_folder = Path("data")
        self._parameters: dict[str, str] = {}
        self._logs: list[str] = []
        self._log_sink: Callable[[str], None] | None = None
        self.securities = SecurityManager()
        self.portfolio = Portfolio(self.securities)
        self.transactions = Transactions(self.securities, self.portfolio, lambda: self._clock.time,
                                         self._dispatch_order_event)
        self.portfolio.transactions = self.transactions
        self.universe_settings = UniverseSettings()
        self.settings = Settings()
        self.default_order_properties = OrderProperties()
        self.object_store = ObjectStore("storage")
        self.start_date = datetime(1998, 1, 1)
        self.end_date = datetime.combine(date.today() - timedelta(days=1), time.max)
        self._warmup: int | timedelta | None = None
        self._warmup_resolution: Resolution | None = None
        self.is_warming_up = False
        self._benchmark: Any = None
        self.schedule = Scheduler()
        self.date_rules = DateRules(self)
        self.time_rules = TimeRules(self)
        self._subscriptions: list[Subscription] = []
        self._new_subscriptions: list[Subscription] = []
        self._indicators: dict[Symbol, list[tuple[Any, Resolution | None, Callable | None]]] = {}
        self._indicator_registrations = 0   # the engine rebuilds its per-stream update lists when this changes
        self._universes: list[Callable] = []
        self._charts: dict[str, dict[str, list[tuple[datetime, float]]]] = {}
        self._runtime_statistics: dict[str, str] = {}
        self._summary_statistics: dict[str, str] = {}
        self._quit = False
        self._initializing = True
        self._history_points = 0
        self._liquidate_warning_sent = False

    # -- lifecycle hooks (override) -------------------------------------------------------------------
    def initialize(self) -> None:
        pass

    def on_data(self, slice: Any) -> None:
        pass

    def on_securities_changed(self, changes: Any) -> None:
        pass

    def on_order_event(self, order_event: Any) -> None:
        pass

    def on_warmup_finished(self) -> None:
        pass

    def on_end_of_algorithm(self) -> None:
        pass

    def on_end_of_day(self, symbol: Any = None) -> None:
        pass

    def on_splits(self, splits: Any) -> None:
        pass

    def on_dividends(self, dividends: Any) -> None:
        pass

    def on_delistings(self, delistings: Any) -> None:
        pass

    def on_symbol_changed_events(self, symbol_changed_events: Any) -> None:
        pass
    def on_margin_call(self, requests: list) -> list | None:
        """Called just before margin-call orders are submitted. An override must return the (possibly changed)
        non-empty list of ``SubmitOrderRequest`` to submit (AlgorithmFactory/Python/Wrappers/
        AlgorithmPythonWrapper.cs ``OnMarginCall``)."""
        return None
    def on_margin_call_warning(self) -> None:
        """Called when margin remaining falls to 5% of the portfolio value and no margin call was executed."""
    def _margin_call_requests(self, requests: list) -> list:
        if type(self).on_margin_call is QCAlgorithm.on_margin_call:
            return requests
        from qclocal.engine.orders import SubmitOrderRequest
        result = self.on_margin_call(requests)
        chosen = [r for r in result if isinstance(r, SubmitOrderRequest)] \
            if result is not None and not isinstance(result, str | bytes) and hasattr(result, "__iter__") else []
        if not chosen:
            raise TypeError("on_margin_call must return a non-empty list of SubmitOrderRequest")
        return chosen

    # -- time -----------------------------------------------------------------------------------------
    @property
    def time(self) -> datetime:
        return self._clock.time

    @property
    def utc_time(self) -> datetime:
        return self._clock.local_time("UTC")

    @property
    def live_mode(self) -> bool:
        return False

    @property
    def default_hours(self):
        return exchange_hours(self._data_folder, "equity")

    def to_algorithm_time(self, local: datetime, tz: str) -> datetime:
        if tz == ALGORITHM_TZ:
            return local
        return local.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo(ALGORITHM_TZ)).replace(tzinfo=None)

    @staticmethod
    def _as_datetime(args: tuple) -> datetime:
        if len(args) == 1:
            value = args[0]
            if isinstance(value, datetime):
                return value
            if isinstance(value, date):
                return datetime.combine(value, time())
            if isinstance(value, str):
                return pd.Timestamp(value).to_pydatetime()
        if len(args) == 3:
            return datetime(*(int(a) for a in args))
        raise ValueError(f"expected (year, month, day), a date or a datetime, got {args!r}")

    def set_start_date(self, *args: Any) -> None:
        self.start_date = self._as_datetime(args)
        if self._initializing:
            self._clock.time = self.start_date  # history() in initialize ends at the start (LEAN)

    def set_end_date(self, *args: Any) -> None:
        end = self._as_datetime(args)
        self.end_date = datetime.combine(end.date(), time.max) if end.time() == time() else end

    def set_cash(self, cash: float) -> None:
        self.portfolio.set_cash(float(cash))

    def set_warm_up(self, period: int | timedelta, resolution: Resolution | None = None) -> None:
        self._warmup = period
        self._warmup_resolution = resolution

    set_warmup = set_warm_up

    def set_time_zone(self, tz: Any) -> None:
        if str(tz) not in (ALGORITHM_TZ, "TimeZones.NEW_YORK"):
            raise missing_member("QCAlgorithm", f"set_time_zone({tz})")

    def set_benchmark(self, benchmark: Any) -> None:
        self._benchmark = benchmark

    @property
    def benchmark(self) -> Any:
        return self._benchmark

    def set_brokerage_model(self, *args: Any) -> None:
        raise missing_member("QCAlgorithm", "set_brokerage_model")

    def set_risk_free_interest_rate_model(self, model: Any) -> None:
        self._risk_free_model = model

    # -- parameters and logging ------------------------------------------------------------------------
    def get_parameter(self, name: str, default_value: Any = None) -> Any:
        """LEAN's overloads (Algorithm/QCAlgorithm.cs ``GetParameter``): without a default, the string or None;
        with an int, float or decimal default, the value parsed as that type (``int.TryParse``,
        ``double.TryParse(NumberStyles.Any, invariant)``), or the default when it does not parse. LEAN falls back
        silently; qclocal also logs a warning naming the parameter and the value."""
        value = self._parameters.get(name)
        if value is None:
            return default_value
        if default_value is None or isinstance(default_value, str):
            return value
        if isinstance(default_value, bool):
            raise NotImplementedError(f"get_parameter({name!r}, {default_value}): LEAN has no bool overload of "
                                      f"GetParameter; pass a string default and compare it")
        parsed = parse_parameter(value, type(default_value))
        if parsed is None:
            self.debug(f"Warning: parameter {name!r} = {value!r} cannot be parsed as {type(default_value).__name__}; "
                       f"using the default {default_value!r}, as LEAN does")
            return default_value
        return parsed

    def _emit_log(self, level: str, message: Any) -> None:
        line = f"{self._clock.time:%Y-%m-%d %H:%M:%S} {level}{message}"
        self._logs.append(line)
        if self._log_sink:
            self._log_sink(line)

    def debug(self, message: Any) -> None:
        self._emit_log("", message)

    def log(self, message: Any) -> None:
        self._emit_log("", message)

    def error(self, message: Any) -> None:
        self._emit_log("ERROR:: ", message)

    def quit(self, message: str = "") -> None:
        if message:
            self.debug(message)
        self._quit = True

    def plot(self, chart: str, series: Any, value: Any = None) -> None:
        if value is None:  # plot(chart, indicator_or_value)
            series, value = (getattr(series, "name", chart), series)
        number = float(value.current.value) if hasattr(value, "current") else float(value)
        self._charts.setdefault(chart, {}).setdefault(str(series), []).append((self._clock.time, number))

    def set_runtime_statistic(self, name: str, value: Any) -> None:
        self._runtime_statistics[name] = str(value)

    def set_summary_statistic(self, name: str, value: Any) -> None:
        self._summary_statistics[name] = str(value)

    # -- securities -----------------------------------------------------------------------------------
    def _add_security(self, ticker: str, kind: str, security_type: SecurityType, resolution: Resolution | None,
                      fill_forward: bool, leverage: float, extended_hours: bool,
                      normalization: DataNormalizationMode | None, custom_type: Any = None,
                      require_data: bool = True, symbol: Symbol | None = None) -> Security:
        if not isinstance(ticker, str) or not ticker:
            raise ValueError(f"add_{kind}: ticker must be a non-empty string, got {ticker!r}")
        resolution = Resolution(resolution if resolution is not None else self.universe_settings.resolution)
        resolution.folder  # noqa: B018 - raises for unsupported resolutions
        map_file = None
        if kind == "equity":  # the SID and map file of the security trading as `ticker` today (corporate.py)
            sid, map_file = resolve_ticker(self._data_folder, ticker)
            if symbol is not None:
                sid, map_file = symbol.id, map_file_of(self._data_folder, symbol)
            symbol = Symbol(ticker, security_type, Market.USA, sid=sid)
        else:
            symbol = Symbol(ticker, security_type, Market.USA)
        existing = self.securities.get(symbol)
        if existing is not None and not kind == "custom":
            return existing
        hours = exchange_hours(self._data_folder, "equity" if kind == "custom" else kind, "usa", ticker)
        if normalization is None:
            normalization = self.universe_settings.data_normalization_mode
        if kind == "equity" and normalization not in SUPPORTED_NORMALIZATION:
            raise NotImplementedError(
                f"DataNormalizationMode.{DataNormalizationMode(normalization).name} ({ticker}) is not implemented in "
                f"qclocal; it implements {', '.join(m.name for m in SUPPORTED_NORMALIZATION)}")
        default_leverage = 2.0 if security_type == SecurityType.EQUITY else 1.0
        security = Security(symbol, SecurityExchange(hours, self._clock), resolution, default_leverage, normalization,
                            security_type, self.portfolio.totals)
        if leverage:  # 0 is LEAN's Security.NullLeverage: keep the brokerage model's default (SecurityService.cs)
            security.set_leverage(leverage)
        data_types = ["trade", "quote"] if (kind == "equity" and resolution == Resolution.MINUTE) else \
            ["custom" if kind == "custom" else "trade"]
        for data_type in data_types:
            sub = Subscription(symbol, kind, resolution, hours, fill_forward, extended_hours, normalization,
                               data_type=data_type, custom_type=custom_type, map_file=map_file)
            security.subscriptions.append(sub)
        security.quote_currency = self.portfolio.cash_book["USD"]
        if require_data and not self._initializing:
            self._check_data_exists(security)
        self.securities[symbol] = security
        for sub in security.subscriptions:
            sub.optional = not require_data
            self._subscriptions.append(sub)
            self._new_subscriptions.append(sub)
        return security

    def _check_data_exists(self, security: Security) -> None:
        from qclocal.data.lean_format import MissingDataError, bar_file, missing_data_message

        sub = security.subscriptions[0]
        if sub.kind == "custom" or sub.resolution == Resolution.MINUTE:
            return
        path = bar_file(self._data_folder, sub.kind, sub.ticker, sub.resolution.folder)
        # a renamed equity's data sits in the files of the tickers it traded under (its map file's rows)
        tickers = {t for _, t in sub.map_file.rows} if sub.map_file is not None else set()
        if not path.is_file() and not any(bar_file(self._data_folder, sub.kind, t, sub.resolution.folder).is_file()
                                           for t in tickers):
            raise MissingDataError(missing_data_message(path, sub.ticker))

    def add_equity(self, ticker: str, resolution: Resolution | None = None, market: str = Market.USA,
                   fill_forward: bool = True, leverage: float = 0.0, extended_market_hours: bool = False,
                   data_normalization_mode: DataNormalizationMode | None = None) -> Security:
        check_default("add_equity", "market", market or Market.USA, Market.USA)
        return self._add_security(ticker, "equity", SecurityType.EQUITY, resolution, fill_forward, leverage,
                                  extended_market_hours, data_normalization_mode)

    def add_index(self, ticker: str, resolution: Resolution | None = None, market: str = Market.USA,
                  fill_forward: bool = True) -> Security:
        check_default("add_index", "market", market or Market.USA, Market.USA)
        return self._add_security(ticker, "index", SecurityType.INDEX, resolution, fill_forward, 1.0, False,
                                  DataNormalizationMode.RAW)

    def add_data(self, data_type: Any, ticker: str, resolution: Resolution | None = None, time_zone: Any = None,
                 fill_forward: bool = False, leverage: float = 1.0) -> Security:
        for name, value, default in (("time_zone", time_zone, None), ("fill_forward", fill_forward, False),
                                     ("leverage", leverage, 1.0)):
            check_default("add_data", name, value, default)
        return self._add_security(ticker, "custom", SecurityType.BASE, resolution or Resolution.DAILY, False,
                                  1.0, False, DataNormalizationMode.RAW, custom_type=data_type)

    def remove_security(self, symbol: Any) -> bool:
        raise missing_member("QCAlgorithm", "remove_security")

    def add_universe(self, selection: Callable, *args: Any) -> None:
        if args or not callable(selection):
            raise missing_member("QCAlgorithm", "add_universe(<universe type>, ...)")
        self._universes.append(selection)

    def symbol(self, ticker: str) -> Symbol:
        return self.securities[ticker].symbol

    # -- scheduling and training ------------------------------------------------------------------------
    def train(self, *args: Any) -> None:
        """Run training synchronously now (``train(fn)``) or on a schedule (``train(date_rule, time_rule, fn)``)."""
        if len(args) == 1:
            args[0]()
        elif len(args) == 3:
            self.schedule.on(args[0], args[1], args[2])
        else:
            raise ValueError("train() takes a callable, or a date rule, a time rule and a callable")

    # -- orders ---------------------------------------------------------------------------------------
    def _security_of(self, symbol: Any) -> Security:
        if isinstance(symbol, Security):
            return symbol
        return self.securities[symbol]

    def _order_allowed(self) -> bool:
        if self.is_warming_up:
            self.error("This operation is not allowed while the algorithm is warming up")
            return False
        return True

    def _submit(self, symbol: Any, quantity: float, order_type: OrderType, tag: str = "", limit: float = 0.0,
                stop: float = 0.0, asynchronous: bool = False, order_properties: Any = None) -> OrderTicket:
        check_order_properties(order_properties)
        security = self._security_of(symbol)
        if not self._order_allowed():
            return self.transactions.submit(security, 0, order_type, "warming up", asynchronous=asynchronous)
        return self.transactions.submit(security, quantity, order_type, tag, limit, stop, asynchronous)

    # Order methods take LEAN's positional order (Algorithm/QCAlgorithm.Trading.cs): ..., asynchronous, tag,
    # order_properties. ``asynchronous`` is recorded on ``ticket.submit_request``; in a backtest LEAN processes
    # order requests synchronously either way (BacktestingTransactionHandler), so fills do not depend on it.
    def market_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                     order_properties: Any = None) -> OrderTicket:
        security = self._security_of(symbol)
        order_type = OrderType.MARKET
        if security.type == SecurityType.EQUITY:
            if not security.exchange.exchange_open:
                order_type = OrderType.MARKET_ON_OPEN
            elif security.is_daily_only:
                sess = security.exchange.hours.session(self.time.date())
                in_buffer = sess is not None and self.time > sess[1] - MarketOnCloseOrder.submission_time_buffer
                order_type = OrderType.MARKET_ON_OPEN if in_buffer else OrderType.MARKET_ON_CLOSE
        return self._submit(security, quantity, order_type, tag, asynchronous=asynchronous,
                            order_properties=order_properties)

    def limit_order(self, symbol: Any, quantity: float, limit_price: float, asynchronous: bool = False,
                    tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.LIMIT, tag, limit=limit_price, asynchronous=asynchronous,
                            order_properties=order_properties)

    def stop_market_order(self, symbol: Any, quantity: float, stop_price: float, asynchronous: bool = False,
                          tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.STOP_MARKET, tag, stop=stop_price, asynchronous=asynchronous,
                            order_properties=order_properties)

    def stop_limit_order(self, symbol: Any, quantity: float, stop_price: float, limit_price: float,
                         asynchronous: bool = False, tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.STOP_LIMIT, tag, limit=limit_price, stop=stop_price,
                            asynchronous=asynchronous,
                            order_properties=order_properties)

    def market_on_open_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                             order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.MARKET_ON_OPEN, tag, asynchronous=asynchronous,
                            order_properties=order_properties)

    def market_on_close_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                              order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.MARKET_ON_CLOSE, tag, asynchronous=asynchronous,
                            order_properties=order_properties)

    def _open_market_quantity(self, symbol: Symbol) -> float:
        return sum(o.quantity - o.quantity_filled for o in self.transactions.get_open_orders(symbol)
                   if o.type in (OrderType.MARKET, OrderType.MARKET_ON_OPEN))

    def calculate_order_quantity(self, symbol: Any, target: float) -> float:
        """Shares to order so the position is ``target`` of portfolio value: ``PortfolioTarget.Percent`` scales the
        target by the free-portfolio buffer and divides it by the leverage, then the buying-power model sizes it,
        fees included, skipping changes below the minimum order margin (Common/Algorithm/Framework/Portfolio/
        PortfolioTarget.cs, Common/Securities/BuyingPowerModel.cs)."""
        security = self._security_of(symbol)
        if security.price == 0:
            return 0.0
        tpv = self.portfolio.total_portfolio_value
        if self.settings.free_portfolio_value is not None:
            free = self.settings.free_portfolio_value
        else:
            free = tpv * self.settings.free_portfolio_value_percentage
        adjusted = float(target) * (tpv - free) / tpv if tpv else 0.0
        return quantity_for_target_buying_power(self.portfolio, security, adjusted / security.leverage,
                                                self.settings.minimum_order_margin_portfolio_percentage)

    def set_holdings(self, symbol: Any, percentage: float | None = None, liquidate_existing_holdings: bool = False,
                     asynchronous: bool = False, tag: str = "", order_properties: Any = None) -> list[OrderTicket]:
        check_order_properties(order_properties)
        if isinstance(symbol, list | tuple):
            return self._set_holdings_targets(list(symbol), liquidate_existing_holdings, tag, asynchronous)
        if percentage is None:
            raise ValueError("set_holdings(symbol, percentage): percentage is required")
        security = self._security_of(symbol)
        tickets = []
        if liquidate_existing_holdings:
            tickets += self._liquidate_others({security.symbol}, tag)
        qty = self.calculate_order_quantity(security, float(percentage))
        qty -= self._open_market_quantity(security.symbol)
        if qty != 0 and security.is_tradable:
            tickets.append(self.market_order(security, qty, asynchronous, tag=tag))
        return tickets

    def _set_holdings_targets(self, targets: list[PortfolioTarget], liquidate: bool, tag: str,
                              asynchronous: bool = False) -> list[OrderTicket]:
        tickets = []
        if liquidate:
            keep = {self._security_of(t.symbol).symbol for t in targets}
            tickets += self._liquidate_others(keep, tag)
        deltas = []
        for target in targets:
            security = self._security_of(target.symbol)
            if not security.has_data or not security.is_tradable:
                continue
            qty = self.calculate_order_quantity(security, float(target.quantity))
            qty -= self._open_market_quantity(security.symbol)
            if abs(qty) >= 1:
                reduces = abs(security.holdings.quantity + qty) < abs(security.holdings.quantity)
                deltas.append((not reduces, -abs(qty * security.price), security, qty))
        for _, _, security, qty in sorted(deltas, key=lambda d: (d[0], d[1])):
            tickets.append(self.market_order(security, qty, asynchronous, tag=target.tag or tag if targets else tag))
        return tickets

    def _liquidate_others(self, keep: set, tag: str) -> list[OrderTicket]:
        """``GetSymbolsToLiquidate``: every other symbol of the portfolio, in ticker order."""
        return self.liquidate([s for s in sorted(self.portfolio.keys(), key=lambda s: s.value) if s not in keep],
                              tag=tag or None)

    def liquidate(self, symbol: Any = None, asynchronous: bool = False, tag: str | None = None,
                  order_properties: Any = None) -> list[OrderTicket]:
        """LEAN's order of work (Algorithm/QCAlgorithm.Trading.cs ``Liquidate``): nothing when
        ``settings.liquidate_enabled`` is off; symbols never added are skipped; a position already closed by
        its one open market order is left alone; every open order that is not a plain market order is cancelled
        (with the tag); then a market order for what is held, net of open market orders, carries the tag
        ("Liquidated" by default)."""
        check_order_properties(order_properties)
        if not self.settings.liquidate_enabled:
            self.debug("Liquidate() is currently disabled by settings. To re-enable please set "
                       "'Settings.LiquidateEnabled' to true")
            return []
        if symbol is None:
            symbols = sorted(self.securities.keys(), key=lambda s: s.value)
        elif isinstance(symbol, list | tuple | set):
            symbols = list(symbol)
        else:
            symbols = [symbol]
        tag = "Liquidated" if tag is None else tag
        tickets = []
        for sym in symbols:
            if sym not in self.securities:
                if not self._liquidate_warning_sent:
                    self._liquidate_warning_sent = True
                    self.debug(f"Warning: liquidate ignored symbol '{sym}' because it has not been added to the "
                               f"algorithm. Add the security before liquidating it.")
                continue
            security = self._security_of(sym)
            orders = self.transactions.get_open_orders(security.symbol)
            quantity = security.holdings.quantity
            if len(orders) == 1 and quantity != 0 and orders[0].quantity == -quantity \
                    and orders[0].type == OrderType.MARKET:
                continue
            pending = 0.0
            for order in orders:
                if order.type == OrderType.MARKET:
                    pending += order.quantity - order.quantity_filled
                else:
                    self.transactions.cancel_order(order.id, tag)
            if quantity != 0:
                tickets.append(self.market_order(security, -quantity - pending, tag=tag))
        return tickets

    # -- history --------------------------------------------------------------------------------------
    def history(self, symbols: Any, *args: Any, resolution: Resolution | None = None, **kwargs: Any
                ) -> pd.DataFrame:
        """Bars as a DataFrame with a (symbol, time) MultiIndex; ``time`` is the bar end time."""
        if isinstance(symbols, type):
            raise missing_member("QCAlgorithm", "history(<data type>, ...)")
        for name in sorted(set(kwargs) - {"start", "end", "data_normalization_mode"}):  # fill_forward=, ...
            check_default("history", name, kwargs[name], None)
        syms = [symbols] if isinstance(symbols, str | Symbol | Security) else list(symbols)
        securities = [self._security_of(s) for s in syms]
        if len(args) >= 1 and isinstance(args[-1], Resolution):
            resolution, args = args[-1], args[:-1]
        parts = [(security.symbol, self._history_one(security, args, resolution, kwargs)) for security in securities]
        parts = [(symbol, frame) for symbol, frame in parts if len(frame)]
        if not parts:
            return pd.DataFrame(columns=["open", "high", "low", "close", "volume"])
        out = _stack_history(parts)
        self._history_points += len(out)
        return out

    def _history_one(self, security: Security, args: tuple, resolution: Resolution | None, kwargs: dict
                     ) -> pd.DataFrame:
        """One security's bars, indexed by bar end time."""
        sub0 = next(s for s in security.subscriptions if s.data_type != "quote")
        res = Resolution(resolution) if resolution is not None else sub0.resolution
        mode = kwargs.get("data_normalization_mode", sub0.normalization)
        if sub0.kind == "equity" and mode not in SUPPORTED_NORMALIZATION:
            raise NotImplementedError(f"history(..., data_normalization_mode=DataNormalizationMode."
                                      f"{DataNormalizationMode(mode).name}) is not implemented in qclocal")
        sub = Subscription(security.symbol, sub0.kind, res, sub0.hours, sub0.fill_forward, sub0.extended_hours,
                           mode, data_type=sub0.data_type, custom_type=sub0.custom_type, map_file=sub0.map_file)
        now = self.time
        start = kwargs.get("start")
        end = kwargs.get("end", now)
        count = None
        if args:
            if isinstance(args[0], int):
                count = args[0]
            elif isinstance(args[0], timedelta):
                start = now - args[0]
            else:
                start = args[0]
                if len(args) > 1:
                    end = args[1]
        start = pd.Timestamp(start).to_pydatetime() if start is not None else None
        end = min(pd.Timestamp(end).to_pydatetime(), now) if not self._research else pd.Timestamp(end).to_pydatetime()
        if count is not None:
            local_end = self._clock.local_time(sub.hours.time_zone) if end == now else end
            start = self.to_algorithm_time(bar_count_start(sub.hours, local_end, res, count, sub.extended_hours),
                                           sub.hours.time_zone)
        end_ns, values, close_only = history_bars(sub, self._data_folder, start, end)
        times = pd.DatetimeIndex(np.asarray(end_ns, dtype=np.int64).view("datetime64[ns]"))
        if sub.kind == "custom":
            frame = pd.DataFrame({"value": values[:, 0]}, index=times)
        else:
            frame = pd.DataFrame(values, index=times, columns=["open", "high", "low", "close", "volume"])
            if close_only:
                frame["volume"] = np.nan  # unknown, never zero: the ticker was imported from a close-only file
            if res == Resolution.MINUTE and sub.kind == "equity":
                frame = self._with_quotes(frame, sub, start, end)
        return frame

    def _with_quotes(self, trades: pd.DataFrame, sub: Subscription, start: datetime | None, end: datetime
                     ) -> pd.DataFrame:
        """Minute equity history carries the quote bars too (LEAN's PandasData flattens QuoteBar.Ask/Bid and
        their last sizes): columns askclose ... asksize, bidclose ... bidsize, close, high, low, open, volume,
        one row per bar end time; a side with no quote is NaN."""
        quote_sub = Subscription(sub.symbol, sub.kind, sub.resolution, sub.hours, sub.fill_forward, sub.extended_hours,
                                 sub.normalization, data_type="quote")
        stream = load_stream(quote_sub, self._data_folder, start, end)
        v = stream.values
        sides = {}
        for side, offset in (("bid", 0), ("ask", 5)):
            present = v[:, offset + 3] > 0 if len(v) else np.array([], dtype=bool)
            for i, name in enumerate(("open", "high", "low", "close", "size")):
                sides[side + name] = np.where(present, v[:, offset + i], np.nan) if len(v) else v[:, 0]
        quotes = pd.DataFrame(sides, index=pd.to_datetime(stream.end_ns))
        frame = quotes.join(trades, how="outer") if len(quotes) else trades.reindex(
            columns=[*sides, *trades.columns])
        return frame[sorted(frame.columns)]

    _research = False

    # -- indicators -----------------------------------------------------------------------------------
    def register_indicator(self, symbol: Any, indicator: Any, resolution: Resolution | None = None,
                           selector: Callable | None = None) -> Any:
        sym = self._security_of(symbol).symbol
        self._indicators.setdefault(sym, []).append((indicator, resolution, selector))
        self._indicator_registrations += 1
        return indicator

    def sma(self, symbol: Any, period: int, resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.SimpleMovingAverage(period), resolution, selector)

    def ema(self, symbol: Any, period: int, smoothing_factor: float | None = None,
            resolution: Resolution | None = None, selector: Callable | None = None):
        if isinstance(smoothing_factor, Resolution):
            resolution, smoothing_factor = smoothing_factor, None
        return self.register_indicator(symbol, ind.ExponentialMovingAverage(period, smoothing_factor), resolution, selector)

    def rsi(self, symbol: Any, period: int, moving_average_type: Any = None, resolution: Resolution | None = None,
            selector: Callable | None = None):
        mat = moving_average_type if moving_average_type is not None else ind.MovingAverageType.WILDERS
        return self.register_indicator(symbol, ind.RelativeStrengthIndex(period, mat), resolution, selector)

    def bb(self, symbol: Any, period: int, k: float, moving_average_type: Any = None,
           resolution: Resolution | None = None, selector: Callable | None = None):
        mat = moving_average_type if moving_average_type is not None else ind.MovingAverageType.SIMPLE
        return self.register_indicator(symbol, ind.BollingerBands(period, k, mat), resolution, selector)

    def macd(self, symbol: Any, fast_period: int, slow_period: int, signal_period: int,
             moving_average_type: Any = None, resolution: Resolution | None = None, selector: Callable | None = None):
        mat = moving_average_type if moving_average_type is not None else ind.MovingAverageType.EXPONENTIAL
        return self.register_indicator(symbol, ind.MovingAverageConvergenceDivergence(fast_period, slow_period, signal_period,
                                                                            mat), resolution, selector)

    def atr(self, symbol: Any, period: int, moving_average_type: Any = None, resolution: Resolution | None = None,
            selector: Callable | None = None):
        mat = moving_average_type if moving_average_type is not None else ind.MovingAverageType.SIMPLE
        return self.register_indicator(symbol, ind.AverageTrueRange(period, mat), resolution, selector)

    def std(self, symbol: Any, period: int, resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.StandardDeviation(period), resolution, selector)

    def psar(self, symbol: Any, af_start: float = 0.02, af_increment: float = 0.02, af_max: float = 0.2,
             resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.ParabolicStopAndReverse(af_start, af_increment, af_max), resolution, selector)

    def logr(self, symbol: Any, period: int, resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.LogReturn(period), resolution, selector)

    def roc(self, symbol: Any, period: int, resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.RateOfChange(period), resolution, selector)

    def momp(self, symbol: Any, period: int, resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.MomentumPercent(period), resolution, selector)

    def max(self, symbol: Any, period: int, resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.Maximum(period), resolution, selector)

    def min(self, symbol: Any, period: int, resolution: Resolution | None = None, selector: Callable | None = None):
        return self.register_indicator(symbol, ind.Minimum(period), resolution, selector)

    def identity(self, symbol: Any, resolution: Resolution | None = None, selector: Callable | None = None,
                 field_name: str | None = None):
        return self.register_indicator(symbol, ind.Identity(f"{symbol}"), resolution, selector)

    def warm_up_indicator(self, symbol: Any, indicator: Any, resolution: Resolution | None = None,
                          selector: Callable | None = None) -> None:
        security = self._security_of(symbol)
        period = max(int(getattr(indicator, "warm_up_period", 1) or 1), 1)
        frame = self.history(security, period, resolution=resolution)
        if not len(frame):
            return
        for t, row in frame.droplevel(0).iterrows():
            bar = _row_bar(security.symbol, t.to_pydatetime(), row, resolution or security.resolution)
            indicator.update(selector(bar) if selector else bar)

    # -- order events ---------------------------------------------------------------------------------
    def _dispatch_order_event(self, event: Any) -> None:
        self.on_order_event(event)



def bar_count_start(hours: Any, end: datetime, resolution: Resolution, count: int, extended: bool) -> datetime:
    """Where a history request for ``count`` bars ending at ``end`` starts, in exchange time: step back one bar
    at a time and count only steps with the exchange open (Common/Time.cs ``GetStartTimeForTradeBars``, daily
    precise end times on). A day missing from the data is still counted, so the window is the same on every
    day and a gap gives one bar fewer, as in LEAN. The request returns the bars that end in (start, end].

    Step k covers [current - k x bar, current - (k-1) x bar); an open segment [a, b) meets the steps with
    (current - b) / bar < k < (current - a) / bar + 1, so the open steps are the union of those ranges."""
    step = Resolution(resolution).span
    extended = extended and resolution < Resolution.HOUR  # hour and daily data have no extended hours
    if resolution == Resolution.DAILY:
        session = hours.session(end.date())
        current = end if session is not None and session[1] <= end else datetime.combine(end.date(), time())
    else:
        midnight = datetime.combine(end.date(), time())
        current = midnight + (end - midnight) // step * step
    return _count_back(hours, current, step, count, extended) if count > 0 else current


def _stack_history(parts: list[tuple[Symbol, pd.DataFrame]]) -> pd.DataFrame:
    """The securities' frames stacked under a (symbol, time) MultiIndex, as ``pd.concat`` of each frame indexed by
    ``MultiIndex.from_arrays`` would give, but built from codes: hashing a Symbol per row and concatenating
    frames cost more than the daily decision of an ML algorithm."""
    columns = parts[0][1].columns
    if any(not frame.columns.equals(columns) for _, frame in parts):  # e.g. custom data beside trade bars
        return pd.concat([frame.set_axis(pd.MultiIndex.from_arrays([[symbol] * len(frame), frame.index],
                                                                   names=["symbol", "time"]))
                          for symbol, frame in parts])
    symbols = pd.Categorical([symbol for symbol, _ in parts])  # levels as from_arrays orders them
    lengths = [len(frame) for _, frame in parts]
    times, time_codes = np.unique(np.concatenate([frame.index.asi8 for _, frame in parts]), return_inverse=True)
    index = pd.MultiIndex(levels=[symbols.categories, pd.DatetimeIndex(times.view("datetime64[ns]"))],
                          codes=[np.repeat(symbols.codes, lengths), time_codes], names=["symbol", "time"],
                          verify_integrity=False)
    values = np.concatenate([frame.to_numpy(dtype=float) for _, frame in parts])
    return pd.DataFrame(values, index=index, columns=columns)


@lru_cache(maxsize=1024)
def _count_back(hours: Any, current: datetime, step: timedelta, count: int, extended: bool) -> datetime:
    """The start of ``count`` open steps back from ``current`` (cached: every symbol of an exchange asks the same
    question at the same time)."""
    step_ns, current_ns = step // timedelta(microseconds=1) * 1000, pd.Timestamp(current).value
    lookback = max(int(count * step.total_seconds() / 86400 * 3) + 10, 10)
    while True:
        first = current.date() - timedelta(days=lookback)
        if extended:
            segments = [seg for day in hours.trading_days(first, current.date()) for seg in hours.segments(day, True)]
            opens = np.array([pd.Timestamp(a).value for a, _ in segments], dtype=np.int64)
            closes = np.array([pd.Timestamp(b).value for _, b in segments], dtype=np.int64)
        else:
            table = hours.session_table(first, current.date())
            opens, closes = table["open"].to_numpy().astype(np.int64), table["close"].to_numpy().astype(np.int64)
        low = np.maximum((current_ns - closes) // step_ns + 1, 1)
        high = -((opens - current_ns - step_ns) // step_ns) - 1
        keep = high >= low
        low, high = low[keep], high[keep]
        lengths = high - low + 1
        steps = np.unique(np.repeat(low - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum()))
        if len(steps) >= count or lookback > 366 * 100:
            return current - int(steps[min(count, len(steps)) - 1]) * step if len(steps) else current
        lookback *= 2


_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9][0-9,]*\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL = {"nan": math.nan, "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf,
            "∞": math.inf, "-∞": -math.inf}


def parse_parameter(text: str, kind: type) -> Any:
    """A parameter string as C# parses it into ``kind`` (int, float or Decimal), or None when it does not parse.
    int: ``int.TryParse`` (NumberStyles.Integer: surrounding white space, a leading sign, 32-bit range).
    float/Decimal: ``TryParse(NumberStyles.Any, InvariantCulture)``: also thousands separators, a decimal point,
    an exponent, parentheses for a negative value, and (float only) NaN and Infinity."""
    text = text.strip(" \t\n\v\f\r")
    if issubclass(kind, int):
        if not _INT.fullmatch(text):
            return None
        number = int(text)
        return kind(number) if -2**31 <= number < 2**31 else None
    negative = text.startswith("(") and text.endswith(")")
    body = text[1:-1].strip() if negative else text
    if kind is float and body.lower() in _SPECIAL:
        value = _SPECIAL[body.lower()]
    elif _NUMBER.fullmatch(body) and not body.lstrip("+-").startswith(","):
        value = kind(body.replace(",", ""))
    else:
        return None
    return -value if negative else value


def _row_bar(symbol: Symbol, end: datetime, row: pd.Series, resolution: Resolution):
    from qclocal.engine.data_types import TradeBar

    span = timedelta(hours=6.5) if resolution == Resolution.DAILY else Resolution(resolution).span
    return TradeBar(end - span, symbol, float(row["open"]), float(row["high"]), float(row["low"]),
                    float(row["close"]), float(row["volume"]), end_time=end)

