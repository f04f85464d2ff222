"""Train the long and short gates at one cutoff, or a quarterly walk-forward timeline of them (tqdm progress).

A model with cutoff ``C`` learns only from labels that end before ``C`` (purged); it is validated on the band's
rows from ``C + embargo`` for ``validation_periods`` dates (the quarter it will serve). Validation never
influences the fit: it only reports AUC, Brier score and the calibration of P > threshold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..dates import as_timestamp
from ..walkforward import cutoff_schedule
from .dataset import BANDS, EMBARGO, HORIZON, SideSamples, side_samples
from .features import FEATURE_NAMES, QPI_PARAMS
from .model import DEFAULT_KIND, build_classifier, fit, probability

__all__ = ["SIDES", "TrainedModel", "train", "train_timeline", "quarterly_cutoffs", "side_metrics"]

SIDES = ("long", "short")


@dataclass
class TrainedModel:
    """The two fitted gates at one cutoff plus what the manifest records about them."""

    models: dict[str, Any]                   # {"long": classifier, "short": classifier}
    cutoff: date
    hyperparameters: dict[str, Any]
    train_window: tuple[date, date]
    validation_window: tuple[date, date] | None
    metrics: dict[str, float | int | None] = field(default_factory=dict)
    validation: pd.DataFrame | None = None   # validation rows with "side" and "p" (not persisted)
    feature_names: tuple[str, ...] = FEATURE_NAMES

    def probability(self, side: str, X: np.ndarray) -> np.ndarray:
        return probability(self.models[side], X)


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    if len(y) < 2 or y.min() == y.max():
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def side_metrics(y: np.ndarray, p: np.ndarray, prefix: str, threshold: float = 0.6) -> dict[str, Any]:
    """AUC, Brier score, base rate, and the hit rate and mean P of the rows with P > ``threshold``."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    gated = p > threshold
    return {
        f"{prefix}_n": int(len(y)),
        f"{prefix}_auc": _auc(y, p),
        f"{prefix}_brier": float(np.mean((p - y) ** 2)) if len(y) else None,
        f"{prefix}_base_rate": float(y.mean()) if len(y) else None,
        f"{prefix}_gated_n": int(gated.sum()),
        f"{prefix}_gated_hit_rate": float(y[gated].mean()) if gated.any() else None,
        f"{prefix}_gated_mean_p": float(p[gated].mean()) if gated.any() else None,
    }


def train(panel: pd.DataFrame, cutoff: date | datetime | str, *, kind: str = DEFAULT_KIND,
          horizon: int = HORIZON, embargo: int = EMBARGO, validation_periods: int | None = 63,
          train_periods: int | None = None, bands: dict[str, float] | None = None,
          max_train: int | None = 200_000, threshold: float = 0.6, seed: int = 0,
          params: dict[str, Any] | None = None, threads: int | None = 1) -> TrainedModel:
    """Fit the long and short gates on ``panel`` (:func:`~.dataset.sample_panel`) with labels before ``cutoff``.

    Raises ``ValueError`` when a side has no training row, or only one class, before the cutoff.
    """
    bands = {**BANDS, **(bands or {})}
    cut = as_timestamp(cutoff, "cutoff")
    models: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    frames = []
    samples: dict[str, SideSamples] = {}
    started = time.perf_counter()
    for side in SIDES:
        s = side_samples(panel, cut, side, horizon=horizon, embargo=embargo, validation_periods=validation_periods,
                         band=bands[side], train_periods=train_periods, max_train=max_train, seed=seed)
        if len(s.y_train) == 0 or s.y_train.min() == s.y_train.max():
            raise ValueError(
                f"russell_qpi: no usable {side} training rows before cutoff {cut.date()} ({len(s.y_train)} rows in "
                f"the QPI band, one class at most); load more history before the cutoff or choose a later one")
        model = build_classifier(kind, seed=seed, **(params or {}))
        fit(model, s.X_train, s.y_train, threads=threads)
        models[side] = model
        samples[side] = s
        p_train = probability(model, s.X_train)
        p_val = probability(model, s.X_val)
        metrics.update(side_metrics(s.y_train, p_train, f"train_{side}", threshold))
        metrics.update(side_metrics(s.y_val, p_val, f"validation_{side}", threshold))
        rows = s.val_rows.assign(side=side, p=p_val)
        frames.append(rows)
    metrics["fit_seconds"] = round(time.perf_counter() - started, 3)
    split = samples["long"].split
    validation = pd.concat(frames) if frames else None
    return TrainedModel(
        models=models, cutoff=cut.date(),
        hyperparameters={"kind": kind, "params": {**build_classifier(kind, **(params or {})).get_params()},
                         "horizon": horizon, "embargo": embargo, "validation_periods": validation_periods,
                         "train_periods": train_periods, "bands": bands, "max_train": max_train,
                         "threshold": threshold, "seed": seed, "qpi": QPI_PARAMS},
        train_window=split.train_window, validation_window=split.validation_window, metrics=metrics,
        validation=validation)


def quarterly_cutoffs(start: date | datetime | str, end: date | datetime | str) -> list[date]:
    """The first day of each quarter in ``[start, end]`` (a model serves the quarter it opens)."""
    return cutoff_schedule(start, end, "quarterly")


def train_timeline(panel: pd.DataFrame, cutoffs: Sequence[date | datetime | str], *, progress: bool = True,
                   log: Callable[[str], None] | None = None, **kwargs: Any) -> list[TrainedModel]:
    """One :func:`train` per cutoff, oldest first, with a tqdm bar over the cutoffs."""
    from tqdm.auto import tqdm

    schedule = sorted({as_timestamp(c, "cutoff").date() for c in cutoffs})
    if not schedule:
        raise ValueError("train_timeline: no cutoffs given")
    models = []
    bar = tqdm(schedule, desc="russell_qpi cutoffs", disable=not progress)
    for cutoff in bar:
        model = train(panel, cutoff, **kwargs)
        models.append(model)
        m = model.metrics
        summary = (f"cutoff {cutoff}: long AUC {_fmt(m['validation_long_auc'])} "
                   f"short AUC {_fmt(m['validation_short_auc'])}, fit {m['fit_seconds']:.1f}s")
        bar.set_postfix_str(summary)
        if log is not None:
            log(summary)
    return models


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
