"""history() from the in-memory cache of prepared bars equals loading the stream per request (qclocal.engine.feed):
across splits, dividends and renames, at daily and hour resolution, in every normalisation mode; a rewritten
file is read again."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import writers
from qclocal.engine import algorithm as algorithm_module
from qclocal.engine import feed
from qclocal.engine.enums import DataNormalizationMode, Resolution
from qclocal.research import QuantBook

LEAN_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "lean-data"
pytestmark = pytest.mark.skipif(not LEAN_DATA.is_dir(), reason=f"LEAN sample data not found at {LEAN_DATA}")
MODES = [DataNormalizationMode.RAW, DataNormalizationMode.ADJUSTED, DataNormalizationMode.SPLIT_ADJUSTED,
         DataNormalizationMode.TOTAL_RETURN]


def _uncached(sub, data_folder, start, end):
    stream = feed.load_stream(sub, data_folder, start, end)
    return stream.end_ns, stream.values, stream.close_only


def _both(qb: QuantBook, monkeypatch, *args, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    cached = qb.history(*args, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(algorithm_module, "history_bars", _uncached)
        plain = qb.history(*args, **kwargs)
    return cached, plain


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.name)
def test_daily_history_windows_across_splits_dividends_and_renames_are_unchanged(monkeypatch, mode):
    qb = QuantBook(data_folder=LEAN_DATA, object_store=LEAN_DATA / "unused-store")
    symbols = [qb.add_equity(t, Resolution.DAILY, data_normalization_mode=mode).symbol
               for t in ("AAPL", "GOOGL", "SPY")]   # AAPL: 7:1 split 2014-06-09 and dividends; GOOGL: a rename
    served = 0
    for end in pd.date_range("2014-01-01", "2014-12-31", freq="53D"):
        for span in (timedelta(days=40), timedelta(days=400)):
            cached, plain = _both(qb, monkeypatch, symbols, end - span, end, Resolution.DAILY)
            pd.testing.assert_frame_equal(cached, plain, check_exact=True)
            served += len(cached)
    assert served > 300


@pytest.mark.parametrize("mode", MODES[:3], ids=lambda m: m.name)
def test_hour_history_and_the_per_request_normalisation_argument_are_unchanged(monkeypatch, mode):
    qb = QuantBook(data_folder=LEAN_DATA, object_store=LEAN_DATA / "unused-store")
    aapl = qb.add_equity("AAPL", Resolution.HOUR).symbol
    for end in (datetime(2014, 6, 10, 12), datetime(2014, 6, 12, 16), datetime(2014, 6, 20)):
        cached, plain = _both(qb, monkeypatch, [aapl], end - timedelta(days=9), end, Resolution.HOUR,
                              data_normalization_mode=mode)
        assert len(cached)
        pd.testing.assert_frame_equal(cached, plain, check_exact=True)
        cached, plain = _both(qb, monkeypatch, [aapl], end - timedelta(days=60), end, Resolution.DAILY,
                              data_normalization_mode=mode)
        pd.testing.assert_frame_equal(cached, plain, check_exact=True)


def test_cached_and_raw_modes_are_kept_apart(monkeypatch):
    qb = QuantBook(data_folder=LEAN_DATA, object_store=LEAN_DATA / "unused-store")
    aapl = qb.add_equity("AAPL", Resolution.DAILY).symbol
    window = (datetime(2014, 5, 1), datetime(2014, 7, 1), Resolution.DAILY)
    raw = qb.history([aapl], *window, data_normalization_mode=DataNormalizationMode.RAW)
    adjusted = qb.history([aapl], *window)
    before = raw["close"].loc[:, :"2014-06-06"]
    assert (before / adjusted["close"].loc[:, :"2014-06-06"]).min() > 6.5  # the 7:1 split in raw prices only


def _closes(qb: QuantBook, symbol, end: datetime) -> np.ndarray:
    return qb.history([symbol], end - timedelta(days=30), end, Resolution.DAILY)["close"].to_numpy()


def test_a_rewritten_bar_or_factor_file_is_read_again(tmp_path):
    days = pd.bdate_range("2020-01-02", periods=40)
    bars = pd.DataFrame({"open": 10.0, "high": 10.0, "low": 10.0, "close": 10.0, "volume": 1e6}, index=days)
    writers.write_equity_bars(tmp_path, "XYZ", bars)
    writers.write_map_file(tmp_path, "XYZ", days[0].date())
    qb = QuantBook(data_folder=tmp_path, object_store=tmp_path / "store")
    xyz = qb.add_equity("XYZ", Resolution.DAILY).symbol
    end = datetime(2020, 2, 20)
    assert set(_closes(qb, xyz, end)) == {10.0}
    writers.write_equity_bars(tmp_path, "XYZ", bars.assign(close=12.0))
    assert set(_closes(qb, xyz, end)) == {12.0}
    far = pd.Timestamp("2050-12-31")
    writers.write_factor_file(tmp_path, "XYZ", pd.DataFrame(
        {"price_factor": [0.5, 1.0], "split_factor": [1.0, 1.0], "reference_price": [12.0, 0.0]},
        index=pd.DatetimeIndex([days[-1], far])))
    factor = tmp_path / "equity" / "usa" / "factor_files" / "xyz.csv"
    os.utime(factor, ns=(1, 1))  # even with an old mtime: the size changed from no file
    assert set(_closes(qb, xyz, end)) == {6.0}
