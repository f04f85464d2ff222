"""``QCAlgorithm``: the snake_case LEAN API that algorithms subclass, backed by qclocal's engine state.

The loop that drives it lives in ``qclocal.engine.runner``. Members outside qclocal's subset raise a
``NotImplementedError`` that names them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from qclocal import indicators as ind
from qclocal.data.market_hours import exchange_hours
from qclocal.engine.enums import DataNormalizationMode, Market, OrderType, Resolution, SecurityType
from qclocal.engine.errors import missing_member
from qclocal.engine.feed import ALGORITHM_TZ, Subscription, load_stream
from qclocal.engine.lean_api import Fixed, check_default, lean_type
from qclocal.engine.orders import OrderProperties, OrderTicket, check_order_properties
from qclocal.engine.portfolio import Portfolio
from qclocal.engine.portfolio_target import PortfolioTarget, UniverseSettings
from qclocal.engine.scheduling import DateRules, Scheduler, TimeRules
from qclocal.engine.securities import Security, SecurityExchange, SecurityManager
from qclocal.engine.symbols import Symbol
from qclocal.engine.transactions import MarketOnCloseOrder, Transactions
from qclocal.object_store import ObjectStore

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
        self._universes: list[Callable] = []
        self._charts: dict[str, dict[str, list[tuple[datetime, float]]]] = {}
        self._runtime_statistics: dict[str, str] = {}
        self._summary_statistics: dict[str, str] = {}
        self._quit = False
        self._initializing = True
        self._history_points = 0

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
        value = self._parameters.get(name)
        if value is None:
            return default_value
        if default_value is None or isinstance(default_value, str):
            return value
        try:
            if isinstance(default_value, bool):
                return str(value).strip().lower() in ("1", "true", "yes")
            return type(default_value)(float(value)) if isinstance(default_value, int) else type(default_value)(value)
        except ValueError:
            raise ValueError(f"parameter {name!r}: cannot convert {value!r} to {type(default_value).__name__} "
                             f"(set it in config.json \"parameters\" or with --parameter {name} VALUE)") from None

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
                      require_data: bool = True) -> Security:
        if not isinstance(ticker, str) or not ticker:
            raise ValueError(f"add_{kind}: ticker must be a non-empty string, got {ticker!r}")
        resolution = Resolution(resolution if resolution is not None else self.universe_settings.resolution)
        resolution.folder  # noqa: B018 - raises for unsupported resolutions
        symbol = Symbol(ticker, security_type, Market.USA)
        existing = self.securities.get(symbol)
        if existing is not None and not kind == "custom":
            return existing
        hours = exchange_hours(self._data_folder, "equity" if kind == "custom" else kind, "usa", ticker)
        if normalization is None:
            normalization = self.universe_settings.data_normalization_mode
        default_leverage = 2.0 if security_type == SecurityType.EQUITY else 1.0
        security = Security(symbol, SecurityExchange(hours, self._clock), resolution,
                            leverage if leverage and leverage > 0 else default_leverage, normalization, security_type)
        data_types = ["trade", "quote"] if (kind == "equity" and resolution == Resolution.MINUTE) else \
            ["custom" if kind == "custom" else "trade"]
        for data_type in data_types:
            sub = Subscription(symbol, kind, resolution, hours, fill_forward, extended_hours, normalization,
                               data_type=data_type, custom_type=custom_type)
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
        if not path.is_file():
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
                stop: float = 0.0, order_properties: Any = None) -> OrderTicket:
        check_order_properties(order_properties)
        security = self._security_of(symbol)
        if not self._order_allowed():
            return self.transactions.submit(security, 0, order_type, "warming up")
        return self.transactions.submit(security, quantity, order_type, tag, limit, stop)

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
        return self._submit(security, quantity, order_type, tag, order_properties=order_properties)

    # ``asynchronous`` is accepted as in LEAN's signatures; qclocal submits synchronously either way
    def limit_order(self, symbol: Any, quantity: float, limit_price: float, asynchronous: bool = False,
                    tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.LIMIT, tag, limit=limit_price,
                            order_properties=order_properties)

    def stop_market_order(self, symbol: Any, quantity: float, stop_price: float, asynchronous: bool = False,
                          tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.STOP_MARKET, tag, stop=stop_price,
                            order_properties=order_properties)

    def stop_limit_order(self, symbol: Any, quantity: float, stop_price: float, limit_price: float,
                         asynchronous: bool = False, tag: str = "", order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.STOP_LIMIT, tag, limit=limit_price, stop=stop_price,
                            order_properties=order_properties)

    def market_on_open_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                             order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.MARKET_ON_OPEN, tag, order_properties=order_properties)

    def market_on_close_order(self, symbol: Any, quantity: float, asynchronous: bool = False, tag: str = "",
                              order_properties: Any = None) -> OrderTicket:
        return self._submit(symbol, quantity, OrderType.MARKET_ON_CLOSE, tag, order_properties=order_properties)

    def _open_market_quantity(self, symbol: Symbol) -> float:
        return sum(o.quantity - o.quantity_filled for o in self.transactions.get_open_orders(symbol)
                   if o.type in (OrderType.MARKET, OrderType.MARKET_ON_OPEN))

    def calculate_order_quantity(self, symbol: Any, target: float) -> float:
        """Shares to order so the position is ``target`` of portfolio value (LEAN's sizing, fees included)."""
        security = self._security_of(symbol)
        price = security.price
        if price == 0:
            return 0.0
        tpv = self.portfolio.total_portfolio_value
        if self.settings.free_portfolio_value is not None:
            free = self.settings.free_portfolio_value
        else:
            free = tpv * self.settings.free_portfolio_value_percentage
        adjusted = float(target) * (tpv - free) / tpv if tpv else 0.0
        q0 = security.holdings.quantity
        lev = security.leverage
        target_margin = tpv * adjusted / lev
        current_margin = q0 * price / lev
        if abs(target_margin - current_margin) < self.settings.minimum_order_margin_portfolio_percentage * tpv \
                and self.portfolio.margin_remaining > 0:
            return 0.0
        position = math.trunc(tpv * adjusted / price)
        sign = 1 if position > 0 else -1
        while position != 0:
            order_qty = position - q0
            fee = self._fee_for(security, order_qty)
            allowed = (tpv - fee) * abs(adjusted)
            if abs(position * price) <= allowed + 1e-9:
                break
            position -= sign
        return float(position - q0)

    def _fee_for(self, security: Security, quantity: float) -> float:
        from qclocal.engine.orders import Order, OrderFeeParameters

        if quantity == 0:
            return 0.0
        order = Order(0, security.symbol, quantity, OrderType.MARKET, self.time)
        return security.fee_model.get_order_fee(OrderFeeParameters(security, order)).value.amount

    def set_holdings(self, symbol: Any, percentage: float | None = None, liquidate_existing_holdings: bool = False,
                     tag: str = "", order_properties: Any = None) -> list[OrderTicket]:
        check_order_properties(order_properties)
        if isinstance(symbol, list | tuple):
            return self._set_holdings_targets(list(symbol), liquidate_existing_holdings, tag)
        if percentage is None:
            raise ValueError("set_holdings(symbol, percentage): percentage is required")
        security = self._security_of(symbol)
        tickets = []
        if liquidate_existing_holdings:
            tickets += self._liquidate_others({security.symbol}, tag)
        qty = self.calculate_order_quantity(security, float(percentage))
        qty -= self._open_market_quantity(security.symbol)
        if qty != 0 and security.is_tradable:
            tickets.append(self.market_order(security, qty, tag=tag))
        return tickets

    def _set_holdings_targets(self, targets: list[PortfolioTarget], liquidate: bool, tag: str) -> list[OrderTicket]:
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
            tickets.append(self.market_order(security, qty, tag=target.tag or tag if targets else tag))
        return tickets

    def _liquidate_others(self, keep: set, tag: str) -> list[OrderTicket]:
        return [t for sym, sec in sorted(self.securities.items(), key=lambda kv: kv[0].value)
                if sym not in keep and sec.invested for t in self.liquidate(sym, tag=tag)]

    def liquidate(self, symbol: Any = None, asynchronous: bool = False, tag: str = "Liquidated",
                  order_properties: Any = None) -> list[OrderTicket]:
        check_order_properties(order_properties)
        if symbol is None:
            symbols = [s for s in sorted(self.securities.keys(), key=lambda s: s.value)]
        else:
            if symbol not in self.securities:
                return []
            symbols = [self._security_of(symbol).symbol]
        tickets = []
        for sym in symbols:
            security = self.securities[sym]
            for order in self.transactions.get_open_orders(sym):
                if order.type not in (OrderType.MARKET, OrderType.MARKET_ON_OPEN):
                    self.transactions.cancel_order(order.id)
            qty = -(security.holdings.quantity + self._open_market_quantity(sym))
            if qty != 0:
                tickets.append(self.market_order(security, qty, tag=tag))
        return tickets

    # -- history --------------------------------------------------------------------------------------
    def history(self, symbols: Any, *args: Any, resolution: Resolution | None = None, **kwargs: Any
                ) -> pd.DataFrame:
        """Bars as a DataFrame with a (symbol, time) MultiIndex; ``time`` is the bar end time."""
        if isinstance(symbols, type):
            raise missing_member("QCAlgorithm", "history(<data type>, ...)")
        for name in sorted(set(kwargs) - {"start", "end"}):  # LEAN's fill_forward=, extended_market_hours=, ...
            check_default("history", name, kwargs[name], None)
        syms = [symbols] if isinstance(symbols, str | Symbol | Security) else list(symbols)
        securities = [self._security_of(s) for s in syms]
        if len(args) >= 1 and isinstance(args[-1], Resolution):
            resolution, args = args[-1], args[:-1]
        frames = []
        for security in securities:
            frames.append(self._history_one(security, args, resolution, kwargs))
        non_empty = [f for f in frames if len(f)]
        if not non_empty:
            return pd.DataFrame(columns=["open", "high", "low", "close", "volume"])
        out = pd.concat(non_empty)
        self._history_points += len(out)
        return out

    def _history_one(self, security: Security, args: tuple, resolution: Resolution | None, kwargs: dict
                     ) -> pd.DataFrame:
        sub0 = next(s for s in security.subscriptions if s.data_type != "quote")
        res = Resolution(resolution) if resolution is not None else sub0.resolution
        sub = Subscription(security.symbol, sub0.kind, res, sub0.hours, sub0.fill_forward, sub0.extended_hours,
                           sub0.normalization, data_type=sub0.data_type, custom_type=sub0.custom_type)
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
            span = {Resolution.DAILY: timedelta(days=count * 1.6 + 10), Resolution.HOUR: timedelta(days=count / 6 + 5),
                    Resolution.MINUTE: timedelta(days=count / 380 + 4)}[res]
            start = end - span
        stream = load_stream(sub, self._data_folder, start, end)
        if count is not None:
            sl = slice(max(len(stream) - count, 0), len(stream))
        else:
            sl = slice(0, len(stream))
        times = pd.to_datetime(stream.end_ns[sl])
        if sub.kind == "custom":
            frame = pd.DataFrame({"value": stream.values[sl, 0]}, index=times)
        else:
            frame = pd.DataFrame(stream.values[sl], index=times,
                                 columns=["open", "high", "low", "close", "volume"])
            if stream.close_only:
                frame["volume"] = np.nan  # unknown, never zero: the ticker was imported from a close-only file
        frame.index = pd.MultiIndex.from_arrays([[security.symbol] * len(frame), frame.index],
                                                names=["symbol", "time"])
        return frame

    _research = False

    # -- indicators -----------------------------------------------------------------------------------
    def register_indicator(self, symbol: Any, indicator: Any, resolution: Resolution | None = None,
                           selector: Callable | None = None) -> Any:
        sym = self._security_of(symbol).symbol
        self._indicators.setdefault(sym, []).append((indicator, resolution, selector))
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



def _row_bar(symbol: Symbol, end: datetime, row: pd.Series, resolution: Resolution):
    from qclocal.engine.data_types import TradeBar

    span = timedelta(hours=6.5) if resolution == Resolution.DAILY else Resolution(resolution).span
    return TradeBar(end - span, symbol, float(row["open"]), float(row["high"]), float(row["low"]),
                    float(row["close"]), float(row["volume"]), end_time=end)

