"""`qclocal data import`: a folder of Yahoo-style CSVs -> the LEAN data folder.

Source layout (every file may be `.csv` or `.csv.gz`; the file name is the ticker or series id):

    ohlcv/  Date,Open,High,Low,Close,Adj Close,Volume   split-adjusted OHLC, split+dividend-adjusted Adj Close
    close/  Date,Close                                  adjusted close only
    index/  Date,Open,High,Low,Close                    CBOE indexes (VIX, VIX3M)
    rates/  Date,Close                                  yields in percent (IRX, TNX)
    fred/   date,value                                  FRED series at their own frequency

Files elsewhere in the folder are classified by header (OHLCV with Adj Close, or close-only). How each kind
is stored, and why, is in docs/data.md. Every run is deterministic and every file is written atomically, so a
rerun rewrites nothing that is already up to date.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qclocal.data import calendars, fred, provenance, writers

MANIFEST = Path("qclocal") / "import-manifest.json"
KINDS = ("ohlcv", "close", "index", "rates", "fred")
# ETFs named in ../shared/market-data/README.md: coarse rows say has_fundamental_data=False, as LEAN's do.
DEFAULT_ETFS = frozenset(
    "SPY QQQ TQQQ IWM IWV XLK XLF XLE XLV XLY XLP XLI XLB XLU XLRE XLC VCR VDE VOX BIL TLT SPTL SHY VGSH "
    "IEMG EEM ARKK ARKW SOXX ITA".split()
)
# Equity prices are stored as integers in 1/10000 dollar (int64): far above any real price, far below overflow.
MAX_PRICE = 1e11
MISSING_TOKENS = frozenset({"", "null", "nan", "NaN", "NULL", "None", ".", "NA", "N/A"})
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DISPLAY = {
    "date": "Date",
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "adjclose": "Adj Close",
    "adj_close": "Adj Close",
    "volume": "Volume",
    "value": "value",
}


def _display(col: str) -> str:
    return _DISPLAY.get(col, col)


def _norm(col: str) -> str:
    return re.sub(r"[\s_]", "", str(col)).lower()


# ---------------------------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    level: str = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.level}: {self.message}"


class FileProblem(Exception):
    """A file that cannot be imported; carries the problem that names its file and line."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class DataImportError(ValueError):
    def __init__(self, problems: list[Problem], hint: str):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} file(s) could not be imported:\n{lines}\n{hint}")


# ---------------------------------------------------------------------------------------------- options


@dataclass
class ImportOptions:
    tickers: frozenset[str] | None = None  # upper-case tickers / series ids; None = everything
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    max_gap: int = 5  # warn when more sessions than this are missing in a row
    strict: bool = False  # turn warnings into errors
    factor_tolerance: float = writers.DEFAULT_FACTOR_TOLERANCE
    fred_lags: dict[str, int] = field(default_factory=dict)
    risk_free: str = "IRX"  # rates series written to LEAN's interest-rate.csv
    etfs: frozenset[str] = DEFAULT_ETFS
    exchange: str = "XNYS"
    coarse: bool = True
    progress: bool = True
    allow_mixed: bool = False  # may write into a data folder holding synthetic data
    force: bool = False  # may write into a data folder holding files qclocal has no record of


@dataclass
class ImportReport:
    imported: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    skipped: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    coarse_files: int = 0
    interest_rate_file: Path | None = None

    def summary(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in self.imported.items() if v]
        text = "imported " + (", ".join(parts) if parts else "nothing")
        if self.coarse_files:
            text += f"; {self.coarse_files} coarse universe files"
        if self.warnings:
            text += f"; {len(self.warnings)} warning(s)"
        return text


@dataclass(frozen=True)
class SourceFile:
    kind: str
    name: str  # ticker or series id, upper case
    path: Path
    rel: str  # path relative to the source folder, for messages


# ---------------------------------------------------------------------------------------------- discovery


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".csv"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:  # type: ignore[operator]
        first = fh.readline()
    if not first.strip():
        raise pd.errors.EmptyDataError("empty file")
    return [_norm(c) for c in next(csv.reader([first]))]


def _classify(path: Path, folder: str) -> str | None:
    """The file's kind: from its folder (ohlcv/, close/, index/, rates/, fred/) or, elsewhere, its header."""
    if folder in KINDS:
        return folder
    cols = set(_header(path))
    if {"date", "open", "high", "low", "close", "adjclose", "volume"} <= cols:
        return "ohlcv"
    if "date" in cols and ("close" in cols or "adjclose" in cols) and not {"open", "volume"} & cols:
        return "close"
    return None


