"""qclocal against LEAN's C# for margin calls, liquidate, parameters, date rules, bar-count history, fees,
universe-settings defaults and the printing of statistics. Expected values are computed by hand from LEAN's
code (file named in each test) or taken from LEAN's own regression algorithms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import calendars, writers
from qclocal.engine.algorithm import QCAlgorithm, parse_parameter
from qclocal.engine.enums import DataNormalizationMode, OrderStatus, OrderType, Resolution
from qclocal.engine.margin import DefaultMarginCallModel, MarginCallModel
from qclocal.engine.orders import InteractiveBrokersFeeModel, Order, OrderFeeParameters, SubmitOrderRequest
from qclocal.engine.runner import run_algorithm
from qclocal.engine.statistics import net_decimal_round, net_double_text, to_decimal
from qclocal.engine.symbols import Symbol

DAY1, DAY2 = date(2020, 1, 6), date(2020, 1, 7)
# XYZ hour bars by delivery time (bar end); a bar stamped hh:00 in the file is delivered at hh+1:00
DAY2_PRICES = {10: 95.0, 11: 92.0, 12: 90.0, 13: 88.0, 14: 85.0, 15: 90.0, 16: 90.0}


def _hour_bars(day: date, prices: dict[int, float]) -> pd.DataFrame:
    starts = pd.DatetimeIndex([datetime.combine(day, datetime.min.time()) + timedelta(hours=h - 1)
                               for h in sorted(prices)])
    closes = np.array([prices[h] for h in sorted(prices)])
    return pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1e6},
                        index=starts)


@pytest.fixture(scope="module")
def leveraged(tmp_path_factory) -> Path:
    """XYZ at 100 all of day 1, then falling hour by hour on day 2 (DAY2_PRICES)."""
    folder = tmp_path_factory.mktemp("leveraged")
    bars = pd.concat([_hour_bars(DAY1, dict.fromkeys(range(10, 17), 100.0)), _hour_bars(DAY2, DAY2_PRICES)])
    writers.write_equity_bars(folder, "XYZ", bars, resolution="hour")
    writers.write_map_file(folder, "XYZ", DAY1)
    writers.write_interest_rate_file(folder, pd.Series([0.0], index=pd.DatetimeIndex([pd.Timestamp(DAY1)])))
    return folder


class Leveraged(QCAlgorithm):
    """Buys 300 XYZ at 100 with $10,000 and leverage 4: a 3x position."""

    def initialize(self):
        self.set_start_date(DAY1)
        self.set_end_date(DAY2)
        self.set_cash(10_000)
        self.xyz = self.add_equity("XYZ", Resolution.HOUR, leverage=4).symbol
        self.warnings: list[datetime] = []
        self.calls: list[tuple[datetime, list[float], bool]] = []
        self.events: list[tuple[int, OrderStatus, str]] = []

    def on_data(self, data):
        if not self.transactions.orders_count:
            self.market_order(self.xyz, 300)

    def on_margin_call_warning(self):
        self.warnings.append(self.time)

    def on_margin_call(self, requests):
        self.calls.append((self.time, [r.quantity for r in requests],
                           all(self.securities[r.symbol].exchange.exchange_open for r in requests)))
        return requests

    def on_order_event(self, order_event):
        self.events.append((order_event.order_id, order_event.status,
                            self.transactions.get_order_by_id(order_event.order_id).tag))


def _run(algo: QCAlgorithm, folder: Path, tmp_path: Path, **params):
    return run_algorithm(algo, folder, tmp_path / "storage", {k: str(v) for k, v in params.items()})


def test_margin_call_on_a_hand_computed_leveraged_path(leveraged, tmp_path):
    """Common/Securities/DefaultMarginCallModel.cs, Engine/AlgorithmManager.cs. After the buy: cash -20,001.50
    (300 x 100 + fee 1.50). Day 2, with margin used = 300 x price / 4 and remaining = value - used:
    12:00 at 90: value 6,998.50, used 6,750, remaining 248.50 <= 5% of value -> warning only;
    13:00 at 88: remaining -201.50 <= 0 but used 6,600 <= 1.1 x 6,398.50 -> neither orders nor warning;
    14:00 at 85: value 5,498.50, used 6,375 > 1.1 x value -> margin call. Deficit 876.50, target margin 5,498.50
    = (258.75 shares) -> floor 258 -> sell 42 (fee $1 keeps 258 x 21.25 = 5,482.50 under 5,497.50), filled at
    85 after on_data; remaining is then 15. 15:00 at 90: remaining 982.50 > 5% -> quiet."""
    algo = Leveraged()
    result = _run(algo, leveraged, tmp_path)
    assert result.status == "Completed", result.error
    assert algo.warnings == [datetime(2020, 1, 7, 12)]
    assert algo.calls == [(datetime(2020, 1, 7, 14), [-42.0], True)]
    buy, call = result.orders
    assert (buy["quantity"], buy["price"], buy["tag"]) == (300, 100.0, "")
    assert (call["quantity"], call["type"], call["status"], call["price"], call["tag"]) == \
        (-42, "MARKET", "FILLED", 85.0, "Margin Call")
    assert call["time"] == call["lastFillTime"] == "2020-01-07T14:00:00"
    assert [e for e in algo.events if e[0] == 2] == [(2, OrderStatus.SUBMITTED, "Margin Call"),
                                                      (2, OrderStatus.FILLED, "Margin Call")]
    assert algo.portfolio["XYZ"].quantity == 258
    assert algo.portfolio.cash == pytest.approx(-20_001.5 + 42 * 85 - 1.0)
    assert any("Executed MarginCallOrder: XYZ - Quantity: -42 @ 0" in line for line in result.logs)


def test_margin_call_model_null_and_unimplemented_models(leveraged, tmp_path):
    class Null(Leveraged):
        def initialize(self):
            super().initialize()
            self.portfolio.margin_call_model = MarginCallModel.NULL

    algo = Null()
    assert _run(algo, leveraged, tmp_path).status == "Completed"
    assert algo.warnings == [] and algo.calls == [] and algo.portfolio["XYZ"].quantity == 300

    class Buffered(Leveraged):  # a 20% buffer: 6,375 < 1.2 x 5,498.50, so no margin call at 14:00
        def initialize(self):
            super().initialize()
            self.portfolio.set_margin_call_model(DefaultMarginCallModel(self.portfolio, None, 0.20))

    algo = Buffered()
    assert _run(algo, leveraged, tmp_path / "b").status == "Completed"
    assert algo.calls == [] and algo.portfolio["XYZ"].quantity == 300

    class Custom:
        def get_margin_call_orders(self):
            return [], False

    class Own(Leveraged):
        def initialize(self):
            super().initialize()
            self.portfolio.margin_call_model = Custom()

    result = _run(Own(), leveraged, tmp_path / "c")
    assert result.status == "RuntimeError"
    assert "margin_call_model = Custom" in result.error and "NotImplementedError" in result.error


def test_on_margin_call_may_change_the_orders_and_must_return_them(leveraged, tmp_path):
    class Bigger(Leveraged):
        def on_margin_call(self, requests):
            return [SubmitOrderRequest(r.order_type, r.security_type, r.symbol, r.quantity * 2, 0, 0, self.time,
                                       "mine") for r in requests]

    algo = Bigger()
    result = _run(algo, leveraged, tmp_path)
    assert (result.orders[1]["quantity"], result.orders[1]["tag"]) == (-84, "mine")

    class Forgets(Leveraged):
        def on_margin_call(self, requests):
            pass

    result = _run(Forgets(), leveraged, tmp_path / "b")
    assert result.status == "RuntimeError"
    assert "on_margin_call must return a non-empty list of SubmitOrderRequest" in result.error


@pytest.mark.leandata
def test_lean_equity_margin_call_regression(lean_data, tmp_path):
    """LEAN's EquityMarginCallAlgorithm (Algorithm.CSharp/EquityMarginCallAlgorithm.cs): GOOG minute data,
    leverage 100, set_holdings(86); margin calls cut the position six times. Its statistics include 16-digit
    ratios, which test LEAN's decimal casts and .NET's printing of doubles."""

    class EquityMarginCall(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2015, 12, 23)
            self.set_end_date(2015, 12, 30)
            self.set_cash(100000)
            equity = self.add_equity("GOOG")
            equity.set_leverage(100)
            self.goog = equity.symbol
            self.warned = self.called = False

        def on_data(self, slice):
            if not self.portfolio.invested:
                self.set_holdings(self.goog, 86)

        def on_margin_call(self, requests):
            self.called = True
            assert all(self.securities[r.symbol].exchange.exchange_open for r in requests)
            return requests

        def on_margin_call_warning(self):
            self.warned = True

    algo = EquityMarginCall()
    result = run_algorithm(algo, lean_data, tmp_path / "storage", {})
    assert result.status == "Completed", result.error
    assert algo.warned and algo.called and algo.portfolio.margin_remaining >= 0
    expected = {
        "Total Orders": "7", "Average Win": "0%", "Average Loss": "-6.17%",
        "Compounding Annual Return": "48311.308%", "Drawdown": "72.300%", "Expectancy": "-1",
        "Start Equity": "100000", "End Equity": "113866.54", "Net Profit": "13.867%",
        "Sharpe Ratio": "1535787524789540", "Sortino Ratio": "0", "Probabilistic Sharpe Ratio": "87.476%",
        "Loss Rate": "100%", "Win Rate": "0%", "Profit-Loss Ratio": "0", "Alpha": "11835996770264000",
        "Beta": "-13.194", "Annual Standard Deviation": "7.707", "Annual Variance": "59.395",
        "Information Ratio": "1533248041772298", "Tracking Error": "7.72",
        "Treynor Ratio": "-897105767214540.6", "Total Fees": "$91.53", "Portfolio Turnover": "2904.79%",
        "Drawdown Recovery": "5",
    }
    assert {k: result.statistics[k] for k in expected} == expected
    assert [o["tag"] for o in result.orders[1:]] == ["Margin Call"] * 6


# -- statistics printing (Common/Statistics/StatisticsBuilder.cs, PortfolioStatistics.cs) ---------------------

@pytest.mark.parametrize(("value", "text"), [
    (1535787524789540.0, "1535787524789540"), (1535787524789540.2, "1535787524789540.2"), (1.18359967702640e16, "11835996770264000"),
    (1.3466330963256e25, "1.3466330963256E+25"), (-4.1599647001098314e27, "-4.1599647001098314E+27"),
    (float(Decimal("79228162514264337593543950335")), "7.922816251426434E+28"),
    (-0.0004, "-0"), (0.0004, "0"), (0.0, "0"), (2.0, "2"), (-13.19449, "-13.194"), (0.0005, "0"),
    (0.0015, "0.002"), (456382350698.622, "456382350698.622"),
])
def test_ratio_statistics_print_as_dotnet_prints_a_rounded_double(value, text):
    assert net_double_text(value) == text


def test_decimal_statistics_keep_their_scale_and_casts_keep_15_digits():
    assert net_decimal_round(Decimal(0) * 100, 2) == "0"
    assert net_decimal_round(Decimal("0.0000123") * 100, 2) == "0.00"
    assert net_decimal_round(Decimal("0.25"), 3) == "0.25"                     # exact: no padding
    assert net_decimal_round(Decimal(2) / Decimal(3), 3) == "0.667"
    assert net_decimal_round(Decimal("0.125") * 100, 0) == "12"                # half to even
    assert to_decimal(1535787524789534.2) == Decimal("1535787524789530")
    assert to_decimal(1e40) == Decimal("79228162514264337593543950335")


# -- liquidate (Algorithm/QCAlgorithm.Trading.cs Liquidate) ---------------------------------------------------

class LiquidateProbe(Leveraged):
    def on_data(self, data):
        if self.time == datetime(2020, 1, 6, 10):
            self.market_order(self.xyz, 10)
        elif self.time == datetime(2020, 1, 6, 11):
            self.limit = self.limit_order(self.xyz, 5, 50.0)
            self.moo = self.market_on_open_order(self.xyz, 3)
            self.tickets = self.liquidate(self.xyz, tag="out")


def test_liquidate_cancels_non_market_orders_and_sells_what_is_held(leveraged, tmp_path):
    algo = LiquidateProbe()
    result = _run(algo, leveraged, tmp_path)
    assert algo.limit.status == algo.moo.status == OrderStatus.CANCELED
    assert algo.limit.tag == algo.moo.tag == "out"
    (ticket,) = algo.tickets
    assert (ticket.quantity, ticket.tag, ticket.order_type) == (-10, "out", OrderType.MARKET)
    assert result.orders[-1]["status"] == "FILLED" and algo.portfolio["XYZ"].quantity == 0


def test_liquidate_orders_nothing_without_holdings_and_honours_the_setting(leveraged, tmp_path):
    class Pending(Leveraged):
        def on_data(self, data):
            if self.time == datetime(2020, 1, 6, 10):
                self.market_order(self.xyz, 10)
                self.first = self.liquidate(self.xyz)       # nothing held yet: the open market order stays
                self.settings.liquidate_enabled = False
                self.second = self.liquidate()

    algo = Pending()
    result = _run(algo, leveraged, tmp_path)
    assert algo.first == [] and algo.second == []
    assert algo.portfolio["XYZ"].quantity == 10 and len(result.orders) == 1
    assert any("Liquidate() is currently disabled by settings" in line for line in result.logs)


# -- get_parameter (Algorithm/QCAlgorithm.cs GetParameter overloads) ------------------------------------------

@pytest.mark.parametrize(("text", "kind", "value"), [
    ("10", int, 10), (" +7 ", int, 7), ("10.0", int, None), ("1_000", int, None), ("2147483648", int, None),
    ("four", int, None), ("0.5", float, 0.5), ("1,000.5", float, 1000.5), ("(2)", float, -2.0),
    ("1e-3", float, 0.001), ("NaN", float, "nan"), ("-Infinity", float, float("-inf")), ("", float, None),
    ("1.5", Decimal, Decimal("1.5")), ("abc", Decimal, None),
])
def test_parameters_parse_as_csharp_tryparse(text, kind, value):
    parsed = parse_parameter(text, kind)
    if value == "nan":
        assert parsed != parsed
    else:
        assert parsed == value and (value is None or type(parsed) is kind)


# -- date rules (Common/Scheduling/DateRules.cs Today / Tomorrow) ---------------------------------------------

def test_today_and_tomorrow_are_properties_at_the_current_date(leveraged, tmp_path):
    class Rules(Leveraged):
        def initialize(self):
            super().initialize()
            self.fired: list[datetime] = []
            self.schedule.on(self.date_rules.today, self.time_rules.at(12, 0), lambda: self.fired.append(self.time))
            self.schedule.on(self.date_rules.tomorrow, self.time_rules.at(13, 0),
                             lambda: self.fired.append(self.time))

    algo = Rules()
    _run(algo, leveraged, tmp_path)
    assert algo.fired == [datetime(2020, 1, 6, 12), datetime(2020, 1, 7, 13)]
    assert not callable(algo.date_rules.today)


# -- history by bar count (Common/Time.cs GetStartTimeForTradeBars) -------------------------------------------

@pytest.fixture(scope="module")
def gappy(tmp_path_factory) -> Path:
    """Daily AAA on every session of Jan-Feb 2020 except 2020-02-03 (a data gap on a trading day)."""
    folder = tmp_path_factory.mktemp("gappy")
    sessions = calendars.session_dates(date(2020, 1, 2), date(2020, 2, 28))
    sessions = sessions[sessions != pd.Timestamp("2020-02-03")]
    closes = np.arange(len(sessions), dtype=float) + 10
    writers.write_equity_bars(folder, "AAA", pd.DataFrame(
        {"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1e6}, index=sessions))
    writers.write_map_file(folder, "AAA", date(2020, 1, 2))
    return folder


def test_history_bar_count_counts_exchange_sessions_not_data_rows(gappy, tmp_path):
    class Windows(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 2, 3)
            self.set_end_date(2020, 2, 7)
            self.aaa = self.add_equity("AAA", Resolution.DAILY, fill_forward=False).symbol
            self.windows: dict[datetime, list] = {}
            self.schedule.on(self.date_rules.every_day(self.aaa), self.time_rules.at(12, 0), self.look)

        def look(self):
            frame = self.history(self.aaa, 3, Resolution.DAILY)
            self.windows[self.time] = [t.date() for t in frame.index.get_level_values("time")]

    algo = Windows()
    assert _run(algo, gappy, tmp_path).status == "Completed"
    # at noon the day's bar is not in yet: the window is the 3 sessions before today, gap or not
    assert algo.windows[datetime(2020, 2, 4, 12)] == [date(2020, 1, 30), date(2020, 1, 31)]
    assert algo.windows[datetime(2020, 2, 5, 12)] == [date(2020, 1, 31), date(2020, 2, 4)]
    assert algo.windows[datetime(2020, 2, 6, 12)] == [date(2020, 2, 4), date(2020, 2, 5)]
    assert algo.windows[datetime(2020, 2, 7, 12)] == [date(2020, 2, 4), date(2020, 2, 5), date(2020, 2, 6)]


# -- fees (Common/Orders/Fees/InteractiveBrokersFeeModel.cs with Order.GetValue) ------------------------------

class _Priced:
    def __init__(self, price: float):
        self.price = price


@pytest.mark.parametrize(("order_type", "quantity", "limit", "stop", "fee"), [
    (OrderType.MARKET, 1000, 0.0, 0.0, 4.0),          # 0.5% of 1000 x the price 0.80
    (OrderType.MARKET_ON_OPEN, 1000, 0.0, 0.0, 4.0),
    (OrderType.LIMIT, 1000, 0.5, 0.0, 2.5),           # a buy is valued at min(limit, price)
    (OrderType.LIMIT, -1000, 0.9, 0.0, 4.5),          # a sell at max(limit, price)
    (OrderType.STOP_MARKET, 1000, 0.0, 0.6, 3.0),     # min(stop, price)
    (OrderType.STOP_MARKET, -1000, 0.0, 0.7, 4.0),    # max(stop, price)
    (OrderType.STOP_LIMIT, 1000, 0.7, 0.9, 3.5),      # a stop-limit is valued at its limit
])
def test_ib_fee_caps_at_the_order_value(order_type, quantity, limit, stop, fee):
    order = Order(1, Symbol("XYZ"), quantity, order_type, datetime(2020, 1, 6), limit_price=limit, stop_price=stop)
    params = OrderFeeParameters(_Priced(0.8), order)  # type: ignore[arg-type]
    assert InteractiveBrokersFeeModel().get_order_fee(params).value.amount == pytest.approx(fee)


# -- universe settings (Algorithm/QCAlgorithm.cs AddSecurity<T>, Engine/DataFeeds/DataManager.cs Add) ---------

def test_add_equity_takes_resolution_and_normalisation_from_universe_settings_only(leveraged, tmp_path):
    class Settings(Leveraged):
        def initialize(self):
            self.set_start_date(DAY1)
            self.set_end_date(DAY2)
            self.universe_settings.resolution = Resolution.HOUR
            self.universe_settings.data_normalization_mode = DataNormalizationMode.RAW
            self.universe_settings.leverage = 5
            self.universe_settings.fill_forward = False
            self.universe_settings.extended_market_hours = True
            self.sec = self.add_equity("XYZ")

    algo = Settings()
    _run(algo, leveraged, tmp_path)
    sub = algo.sec.subscriptions[0]
    assert (algo.sec.resolution, algo.sec.data_normalization_mode) == (Resolution.HOUR, DataNormalizationMode.RAW)
    # leverage, fill-forward and extended hours are add_equity's own defaults, not the universe's
    assert (algo.sec.leverage, sub.fill_forward, sub.extended_hours) == (2.0, True, False)


@pytest.fixture(scope="module")
def daily_with_hourly_benchmark(tmp_path_factory) -> Path:
    """XYZ daily only (100, then 100 -> 85 on Jan 7, 80 on Jan 8); SPY hourly at 300, the default benchmark."""
    folder = tmp_path_factory.mktemp("daily")
    days = pd.DatetimeIndex(["2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"])
    writers.write_equity_bars(folder, "XYZ", pd.DataFrame(
        {"open": [100, 100, 100, 80, 80], "high": [100, 100, 100, 80, 80], "low": [100, 100, 85, 80, 80],
         "close": [100, 100, 85, 80, 80], "volume": 1e6}, index=days))
    spy = pd.concat([_hour_bars(d.date(), dict.fromkeys(range(10, 17), 300.0)) for d in days])
    writers.write_equity_bars(folder, "SPY", spy, resolution="hour")
    for ticker in ("XYZ", "SPY"):
        writers.write_map_file(folder, ticker, date(2020, 1, 3))
    writers.write_interest_rate_file(folder, pd.Series([0.0], index=pd.DatetimeIndex([pd.Timestamp("2020-01-03")])))
    return folder


def test_daily_margin_call_orders_wait_for_the_next_bar_and_repeat_until_it_comes(daily_with_hourly_benchmark,
                                                                                  tmp_path):
    """Daily data: the market-on-open buy of 300 fills at 100 with the Jan 7 bar (close 85), at 16:00 when the
    exchange is closed, so only the warning comes. The benchmark's hourly slices on Jan 8 find the exchange open:
    a margin call of -42 (the numbers of the hourly test) at 10:00. Its price is stale and daily, so it waits
    (EquityFillModel.MarketFill); the model does not look at open orders, so each hourly check to 15:00 issues
    the same order again. All six fill at the Jan 8 close, 80, when that bar arrives."""

    class Daily(Leveraged):
        def initialize(self):
            self.set_start_date(2020, 1, 6)
            self.set_end_date(2020, 1, 9)
            self.set_cash(10_000)
            self.xyz = self.add_equity("XYZ", Resolution.DAILY, leverage=4).symbol
            self.warnings, self.calls, self.events = [], [], []

    algo = Daily()
    result = _run(algo, daily_with_hourly_benchmark, tmp_path)
    assert result.status == "Completed", result.error
    assert (result.orders[0]["type"], result.orders[0]["price"]) == ("MARKET_ON_OPEN", 100.0)
    assert datetime(2020, 1, 7, 16) in algo.warnings
    assert [c[0] for c in algo.calls] == [datetime(2020, 1, 8, h) for h in range(10, 16)]
    calls = result.orders[1:]
    assert [(o["quantity"], o["tag"], o["price"], o["lastFillTime"]) for o in calls] == \
        [(-42, "Margin Call", 80.0, "2020-01-08T16:00:00")] * 6
    assert algo.portfolio["XYZ"].quantity == 300 - 6 * 42


@pytest.mark.leandata
def test_minute_history_has_lean_quote_and_trade_columns(lean_data, tmp_path):
    """Common/Python/PandasData.cs flattens QuoteBar.Bid/Ask (and their last sizes) next to the TradeBar."""

    class Minute(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 8)
            self.set_end_date(2013, 10, 8)
            spy = self.add_equity("SPY").symbol
            self.minute = self.history(spy, 3, Resolution.MINUTE)
            self.daily = self.history(spy, 2, Resolution.DAILY)

    algo = Minute()
    run_algorithm(algo, lean_data, tmp_path / "storage", {})
    assert list(algo.minute.columns) == ["askclose", "askhigh", "asklow", "askopen", "asksize", "bidclose",
                                         "bidhigh", "bidlow", "bidopen", "bidsize", "close", "high", "low", "open",
                                         "volume"]
    times = algo.minute.index.get_level_values("time")
    assert list(times) == [pd.Timestamp(f"2013-10-07 15:{m}") for m in ("58", "59")] + \
        [pd.Timestamp("2013-10-07 16:00")]
    assert (algo.minute["askclose"] >= algo.minute["bidclose"]).all()
    # at midnight the day has not closed: the two sessions before it
    assert [t.date() for t in algo.daily.index.get_level_values("time")] == [date(2013, 10, 4), date(2013, 10, 7)]


def test_order_without_buying_power_is_invalid_at_submission_and_counted(leveraged, tmp_path):
    """BrokerageTransactionHandler: AddOrder counts the order, HandleSubmitOrderRequest invalidates it when the
    initial margin (1000 x 100 / 4 + fee) exceeds the margin remaining (10,000); it is never submitted."""

    class TooBig(Leveraged):
        def on_data(self, data):
            if not self.transactions.orders_count:
                self.ticket = self.market_order(self.xyz, 1000)

    algo = TooBig()
    result = _run(algo, leveraged, tmp_path)
    assert algo.ticket.status == OrderStatus.INVALID
    assert [e[1] for e in algo.events] == [OrderStatus.INVALID]
    assert result.statistics["Total Orders"] == "1" and algo.portfolio["XYZ"].quantity == 0


class _LiquidateRegression(QCAlgorithm):
    """LEAN's LiquidateRegressionAlgorithm: at midnight of Jan 5 and Jan 8, 2018, an IBM market order (market-on-
    open, the exchange is closed) and limit orders on IBM and SPY, then the liquidation under test."""

    def initialize(self):
        self.set_start_date(2018, 1, 4)
        self.set_end_date(2018, 1, 10)
        self.spy = self.add_equity("SPY", Resolution.DAILY).symbol
        self.ibm = self.add_equity("IBM", Resolution.DAILY).symbol
        for day in (5, 8):
            self.schedule.on(self.date_rules.on(2018, 1, day), self.time_rules.midnight, self.rebalance)

    def rebalance(self):
        self.market_order(self.ibm, 10)
        self.limit_order(self.ibm, 1, self.securities[self.ibm].price - 5)
        self.liquidation()

    def liquidation(self):
        self.limit_order(self.spy, 1, self.securities[self.spy].price - 5)
        self.liquidate()


class _LiquidateAllExceptSpy(_LiquidateRegression):
    """LEAN's LiquidateAllExceptSpecifiedSymbolRegressionAlgorithm: set_holdings(SPY, 1, True, tag=...)."""

    def liquidation(self):
        self.set_holdings(self.spy, 1, True, tag="LiquidatedTest")


