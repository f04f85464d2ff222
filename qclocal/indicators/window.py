"""Window statistics: Variance, StandardDeviation, Maximum, Minimum, Delay, Momentum, RateOfChange,
RateOfChangePercent, MomentumPercent, LogReturn (LEAN's formulas and readiness)."""

from __future__ import annotations

import math
from typing import Any

from .averages import _RESUM_EVERY, WindowIndicator, _period_spec
from .core import IndicatorDataPoint, bind_overload


class Variance(WindowIndicator):
    """Population variance of the last ``period`` inputs (of all inputs while warming up); 0 before two."""

    _default_name = "VAR"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload(type(self).__name__, _period_spec, args, kwargs)
        super().__init__(name or f"{self._default_name}({a['period']})", a["period"])
        self._clear_sums()

    def _clear_sums(self) -> None:
        # sums of (x - shift) and (x - shift)^2: shifting near the data keeps the float difference exact
        self._shift: float | None = None
        self._s1 = 0.0
        self._s2 = 0.0
        self._since_resum = 0

    def _variance(self, value: float) -> float:
        values = self._values
        shift = self._shift
        if shift is None:
            shift = self._shift = value
        if len(values) == self._period:
            d = values[0] - shift
            self._s1 -= d
            self._s2 -= d * d
        values.append(value)
        d = value - shift
        self._s1 += d
        self._s2 += d * d
        self._since_resum += 1
        if self._since_resum >= _RESUM_EVERY:
            self._resum()
        if self.samples < 2:
            return 0.0
        n = len(values)
        mean = self._s1 / n
        return max(0.0, self._s2 / n - mean * mean)

    def _resum(self) -> None:
        values = self._values
        shift = self._shift = values[-1]
        self._s1 = math.fsum(x - shift for x in values)
        self._s2 = math.fsum((x - shift) * (x - shift) for x in values)
        self._since_resum = 0

    def _compute(self, data: IndicatorDataPoint) -> float:
        return self._variance(data.value)

    def reset(self) -> None:
        self._clear_sums()
        super().reset()


class StandardDeviation(Variance):
    """Square root of the population variance (LEAN's ``StandardDeviation`` derives from ``Variance``)."""

    _default_name = "STD"

    def _compute(self, data: IndicatorDataPoint) -> float:
        return math.sqrt(self._variance(data.value))


class _WindowExtreme(WindowIndicator):
    """LEAN's Maximum/Minimum algorithm: track the extreme and how many samples ago it was seen,
    rescanning the window only when the extreme falls out of it."""

    _name_prefix = ""
    _sign = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload(type(self).__name__, _period_spec, args, kwargs)
        super().__init__(name or f"{self._name_prefix}({a['period']})", a["period"])
        self._since_extreme = 0

    def _compute(self, data: IndicatorDataPoint) -> float:
        value = data.value
        values = self._values
        values.append(value)
        sign = self._sign
        if self.samples == 1 or sign * value >= sign * self._current.value:
            self._since_extreme = 0
            return value
        if self._since_extreme >= self._period - 1:
            # rescan newest first; ties go to the most recent, as LEAN's stable sort does
            best_index, best = 0, values[-1]
            for index, candidate in enumerate(reversed(values)):
                if sign * candidate > sign * best:
                    best_index, best = index, candidate
            self._since_extreme = best_index
            return best
        self._since_extreme += 1
        return self._current.value

    def reset(self) -> None:
        self._since_extreme = 0
        super().reset()


class Maximum(_WindowExtreme):
    """Largest of the last ``period`` inputs, with ``periods_since_maximum``."""

    _name_prefix = "MAX"
    _sign = 1.0

    @property
    def periods_since_maximum(self) -> int:
        return self._since_extreme


class Minimum(_WindowExtreme):
    """Smallest of the last ``period`` inputs, with ``periods_since_minimum``."""

    _name_prefix = "MIN"
    _sign = -1.0

    @property
    def periods_since_minimum(self) -> int:
        return self._since_extreme


class _LaggedWindow(WindowIndicator):
    """A window indicator comparing the input with the one ``period`` samples back; ready after ``period + 1``.

    While warming up LEAN compares with the oldest input in the window instead.
    """

    @property
    def is_ready(self) -> bool:
        return self.samples > self._period

    @property
    def warm_up_period(self) -> int:
        return self._period + 1

    def _lagged(self, value: float) -> float:
        values = self._values
        if len(values) == self._period:
            lagged = values[0]  # about to fall off: LEAN's MostRecentlyRemoved after the add
            values.append(value)
            return lagged
        values.append(value)
        return values[0]


class Delay(_LaggedWindow):
    """The input from ``period`` samples ago; ready after ``period + 1`` samples (the first input until then)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("Delay", _period_spec, args, kwargs)
        super().__init__(name or f"DELAY({a['period']})", a["period"])

    def _compute(self, data: IndicatorDataPoint) -> float:
        return self._lagged(data.value)


class Momentum(_LaggedWindow):
    """``value - value[period ago]``; ready after ``period + 1`` samples."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload(type(self).__name__, _period_spec, args, kwargs)
        super().__init__(name or f"MOM({a['period']})", a["period"])

    def _compute(self, data: IndicatorDataPoint) -> float:
        return data.value - self._lagged(data.value)


class RateOfChange(_LaggedWindow):
    """``(value - value[period ago]) / value[period ago]`` (0 when that is 0); ready after ``period + 1``."""

    _name_prefix = "ROC"
    _scale = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload(type(self).__name__, _period_spec, args, kwargs)
        super().__init__(name or f"{self._name_prefix}({a['period']})", a["period"])

    def _compute(self, data: IndicatorDataPoint) -> float:
        denominator = self._lagged(data.value)
        if denominator == 0:
            return 0.0
        return self._scale * ((data.value - denominator) / denominator)


class RateOfChangePercent(RateOfChange):
    """Rate of change in percent."""

    _name_prefix = "ROCP"
    _scale = 100.0


class MomentumPercent(RateOfChangePercent):
    """LEAN's ``MomentumPercent``: the same as ``RateOfChangePercent``."""

    _name_prefix = "MOMP"


class LogReturn(_LaggedWindow):
    """``ln(value / value[period ago])``; 0 when a price is 0.

    LEAN quirk kept on purpose: ready after ``period`` samples (not ``period + 1``), and its first ready value
    compares with the oldest input in the window, i.e. spans ``period - 1`` steps.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("LogReturn", _period_spec, args, kwargs)
        super().__init__(name or f"LOGR({a['period']})", a["period"])

    @property
    def is_ready(self) -> bool:
        return self.samples >= self._period

    @property
    def warm_up_period(self) -> int:
        return self._period

    def _compute(self, data: IndicatorDataPoint) -> float:
        base = self._lagged(data.value)
        ratio = data.value / base if base != 0 else 0.0
        if ratio < 0:
            raise ValueError(f"{self.name}: log return of {data.value} over {base} is not a real number")
        return math.log(ratio) if ratio > 0 else 0.0
