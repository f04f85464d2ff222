"""Target, analytic baseline, calibration and the pre-inception simulation with its importable CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.tqqq_leverage.dataset import (
    BaselineParams,
    InputError,
    align_inputs,
    baseline_drag,
    baseline_frame,
    calibrate_baseline,
    drag,
    ratio_leverage,
    rolling_leverage,
)
from models.tqqq_leverage.evaluation import simulate_returns, simulate_tqqq, write_close_csv

from qclocal.data import calendars, importer


def test_rolling_leverage_is_well_conditioned_where_the_ratio_explodes():
    rng = np.random.default_rng(1)
    r_qqq = pd.Series(rng.normal(0, 0.01, 300))
    r_qqq.iloc[100] = 1e-6  # a flat QQQ day
    r_tqqq = 2.96 * r_qqq - 0.0001 + rng.normal(0, 0.0002, 300)
    ratio = ratio_leverage(r_tqqq, r_qqq)
    assert abs(ratio.iloc[100]) > 50  # one quiet day makes the naive label absurd
    rolled = rolling_leverage(r_tqqq, r_qqq, window=21).dropna()
    assert rolled["leverage"].between(2.9, 3.02).all()
    assert rolled["intercept"].mean() == pytest.approx(-0.0001, abs=2e-5)
    np.testing.assert_allclose(drag(r_tqqq, r_qqq), r_tqqq - 3 * r_qqq)
    with pytest.raises(ValueError, match="window must be an integer >= 3"):
        rolling_leverage(r_tqqq, r_qqq, window=2)


def test_baseline_is_the_daily_avellaneda_zhang_formula(planted):
    frame = baseline_frame(planted.inputs)
    irx_prev = planted.inputs["irx"].shift(1)
    expected = 3 * frame["r_qqq"] - 0.0095 / 252 - 2 * irx_prev / 100 / 252
    np.testing.assert_allclose(frame["r_pred"].iloc[1:], expected.iloc[1:], rtol=1e-12)
    assert np.isnan(frame["r_pred"].iloc[0])  # no previous close, no prediction
    assert baseline_drag(5.0) == pytest.approx(-(0.0095 + 2 * 0.05) / 252)
    custom = BaselineParams(leverage=2.0, expense_ratio=0.0, financing_multiplier=0.5)
    assert baseline_drag(4.0, custom) == pytest.approx(-0.5 * 0.04 / 252)
    with pytest.raises(ValueError, match="leverage must be finite"):
        BaselineParams(leverage=float("nan"))


def test_calibration_recovers_a_known_fund():
    index = pd.bdate_range("2010-01-01", periods=1500)
    rng = np.random.default_rng(3)
    r_qqq = rng.normal(0.0004, 0.012, len(index))
    irx = 0.5 + 2.0 * (1 + np.sin(np.arange(len(index)) / 200))  # 0.5%..4.5%: the multiplier is identified
    irx_prev = np.concatenate([[irx[0]], irx[:-1]])
    r_tqqq = 2.97 * r_qqq - (0.012 + 2.3 * irx_prev / 100) / 252 + rng.normal(0, 0.0002, len(index))
    qqq = pd.Series(100 * np.cumprod(1 + r_qqq), index=index)
    tqqq = pd.Series(10 * np.cumprod(1 + r_tqqq), index=index)
    series = pd.Series(irx, index=index)
    inputs = align_inputs(qqq, tqqq, series * 5, None, series, series + 1)
    params = calibrate_baseline(inputs)
    assert params.leverage == pytest.approx(2.97, abs=0.002)
    assert params.multiplier == pytest.approx(2.3, abs=0.15)
    assert params.expense_ratio == pytest.approx(0.012, abs=0.004)
    fixed = calibrate_baseline(inputs, financing_multiplier=2.3)
    assert fixed.multiplier == 2.3 and fixed.expense_ratio == pytest.approx(0.012, abs=0.001)
    assert fixed.leverage == pytest.approx(2.97, abs=0.002)
    with pytest.raises(InputError, match="only 99 sessions"):
        calibrate_baseline(inputs, end=index[99])


def test_simulation_splices_real_tqqq_and_exports_an_importable_csv(planted, tmp_path):
    inputs = planted.inputs.copy()
    inception = inputs.index[1000]
    inputs.loc[:inputs.index[999], "tqqq"] = np.nan  # TQQQ "starts" at session 1000
    params = BaselineParams()
    closes = simulate_tqqq(inputs, params)
    assert closes.index.equals(inputs.index)
    real = inputs["tqqq"].loc[inception:]
    np.testing.assert_allclose(closes.loc[inception:], real)  # identical to the real fund from inception
    simulated = closes.pct_change().loc[:inception].iloc[1:]
    np.testing.assert_allclose(simulated, simulate_returns(inputs, params).loc[simulated.index], rtol=1e-9)
    path = write_close_csv(closes, tmp_path / "close" / "TQQQ.csv")
    text = path.read_text().splitlines()
    assert text[0] == "Date,Close" and text[1].startswith(inputs.index[0].strftime("%Y-%m-%d") + ",")
    assert len(text) == len(closes) + 1
    with pytest.raises(InputError, match="finite and > 0"):
        write_close_csv(closes * -1, tmp_path / "bad.csv")


def test_the_csv_imports_with_qclocal(tmp_path):
    index = calendars.session_dates("2005-01-03", "2005-12-30")
    rng = np.random.default_rng(5)
    qqq = pd.Series(40 * np.cumprod(1 + rng.normal(0, 0.01, len(index))), index=index)
    rate = pd.Series(2.0, index=index)
    closes = simulate_tqqq(align_inputs(qqq, None, rate * 10, None, rate, rate + 1), splice=False)
    write_close_csv(closes, tmp_path / "source" / "close" / "TQQQ.csv")
    importer.import_folder(tmp_path / "source", tmp_path / "data")
    bars, _ = importer.read_equity_back(tmp_path / "data", "TQQQ")
    assert bars.index.equals(index)
    np.testing.assert_allclose(bars["close"].to_numpy(), closes.to_numpy(), rtol=1e-4)
