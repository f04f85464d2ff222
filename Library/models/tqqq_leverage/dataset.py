"""The data of the TQQQ leverage model: the aligned inputs, returns and labels, and the analytic drag the labels
are measured against.

**Inputs.** The daily inputs are aligned on QQQ's trading calendar, with clear errors. The model reads six daily series: QQQ and TQQQ closes (adjusted: returns include distributions, as LEAN's
default ``ADJUSTED`` data do), the CBOE VIX and VIX3M indices, the 13-week T-bill yield (IRX, in percent) and
the 10-year Treasury yield (TNX, in percent). :func:`align_inputs` puts them on one table indexed by QQQ's
sessions (midnight timestamps), column order :data:`INPUT_COLUMNS`.

Gaps are handled explicitly, per series, by ``fill_limits``: a missing value on a QQQ session is filled from
the previous session for at most ``fill_limits[name]`` consecutive sessions, otherwise
:class:`DataGapError` names the series and the dates. The defaults fill rates over bond-market holidays
(Columbus Day, Veterans Day: equities trade, Treasury quotes do not) and fill nothing else: VIX trades whenever
equities do, so a VIX gap is a data problem. Missing values *before* a series starts (TQQQ before its 2010
inception, VIX3M before 2009-09-18) are not gaps; they stay NaN.

**Labels**: daily returns, the drag against nominal 3x, and well-conditioned realised leverage. Why not the realised leverage ``r_TQQQ / r_QQQ`` as the target: it divides by ``r_QQQ``, which is near zero
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

**The analytic baseline** every model must beat: the daily form of Avellaneda & Zhang (2010). A fund that holds ``L`` times its NAV in the index, financed at the short rate, returns per session::

    r_LETF,t = L * r_index,t - (L - 1) * r_f,t-1 / 252 - expense / 252

(Avellaneda, M. and Zhang, S. J., "Path-dependence of leveraged ETF returns", SIAM J. Financial Math. 1, 2010,
eq. (2) in discrete time.) With ``L = 3``: ``r = 3 r_QQQ - expense/252 - 2 r_f/252``. ``r_f`` is the 13-week
T-bill yield (IRX, percent / 100) at the *previous* close, so the baseline for session t is known before it
opens. The default expense ratio is TQQQ's 0.95% a year.

:func:`calibrate_baseline` fits the same form (with a free leverage, constant cost and financing multiplier)
to an observed TQQQ history by least squares; the simulation of TQQQ before its inception uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..lean_history import midnight

__all__ = ["INPUT_COLUMNS", "DEFAULT_FILL_LIMITS", "InputError", "DataGapError", "as_close_series", "align_inputs",
           "check_inputs", "NOMINAL_LEVERAGE", "daily_returns", "drag", "ratio_leverage", "rolling_leverage",
           "BaselineParams", "DEFAULT_BASELINE", "TQQQ_EXPENSE_RATIO", "PERIODS_PER_YEAR", "baseline_drag",
           "baseline_frame", "calibrate_baseline"]

INPUT_COLUMNS: tuple[str, ...] = ("qqq", "tqqq", "vix", "vix3m", "irx", "tnx")
DEFAULT_FILL_LIMITS: dict[str, int] = {"qqq": 0, "tqqq": 0, "vix": 0, "vix3m": 0, "irx": 3, "tnx": 3}
_PRICE_COLUMNS = ("qqq", "tqqq", "vix", "vix3m")


class InputError(ValueError):
    """Inputs that cannot be used: wrong type or shape, duplicate dates, non-positive prices, too short."""


class DataGapError(InputError):
    """A series misses values on QQQ sessions after it started, beyond its fill limit."""


def as_close_series(data: pd.Series | pd.DataFrame, name: str) -> pd.Series:
    """The close of ``data`` as a float Series indexed by date (midnight), sorted.

    ``data`` is a Series of closes or a DataFrame with a ``close`` column (any case; ``adj close`` is preferred
    when present, as it carries distributions). Raises :class:`InputError` on duplicate or non-date index.
    """
    if isinstance(data, pd.DataFrame):
        columns = {str(c).lower(): c for c in data.columns}
        key = next((columns[c] for c in ("adj close", "adjclose", "close", "value") if c in columns), None)
        if key is None:
            raise InputError(f"{name}: expected a Series of closes or a DataFrame with a 'close' column, "
                             f"got columns {list(data.columns)}")
        series = data[key]
    elif isinstance(data, pd.Series):
        series = data
    else:
        raise InputError(f"{name}: expected a pandas Series or DataFrame, got {type(data).__name__}")
    try:
        index = pd.DatetimeIndex(series.index)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: index must hold dates ({exc})") from exc
    if index.tz is not None:
        index = index.tz_localize(None)
    index = midnight(index)
    if index.has_duplicates:
        raise InputError(f"{name}: duplicate dates, e.g. {index[index.duplicated()][0].date()}; "
                         "pass one value per session")
    raw = np.asarray(series)
    try:
        values = pd.Series(raw.copy(), index=index) if raw.dtype == np.float64 else \
            pd.to_numeric(pd.Series(raw, index=index), errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: values must be numeric ({exc})") from exc
    values.name = name
    return values if index.is_monotonic_increasing else values.sort_index()


def _fill_gaps(series: pd.Series, name: str, limit: int) -> pd.Series:
    valid = series.notna().to_numpy()
    if not valid.any():
        return series
    first = int(np.argmax(valid))
    missing = ~valid
    missing[:first] = False  # before the series starts: not a gap
    if not missing.any():
        return series
    run_id = np.cumsum(~missing)  # constant within a run of missing values
    run_length = pd.Series(missing.astype(int)).groupby(run_id).transform("sum").to_numpy()
    too_long = missing & (run_length > limit)
    if too_long.any():
        dates = series.index[too_long]
        shown = ", ".join(str(d.date()) for d in dates[:5]) + (" ..." if len(dates) > 5 else "")
        raise DataGapError(
            f"{name} has no value on {int(too_long.sum())} QQQ session(s) after it started ({shown}); "
            f"at most {limit} consecutive missing session(s) may be filled from the previous close. Fix the "
            f"data, or pass fill_limits={{'{name}': n}} to align_inputs to fill gaps of up to n sessions")
    return series.ffill(limit=limit).where(series.index >= series.index[first])


def align_inputs(qqq: pd.Series | pd.DataFrame, tqqq: pd.Series | pd.DataFrame | None,
                 vix: pd.Series | pd.DataFrame, vix3m: pd.Series | pd.DataFrame | None,
                 irx: pd.Series | pd.DataFrame, tnx: pd.Series | pd.DataFrame, *,
                 fill_limits: Mapping[str, int] | None = None) -> pd.DataFrame:
    """One table of closes on QQQ's sessions: columns :data:`INPUT_COLUMNS`, rates in percent.

    ``tqqq`` or ``vix3m`` may be ``None`` (all NaN: e.g. simulating before TQQQ existed). Values on dates that
    are not QQQ sessions are dropped. Gaps follow ``fill_limits`` (merged over :data:`DEFAULT_FILL_LIMITS`).
    The result is checked by :func:`check_inputs`.
    """
    limits = dict(DEFAULT_FILL_LIMITS)
    for key, value in (fill_limits or {}).items():
        if key not in limits:
            raise InputError(f"fill_limits: unknown series {key!r}; expected one of {list(INPUT_COLUMNS)}")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f"fill_limits[{key!r}] must be an integer >= 0, got {value!r}")
        limits[key] = value
    base = as_close_series(qqq, "qqq").dropna()
    if base.empty:
        raise InputError("qqq: no closes")
    sessions = base.index
    columns: dict[str, pd.Series] = {}
    for name, data in zip(INPUT_COLUMNS, (qqq, tqqq, vix, vix3m, irx, tnx), strict=True):
        if data is None:
            if name not in ("tqqq", "vix3m"):
                raise InputError(f"{name} is required")
            columns[name] = pd.Series(np.nan, index=sessions, name=name)
            continue
        series = base if name == "qqq" else as_close_series(data, name).reindex(sessions)
        columns[name] = _fill_gaps(series, name, limits[name])
    frame = pd.DataFrame(columns, index=sessions)
    frame.index.name = "date"
    check_inputs(frame)
    return frame


def check_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate an aligned input table (as :func:`align_inputs` returns); return it unchanged.

    Checks: a DataFrame with columns :data:`INPUT_COLUMNS`, a strictly increasing DatetimeIndex, prices > 0
    where present, no infinite values, and no NaN after a series' first value (a gap).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected the DataFrame from align_inputs, got {type(frame).__name__}")
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"input table lacks columns {missing}; build it with align_inputs(...)")
    if not isinstance(frame.index, pd.DatetimeIndex) or not frame.index.is_monotonic_increasing \
            or frame.index.has_duplicates:
        raise InputError("input table must be indexed by strictly increasing dates")
    for name in INPUT_COLUMNS:
        values = frame[name].to_numpy(dtype=float)
        if np.isinf(values).any():
            raise InputError(f"{name} holds infinite values, e.g. on {frame.index[np.isinf(values)][0].date()}")
        valid = ~np.isnan(values)
        if name == "qqq" and not valid.all():
            raise InputError(f"qqq is missing on {frame.index[~valid][0].date()}; the table follows QQQ's sessions")
        if valid.any():
            after_start = np.arange(len(values)) >= int(np.argmax(valid))
            gap = after_start & ~valid
            if gap.any():
                raise DataGapError(f"{name} has a gap on {frame.index[gap][0].date()} (NaN after its first value); "
                                   "align the inputs with align_inputs(..., fill_limits=...)")
        if name in _PRICE_COLUMNS and (values[valid] <= 0).any():
            raise InputError(f"{name} must be > 0; found {values[valid].min()} "
                             f"on {frame.index[valid][np.argmin(values[valid])].date()}")
    return frame


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
