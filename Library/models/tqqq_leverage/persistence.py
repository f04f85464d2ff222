"""Save trained models to the model store and load them as of a date for prediction.

Artifacts per cutoff (keys ``tqqq_leverage/<cutoff>/...``, see ``models.store``): ``model.keras`` (the
network, an average of its members) and ``scaler.joblib`` (the training-window StandardScaler), or
``baseline.joblib`` for the analytic variant. The manifest records the feature names in order (the source's
``feature_names.json``), the variant, size, window and baseline parameters, the training settings and the
validation metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pandas as pd

from ..store import LoadedModel, ModelIntegrityError, ModelTimeline, save_model
from . import (
    numpy_layers,  # noqa: F401 - registers the custom layers' numpy forward passes
    timeline_name,
)
from .dataset import BaselineParams
from .model import LeveragePrediction, TrainedModel, check_model, predict_next

__all__ = ["save_trained", "model_from_loaded", "load_for_prediction", "LeveragePredictor"]


def save_trained(object_store: Any, trained: TrainedModel) -> str:
    """Save ``trained`` at its cutoff in its variant's timeline (:func:`timeline_name`); returns the manifest key."""
    if trained.variant == "baseline":
        artifacts: dict[str, Any] = {"baseline": trained.baseline.to_dict()}
    else:
        check_model(trained)
        artifacts = {"model": trained.network, "scaler": trained.scaler}
    extra = {"variant": trained.variant, "size": trained.size, "window": trained.window,
             "baseline": trained.baseline.to_dict(), "train_seconds": trained.train_seconds}
    return save_model(object_store, timeline_name(trained.variant), trained.cutoff, artifacts, feature_names=list(trained.feature_names),
                      train_window=trained.train_window, validation_window=trained.validation_window,
                      hyperparameters=trained.hyperparameters, metrics=trained.metrics, extra=extra)


def model_from_loaded(loaded: LoadedModel) -> TrainedModel:
    """Rebuild a :class:`TrainedModel` from what ``ModelTimeline.as_of`` returned; checks it fits the code."""
    extra = loaded.manifest.get("extra") or {}
    variant = extra.get("variant")
    if variant not in ("compact", "reference", "baseline"):
        raise ModelIntegrityError(f"{loaded.key!r}: manifest extra.variant is {variant!r}, not a tqqq_leverage "
                                  "variant; it was not saved by models.tqqq_leverage.persistence.save_trained")
    try:
        baseline = BaselineParams(**(extra.get("baseline") or {}))
        window = int(extra["window"])
        train_window = tuple(date.fromisoformat(d) for d in loaded.manifest["train_window"])
        validation = loaded.manifest.get("validation_window")
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelIntegrityError(f"{loaded.key!r}: manifest lacks the tqqq_leverage fields ({exc})") from exc
    network = loaded["model"] if variant != "baseline" else None
    scaler = loaded["scaler"] if variant != "baseline" else None
    model = TrainedModel(
        variant=variant, size=str(extra.get("size", "")), cutoff=loaded.cutoff, network=network, scaler=scaler,
        feature_names=tuple(loaded.feature_names), window=window, baseline=baseline,
        train_window=(train_window[0], train_window[1]),
        validation_window=None if not validation else (date.fromisoformat(validation[0]),
                                                       date.fromisoformat(validation[1])),
        hyperparameters=loaded.hyperparameters, metrics=loaded.metrics,
        train_seconds=float(extra.get("train_seconds") or 0.0))
    check_model(model)
    return model


def _custom_objects() -> dict[str, Any]:
    from .networks import CUSTOM_OBJECTS  # imports Keras: only when a model is loaded with Keras

    return CUSTOM_OBJECTS


def load_for_prediction(object_store: Any, when: date | datetime | str, *, variant: str = "compact",
                        log: Callable[[str], None] = print) -> TrainedModel:
    """The model with the newest cutoff strictly before ``when`` (``ModelNotFoundError`` if none)."""
    timeline = ModelTimeline(object_store, timeline_name(variant), log=log, custom_objects=_custom_objects)
    return model_from_loaded(timeline.as_of(pd.Timestamp(when).to_pydatetime()))


class LeveragePredictor:
    """What the algorithm keeps: the model timeline, and one prediction per session.

    ``predict(history, when)`` uses the newest model whose cutoff is before ``when`` (the session being
    predicted) and ``history`` up to the previous close (the table from ``align_inputs``). Networks run through
    :mod:`models.inference` (numpy, no TensorFlow) unless ``inference="keras"``; each cutoff loads once.
    """

    def __init__(self, object_store: Any, *, variant: str = "compact", log: Callable[[str], None] = print,
                 inference: str = "auto"):
        self.timeline = ModelTimeline(object_store, timeline_name(variant), log=log, custom_objects=_custom_objects,
                                      inference=inference)
        self._models: dict[date, TrainedModel] = {}

    def model_for(self, when: date | datetime | str) -> TrainedModel:
        loaded = self.timeline.as_of(pd.Timestamp(when).to_pydatetime())
        model = self._models.get(loaded.cutoff)
        if model is None:
            model = self._models[loaded.cutoff] = model_from_loaded(loaded)
        return model

    def predict(self, history: pd.DataFrame, when: date | datetime | str) -> LeveragePrediction:
        stamp = pd.Timestamp(when).normalize()
        if len(history) and pd.Timestamp(history.index[-1]) >= stamp:
            raise ValueError(f"history ends {pd.Timestamp(history.index[-1]).date()}, not before the session "
                             f"{stamp.date()} being predicted: pass history up to the previous close")
        return predict_next(self.model_for(stamp), history)
