"""LEAN-format writers: exact file formats, factor maths, coarse ranks, determinism and atomicity."""

from __future__ import annotations

import os
from datetime import date
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qclocal.data import lean_format, writers
from qclocal.data.sid import equity_sid


def bars_frame(closes, start="2020-01-02", volume=1000.0) -> pd.DataFrame:
    idx = pd.bdate_range(start, periods=len(closes))
    c = np.asarray(closes, dtype=float)
    return pd.DataFrame(
        {"open": c * 0.99, "high": c * 1.01, "low": c * 0.98, "close": c, "volume": volume}, index=idx
    )


def read_zip(path: Path) -> tuple[list[str], str]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        return names, zf.read(names[0]).decode()


def lean_factor(path: Path, dates: pd.DatetimeIndex) -> np.ndarray:
    """Independent reading of a factor file with LEAN's rule: the earliest row dated on or after the bar."""
    rows = [line.split(",") for line in path.read_text().splitlines()]
    row_dates = pd.to_datetime([r[0] for r in rows], format="%Y%m%d")
    scale = np.array([float(r[1]) * float(r[2]) for r in rows])
    out = []
    for d in dates:
        later = np.flatnonzero(row_dates >= d)
        out.append(scale[later[0]])
    return np.array(out)


# ---------------------------------------------------------------------------------------------- equity bars


def test_equity_bars_format(tmp_path: Path):
    bars = pd.DataFrame(
        {
            "open": [10.0, 11.5],
            "high": [10.5, 12.0],
            "low": [9.5, 11.0],
            "close": [10.12345, 11.99995],
            "volume": [1500.0, 2.6e6],
        },
        index=pd.to_datetime(["2020-01-02", "2020-01-03"]),
    )
    path = writers.write_equity_bars(tmp_path, "SPY", bars)
    assert path == tmp_path / "equity/usa/daily/spy.zip"
    names, text = read_zip(path)
    assert names == ["spy.csv"]
    assert text == (
        "20200102 00:00,100000,105000,95000,101234,1500\n20200103 00:00,115000,120000,110000,120000,2600000\n"
    )


def test_hour_bars_and_rejected_resolution(tmp_path: Path):
    idx = pd.to_datetime(["2020-01-02 09:00", "2020-01-02 10:00"])
    bars = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 5.0}, index=idx)
    _, text = read_zip(writers.write_equity_bars(tmp_path, "spy", bars, resolution="hour"))
    assert text.splitlines() == [
        "20200102 09:00,10000,10000,10000,10000,5",
        "20200102 10:00,10000,10000,10000,10000,5",
    ]
    with pytest.raises(ValueError, match="minute"):
        writers.write_equity_bars(tmp_path, "spy", bars, resolution="minute")
    with pytest.raises(ValueError, match="midnight"):
        writers.write_equity_bars(tmp_path, "spy", bars, resolution="daily")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda b: b.iloc[::-1], "not sorted"),
        (lambda b: pd.concat([b, b.iloc[[-1]]]), "duplicate date 2020-01-09"),
        (lambda b: b.assign(close=[1.0, 0.0, 1.0, 1.0, 1.0, 1.0]), "non-positive price on 2020-01-03"),
        (lambda b: b.assign(volume=[1.0, 1.0, -5.0, 1.0, 1.0, 1.0]), "negative volume on 2020-01-06"),
        (lambda b: b.assign(open=[1.0, np.nan, 1.0, 1.0, 1.0, 1.0]), "NaN values on 2020-01-03"),
        (lambda b: b.drop(columns="volume"), "missing columns \\['volume'\\]"),
        (lambda b: b.tz_localize("UTC"), "naive"),
    ],
)
def test_equity_bars_reject_bad_frames(tmp_path: Path, mutate, message):
    bars = bars_frame([1, 2, 3, 4, 5, 6])
    with pytest.raises(ValueError, match=message):
        writers.write_equity_bars(tmp_path, "abc", mutate(bars))
    assert not (tmp_path / "equity/usa/daily/abc.zip").exists()


