"""A numpy stand-in for the pandas ``Series`` operations that feature formulas use, for per-bar prediction.

A feature table written as pandas expressions (``x.rolling(21, min_periods=21).std()``, ``x.diff(5)``,
``np.log(x)``, ``a / b.where(b > 0)``, ``x.ewm(halflife=2, min_periods=5).mean()``) costs 0.1-0.5 ms of pandas
overhead per operation whatever the length, which is most of an algorithm's daily step. :class:`ArraySeries`
runs the *same expressions* on plain arrays: the formula is written once and evaluated either on pandas
Series (research, training) or on ArraySeries (the algorithm's last window), so there is one definition of each
feature. The results equal pandas' to rounding (the tests compare every row): rolling sums and moments are
computed per window in numpy instead of pandas' running updates, and the EWM mean repeats pandas' recursion.

Semantics follow pandas: NaN propagates; ``rolling(w, min_periods=w)`` is NaN until ``w`` valid values and
wherever the window holds a NaN; comparisons with NaN are False. Operations without a numpy version here
(rolling skew/kurt/median/rank/corr, EWM std, other ``min_periods``) run through pandas on the same values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ArraySeries"]


def _values(x: Any) -> Any:
    return x.values if isinstance(x, ArraySeries) else x


class ArraySeries:
    """A float (or bool) vector with the pandas ``Series`` operations of feature formulas."""

    __slots__ = ("values",)
    __array_priority__ = 1000  # numpy scalars defer to our operators

    def __init__(self, values: np.ndarray):
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    # -- elementwise ----------------------------------------------------------------------------------
    def _op(self, other: Any, fn: Any) -> ArraySeries:
        with np.errstate(all="ignore"):
            return ArraySeries(fn(self.values, _values(other)))

    def _rop(self, other: Any, fn: Any) -> ArraySeries:
        with np.errstate(all="ignore"):
            return ArraySeries(fn(_values(other), self.values))

    def __add__(self, o: Any) -> ArraySeries: return self._op(o, np.add)
    def __radd__(self, o: Any) -> ArraySeries: return self._rop(o, np.add)
    def __sub__(self, o: Any) -> ArraySeries: return self._op(o, np.subtract)
    def __rsub__(self, o: Any) -> ArraySeries: return self._rop(o, np.subtract)
    def __mul__(self, o: Any) -> ArraySeries: return self._op(o, np.multiply)
    def __rmul__(self, o: Any) -> ArraySeries: return self._rop(o, np.multiply)
    def __truediv__(self, o: Any) -> ArraySeries: return self._op(o, np.true_divide)
    def __rtruediv__(self, o: Any) -> ArraySeries: return self._rop(o, np.true_divide)
    def __pow__(self, o: Any) -> ArraySeries: return self._op(o, np.power)
    def __gt__(self, o: Any) -> ArraySeries: return self._op(o, np.greater)  # type: ignore[override]
    def __lt__(self, o: Any) -> ArraySeries: return self._op(o, np.less)  # type: ignore[override]
    def __ge__(self, o: Any) -> ArraySeries: return self._op(o, np.greater_equal)  # type: ignore[override]
    def __le__(self, o: Any) -> ArraySeries: return self._op(o, np.less_equal)  # type: ignore[override]
    def __neg__(self) -> ArraySeries: return ArraySeries(-self.values)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs:
            return NotImplemented
        with np.errstate(all="ignore"):
            return ArraySeries(ufunc(*(_values(x) for x in inputs)))

    def abs(self) -> ArraySeries:
        return ArraySeries(np.abs(self.values))

    def notna(self) -> ArraySeries:
        return ArraySeries(~np.isnan(self.values))

    def astype(self, dtype: Any) -> ArraySeries:
        return ArraySeries(self.values.astype(dtype))

    def where(self, cond: Any) -> ArraySeries:
        return ArraySeries(np.where(_values(cond), self.values, np.nan))

    def shift(self, periods: int = 1) -> ArraySeries:
        out = np.full(len(self.values), np.nan)
        if periods < len(out):
            out[periods:] = self.values[:len(out) - periods]
        return ArraySeries(out)

    def diff(self, periods: int = 1) -> ArraySeries:
        return ArraySeries(self.values - self.shift(periods).values)

    def pct_change(self, periods: int = 1, fill_method: None = None) -> ArraySeries:
        with np.errstate(all="ignore"):
            return ArraySeries(self.values / self.shift(periods).values - 1)

    def rolling(self, window: int, min_periods: int | None = None) -> _Rolling:
        return _Rolling(self, int(window), min_periods)

    def ewm(self, *, halflife: float, min_periods: int = 0) -> _Ewm:
        return _Ewm(self, float(halflife), int(min_periods))

    def _through_pandas(self, fn: Any) -> ArraySeries:
        return ArraySeries(np.asarray(fn(pd.Series(self.values)), dtype=float))


class _Rolling:
    """``series.rolling(window, min_periods)``: sum/mean/std/max in numpy when ``min_periods == window``."""

    def __init__(self, series: ArraySeries, window: int, min_periods: int | None):
        self.series, self.window, self.min_periods = series, window, min_periods

    def _windows(self) -> np.ndarray | None:
        """(n - window + 1, window) views, or None when min_periods differs from the window (use pandas)."""
        if self.min_periods != self.window or self.window < 1:
            return None
        values = self.series.values.astype(float, copy=False)
        if len(values) < self.window:
            return np.empty((0, self.window))
        return np.lib.stride_tricks.sliding_window_view(values, self.window)

    def _place(self, result: np.ndarray) -> ArraySeries:
        out = np.full(len(self.series), np.nan)
        out[self.window - 1:] = result
        return ArraySeries(out)

    def _pandas(self, method: str, *args: Any, **kwargs: Any) -> ArraySeries:
        return self.series._through_pandas(
            lambda s: getattr(s.rolling(self.window, min_periods=self.min_periods), method)(*args, **kwargs))

    def sum(self) -> ArraySeries:
        w = self._windows()
        return self._pandas("sum") if w is None else self._place(w.sum(axis=1))

    def mean(self) -> ArraySeries:
        w = self._windows()
        return self._pandas("mean") if w is None else self._place(w.sum(axis=1) / self.window)

    def max(self) -> ArraySeries:
        w = self._windows()
        return self._pandas("max") if w is None else self._place(w.max(axis=1))

    def std(self) -> ArraySeries:
        w = self._windows()
        if w is None or self.window < 2:
            return self._pandas("std")
        deviations = w - w.mean(axis=1, keepdims=True)
        var = (deviations * deviations).sum(axis=1) / (self.window - 1)
        var[w.max(axis=1) == w.min(axis=1)] = 0.0  # pandas: a window of equal values has exactly zero variance
        return self._place(np.sqrt(var))

    def skew(self) -> ArraySeries:
        return self._pandas("skew")

    def kurt(self) -> ArraySeries:
        return self._pandas("kurt")

    def median(self) -> ArraySeries:
        return self._pandas("median")

    def rank(self, pct: bool = False) -> ArraySeries:
        return self._pandas("rank", pct=pct)

    def corr(self, other: ArraySeries) -> ArraySeries:
        return self.series._through_pandas(
            lambda s: s.rolling(self.window, min_periods=self.min_periods).corr(pd.Series(other.values)))


class _Ewm:
    """``series.ewm(halflife=h, min_periods=m)`` (adjust=True, ignore_na=False): the mean by pandas' recursion."""

    def __init__(self, series: ArraySeries, halflife: float, min_periods: int):
        self.series, self.halflife, self.min_periods = series, halflife, min_periods

    def mean(self) -> ArraySeries:
        # pandas: com from halflife, alpha = 1 / (1 + com); weights renormalised at every observation
        com = 1.0 / (1.0 - np.exp(np.log(0.5) / self.halflife)) - 1.0
        factor = 1.0 - 1.0 / (1.0 + com)
        values = self.series.values.astype(float, copy=False).tolist()
        out = [np.nan] * len(values)
        if not values:
            return ArraySeries(np.array(out))
        weighted = values[0]
        nobs = int(weighted == weighted)
        old_wt = 1.0
        minp = max(self.min_periods, 1)
        out[0] = weighted if nobs >= minp else np.nan
        for i in range(1, len(values)):
            cur = values[i]
            observed = cur == cur
            nobs += observed
            if weighted == weighted:
                old_wt *= factor
                if observed:
                    if weighted != cur:
                        weighted = (old_wt * weighted + cur) / (old_wt + 1.0)
                    old_wt += 1.0
            elif observed:
                weighted = cur
            out[i] = weighted if nobs >= minp else np.nan
        return ArraySeries(np.array(out))

    def std(self) -> ArraySeries:
        return self.series._through_pandas(
            lambda s: s.ewm(halflife=self.halflife, min_periods=self.min_periods).std())
