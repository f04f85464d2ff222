"""Rebalance dates and refit cutoffs on a trading calendar.

The rule trades on the first trading day of each month. A model is usable on dates strictly after its cutoff
(``models.store``), so the cutoff for a refit at rebalance date ``d`` is the day before ``d``: it learns from labels
ending before ``d - 1`` and trades from ``d`` on.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from .dataset import as_timestamp

__all__ = ["month_starts", "rebalance_cutoffs"]

When = date | datetime | str | pd.Timestamp


def month_starts(calendar: pd.DatetimeIndex, start: When | None = None, end: When | None = None
                 ) -> pd.DatetimeIndex:
    """First trading day of each month in ``calendar`` within [start, end] (a partial first month counts only
    if its first trading day is in the window)."""
    days = pd.DatetimeIndex(calendar).sort_values().unique()
    if len(days) == 0:
        return days
    periods = days.to_period("M")
    firsts = days[np.concatenate([[True], periods[1:] != periods[:-1]])]
    if start is not None:
        firsts = firsts[firsts >= as_timestamp(start, "start")]
    if end is not None:
        firsts = firsts[firsts <= as_timestamp(end, "end")]
    return firsts


def rebalance_cutoffs(calendar: pd.DatetimeIndex, start: When, end: When,
                      refit: Literal["monthly", "quarterly"] = "monthly") -> list[date]:
    """Cutoffs (the day before the rebalance) for refits at the first trading day of each month or quarter."""
    if refit not in ("monthly", "quarterly"):
        raise ValueError(f"refit must be 'monthly' or 'quarterly', got {refit!r}")
    days = month_starts(calendar, start, end)
    if refit == "quarterly":
        days = days[(days.month - 1) % 3 == 0]
    return [(d - timedelta(days=1)).date() for d in days]
