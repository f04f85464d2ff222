"""Walk-forward utilities: cutoff schedules, purged train/validation splits and leak-free sequence windows.

Conventions (see docs/models.md):

- A *cutoff* is a calendar date. A model with cutoff ``C`` learns only from labels that are fully known before
  ``C``; the model store hands it to dates strictly after ``C``.
- ``horizon`` is the label horizon in periods (unique dates of the index): the label of the sample at date
  position ``p`` uses data up to position ``p + horizon``. A sample trains only if ``dates[p + horizon] < C``,
  which purges the ``horizon`` periods just before the cutoff.
- ``embargo`` extra periods after the cutoff are skipped before validation starts.

The index may repeat dates (panel data: one row per asset and date) and need not be sorted; positions returned
are row positions into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd

from .dates import as_timestamp

__all__ = ["Split", "cutoff_schedule", "purged_split", "walk_forward", "make_sequences", "split_sequences"]

_FREQ = {"monthly": "MS", "quarterly": "QS-JAN", "yearly": "YS"}


def cutoff_schedule(
    start: date | datetime | str, end: date | datetime | str, freq: Literal["monthly", "quarterly", "yearly"]
) -> list[date]:
    """First days of each month / quarter (Jan, Apr, Jul, Oct) / year within ``[start, end]``, inclusive."""
    if freq not in _FREQ:
        raise ValueError(f"freq must be one of {sorted(_FREQ)}, got {freq!r}")
    first, last = as_timestamp(start, "start"), as_timestamp(end, "end")
    if first > last:
        raise ValueError(f"cutoff_schedule: start {first.date()} is after end {last.date()}")
    return [stamp.date() for stamp in pd.date_range(first.normalize(), last, freq=_FREQ[freq])]


@dataclass(frozen=True, eq=False)
class Split:
    """One walk-forward fold. Indices are row positions into the index the split was made from."""

    cutoff: date
    train_index: np.ndarray
    validation_index: np.ndarray
    train_start: date
    train_end: date
    validation_start: date | None
    validation_end: date | None
    horizon: int
    embargo: int
    label_end: date  # last date any training label reads; always < cutoff

    @property
    def train_window(self) -> tuple[date, date]:
        return self.train_start, self.train_end

    @property
    def validation_window(self) -> tuple[date, date] | None:
        if self.validation_start is None or self.validation_end is None:
            return None
        return self.validation_start, self.validation_end


def _date_positions(index: pd.Index) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Sorted unique dates of ``index`` and, for every row, the position of its date among them."""
    try:
        stamps = pd.DatetimeIndex(index)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"index must hold dates: {exc}") from exc
    if len(stamps) == 0:
        raise ValueError("index is empty: there is nothing to split")
    if stamps.hasnans:
        raise ValueError("index holds NaT; drop rows without a date first")
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    dates = stamps.unique().sort_values()
    return dates, dates.searchsorted(stamps)


def _check_periods(
    horizon: int, embargo: int, validation_periods: int | None, train_periods: int | None
) -> None:
    for name, value, low in (
        ("horizon", horizon, 0),
        ("embargo", embargo, 0),
        ("validation_periods", validation_periods, 1),
        ("train_periods", train_periods, 1),
    ):
        if value is None and name in ("validation_periods", "train_periods"):
            continue
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _split(
    dates: pd.DatetimeIndex,
    row_pos: np.ndarray,
    cutoff: pd.Timestamp,
    horizon: int,
    embargo: int,
    validation_periods: int | None,
    train_periods: int | None,
) -> Split | None:
    first_after = int(dates.searchsorted(cutoff, side="left"))  # first date on/after the cutoff
    last_train = first_after - horizon - 1  # purge: dates[last_train + horizon] < cutoff
    if last_train < 0:
        return None
    first_train = 0 if train_periods is None else max(0, last_train - train_periods + 1)
    first_val = first_after + embargo
    last_val = (
        len(dates) - 1
        if validation_periods is None
        else min(len(dates) - 1, first_val + validation_periods - 1)
    )
    train_index = np.flatnonzero((row_pos >= first_train) & (row_pos <= last_train))
    has_val = first_val <= last_val
    validation_index = (
        np.flatnonzero((row_pos >= first_val) & (row_pos <= last_val))
        if has_val
        else np.empty(0, dtype=np.intp)
    )
    return Split(
        cutoff=cutoff.date(),
        train_index=train_index,
        validation_index=validation_index,
        train_start=dates[first_train].date(),
        train_end=dates[last_train].date(),
        validation_start=dates[first_val].date() if has_val else None,
        validation_end=dates[last_val].date() if has_val else None,
        horizon=int(horizon),
        embargo=int(embargo),
        label_end=dates[last_train + horizon].date(),
    )


