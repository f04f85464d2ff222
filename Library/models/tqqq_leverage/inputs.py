"""Align the daily inputs of the TQQQ leverage model on QQQ's trading calendar, with clear errors.

The model reads six daily series: QQQ and TQQQ closes (adjusted: returns include distributions, as LEAN's
default ``ADJUSTED`` data do), the CBOE VIX and VIX3M indices, the 13-week T-bill yield (IRX, in percent) and
the 10-year Treasury yield (TNX, in percent). :func:`align_inputs` puts them on one table indexed by QQQ's
sessions (midnight timestamps), column order :data:`INPUT_COLUMNS`.

Gaps are handled explicitly, per series, by ``fill_limits``: a missing value on a QQQ session is filled from
the previous session for at most ``fill_limits[name]`` consecutive sessions, otherwise
:class:`DataGapError` names the series and the dates. The defaults fill rates over bond-market holidays
(Columbus Day, Veterans Day: equities trade, Treasury quotes do not) and fill nothing else: VIX trades whenever
equities do, so a VIX gap is a data problem. Missing values *before* a series starts (TQQQ before its 2010
inception, VIX3M before 2009-09-18) are not gaps; they stay NaN.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["INPUT_COLUMNS", "DEFAULT_FILL_LIMITS", "InputError", "DataGapError", "as_close_series",
           "align_inputs", "check_inputs"]

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
    index = index.normalize()
    if index.has_duplicates:
        raise InputError(f"{name}: duplicate dates, e.g. {index[index.duplicated()][0].date()}; "
                         "pass one value per session")
    try:
        values = pd.to_numeric(pd.Series(np.asarray(series), index=index), errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: values must be numeric ({exc})") from exc
    values.name = name
    return values.sort_index()


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
