"""Save trained models to the ObjectStore and load them as of a date, under the strategy key ``mag7_lstm``.

One model per cutoff holding every member of its seed ensemble: ``mag7_lstm/<cutoff>/member_<k>.keras``
(k = 0, 1, ...), with the manifest of :mod:`models.store` (``hyperparameters.member_seeds`` lists the seeds).
A model saved before ensembles (one ``model.keras``) loads as a one-member ensemble.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from ..store import LoadedModel, ModelTimeline, delete_model, save_model
from .features import FEATURE_NAMES
from .training import TrainedModel

__all__ = ["STRATEGY", "save_trained", "save_timeline", "model_timeline", "trained_from_loaded", "load_as_of"]

STRATEGY = "mag7_lstm"
MEMBER = "member_"
SINGLE = "model"  # the artifact of a model saved before ensembles


def save_trained(object_store: Any, trained: TrainedModel) -> str:
    """Write ``trained`` at its cutoff (replacing a model saved there before); returns the manifest key."""
    return save_model(
        object_store, STRATEGY, trained.cutoff, {f"{MEMBER}{k}": net for k, net in enumerate(trained.networks)},
        feature_names=list(trained.feature_names), train_window=trained.train_window,
        validation_window=trained.validation_window, hyperparameters=trained.hyperparameters,
        metrics=trained.metrics)


def save_timeline(object_store: Any, models: Iterable[TrainedModel], *, replace: bool = False,
                  log: Callable[[str], None] | None = None) -> list[str]:
    """Save every model; returns the manifest keys. With ``replace``, first delete this strategy's models at
    cutoffs not in ``models``, so the store holds exactly this timeline (an algorithm picks the newest cutoff
    before each date, so a stale cutoff from an earlier run would otherwise be used in between)."""
    models = list(models)
    if replace:
        keep = {m.cutoff for m in models}
        for cutoff in ModelTimeline(object_store, STRATEGY, log=log or (lambda _: None)).cutoffs():
            if cutoff not in keep:
                delete_model(object_store, STRATEGY, cutoff)
                if log is not None:
                    log(f"deleted {STRATEGY}/{cutoff} (not in this timeline)")
    return [save_trained(object_store, m) for m in models]


def model_timeline(object_store: Any, *, log: Callable[[str], None] = print, inference: str = "keras"
                   ) -> ModelTimeline:
    """The store's timeline for this strategy, checking that models take :data:`~.features.FEATURE_NAMES`.
    ``inference="auto"`` (algorithms): networks run through :mod:`models.inference`, without TensorFlow."""
    return ModelTimeline(object_store, STRATEGY, feature_names=list(FEATURE_NAMES), log=log, inference=inference)


def trained_from_loaded(loaded: LoadedModel) -> TrainedModel:
    """A :class:`~.training.TrainedModel` view of a model loaded by :class:`models.store.ModelTimeline`."""
    manifest = loaded.manifest
    train = tuple(date.fromisoformat(d) for d in manifest["train_window"])
    validation = manifest.get("validation_window")
    members = sorted((int(name[len(MEMBER):]), net) for name, net in loaded.artifacts.items()
                     if name.startswith(MEMBER) and name[len(MEMBER):].isdigit())
    networks = tuple(net for _, net in members) or (loaded[SINGLE],)
    return TrainedModel(
        networks=networks, cutoff=loaded.cutoff, feature_names=tuple(loaded.feature_names),
        hyperparameters=loaded.hyperparameters,
        train_window=(train[0], train[1]),
        validation_window=None if validation is None else (date.fromisoformat(validation[0]),
                                                           date.fromisoformat(validation[1])),
        metrics=loaded.metrics)


def load_as_of(object_store: Any, when: date | datetime, *, log: Callable[[str], None] = print
               ) -> TrainedModel:
    """The model with the newest cutoff strictly before ``when``'s date (see ``ModelTimeline.as_of``)."""
    return trained_from_loaded(model_timeline(object_store, log=log).as_of(when))
