"""`qclocal data import yahoo` on a recorded yfinance response (never the network), the `data` CLI, and the
exchange-calendars fallback."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qclocal.data import calendars, importer, yahoo
from qclocal.data.cli import data as data_group


def recorded_download(tickers: list[str], **kwargs: Any) -> pd.DataFrame:
    """A stand-in for `yfinance.download(["SPY", "^VIX"], start="2020-01-02", end="2020-01-08",
    auto_adjust=False, group_by="ticker", ...)`, built the way yfinance 1.x builds its result (a concat over
    tickers with column levels (Ticker, Price), rows the union of dates, NaN where a ticker has no row).
    The numbers are typed in: SPY's and VIX's early-2020 prices, four sessions."""
    recorded_download.calls.append((list(tickers), kwargs))
    idx = pd.DatetimeIndex(
        pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"]), name="Date"
    )
    spy = pd.DataFrame(
        {
            "Open": [323.540009, 321.160004, 320.489990, 323.019989],
            "High": [324.890015, 323.640015, 323.730011, 323.540009],
            "Low": [322.529999, 321.100006, 320.359985, 322.239990],
            "Close": [324.869995, 322.410004, 323.640015, 322.730011],
            "Adj Close": [302.208374, 299.920166, 301.064392, 300.217957],
            "Volume": [59151200, 77709700, 55653900, 40496400],
        },
        index=idx,
    )
    vix = pd.DataFrame(
        {
            "Open": [13.46, 15.01, 15.45, np.nan],
            "High": [13.72, 16.20, 16.39, np.nan],
            "Low": [12.42, 13.13, 13.54, np.nan],
            "Close": [12.47, 14.02, 13.85, np.nan],
            "Adj Close": [12.47, 14.02, 13.85, np.nan],
            "Volume": [0, 0, 0, np.nan],
        },
        index=idx,
    )
    parts = {"SPY": spy, "^VIX": vix}
    return pd.concat([parts[t] for t in tickers], axis=1, keys=tickers, names=["Ticker", "Price"])


recorded_download.calls = []  # type: ignore[attr-defined]


def test_yahoo_import_offline(tmp_path: Path):
    recorded_download.calls.clear()
    data = tmp_path / "data"
    report = yahoo.import_yahoo(
        ["spy", "^VIX"],
        "2020-01-02",
        "2020-01-07",
        data,
        options=importer.ImportOptions(progress=False),
        downloader=recorded_download,
    )
    ((tickers, kwargs),) = recorded_download.calls
    assert tickers == ["SPY", "^VIX"]
    assert kwargs["auto_adjust"] is False and kwargs["group_by"] == "ticker"
    assert (kwargs["start"], kwargs["end"]) == ("2020-01-02", "2020-01-08")  # yfinance's end is exclusive
    assert report.imported["ohlcv"] == ["SPY"] and report.imported["index"] == ["VIX"]
    csv = (data / "qclocal/yahoo/ohlcv/SPY.csv").read_text().splitlines()
    assert csv[0] == "Date,Open,High,Low,Close,Adj Close,Volume"
    assert csv[1] == "2020-01-02,323.540009,324.890015,322.529999,324.869995,302.208374,59151200"
    with zipfile.ZipFile(data / "equity/usa/daily/spy.zip") as zf:
        rows = zf.read("spy.csv").decode().splitlines()
    assert rows[0] == "20200102 00:00,3235400,3248900,3225300,3248700,59151200"
    with zipfile.ZipFile(data / "index/usa/daily/vix.zip") as zf:
        assert len(zf.read("vix.csv").decode().splitlines()) == 3  # the all-NaN padding row is dropped
    factors = (data / "equity/usa/factor_files/spy.csv").read_text().splitlines()
    pf = float(factors[0].split(",")[1])
    assert 324.87 * pf == pytest.approx(302.208374, rel=1.01e-7)


def test_yahoo_reports_tickers_without_data(tmp_path: Path):
    def empty(tickers, **kwargs):
        return pd.DataFrame()

    with pytest.raises(RuntimeError, match="no data for SPY .*offline"):
        yahoo.download(["SPY"], "2020-01-02", None, tmp_path, downloader=empty)


def test_yahoo_symbol_mapping():
    assert yahoo.local_name("^VIX") == ("index", "VIX")
    assert yahoo.local_name("^tnx") == ("rates", "TNX")
    assert yahoo.local_name("BRK-B") == ("ohlcv", "BRK.B")


# ---------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "close").mkdir(parents=True)
    (src / "close/SPY.csv").write_text("Date,Close\n2020-01-02,300\n2020-01-03,301.5\n")
    return src


def test_cli_import_csv(source: Path, tmp_path: Path):
    data = tmp_path / "data"
    result = CliRunner().invoke(
        data_group, ["import", "--source", str(source), "--data-folder", str(data), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 1 close" in result.output
    assert (data / "equity/usa/daily/spy.zip").is_file()
    result = CliRunner().invoke(
        data_group,
        [
            "import",
            "csv",
            str(source),
            "--data-folder",
            str(data),
            "--quiet",
            "--tickers",
            "spy",
            "--start",
            "2020-01-03",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (data / "equity/usa/map_files/spy.csv").read_text().startswith("20200103,spy")


def test_cli_errors(source: Path, tmp_path: Path):
    (source / "close/BAD.csv").write_text("Date,Close\n2020-01-03,1\n2020-01-02,1\n")
    runner = CliRunner()
    result = runner.invoke(
        data_group, ["import", "--source", str(source), "--data-folder", str(tmp_path / "d"), "--quiet"]
    )
    assert result.exit_code == 1
    assert "close/BAD.csv:3: error: dates not sorted" in result.output
    result = runner.invoke(data_group, ["import"])
    assert result.exit_code == 2 and "pass --source DIR" in result.output
    result = runner.invoke(data_group, ["import", "yahoo", "--start", "2020-01-01"])
    assert result.exit_code == 2 and "pass --tickers" in result.output
    result = runner.invoke(data_group, ["import", "--source", str(source), "--fred-lag", "INDPRO"])
    assert result.exit_code == 2 and "use SERIES=DAYS" in result.output
    result = runner.invoke(data_group, ["import", "--source", str(source), "--start", "2020-13-45"])
    assert result.exit_code == 2 and "use YYYY-MM-DD" in result.output


def test_cli_generate_calls_the_synthetic_generator(tmp_path: Path, monkeypatch):
    import qclocal.data.synthetic as synthetic

    calls = []
    monkeypatch.setattr(synthetic, "generate", lambda *a, **k: calls.append((a, k)) or {})
    result = CliRunner().invoke(
        data_group,
        [
            "generate",
            "mag7",
            "--data-folder",
            str(tmp_path),
            "--seed",
            "3",
            "--start",
            "2015-01-01",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert calls == [(("mag7", tmp_path), {"seed": 3, "start": "2015-01-01", "progress": False, "allow_mixed": False, "force": False})]


def test_default_data_folder_follows_lean_json(tmp_path: Path, monkeypatch):
    from qclocal.data.cli import default_data_folder

    (tmp_path / "ws/algorithms/x").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert default_data_folder() == Path("data")
    (tmp_path / "ws/lean.json").write_text('{"data-folder": "lean-data"}')
    monkeypatch.chdir(tmp_path / "ws/algorithms/x")
    assert default_data_folder() == tmp_path / "ws/lean-data"


# ---------------------------------------------------------------------------------------------- calendars


def test_sessions_have_holidays_and_early_closes():
    s = calendars.sessions("2020-11-25", "2020-12-01")
    assert list(s.index.strftime("%Y-%m-%d")) == ["2020-11-25", "2020-11-27", "2020-11-30", "2020-12-01"]
    assert s.loc["2020-11-27", "close"] == pd.Timestamp("2020-11-27 13:00")  # day after Thanksgiving
    assert s.loc["2020-11-25", "open"] == pd.Timestamp("2020-11-25 09:30")
    assert s.loc["2020-11-25", "close"] == pd.Timestamp("2020-11-25 16:00")
    assert s["open"].dt.tz is None and s.attrs["tz"] == "America/New_York"
    assert list(s.index[calendars.is_early_close(s)]) == [pd.Timestamp("2020-11-27")]
    closed_after_911 = calendars.session_dates("2001-09-10", "2001-09-17")
    assert list(closed_after_911.strftime("%Y-%m-%d")) == ["2001-09-10", "2001-09-17"]


@pytest.mark.leandata
def test_calendar_agrees_with_lean_market_hours(lean_data: Path):
    import json

    entry = json.loads((lean_data / "market-hours/market-hours-database.json").read_text())["entries"][
        "Equity-usa-[*]"
    ]
    holidays = {pd.Timestamp(h) for h in entry["holidays"]}
    early = {pd.Timestamp(d): v for d, v in entry["earlyCloses"].items()}
    s = calendars.sessions("2005-01-01", "2020-12-31")
    weekdays = pd.bdate_range("2005-01-01", "2020-12-31")
    expected = [d for d in weekdays if d not in holidays]
    assert list(s.index) == expected
    for day, close in early.items():
        if pd.Timestamp("2005-01-01") <= day <= pd.Timestamp("2020-12-31") and day in s.index:
            assert s.loc[day, "close"] == day + pd.Timedelta(close)