def test_writes_are_deterministic_and_skip_unchanged(tmp_path: Path):
    bars = bars_frame([10, 11, 12])
    first = writers.write_equity_bars(tmp_path / "a", "x", bars).read_bytes()
    second = writers.write_equity_bars(tmp_path / "b", "x", bars).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a/equity/usa/daily/x.zip") as zf:
        assert zf.infolist()[0].date_time == writers.ZIP_TIMESTAMP
    path = tmp_path / "a/equity/usa/daily/x.zip"
    os.utime(path, (1_000_000, 1_000_000))
    writers.write_equity_bars(tmp_path / "a", "x", bars)
    assert path.stat().st_mtime == 1_000_000  # identical content: not rewritten


def test_atomic_write_leaves_old_file_when_interrupted(tmp_path: Path, monkeypatch):
    path = tmp_path / "f.csv"
    writers.atomic_write_text(path, "old\n")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(writers.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        writers.atomic_write_text(path, "new\n")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv"]  # no temp file left behind


# ---------------------------------------------------------------------------------------------- factors


def test_factor_file_format_and_terminal_row(tmp_path: Path):
    rows = pd.DataFrame(
        {"price_factor": [0.8646266, 0.9], "split_factor": [1.0, 0.5], "reference_price": [165.48, 12.0]},
        index=pd.to_datetime(["2013-12-19", "2014-03-20"]),
    )
    path = writers.write_factor_file(tmp_path, "SPY", rows)
    assert path == tmp_path / "equity/usa/factor_files/spy.csv"
    assert path.read_text() == "20131219,0.8646266,1,165.48\n20140320,0.9,0.5,12\n20501231,1,1,0\n"
    with_terminal = pd.concat(
        [
            rows,
            pd.DataFrame(
                {"price_factor": [1.0], "split_factor": [1.0], "reference_price": [0.0]},
                index=pd.to_datetime(["2050-12-31"]),
            ),
        ]
    )
    assert writers.write_factor_file(tmp_path, "SPY", with_terminal).read_text().count("20501231") == 1
    with pytest.raises(ValueError, match="positive"):
        writers.write_factor_file(tmp_path, "SPY", rows.assign(price_factor=[0.0, 1.0]))


def test_factor_file_reads_back_and_a_damaged_one_names_itself(tmp_path: Path):
    rows = pd.DataFrame({"price_factor": [0.8646266], "split_factor": [0.5], "reference_price": [165.48]},
                        index=pd.to_datetime(["2013-12-19"]))
    path = writers.write_factor_file(tmp_path, "SPY", rows)
    factors = lean_format.read_factor_file(tmp_path, "SPY")
    assert factors.dates.tolist() == [date(2013, 12, 19), date(2050, 12, 31)]
    assert factors.price_factor.tolist() == [0.8646266, 1.0] and factors.split_factor.tolist() == [0.5, 1.0]
    assert factors.reference_price.tolist() == [165.48, 0.0]
    path.write_text("20131219,0.86,1\n2014-03-20,0.9,1\n")
    with pytest.raises(ValueError, match=r"spy\.csv is not a LEAN factor file"):
        lean_format.read_factor_file(tmp_path, "SPY")


def test_factor_rows_put_dividend_steps_on_the_last_day_before_the_ex_date():
    close = pd.Series([100.0, 101.0, 99.0, 100.0, 102.0], index=pd.bdate_range("2020-01-06", periods=5))
    # A dividend goes ex on the 3rd day: everything before it is scaled by 0.98.
    adj = close * np.array([0.98, 0.98, 1.0, 1.0, 1.0])
    rows = writers.factor_rows_from_adjusted(close, adj)
    assert list(rows.index.strftime("%Y-%m-%d")) == ["2020-01-06", "2020-01-07", "2020-01-10"]
    assert rows["price_factor"].tolist() == [0.98, 0.98, 1.0]
    assert rows["reference_price"].tolist() == [100.0, 101.0, 102.0]
    assert (rows["split_factor"] == 1.0).all()


def test_factor_rows_absorb_storage_rounding():
    close = pd.Series([10.12345, 10.12346], index=pd.bdate_range("2020-01-06", periods=2))
    rows = writers.factor_rows_from_adjusted(close, close, tolerance=0)
    stored = writers.stored_price(close)
    applied = writers.factors_for_dates(rows, pd.DatetimeIndex(close.index))["price_factor"].to_numpy()
    np.testing.assert_allclose(stored * applied, close.to_numpy(), rtol=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0.05, max_value=5000), min_size=1, max_size=60),
    st.lists(st.floats(min_value=0.0, max_value=0.05), min_size=60, max_size=60),
    st.sampled_from([0.0, 1e-7, 1e-4]),
)
def test_factor_file_reproduces_adjusted_close(tmp_path_factory, closes, dividends, tolerance):
    """Read back with LEAN's row rule, stored close x factor equals Adj Close within the tolerance."""
    n = len(closes)
    close = pd.Series(np.round(closes, 6), index=pd.bdate_range("2015-01-01", periods=n))
    # Cumulative dividend adjustment, applied backwards from the newest date as Yahoo does.
    mult = np.cumprod((1 - np.asarray(dividends[:n]))[::-1])[::-1]
    adj = pd.Series(np.round(close.to_numpy() * mult, 6), index=close.index).clip(lower=1e-6)
    rows = writers.factor_rows_from_adjusted(close, adj, tolerance=tolerance)
    assert rows.index[0] == close.index[0]  # LEAN ignores data before the first row's date minus one day
    folder = tmp_path_factory.mktemp("ff")
    path = writers.write_factor_file(folder, "x", rows)
    got = writers.stored_price(close) * lean_factor(path, pd.DatetimeIndex(close.index))
    np.testing.assert_allclose(got, adj.to_numpy(), rtol=tolerance * 1.0001 + 2e-9, atol=0)


