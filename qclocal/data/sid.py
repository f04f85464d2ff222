"""LEAN SecurityIdentifier strings for equities and indexes ("SPY R735QTJ8XC9X").

A SID is "<first ticker> <base36 properties>". The properties pack, as decimal digit fields of one
unsigned 64-bit number (facts from LEAN's Common/SecurityIdentifier.cs):

    properties = days * 10**14 + market_code * 10**2 + security_type

where `days` is the OLE Automation date (days since 1899-12-30) of the security's first trading date, as given
by the first row of its map file; strike, option style and right are zero for equities. Base36 uses 0-9A-Z.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

# SecurityType enum values (Common/Global.cs).
SECURITY_TYPES = {
    "base": 0,
    "equity": 1,
    "option": 2,
    "commodity": 3,
    "forex": 4,
    "future": 5,
    "cfd": 6,
    "crypto": 7,
    "futureoption": 8,
    "index": 9,
    "indexoption": 10,
    "cryptofuture": 11,
}
# Market codes (Common/Market.cs); only the ones this project can meet.
MARKET_CODES = {"usa": 1, "fxcm": 2, "oanda": 3, "cboe": 10, "cme": 23}

_SECURITY_TYPE_WIDTH = 100
_MARKET_OFFSET = 100
_MARKET_WIDTH = 1000
_DAYS_OFFSET = 10**14
_DAYS_WIDTH = 100_000
_OA_EPOCH = dt.date(1899, 12, 30)
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class SecurityId:
    symbol: str
    first_date: dt.date
    market: str
    security_type: str

    def __str__(self) -> str:
        return encode_sid(self.symbol, self.first_date, self.market, self.security_type)


def encode_base36(value: int) -> str:
    if value < 0:
        raise ValueError(f"base36 needs a non-negative number, got {value}")
    if value == 0:
        return "0"
    out = []
    while value:
        value, rem = divmod(value, 36)
        out.append(_DIGITS[rem])
    return "".join(reversed(out))


def decode_base36(text: str) -> int:
    value = 0
    for ch in text:
        idx = _DIGITS.find(ch)
        if idx < 0:
            raise ValueError(f"invalid base36 digit {ch!r} in {text!r}")
        value = value * 36 + idx
    return value


def _as_date(value: dt.date | pd.Timestamp | str) -> dt.date:
    return pd.Timestamp(value).date()


def encode_sid(
    symbol: str, first_date: dt.date | pd.Timestamp | str, market: str = "usa", security_type: str = "equity"
) -> str:
    """SID string for `symbol` first traded on `first_date` (LEAN's `SecurityIdentifier.GenerateEquity`)."""
    symbol = symbol.upper()
    if not symbol or any(c in symbol for c in " |"):
        raise ValueError(f"invalid ticker {symbol!r}: tickers may not be empty or contain spaces or '|'")
    try:
        market_code = MARKET_CODES[market.lower()]
        type_code = SECURITY_TYPES[security_type.lower()]
    except KeyError as exc:
        raise ValueError(f"unknown market or security type: {exc.args[0]!r}") from None
    days = (_as_date(first_date) - _OA_EPOCH).days
    if not 0 <= days < _DAYS_WIDTH:
        raise ValueError(f"first date {first_date} is outside the range a SID can hold")
    props = days * _DAYS_OFFSET + market_code * _MARKET_OFFSET + type_code
    return f"{symbol} {encode_base36(props)}"


def equity_sid(ticker: str, first_date: dt.date | pd.Timestamp | str, market: str = "usa") -> str:
    return encode_sid(ticker, first_date, market, "equity")


def decode_sid(sid: str) -> SecurityId:
    """Parse a SID without an underlying ("AAPL R735QTJ8XC9X") back into its fields."""
    parts = sid.split()
    if len(parts) != 2 or "|" in sid:
        raise ValueError(f"not a single SecurityIdentifier: {sid!r}")
    symbol, props_text = parts
    props = decode_base36(props_text)
    type_code = props % _SECURITY_TYPE_WIDTH
    market_code = (props // _MARKET_OFFSET) % _MARKET_WIDTH
    days = (props // _DAYS_OFFSET) % _DAYS_WIDTH
    types = {v: k for k, v in SECURITY_TYPES.items()}
    markets = {v: k for k, v in MARKET_CODES.items()}
    if type_code not in types or market_code not in markets:
        raise ValueError(f"SID {sid!r} has an unknown security type {type_code} or market {market_code}")
    return SecurityId(symbol, _OA_EPOCH + dt.timedelta(days=days), markets[market_code], types[type_code])
