"""Targets: daily returns, the drag against nominal 3x, and well-conditioned realised leverage.

Why not the realised leverage ``r_TQQQ / r_QQQ`` as the target: it divides by ``r_QQQ``, which is near zero
on quiet days, so one 0.01% QQQ day turns a 1 bp tracking difference into a leverage of 4 or 2 (or +-100).
Its mean and its loss are dominated by those days.

The model here writes the day's TQQQ return as a varying-coefficient regression on the day's QQQ return::

    r_TQQQ,t = L_t * r_QQQ,t + d_t + e_t

with the effective leverage ``L_t`` and the drag ``d_t`` both known at the previous close (functions of the
features of day t-1), and ``e_t`` noise. Training minimises the squared return error
``(r_TQQQ,t - L_t r_QQQ,t - d_t)^2``: nothing is divided by ``r_QQQ``, so a quiet day simply carries little
information about ``L_t`` instead of an exploding label. The *drag* label ``r_TQQQ,t - 3 r_QQQ,t`` (daily
return beyond nominal 3x; financing, fees, rebalancing costs and leverage error) is bounded by the tracking
noise and is what the analytic baseline predicts.

For reporting a "realised leverage", :func:`rolling_leverage` regresses ``r_TQQQ`` on ``r_QQQ`` over a
trailing window (slope = leverage, intercept = drag per day); the denominator is the window's QQQ variance,
not one day's return, so it is well-conditioned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import check_inputs

__all__ = ["NOMINAL_LEVERAGE", "daily_returns", "drag", "ratio_leverage", "rolling_leverage"]

NOMINAL_LEVERAGE = 3.0


def daily_returns(inputs: pd.DataFrame) -> pd.DataFrame:
    """Simple close-to-close returns ``r_qqq``, ``r_tqqq`` of each session (row t: close t-1 to close t)."""
    check_inputs(inputs)
    prices = inputs[["qqq", "tqqq"]]
    out = prices / prices.shift(1) - 1.0
    out.columns = ["r_qqq", "r_tqqq"]
    return out


def drag(r_tqqq: pd.Series, r_qqq: pd.Series, leverage: float = NOMINAL_LEVERAGE) -> pd.Series:
    """Return beyond nominal leverage: ``r_TQQQ - leverage * r_QQQ`` (per session, as a fraction)."""
    result = r_tqqq - leverage * r_qqq
    result.name = "drag"
    return result


def ratio_leverage(r_tqqq: pd.Series, r_qqq: pd.Series) -> pd.Series:
    """The naive realised leverage ``r_TQQQ / r_QQQ`` (inf where ``r_QQQ == 0``). Ill-conditioned: see above."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(r_tqqq.to_numpy() / r_qqq.to_numpy(), index=r_tqqq.index, name="ratio_leverage")


def rolling_leverage(r_tqqq: pd.Series, r_qqq: pd.Series, window: int = 21) -> pd.DataFrame:
    """Trailing OLS of ``r_TQQQ`` on ``r_QQQ`` over ``window`` sessions ending at (and including) each row.

    Columns ``leverage`` (slope ``cov / var``) and ``intercept`` (drag per session). NaN until ``window``
    paired returns are available, and where the window's QQQ variance is zero.
    """
    if not isinstance(window, int) or window < 3:
        raise ValueError(f"window must be an integer >= 3, got {window!r}")
    x = r_qqq.astype(float)
    y = r_tqqq.astype(float)
    both = x.notna() & y.notna()
    x, y = x.where(both), y.where(both)
    mean_x = x.rolling(window, min_periods=window).mean()
    mean_y = y.rolling(window, min_periods=window).mean()
    cov = (x * y).rolling(window, min_periods=window).mean() - mean_x * mean_y
    var = (x * x).rolling(window, min_periods=window).mean() - mean_x ** 2
    slope = cov / var.where(var > 1e-14)
    return pd.DataFrame({"leverage": slope, "intercept": mean_y - slope * mean_x})
