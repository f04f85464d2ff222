"""The source's table, per-year tracking error, terminal wealth and the cumulative-returns figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.tqqq_leverage.dataset import InputError
from models.tqqq_leverage.evaluation import (
    SOURCE_TABLE,
    cumulative_returns_figure,
    format_table,
    max_drawdown,
    per_year_tracking_error,
    source_table,
    terminal_wealth_error,
    tracking_frame,
)
from models.tqqq_leverage.model import predict_frame


def _frame(n=600, extra_drag=0.0, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2018-01-01", periods=n)
    r_qqq = rng.normal(0.0005, 0.012, n)
    r_tqqq = 3 * r_qqq - 0.0001 + rng.normal(0, 0.0003, n)
    frame = pd.DataFrame({"r_qqq": r_qqq, "r_tqqq": r_tqqq, "leverage": 3.0}, index=index)
    frame["drag"] = -0.0001 + extra_drag
    frame["r_pred"] = frame["leverage"] * frame["r_qqq"] + frame["drag"]
    return frame


def test_metrics_follow_their_definitions():
    frame = _frame()
    perfect = frame.assign(r_pred=frame["r_tqqq"])
    table = source_table(perfect)
    assert table["tracking_error"] == 0 and table["return_correlation"] == pytest.approx(1.0)
    assert table["terminal_wealth_error"] == pytest.approx(0.0, abs=1e-12)
    assert table["max_drawdown_actual"] == table["max_drawdown_predicted"]
    biased = _frame(extra_drag=0.0002)
    table = source_table(biased)
    error = biased["r_tqqq"] - biased["r_pred"]
    assert table["tracking_difference"] == pytest.approx(-error.mean() * 252)
    assert table["tracking_difference"] == pytest.approx(0.0002 * 252, abs=0.004)  # 0.0504 +- noise
    assert table["tracking_error"] == pytest.approx(error.std() * np.sqrt(252))
    expected = np.prod(1 + biased["r_pred"]) / np.prod(1 + biased["r_tqqq"]) - 1
    assert table["terminal_wealth_error"] == pytest.approx(expected) == terminal_wealth_error(biased)
    assert table["mean_actual_leverage"] == pytest.approx(3.0, abs=0.01)
    assert np.isnan(table["leverage_correlation"])  # a constant prediction has no correlation


def test_max_drawdown_and_per_year_table():
    assert max_drawdown(pd.Series([0.1, -0.5, 0.2])) == pytest.approx(0.5)
    assert max_drawdown(pd.Series([-0.2, 0.1])) == pytest.approx(0.2)  # a fall from the start counts
    frame = _frame(n=600)
    years = per_year_tracking_error(frame)
    assert list(years.index) == [2018, 2019, 2020] and years["sessions"].sum() == 600
    part = frame.loc["2019"]
    assert years.loc[2019, "tracking_error"] == pytest.approx((part.r_tqqq - part.r_pred).std() * np.sqrt(252))
    with pytest.raises(InputError, match="lacks columns"):
        per_year_tracking_error(frame.drop(columns="r_pred"))


def test_table_is_reported_in_the_source_form():
    text = format_table({"source": SOURCE_TABLE, "model": source_table(_frame())})
    for line in ("Correlation with actual TQQQ", "Annualized tracking error", "Average actual leverage",
                 "Average predicted leverage", "Maximum drawdown predicted", "Terminal-wealth error"):
        assert line in text
    assert "0.9997" in text and "1.62%" in text and "-0.0388" in text and "58.10%" in text and "n/a" in text


def test_cumulative_returns_figure_starts_at_100():
    frame = _frame()
    figure = cumulative_returns_figure(frame)
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["Actual TQQQ", "Predicted TQQQ", "3x QQQ"]
    assert all(line.get_ydata()[0] == 100 for line in lines)
    assert lines[0].get_ydata()[-1] == pytest.approx(100 * np.prod(1 + frame["r_tqqq"]))
    assert lines[2].get_linestyle() == "--"


def test_tracking_frame_uses_the_previous_close_prediction(planted, planted_model):
    frame = tracking_frame(planted_model, planted.inputs, start="2015-01-01")
    predictions = predict_frame(planted_model, planted.inputs)
    day = frame.index[10]
    previous = planted.inputs.index[planted.inputs.index.get_loc(day) - 1]
    assert frame.loc[day, "leverage"] == predictions.loc[previous, "leverage"]
    assert frame.loc[day, "r_pred"] == pytest.approx(
        frame.loc[day, "leverage"] * frame.loc[day, "r_qqq"] + frame.loc[day, "drag"])
    with pytest.raises(InputError, match="no session"):
        tracking_frame(planted_model, planted.inputs, start="2030-01-01")
