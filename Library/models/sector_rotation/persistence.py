"""Save model timelines to the ObjectStore and load them as of a date: one timeline per family, under
``sector_rotation_<family>/<cutoff>/`` (``model.joblib`` for ridge and tree; ``scaler.joblib`` and
``target.joblib`` and ``lstm_<k>.keras``, one per seed, for the LSTM), with the manifest of :mod:`models.store`. The manifest lists the
FRED series the model reads (``feature_names``) and its outputs (``extra.assets``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..store import LoadedModel, ModelTimeline, delete_model, save_model
from .model import Forecaster
from .training import Trained

__all__ = ["STRATEGY", "timeline_name", "save_trained", "save_timeline", "model_timeline", "forecaster_of"]

STRATEGY = "sector_rotation"


def timeline_name(family: str) -> str:
    return f"{STRATEGY}_{family}"


def save_trained(object_store: Any, trained: Trained) -> str:
    f = trained.forecaster
    if trained.family == "lstm":
        artifacts: dict[str, Any] = {"scaler": f.scaler, "target": f.target,
                                     **{f"lstm_{k}": net for k, net in enumerate(f.networks)}}
    else:
        artifacts = {"model": f.estimator}
    return save_model(object_store, timeline_name(trained.family), trained.cutoff, artifacts,
                      feature_names=trained.feature_names, train_window=trained.train_window,
                      validation_window=trained.validation_window, hyperparameters=trained.hyperparameters,
                      metrics=trained.metrics,
                      extra={"assets": trained.assets, "lookback": f.lookback, "family": trained.family})


def save_timeline(object_store: Any, models: Iterable[Trained], *, log: Callable[[str], None] | None = None
                  ) -> list[str]:
    """Save every model, first deleting this family's cutoffs not in ``models`` (a stale cutoff from an earlier
    run would otherwise be picked between two of these)."""
    models = list(models)
    for family in {m.family for m in models}:
        keep = {m.cutoff for m in models if m.family == family}
        for cutoff in ModelTimeline(object_store, timeline_name(family), log=log or (lambda _: None)).cutoffs():
            if cutoff not in keep:
                delete_model(object_store, timeline_name(family), cutoff)
    return [save_trained(object_store, m) for m in models]


def model_timeline(object_store: Any, family: str, *, log: Callable[[str], None] = print, inference: str = "keras"
                   ) -> ModelTimeline:
    """``inference="auto"`` (algorithms): networks run through :mod:`models.inference`, without TensorFlow."""
    return ModelTimeline(object_store, timeline_name(family), log=log, inference=inference)


def forecaster_of(loaded: LoadedModel) -> tuple[Forecaster, list[str]]:
    """The loaded model as a :class:`~.model.Forecaster`, and its output assets."""
    extra = loaded.manifest.get("extra") or {}
    family = extra.get("family")
    if family == "lstm":
        names = sorted((n for n in loaded.manifest["artifacts"] if n.startswith("lstm_")),
                       key=lambda n: int(n.split("_")[1]))
        forecaster = Forecaster("lstm", scaler=loaded["scaler"], target=loaded["target"], networks=[loaded[n] for n in names],
                                lookback=int(extra["lookback"]))
    else:
        forecaster = Forecaster(str(family), estimator=loaded["model"])
    return forecaster, list(extra["assets"])

