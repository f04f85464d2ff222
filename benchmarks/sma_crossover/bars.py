"""The generated LEAN daily zips as pandas frames, for the engines that do not read LEAN data themselves."""

from __future__ import annotations

from pathlib import Path

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
