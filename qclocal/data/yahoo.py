"""`qclocal data import yahoo`: download daily bars with yfinance, save them as Yahoo-style CSVs, import them.

Tickers map to the source layout the CSV importer reads:
    AAPL, SPY ...        -> ohlcv/<T>.csv   (Date,Open,High,Low,Close,Adj Close,Volume)
    ^VIX, ^VIX3M ...     -> index/<T>.csv   (Date,Open,High,Low,Close)
    ^IRX, ^TNX ...       -> rates/<T>.csv   (Date,Close), yields in percent
Yahoo's class-share dash (BRK-B) becomes LEAN's dot (BRK.B).

yfinance is asked for `auto_adjust=False`, so Close is split-adjusted and Adj Close split- and
dividend-adjusted: the same meaning as the files in ../shared/market-data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from qclocal import outputs
from qclocal.data import importer, writers

RATE_TICKERS = frozenset({"IRX", "TNX", "FVX", "TYX"})
FIELDS = ("Open", "High", "Low", "Close", "Adj Close", "Volume")
Downloader = Callable[..., pd.DataFrame]


def _default_downloader() -> Downloader:
    try:
        import yfinance  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError(
            "yfinance is not installed: run `.venv/bin/pip install -e '.[yahoo]'` "
            "(or `pip install yfinance`), then rerun `qclocal data import yahoo`"
        ) from None
    return yfinance.download


def local_name(yahoo_ticker: str) -> tuple[str, str]:
    """(kind, name) for a Yahoo ticker: ('index', 'VIX') for ^VIX, ('ohlcv', 'BRK.B') for BRK-B."""
    ticker = yahoo_ticker.strip().upper()
    if not ticker:
        raise ValueError("empty ticker")
    if ticker.startswith("^"):
        name = ticker[1:]
        return ("rates" if name in RATE_TICKERS else "index"), name
    return "ohlcv", ticker.replace("-", ".")


def _per_ticker(frame: pd.DataFrame, tickers: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Split yfinance's download frame (columns (Ticker, Price) or (Price, Ticker)) by ticker."""
    if frame is None or len(frame) == 0:
        return {}
    if not isinstance(frame.columns, pd.MultiIndex):
        if len(tickers) != 1:
            raise ValueError("yfinance returned single-level columns for several tickers")
        return {tickers[0].upper(): frame}
    levels = [set(map(str, frame.columns.get_level_values(i))) for i in range(2)]
    price_level = 1 if set(FIELDS[:4]) <= levels[1] else 0
    out = {}
    for ticker in frame.columns.get_level_values(1 - price_level).unique():
        part = frame.xs(ticker, axis=1, level=1 - price_level)
        out[str(ticker).upper()] = part
    return out


def _to_csv(part: pd.DataFrame, kind: str, yahoo_ticker: str) -> pd.DataFrame:
    index = pd.DatetimeIndex(part.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    part = part.set_axis(index.normalize(), axis=0)
    need = {"ohlcv": list(FIELDS), "index": list(FIELDS[:4]), "rates": ["Close"]}[kind]
    missing = [c for c in need if c not in part.columns]
    if missing:
        raise ValueError(
            f"yfinance data for {yahoo_ticker} lacks {missing} (was auto_adjust=False honoured?)"
        )
    out = part[need].dropna(how="all")
    out = out[~out.index.duplicated(keep="last")].sort_index()
    out.index.name = "Date"
    return out


def download(
    tickers: Sequence[str],
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None,
    dest: Path | str,
    *,
    downloader: Downloader | None = None,
) -> list[Path]:
    """Download `tickers` and write Yahoo-style CSVs under `dest` (ohlcv/, index/, rates/); `end` inclusive.
    `downloader` defaults to `yfinance.download`; tests pass a recorded response instead."""
    if not tickers:
        raise ValueError("no tickers given: pass --tickers SPY,QQQ,^VIX")
    fetch = downloader or _default_downloader()
    end_exclusive = None if end is None else (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    kwargs: dict[str, Any] = dict(
        start=pd.Timestamp(start).strftime("%Y-%m-%d"),
        end=end_exclusive,
        interval="1d",
        auto_adjust=False,
        actions=False,
        group_by="ticker",
        progress=False,
        threads=False,
        multi_level_index=True,
    )
    wanted = [t.strip().upper() for t in tickers if t.strip()]
    frame = fetch(wanted, **kwargs)
    parts = _per_ticker(frame, wanted)
    texts: dict[Path, str] = {}
    absent = []
    for ticker in wanted:
        kind, name = local_name(ticker)
        part = parts.get(ticker)
        table = None if part is None else _to_csv(part, kind, ticker)
        if table is None or len(table) == 0:
            absent.append(ticker)
            continue
        path = Path(dest) / kind / f"{name}.csv"
        texts[path] = table.to_csv(date_format="%Y-%m-%d", float_format="%.6f", lineterminator="\n")
    ours = outputs.written_files(Path(dest))
    foreign = [p for p in texts if p.exists() and p.relative_to(dest).as_posix() not in ours]
    if foreign:
        raise RuntimeError(
            f"{', '.join(map(str, foreign))} exist and were not downloaded by qclocal; nothing was changed. "
            "Pass another --csv-folder."
        )
    for path, text in texts.items():
        writers.atomic_write_text(path, text)
    Path(dest).mkdir(parents=True, exist_ok=True)
    outputs.record(Path(dest), [p.relative_to(dest).as_posix() for p in texts], "qclocal data import yahoo")
    written = list(texts)
    if absent:
        raise RuntimeError(
            f"yfinance returned no data for {', '.join(absent)} (offline, or unknown ticker?); "
            "check the tickers and the connection, then rerun `qclocal data import yahoo`"
        )
    return written


def import_yahoo(
    tickers: Sequence[str],
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None,
    data_folder: Path | str,
    csv_folder: Path | str | None = None,
    options: importer.ImportOptions | None = None,
    *,
    downloader: Downloader | None = None,
    echo: Callable[[str], None] | None = None,
) -> importer.ImportReport:
    """Download, keep the CSVs (default `<data_folder>/qclocal/yahoo`), and import exactly those tickers."""
    dest = Path(csv_folder) if csv_folder is not None else Path(data_folder) / "qclocal" / "yahoo"
    paths = download(tickers, start, end, dest, downloader=downloader)
    options = options or importer.ImportOptions()
    names = frozenset(importer._stem(p).upper() for p in paths)
    options.tickers = names if options.tickers is None else options.tickers | names
    return importer.import_folder(dest, data_folder, options, echo=echo)
