"""FRED files: release-lag dating, visibility, the documented lag table and reader errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import fred, writers


def test_value_is_visible_only_after_its_release(tmp_path: Path):
    obs = pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])
    path = writers.write_fred_series(tmp_path, "INDPRO", pd.Series([101.5, np.nan, 99.25], index=obs))
    assert path == tmp_path / "alternative/fred/indpro.csv"
    # LEAN's old Fred reader: first column = Time, EndTime = Time + 1 day; the third column is extra.
    assert path.read_text() == "20200217,101.5,20200101\n20200417,99.25,20200301\n"
    series = fred.read_fred(tmp_path, "indpro")
    assert series.name == "INDPRO"
    assert list(series.index) == [pd.Timestamp("2020-02-18"), pd.Timestamp("2020-04-18")]
    lag = fred.RELEASE_LAG_DAYS["INDPRO"]
    for obs_date, visible in zip(obs[[0, 2]], series.index, strict=True):
        assert visible == obs_date + pd.Timedelta(days=lag + 1)

    def as_of(t: str) -> float | None:
        known = series[series.index <= pd.Timestamp(t)]
        return None if known.empty else float(known.iloc[-1])

    assert as_of("2020-02-17 23:59") is None  # January's value is not out yet
    assert as_of("2020-02-18 00:00") == 101.5
    assert as_of("2020-04-17 16:00") == 101.5
    assert as_of("2020-04-18 00:00") == 99.25


def test_explicit_lag_and_frame_reader(tmp_path: Path):
    obs = pd.to_datetime(["2020-01-04", "2020-01-11"])
    writers.write_fred_series(tmp_path, "ICSA", pd.Series([200000.0, 210000.0], index=obs), release_lag=5)
    frame = fred.read_fred_frame(tmp_path, "ICSA")
    assert frame["observation"].tolist() == list(obs)
    assert frame["visible"].tolist() == [pd.Timestamp("2020-01-10"), pd.Timestamp("2020-01-17")]


def test_unknown_series_needs_a_lag(tmp_path: Path):
    with pytest.raises(KeyError, match="--fred-lag MYSERIES=DAYS"):
        writers.write_fred_series(
            tmp_path, "MYSERIES", pd.Series([1.0], index=pd.to_datetime(["2020-01-01"]))
        )
    assert fred.release_lag("myseries", {"MYSERIES": 3}) == 3


def test_reader_errors_name_file_and_line(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="qclocal data import"):
        fred.read_fred(tmp_path, "UNRATE")
    path = tmp_path / "alternative/fred/unrate.csv"
    path.parent.mkdir(parents=True)
    path.write_text("20200207,3.6,20200101\n2020-03-06,3.5\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}:2: expected 'yyyyMMdd,value[,yyyyMMdd]'")):
        fred.read_fred(tmp_path, "UNRATE")


def test_older_two_column_files_still_read(tmp_path: Path):
    path = tmp_path / "alternative/fred/dgs10.csv"
    path.parent.mkdir(parents=True)
    path.write_text("20200102,1.88\n20200103,1.80\n")
    series = fred.read_fred(tmp_path, "DGS10")
    assert series.to_dict() == {pd.Timestamp("2020-01-03"): 1.88, pd.Timestamp("2020-01-04"): 1.80}


def test_documented_lag_table_matches_code(repo_root: Path):
    text = (repo_root / "docs/data.md").read_text()
    rows = re.findall(r"^\| ([A-Z0-9]+) \| (\d+) \| ([^|]+) \| ([^|]+) \|$", text, flags=re.M)
    table = {sid: (int(days), freq.strip(), rel.strip()) for sid, days, freq, rel in rows}
    assert table == {k: (v.days, v.frequency, v.release) for k, v in fred.RELEASE_LAGS.items()}


@pytest.mark.realdata
def test_every_shared_fred_series_has_a_lag(market_data: Path):
    ids = {p.name.split(".")[0] for p in (market_data / "fred").iterdir()}
    assert ids and ids <= set(fred.RELEASE_LAG_DAYS)


def test_reader_caches_per_file_version_and_ignores_extra_columns(tmp_path: Path):
    path = tmp_path / "alternative/fred/dgs2.csv"
    path.parent.mkdir(parents=True)
    path.write_text("20200102,1.5,20200101,extra\n20200103,1.6\n")
    first = fred.read_fred(tmp_path, "DGS2")
    assert first.tolist() == [1.5, 1.6]
    first.iloc[0] = 99.0  # callers get a copy: the cache is not theirs to change
    assert fred.read_fred(tmp_path, "DGS2").tolist() == [1.5, 1.6]
    writers.write_fred_series(tmp_path, "DGS2", pd.Series([2.5], index=pd.to_datetime(["2020-01-02"])))
    assert fred.read_fred(tmp_path, "DGS2").tolist() == [2.5]  # a rewritten file is read again
