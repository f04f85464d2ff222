"""Writers for LEAN's data-folder formats (daily/hour equity and index zips, factor, map and coarse files,
the risk-free-rate file and FRED series).

Every writer is atomic (temp file in the target folder, then rename) and deterministic (same input gives
byte-identical files; zip entries carry a fixed timestamp). A writer that would produce exactly the bytes
already on disk leaves the file untouched, so reruns are cheap and keep modification times.

Number formats follow LEAN's own files:
- equity prices are integers in 1/10000 dollar (`PRICE_SCALE`), rounded half-to-even;
- index prices are plain numbers (LEAN parses index bars unscaled);
- factors are written with 10 significant digits, positional (LEAN's factor parser skips rows with "e+").
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from qclocal.data import provenance
from qclocal.data import sid as sidlib

PRICE_SCALE = 10_000
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
TERMINAL_DATE = pd.Timestamp("2050-12-31")
# Largest relative gap allowed between the ADJUSTED price LEAN computes (stored close x factor) and the
# Adj Close it must reproduce. Daily returns then match to within 2x this.
DEFAULT_FACTOR_TOLERANCE = 1e-7
BAR_COLUMNS = ("open", "high", "low", "close", "volume")


# ---------------------------------------------------------------------------------------------- low level


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically. Returns False (writing nothing) when the file already holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    provenance.note_write(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def atomic_write_text(path: Path, text: str) -> bool:
    return atomic_write_bytes(path, text.encode("utf-8"))


def zip_bytes(entry_name: str, text: str) -> bytes:
    """A one-entry deflated zip with a fixed timestamp and attributes (byte-identical for equal input)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(entry_name, date_time=ZIP_TIMESTAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o644 << 16
        zf.writestr(info, text.encode("utf-8"), compresslevel=6)
    return buf.getvalue()


def fmt_number(value: float, significant: int = 10) -> str:
    """Positional decimal with at most `significant` significant digits, trailing zeros trimmed."""
    if not np.isfinite(value):
        raise ValueError(f"cannot write non-finite number {value!r}")
    text = np.format_float_positional(
        float(value), precision=significant, unique=False, fractional=False, trim="-"
    )
    return "0" if text in ("-0", "") else text


def fmt_numbers(values: pd.Series | np.ndarray | list[float], significant: int = 10) -> list[str]:
    """`fmt_number` over an array; uses '%g' (identical output) where it cannot switch to exponent form."""
    arr = np.asarray(values, dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError("cannot write non-finite numbers")
    mag = np.abs(arr)
    if not ((mag == 0) | ((mag >= 1e-4) & (mag < 10.0**significant))).all():
        return [fmt_number(v, significant) for v in arr.tolist()]
    spec = f"%.{significant}g"
    return ["0" if v == 0 else spec % v for v in arr.tolist()]


def fmt_decimals(value: float, decimals: int) -> str:
    """Fixed decimals, trailing zeros trimmed ("186.3100" -> "186.31", "2.0" -> "2")."""
    if not np.isfinite(value):
        raise ValueError(f"cannot write non-finite number {value!r}")
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_decimals_list(values: pd.Series | np.ndarray | list[float], decimals: int) -> list[str]:
    arr = np.asarray(values, dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError("cannot write non-finite numbers")
    out = []
    spec = f"%.{decimals}f"
    for v in arr.tolist():
        text = spec % v
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        out.append("0" if text == "-0" else text)
    return out


def _ymd(index: pd.DatetimeIndex) -> np.ndarray:
    return (index.year * 10000 + index.month * 100 + index.day).to_numpy().astype(str)


def scaled_prices(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dollar prices -> LEAN's integer 1/10000 dollar units."""
    return np.rint(np.asarray(values, dtype=float) * PRICE_SCALE).astype(np.int64)


def stored_price(values: pd.Series | np.ndarray) -> np.ndarray:
    """The dollar price LEAN reads back from an equity file (rounded to 1/10000)."""
    return scaled_prices(values) / PRICE_SCALE


def _check_ticker(ticker: str) -> str:
    if not ticker or any(c in ticker for c in " |/\\,") or ticker.startswith("."):
        raise ValueError(f"invalid ticker {ticker!r}")
    return ticker.lower()


def _check_dates(index: pd.Index, what: str) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"{what}: index must be a DatetimeIndex, got {type(index).__name__}")
    if index.tz is not None:
        raise ValueError(f"{what}: index must be naive (exchange-local) dates, got tz={index.tz}")
    if index.hasnans:
        raise ValueError(f"{what}: index contains NaT")
    if not index.is_monotonic_increasing:
        raise ValueError(f"{what}: dates are not sorted ascending")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise ValueError(f"{what}: duplicate date {dup:%Y-%m-%d}")
    return index


def _bar_frame(
    bars: pd.DataFrame, what: str, *, require_volume: bool, require_positive: bool = True
) -> pd.DataFrame:
    cols = BAR_COLUMNS if require_volume else BAR_COLUMNS[:4]
    missing = [c for c in cols if c not in bars.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}; need {list(cols)}")
    if len(bars) == 0:
        raise ValueError(f"{what}: no bars to write")
    _check_dates(bars.index, what)
    frame = bars.loc[:, [c for c in BAR_COLUMNS if c in bars.columns]].astype(float)
    if "volume" not in frame.columns:
        frame["volume"] = 0.0
    bad = frame.isna().any(axis=1)
    if bad.any():
        raise ValueError(f"{what}: NaN values on {bars.index[bad][0]:%Y-%m-%d}")
    prices = frame[["open", "high", "low", "close"]]
    nonpos = (prices <= 0).any(axis=1)
    if require_positive and nonpos.any():
        raise ValueError(f"{what}: non-positive price on {bars.index[nonpos][0]:%Y-%m-%d}")
    if (frame["volume"] < 0).any():
        raise ValueError(f"{what}: negative volume on {bars.index[frame['volume'] < 0][0]:%Y-%m-%d}")
    return frame


def _time_strings(index: pd.DatetimeIndex, resolution: str, what: str) -> list[str]:
    """`yyyyMMdd HH:mm` for each bar start."""
    if resolution == "daily":
        if not (index == index.normalize()).all():
            raise ValueError(f"{what}: daily bars must be indexed by session date at midnight")
        return [f"{d} 00:00" for d in _ymd(index)]
    hours, minutes = index.hour.tolist(), index.minute.tolist()
    return [f"{d} {h:02d}:{m:02d}" for d, h, m in zip(_ymd(index), hours, minutes, strict=True)]


def _equity_folder(data_folder: Path | str, market: str) -> Path:
    return Path(data_folder) / "equity" / market


# ---------------------------------------------------------------------------------------------- equities


def write_equity_bars(
    data_folder: Path | str,
    ticker: str,
    bars: pd.DataFrame,
    *,
    resolution: str = "daily",
    market: str = "usa",
) -> Path:
    """Write `equity/<market>/<resolution>/<ticker>.zip` (one entry `<ticker>.csv`).

    bars: indexed by bar start (session date at midnight for daily), columns open, high, low, close, volume,
    prices in dollars as RAW mode must show them. Rows are `yyyyMMdd HH:mm,o,h,l,c,v` with prices x10000.
    """
    if resolution not in ("daily", "hour"):
        raise ValueError(
            f"resolution {resolution!r} not supported here: LEAN stores daily and hour bars "
            "in one zip per ticker; minute/tick data is one zip per day"
        )
    name = _check_ticker(ticker)
    what = f"equity bars for {ticker}"
    frame = _bar_frame(bars, what, require_volume=True)
    times = _time_strings(frame.index, resolution, what)
    cols = [scaled_prices(frame[c]).tolist() for c in ("open", "high", "low", "close")]
    vols = np.rint(frame["volume"].to_numpy()).astype(np.int64).tolist()
    text = "".join(
        f"{t},{o},{h},{lo},{c},{v}\n" for t, o, h, lo, c, v in zip(times, *cols, vols, strict=True)
    )
    path = _equity_folder(data_folder, market) / resolution / f"{name}.zip"
    atomic_write_bytes(path, zip_bytes(f"{name}.csv", text))
    return path


def factor_rows_from_adjusted(
    close: pd.Series, adj_close: pd.Series, *, tolerance: float = DEFAULT_FACTOR_TOLERANCE
) -> pd.DataFrame:
    """Factor-file rows so that (stored close) x price_factor reproduces `adj_close` on every date.

    `close` is the price written to the daily file; it is rounded to 1/10000 here exactly as
    `write_equity_bars` stores it, so the factors also absorb that rounding. Split factors are 1: the input
    closes are treated as raw prices (see docs/data.md for split-adjusted inputs).

    LEAN applies a row to every bar dated after the previous row up to and including the row's own date. Runs
    of dates whose ratio adj/close stays within `tolerance` (relative) share one row, valued at the geometric
    middle of the run, so every date is within `tolerance`; `tolerance=0` gives exact factors. A row is always
    written for the first date, because LEAN ignores data before the first factor row's date minus one day.
    reference_price is the stored close on the row's date (LEAN derives RAW-mode dividends from it).
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    if not close.index.equals(adj_close.index):
        raise ValueError("close and adj_close must share the same date index")
    _check_dates(close.index, "factor input")
    if len(close) == 0:
        raise ValueError("factor input: no dates")
    stored = stored_price(close)
    adj = adj_close.to_numpy(dtype=float)
    if not (np.isfinite(stored).all() and np.isfinite(adj).all()):
        raise ValueError("factor input: NaN close or adjusted close")
    if (stored <= 0).any() or (adj <= 0).any():
        bad = close.index[(stored <= 0) | (adj <= 0)][0]
        raise ValueError(f"factor input: non-positive close or adjusted close on {bad:%Y-%m-%d}")
    ratio = adj / stored
    limit = (1.0 + tolerance) ** 2
    ends: list[int] = []
    values: list[float] = []
    lo = hi = ratio[0]
    for i in range(1, len(ratio)):
        r = ratio[i]
        nlo, nhi = (r, hi) if r < lo else (lo, r if r > hi else hi)
        if nhi <= nlo * limit:
            lo, hi = nlo, nhi
            continue
        ends.append(i - 1)
        values.append(lo if lo == hi else float(np.sqrt(lo * hi)))
        lo = hi = r
    ends.append(len(ratio) - 1)
    values.append(lo if lo == hi else float(np.sqrt(lo * hi)))
    if ends[0] != 0:
        ends.insert(0, 0)
        values.insert(0, values[0])
    idx = np.asarray(ends)
    return pd.DataFrame(
        {"price_factor": values, "split_factor": 1.0, "reference_price": stored[idx]},
        index=pd.DatetimeIndex(close.index[idx], name="date"),
    )


def factors_for_dates(rows: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The (price_factor, split_factor) that applies to each date: the earliest row dated on or after it."""
    rows = rows.sort_index()
    pos = rows.index.searchsorted(dates, side="left")
    pf = np.ones(len(dates))
    sf = np.ones(len(dates))
    inside = pos < len(rows)
    pf[inside] = rows["price_factor"].to_numpy(dtype=float)[pos[inside]]
    sf[inside] = rows["split_factor"].to_numpy(dtype=float)[pos[inside]]
    return pd.DataFrame({"price_factor": pf, "split_factor": sf}, index=dates)


def write_factor_file(
    data_folder: Path | str, ticker: str, rows: pd.DataFrame, *, market: str = "usa"
) -> Path:
    """Write `equity/<market>/factor_files/<ticker>.csv`, rows
    `yyyyMMdd,price_factor,split_factor,reference_price`.

    Appends LEAN's terminal row `20501231,1,1,0` when the last row is not dated 2050-12-31.
    """
    name = _check_ticker(ticker)
    what = f"factor rows for {ticker}"
    missing = [c for c in ("price_factor", "split_factor", "reference_price") if c not in rows.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")
    _check_dates(rows.index, what)
    frame = rows[["price_factor", "split_factor", "reference_price"]].astype(float)
    if frame.isna().any().any():
        raise ValueError(f"{what}: NaN values")
    if ((frame["price_factor"] <= 0) | (frame["split_factor"] <= 0)).any():
        raise ValueError(f"{what}: factors must be positive (LEAN drops zero-factor rows)")
    if len(frame) == 0 or frame.index[-1] != TERMINAL_DATE:
        terminal = pd.DataFrame(
            {"price_factor": [1.0], "split_factor": [1.0], "reference_price": [0.0]},
            index=pd.DatetimeIndex([TERMINAL_DATE]),
        )
        frame = pd.concat([frame, terminal])
    lines = [
        f"{d},{pf},{sf},{ref}"
        for d, pf, sf, ref in zip(
            _ymd(pd.DatetimeIndex(frame.index)),
            fmt_numbers(frame["price_factor"]),
            fmt_numbers(frame["split_factor"]),
            fmt_decimals_list(frame["reference_price"], 4),
            strict=True,
        )
    ]
    path = _equity_folder(data_folder, market) / "factor_files" / f"{name}.csv"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def write_map_file(
    data_folder: Path | str,
    ticker: str,
    first_date: dt.date | pd.Timestamp | str,
    last_date: dt.date | pd.Timestamp | str | None = None,
    exchange: str = "Q",
    *,
    market: str = "usa",
) -> Path:
    """Write `equity/<market>/map_files/<ticker>.csv`: the first trading date, then the last date (LEAN's
    2050-12-31 for a listed security). `exchange` is LEAN's primary-exchange code (Q Nasdaq, N NYSE,
    P Arca)."""
    name = _check_ticker(ticker)
    first = pd.Timestamp(first_date)
    last = TERMINAL_DATE if last_date is None else pd.Timestamp(last_date)
    if last < first:
        raise ValueError(f"map file for {ticker}: last date {last:%Y-%m-%d} is before first {first:%Y-%m-%d}")
    text = f"{first:%Y%m%d},{name},{exchange}\n{last:%Y%m%d},{name},{exchange}\n"
    path = _equity_folder(data_folder, market) / "map_files" / f"{name}.csv"
    atomic_write_text(path, text)
    return path


# ---------------------------------------------------------------------------------------------- indexes


def write_index_bars(
    data_folder: Path | str,
    ticker: str,
    bars: pd.DataFrame,
    *,
    market: str = "usa",
    require_positive: bool = True,
) -> Path:
    """Write `index/<market>/daily/<ticker>.zip`: `yyyyMMdd 00:00,o,h,l,c,v`, unscaled (volume 0 if absent).

    require_positive=False admits zero or negative values (interest-rate series such as IRX)."""
    name = _check_ticker(ticker)
    what = f"index bars for {ticker}"
    frame = _bar_frame(bars, what, require_volume=False, require_positive=require_positive)
    times = _time_strings(frame.index, "daily", what)
    cols = [times] + [fmt_decimals_list(frame[c], 6) for c in ("open", "high", "low", "close")]
    vols = np.rint(frame["volume"].to_numpy()).astype(np.int64).tolist()
    text = "".join(f"{t},{o},{h},{lo},{c},{v}\n" for t, o, h, lo, c, v in zip(*cols, vols, strict=True))
    path = Path(data_folder) / "index" / market / "daily" / f"{name}.zip"
    atomic_write_bytes(path, zip_bytes(f"{name}.csv", text))
    return path


# ---------------------------------------------------------------------------------------------- coarse

COARSE_COLUMNS = ("close", "volume", "price_factor", "split_factor")
_COARSE_CHUNK_ROWS = 200_000  # rows formatted at a time; bounds memory for decades of a large universe


def write_coarse_files(
    data_folder: Path | str,
    equities: Mapping[str, pd.DataFrame],
    start: dt.date | pd.Timestamp | str | None = None,
    end: dt.date | pd.Timestamp | str | None = None,
    *,
    first_dates: Mapping[str, dt.date | pd.Timestamp | str] | None = None,
    market: str = "usa",
) -> list[Path]:
    """Write `equity/<market>/fundamental/coarse/YYYYMMDD.csv` for every date on which any equity has a bar.

    equities: ticker -> DataFrame indexed by session date with columns
      close         raw close in dollars (what RAW mode shows; written to 1/10000 like the daily file),
      volume        shares traded,
      price_factor, split_factor   the factor-file factors that apply to that date,
      has_fundamental_data (optional bool, default True; False for ETFs).
    first_dates: the first date of each ticker's map file, which fixes its SID (default: first row).

    Row: `sid,ticker,price,volume,dollar_volume,has_fundamental_data,price_factor,split_factor`, sorted by
    SID; dollar_volume = close x volume, rounded to whole dollars. The file for D describes D's close; LEAN
    delivers it at midnight after D.
    """
    lo = None if start is None else pd.Timestamp(start)
    hi = None if end is None else pd.Timestamp(end)
    prefixes: list[str] = []
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in ("date", "who", "close", "volume", "fund", "pf", "sf")
    }
    for ticker, frame in equities.items():
        name = _check_ticker(ticker)
        what = f"coarse input for {ticker}"
        missing = [c for c in COARSE_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"{what}: missing columns {missing}")
        _check_dates(frame.index, what)
        if len(frame) == 0:
            continue
        first = frame.index[0] if first_dates is None or ticker not in first_dates else first_dates[ticker]
        keep = np.ones(len(frame), dtype=bool)
        if lo is not None:
            keep &= frame.index >= lo
        if hi is not None:
            keep &= frame.index <= hi
        if not keep.any():
            continue
        sel = frame[keep]
        vals = sel[list(COARSE_COLUMNS)].astype(float)
        if vals.isna().any().any():
            raise ValueError(f"{what}: NaN values on {vals.index[vals.isna().any(axis=1)][0]:%Y-%m-%d}")
        prefixes.append(f"{sidlib.equity_sid(ticker, first, market)},{name.upper()},")
        columns["date"].append(sel.index.to_numpy(dtype="datetime64[D]").astype(np.int32))
        columns["who"].append(np.full(len(sel), len(prefixes) - 1, dtype=np.int32))
        columns["close"].append(vals["close"].to_numpy())
        columns["volume"].append(np.rint(vals["volume"].to_numpy()).astype(np.int64))
        fund = (
            sel["has_fundamental_data"].astype(bool).to_numpy()
            if "has_fundamental_data" in sel.columns
            else np.ones(len(sel), dtype=bool)
        )
        columns["fund"].append(fund)
        columns["pf"].append(vals["price_factor"].to_numpy())
        columns["sf"].append(vals["split_factor"].to_numpy())
    if not prefixes:
        return []
    # Concatenate and reorder one column at a time, dropping the pieces as we go: peak memory stays near one
    # copy of the rows (2 million rows for 400 stocks over 20 years).
    data = {k: np.concatenate(columns.pop(k)) for k in list(columns)}
    sid_rank = np.argsort(np.argsort(np.array(prefixes), kind="stable"), kind="stable")
    order = np.lexsort((sid_rank[data["who"]], data["date"]))
    for key in list(data):
        data[key] = data[key][order]
    del order
    day_starts = np.flatnonzero(np.r_[True, data["date"][1:] != data["date"][:-1]])
    day_ends = np.r_[day_starts[1:], len(data["date"])]
    folder = _equity_folder(data_folder, market) / "fundamental" / "coarse"
    written: list[Path] = []
    first_day = 0
    while first_day < len(day_starts):
        last_day = first_day
        while (
            last_day + 1 < len(day_starts)
            and day_ends[last_day + 1] - day_starts[first_day] <= _COARSE_CHUNK_ROWS
        ):
            last_day += 1
        a, b = day_starts[first_day], day_ends[last_day]
        lines = _coarse_lines(prefixes, {k: v[a:b] for k, v in data.items()})
        for day in range(first_day, last_day + 1):
            s0, s1 = day_starts[day] - a, day_ends[day] - a
            date = np.datetime64(int(data["date"][day_starts[day]]), "D").astype(dt.date)
            path = folder / f"{date:%Y%m%d}.csv"
            atomic_write_text(path, "".join(lines[s0:s1]))
            written.append(path)
        first_day = last_day + 1
    return written


def _coarse_lines(prefixes: list[str], rows: dict[str, np.ndarray]) -> list[str]:
    price = stored_price(rows["close"])
    dollar = np.rint(rows["close"] * rows["volume"]).astype(np.int64)
    fund = np.where(rows["fund"], "True", "False").tolist()
    return [
        f"{prefixes[w]}{p},{v},{d},{f},{pf},{sf}\n"
        for w, p, v, d, f, pf, sf in zip(
            rows["who"].tolist(),
            fmt_decimals_list(price, 4),
            rows["volume"].tolist(),
            dollar.tolist(),
            fund,
            fmt_numbers(rows["pf"]),
            fmt_numbers(rows["sf"]),
            strict=True,
        )
    ]


# ---------------------------------------------------------------------------------------------- rates, FRED


def write_interest_rate_file(data_folder: Path | str, rates_percent: pd.Series) -> Path:
    """Write LEAN's risk-free-rate file `alternative/interest-rate/usa/interest-rate.csv`.

    A header line, then `yyyy-MM-dd,rate_in_percent` rows. LEAN carries each value forward day by day, so only
    the dates where the rate changes are written (plus the first). NaN values are skipped.
    """
    series = rates_percent.dropna()
    if len(series) == 0:
        raise ValueError("interest rates: no values")
    _check_dates(series.index, "interest rates")
    values = series.astype(float)
    changed = values.ne(values.shift())
    header = str(rates_percent.name or "RATE").upper()
    kept = values[changed]
    lines = [f"DATE,{header}"] + [
        f"{d:%Y-%m-%d},{v}" for d, v in zip(kept.index, fmt_decimals_list(kept, 6), strict=True)
    ]
    path = Path(data_folder) / "alternative" / "interest-rate" / "usa" / "interest-rate.csv"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def write_fred_series(
    data_folder: Path | str, series_id: str, values: pd.Series, release_lag: int | None = None
) -> Path:
    """Write `alternative/fred/<series_id>.csv` with each value dated by its (approximate) release.

    values: indexed by FRED's observation date. release_lag: days from the observation date to publication;
    None looks it up in `qclocal.data.fred.RELEASE_LAG_DAYS` (an unknown series is an error).
    See `qclocal.data.fred` for the row layout and when a value becomes visible.
    """
    from qclocal.data import fred

    return fred.write_series(data_folder, series_id, values, release_lag)
