"""Turn a LEAN ``history()`` DataFrame into plain per-date tables.

LEAN's ``history()`` (algorithm or QuantBook) returns a DataFrame indexed by ``(symbol, time)``. Level 0
holds LEAN ``Symbol`` objects (their ``.value`` / ``str()`` is the ticker) or plain strings; ``time`` is the
bar's end time (16:00 for daily equity bars); columns are lowercase (``open``, ``high``, ``low``, ``close``,
``volume``, or ``value`` for custom data such as FRED). The helpers here normalise ``time`` to the calendar
date at midnight and key everything by ticker string, so strategy code never handles ``Symbol`` objects or
bar end times.

Pure pandas: no ``AlgorithmImports``; the same code runs in LEAN, the cloud and qclocal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

__all__ = ["HistoryError", "ticker_of", "normalise", "wide", "per_symbol"]

_FIX = (
    "check the subscription (add_equity / add_data) and the date range; for local runs create the data with "
    "`qclocal data generate` or `qclocal data import`"
)


class HistoryError(ValueError):
    """A ``history()`` result that cannot be used: empty, wrongly shaped, or missing a ticker or column."""


def ticker_of(symbol: Any) -> str:
    """The ticker of a LEAN ``Symbol`` (its ``value``) or of a plain string."""
    value = getattr(symbol, "value", None)
    if isinstance(value, str) and value:
        return value
    return str(symbol)


def normalise(history: pd.DataFrame) -> pd.DataFrame:
    """``history`` re-indexed by ``(symbol: ticker str, time: date at midnight)``, sorted, lowercase columns.

    Raises :class:`HistoryError` when it is empty, not indexed by ``(symbol, time)``, or holds two bars for
    one ticker on one date (intraday bars: resample them first, or request daily resolution).
    """
    if not isinstance(history, pd.DataFrame):
        raise HistoryError(f"expected the DataFrame returned by history(), got {type(history).__name__}")
    if history.empty:
        raise HistoryError(f"history() returned no rows; {_FIX}")
    index = history.index
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise HistoryError(
            f"expected history() indexed by (symbol, time), got index levels {list(index.names)}; "
            "pass the DataFrame returned by history() unchanged (do not .loc[symbol] or reset_index it)"
        )
    names = list(index.names)
    symbol_level = names.index("symbol") if "symbol" in names else 0
    time_level = names.index("time") if "time" in names else 1 - symbol_level
    raw_symbols = index.get_level_values(symbol_level)
    mapping = {symbol: ticker_of(symbol) for symbol in pd.unique(raw_symbols)}
    tickers = pd.Index([mapping[s] for s in raw_symbols], dtype=object)
    try:
        times = pd.DatetimeIndex(index.get_level_values(time_level))
    except (TypeError, ValueError) as exc:
        raise HistoryError(f"history() time level is not datetime-like: {exc}") from exc
    if times.tz is not None:
        times = times.tz_localize(None)
    frame = history.copy()
    frame.columns = [str(c).lower() for c in frame.columns]
    frame.index = pd.MultiIndex.from_arrays([tickers, times.normalize()], names=["symbol", "time"])
    duplicated = frame.index.duplicated()
    if duplicated.any():
        ticker, day = frame.index[duplicated][0]
        raise HistoryError(
            f"history() has more than one bar for {ticker} on {day.date()}: these helpers expect daily (or "
            "coarser) bars; request Resolution.DAILY or resample intraday bars first"
        )
    return frame.sort_index()


def _check_tickers(available: Sequence[str], tickers: Iterable[str] | None) -> list[str]:
    if tickers is None:
        return list(available)
    wanted = [str(t) for t in tickers]
    present = set(available)
    missing = [t for t in wanted if t not in present]
    if missing:
        raise HistoryError(f"history() has no rows for {missing}; it holds {sorted(available)}; {_FIX}")
    return wanted


def _check_columns(frame: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    wanted = [str(c).lower() for c in columns]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise HistoryError(
            f"history() has no column {missing}; it has {list(frame.columns)} (trade bars have "
            "open/high/low/close/volume, custom data such as FRED has 'value')"
        )
    return wanted


def wide(
    history: pd.DataFrame, field: str = "close", *, tickers: Iterable[str] | None = None
) -> pd.DataFrame:
    """One column per ticker of ``field``, indexed by date (midnight), sorted; missing bars are NaN.

    ``tickers`` selects and orders the columns; a ticker absent from ``history`` raises :class:`HistoryError`.
    """
    frame = normalise(history)
    (column,) = _check_columns(frame, [field])
    table = frame[column].unstack(level="symbol")
    columns = _check_tickers(list(table.columns), tickers)
    table = table[columns]
    table.columns = pd.Index(columns, dtype=object)
    table.index.name = "date"
    return table


def per_symbol(
    history: pd.DataFrame, *, tickers: Iterable[str] | None = None, columns: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """``{ticker: DataFrame indexed by date (midnight)}``, keeping ``columns`` (default: all) in that order.

    ``tickers`` selects and orders the keys; a ticker or column absent from ``history`` raises
    :class:`HistoryError`.
    """
    frame = normalise(history)
    keep = _check_columns(frame, columns) if columns is not None else list(frame.columns)
    available = list(pd.unique(frame.index.get_level_values("symbol")))
    result: dict[str, pd.DataFrame] = {}
    for ticker in _check_tickers(available, tickers):
        part = frame.xs(ticker, level="symbol")[keep].copy()
        part.index.name = "date"
        result[ticker] = part
    return result
