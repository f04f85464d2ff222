"""Moving averages (LEAN's SimpleMovingAverage, ExponentialMovingAverage, WilderMovingAverage, Sum)
and ``MovingAverageType``."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Any

from qclocal.engine.lean_api import LeanEnum

from .core import Indicator, IndicatorDataPoint, bind_overload, check_period, format_number

# Running sums are re-added exactly every so many samples so float drift cannot build up.
_RESUM_EVERY = 2048


class WindowIndicator(Indicator):
    """An indicator over the last ``period`` inputs (LEAN's ``WindowIndicator``)."""

    def __init__(self, name: str, period: int) -> None:
        super().__init__(name)
        self._period = check_period(period)
        self._values: deque[float] = deque(maxlen=self._period)  # oldest at index 0

    @property
    def period(self) -> int:
        return self._period

    @property
    def is_ready(self) -> bool:
        return self.samples >= self._period

    @property
    def warm_up_period(self) -> int:
        return self._period

    def reset(self) -> None:
        self._values.clear()
        super().reset()


class _RunningSum(WindowIndicator):
    """A window indicator keeping the sum of its window."""

    def __init__(self, name: str, period: int) -> None:
        super().__init__(name, period)
        self._sum = 0.0
        self._since_resum = 0

    def _add(self, value: float) -> float:
        values = self._values
        total = self._sum + value
        if len(values) == self._period:
            total -= values[0]
        values.append(value)
        self._since_resum += 1
        if self._since_resum >= _RESUM_EVERY:
            self._since_resum = 0
            total = math.fsum(values)
        self._sum = total
        return total

    def reset(self) -> None:
        self._sum = 0.0
        self._since_resum = 0
        super().reset()


class Sum(_RunningSum):
    """Sum of the last ``period`` inputs (partial sums while warming up)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("Sum", _period_spec, args, kwargs)
        super().__init__(name or f"SUM({a['period']})", a["period"])

    def _compute(self, data: IndicatorDataPoint) -> float:
        return self._add(data.value)


class SimpleMovingAverage(_RunningSum):
    """Mean of the last ``period`` inputs; while warming up, the mean of the inputs seen so far."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("SimpleMovingAverage", _period_spec, args, kwargs)
        super().__init__(name or f"SMA({a['period']})", a["period"])

    def _compute(self, data: IndicatorDataPoint) -> float:
        return self._add(data.value) / len(self._values)


class ExponentialMovingAverage(Indicator):
    """LEAN's EMA: 0 until ``period`` samples, then the SMA of the first ``period`` inputs, then
    ``value * k + previous * (1 - k)`` with ``k = 2 / (period + 1)`` unless a smoothing factor is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("ExponentialMovingAverage", _ema_spec, args, kwargs)
        period = check_period(a["period"])
        k = a["smoothing_factor"]
        if name is None:
            name = f"EMA({period})" if k is None else f"EMA({period},{format_number(k)})"
        super().__init__(name)
        self._period = period
        self._k = self.smoothing_factor_default(period) if k is None else float(k)
        self._initial_sum = 0.0

    @staticmethod
    def smoothing_factor_default(period: int) -> float:
        return 2.0 / (1 + period)

    @property
    def is_ready(self) -> bool:
        return self.samples >= self._period

    @property
    def warm_up_period(self) -> int:
        return self._period

    def _compute(self, data: IndicatorDataPoint) -> float:
        n = self.samples
        period = self._period
        if n <= period:
            self._initial_sum += data.value
            if n < period:
                return 0.0
            return self._initial_sum / period
        k = self._k
        return data.value * k + self._current.value * (1 - k)

    def reset(self) -> None:
        self._initial_sum = 0.0
        super().reset()


class WilderMovingAverage(Indicator):
    """Wilder's smoothing: the running mean while warming up, then ``value / N + previous * (1 - 1/N)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("WilderMovingAverage", _period_spec, args, kwargs)
        period = check_period(a["period"])
        super().__init__(name or f"WWMA{period}")
        self._period = period
        self._k = 1.0 / period
        self._initial_sum = 0.0

    @property
    def is_ready(self) -> bool:
        return self.samples >= self._period

    @property
    def warm_up_period(self) -> int:
        return self._period

    def _compute(self, data: IndicatorDataPoint) -> float:
        n = self.samples
        if n < self._period:
            self._initial_sum += data.value
            return self._initial_sum / n
        k = self._k
        return data.value * k + self._current.value * (1 - k)

    def reset(self) -> None:
        self._initial_sum = 0.0
        super().reset()


class MovingAverageType(Enum, metaclass=LeanEnum):
    """LEAN's ``MovingAverageType``; qclocal implements SIMPLE, EXPONENTIAL and WILDERS."""

    SIMPLE = "Simple"
    EXPONENTIAL = "Exponential"
    WILDERS = "Wilders"
    LINEAR_WEIGHTED_MOVING_AVERAGE = "LinearWeightedMovingAverage"
    DOUBLE_EXPONENTIAL = "DoubleExponential"
    TRIPLE_EXPONENTIAL = "TripleExponential"
    TRIANGULAR = "Triangular"
    T3 = "T3"
    KAMA = "Kama"
    HULL = "Hull"
    ALMA = "Alma"
    ZLEMA = "Zlema"
    MGD = "MGD"

    # LEAN's Python also accepts the C# member names.
    Simple = "Simple"
    Exponential = "Exponential"
    Wilders = "Wilders"

    def __str__(self) -> str:
        return self.value


_MOVING_AVERAGES: dict[MovingAverageType, Callable[..., Indicator]] = {
    MovingAverageType.SIMPLE: SimpleMovingAverage,
    MovingAverageType.EXPONENTIAL: ExponentialMovingAverage,
    MovingAverageType.WILDERS: WilderMovingAverage,
}


def moving_average(ma_type: MovingAverageType, name: str, period: int) -> Indicator:
    """LEAN's ``MovingAverageType.AsIndicator(name, period)``."""
    if not isinstance(ma_type, MovingAverageType):
        raise TypeError(f"moving_average_type must be a MovingAverageType, got {ma_type!r}")
    cls = _MOVING_AVERAGES.get(ma_type)
    if cls is None:
        raise NotImplementedError(f"MovingAverageType.{ma_type.name} is not implemented in qclocal")
    return cls(name, period)


def _period_spec(period: int) -> None: ...


def _ema_spec(period: int, smoothing_factor: float | None = None) -> None: ...
