"""`qclocal data import` on small hand-made CSV folders: outputs, idempotence, options and bad input."""

from __future__ import annotations

import gzip
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import fred, importer, writers
from qclocal.data.importer import DataImportError, ImportOptions, import_folder
from qclocal.data.sid import equity_sid

# Ten NYSE sessions (2020-01-20 is Martin Luther King Day).
SESSIONS = pd.to_datetime(
    [
        "2020-01-13",
        "2020-01-14",
        "2020-01-15",
        "2020-01-16",
        "2020-01-17",
        "2020-01-21",
        "2020-01-22",
        "2020-01-23",
        "2020-01-24",
        "2020-01-27",
    ]
)


def write_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def ohlcv_text(closes, volumes, adj_mult, dates=SESSIONS) -> str:
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for d, c, v, m in zip(dates, closes, volumes, adj_mult, strict=True):
        lines.append(f"{d:%Y-%m-%d},{c * 0.99:.6f},{c * 1.02:.6f},{c * 0.97:.6f},{c:.6f},{c * m:.6f},{v}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    closes_a = np.array([100.123456, 101.2, 99.8, 100.5, 102.25, 103.0, 101.75, 102.5, 104.0, 103.333333])
    # ABC pays a dividend that goes ex on 2020-01-22: Adj Close is 0.99 x Close before that.
    mult_a = np.where(SESSIONS < pd.Timestamp("2020-01-22"), 0.99, 1.0)
    write_csv(src / "ohlcv/ABC.csv", ohlcv_text(closes_a, [1_000_000] * 10, mult_a))
    closes_x = np.linspace(20.0, 25.0, 10)
    write_csv(src / "ohlcv/XYZ.csv.gz", ohlcv_text(closes_x, np.arange(1, 11) * 900_000, np.ones(10)))
    write_csv(src / "close/ABC.csv", "Date,Close\n2020-01-13,1.0\n")  # shadowed by ohlcv/ABC
    write_csv(
        src / "close/SPY.csv",
        "Date,Close\n" + "".join(f"{d:%Y-%m-%d},{320 + i * 0.123457:.6f}\n" for i, d in enumerate(SESSIONS)),
    )
    write_csv(
        src / "index/VIX.csv",
        "Date,Open,High,Low,Close\n"
        + "".join(f"{d:%Y-%m-%d},12.5,13.25,12.0,{12.5 + i / 10:.2f}\n" for i, d in enumerate(SESSIONS)),
    )
    write_csv(src / "rates/IRX.csv", "Date,Close\n2020-01-13,1.5\n2020-01-14,1.5\n2020-01-15,1.525\n")
    write_csv(src / "fred/INDPRO.csv", "date,value\n2019-11-01,109.5\n2019-12-01,.\n2020-01-01,109.9\n")
    return src


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read_daily(folder: Path, ticker: str, kind: str = "equity") -> list[list[str]]:
    with zipfile.ZipFile(folder / kind / "usa/daily" / f"{ticker}.zip") as zf:
        return [line.split(",") for line in zf.read(f"{ticker}.csv").decode().splitlines()]


def test_import_writes_every_kind(source: Path, tmp_path: Path):
    data = tmp_path / "data"
    report = import_folder(source, data, ImportOptions(progress=False))
    assert report.imported == {
        "ohlcv": ["ABC", "XYZ"],
        "close": ["SPY"],
        "index": ["VIX"],
        "rates": ["IRX"],
        "fred": ["INDPRO"],
    }
    assert report.errors == [] and report.warnings == []

    abc = read_daily(data, "abc")
    assert abc[0] == ["20200113 00:00", "991222", "1021259", "971198", "1001235", "1000000"]
    assert len(abc) == 10
    # ADJUSTED: stored close x factor (LEAN's row rule) reproduces Adj Close.
    csv = pd.read_csv(source / "ohlcv/ABC.csv", parse_dates=["Date"])
    rows = pd.read_csv(data / "equity/usa/factor_files/abc.csv", header=None, dtype={0: str})
    row_dates = pd.to_datetime(rows[0], format="%Y%m%d")
    for _, r in csv.iterrows():
        factor = rows.loc[row_dates >= r["Date"], 1].iloc[0] * rows.loc[row_dates >= r["Date"], 2].iloc[0]
        assert abs(round(r["Close"], 4) * factor / r["Adj Close"] - 1) <= 1.01e-7
    assert (data / "equity/usa/map_files/abc.csv").read_text() == "20200113,abc,Q\n20501231,abc,Q\n"

    spy = read_daily(data, "spy")
    assert all(r[1] == r[2] == r[3] == r[4] and r[5] == "0" for r in spy)
    assert importer.close_only_tickers(data) == {"SPY"}

    vix = read_daily(data, "vix", kind="index")
    assert vix[-1] == ["20200127 00:00", "12.5", "13.25", "12", "13.4", "0"]
    irx = read_daily(data, "irx", kind="index")
    assert [r[4] for r in irx] == ["1.5", "1.5", "1.525"]
    assert (
        data / "alternative/interest-rate/usa/interest-rate.csv"
    ).read_text() == "DATE,IRX\n2020-01-13,1.5\n2020-01-15,1.525\n"

    indpro = fred.read_fred(data, "INDPRO")
    lag = fred.RELEASE_LAG_DAYS["INDPRO"]
    assert list(indpro.values) == [109.5, 109.9]
    assert list(indpro.index) == [
        pd.Timestamp("2019-11-01") + pd.Timedelta(days=lag + 1),
        pd.Timestamp("2020-01-01") + pd.Timedelta(days=lag + 1),
    ]

    coarse = sorted((data / "equity/usa/fundamental/coarse").glob("*.csv"))
    assert [p.name for p in coarse] == [f"{d:%Y%m%d}.csv" for d in SESSIONS]
    first = [r.split(",") for r in coarse[0].read_text().splitlines()]
    assert [r[1] for r in first] == ["ABC", "XYZ"]  # SPY is close-only: no volume, not in the universe
    assert first[0][:6] == [
        equity_sid("ABC", "2020-01-13"),
        "ABC",
        "100.1235",
        "1000000",
        "100123500",
        "True",
    ]
    assert float(first[0][6]) == pytest.approx(0.99 * 100.123456 / 100.1235, rel=1.01e-7)


def test_coarse_dollar_volume_ranks(source: Path, tmp_path: Path):
    data = tmp_path / "data"
    import_folder(source, data, ImportOptions(progress=False))
    frames = {
        t: pd.read_csv(
            source / f"ohlcv/{t}.csv{'.gz' if t == 'XYZ' else ''}", parse_dates=["Date"]
        ).set_index("Date")
        for t in ("ABC", "XYZ")
    }
    for date in SESSIONS:
        rows = [
            r.split(",")
            for r in (data / f"equity/usa/fundamental/coarse/{date:%Y%m%d}.csv").read_text().splitlines()
        ]
        got = [r[1] for r in sorted(rows, key=lambda r: -int(r[4]))]
        dv = {t: round(f.loc[date, "Close"], 4) * f.loc[date, "Volume"] for t, f in frames.items()}
        assert got == sorted(dv, key=lambda t: -dv[t])
        assert {r[1]: int(r[4]) for r in rows} == {t: round(v) for t, v in dv.items()}


def test_rerun_is_idempotent_and_touches_nothing(source: Path, tmp_path: Path):
    data = tmp_path / "data"
    import_folder(source, data, ImportOptions(progress=False))
    before = snapshot(data)
    import_folder(source, data, ImportOptions(progress=False))
    assert snapshot(data) == before


def test_partial_runs_build_the_same_coarse_files(source: Path, tmp_path: Path):
    full, parts = tmp_path / "full", tmp_path / "parts"
    import_folder(source, full, ImportOptions(progress=False))
    import_folder(source, parts, ImportOptions(progress=False, tickers=frozenset({"ABC"})))
    assert importer.read_manifest(parts)["equity"].keys() == {"ABC"}
    import_folder(source, parts, ImportOptions(progress=False, tickers=frozenset({"XYZ", "SPY"})))
    coarse = "equity/usa/fundamental/coarse"
    assert {p.name: p.read_bytes() for p in (full / coarse).iterdir()} == {
        p.name: p.read_bytes() for p in (parts / coarse).iterdir()
    }


def test_tickers_and_date_window(source: Path, tmp_path: Path):
    data = tmp_path / "data"
    report = import_folder(
        source,
        data,
        ImportOptions(
            progress=False,
            tickers=frozenset({"ABC", "VIX"}),
            start=pd.Timestamp("2020-01-15"),
            end=pd.Timestamp("2020-01-22"),
        ),
    )
    assert report.imported["ohlcv"] == ["ABC"] and report.imported["index"] == ["VIX"]
    assert [r[0][:8] for r in read_daily(data, "abc")] == [
        "20200115",
        "20200116",
        "20200117",
        "20200121",
        "20200122",
    ]
    assert (data / "equity/usa/map_files/abc.csv").read_text().startswith("20200115,abc,Q")
    assert not (data / "equity/usa/daily/xyz.zip").exists()
    assert len(list((data / "equity/usa/fundamental/coarse").iterdir())) == 5
    with pytest.raises(DataImportError, match="not found in the source folder: NOPE"):
        import_folder(source, data, ImportOptions(progress=False, tickers=frozenset({"ABC", "NOPE"})))


# ---------------------------------------------------------------------------------------------- bad input


def bad_source(tmp_path: Path, rel: str, text: str) -> Path:
    src = tmp_path / "bad"
    write_csv(src / rel, text)
    return src


HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


@pytest.mark.parametrize(
    "rel, text, message",
    [
        (
            "ohlcv/BAD.csv",
            HEADER + "2020-01-13,1,1,1,1,1,10\n2020-01-14,1,1,1,1,1,10\n2020-01-14,1,1,1,1,1,10\n",
            "ohlcv/BAD.csv:4: error: duplicate date 2020-01-14 (also on line 3)",
        ),
        (
            "ohlcv/BAD.csv",
            HEADER + "2020-01-13,1,1,1,1,1,10\n2020-01-15,1,1,1,1,1,10\n2020-01-14,1,1,1,1,1,10\n",
            "ohlcv/BAD.csv:4: error: dates not sorted: 2020-01-14 comes after 2020-01-15 (line 3)",
        ),
        (
            "ohlcv/BAD.csv",
            HEADER + "2020-01-13,1,1,1,1,1,10\n2020-01-14,1,1,0,1,1,10\n",
            "ohlcv/BAD.csv:3: error: non-positive Low 0 on 2020-01-14",
        ),
        (
            "ohlcv/BAD.csv",
            HEADER + "2020-01-13,1,1,1,1,1,10\n2020-01-14,1,1,1,1,-2,10\n",
            "ohlcv/BAD.csv:3: error: non-positive Adj Close -2 on 2020-01-14",
        ),
        (
            "ohlcv/BAD.csv",
            HEADER + "2020-01-13,1,1,1,1,1,-10\n",
            "ohlcv/BAD.csv:2: error: negative Volume -10",
        ),
        (
            "ohlcv/BAD.csv",
            HEADER + "2020-01-13,1,1,1,1,1,10\n2020-01-14,1,abc,1,1,1,10\n",
            "ohlcv/BAD.csv:3: error: High: 'abc' is not a number",
        ),
        (
            "close/BAD.csv",
            "Date,Close\n2020-01-13,1\n01/14/2020,2\n",
            "close/BAD.csv:3: error: cannot read date '01/14/2020' (expected YYYY-MM-DD)",
        ),
        (
            "ohlcv/BAD.csv",
            "Date,Open,High,Low,Close,Volume\n2020-01-13,1,1,1,1,10\n",
            "ohlcv/BAD.csv:1: error: missing column 'Adj Close'; header is Date,Open,High,Low,Close,Volume",
        ),
        (
            "index/BAD.csv",
            "Date,Open,High,Low,Close\n2020-01-13,1,1,1,-1\n",
            "index/BAD.csv:2: error: non-positive Close -1 on 2020-01-13",
        ),
        (
            "fred/MYSERIES.csv",
            "date,value\n2020-01-01,1\n",
            "fred/MYSERIES.csv: error: no release lag known for FRED series MYSERIES",
        ),
        ("close/EMPTY.csv", "", "close/EMPTY.csv:1: error: empty file"),
    ],
)
def test_bad_input_is_an_error_naming_file_and_line(tmp_path: Path, rel: str, text: str, message: str):
    src = bad_source(tmp_path, rel, text)
    write_csv(src / "close/GOOD.csv", "Date,Close\n2020-01-13,5\n2020-01-14,5.5\n")
    data = tmp_path / "data"
    with pytest.raises(DataImportError) as info:
        import_folder(src, data, ImportOptions(progress=False))
    assert message in str(info.value)
    assert f"rerun `qclocal data import --source {src} --data-folder {data}`" in str(info.value)
    # The good file is imported anyway; nothing is written for the bad one.
    assert (data / "equity/usa/daily/good.zip").is_file()
    assert not (data / "equity/usa/daily/bad.zip").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        (
            HEADER
            + "2020-01-13,1,1,1,1,1,10\n2020-01-14,null,null,null,null,null,null\n2020-01-15,1,1,1,1,1,10\n",
            "ohlcv/W.csv:3: warning: 1 row(s) with missing values skipped (lines 3)",
        ),
        (
            HEADER + "2020-01-13,1,1,1,1,1,10\n2020-01-18,1,1,1,1,1,10\n2020-01-21,1,1,1,1,1,10\n",
            "ohlcv/W.csv:3: warning: 1 row(s) on dates that are not XNYS sessions skipped (lines 3)",
        ),
        (
            HEADER + "2020-01-02,1,1,1,1,1,10\n2020-01-27,1,1,1,1,1,10\n",
            "ohlcv/W.csv:3: warning: gap of 15 sessions between 2020-01-02 and 2020-01-27",
        ),
    ],
)
def test_suspicious_rows_are_warnings_or_strict_errors(tmp_path: Path, text: str, message: str):
    src = bad_source(tmp_path, "ohlcv/W.csv", text)
    report = import_folder(src, tmp_path / "data", ImportOptions(progress=False))
    assert [str(w) for w in report.warnings] == [message]
    assert len(read_daily(tmp_path / "data", "w")) == 2  # skipped rows are not written
    with pytest.raises(DataImportError, match=re.escape(message.replace("warning", "error") + " (--strict)")):
        import_folder(src, tmp_path / "strict", ImportOptions(progress=False, strict=True))


