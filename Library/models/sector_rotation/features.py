"""Sector ETF sets, decision dates and the monthly FRED feature panel (the same functions serve research and the
algorithm).

Decision dates are the first session of each month. A FRED value is used from the day it becomes visible: the
frame passed in is indexed by that day (``history()`` of ``add_data(Fred, ...)`` under qclocal, whose files are
dated by release; see docs/data.md), so at a decision on day D only rows with index <= D exist for the model.
Each series is sampled as of every decision date, turned into a monthly change (percentage change for levels,
difference for series quoted in percent or that cross zero), forward-filled, and a series not yet published is
0 (no change). The source interpolated after forward-filling; on a forward-filled series that only back-fills
leading gaps, which reads the future, so it is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BENCHMARK", "ETF_SETS", "FRED_SETS", "fred_series", "SOURCE_FUNDS", "DIFFERENCE_SERIES", "HISTORY_MONTHS", "assets",
           "closes_before", "month_starts", "macro_features", "monthly_prices", "trailing_returns"]

BENCHMARK = "SPY"
# sector -> ticker; the source's Vanguard mutual funds (Admiral shares do not trade on an exchange) map to
# exchange-traded Vanguard sector ETFs, or to the SPDR XL* funds (docs/sector_rotation.md).
SECTORS = ("consumer_discretionary", "consumer_staples", "energy", "financials", "real_estate", "health_care",
           "industrials", "information_technology", "materials", "communication_services", "utilities")
SOURCE_FUNDS = dict(zip(SECTORS, ("VCR", "VCSAX", "VDE", "VFAIX", "VGSLX", "VHCIX", "VINAX", "VITAX", "VMIAX",
                                  "VOX", "VUIAX"), strict=True))
ETF_SETS: dict[str, dict[str, str]] = {
    "spdr": dict(zip(SECTORS, ("XLY", "XLP", "XLE", "XLF", "XLRE", "XLV", "XLI", "XLK", "XLB", "XLC", "XLU"),
                     strict=True)),
    "vanguard": dict(zip(SECTORS, ("VCR", "VDC", "VDE", "VFH", "VNQ", "VHT", "VIS", "VGT", "VAW", "VOX", "VPU"),
                         strict=True)),
}
# The nine SPDR sectors trading since 1998 (XLRE lists in 2015, XLC in 2018: no labels to train on before).
ETF_SETS["spdr9"] = {s: t for s, t in ETF_SETS["spdr"].items() if t not in ("XLRE", "XLC")}
# Series quoted in percent (rates, spreads, ratios) or crossing zero: their monthly change is a difference.
DIFFERENCE_SERIES = frozenset({
    "ANFCI", "BAMLC0A0CM", "BAMLH0A0HYM2", "CFNAI", "CIVPART", "DGS10", "DGS2", "DGS30", "DTB3", "FEDFUNDS",
    "MORTGAGE30US", "STLFSI4", "T10Y2Y", "T10YIE", "T5YIE", "U6RATE", "UNRATE", "USREC"})
# FRED series sets: the `sectors` synthetic market's, and every series in ../shared/market-data/fred.
FRED_SETS: dict[str, tuple[str, ...]] = {
    "sectors": ("CPIAUCSL", "DTB3", "FEDFUNDS", "INDPRO", "T10Y2Y", "UNRATE"),
    "market-data": (
        "AHETPI", "ANFCI", "BAMLC0A0CM", "BAMLH0A0HYM2", "BUSLOANS", "CFNAI", "CIVPART", "CPIAUCSL", "CPILFESL",
        "CSUSHPINSA", "DCOILBRENTEU", "DCOILWTICO", "DGORDER", "DGS10", "DGS2", "DGS30", "DTWEXBGS", "FEDFUNDS",
        "GASREGW", "GDP", "GDPC1", "HOUST", "HSN1F", "ICSA", "INDPRO", "JTSJOL", "M2SL", "MICH", "MORTGAGE30US",
        "OILPRICE", "PALLFNFINDEXM", "PAYEMS", "PCEPILFE", "PCOPPUSDM", "PPIFIS", "RRPONTSYD", "RSXFS", "SP500",
        "STLFSI4", "T10Y2Y", "T10YIE", "T5YIE", "U6RATE", "UMCSENT", "UNRATE", "USREC", "VIXCLS", "WALCL",
        "WM2NS"),
}
HISTORY_MONTHS = 36  # FRED history the algorithm reads: a 12-month window of changes plus quarterly series' gaps


def assets(etf_set: str) -> list[str]:
    """The model's outputs: the set's sector ETFs (in ``SECTORS`` order) plus SPY."""
    if etf_set not in ETF_SETS:
        raise ValueError(f"unknown ETF set {etf_set!r}; choose one of {sorted(ETF_SETS)}")
    return [*ETF_SETS[etf_set].values(), BENCHMARK]


def fred_series(name_or_list: str) -> list[str]:
    """A named FRED set (``FRED_SETS``) or a comma-separated list of series ids."""
    if name_or_list in FRED_SETS:
        return list(FRED_SETS[name_or_list])
    ids = [s.strip().upper() for s in name_or_list.split(",") if s.strip()]
    if not ids:
        raise ValueError(f"no FRED series in {name_or_list!r}: name a set {sorted(FRED_SETS)} or list ids")
    return ids


def month_starts(sessions: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The first session of each month in ``sessions`` (dates at midnight)."""
    days = pd.DatetimeIndex(sessions).normalize().unique().sort_values()
    first = pd.Series(days, index=days).groupby(days.to_period("M")).min()
    return pd.DatetimeIndex(first.to_numpy(), name="date")


