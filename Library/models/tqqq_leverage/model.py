"""The model: the trained-model record and its predictions, for research and the algorithm. No Keras import here,
so an algorithm that predicts through the numpy forward pass of :mod:`models.inference` never loads TensorFlow; the
networks themselves are built in :mod:`.networks`.

The prediction made at the close of session t (the *as-of* session) is for session t+1. It uses feature rows
t-9..t, standardised by the training scaler and clipped to +-:data:`CLIP`, and the baseline drag from IRX at t.
``leverage`` is the effective leverage ``L`` and ``drag`` the total expected return beyond ``L * r_QQQ``
(baseline drag plus the model's residual), so the predicted TQQQ return of session t+1 is
``leverage * r_QQQ,t+1 + drag``. The same feature function serves training, research and the algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .dataset import BaselineParams, baseline_drag, check_inputs
from .features import (
    FEATURE_NAMES,
    WARMUP_SESSIONS,
    FeatureError,
    RangeScaler,
    build_features,
    complete_rows,
    feature_values,
    feature_windows,
)

__all__ = ["TrainedModel", "train_command_for", "CLIP", "LeveragePrediction", "ModelMismatchError",
           "check_model", "predict_frame", "predict_next", "required_history", "run_network"]


@dataclass
class TrainedModel:
    """A trained (or analytic) model and everything needed to predict, evaluate and persist it."""

    variant: str
    size: str
    cutoff: date
    network: Any  # keras.Model, or models.inference.NumpyModel in an algorithm
    scaler: RangeScaler | None
    feature_names: tuple[str, ...]
    window: int
    baseline: BaselineParams
    train_window: tuple[date, date]
    validation_window: tuple[date, date] | None
    hyperparameters: dict[str, Any]
    metrics: dict[str, float]
    history: dict[str, list[float]] = field(default_factory=dict)
    train_seconds: float = 0.0

    def predict(self, inputs: pd.DataFrame) -> pd.DataFrame:
        """Predictions made at each close (see :func:`predict_frame`)."""
        return predict_frame(self, inputs)


def train_command_for(variant: str) -> str:
    """The command that trains a variant's timeline."""
    from ..store import train_command
    from . import timeline_name

    return train_command(timeline_name(variant))

CLIP = 8.0  # standardised features are clipped to +-8 so an outlier day cannot push the network off its domain


class ModelMismatchError(ValueError):
    """The model does not fit the features this code computes (names, count or input shape)."""


@dataclass(frozen=True)
class LeveragePrediction:
    """The prediction for the session after ``as_of``."""

    as_of: date
    leverage: float
    drag: float
    baseline_drag: float
    variant: str
    cutoff: date

    def tqqq_return(self, r_qqq: float) -> float:
        """The predicted TQQQ return for a given QQQ return of the session."""
        return self.leverage * r_qqq + self.drag


def required_history(model: TrainedModel | Any | None = None) -> int:
    """Sessions of history :func:`predict_next` needs (warm-up plus one window), with a safety margin."""
    window = getattr(model, "window", 10) if model is not None else 10
    return WARMUP_SESSIONS + int(window) + 5


def check_model(model: TrainedModel | Any) -> None:
    """Raise :class:`ModelMismatchError` unless ``model``'s features are computed here and fit its network."""
    names = tuple(model.feature_names)
    unknown = [n for n in names if n not in FEATURE_NAMES]
    if unknown or not names or len(set(names)) != len(names):
        raise ModelMismatchError(
            f"model {model.variant} (cutoff {model.cutoff}) was trained on features this code does not compute: "
            f"{unknown[:5]} ({len(names)} names); retrain it with models.tqqq_leverage.training.train")
    if model.variant == "baseline":
        return
    if model.network is None or model.scaler is None:
        raise ModelMismatchError(f"model {model.variant} (cutoff {model.cutoff}) lacks its network or scaler")
    expected = (None, int(model.window), len(names))
    shape = tuple(model.network.input_shape)
    if shape != expected:
        raise ModelMismatchError(f"network input shape {shape} does not match {expected} (window, features)")
    n_scaled = getattr(model.scaler, "n_features_in_", None)
    if n_scaled != len(names):
        raise ModelMismatchError(f"scaler was fitted on {n_scaled} features, the model needs {len(names)}")


