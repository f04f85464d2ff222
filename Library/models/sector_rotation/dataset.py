"""Labels and training samples: next month's return per asset, an expanding walk-forward with a one-month purge.

The label of decision date D_m is the return from D_m's close to D_{m+1}'s close (the holding period of a
market-on-close rebalance at each month start), so it reads one month ahead: ``HORIZON = 1`` decision date.
A sample trains a model with cutoff c only if D_{m+1} < c (``models.walkforward``), so no training label reads
anything on or after the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..walkforward import Split, make_sequences, walk_forward
from .features import monthly_prices

__all__ = ["HORIZON", "Panel", "forward_returns", "make_panel", "splits", "windows"]

HORIZON = 1  # months a label looks ahead = the purge


def forward_returns(closes: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Per decision date D_m, per asset: close(D_{m+1}) / close(D_m) - 1 (NaN for the last date)."""
    prices = monthly_prices(closes, dates)
    return prices.shift(-1) / prices - 1


@dataclass
class Panel:
    """Features and labels on the decision dates; ``labels`` is NaN where the month has not ended."""

    features: pd.DataFrame
    labels: pd.DataFrame

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.features.index)


def make_panel(features: pd.DataFrame, closes: pd.DataFrame, assets: list[str]) -> Panel:
    """Align features with forward returns of ``assets``; raises when an asset has no prices."""
    missing = [a for a in assets if a not in closes.columns]
    if missing:
        raise ValueError(f"no prices for {missing}: import or generate them (docs/sector_rotation.md)")
    labels = forward_returns(closes[assets], features.index)
    return Panel(features=features, labels=labels)


def splits(panel: Panel, cutoffs: list[date], *, min_train_months: int = 24) -> list[Split]:
    """Expanding walk-forward over the decision dates, purged by :data:`HORIZON` (one month)."""
    return walk_forward(panel.dates, cutoffs, horizon=HORIZON, min_train_periods=min_train_months)


def windows(features: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray]:
    """``(n, lookback, features)`` windows ending at each row from ``lookback - 1`` on, and their end rows."""
    batch, _, ends = make_sequences(features, None, lookback)
    return batch, ends
