"""Indicators built from other indicators: LEAN's ``CompositeIndicator`` and ``IndicatorExtensions``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qclocal.engine.lean_api import LeanConstants

from .averages import ExponentialMovingAverage, SimpleMovingAverage
from .core import (
    ConstantIndicator,
    IndicatorBase,
    IndicatorDataPoint,
    IndicatorResult,
    IndicatorStatus,
    _point,
    check_period,
    format_number,
)
from .window import Maximum, Minimum

Composer = Callable[[IndicatorBase, IndicatorBase], Any]


class CompositeIndicator(IndicatorBase):
    """Combines ``left`` and ``right``: updates once both have produced a new value since the last update
    (a constant side counts as always new); the value is ``composer(left, right)``.

    The composer returns a number, an ``IndicatorResult``, or None for a failed computation (no new value).
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 4:
            name, left, right, composer = args
        elif len(args) == 3:
            name = None
            left, right, composer = args
        else:
            raise TypeError("CompositeIndicator takes (name, left, right, composer) or (left, right, composer)")
        for side, value in (("left", left), ("right", right)):
            if not isinstance(value, IndicatorBase):
                raise TypeError(f"CompositeIndicator {side} must be an indicator, got {type(value).__name__}")
        if not callable(composer):
            raise TypeError("CompositeIndicator composer must be callable(left, right)")
        super().__init__(name if name is not None else f"COMPOSE({left.name},{right.name})")
        self.left = left
        self.right = right
        self._composer = composer
        self._left_new = False
        self._right_new = False
        left_constant = isinstance(left, ConstantIndicator)
        right_constant = isinstance(right, ConstantIndicator)

        def on_left(_sender: Any, updated: IndicatorDataPoint) -> None:
            self._left_new = True
            if self._right_new or right_constant:
                self._fire(updated)

        def on_right(_sender: Any, updated: IndicatorDataPoint) -> None:
            self._right_new = True
            if self._left_new or left_constant:
                self._fire(updated)

        left.updated += on_left
        right.updated += on_right

    def _fire(self, updated: IndicatorDataPoint) -> None:
        time = max(updated.time, self.right._current.time, self.left._current.time)
        self._ingest_point(_point(None, time, 0.0))
        self._left_new = False
        self._right_new = False

    @property
    def is_ready(self) -> bool:
        return self.left.is_ready and self.right.is_ready

    @property
    def warm_up_period(self) -> int:
        return max(self.left.warm_up_period, self.right.warm_up_period)

    def _compute(self, data: IndicatorDataPoint) -> float | None:
        result = self._composer(self.left, self.right)
        if isinstance(result, IndicatorResult):
            return result.value if result.status == IndicatorStatus.SUCCESS else None
        return None if result is None else float(result)

    def reset(self) -> None:
        self.left.reset()
        self.right.reset()
        super().reset()


def _over(left: IndicatorBase, right: IndicatorBase) -> float | None:
    denominator = right._current.value
    return None if denominator == 0 else left._current.value / denominator


def _constant(value: float) -> ConstantIndicator:
    return ConstantIndicator(format_number(value), value)


def _as_operand(value: Any) -> IndicatorBase:
    return value if isinstance(value, IndicatorBase) else _constant(value)


def _compose(name: str | None, left: IndicatorBase, right: Any, composer: Composer) -> CompositeIndicator:
    if not isinstance(left, IndicatorBase):
        raise TypeError(f"expected an indicator on the left, got {type(left).__name__}")
    right = _as_operand(right)
    return CompositeIndicator(left, right, composer) if name is None else CompositeIndicator(
        name, left, right, composer
    )


class IndicatorExtensions(metaclass=LeanConstants):
    """LEAN's ``IndicatorExtensions`` as called from Python (``IndicatorExtensions.of(second, first)``)."""

    @staticmethod
    def of(second: IndicatorBase, first: IndicatorBase, wait_for_first_to_ready: bool = True) -> IndicatorBase:
        """Feed ``second`` with ``first``'s output every time ``first`` updates (once ``first`` is ready,
        unless ``wait_for_first_to_ready`` is False). Returns ``second``."""
        for label, value in (("second", second), ("first", first)):
            if not isinstance(value, IndicatorBase):
                raise TypeError(f"IndicatorExtensions.of: {label} must be an indicator, got {type(value).__name__}")

        def forward(_sender: Any, point: IndicatorDataPoint) -> None:
            if not wait_for_first_to_ready or first.is_ready:
                second._ingest_point(point)

        first.updated += forward
        return second

    @staticmethod
    def ema(
        left: IndicatorBase, period: int, smoothing_factor: float | None = None, wait_for_first_to_ready: bool = True
    ) -> ExponentialMovingAverage:
        period = check_period(period)
        k = ExponentialMovingAverage.smoothing_factor_default(period) if smoothing_factor is None else smoothing_factor
        ema = ExponentialMovingAverage(f"EMA{period}_Of_{left.name}", period, k)
        IndicatorExtensions.of(ema, left, wait_for_first_to_ready)
        return ema

    @staticmethod
    def sma(left: IndicatorBase, period: int, wait_for_first_to_ready: bool = True) -> SimpleMovingAverage:
        sma = SimpleMovingAverage(f"SMA{period}_Of_{left.name}", period)
        IndicatorExtensions.of(sma, left, wait_for_first_to_ready)
        return sma

    @staticmethod
    def max(left: IndicatorBase, period: int, wait_for_first_to_ready: bool = True) -> Maximum:
        maximum = Maximum(f"MAX{period}_Of_{left.name}", period)
        IndicatorExtensions.of(maximum, left, wait_for_first_to_ready)
        return maximum

    @staticmethod
    def min(left: IndicatorBase, period: int, wait_for_first_to_ready: bool = True) -> Minimum:
        minimum = Minimum(f"MIN{period}_Of_{left.name}", period)
        IndicatorExtensions.of(minimum, left, wait_for_first_to_ready)
        return minimum

    @staticmethod
    def plus(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        return _compose(name, left, right, lambda a, b: a._current.value + b._current.value)

    @staticmethod
    def minus(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        return _compose(name, left, right, lambda a, b: a._current.value - b._current.value)

    @staticmethod
    def times(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        return _compose(name, left, right, lambda a, b: a._current.value * b._current.value)

    @staticmethod
    def over(left: IndicatorBase, right: Any, name: str | None = None) -> CompositeIndicator:
        """``left / right``; a zero denominator produces no new value (LEAN's MathError status)."""
        return _compose(name, left, right, _over)

    # LEAN's Python also accepts the C# method names.
    Of = of
    EMA = ema
    SMA = sma
    MAX = max
    MIN = min
    Plus = plus
    Minus = minus
    Times = times
    Over = over
