"""The planted ``pairs`` market in memory: closes and opens per ticker (no splits in this scenario)."""

from __future__ import annotations

import pandas as pd

from qclocal.data.synthetic import simulate


def planted_bars(seed: int = 7, start: str = "2014-01-01", end: str = "2018-12-31"):
    market = simulate("pairs", seed=seed, start=start, end=end)
    tickers = [t for pair in market.truth["pairs"].values() for t in (pair["a"], pair["b"])]
    for t in tickers:
        assert not market.equities[t].splits, f"{t} splits: use adjusted prices"
    closes = pd.DataFrame({t: market.equities[t].bars["close"] for t in tickers})
    opens = pd.DataFrame({t: market.equities[t].bars["open"] for t in tickers})
    return closes, opens, market.truth["pairs"]
