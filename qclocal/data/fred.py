"""FRED series in the data folder, dated by release, so `add_data(Fred, "INDPRO")` never sees the future.

Layout: `alternative/fred/<series id, lower case>.csv`, no header, one row per observation:

    yyyyMMdd(release date),value,yyyyMMdd(observation date)

This is the local-file layout LEAN's `QuantConnect.DataSource.Fred` type read (Lean.DataSource.FRED up to
mid-2024: `Globals.DataFolder/alternative/fred/<id>.csv`, first column `yyyyMMdd` becomes `Time`, second the
value, `EndTime = Time + 1 day`; further columns are ignored). Because the first column is the *release* date,
LEAN and qclocal both make a value visible at 00:00 of the day after its publication.

Where LEAN differs: since June 2024 LEAN's `Fred.GetSource` no longer reads this file. It downloads the whole
series from QuantConnect's FRED proxy (needs `Fred.set_auth_code`) and stamps each value with its
*observation* date + 1 day, i.e. with no release lag and with today's revised values. A strategy that must
avoid look-ahead in LEAN/cloud should therefore lag FRED values itself (see `RELEASE_LAG_DAYS`), or read this
file with a custom data type. qclocal reads the file, so its backtests honour the lag.

Lags are in calendar days from FRED's observation date (the start of the period for monthly/quarterly series,
the period's end date for weekly ones) to the usual first publication. They are approximate (schedules move,
e.g. with government shutdowns) and err late. Values are the latest revised vintage, not first releases.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from qclocal.data.writers import atomic_write_text, fmt_number


class Lag(NamedTuple):
    days: int
    frequency: str
    release: str


# series id -> (lag in days, frequency, when it is published). Documented in docs/data.md (a test keeps the
# two in step).
RELEASE_LAGS: dict[str, Lag] = {
    "AHETPI": Lag(38, "monthly", "Employment Situation, first Friday of the next month"),
    "ANFCI": Lag(5, "weekly (Fri)", "Chicago Fed, Wednesday after the week"),
    "BAMLC0A0CM": Lag(1, "daily", "ICE BofA index, next business day"),
    "BAMLH0A0HYM2": Lag(1, "daily", "ICE BofA index, next business day"),
    "BUSLOANS": Lag(45, "monthly", "Fed H.8, second week of the next month"),
    "CFNAI": Lag(55, "monthly", "Chicago Fed, about 3-4 weeks after the month"),
    "CIVPART": Lag(38, "monthly", "Employment Situation, first Friday of the next month"),
    "CPIAUCSL": Lag(45, "monthly", "BLS CPI, mid next month"),
    "CPILFESL": Lag(45, "monthly", "BLS CPI, mid next month"),
    "CSUSHPINSA": Lag(90, "monthly", "S&P Case-Shiller, last Tuesday two months later"),
    "DCOILBRENTEU": Lag(7, "daily", "EIA spot prices, weekly update"),
    "DCOILWTICO": Lag(7, "daily", "EIA spot prices, weekly update"),
    "DGORDER": Lag(58, "monthly", "Census durable goods, about the 26th of the next month"),
    "DGS10": Lag(1, "daily", "Fed H.15, next business day"),
    "DGS2": Lag(1, "daily", "Fed H.15, next business day"),
    "DGS30": Lag(1, "daily", "Fed H.15, next business day"),
    "DTWEXBGS": Lag(7, "daily", "Fed H.10, weekly on Monday"),
    "FEDFUNDS": Lag(33, "monthly", "monthly average, first business days of the next month"),
    "GASREGW": Lag(0, "weekly (Mon)", "EIA, same Monday afternoon"),
    "GDP": Lag(120, "quarterly", "BEA advance estimate, about 30 days after the quarter"),
    "GDPC1": Lag(120, "quarterly", "BEA advance estimate, about 30 days after the quarter"),
    "HOUST": Lag(49, "monthly", "Census housing starts, about the 18th of the next month"),
    "HSN1F": Lag(56, "monthly", "Census new home sales, about the 25th of the next month"),
    "ICSA": Lag(5, "weekly (Sat)", "DOL claims, Thursday after the week"),
    "INDPRO": Lag(47, "monthly", "Fed G.17, about the 16th of the next month"),
    "JTSJOL": Lag(70, "monthly", "BLS JOLTS, about 5-6 weeks after the month"),
    "M2SL": Lag(56, "monthly", "Fed H.6, about 4 weeks after the month"),
    "MICH": Lag(30, "monthly", "University of Michigan final, end of the month"),
    "MORTGAGE30US": Lag(0, "weekly (Thu)", "Freddie Mac, dated by its Thursday release"),
    "OILPRICE": Lag(35, "monthly", "monthly average spot price, early next month"),
    "PALLFNFINDEXM": Lag(45, "monthly", "IMF primary commodity prices, next month"),
    "PAYEMS": Lag(38, "monthly", "Employment Situation, first Friday of the next month"),
    "PCEPILFE": Lag(60, "monthly", "BEA personal income and outlays, end of the next month"),
    "PCOPPUSDM": Lag(45, "monthly", "IMF primary commodity prices, next month"),
    "PPIFIS": Lag(45, "monthly", "BLS PPI, mid next month"),
    "RRPONTSYD": Lag(0, "daily", "NY Fed, same day 13:15"),
    "RSXFS": Lag(46, "monthly", "Census advance retail sales, mid next month"),
    "SP500": Lag(0, "daily", "S&P, at the close"),
    "STLFSI4": Lag(6, "weekly (Fri)", "St. Louis Fed, Thursday after the week"),
    "T10Y2Y": Lag(1, "daily", "derived from H.15, next business day"),
    "T10YIE": Lag(1, "daily", "derived from H.15, next business day"),
    "T5YIE": Lag(1, "daily", "derived from H.15, next business day"),
    "U6RATE": Lag(38, "monthly", "Employment Situation, first Friday of the next month"),
    "UMCSENT": Lag(30, "monthly", "University of Michigan final, end of the month"),
    "UNRATE": Lag(38, "monthly", "Employment Situation, first Friday of the next month"),
    "USREC": Lag(365, "monthly", "NBER turning points, announced 4-21 months late"),
    "VIXCLS": Lag(0, "daily", "CBOE, at the close"),
    "WALCL": Lag(1, "weekly (Wed)", "Fed H.4.1, Thursday afternoon"),
    "WM2NS": Lag(17, "weekly (Mon)", "Fed H.6, about two weeks after the week"),
}
RELEASE_LAG_DAYS: dict[str, int] = {k: v.days for k, v in RELEASE_LAGS.items()}

FRED_FOLDER = Path("alternative") / "fred"


def series_path(data_folder: Path | str, series_id: str) -> Path:
    if not series_id or not series_id.replace("_", "").isalnum():
        raise ValueError(f"invalid FRED series id {series_id!r}")
    return Path(data_folder) / FRED_FOLDER / f"{series_id.lower()}.csv"


def release_lag(series_id: str, overrides: dict[str, int] | None = None) -> int:
    key = series_id.upper()
    if overrides and key in overrides:
        return int(overrides[key])
    if key not in RELEASE_LAG_DAYS:
        raise KeyError(
            f"no release lag known for FRED series {key}: add it to RELEASE_LAGS in "
            f"qclocal/data/fred.py or pass --fred-lag {key}=DAYS to `qclocal data import`"
        )
    return RELEASE_LAG_DAYS[key]


def release_dates(observations: pd.DatetimeIndex, lag_days: int) -> pd.DatetimeIndex:
    if lag_days < 0:
        raise ValueError(f"release lag must be >= 0 days, got {lag_days}")
    return observations + pd.Timedelta(days=lag_days)


def write_series(
    data_folder: Path | str, series_id: str, values: pd.Series, lag_days: int | None = None
) -> Path:
    """Write one series (indexed by observation date) dated by release; NaN observations are dropped."""
    lag = release_lag(series_id) if lag_days is None else int(lag_days)
    series = values.astype(float).dropna()
    if len(series) == 0:
        raise ValueError(f"FRED {series_id}: no values")
    index = series.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is not None:
        raise ValueError(f"FRED {series_id}: index must be naive observation dates")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise ValueError(f"FRED {series_id}: observation dates must be unique and ascending")
    released = release_dates(index, lag)
    lines = [
        f"{r:%Y%m%d},{fmt_number(v, 12)},{o:%Y%m%d}"
        for r, v, o in zip(released, series.to_numpy(), index, strict=True)
    ]
    path = series_path(data_folder, series_id)
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def read_fred_frame(data_folder: Path | str, series_id: str) -> pd.DataFrame:
    """Rows of a FRED file: columns `visible` (naive New York datetime), `value`, `observation`.

    Parsed once per file version (path, inode, size, modification time) and cached: an algorithm that reads the
    history of many series at every rebalance parses each file once, not at every call. Callers get a copy.
    """
    return _parse_fred_file(*_file_version(data_folder, series_id)).copy()


def _file_version(data_folder: Path | str, series_id: str) -> tuple[str, int, int, int]:
    path = series_path(data_folder, series_id)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no FRED series {series_id.upper()} in the data folder; import it with "
            f"`qclocal data import --source DIR` (DIR/fred/{series_id.upper()}.csv)"
        )
    stat = path.stat()
    return str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns


@lru_cache(maxsize=256)
def _parse_fred_file(path: str, inode: int, size: int, mtime_ns: int) -> pd.DataFrame:
    """Parse `yyyyMMdd,value[,yyyyMMdd]` lines with pandas' C reader; further columns are ignored, as LEAN's
    reader did (inode, size and mtime only key the cache)."""
    text = Path(path).read_text()
    width = max(3, 1 + max((line.count(",") for line in text.splitlines()), default=0))
    try:
        cells = pd.read_csv(io.StringIO(text), header=None, names=range(width), dtype=str, index_col=False,
                            keep_default_na=False)
    except pd.errors.EmptyDataError:
        cells = pd.DataFrame({0: [], 1: [], 2: []}, dtype=object)
    released = cells[0].str.strip()
    observed = cells[2].fillna("").str.strip().mask(lambda o: o == "", released)
    values = pd.to_numeric(cells[1], errors="coerce")
    rel = pd.to_datetime(released, format="%Y%m%d", errors="coerce")
    obs = pd.to_datetime(observed, format="%Y%m%d", errors="coerce")
    bad = (rel.isna() | obs.isna()).to_numpy()
    unparsed = values.isna().to_numpy() & ~bad
    if unparsed.any():  # "nan" is a value, as float() reads it; anything else that is not a number is not
        bad[unparsed] = ~cells[1][unparsed].str.strip().str.lower().isin(("nan", "-nan", "+nan")).to_numpy()
    if bad.any():
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        number, line = lines[int(bad.argmax())]
        raise ValueError(
            f"{path}:{number}: expected 'yyyyMMdd,value[,yyyyMMdd]', got {line!r}; re-import with "
            "`qclocal data import`"
        )
    frame = pd.DataFrame(
        {
            "visible": pd.DatetimeIndex(rel) + pd.Timedelta(days=1),
            "value": values.to_numpy(dtype=float),
            "observation": pd.DatetimeIndex(obs),
        }
    )
    return frame.sort_values(["visible", "observation"], kind="mergesort").reset_index(drop=True)


def read_fred(data_folder: Path | str, series_id: str) -> pd.Series:
    """Values indexed by the time they become visible (naive America/New_York), named by the series id.

    When two observations become visible at the same time, the later observation wins. Cached per file version,
    as :func:`read_fred_frame`; callers get a copy.
    """
    return _visible_values(*_file_version(data_folder, series_id)).rename(series_id.upper())


@lru_cache(maxsize=256)
def _visible_values(path: str, inode: int, size: int, mtime_ns: int) -> pd.Series:
    frame = _parse_fred_file(path, inode, size, mtime_ns).drop_duplicates("visible", keep="last")
    return pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(frame["visible"], name="time"))