def purged_split(
    index: pd.Index,
    cutoff: date | datetime | str,
    *,
    horizon: int,
    embargo: int = 0,
    validation_periods: int | None = None,
    train_periods: int | None = None,
) -> Split:
    """Train on rows whose label window ends strictly before ``cutoff``; validate from ``cutoff + embargo``.

    ``validation_periods`` caps the validation dates (default: all after the embargo); ``train_periods`` makes
    the training window rolling instead of expanding. Validation may be empty (the latest cutoff in live use).
    Raises ``ValueError`` when no row can train.
    """
    _check_periods(horizon, embargo, validation_periods, train_periods)
    dates, row_pos = _date_positions(pd.Index(index))
    stamp = as_timestamp(cutoff, "cutoff").normalize()
    split = _split(dates, row_pos, stamp, horizon, embargo, validation_periods, train_periods)
    if split is None:
        raise ValueError(
            f"no training rows before cutoff {stamp.date()} with horizon {horizon}: the index starts "
            f"{dates[0].date()} and needs more than {horizon} dates before the cutoff; choose a later cutoff "
            "or load more history"
        )
    return split


def walk_forward(
    index: pd.Index,
    cutoffs: list[date] | list[datetime] | list[str],
    *,
    horizon: int,
    embargo: int = 0,
    validation_periods: int | None = None,
    train_periods: int | None = None,
    min_train_periods: int = 1,
) -> list[Split]:
    """One :func:`purged_split` per cutoff, in cutoff order.

    Cutoffs with fewer than ``min_train_periods`` training dates (too early for the data) are left out; check
    ``[s.cutoff for s in splits]`` against the schedule when that matters.
    """
    _check_periods(horizon, embargo, validation_periods, train_periods)
    if not isinstance(min_train_periods, int) or min_train_periods < 1:
        raise ValueError(f"min_train_periods must be an integer >= 1, got {min_train_periods!r}")
    dates, row_pos = _date_positions(pd.Index(index))
    stamps = sorted({as_timestamp(c, "cutoff").normalize() for c in cutoffs})
    splits = []
    for stamp in stamps:
        split = _split(dates, row_pos, stamp, horizon, embargo, validation_periods, train_periods)
        if split is None:
            continue
        n_train_dates = int(
            dates.searchsorted(pd.Timestamp(split.train_end), side="right")
            - dates.searchsorted(pd.Timestamp(split.train_start), side="left")
        )
        if n_train_dates >= min_train_periods:
            splits.append(split)
    return splits


