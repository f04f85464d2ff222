"""The source's metrics, LEAN's fee model, and the research backtest's fills, cash buffer and margin cost."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from models.sector_rotation import backtest, metrics
from models.sector_rotation.evaluation import FREE_CASH, ib_fee


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
