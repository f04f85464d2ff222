"""What the peer engines share: the generated LEAN daily zips as pandas frames, the fee schedule, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PRICE_SCALE = 10_000   # LEAN stores equity prices x 10000
COLUMNS = ["time", "open", "high", "low", "close", "volume"]


def load_bars(data_folder: Path, ticker: str) -> pd.DataFrame:
    """One ticker's LEAN daily zip as a DataFrame indexed by bar date (midnight), prices in dollars."""
    path = Path(data_folder) / "equity" / "usa" / "daily" / f"{ticker.lower()}.zip"
    frame = pd.read_csv(path, header=None, names=COLUMNS)
    frame.index = pd.to_datetime(frame.pop("time"), format="%Y%m%d %H:%M")
    frame[["open", "high", "low", "close"]] /= PRICE_SCALE
    return frame


def ib_fee(quantity, price):
    """Interactive Brokers, US equities (qclocal's default fee model): 0.005 USD a share, at least 1 USD, at most
    0.5% of the order value. Works element-wise on numpy arrays."""
    fee = 0.005 * np.abs(quantity)
    return np.where(fee < 1.0, 1.0, np.minimum(fee, 0.005 * np.abs(quantity * price)))


def engine_report(started: float, loaded: float, finished: float, bars: int, buys: int, sells: int,
                  final_equity: float, rejected: int = 0) -> dict:
    """What each benchmark child reports to run.py (times from time.perf_counter())."""
    return {"engine_seconds": finished - started, "load_seconds": loaded - started, "bars": bars,
            "fills": buys + sells, "buys": buys, "sells": sells, "rejected": rejected,
            "final_equity": float(final_equity)}
