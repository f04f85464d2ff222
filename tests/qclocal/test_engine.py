"""Engine behaviour on small crafted markets: leverage and margin, fees and slippage, margin interest,
RAW-mode dividends, close-only data, scheduling, bad input. Expected numbers are computed by hand."""

from __future__ import annotations

import gc
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import calendars, writers
from qclocal.engine.algorithm import QCAlgorithm
from qclocal.engine.enums import DataNormalizationMode, OrderStatus, OrderType, Resolution
from qclocal.engine.orders import ConstantSlippageModel
from qclocal.engine.runner import run_algorithm

START, END = date(2020, 1, 2), date(2020, 3, 31)


def _bars(closes: np.ndarray, sessions: pd.DatetimeIndex, volume: float = 1e6) -> pd.DataFrame:
    return pd.DataFrame({"open": closes, "high": closes * 1.01, "low": closes * 0.99, "close": closes,
                         "volume": volume}, index=sessions)


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Path:
    """SPY flat at 100 then 110; AAA rising 1/day; BBB with a 2% price-factor step (a $2 dividend)."""
    folder = tmp_path_factory.mktemp("market")
    sessions = pd.DatetimeIndex(calendars.session_dates(START, END))
    n = len(sessions)
    spy = np.where(np.arange(n) < n // 2, 100.0, 110.0)
    writers.write_equity_bars(folder, "SPY", _bars(spy, sessions))
    writers.write_equity_bars(folder, "AAA", _bars(50.0 + np.arange(n), sessions))
    writers.write_equity_bars(folder, "BBB", _bars(np.full(n, 100.0), sessions))
    ex = sessions[20]
    factors = pd.DataFrame({"price_factor": [0.98, 1.0], "split_factor": [1.0, 1.0],
                            "reference_price": [100.0, 0.0]},
                           index=pd.DatetimeIndex([sessions[19], pd.Timestamp("2050-12-31")]))
    writers.write_factor_file(folder, "BBB", factors)
    for t in ("SPY", "AAA", "BBB"):
        writers.write_map_file(folder, t, sessions[0].date())
    writers.write_interest_rate_file(folder, pd.Series([1.0], index=pd.DatetimeIndex([sessions[0]])))
    (folder / "ex_date.txt").write_text(str(ex.date()))
    return folder


def _run(algo: QCAlgorithm, market: Path, tmp_path: Path, **params):
    result = run_algorithm(algo, market, tmp_path / "storage", {k: str(v) for k, v in params.items()})
    return result


class BuyOnce(QCAlgorithm):
    ticker, weight, leverage, mode = "AAA", 1.0, 0.0, None

    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 3, 31)
        self.set_cash(100_000)
        self.sec = self.add_equity(self.ticker, Resolution.DAILY, leverage=self.leverage,
                                   data_normalization_mode=self.mode)

    def on_data(self, data):
        if not self.portfolio.invested and not self.transactions.get_open_orders():
            self.set_holdings(self.ticker, self.weight)


def test_leverage_four_allows_a_three_times_position(market, tmp_path):
    algo = type("Lev", (BuyOnce,), {"weight": 3.0, "leverage": 4.0})()
    result = _run(algo, market, tmp_path)
    order = result.orders[0]
    assert order["status"] == "FILLED"
    # sized off the first close (50) with the 0.25% buffer: 3 x 0.9975 x 100000 / 50 = 5985 shares minus fee
    assert order["quantity"] == pytest.approx(5984, abs=1)
    # the default leverage (2) cannot hold 3x: LEAN rejects it at fill time for buying power
    algo2 = type("Lev2", (BuyOnce,), {"weight": 3.0})()
    result2 = _run(algo2, market, tmp_path / "b")
    assert result2.orders[0]["status"] == "INVALID"


