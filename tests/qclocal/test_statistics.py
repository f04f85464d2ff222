"""The probabilistic Sharpe ratio's moments without scipy.stats must be scipy's own floats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from qclocal.engine.statistics import _standardized_moments


def _samples() -> list[np.ndarray]:
    rng = np.random.default_rng(14)
    out = [rng.normal(0.0003, 0.01, n) for n in (4, 5, 10, 252, 2516) for _ in range(40)]
    out += [rng.standard_t(3, 500) * 0.02 for _ in range(40)]   # heavy tails
    return out + [np.zeros(10), np.full(50, 0.01)]             # no variance: NaN


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.filterwarnings("ignore:Precision loss")
def test_skew_and_kurtosis_equal_scipy_bit_for_bit() -> None:
    for sample in _samples():
        skew, kurt = _standardized_moments(sample)
        assert _same(skew, float(sps.skew(sample, bias=False)))
        assert _same(kurt, float(sps.kurtosis(sample, bias=False)))