def run_network(network: Any, windows: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """The network's outputs for ``windows``, in inference mode (no dropout, no retracing per call)."""
    if len(windows) == 0:
        return np.empty((0, int(network.output_shape[-1])))
    parts = [np.asarray(network(windows[i:i + chunk], training=False), dtype=float)
             for i in range(0, len(windows), chunk)]
    return np.concatenate(parts)


def _network_outputs(model: TrainedModel | Any, values: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, ...]:
    first = max(0, int(ends.min()) - int(model.window) + 1) if len(ends) else 0
    block = values[first:]
    scaled = np.clip(model.scaler.transform(block), -CLIP, CLIP)
    windows = feature_windows(scaled, ends - first, int(model.window))
    out = run_network(model.network, windows)
    if out.ndim != 2 or out.shape[1] not in (1, 2) or len(out) != len(ends):
        raise ModelMismatchError(f"network output has shape {out.shape}; expected (n, 1) or (n, 2)")
    residual = out[:, 1] if out.shape[1] == 2 else np.zeros(len(out))
    return out[:, 0], residual


def predict_frame(model: TrainedModel | Any, inputs: pd.DataFrame) -> pd.DataFrame:
    """One row per as-of session of ``inputs``: ``leverage``, ``drag``, ``baseline_drag``, ``drag_residual``.

    Rows whose window is incomplete (warm-up, missing series) are NaN. Row t depends only on rows <= t.
    """
    check_inputs(inputs)
    check_model(model)
    index = pd.DatetimeIndex(inputs.index)
    base = np.asarray(baseline_drag(inputs["irx"].to_numpy(dtype=float), model.baseline), dtype=float)
    out = pd.DataFrame(np.nan, index=index, columns=["leverage", "drag", "baseline_drag", "drag_residual"])
    if model.variant == "baseline":
        out["leverage"] = model.baseline.leverage
        out["drag_residual"] = 0.0
    else:
        features = build_features(inputs, model.feature_names)
        complete = complete_rows(features).to_numpy().astype(int)
        window = int(model.window)
        full = pd.Series(complete).rolling(window, min_periods=window).sum().to_numpy() == window
        ends = np.flatnonzero(full)
        if len(ends):
            leverage, residual = _network_outputs(model, features.to_numpy(dtype=float), ends)
            out.iloc[ends, 0] = leverage
            out.iloc[ends, 3] = residual
    out["baseline_drag"] = base
    out["drag"] = out["baseline_drag"] + out["drag_residual"]
    out.loc[out["leverage"].isna(), ["drag", "baseline_drag", "drag_residual"]] = np.nan
    out.index.name = "as_of"
    return out


def predict_next(model: TrainedModel | Any, history: pd.DataFrame) -> LeveragePrediction:
    """The prediction for the session after the last row of ``history`` (inputs up to the previous close).

    Raises :class:`~models.tqqq_leverage.features.FeatureError` when the last window is incomplete, naming
    the history length needed.
    """
    check_inputs(history)
    if len(history) == 0:
        raise FeatureError("predict_next: empty history")
    check_model(model)
    last = pd.Timestamp(history.index[-1])
    if model.variant == "baseline":
        base = float(baseline_drag(float(history["irx"].iloc[-1]), model.baseline))
        return LeveragePrediction(last.date(), float(model.baseline.leverage), base, base, model.variant,
                                  model.cutoff)
    # the same formulas as build_features, on arrays (models.array_series): no pandas overhead per operation
    features = feature_values(history, model.feature_names)
    window = int(model.window)
    tail = features[-window:]
    if len(tail) < window or not np.isfinite(tail).all():
        bad = [] if len(tail) < window else [n for n, ok in zip(model.feature_names, np.isfinite(tail).all(axis=0),
                                                                     strict=True) if not ok]
        raise FeatureError(
            f"predict_next: the feature window ending {last.date()} is incomplete ({len(history)} sessions of "
            f"history; need about {required_history(model)} of QQQ, VIX, VIX3M, rates and at least 64 of TQQQ); "
            f"non-finite features: {bad[:6]}")
    leverage, residual = _network_outputs(model, features, np.array([len(features) - 1]))
    base = float(baseline_drag(float(history["irx"].iloc[-1]), model.baseline))
    return LeveragePrediction(last.date(), float(leverage[0]), base + float(residual[0]), base, model.variant,
                              model.cutoff)
