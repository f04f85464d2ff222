"""Real ETF closes (../shared/market-data): every pair has data, both label classes in training, and the
algorithm's short history() window gives the research features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models import pairs_reversion as pr

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def closes(market_data) -> pd.DataFrame:
    tickers = [t for s in pr.PAIRS for t in (s.a, s.b)]
    return pd.DataFrame({t: pd.read_csv(market_data / "close" / f"{t}.csv.gz", parse_dates=["Date"],
                                        index_col="Date")["Close"] for t in tickers})


@pytest.mark.parametrize("spec", pr.PAIRS, ids=lambda s: s.name)
def test_training_window_has_both_classes_and_a_cointegration_test(closes, spec):
    prep = pr.prepare(closes, spec, "2019-01-01", train_start="2015-01-01", validation_days=252)
    train = prep.y[prep.segments.role == 0]
    assert len(train) > 600 and 0.02 < train.mean() < 0.98
    eg = pr.engle_granger(closes[[spec.a, spec.b]], "2015-01-01", "2019-01-01")
    assert 0.0 <= eg["p_value"] <= 1.0 and eg["n"] > 900


@pytest.mark.parametrize("spec", pr.PAIRS, ids=lambda s: s.name)
def test_a_history_window_gives_the_research_features(closes, spec):
    pair = closes[[spec.a, spec.b]].dropna()
    stats = pr.fit_stats(pair.loc["2015-01-01":"2018-12-31"])
    for end in (pd.Timestamp("2019-06-28"), pd.Timestamp("2020-03-31")):
        past = pair.loc[:end]
        for window_size in (3, 7):
            full = pr.compute_features(past, stats, spec.window).iloc[-window_size:]
            short = pr.compute_features(past.iloc[-pr.history_bars(spec.window, window_size):], stats,
                                        spec.window).iloc[-window_size:]
            assert short.notna().all().all()
            np.testing.assert_array_equal(short.to_numpy(), full.to_numpy())
