"""Both legs, market-on-open fills, the exit after exactly 5 sessions, the stop and the baseline's exit, on
crafted paths through the research backtest (the algorithm runs the same PairTrader; see the e2e test)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from models import pairs_reversion as pr

DAYS = pd.bdate_range("2020-01-01", periods=30)


def _path(z_at: dict[int, float], prob: float = 0.9):
    closes = pd.DataFrame({"A": 50 + np.arange(30) * 0.1, "B": 40 - np.arange(30) * 0.05}, index=DAYS)
    opens = closes - 0.02
    z = pd.Series(0.0, index=DAYS)
    for k, v in z_at.items():
        z.iloc[k] = v
    signals = pd.DataFrame({"z": z, "probability": prob, "threshold": 0.5, "hedge_ratio": 1.5})
    return opens, closes, signals


def test_long_spread_buys_a_sells_b_at_next_open_and_exits_after_exactly_five_sessions():
    opens, closes, signals = _path({10: -1.5})
    result = pr.backtest_pair(opens, closes, signals, pr.RuleParameters())
    orders = result.orders
    assert list(orders["time"]) == [DAYS[11], DAYS[11], DAYS[16], DAYS[16]]   # entry fill, 5 sessions, exit
    qa, qb = math.trunc(10_000 * 0.9 / closes["A"].iloc[10]), math.trunc(10_000 * 0.9 / closes["B"].iloc[10])
    assert list(orders["quantity"]) == [qa, -qb, -qa, qb]
    assert list(orders["ticker"]) == ["A", "B", "A", "B"]
    assert np.allclose(orders["price"], [opens.at[DAYS[11], "A"], opens.at[DAYS[11], "B"],
                                         opens.at[DAYS[16], "A"], opens.at[DAYS[16], "B"]])
    expected = (qa * (opens.at[DAYS[16], "A"] - opens.at[DAYS[11], "A"])
                - qb * (opens.at[DAYS[16], "B"] - opens.at[DAYS[11], "B"]) - orders["fee"].sum())
    assert result.pnl.iloc[-1] == pytest.approx(expected)
    assert list(result.trades["reason"]) == ["signal", "hold"]


def test_short_spread_with_beta_hedge_and_divergence_stop():
    opens, closes, signals = _path({10: 1.5, 12: 3.5})
    result = pr.backtest_pair(opens, closes, signals, pr.RuleParameters(hedge="beta", by_probability=False))
    qa, qb = math.trunc(10_000 / closes["A"].iloc[10]), math.trunc(10_000 * 1.5 / closes["B"].iloc[10])
    assert list(result.orders["quantity"]) == [-qa, qb, qa, -qb]
    assert list(result.orders["time"]) == [DAYS[11]] * 2 + [DAYS[13]] * 2    # stop at the close of 12
    assert list(result.trades["reason"]) == ["signal", "stop"]


def test_no_entry_below_probability_threshold_or_inside_one_sigma():
    opens, closes, signals = _path({10: -1.5, 20: 0.9}, prob=0.4)
    assert pr.backtest_pair(opens, closes, signals, pr.RuleParameters()).orders.empty
    signals["probability"] = 0.9
    assert len(pr.backtest_pair(opens, closes, signals, pr.RuleParameters()).orders) == 4   # day 10 only


def test_a_spread_beyond_the_stop_is_not_entered():
    opens, closes, signals = _path({10: -3.5, 11: -3.2, 12: -2.0})
    result = pr.backtest_pair(opens, closes, signals, pr.RuleParameters())
    assert list(result.orders["time"]) == [DAYS[13]] * 2 + [DAYS[18]] * 2    # entered at -2.0 only
    assert pr.entry_direction(-3.5, None, 0.5, 1.0, stop_z=0) == 1             # no stop: no upper bound


def test_zscore_baseline_ignores_probability_and_exits_on_reversion():
    opens, closes, signals = _path({10: -1.5, 11: -1.2, 12: -0.4, 13: 0.1}, prob=0.0)
    rules = pr.RuleParameters(hold_days=0, exit_on_reversion=True)
    result = pr.backtest_pair(opens, closes, signals, rules, use_probability=False)
    assert list(result.orders["time"]) == [DAYS[11]] * 2 + [DAYS[14]] * 2
    assert list(result.trades["reason"]) == ["signal", "reversion"]
    assert result.orders["quantity"].iloc[0] == math.trunc(10_000 / closes["A"].iloc[10])


def test_fees_follow_lean_interactive_brokers_model():
    assert pr.ib_fee(100, 50.0) == 1.0            # minimum $1
    assert pr.ib_fee(-1000, 50.0) == 5.0          # $0.005 a share
    assert pr.ib_fee(1000, 0.5) == pytest.approx(2.5)  # capped at 0.5% of value


@pytest.mark.parametrize("bad", [dict(hedge="ols"), dict(stop_z=0.5), dict(notional=0),
                                 dict(hold_days=0, stop_z=0)])
def test_bad_rule_parameters_are_rejected(bad):
    with pytest.raises(ValueError):
        pr.RuleParameters(**bad)
