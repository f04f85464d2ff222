"""LEAN's indicators for qclocal, with LEAN's formulas, readiness and Python-visible API (snake_case).

Values are floats (LEAN computes in decimal); see tests/qclocal/test_indicators.py for the facts checked
against LEAN's own indicator test data.
"""

from qclocal.engine.lean_api import lean_type

from .averages import (
    ExponentialMovingAverage,
    MovingAverageType,
    SimpleMovingAverage,
    Sum,
    WilderMovingAverage,
    WindowIndicator,
    moving_average,
)
from .bars import AverageTrueRange, ParabolicStopAndReverse, ParabolicStopAndReverseExtended, TrueRange
from .composite import CompositeIndicator, IndicatorExtensions
from .core import (
    BarIndicator,
    ConstantIndicator,
    Identity,
    Indicator,
    IndicatorBase,
    IndicatorDataPoint,
    IndicatorResult,
    IndicatorStatus,
    IndicatorUpdatedEvent,
)
from .oscillators import BollingerBands, MovingAverageConvergenceDivergence, RelativeStrengthIndex
from .rolling_window import RollingWindow
from .window import (
    Delay,
    LogReturn,
    Maximum,
    Minimum,
    Momentum,
    MomentumPercent,
    RateOfChange,
    RateOfChangePercent,
    StandardDeviation,
    Variance,
)

__all__ = [
    "AverageTrueRange",
    "BarIndicator",
    "BollingerBands",
    "CompositeIndicator",
    "ConstantIndicator",
    "Delay",
    "ExponentialMovingAverage",
    "Identity",
    "Indicator",
    "IndicatorBase",
    "IndicatorDataPoint",
    "IndicatorExtensions",
    "IndicatorResult",
    "IndicatorStatus",
    "IndicatorUpdatedEvent",
    "LogReturn",
    "Maximum",
    "Minimum",
    "Momentum",
    "MomentumPercent",
    "MovingAverageConvergenceDivergence",
    "MovingAverageType",
    "ParabolicStopAndReverse",
    "ParabolicStopAndReverseExtended",
    "RateOfChange",
    "RateOfChangePercent",
    "RelativeStrengthIndex",
    "RollingWindow",
    "SimpleMovingAverage",
    "StandardDeviation",
    "Sum",
    "TrueRange",
    "Variance",
    "WilderMovingAverage",
    "WindowIndicator",
    "moving_average",
]

# Each class stands for LEAN's type of the same name; qclocal-only helpers have no LEAN type.
_QCLOCAL_ONLY = {"IndicatorUpdatedEvent", "moving_average"}
for _name in __all__:
    if _name not in _QCLOCAL_ONLY:
        lean_type(f"QuantConnect.Indicators.{_name}", guard_setting=False)(globals()[_name])  # hot path
