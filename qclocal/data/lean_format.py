"""Readers for LEAN's data folder formats (equity/index bars, factor and map files, coarse universe files).

Bars come back as a DataFrame indexed by bar *start* time (naive, exchange-local) with float columns in dollars:
open/high/low/close/volume for trades; bid_*/ask_* plus sizes for minute quotes. Equity prices are stored
in 1/10000 dollars; index prices are stored as they are.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

TRADE_COLUMNS = ["open", "high", "low", "close", "volume"]
QUOTE_COLUMNS = ["bid_open", "bid_high", "bid_low", "bid_close", "bid_size",
                 "ask_open", "ask_high", "ask_low", "ask_close", "ask_size"]
_SCALE = {"equity": 10000.0, "index": 1.0}


class MissingDataError(FileNotFoundError):
    """A subscription's data file is absent; the message names the file and the command that creates it."""


# 1,024 files: a 500-name universe reads each file twice (the seeding history() call, then the subscription), and
# an LRU smaller than the universe would miss every time. The streams built from them take far more memory.
@lru_cache(maxsize=1024)
def _daily_or_hour_file(path: str, size: int, mtime_ns: int, scale: float) -> pd.DataFrame:
    """Rows of one daily/hour zip, prices divided by ``scale``, cached by path, size and mtime: history() calls
    every bar re-read it."""
    raw = _read_zip_csv(Path(path))
    values = raw.iloc[:, 1:6].to_numpy(dtype=float)
    values[:, :4] /= scale   # open, high, low, close; not volume
    return pd.DataFrame(values, columns=TRADE_COLUMNS,
                        index=pd.DatetimeIndex(pd.to_datetime(raw[0], format="%Y%m%d %H:%M"), name="time"))


def _read_zip_csv(path: Path, header=None) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(path) as zf:
            name = zf.namelist()[0]
            with zf.open(name) as handle:
                return pd.read_csv(io.BytesIO(handle.read()), header=header)
    except (zipfile.BadZipFile, IndexError) as exc:
        raise ValueError(f"{path} is not a readable LEAN data zip ({exc or 'no entries'}); import or generate "
                         f"it again") from None


def bar_file(data_folder: Path, security_type: str, ticker: str, resolution: str, day: date | None = None,
             kind: str = "trade", market: str = "usa") -> Path:
    base = Path(data_folder) / security_type / market / resolution
    if resolution in ("daily", "hour"):
        return base / f"{ticker.lower()}.zip"
    assert day is not None
    return base / ticker.lower() / f"{day:%Y%m%d}_{kind}.zip"


def missing_data_message(path: Path, ticker: str) -> str:
    return (f"no data for {ticker.upper()}: {path} does not exist. Create it with "
            f"`qclocal data generate <scenario>` (synthetic) or `qclocal data import --tickers {ticker.upper()}` "
            f"(from CSV files), or point --data-folder at a folder that has it.")


def read_bars(data_folder: Path, security_type: str, ticker: str, resolution: str, start: date, end: date,
              kind: str = "trade", market: str = "usa", days: list[date] | None = None) -> pd.DataFrame:
    """Bars of [start, end] (dates inclusive). Minute data needs ``days``, the trading days to read."""
    scale = _SCALE[security_type]
    columns = TRADE_COLUMNS if kind == "trade" else QUOTE_COLUMNS
    if resolution in ("daily", "hour"):
        path = bar_file(data_folder, security_type, ticker, resolution, market=market)
        if not path.is_file():
            raise MissingDataError(missing_data_message(path, ticker))
        stat = path.stat()
        frame = _daily_or_hour_file(str(path), stat.st_size, stat.st_mtime_ns, scale)
        return frame[(frame.index >= pd.Timestamp(start)) & (frame.index < pd.Timestamp(end) + timedelta(days=1))].copy()
    parts = []
    for day in days or []:
        path = bar_file(data_folder, security_type, ticker, resolution, day, kind, market)
        if not path.is_file():
            continue  # no trading that day (LEAN skips missing minute files silently)
        raw = _read_zip_csv(path)
        idx = pd.Timestamp(day) + pd.to_timedelta(raw[0].to_numpy(), unit="ms")
        part = raw.iloc[:, 1:1 + len(columns)].astype(float)
        part.columns = columns
        part.index = pd.DatetimeIndex(idx, name="time")
        parts.append(part)
    if not parts and kind == "trade":
        path = bar_file(data_folder, security_type, ticker, resolution, (days or [start])[0], kind, market)
        raise MissingDataError(missing_data_message(path, ticker))
    frame = pd.concat(parts) if parts else pd.DataFrame(columns=columns, dtype=float)
    price_cols = [c for c in frame.columns if not c.endswith("volume") and not c.endswith("size")]
    frame[price_cols] = frame[price_cols] / scale
    return frame


