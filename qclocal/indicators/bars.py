"""Bar indicators: TrueRange, AverageTrueRange, ParabolicStopAndReverse(Extended)."""

from __future__ import annotations

from typing import Any

from .averages import MovingAverageType, moving_average
from .composite import IndicatorExtensions
from .core import BarIndicator, bind_overload, check_period, format_number


class TrueRange(BarIndicator):
    """max(high - low, |previous close - high|, |previous close - low|); the first bar gives high - low.
    Ready after two bars."""

    def __init__(self, name: str = "TR") -> None:
        super().__init__(name)
        self._previous_close = 0.0

    @property
    def is_ready(self) -> bool:
        return self.samples > 1

    @property
    def warm_up_period(self) -> int:
        return 2

    def _compute(self, bar: Any) -> float:
        high = float(bar.high)
        low = float(bar.low)
        greatest = high - low
        if self.samples > 1:
            previous_close = self._previous_close
            greatest = max(greatest, abs(previous_close - high), abs(previous_close - low))
        self._previous_close = float(bar.close)
        return greatest


class AverageTrueRange(BarIndicator):
    """A moving average of the true range (LEAN's class default: Wilder's smoothing).

    Every true range, including the first bar's high - low, feeds the smoother.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("AverageTrueRange", _atr_spec, args, kwargs)
        period = check_period(a["period"])
        ma_type: MovingAverageType = a["moving_average_type"]
        name = name or f"ATR({period})"
        super().__init__(name)
        self._warm_up_period = period
        self.moving_average_type = ma_type
        self.true_range = TrueRange(name)
        self._smoother = moving_average(ma_type, f"{name}_{ma_type}", period)
        IndicatorExtensions.of(self._smoother, self.true_range, False)

    @property
    def is_ready(self) -> bool:
        return self._smoother.is_ready

    @property
    def warm_up_period(self) -> int:
        return self._warm_up_period

    def _compute(self, bar: Any) -> float:
        self.true_range._ingest(bar, bar, bar.end_time, getattr(bar, "symbol", None))
        return self._smoother._current.value

    def reset(self) -> None:
        self._smoother.reset()
        self.true_range.reset()
        super().reset()


class ParabolicStopAndReverseExtended(BarIndicator):
    """Wilder's SAR with TA-Lib's SAREXT options; negative values mean a short position.

    ``sar_start`` > 0 starts long at that SAR, < 0 starts short at its absolute value, 0 picks the direction
    from the first two bars' directional movement. ``offset_on_reverse`` moves the SAR on each reversal.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("ParabolicStopAndReverseExtended", _sarext_spec, args, kwargs)
        values = {key: float(value) for key, value in a.items()}
        if name is None:
            name = "SAREXT(" + ",".join(format_number(v) for v in values.values()) + ")"
        super().__init__(name)
        self._init_params(**values)

    def _init_params(
        self, sar_start: float, offset_on_reverse: float, af_start_short: float, af_increment_short: float,
        af_max_short: float, af_start_long: float, af_increment_long: float, af_max_long: float,
    ) -> None:
        self._sar_init = sar_start
        self._offset_on_reverse = offset_on_reverse
        self._af_init_short = self._af_short = af_start_short
        self._af_increment_short = af_increment_short
        self._af_max_short = af_max_short
        self._af_init_long = self._af_long = af_start_long
        self._af_increment_long = af_increment_long
        self._af_max_long = af_max_long
        self._is_long = False
        self._sar = 0.0
        self._extreme_point = 0.0
        self._output_sar = 0.0
        self._previous_high = 0.0
        self._previous_low = 0.0

    @property
    def is_ready(self) -> bool:
        return self.samples >= 2

    @property
    def warm_up_period(self) -> int:
        return 2

    def reset(self) -> None:
        self._af_short = self._af_init_short
        self._af_long = self._af_init_long
        super().reset()

    def _compute(self, bar: Any) -> float:
        high = float(bar.high)
        low = float(bar.low)
        if self.samples == 1:
            self._previous_high, self._previous_low = high, low
            return self._sar_init if self._sar_init != 0 else float(bar.close)
        if self.samples == 2:
            self._start(high, low)
            # LEAN then treats the second bar as its own previous bar
            self._previous_high, self._previous_low = high, low
        if self._is_long:
            self._long(high, low)
        else:
            self._short(high, low)
        self._previous_high, self._previous_low = high, low
        return self._output_sar

    def _start(self, high: float, low: float) -> None:
        if self._sar_init > 0:
            self._is_long = True
            self._sar = self._sar_init
        elif self._sar_init < 0:
            self._is_long = False
            self._sar = abs(self._sar_init)
        else:
            self._is_long = not self._negative_dm(high, low)
            self._sar = self._previous_low if self._is_long else self._previous_high
        self._extreme_point = high if self._is_long else low

    def _negative_dm(self, high: float, low: float) -> bool:
        if low >= self._previous_low:
            return False
        return high - self._previous_high < self._previous_low - low

    def _long(self, high: float, low: float) -> None:
        if low <= self._sar:  # reverse to short
            self._is_long = False
            sar = max(self._extreme_point, self._previous_high, high)
            if self._offset_on_reverse != 0:
                sar += sar * self._offset_on_reverse
            self._output_sar = -sar
            self._af_short = self._af_init_short
            self._extreme_point = low
            sar = sar + self._af_short * (self._extreme_point - sar)
            self._sar = max(sar, self._previous_high, high)
        else:
            self._output_sar = self._sar
            if high > self._extreme_point:
                self._extreme_point = high
                self._af_long = min(self._af_long + self._af_increment_long, self._af_max_long)
            sar = self._sar + self._af_long * (self._extreme_point - self._sar)
            self._sar = min(sar, self._previous_low, low)

    def _short(self, high: float, low: float) -> None:
        if high >= self._sar:  # reverse to long
            self._is_long = True
            sar = min(self._extreme_point, self._previous_low, low)
            if self._offset_on_reverse != 0:
                sar -= sar * self._offset_on_reverse
            self._output_sar = sar
            self._af_long = self._af_init_long
            self._extreme_point = high
            sar = sar + self._af_long * (self._extreme_point - sar)
            self._sar = min(sar, self._previous_low, low)
        else:
            self._output_sar = -self._sar
            if low < self._extreme_point:
                self._extreme_point = low
                self._af_short = min(self._af_short + self._af_increment_short, self._af_max_short)
            sar = self._sar + self._af_short * (self._extreme_point - self._sar)
            self._sar = max(sar, self._previous_high, high)