_NO_TRADES = {"Total Orders": "6", "Compounding Annual Return": "0%", "Drawdown": "0%", "End Equity": "100000",
              "Net Profit": "0%", "Sharpe Ratio": "0", "Probabilistic Sharpe Ratio": "0%", "Alpha": "0", "Beta": "0",
              "Information Ratio": "-10.398", "Tracking Error": "0.045", "Total Fees": "$0.00",
              "Portfolio Turnover": "0%"}
_ALL_BUT_SPY = {"Total Orders": "5", "Compounding Annual Return": "36.497%", "Drawdown": "0.200%",
                "End Equity": "100569.90", "Net Profit": "0.570%", "Sharpe Ratio": "9.031",
                "Probabilistic Sharpe Ratio": "84.014%", "Alpha": "-0.003", "Beta": "0.559",
                "Annual Standard Deviation": "0.028", "Annual Variance": "0.001", "Information Ratio": "-8.867",
                "Tracking Error": "0.023", "Treynor Ratio": "0.447", "Total Fees": "$1.95",
                "Portfolio Turnover": "14.23%", "Start Equity": "100000"}


@pytest.mark.leandata
@pytest.mark.parametrize(("algorithm", "expected", "cancelled", "tag"), [
    (_LiquidateRegression, _NO_TRADES, 6, "Liquidated"), (_LiquidateAllExceptSpy, _ALL_BUT_SPY, 4, "LiquidatedTest")])
