"""Train one model at a cutoff, or a walk-forward timeline of them (expanding window, one-month purge).

Everything a model learns from (the scaler, CV folds, the LSTM's early-stopping set) lies in its training window,
before the cutoff; the validation window after the cutoff only yields the metrics saved in the manifest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from ..walkforward import Split
from .dataset import HORIZON, Panel, splits, windows
from .model import CLIP, LOOKBACK, RIDGE_ALPHAS, TREE_GRID, Forecaster, build_lstm, fit_sklearn

__all__ = ["LSTM_DEFAULTS", "Trained", "predictions", "train_cutoff", "train_timeline"]

LSTM_DEFAULTS: dict[str, Any] = {"size": "small", "epochs": 100, "patience": 10, "batch_size": 16,
                                 "early_stopping_fraction": 0.2, "seeds": (0, 1, 2), "lookback": LOOKBACK}


@dataclass
class Trained:
    family: str
    cutoff: date
    forecaster: Forecaster
    feature_names: list[str]
    assets: list[str]
    train_window: tuple[date, date]
    validation_window: tuple[date, date] | None
    hyperparameters: dict
    metrics: dict = field(default_factory=dict)


def _rows(split: Split, labels: np.ndarray) -> np.ndarray:
    index = np.asarray(split.train_index)
    return index[np.isfinite(labels[index]).all(axis=1)]


def _fit_lstm(X: np.ndarray, y: np.ndarray, train_rows: np.ndarray, n_out: int, params: dict
              ) -> tuple[Forecaster, dict]:
    import keras

    lookback = int(params["lookback"])
    scaler = StandardScaler().fit(X[: train_rows[-1] + 1])
    batch, ends = windows(np.clip(scaler.transform(X), -CLIP, CLIP), lookback)
    keep = np.isin(ends, train_rows)
    target = StandardScaler().fit(y[train_rows])
    batch, targets = batch[keep].astype("float32"), target.transform(y[ends[keep]]).astype("float32")
    n_stop = int(round(len(batch) * float(params["early_stopping_fraction"])))
    if len(batch) - n_stop - HORIZON < 12:
        raise ValueError(f"too few LSTM training windows ({len(batch)}) for lookback {lookback}: use an earlier "
                         "data start or a later first cutoff")
    fit_x, fit_y = batch[: len(batch) - n_stop - HORIZON], targets[: len(batch) - n_stop - HORIZON]
    stop_x, stop_y = batch[len(batch) - n_stop:], targets[len(batch) - n_stop:]
    networks, epochs = [], []
    for seed in params["seeds"]:
        keras.utils.set_random_seed(int(seed))
        net = build_lstm(X.shape[1], n_out, params["size"], lookback)
        callbacks = [keras.callbacks.EarlyStopping(patience=int(params["patience"]), restore_best_weights=True)]
        history = net.fit(fit_x, fit_y, validation_data=(stop_x, stop_y) if n_stop else None,
                          epochs=int(params["epochs"]), batch_size=int(params["batch_size"]), verbose=0,
                          callbacks=callbacks if n_stop else [], shuffle=True)
        networks.append(net)
        epochs.append(len(history.history["loss"]))
    forecaster = Forecaster("lstm", scaler=scaler, target=target, networks=networks, lookback=lookback)
    return forecaster, {"epochs_run": epochs}


def _mae(forecaster: Forecaster, X: np.ndarray, y: np.ndarray, rows: np.ndarray, member: int | None = None
         ) -> float | None:
    if len(rows) == 0:
        return None
    preds, ends = forecaster.predict(X[: rows[-1] + 1], member=member)
    pick = np.isin(ends, rows)
    target = y[ends[pick]]
    ok = np.isfinite(target).all(axis=1)
    return float(np.mean(np.abs(preds[pick][ok] - target[ok]))) if ok.any() else None


def train_cutoff(family: str, panel: Panel, split: Split, *, alphas: Sequence[float] = RIDGE_ALPHAS,
                 tree_grid: dict | None = None, lstm: dict | None = None, seed: int = 0) -> Trained:
    """Fit ``family`` on the split's training rows (labels ending before the cutoff)."""
    X = panel.features.to_numpy(dtype=float)
    y = panel.labels.to_numpy(dtype=float)
    rows = _rows(split, y)
    started = time.perf_counter()
    if family in ("ridge", "tree"):
        forecaster, chosen = fit_sklearn(family, X[rows], y[rows], alphas=tuple(alphas), tree_grid=tree_grid,
                                         seed=seed)
        hyper = {"family": family, "grid": list(alphas) if family == "ridge" else (tree_grid or TREE_GRID),
                 "chosen": chosen}
    elif family == "lstm":
        params = {**LSTM_DEFAULTS, **(lstm or {})}
        forecaster, chosen = _fit_lstm(X, y, rows, y.shape[1], params)
        hyper = {"family": family, **params, "seeds": list(params["seeds"]), **chosen}
    else:
        raise ValueError(f"unknown model family {family!r}; choose ridge, tree or lstm")
    seconds = time.perf_counter() - started
    val = np.asarray(split.validation_index)
    metrics = {"train_seconds": seconds, "train_mae": _mae(forecaster, X, y, rows),
               "validation_mae": _mae(forecaster, X, y, val), "train_samples": len(rows)}
    dates = panel.dates
    return Trained(family=family, cutoff=split.cutoff, forecaster=forecaster,
                   feature_names=[str(c) for c in panel.features.columns], assets=[str(a) for a in panel.labels],
                   train_window=(dates[rows[0]].date(), dates[rows[-1]].date()),
                   validation_window=None if split.validation_start is None else
                   (split.validation_start, split.validation_end),
                   hyperparameters=hyper, metrics=metrics)


def train_timeline(family: str, panel: Panel, cutoffs: list[date], *, min_train_months: int = 24,
                   progress: bool = True, log: Callable[[str], None] | None = None, **kwargs: Any
                   ) -> list[Trained]:
    """One model per cutoff (expanding window), with a tqdm bar over the cutoffs."""
    plan = splits(panel, cutoffs, min_train_months=min_train_months)
    if not plan:
        raise ValueError(f"no cutoff in {cutoffs[:1]}..{cutoffs[-1:]} has {min_train_months} months of labels "
                         f"before it (data {panel.dates[0].date()}..{panel.dates[-1].date()})")
    models = []
    for split in tqdm(plan, desc=f"{family} timeline", disable=not progress):
        trained = train_cutoff(family, panel, split, **kwargs)
        models.append(trained)
        if log is not None:
            log(f"{family} {trained.cutoff}: {trained.metrics['train_samples']} samples, "
                f"{trained.metrics['train_seconds']:.1f}s, validation MAE {trained.metrics['validation_mae']}")
    return models


def predictions(models: list[Trained], panel: Panel, dates: pd.DatetimeIndex | None = None,
                member: int | None = None) -> pd.DataFrame:
    """Out-of-sample forecasts: each decision date predicted by the newest model with cutoff strictly before it
    (the algorithm's as-of rule), from features up to that date only."""
    dates = panel.dates if dates is None else pd.DatetimeIndex(dates)
    cutoffs = [pd.Timestamp(m.cutoff) for m in models]
    out = pd.DataFrame(np.nan, index=dates, columns=panel.labels.columns)
    X = panel.features
    for day in dates:
        k = int(np.searchsorted(cutoffs, day.normalize(), side="left")) - 1
        if k < 0:
            continue
        model = models[k]
        rows = X.loc[:day]
        if len(rows) >= model.forecaster.lookback:
            out.loc[day] = model.forecaster.forecast_last(rows, model.feature_names, member=member)
    return out
