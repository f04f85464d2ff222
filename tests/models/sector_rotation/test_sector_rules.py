"""The source's allocation rule on hand-computed examples, including both equal-weight fallbacks and the two
leverage readings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.sector_rotation import allocate, allocate_panel


def _p(*values: float) -> pd.Series:
    return pd.Series(values, index=[f"A{i}" for i in range(len(values))])


def test_tilt_without_a_high_conviction_forecast():
    # signals (0.02, 0.01, 0, 0): normalised (2/3, 1/3, 0, 0); final = 0.3/4 + 0.7 x normalised
    w = allocate(_p(0.02, 0.01, -0.03, 0.0))
    np.testing.assert_allclose(w.to_numpy(), [0.075 + 0.7 * 2 / 3, 0.075 + 0.7 / 3, 0.075, 0.075])
    assert w.sum() == pytest.approx(1.0)


def test_five_times_above_fifteen_percent_is_a_tilt_summing_to_one():
    # raw = (0.2 x 5, 0.1, 0, 0) = (1.0, 0.1, 0, 0) -> normalised (10/11, 1/11, 0, 0)
    # final = (0.075 + 0.7 x 10/11, 0.075 + 0.7/11, 0.075, 0.075); capital deployed = final x (5, 1, 1, 1)
    final = np.array([0.075 + 7 / 11, 0.075 + 0.7 / 11, 0.075, 0.075])
    exposure = final * np.array([5, 1, 1, 1])
    w = allocate(_p(0.20, 0.10, -0.05, 0.0))
    np.testing.assert_allclose(w.to_numpy(), exposure / exposure.sum())
    margin = allocate(_p(0.20, 0.10, -0.05, 0.0), leverage="margin")
    np.testing.assert_allclose(margin.to_numpy(), exposure)
    assert margin.sum() == pytest.approx(1 + 4 * final[0])  # gross above 1: borrowed


def test_equal_weight_fallbacks():
    assert allocate(_p(-0.01, -0.02, 0.0)).tolist() == pytest.approx([1 / 3] * 3)   # nothing positive
    # the README's reading: nothing above 15% -> equal weight, even with positive forecasts
    assert allocate(_p(0.02, 0.01, -0.01), fallback="threshold").tolist() == pytest.approx([1 / 3] * 3)
    assert allocate(_p(0.02, 0.16, -0.01), fallback="threshold").iloc[1] > 0.8


def test_no_shorts_and_parameters_are_used():
    w = allocate(_p(0.05, -0.5, 0.01, 0.0), shrinkage=0.0)
    assert (w >= 0).all() and w.iloc[1] == 0.0
    np.testing.assert_allclose(w.to_numpy(), [5 / 6, 0, 1 / 6, 0])
    w = allocate(_p(0.05, 0.01), threshold=0.03, multiplier=2.0, shrinkage=0.5)
    # raw (0.1, 0.01) -> (10/11, 1/11); final (0.25 + 5/11, 0.25 + 0.5/11); x (2, 1), normalised
    final = np.array([0.25 + 5 / 11, 0.25 + 0.5 / 11]) * [2, 1]
    np.testing.assert_allclose(w.to_numpy(), final / final.sum())


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match="NaN"):
        allocate(_p(0.01, np.nan))
    with pytest.raises(ValueError, match="leverage"):
        allocate(_p(0.01), leverage="5x")
    with pytest.raises(ValueError, match="shrinkage"):
        allocate(_p(0.01), shrinkage=1.5)


def test_panel_keeps_rows_without_forecasts_empty():
    frame = pd.DataFrame([[0.01, 0.02], [np.nan, np.nan]], columns=["A", "B"],
                         index=pd.to_datetime(["2020-01-02", "2020-02-03"]))
    out = allocate_panel(frame)
    assert out.iloc[0].sum() == pytest.approx(1.0) and out.iloc[1].isna().all()
