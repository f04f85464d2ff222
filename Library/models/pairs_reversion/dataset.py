"""Reversion labels and the training/validation samples of one pair, with a purge of ``window`` rows.

Label (the source's): 1 when any of the next ``window`` spread values lies within ``threshold`` of the spread's
training mean, else 0; the last ``window`` rows have no label. A label at row ``p`` reads rows ``p+1 .. p+window``.

Samples are LSTM windows of ``window_size`` feature rows; a window's target is the label at its *last* row (the
source took the label of the row after the window, which wastes a day). Training samples are those whose label
ends before the cutoff. Inside them, the last ``validation_days`` samples form the validation set used for model
and threshold selection, and the ``window`` samples before it are purged so no inner-training label reads a
validation date. The period after the cutoff is never touched here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import as_timestamp
from ..walkforward import make_sequences

__all__ = ["reversion_labels", "Segments", "segments", "windows", "TRAIN", "VALIDATION"]

TRAIN, VALIDATION, UNUSED = 0, 1, -1


def reversion_labels(spread: pd.Series, mean: float, window: int, threshold: float) -> pd.Series:
    """1.0 / 0.0 per row (NaN for the last ``window`` rows): does the spread come within ``threshold`` of
    ``mean`` at any of the next ``window`` rows?"""
    if not isinstance(window, int | np.integer) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    near = (spread - mean).abs() < threshold
    ahead = pd.concat([near.shift(-k) for k in range(1, window + 1)], axis=1)
    label = ahead.eq(True).any(axis=1).astype(float)
    label[ahead.isna().any(axis=1) | spread.shift(-window).isna()] = np.nan
    return label.rename("label")


@dataclass(frozen=True)
class Segments:
    """Row roles (:data:`TRAIN`, :data:`VALIDATION`, -1 unused) for a frame of features and labels."""

    role: np.ndarray
    label_cutoff: pd.Timestamp

    def dates(self, index: pd.Index, role: int) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        rows = index[self.role == role]
        return (rows[0], rows[-1]) if len(rows) else None


def segments(features: pd.DataFrame, labels: pd.Series, cutoff, window: int, validation_days: int) -> Segments:
    """Roles of the rows before ``cutoff``: rows whose label ends before it, split into inner training and the
    last ``validation_days`` as validation with ``window`` purged rows between (``validation_days=0``: all
    training)."""
    cut = as_timestamp(cutoff, "cutoff").normalize()
    index = pd.DatetimeIndex(features.index)
    n = len(index)
    usable = features.notna().all(axis=1).to_numpy() & labels.reindex(index).notna().to_numpy()
    pos = np.arange(n)
    before = int(index.searchsorted(cut, side="left"))  # rows < cutoff
    usable &= pos + window < before                     # label reads rows up to p + window, all before cutoff
    role = np.where(usable, TRAIN, UNUSED)
    eligible = np.flatnonzero(usable)
    if validation_days > 0 and len(eligible) > validation_days + window:
        first_val = eligible[-validation_days]
        role[(pos >= first_val) & usable] = VALIDATION
        role[(pos < first_val) & (pos + window >= first_val)] = UNUSED  # purge
    return Segments(role, cut)


def windows(X: np.ndarray, y: np.ndarray, role: np.ndarray, window_size: int, which: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LSTM windows lying wholly in rows of role ``which``: ``(X (n, window_size, features), y (n,), ends)``."""
    batch, target, ends = make_sequences(X, y, window_size, segment=role)
    keep = role[ends] == which
    return batch[keep].astype(np.float32), np.asarray(target)[keep].astype(np.float32), ends[keep]
