"""Keras networks: the source's stacked LSTM, and a small default sized to the data.

``"source"``: LSTM(128, return_sequences) -> Dropout(0.3) -> BatchNorm -> LSTM(64) -> Dense(32, relu) -> Dense(1),
about 120k weights. A refit sees ~1,900 samples (8 tickers x 1,180 window ends / stride 5) whose 21-day labels
overlap four-fold and whose tickers move together, so a few hundred independent observations: far too few for
120k weights, and it trains ~10x slower on a CPU.

``"small"`` (default): LSTM(16) -> Dropout(0.2) -> Dense(8, leaky_relu) -> Dense(1), about 1.5k weights. Same
input, loss and optimiser (Adam(1e-3), MSE). The hidden layer is leaky (slope 0.2 below zero) rather than the
source's ReLU: a ReLU layer right before a linear output can go dead on every input, and the network then gives
every name the same score (a seed did: 41% of its scores were one value). ``"source"`` keeps the source's ReLU;
:func:`~.training.train` refuses any model whose scores tie (see ``training.check_not_collapsed``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ARCHITECTURES", "build_network", "count_parameters"]

ARCHITECTURES = ("small", "source")


def build_network(arch: str = "small", *, lookback: int = 60, n_features: int = 4,
                  learning_rate: float = 1e-3) -> Any:
    """A compiled ``keras.Sequential`` for input (lookback, n_features) and one regression output."""
    import keras
    from keras import layers

    if arch == "source":
        body = [layers.LSTM(128, return_sequences=True), layers.Dropout(0.3), layers.BatchNormalization(),
                layers.LSTM(64, return_sequences=False), layers.Dense(32, activation="relu")]
    elif arch == "small":
        body = [layers.LSTM(16), layers.Dropout(0.2), layers.Dense(8), layers.LeakyReLU(negative_slope=0.2)]
    else:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    model = keras.Sequential([keras.Input(shape=(lookback, n_features)), *body, layers.Dense(1)],
                             name=f"mag7_lstm_{arch}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def count_parameters(model: Any) -> int:
    return int(model.count_params())