def test_factor_rows_merge_when_ratio_is_constant():
    close = pd.Series(np.linspace(10, 20, 50), index=pd.bdate_range("2020-01-01", periods=50)).round(4)
    rows = writers.factor_rows_from_adjusted(close, close * 0.5, tolerance=0)
    assert len(rows) == 2  # first date (LEAN's minimum date) and the last
    assert rows["price_factor"].tolist() == [0.5, 0.5]


def test_factors_for_dates_uses_earliest_row_on_or_after():
    rows = pd.DataFrame(
        {"price_factor": [0.5, 0.8], "split_factor": [1.0, 0.25], "reference_price": 0.0},
        index=pd.to_datetime(["2020-01-03", "2020-01-08"]),
    )
    dates = pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-08", "2020-01-09"])
    got = writers.factors_for_dates(rows, pd.DatetimeIndex(dates))
    assert got["price_factor"].tolist() == [0.5, 0.5, 0.8, 0.8, 1.0]
    assert got["split_factor"].tolist() == [1.0, 1.0, 0.25, 0.25, 1.0]


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), max_size=50))
def test_fmt_numbers_matches_fmt_number(values):
    assert writers.fmt_numbers(values) == [writers.fmt_number(v) for v in values]
    assert all("e" not in s for s in writers.fmt_numbers(values))


def test_fmt_numbers_small_values_stay_positional():
    assert writers.fmt_numbers([1.5e-7, 1.0, 0.8646266]) == ["0.00000015", "1", "0.8646266"]


# ---------------------------------------------------------------------------------------------- map, index


def test_map_file(tmp_path: Path):
    path = writers.write_map_file(tmp_path, "AAPL", "1998-01-02")
    assert path.read_text() == "19980102,aapl,Q\n20501231,aapl,Q\n"
    assert (
        writers.write_map_file(tmp_path, "X", "2001-01-02", "2003-05-06", "N").read_text()
        == "20010102,x,N\n20030506,x,N\n"
    )
    with pytest.raises(ValueError, match="before first"):
        writers.write_map_file(tmp_path, "X", "2003-01-02", "2001-01-02")


def test_index_bars_unscaled(tmp_path: Path):
    bars = pd.DataFrame(
        {"open": [17.24], "high": [18.5], "low": [16.0], "close": [17.125]},
        index=pd.to_datetime(["1990-01-02"]),
    )
    names, text = read_zip(writers.write_index_bars(tmp_path, "VIX", bars))
    assert names == ["vix.csv"] and text == "19900102 00:00,17.24,18.5,16,17.125,0\n"
    assert (tmp_path / "index/usa/daily/vix.zip").is_file()
    zero = bars.assign(close=0.0)
    with pytest.raises(ValueError, match="non-positive"):
        writers.write_index_bars(tmp_path, "IRX", zero)
    _, text = read_zip(writers.write_index_bars(tmp_path, "IRX", zero, require_positive=False))
    assert text.split(",")[4] == "0"


