"""The trained-model record: what prediction, evaluation and persistence need (no Keras import, so an algorithm
that predicts with the numpy forward pass of :mod:`models.inference` never loads TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from .baseline import BaselineParams
from .predict import predict_frame
from .scaling import RangeScaler

__all__ = ["TrainedModel", "train_command_for"]


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
        """Predictions made at each close (see :func:`models.tqqq_leverage.predict.predict_frame`)."""
        return predict_frame(self, inputs)


def train_command_for(variant: str) -> str:
    """The command that trains a variant's timeline."""
    from ..store import train_command
    from . import timeline_name

    return train_command(timeline_name(variant))
