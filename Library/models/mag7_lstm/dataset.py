"""Training and validation sequences: 60 feature rows in, the sum of the next 21 daily returns out.

A sample *ends* at bar ``e``: its input is the feature rows of bars ``e - 59 .. e`` and its label is the sum of the
daily close-to-close returns of bars ``e + 1 .. e + 21``. It is what a decision on bar ``e + 1`` sees and earns.
(The source used ``close.pct_change().shift(-21)`` summed from the window's end, which skips 21 days and reads
returns 22..42 days ahead, and truncates the last labels; both are fixed here.)

For a cutoff ``C`` (conventions of :mod:`models.walkforward`):

- training samples have their whole label before ``C`` (``date[e + 21] < C``: the 21 bars before ``C`` are
  purged) and, with ``train_days``, their whole window (inputs and label) inside the last ``train_days`` bars
  before ``C`` (the source's ``history(…, 1260)``);
- validation samples are those whose label starts on or after ``C`` (``date[e + 1] >= C``), for the first
  ``validation_days`` bars from ``C``, with their whole label inside the data;
- samples are taken every ``stride`` bars: training ones counted back from the newest eligible one, validation
  ones forward from the first decision on or after ``C``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from ..dates import as_timestamp as _as_timestamp
from .features import FEATURE_NAMES, compute_features, validate_ohlc

__all__ = ["LOOKBACK", "HORIZON", "STRIDE", "TRAIN_DAYS", "SequenceSet", "as_timestamp", "forward_return_sum",
           "symbol_samples", "build_datasets", "latest_window"]

LOOKBACK, HORIZON, STRIDE, TRAIN_DAYS = 60, 21, 5, 1260


@dataclass(frozen=True)
class SequenceSet:
    """Samples of one or more tickers: ``X`` (n, lookback, features) float32, ``y`` (n,) float32."""

    X: np.ndarray
    y: np.ndarray
    tickers: np.ndarray
    start_dates: pd.DatetimeIndex  # first input bar
    end_dates: pd.DatetimeIndex    # last input bar; the decision is on the next bar
    label_start: pd.DatetimeIndex  # first bar whose return is in the label
    label_end: pd.DatetimeIndex    # last bar whose return is in the label

    def __len__(self) -> int:
        return len(self.y)

    @staticmethod
    def empty(lookback: int, n_features: int = len(FEATURE_NAMES)) -> SequenceSet:
        none = pd.DatetimeIndex([])
        return SequenceSet(np.empty((0, lookback, n_features), np.float32), np.empty(0, np.float32),
                           np.empty(0, object), none, none, none, none)

    @staticmethod
    def concat(parts: list[SequenceSet], lookback: int) -> SequenceSet:
        parts = [p for p in parts if len(p)]
        if not parts:
            return SequenceSet.empty(lookback)
        return SequenceSet(
            np.concatenate([p.X for p in parts]), np.concatenate([p.y for p in parts]),
            np.concatenate([p.tickers for p in parts]),
            pd.DatetimeIndex(np.concatenate([p.start_dates.values for p in parts])),
            pd.DatetimeIndex(np.concatenate([p.end_dates.values for p in parts])),
            pd.DatetimeIndex(np.concatenate([p.label_start.values for p in parts])),
            pd.DatetimeIndex(np.concatenate([p.label_end.values for p in parts])))

    def window(self) -> tuple[date, date] | None:
        """(first input bar, last label bar) spanned by the samples."""
        if not len(self):
            return None
        return self.start_dates.min().date(), self.label_end.max().date()

    def label_window(self) -> tuple[date, date] | None:
        """(first label bar, last label bar): the returns the samples are scored on."""
        if not len(self):
            return None
        return self.label_start.min().date(), self.label_end.max().date()


def as_timestamp(value: date | datetime | str | pd.Timestamp, what: str) -> pd.Timestamp:
    """A date argument as a naive midnight Timestamp."""
    return _as_timestamp(value, what).normalize()


def forward_return_sum(close: pd.Series, horizon: int = HORIZON) -> pd.Series:
    """At bar ``e``: the sum of the daily returns of bars ``e + 1 .. e + horizon`` (NaN near the end)."""
    values = close.to_numpy(dtype=float)
    ret = np.concatenate([[0.0], values[1:] / values[:-1] - 1.0])
    cum = np.cumsum(ret)
    out = np.full(len(values), np.nan)
    if len(values) > horizon:
        out[: len(values) - horizon] = cum[horizon:] - cum[: len(values) - horizon]
    return pd.Series(out, index=close.index, name=f"fwd_sum_{horizon}")


def symbol_samples(ohlc: pd.DataFrame, ticker: str, cutoff: date | datetime | str, *, lookback: int = LOOKBACK,
                   horizon: int = HORIZON, stride: int = STRIDE, train_days: int | None = TRAIN_DAYS,
                   validation_days: int = 0, features: pd.DataFrame | None = None
                   ) -> tuple[SequenceSet, SequenceSet]:
    """(training, validation) samples of one ticker for ``cutoff``; see the module docstring for the rules.

    ``features`` may pass precomputed :func:`~.features.compute_features` output of the same bars.
    """
    for name, value, low in (("lookback", lookback, 1), ("horizon", horizon, 1), ("stride", stride, 1),
                             ("validation_days", validation_days, 0)):
        if not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if train_days is not None and train_days < lookback + horizon:
        raise ValueError(f"train_days ({train_days}) must be at least lookback + horizon ({lookback + horizon})")
    bars = validate_ohlc(ohlc, name=ticker)
    feats = compute_features(bars) if features is None else features
    cut = as_timestamp(cutoff, "cutoff")
    dates = bars.index
    n_bars = len(dates)
    pos = dates.get_indexer(feats.index)
    if (pos < 0).any():
        raise ValueError(f"{ticker}: features hold dates that are not bars of its OHLC history")
    j = np.arange(lookback - 1, len(feats))
    j = j[pos[j] - pos[j - lookback + 1] == lookback - 1]  # inputs are consecutive bars
    j = j[pos[j] + horizon < n_bars]                        # whole label inside the data
    end_pos = pos[j]
    first_after = int(dates.searchsorted(cut, side="left"))
    train = end_pos + horizon < first_after
    if train_days is not None:
        train &= end_pos - lookback + 1 >= first_after - train_days
    val = (end_pos + 1 >= first_after) & (end_pos + 1 < first_after + validation_days)
    fwd = forward_return_sum(bars["close"], horizon).to_numpy()
    matrix = feats[list(FEATURE_NAMES)].to_numpy(dtype=np.float32)

    def take(mask: np.ndarray, newest_first: bool) -> SequenceSet:
        # every stride-th: training counts back from the newest, validation forward from the cutoff
        rows = j[mask][::-1][::stride][::-1] if newest_first else j[mask][::stride]
        if len(rows) == 0:
            return SequenceSet.empty(lookback, matrix.shape[1])
        windows = np.lib.stride_tricks.sliding_window_view(matrix, lookback, axis=0)[rows - lookback + 1]
        ends = pos[rows]
        return SequenceSet(np.ascontiguousarray(windows.transpose(0, 2, 1)), fwd[ends].astype(np.float32),
                           np.full(len(rows), ticker, dtype=object), dates[ends - lookback + 1], dates[ends],
                           dates[ends + 1],
                           dates[ends + horizon])

    return take(train, True), take(val, False)


def build_datasets(histories: Mapping[str, pd.DataFrame], cutoff: date | datetime | str, *,
                   lookback: int = LOOKBACK, horizon: int = HORIZON, stride: int = STRIDE,
                   train_days: int | None = TRAIN_DAYS, validation_days: int = 0,
                   features: Mapping[str, pd.DataFrame] | None = None) -> tuple[SequenceSet, SequenceSet]:
    """Pooled (training, validation) samples of every ticker in ``histories`` (``{ticker: OHLC DataFrame}``)."""
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("histories must be a non-empty {ticker: OHLC DataFrame} mapping")
    trains, vals = [], []
    for ticker, ohlc in histories.items():
        pre = None if features is None else features.get(ticker)
        train, val = symbol_samples(ohlc, ticker, cutoff, lookback=lookback, horizon=horizon, stride=stride,
                                    train_days=train_days, validation_days=validation_days, features=pre)
        trains.append(train)
        vals.append(val)
    return SequenceSet.concat(trains, lookback), SequenceSet.concat(vals, lookback)


def latest_window(features: pd.DataFrame, as_of: date | datetime | str | None = None, *,
                  lookback: int = LOOKBACK) -> np.ndarray | None:
    """The ``lookback`` newest feature rows dated strictly before ``as_of`` (all rows if None), as
    (lookback, features) float32; None when fewer rows exist."""
    frame = features if as_of is None else features.loc[features.index < as_timestamp(as_of, "as_of")]
    if len(frame) < lookback:
        return None
    return frame[list(FEATURE_NAMES)].to_numpy(dtype=np.float32)[-lookback:]
