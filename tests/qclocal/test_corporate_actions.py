"""Corporate actions as LEAN emits and applies them, on a crafted market. Expected values follow LEAN's code:
SplitEventProvider / DividendEventProvider / MappingEventProvider / DelistingEventProvider (events at 00:00 of the
tradable date), SecurityPortfolioManager.ApplySplit / ApplyDividend, DefaultBrokerageModel.ApplySplit (open
orders), BrokerageTransactionHandler.HandleDelistingNotification (liquidation at the last price, no fee)."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import calendars, sid, writers
from qclocal.engine.algorithm import QCAlgorithm
from qclocal.engine.corporate import DelistingType, SplitType
from qclocal.engine.enums import DataNormalizationMode, OrderStatus, Resolution
from qclocal.engine.runner import run_algorithm

START, END = date(2020, 1, 2), date(2020, 3, 31)
SESSIONS = pd.DatetimeIndex(calendars.session_dates(START, END))
SPLIT_AT, DIVIDEND_AT, RENAME_AFTER, DELIST_AT = 30, 20, 39, 49   # session indexes
SF = 2 / 3   # a 3-for-2 split: 150 before, 100 after


def _bars(closes: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1e6},
                        index=SESSIONS[: len(closes)])


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corporate")
    n, far = len(SESSIONS), pd.Timestamp("2050-12-31")
    writers.write_equity_bars(folder, "SPY", _bars(np.full(n, 100.0)))
    # CCC: a 3-for-2 split effective on SESSIONS[SPLIT_AT] (factor-file row on the session before)
    writers.write_equity_bars(folder, "CCC", _bars(np.where(np.arange(n) < SPLIT_AT, 150.0, 100.0)))
    writers.write_factor_file(folder, "CCC", pd.DataFrame(
        {"price_factor": [1.0, 1.0], "split_factor": [SF, 1.0], "reference_price": [150.0, 0.0]},
        index=pd.DatetimeIndex([SESSIONS[SPLIT_AT - 1], far])))
    # DDD: a 2% price-factor step, a $2.00 dividend going ex on SESSIONS[DIVIDEND_AT]
    writers.write_equity_bars(folder, "DDD", _bars(np.full(n, 100.0)))
    writers.write_factor_file(folder, "DDD", pd.DataFrame(
        {"price_factor": [0.98, 1.0], "split_factor": [1.0, 1.0], "reference_price": [100.0, 0.0]},
        index=pd.DatetimeIndex([SESSIONS[DIVIDEND_AT - 1], far])))
    # NEW traded as OLD up to SESSIONS[RENAME_AFTER]; each file holds its own ticker's dates
    writers.write_equity_bars(folder, "OLD", _bars(np.full(RENAME_AFTER + 1, 40.0)))
    writers.write_equity_bars(folder, "NEW", _bars(np.full(n, 41.0)).iloc[RENAME_AFTER + 1:])
    (folder / "equity/usa/map_files").mkdir(parents=True, exist_ok=True)
    (folder / "equity/usa/map_files/new.csv").write_text(
        f"{SESSIONS[0]:%Y%m%d},old,Q\n{SESSIONS[RENAME_AFTER]:%Y%m%d},old,Q\n{far:%Y%m%d},new,Q\n")
    # DEL: delisted after SESSIONS[DELIST_AT]
    writers.write_equity_bars(folder, "DEL", _bars(20.0 + np.arange(DELIST_AT + 1)))
    writers.write_map_file(folder, "DEL", SESSIONS[0].date(), SESSIONS[DELIST_AT].date())
    for t in ("SPY", "CCC", "DDD"):
        writers.write_map_file(folder, t, SESSIONS[0].date())
    writers.write_interest_rate_file(folder, pd.Series([1.0], index=pd.DatetimeIndex([SESSIONS[0]])))
    return folder


class Recorder(QCAlgorithm):
    """Buys ``quantity`` of ``ticker`` on the first bar; records every corporate event and order event."""

    ticker, quantity, mode = "CCC", 101, DataNormalizationMode.RAW
    limit = None   # (quantity, price): also rest a limit order that never fills before the event

    def initialize(self):
        self.set_start_date(START)
        self.set_end_date(END)
        self.set_cash(100_000)
        self.sec = self.add_equity(self.ticker, Resolution.DAILY, data_normalization_mode=self.mode)
        self.seen: list[tuple[datetime, str, object]] = []
        self.order_events = []
        self.changes = []
        self.snapshots: dict[datetime, tuple[float, float, float, float]] = {}

    def on_data(self, data):
        for name in ("splits", "dividends", "delistings", "symbol_changed_events"):
            for event in getattr(data, name).values():
                self.seen.append((self.time, name, event))
        h = self.sec.holdings
        self.snapshots[self.time] = (h.quantity, h.average_price, self.portfolio.cash, self.sec.price)
        if not self.transactions.orders_count and data.bars.contains_key(self.sec.symbol):
            self.market_order(self.sec.symbol, self.quantity)
            if self.limit:
                self.limit_order(self.sec.symbol, *self.limit)

    def on_order_event(self, order_event):
        self.order_events.append(order_event)

    def on_securities_changed(self, changes):
        self.changes.append((self.time, changes))


def _run(cls, market: Path, tmp_path: Path) -> Recorder:
    algo = cls()
    result = run_algorithm(algo, market, tmp_path / "storage")
    assert result.status == "Completed", result.error
    return algo


def _at(i: int) -> datetime:
    return datetime.combine(SESSIONS[i].date(), datetime.min.time())


def test_raw_split_warning_then_split_adjusts_holdings_cash_and_open_orders(market, tmp_path):
    class Algo(Recorder):
        limit = (-9, 160.0)   # a sell limit above the market: still open at the split
    algo = _run(Algo, market, tmp_path)
    splits = [(t, e) for t, name, e in algo.seen if name == "splits"]
    (t_warn, warn), (t_split, split) = splits
    assert (t_warn, warn.type, warn.reference_price) == (_at(SPLIT_AT - 1), SplitType.WARNING, 150.0)
    assert (t_split, split.type, split.reference_price) == (_at(SPLIT_AT), SplitType.SPLIT_OCCURRED, 150.0)
    factor = split.split_factor
    assert factor == pytest.approx(SF, abs=1e-7)
    # ApplySplit: quantity / factor truncated, average price x factor, the fraction paid at the split price
    before = algo.snapshots[_at(SPLIT_AT - 1) .replace(hour=16)]
    after = algo.snapshots[_at(SPLIT_AT)]
    whole = math.trunc(101 / factor)
    assert after[0] == whole == 151
    assert after[1] == pytest.approx(before[1] * factor)
    assert after[3] == pytest.approx(150.0 * factor)
    assert after[2] - before[2] == pytest.approx((101 / factor - whole) * 150.0 * factor)
    # DefaultBrokerageModel.ApplySplit: the open sell limit keeps its notional value
    limit = algo.transactions.get_order_by_id(2)
    assert (limit.quantity, limit.limit_price) == (math.trunc(-9 / factor), pytest.approx(160.0 * factor))
    assert limit.status == OrderStatus.UPDATE_SUBMITTED
    assert any(e.order_id == 2 and e.status == OrderStatus.UPDATE_SUBMITTED for e in algo.order_events)


def test_adjusted_mode_sees_the_split_events_but_keeps_holdings_and_orders(market, tmp_path):
    class Algo(Recorder):
        mode, limit = DataNormalizationMode.ADJUSTED, (-9, 160.0 * SF)
    algo = _run(Algo, market, tmp_path)
    assert [e.type for _, name, e in algo.seen if name == "splits"] == [SplitType.WARNING, SplitType.SPLIT_OCCURRED]
    assert algo.sec.holdings.quantity == 101
    assert algo.transactions.get_order_by_id(2).quantity == -9


def test_dividend_is_cash_in_raw_mode_only_and_total_return_adds_it_to_prices(market, tmp_path):
    results = {}
    for mode in (DataNormalizationMode.RAW, DataNormalizationMode.ADJUSTED, DataNormalizationMode.TOTAL_RETURN):
        class Algo(Recorder):
            ticker, quantity = "DDD", 100
        Algo.mode = mode
        algo = _run(Algo, market, tmp_path / mode.name)
        (t, dividend), = [(t, e) for t, name, e in algo.seen if name == "dividends"]
        assert t == _at(DIVIDEND_AT) and dividend.distribution == 2.0 and dividend.reference_price == 100.0
        cash = [algo.snapshots[_at(DIVIDEND_AT)][2], algo.snapshots[_at(DIVIDEND_AT - 1).replace(hour=16)][2]]
        results[mode] = (cash[0] - cash[1], algo.snapshots[_at(DIVIDEND_AT).replace(hour=16)][3],
                         algo.snapshots[_at(DIVIDEND_AT - 1).replace(hour=16)][3])
    assert results[DataNormalizationMode.RAW] == (pytest.approx(200.0), 100.0, 100.0)
    assert results[DataNormalizationMode.ADJUSTED][0] == 0 and results[DataNormalizationMode.ADJUSTED][2] == 98.0
    # TotalReturn: split-adjusted price plus the sum of dividends the subscription has emitted
    assert results[DataNormalizationMode.TOTAL_RETURN] == (0, 102.0, 100.0)


def test_rename_reads_each_file_in_turn_keeps_the_sid_and_cancels_open_orders(market, tmp_path):
    class Algo(Recorder):
        ticker, quantity, mode, limit = "NEW", 10, DataNormalizationMode.ADJUSTED, (10, 1.0)
    algo = _run(Algo, market, tmp_path)
    assert algo.sec.symbol.id == sid.equity_sid("OLD", SESSIONS[0].date())   # resolved through the map file
    (t, change), = [(t, e) for t, name, e in algo.seen if name == "symbol_changed_events"]
    assert (t, change.old_symbol, change.new_symbol) == (_at(RENAME_AFTER + 1), "OLD", "NEW")
    prices = {k: v[3] for k, v in algo.snapshots.items() if k.hour == 16}
    assert prices[_at(RENAME_AFTER).replace(hour=16)] == 40.0 and prices[_at(RENAME_AFTER + 1).replace(hour=16)] == 41.0
    limit = algo.transactions.get_order_by_id(2)
    assert limit.status == OrderStatus.CANCELED and limit.tag == "Open order cancelled on symbol changed event"


def test_delisting_warns_then_liquidates_at_the_last_price_without_fee(market, tmp_path):
    class Algo(Recorder):
        ticker, quantity, mode = "DEL", 10, DataNormalizationMode.ADJUSTED
    algo = _run(Algo, market, tmp_path)
    delistings = [(t, e.type) for t, name, e in algo.seen if name == "delistings"]
    assert delistings == [(_at(DELIST_AT), DelistingType.WARNING), (_at(DELIST_AT + 1), DelistingType.DELISTED)]
    liquidation = algo.transactions.get_order_by_id(2)
    assert (liquidation.quantity, liquidation.price, liquidation.fee, liquidation.tag) == \
        (-10, 20.0 + DELIST_AT, 0.0, "Liquidate from delisting")
    assert [(t, [s.symbol.value for s in c.removed_securities]) for t, c in algo.changes] == \
        [(_at(DELIST_AT + 1), ["DEL"])]
    assert max(algo.snapshots) == _at(DELIST_AT + 1)   # no data after the delisting
    assert not algo.sec.is_tradable and algo.sec.holdings.quantity == 0


@pytest.mark.parametrize("mode", [DataNormalizationMode.SCALED_RAW, DataNormalizationMode.BACKWARDS_RATIO])
def test_a_mode_qclocal_does_not_implement_raises_naming_it(market, tmp_path, mode):
    class Algo(Recorder):
        pass
    Algo.mode = mode
    result = run_algorithm(Algo(), market, tmp_path / "storage")
    assert result.status == "RuntimeError" and f"DataNormalizationMode.{mode.name}" in result.error
    assert "NotImplementedError" in result.error


def test_history_takes_the_mode_asked_for_and_sums_dividends_from_its_own_start(market, tmp_path):
    class Algo(Recorder):
        ticker, quantity = "DDD", 1

        def on_end_of_algorithm(self):
            frames = {mode: self.history(self.sec.symbol, datetime(2020, 1, 2), datetime(2020, 3, 1),
                                         data_normalization_mode=mode)["close"].droplevel(0)
                      for mode in (DataNormalizationMode.RAW, DataNormalizationMode.TOTAL_RETURN)}
            self.closes = {mode.name: (f.iloc[DIVIDEND_AT - 1], f.iloc[DIVIDEND_AT]) for mode, f in frames.items()}
            self.history(self.sec.symbol, 5, data_normalization_mode=DataNormalizationMode.SCALED_RAW)
    algo = Algo()
    result = run_algorithm(algo, market, tmp_path / "storage")
    assert algo.closes == {"RAW": (100.0, 100.0), "TOTAL_RETURN": (100.0, 102.0)}
    assert result.status == "RuntimeError" and "DataNormalizationMode.SCALED_RAW" in result.error