def test_interactive_brokers_fee_and_constant_slippage(market, tmp_path):
    class Slipped(BuyOnce):
        def initialize(self):
            super().initialize()
            self.sec.set_slippage_model(ConstantSlippageModel(0.01))

    result = _run(Slipped(), market, tmp_path)
    order = result.orders[0]
    # market-on-open at the next open (51), plus 1% of the price used for slippage (51 x 0.01)
    assert order["type"] == OrderType.MARKET_ON_OPEN.name
    assert order["price"] == pytest.approx(51 * 1.01)
    assert order["fee"] == pytest.approx(max(1.0, 0.005 * order["quantity"]))


def test_margin_interest_model_is_charged_daily_on_borrowed_cash(market, tmp_path):
    class Interest:
        def __init__(self):
            self.charged: list = []
            self.last = None

        def apply_margin_interest_rate(self, parameters):
            day = parameters.time.date()
            holdings = parameters.security.holdings
            cash = parameters.security.quote_currency
            if day == self.last or not holdings.invested:
                return
            self.last = day
            borrowed = max(holdings.holdings_value - (cash.amount + holdings.holdings_value), 0.0)
            if borrowed:
                charge = borrowed * 0.05 / 360
                cash.add_amount(-charge)
                self.charged.append(charge)

    model = Interest()

    class Financed(BuyOnce):
        weight, leverage = 2.0, 4.0

        def initialize(self):
            super().initialize()
            self.sec.set_margin_interest_rate_model(model)

    result = _run(Financed(), market, tmp_path)
    assert result.status == "Completed", result.error
    assert len(model.charged) > 40 and all(c > 0 for c in model.charged)
    # 2x: about 100k borrowed, 5%/360 a day
    assert model.charged[0] == pytest.approx(100_000 * 0.05 / 360, rel=0.05)


def test_raw_mode_pays_the_factor_file_dividend_adjusted_mode_does_not(market, tmp_path):
    ex = date.fromisoformat((market / "ex_date.txt").read_text())

    class Holder(BuyOnce):
        ticker, weight = "BBB", 0.5

        def on_end_of_algorithm(self):
            self.cash_at_end = self.portfolio.cash

    raw = type("Raw", (Holder,), {"mode": DataNormalizationMode.RAW})()
    adj = type("Adj", (Holder,), {"mode": DataNormalizationMode.ADJUSTED})()
    r_raw, r_adj = _run(raw, market, tmp_path / "r"), _run(adj, market, tmp_path / "a")
    qty = raw.portfolio["BBB"].quantity
    fee = r_raw.orders[0]["fee"]
    assert raw.cash_at_end == pytest.approx(100_000 - qty * 100 - fee + qty * 2.0)  # 100 x (1 - 0.98) = $2
    assert raw.time.date() >= ex
    assert adj.cash_at_end == pytest.approx(100_000 - r_adj.orders[0]["quantity"] * r_adj.orders[0]["price"]
                                            - r_adj.orders[0]["fee"])


