"""The network and its scores.

Networks: the source's stacked LSTM, and a small default sized to the data.

``"source"``: LSTM(128, return_sequences) -> Dropout(0.3) -> BatchNorm -> LSTM(64) -> Dense(32, relu) -> Dense(1),
about 120k weights. A refit sees ~1,900 samples (8 tickers x 1,180 window ends / stride 5) whose 21-day labels
overlap four-fold and whose tickers move together, so a few hundred independent observations: far too few for
120k weights, and it trains ~10x slower on a CPU.

``"small"`` (default): LSTM(16) -> Dropout(0.2) -> Dense(8, leaky_relu) -> Dense(1), about 1.5k weights. Same
input, loss and optimiser (Adam(1e-3), MSE). The hidden layer is leaky (slope 0.2 below zero) rather than the
source's ReLU: a ReLU layer right before a linear output can go dead on every input, and the network then gives
every name the same score (a seed did: 41% of its scores were one value). ``"source"`` keeps the source's ReLU;
:func:`~.training.train` refuses any model whose scores tie (see ``training.check_not_collapsed``).

Scores: the LSTM's predicted 21-day return as of date ``d`` uses bars dated strictly before ``d`` (the decision is
taken on ``d``, 30 minutes after the open, from the previous close), with the as-of model: the newest whose cutoff
is strictly before ``d``, the rule of ``models.store.ModelTimeline.as_of``, so research and the algorithm pick the
same model. Cutoffs made by :func:`~.rules.rebalance_cutoffs` (the day before each rebalance) are therefore used
from that rebalance on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .dataset import LOOKBACK, as_timestamp, latest_window
from .features import compute_features

__all__ = ["ARCHITECTURES", "build_network", "count_parameters", "lstm_scores", "lstm_score_panel", "model_as_of"]

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


When = date | datetime | str | pd.Timestamp


def _predict(model: Any, X: np.ndarray) -> np.ndarray:
    if hasattr(model, "feature_names") and hasattr(model, "model"):  # TrainedModel
        return np.asarray(model.predict(X), dtype=float).reshape(-1)
    return np.asarray(model(X, training=False), dtype=float).reshape(-1)  # a keras model


def _lookback(model: Any) -> int:
    shape = getattr(getattr(model, "model", model), "input_shape", None)
    return int(shape[1]) if shape and shape[1] else LOOKBACK


def lstm_scores(model: Any, histories: Mapping[str, pd.DataFrame], as_of: When) -> pd.Series:
    """Predicted next-21-day return sum per ticker, from bars strictly before ``as_of``.

    ``model`` is a :class:`~.training.TrainedModel` or a keras model. ``histories`` maps tickers to OHLC
    DataFrames (bars after ``as_of`` are ignored). Tickers with too little history (see
    :data:`~.features.HISTORY_BARS`) are left out of the result.
    """
    stamp = as_timestamp(as_of, "as_of")
    lookback = _lookback(model)
    tickers, windows = [], []
    for ticker, ohlc in histories.items():
        past = ohlc.loc[ohlc.index < stamp]
        if len(past) < lookback + 2:
            continue
        window = latest_window(compute_features(past), lookback=lookback)
        if window is not None:
            tickers.append(ticker)
            windows.append(window)
    if not windows:
        return pd.Series(dtype=float, name="lstm")
    return pd.Series(_predict(model, np.stack(windows)), index=pd.Index(tickers, dtype=object), name="lstm")


def model_as_of(models: Sequence[Any], when: When) -> Any:
    """The newest model (anything with ``.cutoff``) whose cutoff is strictly before ``when``'s date."""
    day = as_timestamp(when, "when")
    eligible = [m for m in models if pd.Timestamp(m.cutoff) < day]
    if not eligible:
        first = min((pd.Timestamp(m.cutoff).date() for m in models), default=None)
        raise LookupError(f"no model with a cutoff before {day.date()} (first cutoff: {first})")
    return max(eligible, key=lambda m: pd.Timestamp(m.cutoff))


def lstm_score_panel(models: Sequence[Any], histories: Mapping[str, pd.DataFrame], dates: Iterable[When]
                     ) -> pd.DataFrame:
    """Scores (dates x tickers) with each date's as-of model; dates before the first cutoff are skipped.

    Same numbers as calling :func:`lstm_scores` per date, but features are computed once per ticker (they are
    causal, so rows before a date never depend on bars after it).
    """
    feats = {t: compute_features(h) for t, h in histories.items()}
    rows: dict[pd.Timestamp, pd.Series] = {}
    for when in sorted({as_timestamp(d, "date") for d in dates}):
        try:
            model = model_as_of(models, when)
        except LookupError:
            continue
        lookback = _lookback(model)
        tickers, windows = [], []
        for ticker, frame in feats.items():
            window = latest_window(frame, when, lookback=lookback)
            if window is not None:
                tickers.append(ticker)
                windows.append(window)
        if windows:
            rows[when] = pd.Series(_predict(model, np.stack(windows)), index=tickers)
    panel = pd.DataFrame(rows).T.reindex(columns=list(histories))
    panel.index.name = "date"
    return panel
