"""Scores for the trading rule: the LSTM's predicted 21-day return, the 12-1 momentum ablation, or random scores
(the no-skill ablation: the rules alone).

A score "as of" date ``d`` uses bars dated strictly before ``d``: the decision is taken on ``d`` (30 minutes after
the open) from the previous close. The as-of model is the newest whose cutoff is strictly before ``d``, the rule
of ``models.store.ModelTimeline.as_of``, so research and the algorithm pick the same model. Cutoffs made by
:func:`~.training.rebalance_cutoffs` (the day before each rebalance) are therefore used from that rebalance on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .dataset import LOOKBACK, as_timestamp, latest_window
from .features import compute_features

__all__ = ["lstm_scores", "lstm_score_panel", "momentum_12_1", "momentum_panel", "random_scores", "model_as_of"]

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


def momentum_12_1(closes: pd.DataFrame, as_of: When, *, lookback: int = 252, skip: int = 21) -> pd.Series:
    """12-1 momentum per ticker: ``close[p - skip] / close[p - lookback] - 1`` with ``p`` the last bar before
    ``as_of``. ``closes`` is wide (dates x tickers); tickers without ``lookback + 1`` bars are left out."""
    if not isinstance(closes, pd.DataFrame):
        raise ValueError(f"closes must be a wide DataFrame (dates x tickers), got {type(closes).__name__}")
    if not 0 <= skip < lookback:
        raise ValueError(f"need 0 <= skip < lookback, got skip={skip}, lookback={lookback}")
    past = closes.loc[closes.index < as_timestamp(as_of, "as_of")]
    out = {}
    for ticker in past.columns:
        series = past[ticker].dropna()
        if len(series) > lookback:
            out[ticker] = float(series.iloc[-1 - skip] / series.iloc[-1 - lookback] - 1.0)
    return pd.Series(out, dtype=float, name="momentum_12_1")


def momentum_panel(closes: pd.DataFrame, dates: Iterable[When], **kwargs: Any) -> pd.DataFrame:
    """:func:`momentum_12_1` for each date (rows) and ticker (columns)."""
    rows = {as_timestamp(d, "date"): momentum_12_1(closes, d, **kwargs) for d in dates}
    panel = pd.DataFrame(rows).T.reindex(columns=list(closes.columns)).sort_index()
    panel.index.name = "date"
    return panel


def random_scores(tickers: Sequence[str], as_of: When, *, seed: int = 0) -> pd.Series:
    """Uniform(0, 1) scores that depend only on ``seed`` and the date: every name passes the score > 0 test, so the
    rule picks at random among the names above their SMA(200). The ablation that shows what the rules carry."""
    day = as_timestamp(as_of, "as_of")
    rng = np.random.default_rng([seed, day.year, day.month, day.day])
    return pd.Series(rng.uniform(size=len(tickers)), index=list(tickers), dtype=float, name="random")
