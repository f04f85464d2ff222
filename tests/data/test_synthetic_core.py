"""Building blocks of the synthetic markets: random streams, split rule, price paths, factor rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qclocal.data import writers
from qclocal.data.synthetic.core import Equity, Splitter, price_path, round_price, stream
from qclocal.data.synthetic.output import factor_rows


def test_streams_are_keyed_by_seed_scenario_and_component():
    draw = stream(7, "pairs", "bars").standard_normal(5)
    np.testing.assert_array_equal(draw, stream(7, "pairs", "bars").standard_normal(5))
    for other in (stream(8, "pairs", "bars"), stream(7, "mag7", "bars"), stream(7, "pairs", "ohlc")):
        assert not np.allclose(draw, other.standard_normal(5))


def test_split_rule():
    rule = Splitter(split_above=np.array([100.0, 100.0, 100.0, np.inf]), reverse_below=1.0)
    # 2^k-for-1, the smallest that brings the price to 40% of the threshold or less; 1-for-10 below $1.
    np.testing.assert_array_equal(rule.ratio(np.array([100.0, 100.01, 170.0, 0.99])), [1.0, 4.0, 8.0, 0.1])
    assert rule.column(3).split_above == np.inf and rule.column(0).split_above == 100.0


def _online(logs, start, rule):
    n, k = logs.shape
    latent = start * np.exp(np.cumsum(np.vstack([np.zeros((1, k)), logs[1:]]), axis=0))
    raw, ratio, shares = np.empty((n, k)), np.ones((n, k)), np.ones(k)
    for t in range(n):
        if t > 0:
            ratio[t] = rule.ratio(raw[t - 1])
            shares = shares * ratio[t]
        raw[t] = round_price(latent[t] / shares)
    return latent, raw, ratio, shares


def test_price_path_applies_the_split_rule_day_by_day():
    rng = np.random.default_rng(0)
    logs = rng.standard_normal((3000, 6)) * 0.03 + 0.001
    start = np.array([50.0, 5.0, 300.0, 20.0, 2.0, 100.0])
    rule = Splitter(split_above=np.array([200.0, 100.0, 500.0, np.inf, 50.0, 300.0]), reverse_below=1.0)
    path = price_path(logs, start, rule)
    latent, raw, ratio, shares = _online(logs, start, rule)
    assert (ratio != 1).sum() >= 5
    np.testing.assert_array_equal(path.raw_close, raw)
    np.testing.assert_array_equal(path.split_ratio, ratio)
    np.testing.assert_allclose(path.adjusted, latent / shares)


def test_factor_rows_turn_raw_closes_into_the_latent_path():
    rng = np.random.default_rng(1)
    logs = rng.standard_normal((800, 1)) * 0.04 + 0.006
    path = price_path(logs, np.array([40.0]), Splitter(split_above=150.0))
    index = pd.bdate_range("2015-01-01", periods=800)
    bars = pd.DataFrame({"close": path.raw_close[:, 0]}, index=index)
    splits = [(index[t].date(), float(r)) for t, r in enumerate(path.split_ratio[:, 0]) if r != 1]
    assert len(splits) >= 2
    rows = factor_rows(Equity(bars, splits))
    assert rows.index[0] == index[0] and (rows["price_factor"] == 1).all()
    factor = writers.factors_for_dates(rows, index)["split_factor"].to_numpy()
    adjusted = path.raw_close[:, 0] * factor
    # Equal up to the cent rounding of the raw price, scaled by the factor.
    assert np.all(np.abs(adjusted - path.adjusted[:, 0]) <= 0.005 * factor + 1e-9)
    assert factor[-1] == 1.0 and factor[0] == np.prod([1 / r for _, r in splits])