def macro_features(fred: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Monthly changes of every FRED column as of each decision date (rows: ``dates``, columns: series ids).

    ``fred``: one column per series, indexed by the day a value becomes visible (NaN where a series has no new
    value). A row uses only values visible on or before its date.
    """
    if not isinstance(fred.index, pd.DatetimeIndex) or not fred.index.is_monotonic_increasing:
        raise ValueError("fred must be indexed by visible date, ascending (lean_history.wide(history, 'value'))")
    dates = pd.DatetimeIndex(dates)
    # the last value of each series visible at each date (per series: a later row at the same time wins)
    latest = fred.groupby(level=0).last() if fred.index.has_duplicates else fred
    asof = latest.ffill().reindex(latest.index.union(dates)).ffill().reindex(dates)
    asof.columns = [str(c) for c in asof.columns]
    differences = [c for c in asof.columns if c in DIFFERENCE_SERIES]
    change = asof.pct_change(fill_method=None) * 100
    change[differences] = asof[differences].diff()
    frame = change.replace([np.inf, -np.inf], np.nan).ffill().fillna(0.0)
    frame.index.name = "date"
    return frame


def monthly_prices(closes: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Closes on the decision dates (a decision on day D fills at D's close: market-on-close)."""
    return closes.reindex(pd.DatetimeIndex(dates))


def closes_before(closes: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Per decision date D: the last close strictly before D (what is known at a decision during D)."""
    dates = pd.DatetimeIndex(dates)
    pos = closes.index.searchsorted(dates, side="left") - 1
    rows = closes.iloc[np.clip(pos, 0, None)].to_numpy(dtype=float, copy=True)
    rows[pos < 0] = np.nan
    return pd.DataFrame(rows, index=dates, columns=closes.columns)


def trailing_returns(closes: pd.DataFrame, dates: pd.DatetimeIndex, months: int = 1, skip: int = 0
                     ) -> pd.DataFrame:
    """Per decision date D_m: the return from the close before D_{m-months-skip} to the close before
    D_{m-skip}. ``months=1`` is last month's return (the persistence forecast); ``months=11, skip=1`` is 12-1
    momentum."""
    before = closes_before(closes, dates)
    return before.shift(skip) / before.shift(skip + months) - 1