def test_close_only_volume_is_an_error_not_zero(market, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for item in market.iterdir():
        (folder / item.name).symlink_to(item)
    (folder / "qclocal").mkdir()
    (folder / "qclocal" / "import-manifest.json").write_text(json.dumps({"equity": {"AAA": {"kind": "close"}}}))

    class ReadsVolume(BuyOnce):
        def on_data(self, data):
            self.seen = data["AAA"].volume

    result = run_algorithm(ReadsVolume(), folder, tmp_path / "s", {})
    assert result.status == "RuntimeError"
    assert "close-only" in result.error and "qclocal data import" in result.error


def test_missing_ticker_names_the_file_and_the_command(market, tmp_path):
    algo = type("Missing", (BuyOnce,), {"ticker": "ZZZ"})()
    result = _run(algo, market, tmp_path)
    assert result.status == "RuntimeError"
    assert "zzz.zip" in result.error and "qclocal data" in result.error


def test_schedule_month_start_and_train_run_in_order(market, tmp_path):
    class Scheduled(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 3, 31)
            self.add_equity("SPY", Resolution.DAILY)
            self.calls: list = []
            self.schedule.on(self.date_rules.month_start("SPY"), self.time_rules.after_market_open("SPY", 30),
                             lambda: self.calls.append(self.time))
            self.train(lambda: self.calls.append("trained"))

    algo = Scheduled()
    result = _run(algo, market, tmp_path)
    assert result.status == "Completed", result.error
    assert algo.calls[0] == "trained"
    assert [t.date() for t in algo.calls[1:]] == [date(2020, 1, 2), date(2020, 2, 3), date(2020, 3, 2)]
    assert all(t.hour == 10 and t.minute == 0 for t in algo.calls[1:])


def test_market_order_from_a_scheduled_event_on_daily_data_is_market_on_close(market, tmp_path):
    class AtTen(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 10)
            self.add_equity("AAA", Resolution.DAILY)
            self.schedule.on(self.date_rules.on(2020, 1, 6), self.time_rules.at(10, 0),
                             lambda: self.market_order("AAA", 10))

    result = _run(AtTen(), market, tmp_path)
    order = result.orders[0]
    assert order["type"] == OrderType.MARKET_ON_CLOSE.name and order["status"] == OrderStatus.FILLED.name
    assert order["lastFillTime"].startswith("2020-01-06T16:00")
    assert order["price"] == pytest.approx(50 + 2)  # the 2020-01-06 close (third session)


def test_history_excludes_the_future_and_counts_bars(market, tmp_path):
    seen = {}

    class Hist(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 2, 3)
            self.set_end_date(2020, 2, 7)
            self.add_equity("AAA", Resolution.DAILY)

        def on_data(self, data):
            if not seen:
                frame = self.history("AAA", 5)
                seen["times"] = list(frame.loc["AAA"].index)
                seen["now"] = self.time

    _run(Hist(), market, tmp_path)
    assert len(seen["times"]) == 5
    assert max(seen["times"]) <= seen["now"]
    assert seen["times"][-1] == seen["now"]  # the bar that just closed is included


def test_unparseable_parameter_returns_the_default_with_a_warning(market, tmp_path):
    """LEAN's ``GetParameter(name, int)`` is ``int.TryParse(value, out v) ? v : default`` (Algorithm/QCAlgorithm.cs):
    a value that does not parse gives the default, silently. qclocal also logs a warning naming both."""
    class Param(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 3)
            self.top = self.get_parameter("top-n", 4)
            self.text = self.get_parameter("top-n")

    algo = Param()
    result = _run(algo, market, tmp_path, **{"top-n": "four"})
    assert result.status == "Completed" and (algo.top, algo.text) == (4, "four")
    assert any("'top-n'" in line and "'four'" in line for line in result.logs)


def test_unimplemented_member_raises_naming_it(market, tmp_path):
    class Pascal(QCAlgorithm):
        def initialize(self):
            self.SetStartDate(2020, 1, 2)

    result = _run(Pascal(), market, tmp_path)
    assert "QCAlgorithm.SetStartDate is not implemented in qclocal" in result.error
    assert "set_start_date" in result.error


class WatchesTheCollector(BuyOnce):
    def on_data(self, data):
        self.frozen_during_run, self.threshold_during_run = gc.get_freeze_count(), gc.get_threshold()
        super().on_data(data)


def test_the_collector_is_tuned_for_the_run_only(market, tmp_path):
    gc.unfreeze()
    threshold = gc.get_threshold()
    algo = WatchesTheCollector()
    assert _run(algo, market, tmp_path).status == "Completed"
    assert algo.frozen_during_run > 0 and gc.get_freeze_count() == 0 and gc.isenabled()
    assert algo.threshold_during_run[0] >= 10_000 and gc.get_threshold() == threshold
    # a host process that froze objects itself keeps them frozen, and the engine leaves its freeze alone
    host = [object() for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        algo = WatchesTheCollector()
        assert _run(algo, market, tmp_path).status == "Completed"
        assert algo.frozen_during_run <= frozen and 0 < gc.get_freeze_count() <= frozen  # (frozen objects may die)
    finally:
        gc.unfreeze()
    del host
