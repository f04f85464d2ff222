"""Save the long/short gates to the ObjectStore and load them as of a date, under the strategy key ``russell_qpi``.

Two joblib artifacts per cutoff, ``russell_qpi/<cutoff>/long.joblib`` and ``short.joblib``, with the manifest of
:mod:`models.store` (feature names checked on load, sha256 of each artifact, library versions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from ..store import LoadedModel, ModelTimeline, delete_model, save_model
from .features import FEATURE_NAMES
from .training import SIDES, TrainedModel

__all__ = ["STRATEGY", "save_trained", "save_timeline", "model_timeline", "trained_from_loaded"]

STRATEGY = "russell_qpi"


def save_trained(object_store: Any, trained: TrainedModel, strategy: str = STRATEGY) -> str:
    """Write ``trained`` at its cutoff (replacing a model saved there before); returns the manifest key."""
    return save_model(object_store, strategy, trained.cutoff, dict(trained.models),
                      feature_names=list(trained.feature_names), train_window=trained.train_window,
                      validation_window=trained.validation_window, hyperparameters=trained.hyperparameters,
                      metrics=trained.metrics)


def save_timeline(object_store: Any, models: Iterable[TrainedModel], *, replace: bool = False,
                  strategy: str = STRATEGY, log: Callable[[str], None] | None = None) -> list[str]:
    """Save every model; returns the manifest keys. With ``replace``, first delete this strategy's models at
    cutoffs not in ``models`` (a stale cutoff from an earlier run would otherwise serve the dates after it)."""
    models = list(models)
    if replace:
        keep = {m.cutoff for m in models}
        for cutoff in ModelTimeline(object_store, strategy, log=log or (lambda _: None)).cutoffs():
            if cutoff not in keep:
                delete_model(object_store, strategy, cutoff)
                if log is not None:
                    log(f"deleted {strategy}/{cutoff} (not in this timeline)")
    return [save_trained(object_store, m, strategy) for m in models]


def model_timeline(object_store: Any, *, strategy: str = STRATEGY, log: Callable[[str], None] = print
                   ) -> ModelTimeline:
    """The store's timeline, checking that its models take :data:`~.features.FEATURE_NAMES`."""
    return ModelTimeline(object_store, strategy, feature_names=list(FEATURE_NAMES), log=log)


def trained_from_loaded(loaded: LoadedModel) -> TrainedModel:
    """A :class:`~.training.TrainedModel` view of a model loaded by :class:`models.store.ModelTimeline`."""
    manifest = loaded.manifest
    train = tuple(date.fromisoformat(d) for d in manifest["train_window"])
    validation = manifest.get("validation_window")
    return TrainedModel(
        models={side: loaded[side] for side in SIDES}, cutoff=loaded.cutoff,
        hyperparameters=loaded.hyperparameters, train_window=(train[0], train[1]),
        validation_window=None if validation is None else (date.fromisoformat(validation[0]),
                                                           date.fromisoformat(validation[1])),
        metrics=loaded.metrics, feature_names=tuple(loaded.feature_names))
