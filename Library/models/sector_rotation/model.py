"""Model families and prediction: Ridge and a decision tree (scikit-learn, tuned by time-series CV) and an LSTM
(Keras, a seed ensemble), each mapping the FRED feature panel to next month's return of every asset.

Every number of the source is a default here: Ridge alpha from 5-fold CV over (5, 25, 50, 300, 500, 1000);
tree grid over leaf nodes (10, 20, 50, 100), split (2, 5, 10, 20), leaf (1, 2, 4, 8); the source's LSTM
(12 months x features -> LSTM(1350, recurrent dropout 0.8) -> LayerNorm -> Dense 1280/512/160 LeakyReLU with
L1-L2 0.1 -> Dense(n) with L2 0.1; 10,496,264 weights for 135 features and 12 outputs) as ``size="source"``.
Changed: features are standardised on the training window (the scaler is part of the model), and the CV folds
are time-ordered with a one-month gap (``TimeSeriesSplit``) instead of shuffled-in-time K-fold. The default LSTM
is ``size="small"``, sized to ~200 monthly samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from .dataset import HORIZON, windows

__all__ = ["ClippedScaler", "FAMILIES", "RIDGE_ALPHAS", "TREE_GRID", "TREE_GRIDS", "LSTM_SIZES", "LOOKBACK", "CV_FOLDS", "Forecaster",
           "build_lstm", "fit_sklearn", "lstm_parameter_count"]

FAMILIES = ("ridge", "tree", "lstm")
RIDGE_ALPHAS = (5.0, 25.0, 50.0, 300.0, 500.0, 1000.0)
TREE_GRID = {"max_leaf_nodes": (10, 20, 50, 100), "min_samples_split": (2, 5, 10, 20),
             "min_samples_leaf": (1, 2, 4, 8)}
# "fixed": the tree the source reports choosing (no search)
TREE_GRIDS = {"source": TREE_GRID, "fixed": {"max_leaf_nodes": (50,), "min_samples_split": (10,),
                                             "min_samples_leaf": (1,)}}
CV_FOLDS = 5
LOOKBACK = 12  # months of features the LSTM sees
CLIP = 5.0     # standardised features are clipped to +-CLIP (a new regime must not blow up a linear model)
LSTM_SIZES: dict[str, dict[str, Any]] = {
    "source": {"units": 1350, "recurrent_dropout": 0.8, "dense": (1280, 512, 160), "l1l2": 0.1, "output_l2": 0.1},
    "small": {"units": 16, "recurrent_dropout": 0.2, "dense": (32,), "l1l2": 1e-4, "output_l2": 1e-4},
    "tiny": {"units": 4, "recurrent_dropout": 0.0, "dense": (8,), "l1l2": 0.0, "output_l2": 0.0},
}


def _scale(scaler: StandardScaler, features: np.ndarray) -> np.ndarray:
    return np.clip(scaler.transform(np.asarray(features, dtype=float)), -CLIP, CLIP)


@dataclass
class Forecaster:
    """A fitted model of one family: ``predict(features)`` -> one row of asset returns per usable feature row.

    ``estimator`` is a scikit-learn pipeline (scaler inside) for ridge and tree; for the LSTM, ``networks``
    holds one Keras model per seed (their mean is the forecast), ``scaler`` the training-window feature scaler
    and ``target`` the training-window target scaler (the networks predict standardised returns).
    """

    family: str
    estimator: Any = None
    scaler: StandardScaler | None = None
    target: StandardScaler | None = None
    networks: list[Any] = field(default_factory=list)
    lookback: int = 1

    def predict(self, features: np.ndarray, member: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Forecasts for every row with ``lookback`` rows of history, and those rows' positions.
        ``member`` picks one network of an LSTM seed ensemble (default: their mean)."""
        features = np.asarray(features, dtype=float)
        if self.family != "lstm":
            return np.asarray(self.estimator.predict(features)), np.arange(len(features))
        assert self.scaler is not None and self.target is not None
        batch, ends = windows(_scale(self.scaler, features), self.lookback)
        if len(ends) == 0:
            return np.empty((0, self.networks[0].output_shape[-1])), ends
        nets = self.networks if member is None else [self.networks[member]]
        preds = [np.asarray(net(batch.astype("float32"), training=False)) for net in nets]
        return self.target.inverse_transform(np.mean(preds, axis=0)), ends

    def forecast_last(self, features: pd.DataFrame, feature_names: list[str], member: int | None = None
                      ) -> np.ndarray:
        """The forecast from the last row of ``features`` (and the ``lookback - 1`` rows before it)."""
        missing = [f for f in feature_names if f not in features.columns]
        if missing:
            raise ValueError(f"the model reads FRED series {missing}, which the feature panel lacks: add them "
                             "with add_data(Fred, ...) / import them with `qclocal data import`")
        if len(features) < self.lookback:
            raise ValueError(f"{len(features)} months of features, the model needs {self.lookback}")
        rows = features[feature_names].to_numpy(dtype=float)[-self.lookback:]
        return self.predict(rows, member=member)[0][-1]


