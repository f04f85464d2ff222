"""lean_history: LEAN history() frames -> per-date tables keyed by ticker."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.lean_history import HistoryError, normalise, per_symbol, ticker_of, wide


class FakeSymbol:
    """Stands in for LEAN's Symbol: hashable; str() and .value are the ticker."""

    def __init__(self, ticker: str):
        self.value = ticker

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:
        return hash(("sym", self.value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FakeSymbol) and other.value == self.value


class StrOnlySymbol:
    def __init__(self, ticker: str):
        self._t = ticker

    def __str__(self) -> str:
        return self._t


def make_history(tickers, days, *, symbol_type=str, hour=16, skip=None) -> pd.DataFrame:
    rows, index = [], []
    for k, ticker in enumerate(tickers):
        sym = symbol_type(ticker)
        for i, day in enumerate(pd.bdate_range("2020-01-06", periods=days)):
            if skip and (ticker, i) in skip:
                continue
            close = 100.0 * (k + 1) + i
            rows.append(
                {"open": close - 1, "high": close + 1, "low": close - 2, "close": close, "volume": 1e6 + i}
            )
            index.append((sym, day + pd.Timedelta(hours=hour)))
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["symbol", "time"]))


@pytest.mark.parametrize("symbol_type", [str, FakeSymbol, StrOnlySymbol])
def test_wide_keys_by_ticker_and_normalises_time(symbol_type):
    hist = make_history(["QQQ", "TQQQ"], 5, symbol_type=symbol_type)
    table = wide(hist)
    assert list(table.columns) == ["QQQ", "TQQQ"]
    assert all(isinstance(c, str) for c in table.columns)
    assert (table.index == table.index.normalize()).all()
    assert table.index[0] == pd.Timestamp("2020-01-06")
    assert table.loc["2020-01-07", "TQQQ"] == 201.0
    assert table["QQQ"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]


def test_wide_other_field_and_ticker_order_and_gaps():
    hist = make_history(["A", "B"], 4, skip={("B", 2)})
    table = wide(hist, "volume", tickers=["B", "A"])
    assert list(table.columns) == ["B", "A"]
    assert np.isnan(table["B"].iloc[2]) and table["A"].iloc[2] == 1e6 + 2


def test_unsorted_input_comes_out_sorted_and_tz_is_dropped():
    hist = make_history(["A"], 4).iloc[::-1]
    hist.index = hist.index.set_levels(hist.index.levels[1].tz_localize("America/New_York"), level=1)
    table = wide(hist)
    assert table.index.is_monotonic_increasing and table.index.tz is None
    assert table["A"].tolist() == [100.0, 101.0, 102.0, 103.0]


def test_per_symbol_returns_one_frame_per_ticker():
    hist = make_history(["SPY", "BIL"], 3, symbol_type=FakeSymbol)
    frames = per_symbol(hist)
    assert set(frames) == {"SPY", "BIL"}
    spy = frames["SPY"]
    assert list(spy.columns) == ["open", "high", "low", "close", "volume"]
    assert spy.index[0] == pd.Timestamp("2020-01-06") and spy["close"].iloc[-1] == 102.0
    only = per_symbol(hist, tickers=["BIL"], columns=["close", "high"])
    assert list(only) == ["BIL"] and list(only["BIL"].columns) == ["close", "high"]


def test_uppercase_columns_and_custom_value_column():
    idx = pd.MultiIndex.from_tuples(
        [("UNRATE", pd.Timestamp("2020-02-01")), ("UNRATE", pd.Timestamp("2020-03-01"))],
        names=["symbol", "time"],
    )
    hist = pd.DataFrame({"Value": [3.5, 3.6]}, index=idx)
    assert wide(hist, "value")["UNRATE"].tolist() == [3.5, 3.6]


def test_empty_history_is_a_clear_error():
    empty = make_history(["A"], 2).iloc[:0]
    with pytest.raises(HistoryError, match="no rows.*qclocal data"):
        wide(empty)


def test_missing_ticker_names_it_and_what_is_there():
    with pytest.raises(HistoryError, match=r"\['ZZZ'\].*\['A'\]"):
        wide(make_history(["A"], 2), tickers=["A", "ZZZ"])
    with pytest.raises(HistoryError, match="ZZZ"):
        per_symbol(make_history(["A"], 2), tickers=["ZZZ"])


def test_missing_column_names_it():
    with pytest.raises(HistoryError, match="adjclose"):
        wide(make_history(["A"], 2), "adjclose")
    with pytest.raises(HistoryError, match="vwap"):
        per_symbol(make_history(["A"], 2), columns=["close", "vwap"])


def test_flat_index_and_intraday_bars_are_rejected():
    hist = make_history(["A"], 3)
    with pytest.raises(HistoryError, match=r"\(symbol, time\)"):
        wide(hist.loc["A"])
    intraday = pd.concat([hist, make_history(["A"], 3, hour=12)])
    with pytest.raises(HistoryError, match="more than one bar for A"):
        normalise(intraday)
    with pytest.raises(HistoryError, match="DataFrame"):
        wide(None)  # type: ignore[arg-type]


def test_ticker_of():
    assert ticker_of("SPY") == "SPY"
    assert ticker_of(FakeSymbol("QQQ")) == "QQQ"
    assert ticker_of(StrOnlySymbol("BIL")) == "BIL"
