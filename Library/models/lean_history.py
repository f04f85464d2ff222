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

import numpy as np
import pandas as pd

__all__ = ["HistoryError", "ticker_of", "midnight", "normalise", "wide", "per_symbol"]

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


_DAY_NS = 86_400 * 10**9


def midnight(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """``index.normalize()`` of a tz-naive index without inferring a frequency (that inference costs more than
    the rest of a daily history step); NaT stays NaT."""
    stamps = index.asi8
    days = np.where(index.isna(), stamps, stamps - stamps % _DAY_NS)
    return pd.DatetimeIndex(days.view("datetime64[ns]"), name=index.name)


def _labels(history: pd.DataFrame) -> tuple[pd.Index, np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """``(tickers, ticker code per row, dates, date code per row)`` of a history() frame, both label sets sorted.

    Works on the index's levels (one ticker per distinct Symbol, one date per distinct time), not per row.
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
    symbol_codes, time_codes = index.codes[symbol_level], index.codes[time_level]
    if (symbol_codes < 0).any() or (time_codes < 0).any():
        raise HistoryError("history() index holds a missing symbol or time label")
    try:
        times = pd.DatetimeIndex(index.levels[time_level])
    except (TypeError, ValueError) as exc:
        raise HistoryError(f"history() time level is not datetime-like: {exc}") from exc
    if times.tz is not None:
        times = times.tz_localize(None)
    ticker_of_level = np.array([ticker_of(s) for s in index.levels[symbol_level]], dtype=object)
    ticker_codes, tickers = pd.factorize(ticker_of_level, sort=True)
    day_codes, days = pd.factorize(midnight(times), sort=True)
    return (pd.Index(tickers, dtype=object), ticker_codes[symbol_codes], pd.DatetimeIndex(days),
            day_codes[time_codes])


def _check_unique(tickers: pd.Index, ticker_codes: np.ndarray, days: pd.DatetimeIndex, day_codes: np.ndarray
                  ) -> None:
    keys = ticker_codes.astype(np.int64) * len(days) + day_codes
    unique, first = np.unique(keys, return_index=True)
    if len(unique) < len(keys):
        row = np.setdiff1d(np.arange(len(keys)), first)[0]
        raise HistoryError(
            f"history() has more than one bar for {tickers[ticker_codes[row]]} on {days[day_codes[row]].date()}: "
            "these helpers expect daily (or coarser) bars; request Resolution.DAILY or resample intraday bars first"
        )


def normalise(history: pd.DataFrame) -> pd.DataFrame:
    """``history`` re-indexed by ``(symbol: ticker str, time: date at midnight)``, sorted, lowercase columns.

    Raises :class:`HistoryError` when it is empty, not indexed by ``(symbol, time)``, or holds two bars for
    one ticker on one date (intraday bars: resample them first, or request daily resolution).
    """
    tickers, ticker_codes, days, day_codes = _labels(history)
    _check_unique(tickers, ticker_codes, days, day_codes)
    frame = history.copy()
    frame.columns = [str(c).lower() for c in frame.columns]
    frame.index = pd.MultiIndex(levels=[tickers, days], codes=[ticker_codes, day_codes], names=["symbol", "time"],
                                verify_integrity=False)
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


def _check_columns(available: Sequence[str], columns: Iterable[str]) -> list[str]:
    wanted = [str(c).lower() for c in columns]
    missing = [c for c in wanted if c not in available]
    if missing:
        raise HistoryError(
            f"history() has no column {missing}; it has {list(available)} (trade bars have "
            "open/high/low/close/volume, custom data such as FRED has 'value')"
        )
    return wanted


def wide(
    history: pd.DataFrame, field: str = "close", *, tickers: Iterable[str] | None = None
) -> pd.DataFrame:
    """One column per ticker of ``field``, indexed by date (midnight), sorted; missing bars are NaN.

    ``tickers`` selects and orders the columns; a ticker absent from ``history`` raises :class:`HistoryError`.
    """
    labels, ticker_codes, days, day_codes = _labels(history)
    _check_unique(labels, ticker_codes, days, day_codes)
    lower = [str(c).lower() for c in history.columns]
    (column,) = _check_columns(lower, [field])
    values = history.iloc[:, lower.index(column)].to_numpy()
    if values.dtype == np.float64:  # scatter into the (date, ticker) grid: what unstack gives, without its cost
        grid = np.full((len(days), len(labels)), np.nan)
        grid[day_codes, ticker_codes] = values
        table = pd.DataFrame(grid, index=days, columns=labels)
    else:
        table = normalise(history)[column].unstack(level="symbol")
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
    keep = _check_columns(list(frame.columns), columns) if columns is not None else list(frame.columns)
    available = list(pd.unique(frame.index.get_level_values("symbol")))
    result: dict[str, pd.DataFrame] = {}
    for ticker in _check_tickers(available, tickers):
        part = frame.xs(ticker, level="symbol")[keep].copy()
        part.index.name = "date"
        result[ticker] = part
    return result