# ---------------------------------------------------------------------------------------------- coarse


def coarse_input(closes, volumes, start="2020-01-02", pf=1.0, sf=1.0, fund=True) -> pd.DataFrame:
    idx = pd.bdate_range(start, periods=len(closes))
    return pd.DataFrame(
        {
            "close": closes,
            "volume": volumes,
            "price_factor": pf,
            "split_factor": sf,
            "has_fundamental_data": fund,
        },
        index=idx,
    )


def test_coarse_rows_sorted_by_sid_with_exact_values(tmp_path: Path):
    equities = {
        "ZZZ": coarse_input([10.0, 11.0], [100, 100], start="2020-01-02"),
        "AAA": coarse_input([5.5, 6.0], [1000, 10], start="2020-01-02", pf=0.8646266, fund=False),
        "MMM": coarse_input([2.0], [7], start="2020-01-03", sf=0.5),
    }
    paths = writers.write_coarse_files(tmp_path, equities, first_dates={"ZZZ": "1998-01-02"})
    assert [p.name for p in paths] == ["20200102.csv", "20200103.csv"]
    day1 = paths[0].read_text().splitlines()
    assert day1 == [
        f"{equity_sid('AAA', '2020-01-02')},AAA,5.5,1000,5500,False,0.8646266,1",
        f"{equity_sid('ZZZ', '1998-01-02')},ZZZ,10,100,1000,True,1,1",
    ]
    day2 = paths[1].read_text().splitlines()
    assert [r.split(",")[1] for r in day2] == sorted(
        [r.split(",")[1] for r in day2],
        key=lambda t: {
            "AAA": equity_sid("AAA", "2020-01-02"),
            "ZZZ": equity_sid("ZZZ", "1998-01-02"),
            "MMM": equity_sid("MMM", "2020-01-03"),
        }[t],
    )
    assert f"{equity_sid('MMM', '2020-01-03')},MMM,2,7,14,True,1,0.5" in day2


def test_coarse_dollar_volume_ranks_and_date_window(tmp_path: Path):
    rng = np.random.default_rng(3)
    n, k = 30, 12
    equities = {
        f"T{i:02d}": coarse_input(rng.uniform(5, 500, n).round(4), rng.integers(1, 10**7, n))
        for i in range(k)
    }
    paths = writers.write_coarse_files(tmp_path, equities, start="2020-01-10", end="2020-01-20")
    dates = pd.bdate_range("2020-01-10", "2020-01-20")
    assert [p.name for p in paths] == [f"{d:%Y%m%d}.csv" for d in dates]
    for path, date in zip(paths, dates, strict=True):
        rows = [r.split(",") for r in path.read_text().splitlines()]
        by_file = sorted(rows, key=lambda r: -int(r[4]))
        expected = sorted(
            equities, key=lambda t: -(equities[t].loc[date, "close"] * equities[t].loc[date, "volume"])
        )
        assert [r[1] for r in by_file] == expected
        for r in rows:
            e = equities[r[1]].loc[date]
            assert float(r[2]) == e["close"] and int(r[3]) == e["volume"]
            assert int(r[4]) == round(e["close"] * e["volume"])


def test_coarse_chunking_gives_same_files(tmp_path: Path, monkeypatch):
    equities = {f"T{i}": coarse_input(np.arange(1, 41, dtype=float), np.full(40, 10)) for i in range(5)}
    big = writers.write_coarse_files(tmp_path / "a", equities)
    monkeypatch.setattr(writers, "_COARSE_CHUNK_ROWS", 7)
    small = writers.write_coarse_files(tmp_path / "b", equities)
    assert [p.read_bytes() for p in big] == [p.read_bytes() for p in small]


# ---------------------------------------------------------------------------------------------- rates


def test_interest_rate_file_keeps_change_points(tmp_path: Path):
    rates = pd.Series(
        [5.14, 5.14, np.nan, 5.19, 0.0], index=pd.bdate_range("1976-08-02", periods=5), name="irx"
    )
    path = writers.write_interest_rate_file(tmp_path, rates)
    assert path == tmp_path / "alternative/interest-rate/usa/interest-rate.csv"
    assert path.read_text() == "DATE,IRX\n1976-08-02,5.14\n1976-08-05,5.19\n1976-08-06,0\n"
