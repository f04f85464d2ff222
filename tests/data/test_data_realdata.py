"""Real data round trip: ../shared/market-data imported, then read back through the qclocal engine.

A buy-and-hold backtest in ADJUSTED mode tracks Adj Close returns to 1e-6 a day; RAW mode shows the file's
prices; the coarse files rank dollar volume exactly; FRED values arrive only after their release date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import fred, importer
from qclocal.data.importer import ImportOptions, import_folder

pytestmark = pytest.mark.realdata

ETFS = ["QQQ", "TLT", "SHY"]  # OHLCV with dividends
STOCKS = ["AAPL", "MSFT", "JPM", "XOM"]
CLOSE_ONLY = ["SPY"]  # close/ only: adjusted close, volume 0
EQUITIES = ETFS + STOCKS + CLOSE_ONLY
START, END = pd.Timestamp("2012-01-03"), pd.Timestamp("2020-12-10")


@pytest.fixture(scope="module")
def imported(market_data: Path, tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("realdata") / "data"
    import_folder(
        market_data,
        data,
        ImportOptions(progress=False, tickers=frozenset(EQUITIES + ["VIX", "IRX", "INDPRO", "UNRATE"])),
    )
    return data


def source_frame(market_data: Path, ticker: str) -> pd.DataFrame:
    folder = "close" if ticker in CLOSE_ONLY else "ohlcv"
    frame = pd.read_csv(market_data / folder / f"{ticker}.csv.gz", parse_dates=["Date"]).set_index("Date")
    if ticker in CLOSE_ONLY:
        frame["Adj Close"] = frame["Close"]
    return frame


def run(algorithm_cls, data: Path, tmp_path: Path):
    from qclocal.algorithm_imports import installed
    from qclocal.engine.runner import run_algorithm

    with installed():
        result = run_algorithm(algorithm_cls(), data, tmp_path / "storage")
    assert result.status == "Completed", result.error
    return result


def buy_and_hold(mode_name: str):
    from qclocal.engine.algorithm import QCAlgorithm
    from qclocal.engine.enums import DataNormalizationMode, Resolution

    mode = getattr(DataNormalizationMode, mode_name)

    class BuyAndHold(QCAlgorithm):
        def initialize(self):
            self.set_start_date(START.year, START.month, START.day)
            self.set_end_date(END.year, END.month, END.day)
            self.set_cash(10_000_000)
            self.set_benchmark(lambda t: 0)
            self.symbols = {
                t: self.add_equity(t, Resolution.DAILY, data_normalization_mode=mode).symbol for t in EQUITIES
            }
            self.rows: list[tuple] = []

        def on_data(self, data):
            if not data.bars:  # a slice of corporate events only (LEAN emits them at 00:00 of the ex-date)
                return
            if not self.portfolio.invested:
                for symbol in self.symbols.values():
                    self.set_holdings(symbol, 1 / len(self.symbols))
            for ticker, symbol in self.symbols.items():
                bar = data.bars.get(symbol)
                holding = self.portfolio[symbol]
                self.rows.append(
                    (
                        ticker,
                        self.time,
                        bar.close if bar is not None else np.nan,
                        holding.quantity,
                        holding.holdings_value,
                    )
                )
            self.rows.append(("TPV", self.time, np.nan, 0.0, self.portfolio.total_portfolio_value))

    return BuyAndHold


@pytest.fixture(scope="module")
def runs(imported: Path, tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = {}
    for mode in ("ADJUSTED", "RAW"):
        cls = buy_and_hold(mode)
        tmp = tmp_path_factory.mktemp(mode)
        from qclocal.algorithm_imports import installed
        from qclocal.engine.runner import run_algorithm

        with installed():
            algorithm = cls()
            result = run_algorithm(algorithm, imported, tmp / "storage")
        assert result.status == "Completed", result.error
        out[mode] = pd.DataFrame(algorithm.rows, columns=["ticker", "time", "close", "quantity", "value"])
    return out


@pytest.mark.parametrize("ticker", EQUITIES)
def test_adjusted_buy_and_hold_tracks_adj_close(runs, market_data: Path, ticker: str):
    rows = runs["ADJUSTED"][runs["ADJUSTED"]["ticker"] == ticker].set_index("time")
    src = source_frame(market_data, ticker)
    dates = pd.DatetimeIndex(rows.index).normalize()
    adj = src["Adj Close"].reindex(dates).to_numpy()
    assert not np.isnan(adj).any()
    # Every daily close the algorithm sees is the Adj Close.
    np.testing.assert_allclose(rows["close"].to_numpy(), adj, rtol=1.01e-7, atol=0)
    held = rows[rows["quantity"] > 0]
    assert len(held) > 2000 and held["quantity"].nunique() == 1  # bought once, held throughout
    got = held["value"].pct_change().dropna().to_numpy()
    want = pd.Series(adj[rows["quantity"].to_numpy() > 0]).pct_change().dropna().to_numpy()
    assert np.max(np.abs(got - want)) < 1e-6
    total = held["value"].iloc[-1] / held["value"].iloc[0]
    assert total == pytest.approx((1 + want).prod(), rel=1e-6)


@pytest.mark.parametrize("ticker", EQUITIES)
def test_raw_mode_shows_the_file_prices(runs, market_data: Path, ticker: str):
    rows = runs["RAW"][runs["RAW"]["ticker"] == ticker].set_index("time")
    src = source_frame(market_data, ticker)
    close = src["Close"].reindex(pd.DatetimeIndex(rows.index).normalize()).to_numpy()
    np.testing.assert_array_equal(rows["close"].to_numpy(), np.round(close * 10000) / 10000)
    held = rows[rows["quantity"] > 0]
    np.testing.assert_allclose(
        held["value"].to_numpy(), held["quantity"].to_numpy() * held["close"].to_numpy(), rtol=1e-12
    )


def test_portfolio_value_moves_only_with_holdings(runs):
    frame = runs["ADJUSTED"]
    tpv = frame[frame["ticker"] == "TPV"].set_index("time")["value"]
    holdings = frame[frame["ticker"] != "TPV"].groupby("time")["value"].sum()
    after_buy = holdings.index[holdings > 0][1:]
    np.testing.assert_allclose(
        tpv.loc[after_buy].diff().dropna(), holdings.loc[after_buy].diff().dropna(), rtol=0, atol=1e-6
    )


def test_coarse_files_rank_dollar_volume_exactly(imported: Path, market_data: Path):
    tickers = ETFS + STOCKS
    frames = {t: source_frame(market_data, t) for t in tickers}
    coarse = imported / "equity/usa/fundamental/coarse"
    files = sorted(coarse.glob("*.csv"))
    assert len(files) == len(frames["AAPL"])  # one file per session with OHLCV data
    for path in files[::50]:
        day = pd.Timestamp(path.stem)
        rows = [r.split(",") for r in path.read_text().splitlines()]
        dv = {
            t: round(f.loc[day, "Close"], 4) * f.loc[day, "Volume"]
            for t, f in frames.items()
            if day in f.index
        }
        assert [r[1] for r in sorted(rows, key=lambda r: -int(r[4]))] == sorted(dv, key=lambda t: -dv[t])
        for r in rows:
            f = frames[r[1]].loc[day]
            adjusted = float(r[2]) * float(r[6]) * float(r[7])
            assert adjusted == pytest.approx(f["Adj Close"], rel=1.01e-7)
            assert r[5] == ("False" if r[1] in ETFS else "True")
    assert "SPY" not in {r.split(",")[1] for r in files[-1].read_text().splitlines()}
    assert importer.close_only_tickers(imported) == {"SPY"}


def test_fred_value_arrives_only_after_release(imported: Path, market_data: Path, tmp_path: Path):
    from qclocal.engine.algorithm import QCAlgorithm
    from qclocal.engine.custom_data import Fred
    from qclocal.engine.enums import Resolution

    class Macro(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2018, 1, 1)
            self.set_end_date(2020, 6, 30)
            self.set_benchmark(lambda t: 0)
            self.add_equity("QQQ", Resolution.DAILY)
            self.indpro = self.add_data(Fred, "INDPRO").symbol
            self.seen: list[tuple] = []

        def on_data(self, data):
            if data.contains_key(self.indpro):
                self.seen.append((self.time, data[self.indpro].value))

    from qclocal.algorithm_imports import installed
    from qclocal.engine.runner import run_algorithm

    with installed():
        algorithm = Macro()
        result = run_algorithm(algorithm, imported, tmp_path / "storage")
    assert result.status == "Completed", result.error
    src = pd.read_csv(market_data / "fred/INDPRO.csv.gz", parse_dates=["date"]).set_index("date")["value"]
    lag = pd.Timedelta(days=fred.RELEASE_LAG_DAYS["INDPRO"])
    assert len(algorithm.seen) == 30  # one new value a month
    for time, value in algorithm.seen:
        observation = src.index[np.isclose(src.to_numpy(), value, rtol=0, atol=1e-12)]
        assert len(observation) >= 1
        # The value shows up after its release (observation + lag), never before.
        assert all(pd.Timestamp(time) > obs + lag for obs in observation)
        assert pd.Timestamp(time) <= observation[-1] + lag + pd.Timedelta(days=1)


def test_indexes_and_rates_read_back(imported: Path, market_data: Path, tmp_path: Path):
    from qclocal.engine.algorithm import QCAlgorithm
    from qclocal.engine.enums import Resolution

    class Indexes(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2019, 1, 1)
            self.set_end_date(2019, 12, 31)
            self.set_benchmark(lambda t: 0)
            self.vix = self.add_index("VIX", Resolution.DAILY).symbol
            self.irx = self.add_index("IRX", Resolution.DAILY).symbol
            self.seen: list[tuple] = []

        def on_data(self, data):
            for name, symbol in (("VIX", self.vix), ("IRX", self.irx)):
                bar = data.bars.get(symbol)
                if bar is not None and not bar.is_fill_forward:
                    self.seen.append((name, pd.Timestamp(self.time).normalize(), bar.open, bar.close))

    from qclocal.algorithm_imports import installed
    from qclocal.engine.runner import run_algorithm

    with installed():
        algorithm = Indexes()
        result = run_algorithm(algorithm, imported, tmp_path / "storage")
    assert result.status == "Completed", result.error
    seen = pd.DataFrame(algorithm.seen, columns=["name", "date", "open", "close"])
    vix = pd.read_csv(market_data / "index/VIX.csv.gz", parse_dates=["Date"]).set_index("Date")
    got = seen[seen["name"] == "VIX"].set_index("date")
    assert len(got) == 252
    np.testing.assert_array_equal(got["close"], vix.loc[got.index, "Close"])
    np.testing.assert_array_equal(got["open"], vix.loc[got.index, "Open"])
    irx = pd.read_csv(market_data / "rates/IRX.csv.gz", parse_dates=["Date"]).set_index("Date")
    got = seen[seen["name"] == "IRX"].set_index("date")
    assert len(got) > 240
    np.testing.assert_array_equal(got["close"], irx.loc[got.index, "Close"])


def test_universe_selection_by_dollar_volume(imported: Path, market_data: Path, tmp_path: Path):
    from qclocal.engine.algorithm import QCAlgorithm
    from qclocal.engine.enums import Resolution

    class TopTwo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 1)
            self.set_end_date(2020, 3, 31)
            self.set_benchmark(lambda t: 0)
            self.universe_settings.resolution = Resolution.DAILY
            self.add_universe(self.select)
            self.picks: list[tuple] = []

        def select(self, coarse):
            rows = [c for c in coarse if c.price > 50]
            top = sorted(rows, key=lambda c: c.dollar_volume, reverse=True)[:2]
            self.picks.append(
                (
                    pd.Timestamp(self.time),
                    sorted(c.symbol.value for c in top),
                    {c.symbol.value: c.adjusted_price for c in coarse},
                )
            )
            return [c.symbol for c in top]

    from qclocal.algorithm_imports import installed
    from qclocal.engine.runner import run_algorithm

    with installed():
        algorithm = TopTwo()
        result = run_algorithm(algorithm, imported, tmp_path / "storage")
    assert result.status == "Completed", result.error
    frames = {t: source_frame(market_data, t) for t in ETFS + STOCKS}
    sessions = frames["AAPL"].loc["2019-12-31":"2020-03-30"].index
    assert [t for t, _, _ in algorithm.picks] == [d + pd.Timedelta(days=1) for d in sessions]
    for time, picked, adjusted in algorithm.picks:
        day = time - pd.Timedelta(days=1)  # the file for D arrives at midnight after D
        dv = {
            t: round(f.loc[day, "Close"], 4) * f.loc[day, "Volume"]
            for t, f in frames.items()
            if round(f.loc[day, "Close"], 4) > 50
        }
        assert picked == sorted(sorted(dv, key=lambda t: -dv[t])[:2])
        for t, price in adjusted.items():
            assert price == pytest.approx(frames[t].loc[day, "Adj Close"], rel=1.01e-7)
