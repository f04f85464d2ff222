"""Planted data: the LSTM pipeline must find a persistent hidden trend that 12-1 momentum cannot see.

The market (``mag7_planted``): 8 tickers, each with a hidden +-1 trend state that flips with probability 1/40 a
day and adds +-0.5% a day to its return (daily noise 1.5%, plus a common market factor). One model is trained
on bars before the cutoff and scored out of sample on the next ~59 month starts.

IC bound: with no skill, the Spearman IC over 8 names has mean 0 and standard deviation 1 / sqrt(8 - 1) = 0.378
per date; monthly dates with 21-bar forward windows do not overlap, so the mean over D dates has standard error
0.378 / sqrt(D). We require the mean IC above 3 standard errors (0.147 for D = 59): a no-skill model passes
with probability ~0.1%. (The hidden state itself scores ~0.6 here; momentum scores ~0.)

Marked slow: the default planted-data test is the synthetic ``mag7`` scenario's (test_mag7_scenario.py), which
plants its effect through the strategy's own features.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from mag7_planted import planted_market, treasury_series
from models.mag7_lstm.evaluation import (
    backtest_rule,
    equal_weight,
    forward_returns,
    information_coefficients,
    ranking_summary,
)
from models.mag7_lstm.model import lstm_score_panel
from models.mag7_lstm.rules import momentum_panel, month_starts
from models.mag7_lstm.training import train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def planted():
    bars, states = planted_market(2600, seed=0, drift=0.005, switch=1 / 40)
    days = bars["AAPL"].index
    rebalance = month_starts(days, days[1301], days[-22])
    cutoff = rebalance[0] - pd.Timedelta(days=1)  # usable from the first rebalance on (strictly after)
    model = train(bars, cutoff, epochs=8, validation_days=0, seed=0)
    closes = pd.DataFrame({t: b["close"] for t, b in bars.items()})
    return {"bars": bars, "days": days, "rebalance": rebalance, "model": model, "closes": closes,
            "lstm": lstm_score_panel([model], bars, rebalance), "momentum": momentum_panel(closes, rebalance),
            "realised": forward_returns(closes, rebalance)}


def test_out_of_sample_ic_beats_the_no_skill_bound(planted):
    lstm = ranking_summary(planted["lstm"], planted["realised"])
    dates = lstm["dates"]
    assert dates >= 55
    bound = 3 / math.sqrt(8 - 1) / math.sqrt(dates)
    assert lstm["ic_mean"] > bound
    assert lstm["spread_mean"] > 0 and lstm["ic_positive_share"] > 0.6
    momentum = ranking_summary(planted["momentum"], planted["realised"])
    assert lstm["ic_mean"] > momentum["ic_mean"] + bound / 3
    assert information_coefficients(planted["lstm"], planted["realised"]).notna().sum() == dates


def test_the_lstm_rule_beats_the_momentum_ablation_and_equal_weight(planted):
    bil = treasury_series(planted["days"])
    start = planted["rebalance"][0]
    lstm = backtest_rule(planted["bars"], planted["lstm"], start=start, treasury=bil)
    momentum = backtest_rule(planted["bars"], planted["momentum"], start=start, treasury=bil)
    ew = equal_weight(planted["bars"], planted["rebalance"], start=start)
    assert lstm.stats["sharpe"] > momentum.stats["sharpe"] + 0.5
    assert lstm.stats["total_return"] > momentum.stats["total_return"]
    assert lstm.stats["sharpe"] > ew.stats["sharpe"]
    # the rule's mechanics show up: stops fire and the picks are at most 4, each at most 40%
    assert (lstm.orders["reason"] == "stop").any()
    held = lstm.weights.drop(columns="BIL")
    assert (held.gt(1e-9).sum(axis=1) <= 4).all() and held.max().max() <= 0.40 * 1.5
