"""Save each cutoff's per-pair ensembles to the ObjectStore and load them as of a date (``models.store``).

Keys: ``pairs_reversion/<cutoff>/<A>_<B>-lstm<k>.keras`` (one per seed), ``<A>_<B>-state.joblib`` (spread
statistics, feature scaler, probability threshold, hyperparameters) and one ``manifest.json`` per cutoff whose
``hyperparameters`` and ``metrics`` hold one entry per pair. Every pair of a cutoff was trained on closes before
that cutoff only, so loading a cutoff as of a date gives each pair its own as-of model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np

from ..store import LoadedModel, ModelTimeline, delete_model, save_model, train_command
from .features import FEATURE_NAMES, SpreadStats
from .training import PairSpec, TrainedPair

__all__ = ["STRATEGY", "save_cutoff", "save_timeline", "model_timeline", "pairs_from_loaded", "load_as_of"]

STRATEGY = "pairs_reversion"


def _scalars(metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if isinstance(v, int | float | np.floating | np.integer) or v is None}


def save_cutoff(object_store: Any, trained: Mapping[str, TrainedPair]) -> str:
    """Write one cutoff's pairs (replacing a model saved there before); returns the manifest key."""
    pairs = list(trained.values())
    if not pairs or len({p.cutoff for p in pairs}) != 1:
        raise ValueError("save_cutoff needs the pairs of exactly one cutoff")
    artifacts: dict[str, Any] = {}
    for p in pairs:
        for k, model in enumerate(p.models):
            artifacts[f"{p.spec.name}-lstm{k}"] = model
        artifacts[f"{p.spec.name}-state"] = {
            "spec": vars(p.spec).copy(), "stats": p.stats.as_dict(), "mean": p.mean, "scale": p.scale,
            "probability_threshold": p.probability_threshold, "hyperparameters": p.hyperparameters,
            "train_window": p.train_window, "validation_window": p.validation_window, "metrics": p.metrics,
            "members": len(p.models)}
    validations = [p.validation_window for p in pairs if p.validation_window]
    return save_model(
        object_store, STRATEGY, pairs[0].cutoff, artifacts, feature_names=list(FEATURE_NAMES),
        train_window=(min(p.train_window[0] for p in pairs), max(p.train_window[1] for p in pairs)),
        validation_window=(min(v[0] for v in validations), max(v[1] for v in validations)) if validations else None,
        hyperparameters={p.spec.name: dict(p.hyperparameters, probability_threshold=p.probability_threshold)
                         for p in pairs},
        metrics={f"{p.spec.name}.{k}": v for p in pairs for k, v in _scalars(p.metrics).items()},
        extra={"pairs": [p.spec.name for p in pairs]})


def save_timeline(object_store: Any, timeline: Mapping[date, Mapping[str, TrainedPair]], *, replace: bool = False,
                  log: Callable[[str], None] | None = None) -> list[str]:
    """Save every cutoff; with ``replace``, first delete this strategy's cutoffs not in ``timeline`` (an
    algorithm uses the newest cutoff before each date, so a stale one would be used in between)."""
    if replace:
        for cutoff in ModelTimeline(object_store, STRATEGY, log=log or (lambda _: None)).cutoffs():
            if cutoff not in timeline:
                delete_model(object_store, STRATEGY, cutoff)
                if log is not None:
                    log(f"deleted {STRATEGY}/{cutoff} (not in this timeline)")
    return [save_cutoff(object_store, timeline[c]) for c in sorted(timeline)]


def model_timeline(object_store: Any, *, log: Callable[[str], None] = print, inference: str = "keras"
                   ) -> ModelTimeline:
    """``inference="auto"`` (algorithms): networks run through :mod:`models.inference`, without TensorFlow."""
    return ModelTimeline(object_store, STRATEGY, feature_names=list(FEATURE_NAMES), log=log, inference=inference)


def pairs_from_loaded(loaded: LoadedModel, names: Iterable[str]) -> dict[str, TrainedPair]:
    """The requested pairs of a loaded cutoff; KeyError naming the pair and the command that trains it."""
    out = {}
    for name in names:
        try:
            state = loaded[f"{name}-state"]
        except KeyError:
            raise KeyError(
                f"model {loaded.key} has no pair {name} (it has {loaded.manifest.get('extra', {}).get('pairs')}); "
                f"train it with: {train_command(STRATEGY)} --parameter pairs {name.replace('_', '/')}") from None
        out[name] = TrainedPair(
            spec=PairSpec(**state["spec"]), cutoff=loaded.cutoff, stats=SpreadStats(**state["stats"]),
            mean=np.asarray(state["mean"]), scale=np.asarray(state["scale"]),
            models=[loaded[f"{name}-lstm{k}"] for k in range(int(state["members"]))],
            hyperparameters=dict(state["hyperparameters"]),
            probability_threshold=float(state["probability_threshold"]), train_window=state["train_window"],
            validation_window=state["validation_window"], metrics=dict(state["metrics"]))
    return out


def load_as_of(object_store: Any, when: date | datetime, names: Iterable[str], *,
               log: Callable[[str], None] = print) -> dict[str, TrainedPair]:
    """Each named pair's model from the newest cutoff strictly before ``when``'s date."""
    return pairs_from_loaded(model_timeline(object_store, log=log).as_of(when), names)
