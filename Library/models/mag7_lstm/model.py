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

__all__ = ["ARCHITECTURES", "LOSSES", "build_network", "count_parameters", "listnet_loss", "fit_listnet", "lstm_scores", "lstm_score_panel", "model_as_of"]

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


# "mse": the source's regression on the 21-day return sum; "demeaned": the same on the return minus the mean of
# the names with a sample on that date (only the cross-section is learned); "listnet": the softmax cross-entropy
# between each date's scores and its within-date z-scored returns (Cao et al., 2007, "Learning to rank: from
# pairwise approach to listwise approach")
LOSSES = ("mse", "demeaned", "listnet")


def listnet_loss(y_true: Any, y_pred: Any) -> Any:
    """ListNet top-one cross-entropy per date group. ``y_true`` (groups, slots, 2): target and a 1/0 mask of used
    slots; ``y_pred`` (groups, slots, 1): scores."""
    from keras import ops

    target, used = y_true[..., 0], y_true[..., 1]
    pad = (1.0 - used) * -1e9
    p_true = ops.softmax(target + pad, axis=-1)
    log_p = ops.log_softmax(y_pred[..., 0] + pad, axis=-1)
    return -ops.sum(p_true * log_p * used, axis=-1)


def fit_listnet(net: Any, X: np.ndarray, y: np.ndarray, groups: np.ndarray, *, epochs: int, batch_size: int,
                learning_rate: float, verbose: int = 0) -> Any:
    """Train ``net`` (one window -> one score) with :func:`listnet_loss` over the samples sharing a ``groups``
    value (an end date): each group is padded to the largest and the net is applied to every slot, so its
    weights are the ones trained. Targets are z-scored within each group. Returns the keras History."""
    import keras
    from keras import layers

    codes, index = np.unique(groups, return_inverse=True)
    counts = np.bincount(index)
    slots = int(counts.max())
    order = np.argsort(index, kind="stable")
    position = np.empty(len(index), dtype=int)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position[order] = np.arange(len(index)) - np.repeat(starts, counts)
    Xg = np.zeros((len(codes), slots, *X.shape[1:]), dtype=np.float32)
    Yg = np.zeros((len(codes), slots, 2), dtype=np.float32)
    Xg[index, position] = X
    mean = np.bincount(index, weights=y) / counts
    sd = np.sqrt(np.bincount(index, weights=(y - mean[index]) ** 2) / counts)
    Yg[index, position, 0] = (y - mean[index]) / np.where(sd > 0, sd, 1.0)[index]
    Yg[index, position, 1] = 1.0
    keep = counts >= 2  # a one-name date ranks nothing
    grouped = keras.Sequential([keras.Input(shape=(slots, *X.shape[1:])), layers.TimeDistributed(net)])
    grouped.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=listnet_loss)
    return grouped.fit(Xg[keep], Yg[keep], epochs=epochs, batch_size=max(1, batch_size // slots), shuffle=True,
                       verbose=verbose)


When = date | datetime | str | pd.Timestamp


def _predict(model: Any, X: np.ndarray) -> np.ndarray:
    if hasattr(model, "feature_names") and hasattr(model, "networks"):  # TrainedModel: its members' mean
        return np.asarray(model.predict(X), dtype=float).reshape(-1)
    return np.asarray(model(X, training=False), dtype=float).reshape(-1)  # a keras model


def _lookback(model: Any) -> int:
    if hasattr(model, "lookback"):
        return int(model.lookback)
    shape = getattr(model, "input_shape", None)
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