def make_sequences(
    X: np.ndarray,
    y: np.ndarray | None,
    lookback: int,
    *,
    index: pd.Index | None = None,
    stride: int = 1,
    segment: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Windows ``X[e - lookback + 1 : e + 1]`` for recurrent models, targets ``y[e]``, end positions ``e``.

    A window never spans a change of ``segment`` (split membership, asset id, ...): every row in it carries
    the same segment value as one contiguous run. ``stride`` keeps every ``stride``-th window of each run,
    counted back from its last row, so the newest window is always kept. ``index`` (row dates, optional)
    must increase within each run; it guards against windows over unsorted rows. Use ``index[ends]`` for
    the windows' dates.
    Returns ``(windows (n, lookback, features), targets (n, ...) or None, ends (n,))``.
    """
    values = np.asarray(X)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"X must be 2-D (rows, features), got shape {values.shape}")
    n = len(values)
    if not isinstance(lookback, int | np.integer) or lookback < 1:
        raise ValueError(f"lookback must be an integer >= 1, got {lookback!r}")
    if not isinstance(stride, int | np.integer) or stride < 1:
        raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
    targets = None if y is None else np.asarray(y)
    if targets is not None and len(targets) != n:
        raise ValueError(f"y has {len(targets)} rows but X has {n}")
    runs = _runs(segment, n)
    if index is not None:
        _check_increasing(pd.Index(index), runs, n)
    ends = _window_ends(runs, lookback, stride)
    if len(ends) == 0:
        empty = np.empty((0, lookback, values.shape[1]), dtype=values.dtype)
        return empty, (None if targets is None else targets[:0]), ends
    windows = np.lib.stride_tricks.sliding_window_view(values, lookback, axis=0)  # (n-L+1, F, L)
    batch = np.ascontiguousarray(windows[ends - lookback + 1].transpose(0, 2, 1))
    return batch, (None if targets is None else targets[ends]), ends


def _runs(segment: np.ndarray | None, n: int) -> np.ndarray:
    """Run id per row: it changes wherever ``segment`` changes value."""
    if segment is None:
        return np.zeros(n, dtype=np.intp)
    labels = np.asarray(segment)
    if labels.shape != (n,):
        raise ValueError(f"segment must have one value per row of X ({n}), got shape {labels.shape}")
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    changes = np.concatenate([[False], labels[1:] != labels[:-1]])
    return np.cumsum(changes)


def _check_increasing(index: pd.Index, runs: np.ndarray, n: int) -> None:
    if len(index) != n:
        raise ValueError(f"index has {len(index)} entries but X has {n} rows")
    if n < 2:
        return
    values = np.asarray(index)
    same_run = runs[1:] == runs[:-1]
    if not np.all(values[1:][same_run] > values[:-1][same_run]):
        raise ValueError(
            "index must increase strictly within each segment: sort rows by (segment, date) first"
        )


def _window_ends(runs: np.ndarray, lookback: int, stride: int) -> np.ndarray:
    n = len(runs)
    if n < lookback:
        return np.empty(0, dtype=np.intp)
    ends = np.arange(lookback - 1, n)
    ends = ends[runs[ends - lookback + 1] == runs[ends]]
    if stride == 1 or len(ends) == 0:
        return ends.astype(np.intp)
    run_last = np.zeros(int(runs[-1]) + 1, dtype=np.intp)
    run_last[runs] = np.arange(n)  # last row of each run (later rows overwrite)
    return ends[(run_last[runs[ends]] - ends) % stride == 0].astype(np.intp)


def split_sequences(
    X: np.ndarray,
    y: np.ndarray | None,
    split: Split,
    lookback: int,
    *,
    groups: np.ndarray | None = None,
    stride: int = 1,
) -> tuple[
    tuple[np.ndarray, np.ndarray | None, np.ndarray], tuple[np.ndarray, np.ndarray | None, np.ndarray]
]:
    """Train and validation windows for ``split``; no window crosses the purge gap, the split or a group.

    ``X`` rows correspond to the index ``split`` was made from; for panel data pass ``groups`` (one asset id
    per row) with rows sorted by (group, date). Rows in neither part (purge, embargo, later) yield no window.
    """
    n = len(X)
    membership = np.full(n, 2, dtype=np.int64)
    membership[split.train_index] = 0
    membership[split.validation_index] = 1
    if groups is not None:
        codes = pd.factorize(np.asarray(groups))[0].astype(np.int64)
        if codes.shape != (n,):
            raise ValueError(f"groups must have one value per row of X ({n}), got shape {codes.shape}")
        membership = codes * 3 + membership
    windows, targets, ends = make_sequences(X, y, lookback, stride=stride, segment=membership)
    part = membership[ends] % 3
    train, val = part == 0, part == 1
    pick = (lambda mask: None) if targets is None else (lambda mask: targets[mask])
    return (windows[train], pick(train), ends[train]), (windows[val], pick(val), ends[val])