@dataclass(frozen=True)
class FactorFile:
    dates: np.ndarray          # datetime64[D], ascending
    price_factor: np.ndarray
    split_factor: np.ndarray
    reference_price: np.ndarray

    def scale_for(self, bar_dates: np.ndarray, mode: str) -> np.ndarray:
        """LEAN's factor for each bar date: the row with the earliest date on or after the bar's date."""
        if mode == "raw" or len(self.dates) == 0:
            return np.ones(len(bar_dates))
        pos = np.searchsorted(self.dates, bar_dates.astype("datetime64[D]"), side="left")
        pos = np.clip(pos, 0, len(self.dates) - 1)
        if mode == "adjusted":
            return self.price_factor[pos] * self.split_factor[pos]
        if mode in ("split_adjusted", "total_return"):
            return self.split_factor[pos]
        raise NotImplementedError(f"DataNormalizationMode {mode!r} is not implemented in qclocal")


def factor_file_path(data_folder: Path, ticker: str, market: str = "usa") -> Path:
    return Path(data_folder) / "equity" / market / "factor_files" / f"{ticker.lower()}.csv"


def read_factor_file(data_folder: Path, ticker: str, market: str = "usa") -> FactorFile:
    path = factor_file_path(data_folder, ticker, market)
    if not path.is_file():
        empty = np.array([], dtype="datetime64[D]")
        return FactorFile(empty, np.array([]), np.array([]), np.array([]))
    stat = path.stat()
    return _factor_file(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _factor_file(path: str, size: int, mtime_ns: int) -> FactorFile:
    """Parsed factor file, cached by path, size and mtime (history() calls every bar would re-parse it). Rows are
    ``yyyymmdd,price factor,split factor[,reference price]``; read without pandas (a few rows per file, and one
    file per subscription: pandas' per-call overhead was most of the cost)."""
    rows = [line.split(",") for line in Path(path).read_text().splitlines() if line.strip()]
    try:
        if any(len(row[0].strip()) != 8 for row in rows):
            raise ValueError("dates must be yyyymmdd")
        dates = np.array([f"{r[0][:4]}-{r[0][4:6]}-{r[0][6:8]}" for r in rows], dtype="datetime64[D]")
        columns = np.array([[float(x) for x in (r[1:4] + ["0"])[:3]] for r in rows]).reshape(len(rows), 3)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"{path} is not a LEAN factor file ({exc}); import or generate it again") from None
    return FactorFile(dates, columns[:, 0], columns[:, 1], columns[:, 2])


def read_map_file(data_folder: Path, ticker: str, market: str = "usa") -> list[tuple[date, str]]:
    """Rows (date, ticker in use up to and including that date); empty when there is no map file."""
    path = Path(data_folder) / "equity" / market / "map_files" / f"{ticker.lower()}.csv"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        parts = line.strip().split(",")
        if len(parts) >= 2 and parts[0]:
            rows.append((pd.Timestamp(parts[0]).date(), parts[1].upper()))
    return rows


COARSE_COLUMNS = ["sid", "ticker", "price", "volume", "dollar_volume", "has_fundamental_data",
                  "price_factor", "split_factor"]


def coarse_dates(data_folder: Path, market: str = "usa") -> list[date]:
    folder = Path(data_folder) / "equity" / market / "fundamental" / "coarse"
    if not folder.is_dir():
        return []
    return sorted(pd.Timestamp(p.stem).date() for p in folder.glob("*.csv") if p.stem.isdigit())


def read_coarse(data_folder: Path, day: date, market: str = "usa") -> pd.DataFrame:
    path = Path(data_folder) / "equity" / market / "fundamental" / "coarse" / f"{day:%Y%m%d}.csv"
    frame = pd.read_csv(path, header=None)
    frame = frame.iloc[:, : len(COARSE_COLUMNS)]
    frame.columns = COARSE_COLUMNS[: frame.shape[1]]
    if "has_fundamental_data" in frame:
        frame["has_fundamental_data"] = frame["has_fundamental_data"].astype(str).str.lower() == "true"
    return frame


def read_interest_rates(data_folder: Path) -> pd.Series:
    """LEAN's risk-free rate file (percent), as a fraction indexed by date."""
    path = Path(data_folder) / "alternative" / "interest-rate" / "usa" / "interest-rate.csv"
    if not path.is_file():
        return pd.Series(dtype=float)
    frame = pd.read_csv(path)
    return pd.Series(frame.iloc[:, 1].to_numpy(float) / 100.0, index=pd.to_datetime(frame.iloc[:, 0])).sort_index()
