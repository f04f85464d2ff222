"""Labels (6-day forward return, up for the long model, down for the short model) and purged training samples.

The label of (t, name) reads the close of t + ``horizon``; overlapping labels are purged before each cutoff and
an embargo separates training from validation (:func:`models.walkforward.purged_split`). Each side's model
learns on its *band*: the long model on rows with QPI <= ``long_band``, the short model on QPI >= ``short_band``
(defaults 30 and 70). The gate is only ever asked about QPI < 15 or > 85, so the band keeps the samples that
matter, cuts the training set about fourfold, and still gives the trees the edge of the region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..walkforward import Split, purged_split
from .features import FEATURE_NAMES, feature_panel
from .rules import Rules, select_universe

__all__ = ["research_universe", "daily_universe", "HORIZON", "EMBARGO", "BANDS", "forward_return", "sample_panel", "SideSamples", "side_samples"]

HORIZON = 6                              # trading days in the label (the source's holding period)
EMBARGO = 6                              # trading days between the cutoff and the first validation date
BANDS = {"long": 30.0, "short": 70.0}    # QPI bands the long / short models learn on


def _coarse_files(data_folder: str | Path) -> pd.Series:
    """The coarse universe files (``equity/usa/fundamental/coarse/YYYYMMDD.csv``), indexed by their date."""
    folder = Path(data_folder) / "equity" / "usa" / "fundamental" / "coarse"
    files = sorted(p for p in folder.glob("*.csv") if p.stem.isdigit())
    if not files:
        raise ValueError(f"no coarse universe files in {folder}; create them with `qclocal data generate reversal` "
                         "or `qclocal data import`")
    return pd.Series(files, index=pd.to_datetime([p.stem for p in files]))


def _select(path: Path, rules: Rules) -> list[str]:
    frame = pd.read_csv(path, header=None).iloc[:, :6]
    frame.columns = ["sid", "ticker", "price", "volume", "dollar_volume", "has_fundamental_data"]
    frame["has_fundamental_data"] = frame["has_fundamental_data"].astype(str).str.lower() == "true"
    return select_universe(frame, rules)


def research_universe(data_folder: str | Path, start: date | datetime | str, end: date | datetime | str,
                      rules: Rules | None = None) -> list[str]:
    """Every name the algorithm's universe rule selects on the first coarse file of any month in [start, end].

    Research trains on this union; the algorithm re-selects daily, so a name outside the universe on a given day
    never trades, whatever the model saw.
    """
    rules = rules or Rules()
    days = _coarse_files(data_folder)
    days = days[(days.index >= pd.Timestamp(start)) & (days.index <= pd.Timestamp(end))]
    chosen: set[str] = set()
    for path in days.groupby(days.index.to_period("M")).first():
        chosen.update(_select(path, rules))
    return sorted(chosen)


def daily_universe(data_folder: str | Path, days: pd.DatetimeIndex, rules: Rules | None = None) -> pd.DataFrame:
    """Membership (dates x tickers, bool) as the algorithm sees it: on each session, the rule applied to the
    newest coarse file dated before it (LEAN selects at midnight on the previous session's file)."""
    rules = rules or Rules()
    files = _coarse_files(data_folder)
    picks = {}
    for day in days:
        earlier = files[files.index < pd.Timestamp(day).normalize()]
        picks[day] = _select(earlier.iloc[-1], rules) if len(earlier) else []
    members = pd.DataFrame(False, index=days, columns=sorted(set().union(*picks.values())))
    for day, names in picks.items():
        members.loc[day, names] = True
    return members


def forward_return(close: pd.DataFrame, horizon: int = HORIZON) -> pd.DataFrame:
    """C[t + horizon] / C[t] - 1 (NaN where the future close is unknown)."""
    close = close.astype(float).where(close > 0)
    return close.shift(-horizon) / close - 1


def sample_panel(close: pd.DataFrame, volume: pd.DataFrame, horizon: int = HORIZON) -> pd.DataFrame:
    """(date, ticker) panel of features, ``qpi`` and ``fwd`` (the forward return; NaN at the end), sorted by date.

    Rows lack a label only at the end of the data; training drops them through the purge (their labels read past
    any cutoff) or explicitly.
    """
    panel = feature_panel(close, volume)
    fwd = forward_return(close, horizon).stack(future_stack=True)
    fwd.index.names = ["date", "ticker"]
    panel["fwd"] = fwd.reindex(panel.index)
    return panel.sort_index(level=["date", "ticker"])


@dataclass
class SideSamples:
    """One side's training and validation rows at one cutoff."""

    side: str
    split: Split
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    val_rows: pd.DataFrame      # the validation rows of the band (features, qpi, fwd, label) for diagnostics

    @property
    def train_window(self) -> tuple[date, date]:
        return self.split.train_window


def _label(fwd: pd.Series, side: str) -> pd.Series:
    return (fwd > 0) if side == "long" else (fwd < 0)


def side_samples(panel: pd.DataFrame, cutoff: date | datetime | str, side: str, *, horizon: int = HORIZON,
                 embargo: int = EMBARGO, validation_periods: int | None = 63, band: float | None = None,
                 train_periods: int | None = None, max_train: int | None = None, seed: int = 0) -> SideSamples:
    """Purged training rows (labels end before ``cutoff``) and embargoed validation rows for ``side``.

    ``max_train`` keeps a random subset (``seed``) of that many training rows; None keeps all.
    """
    if side not in BANDS:
        raise ValueError(f"side must be 'long' or 'short', got {side!r}")
    band = BANDS[side] if band is None else float(band)
    split = purged_split(panel.index.get_level_values("date"), cutoff, horizon=horizon, embargo=embargo,
                         validation_periods=validation_periods, train_periods=train_periods)
    qpi = panel["qpi"].to_numpy()
    in_band = (qpi <= band) if side == "long" else (qpi >= band)
    labelled = panel["fwd"].notna().to_numpy()
    train = split.train_index[in_band[split.train_index] & labelled[split.train_index]]
    if max_train is not None and len(train) > max_train:
        train = np.sort(np.random.default_rng(seed).choice(train, max_train, replace=False))
    val = split.validation_index[in_band[split.validation_index] & labelled[split.validation_index]]
    features = panel[list(FEATURE_NAMES)].to_numpy(dtype=float)
    y = _label(panel["fwd"], side).to_numpy(dtype=int)
    val_rows = panel.iloc[val].copy()
    val_rows["label"] = y[val]
    return SideSamples(side, split, features[train], y[train], features[val], y[val], val_rows)
