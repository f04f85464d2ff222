"""Write a :class:`SyntheticMarket` to a LEAN data folder through ``qclocal.data.writers``, plus its truth.json."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from qclocal.data import writers
from qclocal.data.synthetic.core import Equity, SyntheticMarket

TRUTH_FOLDER = Path("synthetic")
# LEAN's primary-exchange codes for the map files: ETFs list on Arca, the rest on Nasdaq here.
ETFS = {"SPY", "QQQ", "TQQQ", "BIL", "XLK", "XLF", "XLE", "XLV", "XLY", "XLP", "XLI", "XLB", "XLU", "XLRE", "XLC",
        "IEMG", "EEM", "ARKK", "ARKW", "TLT", "SPTL", "SHY", "VGSH", "SOXX", "ITA"}


def truth_path(data_folder: Path | str, scenario: str) -> Path:
    """Where a scenario's planted parameters live: ``<data_folder>/synthetic/<scenario>/truth.json``."""
    return Path(data_folder) / TRUTH_FOLDER / scenario / "truth.json"


def factor_rows(equity: Equity) -> pd.DataFrame:
    """LEAN factor rows for an equity with splits only (price factor 1): a row on the first date, one on the
    session before each ex-date, each carrying the product of 1/ratio over the splits still to come."""
    index = equity.bars.index
    close = equity.bars["close"]
    split_dates = [pd.Timestamp(d) for d, _ in equity.splits]
    ratios = np.array([r for _, r in equity.splits], dtype=float)
    rows: dict[pd.Timestamp, tuple[float, float]] = {}

    def factor_after(day: pd.Timestamp) -> float:
        later = np.array([d > day for d in split_dates], dtype=bool)
        return float(np.prod(1.0 / ratios[later])) if later.any() else 1.0

    rows[index[0]] = (factor_after(index[0]), float(close.iloc[0]))
    for ex_date in split_dates:
        pos = index.get_loc(ex_date)
        day = index[pos - 1]
        rows[day] = (factor_after(day), float(close.iloc[pos - 1]))
    dates = sorted(rows)
    return pd.DataFrame({"price_factor": 1.0, "split_factor": [rows[d][0] for d in dates],
                         "reference_price": [rows[d][1] for d in dates]}, index=pd.DatetimeIndex(dates, name="date"))


def write_market(data_folder: Path | str, scenario: str, market: SyntheticMarket,
                 progress: Iterable | None = None) -> list[Path]:
    """Write every file of ``market``; returns the paths written (truth.json last)."""
    folder = Path(data_folder)
    paths: list[Path] = []
    coarse: dict[str, pd.DataFrame] = {}
    tickers = sorted(market.equities)
    for ticker in progress(tickers) if progress else tickers:
        equity = market.equities[ticker]
        bars = equity.bars
        rows = factor_rows(equity)
        paths.append(writers.write_equity_bars(folder, ticker, bars))
        if equity.hour_bars is not None:
            paths.append(writers.write_equity_bars(folder, ticker, equity.hour_bars, resolution="hour"))
        paths.append(writers.write_factor_file(folder, ticker, rows))
        paths.append(writers.write_map_file(folder, ticker, bars.index[0], exchange="P" if ticker in ETFS else "Q"))
        if equity.in_coarse:
            factors = writers.factors_for_dates(rows, bars.index)
            coarse[ticker] = pd.DataFrame({"close": bars["close"], "volume": bars["volume"],
                                           "price_factor": factors["price_factor"],
                                           "split_factor": factors["split_factor"],
                                           "has_fundamental_data": ticker not in ETFS}, index=bars.index)
    if coarse:
        paths.extend(writers.write_coarse_files(folder, coarse))
    for ticker, bars in sorted(market.indexes.items()):
        paths.append(writers.write_index_bars(folder, ticker, bars))
    paths.append(writers.write_interest_rate_file(folder, market.rates_percent))
    for series_id, series in sorted(market.fred.items()):
        paths.append(writers.write_fred_series(folder, series_id, series.values, release_lag=series.release_lag_days))
    path = truth_path(folder, scenario)
    writers.atomic_write_text(path, json.dumps(_plain(market.truth), indent=2, sort_keys=True) + "\n")
    paths.append(path)
    return paths


def _plain(value):
    """JSON-ready copy: numpy scalars to Python, floats rounded to 12 significant digits, NaN to null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer | bool | np.bool_):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float | np.floating):
        value = float(value)
        if not np.isfinite(value):
            return None
        return float(f"{value:.12g}")
    return value
