"""Real Mag7 data (../shared/market-data): the report's loaders, and history() windows reproduce research features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.mag7_lstm.features import HISTORY_BARS, compute_features
from models.mag7_lstm.report import UNIVERSE, load_adjusted_ohlc, load_close

pytestmark = pytest.mark.realdata


def test_loaders_adjust_prices_and_keep_bars_consistent(market_data):
    raw = pd.read_csv(market_data / "ohlcv" / "AAPL.csv.gz", parse_dates=["Date"], index_col="Date")
    bars = load_adjusted_ohlc(market_data, "AAPL")
    common = bars.index.intersection(raw.index)
    np.testing.assert_allclose(bars.loc[common, "close"], raw.loc[common, "Adj Close"], rtol=1e-9)
    assert (bars["high"] >= bars[["open", "close", "low"]].max(axis=1)).all()
    assert bars.index.is_monotonic_increasing and load_close(market_data, "BIL").index[0].year == 2007
    with pytest.raises(FileNotFoundError, match="market-data"):
        load_adjusted_ohlc(market_data, "NOPE")


@pytest.mark.parametrize("ticker", UNIVERSE)
def test_a_history_window_gives_the_research_features(market_data, ticker):
    bars = load_adjusted_ohlc(market_data, ticker)
    for end in (pd.Timestamp("2017-06-30"), pd.Timestamp("2020-03-31")):
        past = bars.loc[bars.index <= end]
        full = compute_features(past).iloc[-60:]
        window = compute_features(past.iloc[-HISTORY_BARS:]).iloc[-60:]
        np.testing.assert_allclose(window.to_numpy(), full.to_numpy(), rtol=0, atol=1e-8)
