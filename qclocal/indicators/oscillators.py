"""RelativeStrengthIndex, BollingerBands and MovingAverageConvergenceDivergence, wired as in LEAN."""

from __future__ import annotations

from typing import Any

from .averages import MovingAverageType, moving_average
from .composite import IndicatorExtensions
from .core import (
    ConstantIndicator,
    Identity,
    Indicator,
    IndicatorDataPoint,
    _point,
    bind_overload,
    check_period,
    format_number,
)
from .window import StandardDeviation


class RelativeStrengthIndex(Indicator):
    """``100 - 100 / (1 + avg_gain / avg_loss)``; 100 when the average loss rounds to 0.

    The first input only seeds the previous value, so the RSI is ready after ``period + 1`` inputs.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("RelativeStrengthIndex", _rsi_spec, args, kwargs)
        period = check_period(a["period"])
        name = name or f"RSI({period})"
        super().__init__(name)
        self.moving_average_type: MovingAverageType = a["moving_average_type"]
        self.average_gain = moving_average(self.moving_average_type, name + "Up", period)
        self.average_loss = moving_average(self.moving_average_type, name + "Down", period)
        self._warm_up_period = period + 1
        self._previous_value: float | None = None

    @property
    def is_ready(self) -> bool:
        return self.average_gain.is_ready and self.average_loss.is_ready

    @property
    def warm_up_period(self) -> int:
        return self._warm_up_period

    def _compute(self, data: IndicatorDataPoint) -> float:
        value = data.value
        previous = self._previous_value
        if previous is not None:
            time = data.time
            gain, loss = (value - previous, 0.0) if value >= previous else (0.0, previous - value)
            self.average_gain._ingest_point(_point(None, time, gain))
            self.average_loss._ingest_point(_point(None, time, loss))
        self._previous_value = value
        average_loss = max(0.0, self.average_loss._current.value)
        average_gain = max(0.0, self.average_gain._current.value)
        if round(average_loss, 10) == 0:
            return 100.0
        return 100.0 - 100.0 / (1 + average_gain / average_loss)

    def reset(self) -> None:
        self._previous_value = None
        self.average_gain.reset()
        self.average_loss.reset()
        super().reset()


class BollingerBands(Indicator):
    """Middle band = moving average, bands = middle +/- k * population standard deviation.

    Sub-indicators are composites fed by events, as in LEAN, so ``band_width`` (percent of the middle band)
    and ``percent_b`` skip an update when their denominator is 0, and the bands themselves emit no new
    value once ready while the standard deviation is 0.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("BollingerBands", _bb_spec, args, kwargs)
        period = check_period(a["period"])
        k = float(a["k"])
        name = name or f"BB({period},{format_number(k)})"
        super().__init__(name)
        self._warm_up_period = period
        self.moving_average_type: MovingAverageType = a["moving_average_type"]
        ext = IndicatorExtensions
        self.standard_deviation = StandardDeviation(name + "_StandardDeviation", period)
        self.middle_band = moving_average(self.moving_average_type, name + "_MiddleBand", period)
        self.lower_band = ext.minus(self.middle_band, ext.times(self.standard_deviation, k), name + "_LowerBand")
        self.upper_band = ext.plus(self.middle_band, ext.times(self.standard_deviation, k), name + "_UpperBand")
        upper_minus_lower = ext.minus(self.upper_band, self.lower_band)
        self.band_width = ext.times(
            ext.over(upper_minus_lower, self.middle_band), ConstantIndicator("ct", 100.0), name + "_BandWidth"
        )
        self.price = Identity(name + "_Close")
        self.percent_b = ext.over(ext.minus(self.price, self.lower_band), upper_minus_lower, name + "_%B")

    @property
    def is_ready(self) -> bool:
        # LEAN: middle, upper, lower, band_width and percent_b all ready. Those composites are ready exactly
        # when their leaves are (the constants always are), so evaluate the leaves directly.
        return self.middle_band.is_ready and self.standard_deviation.is_ready and self.price.is_ready

    @property
    def warm_up_period(self) -> int:
        return self._warm_up_period

    def _compute(self, data: IndicatorDataPoint) -> float | None:
        self.standard_deviation._ingest_point(data)
        self.middle_band._ingest_point(data)
        self.price._ingest_point(data)
        # a zero deviation once ready would leave percent_b stale: LEAN emits no value then
        if self.standard_deviation._current.value == 0 and self.is_ready:
            return None
        return data.value

    def reset(self) -> None:
        for sub in (self.standard_deviation, self.middle_band, self.upper_band, self.lower_band,
                    self.band_width, self.percent_b):
            sub.reset()
        super().reset()


class MovingAverageConvergenceDivergence(Indicator):
    """MACD = fast MA - slow MA; ``signal`` is an MA of the MACD fed once both are ready; ``histogram`` is
    MACD - signal once the signal is ready. Ready when the signal is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, a = bind_overload("MovingAverageConvergenceDivergence", _macd_spec, args, kwargs)
        fast_period = check_period(a["fast_period"], "fast_period")
        slow_period = check_period(a["slow_period"], "slow_period")
        signal_period = check_period(a["signal_period"], "signal_period")
        if fast_period >= slow_period:
            raise ValueError(
                f"MovingAverageConvergenceDivergence: fast_period ({fast_period}) must be less than "
                f"slow_period ({slow_period})"
            )
        name = name or f"MACD({fast_period},{slow_period},{signal_period})"
        super().__init__(name)
        ma_type: MovingAverageType = a["type"]
        self.fast = moving_average(ma_type, name + "_Fast", fast_period)
        self.slow = moving_average(ma_type, name + "_Slow", slow_period)
        self.signal = moving_average(ma_type, name + "_Signal", signal_period)
        self.histogram = Identity(name + "_Histogram")
        self._warm_up_period = slow_period + signal_period - 1

    @property
    def is_ready(self) -> bool:
        return self.signal.is_ready

    @property
    def warm_up_period(self) -> int:
        return self._warm_up_period

    def _compute(self, data: IndicatorDataPoint) -> float:
        fast, slow, signal = self.fast, self.slow, self.signal
        fast._ingest_point(data)
        slow._ingest_point(data)
        macd = fast._current.value - slow._current.value
        if fast.is_ready and slow.is_ready:
            signal._ingest_point(_point(None, data.time, macd))
            if signal.is_ready:
                self.histogram._ingest_point(_point(None, data.time, macd - signal._current.value))
        return macd

    def reset(self) -> None:
        for sub in (self.fast, self.slow, self.signal, self.histogram):
            sub.reset()
        super().reset()


def _rsi_spec(period: int, moving_average_type: MovingAverageType = MovingAverageType.WILDERS) -> None: ...


def _bb_spec(period: int, k: float, moving_average_type: MovingAverageType = MovingAverageType.SIMPLE) -> None: ...


def _macd_spec(
    fast_period: int, slow_period: int, signal_period: int, type: MovingAverageType = MovingAverageType.EXPONENTIAL
) -> None: ...
