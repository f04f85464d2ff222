"""The source's classifier in Keras: LSTM(hidden, ``layers`` stacked) -> linear -> one logit.

Loss: binary cross-entropy on the logit with the positives weighted by negatives/positives (PyTorch's
``BCEWithLogitsLoss(pos_weight=...)``; in Keras a class weight on the positive class, which gives the same mean
loss). Adam; the source trains 50 epochs, batch 64, without shuffling. A fitted model predicts the probability
``sigmoid(logit)``; a seed ensemble averages its members' probabilities.

Speed (benchmarks/pairs_reversion): tracing and compiling a Keras training step costs far more than the 50 epochs
of a network this small, so :func:`fit_classifier` keeps one compiled trainer per architecture (window_size,
features, hidden, layers) in each process, XLA-compiled (``jit_compile``) and running a whole epoch per call
(``steps_per_execution``). Each fit loads a freshly seeded network's initial weights into it and zeroes Adam's
state: the same network, initialisation, batches and updates as a new model, without re-tracing. The fitted
weights are returned in an ordinary (uncompiled-trainer) model, which is what gets saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["build_classifier", "fit_classifier", "predict_proba", "pos_weight"]

_STEPS_PER_EXECUTION = 100_000   # more than any epoch has: one call per epoch (Keras stops at the epoch's end)
_TRAINERS: dict[tuple[int, int, int, int], Any] = {}   # per process: architecture -> compiled trainer


def build_classifier(window_size: int, n_features: int, *, hidden: int = 50, layers: int = 1,
                     learning_rate: float = 1e-3, fast: bool = False) -> Any:
    """The network, compiled with Adam and BCE on the logit; ``fast``: XLA and one call per epoch."""
    import keras

    if layers < 1:
        raise ValueError(f"layers must be >= 1, got {layers!r}")
    body = [keras.layers.LSTM(int(hidden), return_sequences=k < layers - 1) for k in range(int(layers))]
    model = keras.Sequential([keras.Input(shape=(int(window_size), int(n_features))), *body,
                              keras.layers.Dense(1)], name="pairs_reversion_lstm")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  **({"jit_compile": True, "steps_per_execution": _STEPS_PER_EXECUTION} if fast else {}))
    return model


def pos_weight(y: np.ndarray) -> float:
    """negatives / positives, as in the source; ValueError when one class is absent."""
    positives = float(np.sum(y == 1))
    negatives = float(np.sum(y == 0))
    if positives == 0 or negatives == 0:
        raise ValueError(f"training labels hold only one class ({int(positives)} positives, {int(negatives)} "
                         "negatives): widen the training window or change the label threshold")
    return negatives / positives


def fit_classifier(X: np.ndarray, y: np.ndarray, *, hidden: int = 50, layers: int = 1,
                   learning_rate: float = 1e-3, batch_size: int = 64, epochs: int = 50, seed: int = 0,
                   shuffle: bool = False, **_: Any) -> Any:
    """A trained classifier on windows ``X`` (n, window_size, features) and 0/1 labels ``y``."""
    import keras

    shape = (int(X.shape[1]), int(X.shape[2]), int(hidden), int(layers))
    trainer = _TRAINERS.get(shape)
    if trainer is None:
        trainer = _TRAINERS[shape] = build_classifier(*shape[:2], hidden=hidden, layers=layers, fast=True)
    keras.utils.set_random_seed(int(seed))
    model = build_classifier(*shape[:2], hidden=hidden, layers=layers, learning_rate=learning_rate)
    trainer.set_weights(model.get_weights())
    for variable in trainer.optimizer.variables:   # a fresh Adam: step 0, zero moments
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    trainer.optimizer.learning_rate = float(learning_rate)
    trainer.fit(X, y, batch_size=int(batch_size), epochs=int(epochs), shuffle=shuffle,
                class_weight={0: 1.0, 1: pos_weight(y)}, verbose=0)
    model.set_weights(trainer.get_weights())
    return model


def predict_proba(models: Sequence[Any], X: np.ndarray) -> np.ndarray:
    """Mean over ``models`` of ``sigmoid(logit)`` for windows ``X``."""
    X = np.asarray(X, dtype=np.float32)
    if len(X) == 0:
        return np.empty(0)
    logits = np.stack([np.asarray(m(X, training=False)).reshape(-1) for m in models])
    return (1.0 / (1.0 + np.exp(-logits.astype(float)))).mean(axis=0)
