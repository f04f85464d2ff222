"""The feature scaler: standardise with training statistics, after clipping to the training range.

:class:`RangeScaler` is fitted on the training window only. ``transform`` first clips every feature to the
``[min, max]`` it took in training, then standardises it with the training mean and a floored standard
deviation (:data:`~models.tqqq_leverage.features.SCALE_FLOORS`). Clipping to the training range means the
network is never asked to extrapolate: with the T-bill rate at 2% in 2018 and at most 0.5% in a 2010-2016
training window, the 2018 input is "the highest rate seen in training", not a point 13 standard deviations
out (measured on real data: +20% terminal-wealth error out of sample without the clip). NaN stays NaN.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RangeScaler"]


class RangeScaler:
    """Clip to the training range, then ``(x - mean) / max(std, floor)``; per column."""

    def __init__(self, floors: np.ndarray | None = None):
        self.floors = None if floors is None else np.asarray(floors, dtype=float)

    def fit(self, values: np.ndarray) -> RangeScaler:
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or len(values) < 2:
            raise ValueError(f"RangeScaler.fit needs a 2-D array with at least 2 rows, got shape {values.shape}")
        if self.floors is not None and self.floors.shape != (values.shape[1],):
            raise ValueError(f"RangeScaler: {len(self.floors)} floors for {values.shape[1]} columns")
        finite = np.isfinite(values)
        if not finite.any(axis=0).all():
            raise ValueError("RangeScaler.fit: a column has no finite value")
        masked = np.where(finite, values, np.nan)
        self.mean_ = np.nanmean(masked, axis=0)
        self.scale_ = np.nanstd(masked, axis=0)
        if self.floors is not None:
            self.scale_ = np.maximum(self.scale_, self.floors)
        self.scale_ = np.where(self.scale_ > 0, self.scale_, 1.0)
        self.min_ = np.nanmin(masked, axis=0)
        self.max_ = np.nanmax(masked, axis=0)
        self.n_features_in_ = values.shape[1]
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if not hasattr(self, "mean_"):
            raise ValueError("RangeScaler is not fitted")
        if values.ndim != 2 or values.shape[1] != self.n_features_in_:
            raise ValueError(f"RangeScaler was fitted on {self.n_features_in_} columns, got shape {values.shape}")
        with np.errstate(invalid="ignore"):
            clipped = np.clip(values, self.min_, self.max_)
        return (clipped - self.mean_) / self.scale_
