"""Gradient-boosting classifiers for the long and short gates, and their probabilities.

``kind="hist"`` is scikit-learn's HistGradientBoostingClassifier (the default: same or better validation AUC
than the source's model at a fraction of the fit time, docs/russell_qpi.md); ``kind="gbm"`` is the source's
GradientBoostingClassifier. Both come from scikit-learn 1.6.1, as in the LEAN image; nothing else is needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["KINDS", "DEFAULT_KIND", "DEFAULT_PARAMS", "build_classifier", "fit", "probability"]

KINDS = ("hist", "gbm")
DEFAULT_KIND = "hist"
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    # small, regularised trees: the signal is a threshold effect in a few features
    "hist": {"max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 200,
             "l2_regularization": 1.0},
    # the source's model with scikit-learn's defaults except subsampling (stochastic GB, faster, less variance)
    "gbm": {"n_estimators": 150, "learning_rate": 0.05, "max_depth": 3, "min_samples_leaf": 200,
            "subsample": 0.8},
}


def build_classifier(kind: str = DEFAULT_KIND, *, seed: int = 0, **params: Any) -> Any:
    """An unfitted classifier of ``kind`` with :data:`DEFAULT_PARAMS` updated by ``params``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    settings = {**DEFAULT_PARAMS[kind], **params}
    if kind == "hist":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed, early_stopping=False, **settings)
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(random_state=seed, **settings)


def fit(model: Any, X: np.ndarray, y: np.ndarray, *, threads: int | None = 1) -> Any:
    """``model.fit(X, y)`` with OpenMP limited to ``threads`` (None: no limit).

    HistGradientBoosting parallelises with OpenMP; on a shared, oversubscribed CPU its threads spin-wait and one
    fit takes 20x longer than with a single thread (measured: 28 s against 1.3 s for 30 iterations on 36k rows).
    threadpoolctl ships with scikit-learn; the limit applies only during the fit (and each prediction).
    """
    with _limit(threads):
        return model.fit(np.asarray(X, dtype=float), np.asarray(y))


def probability(model: Any, X: np.ndarray) -> np.ndarray:
    """P(label = 1) for each row of ``X`` (n, features); an empty input gives an empty array."""
    X = np.asarray(X, dtype=float)
    if len(X) == 0:
        return np.empty(0)
    classes = list(model.classes_)
    if classes == [0]:
        return np.zeros(len(X))
    if classes == [1]:
        return np.ones(len(X))
    with _limit(1):     # HistGB predicts with OpenMP too; its threads spin on a busy CPU
        return model.predict_proba(X)[:, classes.index(1)]


_CONTROLLER: list[Any] = []


def _limit(threads: int | None) -> Any:
    """OpenMP/BLAS limited to ``threads`` inside a ``with``. One threadpoolctl controller per process: building
    one inspects every loaded library (about 6 ms), too slow for the algorithm's daily call."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=threads)