def _cv(n_samples: int) -> TimeSeriesSplit:
    folds = max(2, min(CV_FOLDS, n_samples // 12 - 1))
    return TimeSeriesSplit(n_splits=folds, gap=HORIZON)


class ClippedScaler(TransformerMixin, BaseEstimator):
    """Standardise on the training window, then clip to +-CLIP."""

    def fit(self, X: np.ndarray, y: Any = None) -> ClippedScaler:
        self.scaler_ = StandardScaler().fit(X)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return _scale(self.scaler_, X)


def fit_sklearn(family: str, X: np.ndarray, y: np.ndarray, *, alphas: tuple[float, ...] = RIDGE_ALPHAS,
                tree_grid: dict[str, tuple[int, ...]] | None = None, seed: int = 0) -> tuple[Forecaster, dict]:
    """Grid-searched ridge or tree on (X, y); returns the refit best pipeline and the chosen parameters."""
    if family == "ridge":
        pipe = make_pipeline(ClippedScaler(), Ridge())
        grid = {"ridge__alpha": list(alphas)}
    elif family == "tree":
        pipe = make_pipeline(ClippedScaler(), DecisionTreeRegressor(random_state=seed))
        grid = {f"decisiontreeregressor__{k}": list(v) for k, v in (tree_grid or TREE_GRID).items()}
    else:
        raise ValueError(f"fit_sklearn fits 'ridge' or 'tree', not {family!r}")
    search = GridSearchCV(pipe, grid, cv=_cv(len(X)), scoring="neg_mean_squared_error", n_jobs=1)
    search.fit(X, y)
    chosen = {k.split("__", 1)[1]: v for k, v in search.best_params_.items()}
    return Forecaster(family=family, estimator=search.best_estimator_), chosen


def build_lstm(n_features: int, n_outputs: int, size: str = "small", lookback: int = LOOKBACK) -> Any:
    """The LSTM of ``LSTM_SIZES[size]``; ``size="source"`` is the source's network."""
    import keras
    from keras import layers, regularizers

    if size not in LSTM_SIZES:
        raise ValueError(f"unknown LSTM size {size!r}; choose one of {sorted(LSTM_SIZES)}")
    spec = LSTM_SIZES[size]
    reg = regularizers.L1L2(spec["l1l2"], spec["l1l2"]) if spec["l1l2"] else None
    out_reg = regularizers.L2(spec["output_l2"]) if spec["output_l2"] else None
    model = keras.Sequential([keras.Input((lookback, n_features)),
                              layers.LSTM(spec["units"], recurrent_dropout=spec["recurrent_dropout"]),
                              layers.LayerNormalization()])
    for width in spec["dense"]:
        model.add(layers.Dense(width, activation="leaky_relu", kernel_regularizer=reg))
    model.add(layers.Dense(n_outputs, kernel_regularizer=out_reg))
    model.compile(optimizer="adam", loss="mse")
    return model


def lstm_parameter_count(n_features: int, n_outputs: int, size: str) -> int:
    """Weights of :func:`build_lstm` (135 features, 12 outputs, ``"source"``: the source's 10,496,264)."""
    spec = LSTM_SIZES[size]
    u = spec["units"]
    count = 4 * (u * (n_features + u) + u) + 2 * u
    previous = u
    for width in (*spec["dense"], n_outputs):
        count += previous * width + width
        previous = width
    return count
