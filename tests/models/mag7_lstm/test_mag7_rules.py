"""mag7_lstm.rules and the research backtest: selection, inverse-vol weights, cap, BIL fallback, vol target, trailing stops,
and the exact orders of the rule on crafted price paths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from models.mag7_lstm.evaluation import backtest_rule, buy_and_hold, equal_weight
from models.mag7_lstm.rules import TrailingStops, month_starts, select_and_weight

PRICES = {t: 100.0 for t in "ABCDEFG"}
SMA = {**{t: 90.0 for t in "ABCDEF"}, "G": 110.0}
ATR = {"A": 2.0, "B": 1.0, "C": 4.0, "D": 2.0, "E": 2.0, "F": 2.0, "G": 1.0}


def test_top4_positive_above_sma_inverse_vol_capped():
    scores = {"A": 0.05, "B": 0.03, "C": 0.02, "D": 0.01, "E": 0.04, "F": -0.01, "G": 0.06}
    weights = select_and_weight(scores, PRICES, SMA, ATR)
    # F has a negative score, G is below its SMA; D is fifth. Inverse vols 50, 50, 100, 25 out of 225.
    assert weights == pytest.approx({"A": 50 / 225, "E": 50 / 225, "B": 0.40, "C": 25 / 225})
    assert sum(weights.values()) < 1  # the capped excess stays in cash, as in the source


def test_nothing_qualifies_means_all_bil():
    scores = {"A": -0.01, "G": 0.2, "B": 0.0}
    assert select_and_weight(scores, PRICES, SMA, ATR) == {"BIL": 1.0}
    # missing or NaN inputs disqualify rather than crash
    assert select_and_weight({"A": 0.1}, PRICES, {"A": float("nan")}, ATR) == {"BIL": 1.0}
    assert select_and_weight({"Z": 0.1}, PRICES, SMA, ATR) == {"BIL": 1.0}


def test_single_pick_is_capped_and_ties_break_by_ticker():
    assert select_and_weight({"A": 0.1}, PRICES, SMA, ATR) == {"A": 0.40}
    tied = select_and_weight({"E": 0.1, "A": 0.1, "D": 0.1}, PRICES, SMA, ATR, top_n=2)
    assert set(tied) == {"A", "D"}
    with_rest = select_and_weight({"A": 0.1}, PRICES, SMA, ATR, park_in_treasury=True)
    assert with_rest == pytest.approx({"A": 0.40, "BIL": 0.60})


def test_vol_target_scales_down_with_the_perfect_correlation_bound():
    scores = {"A": 0.05, "D": 0.04}
    vol = 0.02 * math.sqrt(252)  # both: ATR 2 / price 100
    base = select_and_weight(scores, PRICES, SMA, ATR)
    assert base == pytest.approx({"A": 0.40, "D": 0.40})
    scaled = select_and_weight(scores, PRICES, SMA, ATR, vol_target=0.12)
    factor = 0.12 / (0.8 * vol)
    assert scaled == pytest.approx({"A": 0.40 * factor, "D": 0.40 * factor})


def test_vol_target_with_a_covariance_and_without_leverage():
    scores = {"A": 0.05, "D": 0.04}
    returns = pd.DataFrame({"A": [0.01, -0.01] * 30, "D": [0.01, -0.01] * 30})  # perfectly correlated
    daily = returns["A"].std()
    scaled = select_and_weight(scores, PRICES, SMA, ATR, vol_target=0.12, returns=returns)
    assert scaled == pytest.approx({t: 0.40 * 0.12 / (0.8 * daily * math.sqrt(252)) for t in scores})
    # a target far above the estimate: weights rise to the cap, then the total is held at 100%
    calm = {t: 0.01 for t in "ABCDE"}
    levered = select_and_weight({t: 0.1 for t in "ABCDE"}, PRICES, SMA, calm, vol_target=5.0)
    assert levered == pytest.approx({t: 0.25 for t in "ABCD"})
    with pytest.raises(ValueError, match="no column"):
        select_and_weight(scores, PRICES, SMA, ATR, vol_target=0.12, returns=returns[["A"]])


def test_trailing_stops_set_raise_and_trigger():
    stops = TrailingStops(2.5)
    stops.on_rebalance(["A", "B"], {"A": 100.0, "B": 50.0}, {"A": 2.0, "B": 1.0})
    assert stops.stops == {"A": 95.0, "B": 47.5}
    assert stops.on_day({"A": 104.0, "B": 47.0}, {"A": 2.0, "B": 1.0}) == ["B"]
    assert stops.stops == {"A": 99.0}                       # raised to 104 - 2.5 * 2; B is gone
    assert stops.on_day({"A": 101.0}, {"A": 2.0}) == []     # 96 < 99: never lowered
    assert stops.stops == {"A": 99.0}
    assert stops.on_day({"A": 98.9}, {"A": 2.0}, invested=["B"]) == []  # not held: not checked
    assert stops.on_day({"A": 98.9}, {"A": 2.0}) == ["A"]
    stops.on_rebalance(["C"], {"C": 10.0}, {"C": float("nan")})
    assert stops.stops == {}


# -- the rule on crafted paths: exact orders --------------------------------------------------------------

DAYS = pd.bdate_range("2019-01-01", periods=330)


def _bars(start: float, step: float, half_range: float, drop_at: int | None = None, drop: float = 0.0
          ) -> pd.DataFrame:
    close = start + step * np.arange(len(DAYS))
    if drop_at is not None:
        close[drop_at:] -= drop
    return pd.DataFrame({"open": close, "high": close + half_range, "low": close - half_range, "close": close},
                        index=DAYS)


def test_backtest_orders_stop_exit_and_bil_fallback():
    bars = {"A": _bars(100, 0.1, 1.0, drop_at=270, drop=10.0), "B": _bars(50, 0.1, 0.5)}
    bil = pd.Series(100 + 0.001 * np.arange(len(DAYS)), index=DAYS)
    d1, d2 = month_starts(DAYS, DAYS[260])[:2]
    assert DAYS.get_loc(d1) < 270 < DAYS.get_loc(d2)
    scores = pd.DataFrame({"A": [0.1, -0.1], "B": [0.05, -0.2]}, index=[d1, d2])
    result = backtest_rule(bars, scores, start=d1, treasury=bil, cost_bps=0.0)
    close = pd.DataFrame({t: b["close"] for t, b in bars.items()}).assign(BIL=bil)
    orders = list(result.orders.itertuples(index=False, name=None))
    assert [(d, t, r) for d, t, r, _ in orders] == [
        (d1, "A", "rebalance"), (d1, "B", "rebalance"),   # both inverse-vol weights exceed 40%: capped
        (DAYS[271], "A", "stop"),                          # the 270 close fell 10 below; stop was ~5 below
        (d2, "B", "rebalance"), (d2, "BIL", "rebalance")]  # nothing qualifies: sell all, 100% BIL
    values = [v for *_, v in orders]
    prev1, prev2 = (DAYS[DAYS.get_loc(d) - 1] for d in (d1, d2))
    # LEAN's daily fills: the rebalance is sized at the previous close and fills at the decision day's close
    shares = {t: 4000.0 / close.loc[prev1, t] for t in ("A", "B")}
    assert values[0] == pytest.approx(shares["A"] * close.loc[d1, "A"])
    assert values[1] == pytest.approx(shares["B"] * close.loc[d1, "B"])
    # the stop, decided on the 270 close, is a market-on-open order: A's shares sold at the 271 open
    assert values[2] == pytest.approx(-shares["A"] * bars["A"].loc[DAYS[271], "open"])
    assert values[3] == pytest.approx(-shares["B"] * close.loc[d2, "B"])
    cash = 10_000.0 - values[0] - values[1] - values[2]
    equity_before = cash + shares["B"] * close.loc[prev2, "B"]  # what LEAN sizes 100% BIL from
    bil_shares = equity_before / bil.loc[prev2]
    assert values[4] == pytest.approx(bil_shares * bil.loc[d2])
    assert result.weights.loc[DAYS[-1]].to_dict() == pytest.approx({"A": 0.0, "B": 0.0, "BIL": 1.0}, abs=1e-3)
    assert result.equity.iloc[-1] == pytest.approx(cash - values[3] - values[4] + bil_shares * bil.iloc[-1])


def test_backtest_without_treasury_holds_cash_and_fees_are_charged():
    bars = {"A": _bars(100, 0.1, 1.0), "B": _bars(50, 0.1, 0.5)}
    d1 = month_starts(DAYS, DAYS[260])[0]
    scores = pd.DataFrame({"A": [-1.0], "B": [-1.0]}, index=[d1])
    result = backtest_rule(bars, scores, start=d1, cost_bps=0.0)
    assert result.orders.empty and result.equity.iloc[-1] == pytest.approx(10_000.0)
    paid = backtest_rule(bars, scores.abs(), start=d1, cost_bps=10.0)
    assert paid.fees == pytest.approx(paid.orders["value"].abs().sum() * 10 / 1e4)
    assert paid.fees == pytest.approx(8000.0 * 10 / 1e4, rel=0.01)


def test_benchmarks():
    bars = {"A": _bars(100, 0.1, 1.0), "B": _bars(50, 0.1, 0.5)}
    start = DAYS[200]
    qqq = buy_and_hold(bars["A"], start=start, cost_bps=0.0)
    close = bars["A"]["close"]
    shares = 10_000.0 / close.iloc[199]  # sized at the previous close, bought at the start day's close
    assert qqq.equity.iloc[-1] == pytest.approx(10_000.0 + shares * (close.iloc[-1] - close.iloc[200]))
    ew = equal_weight(bars, month_starts(DAYS, start), start=start, cost_bps=0.0)
    first = ew.orders[ew.orders["date"] == ew.orders["date"].min()]
    day = DAYS.get_loc(first["date"].iloc[0])
    growth = [bars[t]["close"].iloc[day] / bars[t]["close"].iloc[day - 1] for t in ("A", "B")]
    assert first["value"].tolist() == pytest.approx([5000.0 * growth[0], 5000.0 * growth[1]])
    assert ew.stats["orders"] > 2  # monthly re-balancing back to equal weights


def test_backtest_vol_target_lowers_realised_volatility():
    from mag7_planted import planted_market

    bars, _ = planted_market(700, tickers=("A", "B", "C", "D", "E"), seed=2, vol=0.03)
    days = bars["A"].index
    rebalance = month_starts(days, days[300])
    scores = pd.DataFrame(1.0, index=rebalance, columns=list(bars))
    plain = backtest_rule(bars, scores, start=rebalance[0], stop_multiple=None)
    targeted = backtest_rule(bars, scores, start=rebalance[0], stop_multiple=None, vol_target=0.12)
    assert targeted.stats["volatility"] < 0.6 * plain.stats["volatility"]
    assert targeted.weights.sum(axis=1).max() < plain.weights.sum(axis=1).max()
