"""A small random market (wide closes and volumes) for the russell_qpi unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_market(seed: int, days: int = 80, names: int = 6, vol: float = 0.02) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2019-01-01", periods=days)
    cols = [f"N{k}" for k in range(names)]
    close = pd.DataFrame(50 * np.exp(np.cumsum(rng.normal(0, vol, (days, names)), axis=0)), index, cols)
    volume = pd.DataFrame(rng.lognormal(10, 0.5, (days, names)), index, cols)
    return close, volume
