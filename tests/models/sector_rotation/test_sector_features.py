"""FRED features as of release: a value dated month m is invisible before its release, through the file qclocal
writes and ``add_data(Fred, ...)`` history, and the change transforms are the documented ones."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from models.lean_history import wide
from models.sector_rotation import closes_before, macro_features, month_starts, trailing_returns

from qclocal.data.fred import write_series
from qclocal.engine.custom_data import Fred
from qclocal.engine.enums import Resolution
from qclocal.research import QuantBook


def test_a_value_dated_month_m_is_invisible_before_its_release(tmp_path):
    months = pd.date_range("2019-01-01", "2020-12-01", freq="MS")
    level = pd.Series(100.0, index=months)
    level[pd.Timestamp("2020-03-01")] = 200.0         # March's value; INDPRO is released 47 days later
    write_series(tmp_path, "INDPRO", level)           # dated by release: 2020-04-17
    qb = QuantBook(data_folder=tmp_path, object_store=tmp_path / "store")
    symbol = qb.add_data(Fred, "INDPRO", Resolution.DAILY).symbol
    history = qb.history([symbol], datetime(2019, 1, 1), datetime(2021, 1, 1), Resolution.DAILY)
    fred = wide(history, "value", tickers=["INDPRO"])
    dates = pd.DatetimeIndex(["2020-03-02", "2020-04-01", "2020-04-17", "2020-04-18", "2020-05-01"])
    change = macro_features(fred, dates)["INDPRO"]
    # released on 2020-04-17, visible from 00:00 on 2020-04-18
    assert change["2020-04-17"] == 0.0
    assert change["2020-04-18"] == pytest.approx(100.0)
    assert (change[["2020-03-02", "2020-04-01"]] == 0.0).all()


def test_levels_take_percent_changes_rates_take_differences_and_gaps_fill_forward():
    visible = pd.to_datetime(["2020-01-10", "2020-02-10", "2020-04-10"])
    fred = pd.DataFrame({"INDPRO": [100.0, 110.0, 99.0], "UNRATE": [4.0, 4.5, 4.0]}, index=visible)
    dates = pd.to_datetime(["2020-01-02", "2020-02-03", "2020-03-02", "2020-04-01", "2020-05-01"])
    out = macro_features(fred, dates)
    # not yet published -> 0; a month without a new value -> no change (the as-of value is carried forward)
    np.testing.assert_allclose(out["INDPRO"], [0.0, 0.0, 10.0, 0.0, -10.0])
    np.testing.assert_allclose(out["UNRATE"], [0.0, 0.0, 0.5, 0.0, -0.5])
    with pytest.raises(ValueError, match="visible date"):
        macro_features(fred.iloc[::-1], dates)


def test_decision_dates_and_trailing_returns_use_closes_before_the_decision():
    days = pd.bdate_range("2020-01-01", "2020-04-30")
    closes = pd.DataFrame({"A": np.arange(len(days), dtype=float) + 100}, index=days)
    dates = month_starts(days)
    assert list(dates.strftime("%m-%d")) == ["01-01", "02-03", "03-02", "04-01"]
    before = closes_before(closes, dates)
    assert np.isnan(before.iloc[0, 0]) and before.loc["2020-02-03", "A"] == closes.loc["2020-01-31", "A"]
    last = trailing_returns(closes, dates)
    expected = closes.loc["2020-02-28", "A"] / closes.loc["2020-01-31", "A"] - 1
    assert last.loc["2020-03-02", "A"] == pytest.approx(expected)
    # decisions during a day without that day's bar (the algorithm's history) see the same numbers
    assert closes_before(closes.loc[:"2020-03-31"], dates).loc["2020-04-01", "A"] == before.loc["2020-04-01", "A"]