def test_warnings_only_inside_the_date_window(tmp_path: Path):
    text = HEADER + "2020-01-02,1,1,1,1,1,10\n2020-01-27,null,1,1,1,1,10\n2020-01-28,1,1,0,1,1,10\n"
    text += "2020-01-29,2,2,2,2,2,10\n"
    src = bad_source(tmp_path, "ohlcv/W.csv", text)
    report = import_folder(
        src, tmp_path / "data", ImportOptions(progress=False, start=pd.Timestamp("2020-01-29"))
    )
    assert report.warnings == [] and [r[0] for r in read_daily(tmp_path / "data", "w")] == ["20200129 00:00"]
    unsorted = bad_source(
        tmp_path, "ohlcv/U.csv", HEADER + "2020-01-03,1,1,1,1,1,1\n2020-01-02,1,1,1,1,1,1\n"
    )
    with pytest.raises(DataImportError, match="U.csv:3: error: dates not sorted"):
        import_folder(
            unsorted, tmp_path / "d2", ImportOptions(progress=False, start=pd.Timestamp("2020-02-01"))
        )


def test_fred_lag_option_admits_unknown_series(tmp_path: Path):
    src = bad_source(tmp_path, "fred/observation_style.csv", "observation_date,MYSERIES\n2020-01-01,4\n")
    report = import_folder(
        src, tmp_path / "data", ImportOptions(progress=False, fred_lags={"OBSERVATION_STYLE": 3})
    )
    assert report.imported["fred"] == ["OBSERVATION_STYLE"]
    assert (tmp_path / "data/alternative/fred/observation_style.csv").read_text() == "20200104,4,20200101\n"


def test_missing_source_folder(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="source folder not found"):
        import_folder(tmp_path / "nope", tmp_path / "data", ImportOptions(progress=False))


def test_corrupt_manifest_names_fix(tmp_path: Path):
    path = tmp_path / "data" / importer.MANIFEST
    writers.atomic_write_text(path, "{not json")
    with pytest.raises(ValueError, match=r"import-manifest.json:1: corrupt import manifest .* delete it"):
        importer.read_manifest(tmp_path / "data")
