"""Rules on crafted paths: regime switch, stop loss, time stop, entries, ADV cap, universe; and the research
backtest's LEAN-style fills (decide at the close, fill at the next open)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models import russell_qpi as q

RULES = q.Rules()


def test_regime_switches_on_a_vix_spike_and_changes_the_allocation():
    vix = pd.Series([20.0] * 15 + [24.0, 20.0], index=pd.bdate_range("2020-01-01", periods=17))
    bear = q.regime(vix, RULES)
    # day 16: SMA15 = (14 * 20 + 24) / 15 = 20.27, threshold 23.31 < 24 -> bear; the next day's 20 is calm again
    assert not bear.iloc[:15].any() and bear.iloc[15] and not bear.iloc[16]
    assert q.is_bear(24.0, (14 * 20 + 24) / 15, RULES) and not q.is_bear(23.0, (14 * 20 + 23) / 15, RULES)
    assert q.exposure(False, RULES) == (1.1, 0.2) and q.exposure(True, RULES) == (0.1, 0.2)
    assert q.target_weight("long", False, RULES) == pytest.approx(1.1 / 20)
    assert q.target_weight("long", True, RULES) == pytest.approx(0.1 / 20)
    assert q.target_weight("short", True, RULES) == pytest.approx(-0.2 / 20)
    no_regime = RULES.variant("no_regime")
    assert not q.is_bear(24.0, 20.27, no_regime)
    assert q.exposure(True, RULES.variant("longs_only")) == (0.1, 0.0)


def test_stop_loss_on_the_close_against_the_entry_fill():
    book = q.Book(RULES)
    book.open("L", "long", 100.0)
    book.open("S", "short", 50.0)
    assert book.on_close({"L": 99.0, "S": 51.0}) == []
    assert book.on_close({"L": 95.01, "S": 52.4}) == []
    assert book.on_close({"L": 95.0, "S": 52.5}) == [("L", "stop"), ("S", "stop")]     # -5% long, +5% short


def test_time_stop_after_six_closes_and_no_stop_on_a_missing_price():
    book = q.Book(RULES)
    book.open("X", "long", 10.0)
    for _ in range(5):
        assert book.on_close({}) == []                       # no bar: ages, never stopped on a stale price
    assert book.on_close({"X": 10.0}) == [("X", "time")]   # the sixth close
    book.close("X")
    assert book.positions == {}


def test_entries_gate_rank_limit_and_ablations():
    qpi = pd.Series({"A": 5.0, "B": 10.0, "C": 14.0, "D": 50.0, "E": 90.0, "F": 95.0, "H": 3.0})
    p_long = pd.Series({"A": 0.55, "B": 0.7, "C": 0.65, "H": 0.9})
    p_short = pd.Series({"E": 0.61, "F": 0.59})
    longs, shorts = q.entries(qpi, p_long, p_short, held=["H"], n_long=0, n_short=0, rules=RULES)
    assert longs == ["B", "C"] and shorts == ["E"]         # P > 0.60, best first; H is already held
    longs, _ = q.entries(qpi, p_long, p_short, held=[], n_long=19, n_short=0, rules=RULES)
    assert longs == ["H"]                                   # one free slot
    longs, shorts = q.entries(qpi, None, None, held=[], n_long=0, n_short=0, rules=RULES.variant("no_gate"))
    assert longs == ["H", "A", "B", "C"] and shorts == ["F", "E"]       # most extreme QPI first
    _, shorts = q.entries(qpi, p_long, p_short, held=[], n_long=0, n_short=0, rules=RULES.variant("longs_only"))
    assert shorts == []


def test_adv_cap_and_universe_selection():
    assert q.cap_weight(0.055, adv_dollars=1e6, portfolio_value=1e6, rules=RULES) == pytest.approx(0.05)
    assert q.cap_weight(-0.01, adv_dollars=1e9, portfolio_value=1e6, rules=RULES) == pytest.approx(-0.01)
    assert q.cap_weight(0.05, adv_dollars=float("nan"), portfolio_value=1e6, rules=RULES) == 0.0
    coarse = pd.DataFrame({"ticker": ["A", "B", "C", "D", "E"], "price": [10, 0.5, 20, 30, 5],
                           "dollar_volume": [5e6, 9e9, 7e6, 7e6, 1e6],
                           "has_fundamental_data": [True, True, True, False, True]})
    small = q.Rules(universe_size=2)
    assert q.select_universe(coarse, small) == ["C", "A"]   # B under $1, D an ETF (no fundamentals)


def test_rules_from_parameters_and_errors():
    params = {"qpi-long-max": "10", "use-gate": "false", "max-long": "5"}
    rules = q.Rules.from_parameters(lambda name, default: params.get(name, default))
    assert rules.qpi_long_max == 10.0 and rules.use_gate is False and rules.max_long == 5
    with pytest.raises(ValueError, match="use-gate must be true or false"):
        q.Rules.from_parameters(lambda name, default: "maybe" if name == "use-gate" else default)
    with pytest.raises(ValueError, match="stop_loss"):
        q.Rules(stop_loss=-0.1)
    with pytest.raises(ValueError, match="unknown variant"):
        RULES.variant("shorts_only")


def _crafted(closes: list[float], opens: list[float]) -> tuple[pd.DataFrame, ...]:
    days = pd.bdate_range("2021-01-04", periods=len(closes))
    close = pd.DataFrame({"X": closes}, index=days)
    open_ = pd.DataFrame({"X": opens}, index=days)
    volume = pd.DataFrame({"X": 1e6}, index=days)
    return open_, close, volume


def test_research_backtest_fills_at_the_next_open_and_stops_out():
    # QPI is crafted: oversold on day 2 only; the price then falls 6% at day 4's close -> stop, exit at day 5's open
    closes = [100, 100, 100, 101, 94.9, 95, 96, 96]
    opens = [100, 100, 100, 102, 100, 93, 96, 96]
    open_, close, volume = _crafted(closes, opens)
    qpi = pd.DataFrame({"X": [50, 50, 10, 50, 50, 50, 50, 50]}, index=close.index, dtype=float)
    vix = pd.Series(15.0, index=close.index)
    rules = q.Rules(commission_bps=0, slippage_bps=0, adv_window=1, use_gate=False)
    result = q.backtest(open_, close, volume, qpi, None, None, vix, rules, start=close.index[0],
                        end=close.index[-1], cash=100_000)
    fills = result.fills
    assert list(fills["date"]) == [close.index[3], close.index[5]]      # next opens, never the deciding close
    assert list(fills["price"]) == [102.0, 93.0]
    assert fills["quantity"].iloc[0] == int(1.1 / 20 * 100_000 / 100)  # sized from the deciding close
    assert result.trades["reason"].tolist() == ["stop"]
    assert result.trades["pnl"].iloc[0] == pytest.approx(55 * (93 - 102))


def test_research_backtest_time_stop_and_costs():
    closes = [100.0] * 12
    open_, close, volume = _crafted(closes, closes)
    qpi = pd.DataFrame({"X": [50, 10] + [50] * 10}, index=close.index, dtype=float)
    vix = pd.Series(15.0, index=close.index)
    rules = q.Rules(use_gate=False, adv_window=1)
    result = q.backtest(open_, close, volume, qpi, None, None, vix, rules, start=close.index[0],
                        end=close.index[-1], cash=100_000)
    entry, exit_ = result.fills["date"]
    assert entry == close.index[2] and exit_ == close.index[8]          # six closes held (days 2..7)
    assert result.trades["reason"].tolist() == ["time"]
    traded = result.fills["value"].sum()
    # a flat price loses exactly the costs: 10 bps slippage + 5 bps commission each way
    assert result.equity.iloc[-1] == pytest.approx(100_000 - traded * 0.0005 - 55 * 100 * 0.001 * 2, rel=1e-9)
    assert np.isfinite(result.stats["turnover"])