class ParabolicStopAndReverse(ParabolicStopAndReverseExtended):
    """Wilder's Parabolic SAR (always positive), the acceleration factor starting at ``af_start``, growing by
    ``af_increment`` at each new extreme, capped at ``af_max``. Ready after two bars; the first value is the
    first bar's close."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("ParabolicStopAndReverse", _psar_spec, args, kwargs)
        start, increment, maximum = (float(a[key]) for key in ("af_start", "af_increment", "af_max"))
        BarIndicator.__init__(
            self, name or f"PSAR({format_number(start)},{format_number(increment)},{format_number(maximum)})"
        )
        self._init_params(0.0, 0.0, start, increment, maximum, start, increment, maximum)

    def _compute(self, bar: Any) -> float:
        return abs(super()._compute(bar))


def _atr_spec(period: int, moving_average_type: MovingAverageType = MovingAverageType.WILDERS) -> None: ...


def _psar_spec(af_start: float = 0.02, af_increment: float = 0.02, af_max: float = 0.2) -> None: ...


def _sarext_spec(
    sar_start: float = 0.0, offset_on_reverse: float = 0.0, af_start_short: float = 0.02,
    af_increment_short: float = 0.02, af_max_short: float = 0.2, af_start_long: float = 0.02,
    af_increment_long: float = 0.02, af_max_long: float = 0.2,
) -> None: ...
