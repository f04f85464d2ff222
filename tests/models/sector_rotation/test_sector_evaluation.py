"""The source's metrics, LEAN's fee model, and the research backtest's fills, cash buffer and margin cost."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from models.sector_rotation import backtest, metrics
from models.sector_rotation.evaluation import FREE_CASH, ib_fee, order_quantity


def test_source_metrics_on_hand_computed_returns():
    r = pd.Series([0.10, -0.05, 0.02, -0.01] * 3)            # 12 months
    m = metrics(r)
    growth = (1.10 * 0.95 * 1.02 * 0.99) ** 3
    assert m["cagr"] == pytest.approx(growth - 1)           # one year
    assert m["sd"] == pytest.approx(r.std() * math.sqrt(12))
    downside = r[r < 0].std() * math.sqrt(12)                # std of the negative months only (the source's)
    assert m["sortino"] == pytest.approx((growth - 1) / downside)
    assert m["growth_of_100"] == pytest.approx(100 * growth)
    assert m["max_drawdown"] == pytest.approx(-0.05)


def test_interactive_brokers_fee():
    assert ib_fee(10, 50.0) == 1.0                            # minimum $1
    assert ib_fee(1000, 50.0) == pytest.approx(5.0)           # $0.005 a share
    assert ib_fee(-1000, 0.5) == pytest.approx(2.5)           # at most 0.5% of the value


def _closes():
    days = pd.bdate_range("2020-01-01", "2020-03-31")
    a = pd.Series(100.0, index=days)
    a[days >= "2020-02-10"] = 110.0
    return pd.DataFrame({"A": a, "B": 50.0})


def test_fills_at_the_decision_close_with_whole_shares_fees_and_cash_buffer():
    closes = _closes()
    weights = pd.DataFrame({"A": [1.0, 0.0], "B": [0.0, 1.0]}, index=pd.to_datetime(["2020-01-01", "2020-02-03"]))
    result = backtest(weights, closes, cash=10_000)
    shares_a = math.floor(10_000 * (1 - FREE_CASH) / 100)    # 99 shares at 100 on 2020-01-01's close
    assert result.equity["2020-01-31"] == pytest.approx(10_000 - ib_fee(shares_a, 100))
    # A rises 10% on 2020-02-10, after it was sold on 2020-02-03: the gain is not earned
    assert result.equity["2020-03-31"] == pytest.approx(result.equity["2020-02-03"])
    assert result.fees == pytest.approx(3.0)


def test_margin_leverage_pays_interest_on_borrowed_cash():
    closes = _closes()
    weights = pd.DataFrame({"A": [0.0], "B": [2.0]}, index=pd.to_datetime(["2020-01-01"]))
    free = backtest(weights, closes, cash=10_000)
    paid = backtest(weights, closes, cash=10_000, margin_rate=0.10)
    shares = math.floor(2 * 10_000 * (1 - FREE_CASH) / 50)
    borrowed = shares * 50 + ib_fee(shares, 50) - 10_000
    days = (closes.index[-1] - closes.index[0]).days
    # simple interest on the borrowed amount, to within the daily compounding
    assert free.equity.iloc[-1] - paid.equity.iloc[-1] == pytest.approx(borrowed * 0.10 * days / 365, rel=0.02)
    with pytest.raises(ValueError, match="no prices"):
        backtest(weights.rename(columns={"B": "C"}), closes)


def test_orders_are_sized_from_the_last_close_known_at_the_decision_and_fill_at_its_close():
    days = pd.bdate_range("2020-01-01", "2020-03-31")
    a = pd.Series(100.0, index=days)
    a[days >= "2020-02-03"] = 110.0                          # the decision day's close jumps
    a[days >= "2020-03-02"] = 120.0
    closes = pd.DataFrame({"A": a})
    result = backtest(pd.DataFrame({"A": [1.0]}, index=pd.to_datetime(["2020-02-03"])), closes, cash=10_000)
    # set_holdings at 10:00 sees 2020-01-31's close (100): 99 shares, filled at the close (110) on margin
    assert order_quantity(1.0, 10_000, 0, 100.0) == 99
    assert result.equity["2020-02-03"] == pytest.approx(10_000 - ib_fee(99, 110))
    assert result.equity["2020-03-31"] == pytest.approx(10_000 - ib_fee(99, 110) + 99 * 10)
    # LEAN's buying-power sizing nets the fee: at a price where the fee tips the target, one share fewer
    assert order_quantity(1.0, 10_000, 0, 9975 / 50) == 49 and order_quantity(1.0, 1_000, 0, 10.0) == 99
    assert order_quantity(0.0, 10_000, 30, 100.0) == -30   # a zero target closes the position
    # a change whose margin (half its value at leverage 2) is under 0.1% of the portfolio is skipped: here 0.15%
    assert order_quantity(0.49975, 10_000, 50, 100.0) == 0
    assert order_quantity(0.49975, 10_000, 50, 100.0, leverage=1.0) == -1
    assert order_quantity(0.49, 10_000, 50, 100.0) == -2
