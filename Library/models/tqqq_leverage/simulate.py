"""Simulated TQQQ before its inception (2010-02-11), back to QQQ's start (1999-03-10), as an importable CSV.

Each session's simulated return is the analytic form ``L r_QQQ,t - m r_f,t-1 / 252 - c / 252`` (see
:mod:`.baseline`) with parameters either fixed (the textbook 3 / 2 / 0.95%) or fitted on the overlap with real
TQQQ (:func:`~.baseline.calibrate_baseline`). The learned models cannot run before inception: their features
include TQQQ's own recent drag. From TQQQ's first session on, :func:`simulate_tqqq` splices in the real series
so the CSV is one continuous "TQQQ", equal to the real closes from inception and scaled so the two join.

The CSV is Yahoo style, close only: ``Date,Close`` (``qclocal data import`` accepts it; the importer fills
open/high/low with the close and volume with 0, so strategies that need volume must not use it).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .baseline import DEFAULT_BASELINE, BaselineParams, baseline_drag
from .inputs import InputError, check_inputs

__all__ = ["simulate_returns", "simulate_tqqq", "write_close_csv"]


def simulate_returns(inputs: pd.DataFrame, params: BaselineParams = DEFAULT_BASELINE) -> pd.Series:
    """Simulated TQQQ return of every session after the first (NaN where IRX is missing)."""
    check_inputs(inputs)
    r_qqq = inputs["qqq"].pct_change(fill_method=None)
    simulated = params.leverage * r_qqq + baseline_drag(inputs["irx"].shift(1), params)
    simulated.name = "r_tqqq_simulated"
    return simulated


def simulate_tqqq(inputs: pd.DataFrame, params: BaselineParams = DEFAULT_BASELINE, *, splice: bool = True,
                  start_value: float = 100.0) -> pd.Series:
    """A TQQQ close series over all of ``inputs``' sessions.

    With ``splice`` (default) and real TQQQ present, the series equals the real closes from TQQQ's first
    session on, and before it compounds the simulated returns backwards from that close. Without real TQQQ
    (or ``splice=False``) it starts at ``start_value`` on the first session. Raises :class:`InputError` if a
    simulated return is missing (IRX gap) or the path reaches zero.
    """
    check_inputs(inputs)
    if not start_value > 0:
        raise InputError(f"start_value must be > 0, got {start_value}")
    returns = simulate_returns(inputs, params).iloc[1:]
    if returns.isna().any():
        raise InputError(f"simulated return missing on {returns.index[returns.isna()][0].date()}: IRX has no "
                         "value at the previous close; align the inputs with a fill limit for irx")
    growth = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    if (growth <= 0).any():
        raise InputError("the simulated path reaches zero (a QQQ fall of over 1/3 in one session)")
    path = pd.Series(start_value * growth, index=inputs.index, name="close")
    real = inputs["tqqq"].dropna()
    if not splice or real.empty:
        return path
    inception = real.index[0]
    before = path.loc[:inception]
    simulated = before * (real.iloc[0] / before.iloc[-1])
    spliced = pd.concat([simulated.iloc[:-1], real])
    spliced.name = "close"
    return spliced


def write_close_csv(closes: pd.Series, path: str | os.PathLike[str]) -> Path:
    """Write ``Date,Close`` (dates ``YYYY-MM-DD``, closes to 6 decimals); returns the path written."""
    if not isinstance(closes, pd.Series) or closes.empty:
        raise InputError("write_close_csv: expected a non-empty Series of closes indexed by date")
    values = closes.astype(float)
    if not np.isfinite(values).all() or (values <= 0).any():
        raise InputError("write_close_csv: closes must be finite and > 0")
    index = pd.DatetimeIndex(values.index)
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputError("write_close_csv: dates must be strictly increasing")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"Date": index.strftime("%Y-%m-%d"), "Close": values.to_numpy()})
    frame.to_csv(target, index=False, float_format="%.6f")
    return target