def discover(source: Path | str) -> tuple[list[SourceFile], list[Problem]]:
    """Every importable file under `source`. When a ticker has both OHLCV and close-only files, the OHLCV one
    wins (it has real open/high/low and volume)."""
    root = Path(source)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root}: source folder not found; pass the folder that holds ohlcv/, close/, "
            "index/, rates/ and fred/, e.g. `qclocal data import --source ../shared/market-data`"
        )
    found: dict[tuple[str, str], SourceFile] = {}
    problems: list[Problem] = []
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith((".csv", ".csv.gz")))
    for path in paths:
        rel = str(path.relative_to(root))
        folder = path.parent.name.lower() if path.parent != root else ""
        try:
            kind = _classify(path, folder)
        except (pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
            problems.append(Problem(rel, 1, f"unreadable CSV header ({exc})"))
            continue
        if kind is None:
            problems.append(
                Problem(
                    rel,
                    1,
                    "unrecognised header: expected Date,Open,High,Low,Close,Adj Close,Volume or Date,Close",
                    "warning",
                )
            )
            continue
        name = _stem(path).upper()
        group = "equity" if kind in ("ohlcv", "close") else kind
        key = (group, name)
        prev = found.get(key)
        if prev is not None:
            if prev.kind == "ohlcv" and kind == "close":
                continue
            if not (prev.kind == "close" and kind == "ohlcv"):
                problems.append(
                    Problem(rel, None, f"{name} is also in {prev.rel}; keeping {prev.rel}", "warning")
                )
                continue
        found[key] = SourceFile(kind, name, path, rel)
    files = sorted(found.values(), key=lambda f: (KINDS.index(f.kind), f.name))
    return files, problems


# ---------------------------------------------------------------------------------------------- reading


def _read_csv(sf: SourceFile, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(sf.path, skip_blank_lines=False, compression="infer", **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise FileProblem(Problem(sf.rel, None, f"cannot parse CSV ({str(exc).strip()})")) from None
    except pd.errors.EmptyDataError:
        raise FileProblem(Problem(sf.rel, 1, "empty file")) from None


def _pick(raw: pd.DataFrame, sf: SourceFile, columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    normalized = {_norm(c): c for c in raw.columns}
    picked = {}
    for key, spellings in columns.items():
        col = next((normalized[s] for s in spellings if s in normalized), None)
        if col is None:
            raise FileProblem(
                Problem(
                    sf.rel,
                    1,
                    f"missing column {_display(spellings[0])!r}; header is {','.join(map(str, raw.columns))}",
                )
            )
        picked[key] = col
    return picked


def _read_values(sf: SourceFile, columns: dict[str, tuple[str, ...]]) -> tuple[pd.DataFrame, pd.Series]:
    """Read the CSV. Returns a table with columns `line` (1-based file line), `date` (text) and the value
    columns as floats (named by the keys of `columns`; each key lists accepted header spellings), plus a mask
    of rows with a missing value ('null', '', '.', ...). Blank lines are dropped; text that is not a number
    raises FileProblem naming its line."""
    value_keys = [k for k in columns if k != "date"]
    raw = _read_csv(sf, na_values=["."])
    picked = _pick(raw, sf, columns)
    if all(pd.api.types.is_numeric_dtype(raw[picked[k]]) for k in value_keys):
        out = pd.DataFrame(
            {
                "line": np.arange(2, len(raw) + 2),
                "date": raw[picked["date"]].astype(str).where(raw[picked["date"]].notna(), ""),
            }
        )
        for key in value_keys:
            out[key] = raw[picked[key]].to_numpy(dtype=float)
        values = out[value_keys]
        blank = (out["date"] == "") & values.isna().all(axis=1)
        out = out[~blank].reset_index(drop=True)
        for key in value_keys:
            inf = np.isinf(out[key].to_numpy())
            if inf.any():
                i = int(np.flatnonzero(inf)[0])
                raise FileProblem(
                    Problem(sf.rel, int(out["line"].iat[i]), f"{_display(key)}: infinite value")
                )
        return out, out[value_keys].isna().any(axis=1)
    # Slow path, only for files with text where numbers belong: find the line to report.
    raw = _read_csv(sf, dtype=str, keep_default_na=False)
    out = pd.DataFrame({"line": np.arange(2, len(raw) + 2)})
    for key, col in picked.items():
        out[key] = raw[col].fillna("").str.strip().to_numpy()
    blank = (out.drop(columns="line") == "").all(axis=1)
    return _parse_numbers(out[~blank].reset_index(drop=True), sf, value_keys)


def _parse_dates(table: pd.DataFrame, sf: SourceFile) -> pd.DataFrame:
    text = table["date"]
    ok = text.str.match(_DATE_RE)
    dates = pd.to_datetime(text.where(ok).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    bad = dates.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise FileProblem(
            Problem(
                sf.rel, int(table["line"].iat[i]), f"cannot read date {text.iat[i]!r} (expected YYYY-MM-DD)"
            )
        )
    table = table.copy()
    table["date"] = dates
    return table


def _parse_numbers(
    table: pd.DataFrame, sf: SourceFile, cols: Iterable[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """Columns to floats. Returns the table and a mask of rows with a missing value ('null', '', ...)."""
    table = table.copy()
    missing = pd.Series(False, index=table.index)
    for col in cols:
        text = table[col]
        is_missing = text.isin(MISSING_TOKENS)
        values = pd.to_numeric(text.where(~is_missing), errors="coerce")
        bad = values.isna() & ~is_missing
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise FileProblem(
                Problem(
                    sf.rel, int(table["line"].iat[i]), f"{_display(col)}: {text.iat[i]!r} is not a number"
                )
            )
        inf = np.isinf(values)
        if inf.any():
            i = int(np.flatnonzero(inf.to_numpy())[0])
            raise FileProblem(Problem(sf.rel, int(table["line"].iat[i]), f"{_display(col)}: infinite value"))
        table[col] = values.astype(float)
        missing |= is_missing
    return table, missing


def _lines(table: pd.DataFrame, mask: pd.Series | np.ndarray, limit: int = 5) -> str:
    lines = table.loc[np.asarray(mask), "line"].tolist()
    text = ", ".join(str(x) for x in lines[:limit])
    return text + (f" and {len(lines) - limit} more" if len(lines) > limit else "")


def _check_order(table: pd.DataFrame, sf: SourceFile) -> None:
    dates = table["date"].to_numpy()
    if len(dates) < 2:
        return
    step = dates[1:] - dates[:-1]
    dup = np.flatnonzero(step == np.timedelta64(0))
    back = np.flatnonzero(step < np.timedelta64(0))
    first_dup = dup[0] if len(dup) else None
    first_back = back[0] if len(back) else None
    if first_back is not None and (first_dup is None or first_back < first_dup):
        i = first_back + 1
        raise FileProblem(
            Problem(
                sf.rel,
                int(table["line"].iat[i]),
                f"dates not sorted: {table['date'].iat[i]:%Y-%m-%d} comes after "
                f"{table['date'].iat[i - 1]:%Y-%m-%d} (line {table['line'].iat[i - 1]})",
            )
        )
    if first_dup is not None:
        i = first_dup + 1
        raise FileProblem(
            Problem(
                sf.rel,
                int(table["line"].iat[i]),
                f"duplicate date {table['date'].iat[i]:%Y-%m-%d} (also on line {table['line'].iat[i - 1]})",
            )
        )


@dataclass
class _Loaded:
    frame: pd.DataFrame  # indexed by date, float columns
    warnings: list[Problem]


def _warn(warnings: list[Problem], sf: SourceFile, line: int | None, message: str, strict: bool) -> None:
    problem = Problem(sf.rel, line, message, "warning")
    if strict:
        raise FileProblem(Problem(sf.rel, line, message + " (--strict)"))
    warnings.append(problem)


def load_prices(
    sf: SourceFile,
    value_cols: Mapping[str, tuple[str, ...]],
    options: ImportOptions,
    *,
    positive: Iterable[str],
    nonnegative: Iterable[str] = (),
    check_sessions: bool = True,
) -> _Loaded:
    """Read and validate one price file. Errors (unsorted or duplicate dates, unreadable values, prices <= 0)
    raise FileProblem; missing values, dates that are not sessions and long gaps are warnings. Text where a
    number belongs, sorting and duplicates are checked in the whole file, the rest inside --start/--end."""
    table, missing = _read_values(sf, {"date": ("date",), **value_cols})
    if len(table) == 0:
        raise FileProblem(Problem(sf.rel, 2, "no data rows"))
    table = _parse_dates(table, sf)
    _check_order(table, sf)
    # Everything but ordering is checked inside the --start/--end window only.
    inside = np.ones(len(table), dtype=bool)
    if options.start is not None:
        inside &= (table["date"] >= options.start).to_numpy()
    if options.end is not None:
        inside &= (table["date"] <= options.end).to_numpy()
    table, missing = table[inside].reset_index(drop=True), missing[inside].reset_index(drop=True)
    warnings: list[Problem] = []
    if missing.any():
        first = int(table.loc[missing, "line"].iat[0])
        _warn(
            warnings,
            sf,
            first,
            f"{int(missing.sum())} row(s) with missing values skipped (lines {_lines(table, missing)})",
            options.strict,
        )
        table = table[~missing].reset_index(drop=True)
    for col in positive:
        _reject_first(table, sf, col, table[col] <= 0, "non-positive {name} {value:g} on {date}")
    for col in value_cols:
        huge = table[col].abs() >= MAX_PRICE if col != "volume" else table[col] >= 2.0**63
        _reject_first(table, sf, col, huge, "{name} {value:g} on {date} is too large for LEAN's data format "
                      f"(prices must be below {MAX_PRICE:g})")
    for col in nonnegative:
        _reject_first(table, sf, col, table[col] < 0, "negative {name} {value:g}")
    if len(table) and check_sessions:
        table = _check_sessions(table, sf, options, warnings)
    frame = table.set_index(pd.DatetimeIndex(table["date"], name="date")).drop(columns="date")
    return _Loaded(frame, warnings)


def _reject_first(table: pd.DataFrame, sf: SourceFile, col: str, bad: pd.Series, message: str) -> None:
    """Raise FileProblem at the first row where ``bad`` holds; ``message`` may use {name}, {value}, {date}."""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        text = message.format(name=_display(col), value=table[col].iat[i], date=f"{table['date'].iat[i]:%Y-%m-%d}")
        raise FileProblem(Problem(sf.rel, int(table["line"].iat[i]), text))


def _check_sessions(
    table: pd.DataFrame, sf: SourceFile, options: ImportOptions, warnings: list[Problem]
) -> pd.DataFrame:
    dates = pd.DatetimeIndex(table["date"])
    sessions = calendars.session_dates(dates[0], dates[-1], options.exchange)
    on_session = dates.isin(sessions)
    if not on_session.all():
        off = ~on_session
        _warn(
            warnings,
            sf,
            int(table.loc[off, "line"].iat[0]),
            f"{int(off.sum())} row(s) on dates that are not {options.exchange} sessions skipped "
            f"(lines {_lines(table, off)})",
            options.strict,
        )
        table = table[on_session].reset_index(drop=True)
        dates = dates[on_session]
    if len(dates) > 1 and options.max_gap >= 0:
        pos = sessions.searchsorted(dates)
        missing = np.diff(pos) - 1
        long = np.flatnonzero(missing > options.max_gap)
        for i in long[:3]:
            _warn(
                warnings,
                sf,
                int(table["line"].iat[i + 1]),
                f"gap of {missing[i]} sessions between {dates[i]:%Y-%m-%d} and {dates[i + 1]:%Y-%m-%d}",
                options.strict,
            )
        if len(long) > 3:
            _warn(
                warnings,
                sf,
                None,
                f"{len(long) - 3} more gaps longer than {options.max_gap} sessions",
                options.strict,
            )
    return table


# ---------------------------------------------------------------------------------------------- per kind


@dataclass
class _Equity:
    bars: pd.DataFrame  # RAW prices as written
    factors: pd.DataFrame  # factor-file rows
    kind: str


def build_equity(sf: SourceFile, options: ImportOptions) -> tuple[_Equity, list[Problem]]:
    if sf.kind == "ohlcv":
        cols = {
            "open": ("open",),
            "high": ("high",),
            "low": ("low",),
            "close": ("close",),
            "adj_close": ("adjclose",),
            "volume": ("volume",),
        }
        loaded = load_prices(
            sf, cols, options, positive=("open", "high", "low", "close", "adj_close"), nonnegative=("volume",)
        )
        frame = loaded.frame
        bars = frame[["open", "high", "low", "close", "volume"]]
        adj = frame["adj_close"]
    else:
        loaded = load_prices(sf, {"close": ("close", "adjclose")}, options, positive=("close",))
        frame = loaded.frame
        close = frame["close"]
        bars = pd.DataFrame({"open": close, "high": close, "low": close, "close": close, "volume": 0.0})
        adj = close
    if len(bars) == 0:
        raise FileProblem(Problem(sf.rel, None, "no rows inside --start/--end"))
    factors = writers.factor_rows_from_adjusted(bars["close"], adj, tolerance=options.factor_tolerance)
    return _Equity(bars, factors, sf.kind), loaded.warnings


def coarse_frame(bars: pd.DataFrame, factors: pd.DataFrame, has_fundamentals: bool) -> pd.DataFrame:
    """Coarse-writer input for one equity: stored close, volume and the factors of each date."""
    applied = writers.factors_for_dates(factors, pd.DatetimeIndex(bars.index))
    return pd.DataFrame(
        {
            "close": writers.stored_price(bars["close"]),
            "volume": bars["volume"].to_numpy(),
            "price_factor": applied["price_factor"].to_numpy(),
            "split_factor": applied["split_factor"].to_numpy(),
            "has_fundamental_data": has_fundamentals,
        },
        index=bars.index,
    )


def read_equity_back(
    data_folder: Path | str, ticker: str, market: str = "usa"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The daily bars (dollars) and factor rows of an equity already in the data folder."""
    import zipfile

    base = Path(data_folder) / "equity" / market
    name = ticker.lower()
    path = base / "daily" / f"{name}.zip"
    try:
        with zipfile.ZipFile(path) as zf:
            with zf.open(f"{name}.csv") as fh:
                raw = pd.read_csv(fh, header=None, names=["time", "open", "high", "low", "close", "volume"])
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path} is not a readable zip file ({exc})") from None
    index = pd.DatetimeIndex(pd.to_datetime(raw["time"].str.slice(0, 8), format="%Y%m%d"), name="date")
    bars = pd.DataFrame(
        {c: raw[c].to_numpy() / writers.PRICE_SCALE for c in ("open", "high", "low", "close")}, index=index
    )
    bars["volume"] = raw["volume"].to_numpy(dtype=float)
    ff = pd.read_csv(
        base / "factor_files" / f"{name}.csv",
        header=None,
        names=["date", "price_factor", "split_factor", "reference_price"],
        dtype={"date": str},
    )
    factors = ff.set_index(pd.DatetimeIndex(pd.to_datetime(ff["date"], format="%Y%m%d"), name="date"))
    return bars, factors.drop(columns="date")


# ---------------------------------------------------------------------------------------------- manifest


def read_manifest(data_folder: Path | str) -> dict:
    path = Path(data_folder) / MANIFEST
    if not path.is_file():
        return {"version": 1, "equity": {}, "index": {}, "rates": {}, "fred": {}}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path}:{exc.lineno}: corrupt import manifest ({exc.msg}); delete it and rerun "
            "`qclocal data import`"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the import manifest must be a JSON object; delete it and rerun `qclocal data import`")
    for key in ("equity", "index", "rates", "fred"):
        data.setdefault(key, {})
        if not isinstance(data[key], dict) or not all(isinstance(v, dict) for v in data[key].values()):
            raise ValueError(
                f"{path}: \"{key}\" must map names to objects; delete the manifest and rerun `qclocal data import`"
            )
    return data


def forget_replaced(data_folder: Path | str, paths: set[str]) -> None:
    """Drop the manifest entries whose files (data-folder relative paths) were replaced by synthetic data."""
    manifest = read_manifest(data_folder)
    names = {Path(p).name.split(".")[0].upper() for p in paths}
    changed = False
    for key, folder in (("equity", "equity/"), ("index", "index/"), ("rates", "index/"), ("fred", "alternative/fred/")):
        for name in list(manifest[key]):
            if name in names and any(p.startswith(folder) for p in paths):
                del manifest[key][name]
                changed = True
    if changed:
        _write_manifest(Path(data_folder), manifest)


def close_only_tickers(data_folder: Path | str) -> frozenset[str]:
    """Equities imported from close-only files: their open/high/low equal the close and their volume is 0,
    which is not real data. The engine raises when an algorithm reads their volume."""
    equities = read_manifest(data_folder)["equity"]
    return frozenset(t for t, e in equities.items() if e.get("kind") == "close")


def _write_manifest(data_folder: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    writers.atomic_write_text(data_folder / MANIFEST, text)


# ---------------------------------------------------------------------------------------------- main entry


def _progress(items: list[SourceFile], enabled: bool) -> Iterable[SourceFile]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="import", unit="file", file=sys.stderr, dynamic_ncols=True)


def _series_frame(sf: SourceFile) -> pd.Series:
    """A FRED file as a float Series by observation date (missing values such as '.' dropped)."""
    try:
        header = _header(sf.path)
    except (pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
        raise FileProblem(Problem(sf.rel, 1, f"cannot read CSV header ({exc})")) from None
    if len(header) < 2:
        raise FileProblem(Problem(sf.rel, 1, "expected two columns: date,value"))
    date_col, value_col = header[0], header[1]
    table, missing = _read_values(sf, {"date": (date_col,), "value": (value_col,)})
    table = _parse_dates(table, sf)
    _check_order(table, sf)
    table = table[~missing]
    return pd.Series(table["value"].to_numpy(), index=pd.DatetimeIndex(table["date"]), name=sf.name)


def import_folder(
    source: Path | str,
    data_folder: Path | str,
    options: ImportOptions | None = None,
    echo: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every file of `source` into `data_folder`. Files with errors are skipped and reported together
    at the end (DataImportError); everything else is written."""
    options = options or ImportOptions()
    data = Path(data_folder)
    files, problems = discover(source)
    if not files and not problems:
        raise FileNotFoundError(
            f"{source} holds no CSV files to import; nothing was changed. Pass the folder that holds ohlcv/, "
            "close/, index/, rates/ and fred/, e.g. `qclocal data import --source ../shared/market-data`"
        )
    with provenance.writing(data, f"imported:{Path(source).resolve()}", allow_mixed=options.allow_mixed,
                            force=options.force, echo=echo or _stderr):
        report = _import_files(files, problems, Path(source), data, options)
    if echo is not None:
        for w in report.warnings:
            echo(str(w))
    if report.errors:
        raise DataImportError(
            report.errors,
            f"Fix or delete the rows named above (or remove the file), then rerun `{rerun_command(source, data, options)}`.",
        )
    return report


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def rerun_command(source: Path | str, data: Path, options: ImportOptions) -> str:
    """The import command line that repeats this import."""
    parts = ["qclocal data import --source", str(source), "--data-folder", str(data)]
    if options.tickers is not None:
        parts += ["--tickers", ",".join(sorted(options.tickers))]
    for flag, value in (("--start", options.start), ("--end", options.end)):
        if value is not None:
            parts += [flag, f"{value:%Y-%m-%d}"]
    return " ".join(parts)


def _import_files(
    files: list[SourceFile], problems: list[Problem], source: Path, data: Path, options: ImportOptions
) -> ImportReport:
    report = ImportReport()
    report.warnings.extend(p for p in problems if p.level == "warning")
    report.errors.extend(p for p in problems if p.level == "error")
    if options.tickers is not None:
        wanted = options.tickers
        files = [f for f in files if f.name in wanted]
        absent = sorted(wanted - {f.name for f in files})
        if absent:
            report.errors.append(
                Problem(str(source), None, f"not found in the source folder: {', '.join(absent)}")
            )
    manifest = read_manifest(data)
    coarse_inputs: dict[str, pd.DataFrame] = {}
    rates: dict[str, pd.Series] = {}
    for sf in _progress(files, options.progress):
        try:
            _import_one(sf, data, options, report, manifest, coarse_inputs, rates)
        except FileProblem as exc:
            report.errors.append(exc.problem)
            report.skipped.append(sf.rel)
        except ValueError as exc:  # a writer refused the values: name the file
            report.errors.append(Problem(sf.rel, None, str(exc)))
            report.skipped.append(sf.rel)
    if options.risk_free.upper() in rates:
        report.interest_rate_file = writers.write_interest_rate_file(data, rates[options.risk_free.upper()])
    if options.coarse:
        report.coarse_files = _write_coarse(data, options, manifest, coarse_inputs, report)
    _write_manifest(data, manifest)
    return report


def _import_one(
    sf: SourceFile,
    data: Path,
    options: ImportOptions,
    report: ImportReport,
    manifest: dict,
    coarse_inputs: dict[str, pd.DataFrame],
    rates: dict[str, pd.Series],
) -> None:
    if sf.kind in ("ohlcv", "close"):
        equity, warnings = build_equity(sf, options)
        report.warnings.extend(warnings)
        bars = equity.bars
        writers.write_equity_bars(data, sf.name, bars)
        writers.write_factor_file(data, sf.name, equity.factors)
        writers.write_map_file(data, sf.name, bars.index[0])
        manifest["equity"][sf.name] = {
            "kind": sf.kind,
            "source": sf.rel,
            "first": f"{bars.index[0]:%Y-%m-%d}",
            "last": f"{bars.index[-1]:%Y-%m-%d}",
            "rows": len(bars),
            "factor_rows": len(equity.factors),
        }
        if sf.kind == "ohlcv":
            coarse_inputs[sf.name] = coarse_frame(bars, equity.factors, sf.name not in options.etfs)
    elif sf.kind == "index":
        cols = {"open": ("open",), "high": ("high",), "low": ("low",), "close": ("close",)}
        loaded = load_prices(sf, cols, options, positive=tuple(cols))
        report.warnings.extend(loaded.warnings)
        _require_rows(loaded.frame, sf)
        writers.write_index_bars(data, sf.name, loaded.frame)
        manifest["index"][sf.name] = _span(sf, loaded.frame)
    elif sf.kind == "rates":
        loaded = load_prices(sf, {"close": ("close", "value", "adjclose")}, options, positive=())
        report.warnings.extend(loaded.warnings)
        _require_rows(loaded.frame, sf)
        close = loaded.frame["close"]
        bars = pd.DataFrame({"open": close, "high": close, "low": close, "close": close})
        writers.write_index_bars(data, sf.name, bars, require_positive=False)
        rates[sf.name] = close.rename(sf.name)
        manifest["rates"][sf.name] = _span(sf, loaded.frame) | {"units": "percent"}
    elif sf.kind == "fred":
        series = _series_frame(sf)
        if options.start is not None:
            series = series[series.index >= options.start]
        if options.end is not None:
            series = series[series.index <= options.end]
        if len(series) == 0:
            raise FileProblem(Problem(sf.rel, None, "no values inside --start/--end"))
        try:
            lag = fred.release_lag(sf.name, options.fred_lags)
        except KeyError as exc:
            raise FileProblem(Problem(sf.rel, None, str(exc.args[0]))) from None
        writers.write_fred_series(data, sf.name, series, release_lag=lag)
        manifest["fred"][sf.name] = _span(sf, series.to_frame()) | {"release_lag_days": lag}
    report.imported[sf.kind].append(sf.name)


def _require_rows(frame: pd.DataFrame, sf: SourceFile) -> None:
    if len(frame) == 0:
        raise FileProblem(Problem(sf.rel, None, "no rows inside --start/--end"))


def _span(sf: SourceFile, frame: pd.DataFrame) -> dict:
    return {
        "source": sf.rel,
        "first": f"{frame.index[0]:%Y-%m-%d}",
        "last": f"{frame.index[-1]:%Y-%m-%d}",
        "rows": len(frame),
    }


def _write_coarse(
    data: Path,
    options: ImportOptions,
    manifest: dict,
    coarse_inputs: dict[str, pd.DataFrame],
    report: ImportReport,
) -> int:
    """Coarse files from every OHLCV equity in the data folder: this run's, plus earlier runs' (read back)."""
    inputs = dict(coarse_inputs)
    for ticker, entry in sorted(manifest["equity"].items()):
        if ticker in inputs or entry.get("kind") != "ohlcv":
            continue
        try:
            bars, factors = read_equity_back(data, ticker)
        except (FileNotFoundError, KeyError, ValueError, pd.errors.ParserError) as exc:
            report.warnings.append(
                Problem(
                    str(data),
                    None,
                    f"{ticker} is in the import manifest but its files "
                    f"cannot be read ({exc}); left out of coarse files",
                    "warning",
                )
            )
            continue
        inputs[ticker] = coarse_frame(bars, factors, ticker not in options.etfs)
    if not inputs:
        return 0
    first_dates = {t: pd.Timestamp(manifest["equity"][t]["first"]) for t in inputs}
    paths = writers.write_coarse_files(data, inputs, options.start, options.end, first_dates=first_dates)
    return len(paths)


def parse_date(value: str | dt.date | None) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).normalize()
    except ValueError:
        raise ValueError(f"cannot read date {value!r}; use YYYY-MM-DD") from None