def test_lean_liquidate_regressions(lean_data, tmp_path, algorithm, expected, cancelled, tag):
    """Nothing is held when liquidate runs, so it only cancels (the market-on-open order too) and orders nothing;
    the statistics are LEAN's (Algorithm.CSharp/Liquidate*RegressionAlgorithm.cs)."""
    result = run_algorithm(algorithm(), lean_data, tmp_path / "storage", {})
    assert result.status == "Completed", result.error
    assert {k: result.statistics[k] for k in expected} == expected
    assert sum(o["status"] == "CANCELED" for o in result.orders) == cancelled
    assert all(o["tag"] == tag for o in result.orders if o["status"] == "CANCELED")


def test_leverage_below_one_is_an_error_and_zero_means_the_default(leveraged, tmp_path):
    """Common/Securities/BuyingPowerModel.cs SetLeverage rejects leverage < 1; add_equity's 0 is NullLeverage."""

    class Low(QCAlgorithm):
        def initialize(self):
            self.set_start_date(DAY1)
            self.set_end_date(DAY2)
            security = self.add_equity("XYZ", Resolution.HOUR, leverage=0)
            self.default = security.leverage
            security.set_leverage(0.5)

    algo = Low()
    result = _run(algo, leveraged, tmp_path)
    assert result.status == "RuntimeError" and "Leverage must be greater than or equal to 1" in result.error
    assert algo.default == 2.0
