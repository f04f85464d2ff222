"""The analytic baseline every model must beat: the daily form of Avellaneda & Zhang (2010).

A fund that holds ``L`` times its NAV in the index, financed at the short rate, returns per session::

    r_LETF,t = L * r_index,t - (L - 1) * r_f,t-1 / 252 - expense / 252

(Avellaneda, M. and Zhang, S. J., "Path-dependence of leveraged ETF returns", SIAM J. Financial Math. 1, 2010,
eq. (2) in discrete time.) With ``L = 3``: ``r = 3 r_QQQ - expense/252 - 2 r_f/252``. ``r_f`` is the 13-week
T-bill yield (IRX, percent / 100) at the *previous* close, so the baseline for session t is known before it
opens. The default expense ratio is TQQQ's 0.95% a year.

:func:`calibrate_baseline` fits the same form (with a free leverage, constant cost and financing multiplier)
to an observed TQQQ history by least squares; the simulation of TQQQ before its inception uses it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .inputs import InputError, check_inputs
from .target import NOMINAL_LEVERAGE, daily_returns

__all__ = ["BaselineParams", "DEFAULT_BASELINE", "TQQQ_EXPENSE_RATIO", "PERIODS_PER_YEAR", "baseline_drag", "baseline_frame",
           "calibrate_baseline"]

TQQQ_EXPENSE_RATIO = 0.0095
PERIODS_PER_YEAR = 252


@dataclass(frozen=True)
class BaselineParams:
    """Parameters of the analytic daily return ``L r_QQQ - m r_f/252 - expense/252``.

    ``financing_multiplier`` (``m``) defaults to ``leverage - 1``; ``expense_ratio`` is a yearly fraction and
    may include any constant financing spread.
    """

    leverage: float = NOMINAL_LEVERAGE
    expense_ratio: float = TQQQ_EXPENSE_RATIO
    financing_multiplier: float | None = None

    def __post_init__(self) -> None:
        for name in ("leverage", "expense_ratio"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"BaselineParams.{name} must be finite, got {getattr(self, name)!r}")
        if self.financing_multiplier is not None and not np.isfinite(self.financing_multiplier):
            raise ValueError(f"BaselineParams.financing_multiplier must be finite, got {self.financing_multiplier!r}")

    @property
    def multiplier(self) -> float:
        return self.leverage - 1.0 if self.financing_multiplier is None else float(self.financing_multiplier)

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)


DEFAULT_BASELINE = BaselineParams()


def baseline_drag(irx_prev_percent: pd.Series | np.ndarray | float,
                  params: BaselineParams = DEFAULT_BASELINE) -> pd.Series | np.ndarray | float:
    """Drag per session beyond ``leverage * r_QQQ``: ``-(m * r_f + expense) / 252`` with ``r_f = irx / 100``.

    ``irx_prev_percent`` is the T-bill yield (percent) at the close *before* the session.
    """
    return -(params.multiplier * irx_prev_percent / 100.0 + params.expense_ratio) / PERIODS_PER_YEAR


def baseline_frame(inputs: pd.DataFrame, params: BaselineParams = DEFAULT_BASELINE) -> pd.DataFrame:
    """Per session t: ``r_qqq``, ``r_tqqq``, ``leverage`` (constant), ``drag`` (from IRX at t-1), ``r_pred``.

    ``r_pred = leverage * r_qqq + drag``; the first session (no previous close) is NaN.
    """
    returns = daily_returns(inputs)
    drag = baseline_drag(inputs["irx"].shift(1), params)
    out = pd.DataFrame({"r_qqq": returns["r_qqq"], "r_tqqq": returns["r_tqqq"],
                        "leverage": params.leverage, "drag": drag}, index=inputs.index)
    out["r_pred"] = out["leverage"] * out["r_qqq"] + out["drag"]
    return out


def calibrate_baseline(inputs: pd.DataFrame, *, start: str | pd.Timestamp | None = None,
                       end: str | pd.Timestamp | None = None, financing_multiplier: float | None = None,
                       min_sessions: int = 250) -> BaselineParams:
    """Least-squares fit of ``r_TQQQ,t = L r_QQQ,t - m r_f,t-1/252 - c/252`` on sessions in ``[start, end]``.

    Returns ``BaselineParams(leverage=L, expense_ratio=c, financing_multiplier=m)``. With
    ``financing_multiplier`` given, ``m`` is fixed and only ``L`` and ``c`` are fitted: when rates barely
    moved (2010-2016: 0-0.5%) ``m`` is not identified and a free fit returns nonsense (0.25 instead of 2).
    Uses only sessions where both returns and the previous IRX exist; raises :class:`InputError` with fewer
    than ``min_sessions``.
    """
    check_inputs(inputs)
    returns = daily_returns(inputs)
    rate = inputs["irx"].shift(1) / 100.0 / PERIODS_PER_YEAR
    table = pd.DataFrame({"x": returns["r_qqq"], "y": returns["r_tqqq"], "rate": rate}).loc[start:end].dropna()
    if len(table) < min_sessions:
        raise InputError(f"calibrate_baseline: only {len(table)} sessions with TQQQ, QQQ and IRX between "
                         f"{start} and {end}; need at least {min_sessions}")
    constant = -np.full(len(table), 1.0 / PERIODS_PER_YEAR)
    target = table["y"].to_numpy()
    if financing_multiplier is None:
        design = np.column_stack([table["x"], -table["rate"], constant])
        (leverage, multiplier, expense), *_ = np.linalg.lstsq(design, target, rcond=None)
    else:
        multiplier = float(financing_multiplier)
        design = np.column_stack([table["x"], constant])
        (leverage, expense), *_ = np.linalg.lstsq(design, target + multiplier * table["rate"].to_numpy(),
                                                 rcond=None)
    return BaselineParams(leverage=float(leverage), expense_ratio=float(expense),
                          financing_multiplier=float(multiplier))
