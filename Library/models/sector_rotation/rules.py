"""The source's allocation rule, as pure functions.

Per asset: signal = max(0, prediction); multiplier = 5 if prediction > 15% else 1; raw = signal x multiplier,
normalised to sum 1; final = 0.3 x equal weight + 0.7 x normalised. No shorts. The final weights sum to 1.

Equal-weight fallback. The source's README says the rule "reverts to equal weight if no sector meets the
threshold"; its code tilts whenever some prediction is positive and divides by zero when none is. So
``fallback="positive"`` (default, what the code did) returns equal weight only when no prediction is positive,
and ``fallback="threshold"`` (the README's words) whenever no prediction exceeds the threshold.

Leverage. The source's return divides ``sum(w x m x r)`` by the capital deployed ``sum(w x m)``, so its "5x"
only tilts weights further toward the flagged assets and never borrows: ``leverage="tilt"`` (default) returns
exactly those effective weights ``w x m / sum(w x m)``, summing to 1. ``leverage="margin"`` is the literal
reading: gross exposure ``w x m`` (above 1 whenever an asset is flagged), the excess borrowed at a margin rate
that the research backtest charges (``evaluation.backtest``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SHRINKAGE", "THRESHOLD", "MULTIPLIER", "LEVERAGE_MODES", "FALLBACKS", "allocate", "allocate_panel"]

SHRINKAGE = 0.3   # weight of equal weight in the final mix
THRESHOLD = 0.15  # a prediction above this (monthly return) is "high conviction"
MULTIPLIER = 5.0  # the source's "5x"
LEVERAGE_MODES = ("tilt", "margin")
FALLBACKS = ("positive", "threshold")


def allocate(predictions: pd.Series, *, shrinkage: float = SHRINKAGE, threshold: float = THRESHOLD,
             multiplier: float = MULTIPLIER, leverage: str = "tilt", fallback: str = "positive") -> pd.Series:
    """Target weights per asset from predicted next-month returns (see the module docstring)."""
    if leverage not in LEVERAGE_MODES:
        raise ValueError(f"leverage must be one of {LEVERAGE_MODES}, got {leverage!r}")
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    if not 0.0 <= shrinkage <= 1.0:
        raise ValueError(f"shrinkage must be in [0, 1], got {shrinkage}")
    pred = pd.Series(predictions, dtype=float)
    if pred.isna().any():
        raise ValueError(f"predictions contain NaN for {list(pred.index[pred.isna()])}")
    n = len(pred)
    equal = pd.Series(1.0 / n, index=pred.index)
    mult = pd.Series(np.where(pred > threshold, multiplier, 1.0), index=pred.index)
    raw = pred.clip(lower=0.0) * mult
    if raw.sum() <= 0 or (fallback == "threshold" and not (pred > threshold).any()):
        return equal
    final = shrinkage * equal + (1 - shrinkage) * raw / raw.sum()
    exposure = final * mult
    return exposure if leverage == "margin" else exposure / exposure.sum()


def allocate_panel(predictions: pd.DataFrame, **kwargs: float | str) -> pd.DataFrame:
    """:func:`allocate` per row (decision date); rows without predictions stay NaN."""
    rows = {day: allocate(row, **kwargs) for day, row in predictions.dropna(how="any").iterrows()}  # type: ignore[arg-type]
    return pd.DataFrame(rows).T.reindex(index=predictions.index, columns=predictions.columns)
