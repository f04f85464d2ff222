"""SID encoding checked against the SIDs in LEAN's sample coarse files and the dates in its map files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qclocal.data.sid import decode_base36, decode_sid, encode_base36, encode_sid, equity_sid


def test_known_sids():
    assert equity_sid("SPY", "1998-01-02") == "SPY R735QTJ8XC9X"
    assert equity_sid("aapl", dt.date(1998, 1, 2)) == "AAPL R735QTJ8XC9X"
    # Google's class-A line: IPO 2004-08-19 as GOOG (LEAN's googl.csv map file starts "20040819,goog").
    assert equity_sid("GOOG", "2004-08-19") == "GOOG T1AZ164W5VTX"
    decoded = decode_sid("IWM RV0PWMLXVHPH")
    assert (decoded.symbol, decoded.first_date, decoded.market, decoded.security_type) == (
        "IWM",
        dt.date(2000, 5, 26),
        "usa",
        "equity",
    )


def test_index_sid_differs_in_type_digit():
    eq = decode_base36(equity_sid("VIX", "1998-01-02").split()[1])
    ix = decode_base36(encode_sid("VIX", "1998-01-02", "usa", "index").split()[1])
    assert ix - eq == 8  # SecurityType.Index (9) - SecurityType.Equity (1)


@pytest.mark.leandata
@pytest.mark.parametrize("ticker", ["aapl", "aig", "eem", "fb", "ibm", "iwm", "qqq", "spy", "uso"])
def test_sid_from_sample_map_file_matches_sample_coarse(lean_data: Path, ticker: str):
    first_row = (lean_data / "equity/usa/map_files" / f"{ticker}.csv").read_text().splitlines()[0].split(",")
    assert first_row[1] == ticker
    expected = equity_sid(ticker, dt.datetime.strptime(first_row[0], "%Y%m%d").date())
    coarse = (lean_data / "equity/usa/fundamental/coarse/20140325.csv").read_text().splitlines()
    sids = {line.split(",")[1]: line.split(",")[0] for line in coarse}
    assert sids[ticker.upper()] == expected


@pytest.mark.leandata
def test_every_sample_coarse_sid_round_trips(lean_data: Path):
    seen = 0
    for path in sorted((lean_data / "equity/usa/fundamental/coarse").glob("*.csv")):
        for line in path.read_text().splitlines():
            sid = line.split(",", 1)[0]
            parsed = decode_sid(sid)
            assert parsed.market == "usa" and parsed.security_type == "equity"
            assert encode_sid(parsed.symbol, parsed.first_date) == sid
            seen += 1
    assert seen > 70_000


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_base36_round_trip(value: int):
    text = encode_base36(value)
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert decode_base36(text) == value


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ.", min_size=1, max_size=8),
)
def test_sid_round_trip(first: dt.date, symbol: str):
    parsed = decode_sid(equity_sid(symbol, first))
    assert (parsed.symbol, parsed.first_date) == (symbol, first)


def test_bad_sid_inputs():
    with pytest.raises(ValueError, match="invalid ticker"):
        equity_sid("BRK B", "2000-01-03")
    with pytest.raises(ValueError, match="unknown market"):
        encode_sid("SPY", "2000-01-03", market="mars")
    with pytest.raises(ValueError, match="not a single SecurityIdentifier"):
        decode_sid("SPY R735QTJ8XC9X|SPY R735QTJ8XC9X")
