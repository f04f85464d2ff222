"""The indicator base classes: LEAN's ``IndicatorBase``/``Indicator``/``BarIndicator`` as seen from Python.

Update semantics follow LEAN's ``IndicatorBase<T>.Update``:

- a data-point indicator turns any non-``IndicatorDataPoint`` input into a point at the input's ``end_time``
  holding its ``close`` (bars) or ``value``;
- an input whose ``end_time`` is earlier than the previous input's (per symbol) is ignored, logged once;
- the very same object passed twice in a row is not counted again;
- ``samples`` counts before the value is computed, so ``_compute`` sees the 1-based sample number;
- ``current`` is a new point at the input's ``end_time``; subscribers of ``updated`` are called with it.
"""

from __future__ import annotations

import inspect
import logging
import math
import numbers
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any

from qclocal.engine.lean_api import LeanEnum

from .rolling_window import RollingWindow, _as_int

_log = logging.getLogger(__name__)

MIN_TIME = datetime.min


class IndicatorDataPoint:
    """A (time, value) point; ``end_time`` equals ``time`` as for LEAN's ``IndicatorDataPoint``."""

    __slots__ = ("symbol", "time", "value")

    def __init__(self, *args: Any) -> None:
        # LEAN constructors: (), (time, value), (symbol, time, value)
        if len(args) == 2:
            self.symbol = None
            self.time, value = args
        elif len(args) == 3:
            self.symbol, self.time, value = args
        elif not args:
            self.symbol, self.time, value = None, MIN_TIME, 0.0
        else:
            raise TypeError("IndicatorDataPoint takes (time, value) or (symbol, time, value)")
        self.value = _as_value(value)

    @property
    def end_time(self) -> Any:
        return self.time

    @end_time.setter
    def end_time(self, value: Any) -> None:
        self.time = value

    @property
    def price(self) -> float:
        return self.value

    def __float__(self) -> float:
        return float(self.value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IndicatorDataPoint):
            return other.time == self.time and other.value == self.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value, self.time))

    def __lt__(self, other: IndicatorDataPoint) -> bool:
        return self.value < other.value if isinstance(other, IndicatorDataPoint) else NotImplemented

    def __gt__(self, other: IndicatorDataPoint) -> bool:
        return self.value > other.value if isinstance(other, IndicatorDataPoint) else NotImplemented

    def __le__(self, other: IndicatorDataPoint) -> bool:
        return self.value <= other.value if isinstance(other, IndicatorDataPoint) else NotImplemented

    def __ge__(self, other: IndicatorDataPoint) -> bool:
        return self.value >= other.value if isinstance(other, IndicatorDataPoint) else NotImplemented

    def __repr__(self) -> str:
        time = self.time.isoformat(timespec="seconds") if isinstance(self.time, datetime) else str(self.time)
        return f"{time} - {self.value}"


def _point(symbol: Any, time: Any, value: float) -> IndicatorDataPoint:
    """Fast internal constructor (no argument parsing)."""
    p = _new_point(IndicatorDataPoint)
    p.symbol = symbol
    p.time = time
    p.value = value
    return p


_new_point = object.__new__
_isfinite = math.isfinite
_NO_SYMBOL = object()   # IndicatorBase._last_symbol before the first input


class IndicatorStatus(IntEnum, metaclass=LeanEnum):
    SUCCESS = 0
    INVALID_INPUT = 1
    MATH_ERROR = 2
    VALUE_NOT_READY = 3


class IndicatorResult:
    """A computed value plus a status; only ``SUCCESS`` results become the indicator's ``current``."""

    __slots__ = ("status", "value")

    def __init__(self, value: float, status: IndicatorStatus = IndicatorStatus.SUCCESS) -> None:
        self.value = _as_value(value)
        self.status = IndicatorStatus(status)


class IndicatorUpdatedEvent:
    """LEAN's ``Updated`` event seen from Python: ``indicator.updated += handler(sender, point)``."""

    __slots__ = ("_handlers",)

    def __init__(self) -> None:
        self._handlers: list[Callable[[Any, IndicatorDataPoint], Any]] = []

    def __iadd__(self, handler: Callable[[Any, IndicatorDataPoint], Any]) -> IndicatorUpdatedEvent:
        if not callable(handler):
            raise TypeError(f"an updated handler must be callable(sender, point), got {handler!r}")
        self._handlers.append(handler)
        return self

    def __isub__(self, handler: Callable[[Any, IndicatorDataPoint], Any]) -> IndicatorUpdatedEvent:
        # like removing a .NET delegate: the last matching subscription goes, a missing one is a no-op
        for i in range(len(self._handlers) - 1, -1, -1):
            if self._handlers[i] == handler:
                del self._handlers[i]
                break
        return self

    def __call__(self, sender: Any, point: IndicatorDataPoint) -> None:
        for handler in tuple(self._handlers):
            handler(sender, point)

    def __len__(self) -> int:
        return len(self._handlers)


class IndicatorBase:
    """Common state and Python-facing behaviour of every indicator."""

    _takes_bars = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.samples = 0
        self._updated = IndicatorUpdatedEvent()
        self._handlers = self._updated._handlers
        # the previous input per symbol: the latest symbol's in two attributes (no Symbol hashing per update),
        # the others' in the dict
        self._last_symbol: Any = _NO_SYMBOL
        self._last_input: Any = None
        self._previous_input: dict[Any, Any] = {}
        self._logged_forward_error = False
        self._window = RollingWindow(2)
        self._current = _point(None, MIN_TIME, 0.0)
        self._window.add(self._current)

    # --- state exposed to algorithms ---
    @property
    def is_ready(self) -> bool:
        raise NotImplementedError(f"{type(self).__name__}.is_ready")

    @property
    def warm_up_period(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}.warm_up_period")

    @property
    def current(self) -> IndicatorDataPoint:
        return self._current

    @property
    def previous(self) -> IndicatorDataPoint:
        window = self._window
        return window[1] if window.count > 1 else _point(None, MIN_TIME, 0.0)

    @property
    def window(self) -> RollingWindow:
        """The indicator's own recent values (LEAN: two by default; indexing past the end grows it)."""
        return self._window

    @property
    def updated(self) -> IndicatorUpdatedEvent:
        return self._updated

    @updated.setter
    def updated(self, value: IndicatorUpdatedEvent) -> None:
        if value is not self._updated:
            raise AttributeError("'updated' is an event: subscribe with `+= handler`, unsubscribe with `-= handler`")

    # --- updating ---
    def update(self, *args: Any) -> bool:
        """Update with ``(time, value)``, an ``IndicatorDataPoint`` or a bar; returns ``is_ready``."""
        if len(args) == 1:
            data = args[0]
        elif len(args) == 2:
            if self._takes_bars:
                raise TypeError(
                    f"{type(self).__name__} does not support update(time, value): "
                    "use update(TradeBar) or update(QuoteBar)"
                )
            data = _point(None, args[0], _as_value(args[1]))
        else:
            raise TypeError(f"{type(self).__name__}.update() takes (time, value) or one data object")

        if self._takes_bars:
            if isinstance(data, IndicatorDataPoint) or not hasattr(data, "high"):
                raise TypeError(
                    f"{type(self).__name__}.update() needs a bar with open/high/low/close, "
                    f"got {type(data).__name__}"
                )
            point = data
            end_time = getattr(data, "end_time", None)
            if end_time is None:
                raise TypeError(f"{type(self).__name__}.update(): the bar has no end_time")
        elif type(data) is IndicatorDataPoint:
            point = data
            end_time = data.time
            if not math.isfinite(data.value):
                raise ValueError(f"{self.name}: cannot update with a non-finite value {data.value!r}")
        else:
            end_time = _end_time(data)
            point = _point(getattr(data, "symbol", None), end_time, _bar_value(data))

        self._ingest(data, point, end_time, getattr(data, "symbol", None))
        return self.is_ready

    def _ingest_point(self, point: IndicatorDataPoint) -> None:
        """Internal fast path: update with a point produced by another indicator (no readiness evaluation)."""
        self._ingest(point, point, point.time, point.symbol)

    def _update_data(self, data: Any) -> None:
        """The engine's fast path for a bar or custom data point from the feed (always with ``symbol``,
        ``end_time`` and a float ``close``): what ``update(data)`` does, without the argument checks and the
        readiness evaluation."""
        if self._takes_bars:
            self._ingest(data, data, data.end_time, data.symbol)
            return
        value = data.close
        if not _isfinite(value):
            raise ValueError(f"{self.name}: cannot update with a non-finite value {value!r}")
        point = _new_point(IndicatorDataPoint)
        point.symbol = symbol = data.symbol
        point.time = end_time = data.end_time
        point.value = float(value)
        self._ingest(data, point, end_time, symbol)

    def _ingest(self, data: Any, point: Any, end_time: Any, symbol: Any) -> None:
        last = self._last_symbol
        same_symbol = symbol is last or symbol == last
        previous = self._last_input if same_symbol else self._previous_input.get(symbol)
        if previous is not None:
            if end_time < (previous.time if type(previous) is IndicatorDataPoint else previous.end_time):
                if not self._logged_forward_error:
                    self._logged_forward_error = True
                    _log.error(
                        "IndicatorBase.Update(): This is a forward only indicator: %s Input: %s Previous: %s. "
                        "It will not be updated with this input.", self.name, end_time, previous.end_time
                    )
                return
            if data is previous:
                return
        self.samples += 1
        if not same_symbol:
            if last is not _NO_SYMBOL:
                self._previous_input[last] = self._last_input
            self._last_symbol = symbol
        self._last_input = point
        value = self._compute(point)
        if value is not None:
            current = _new_point(IndicatorDataPoint)
            current.symbol, current.time, current.value = symbol, end_time, value
            self._current = current
            window = self._window   # RollingWindow._add_unchecked, inline: this runs for every update
            items = window._items
            if len(items) == window._size:
                window._removed = items.pop()
            items.appendleft(current)
            window._samples += 1
            if self._handlers:
                self._updated(self, current)

    def _compute(self, data: Any) -> float | None:
        """Return the next value, or None when the result is not a success (no new ``current``)."""
        raise NotImplementedError(f"{type(self).__name__}._compute")

    def reset(self) -> None:
        """Return to the freshly constructed state (subscriptions to ``updated`` are kept)."""
        self.samples = 0
        self._last_symbol, self._last_input = _NO_SYMBOL, None
        self._previous_input.clear()
        self._window.reset()
        self._current = _point(None, MIN_TIME, 0.0)
        self._window.add(self._current)

    # --- Python conveniences mirroring LEAN's operators ---
    def __getitem__(self, index: int) -> IndicatorDataPoint:
        return self._window[index]

    def __iter__(self) -> Iterator[IndicatorDataPoint]:
        return iter(self._window)

    def __float__(self) -> float:
        return float(self._current.value)

    def __lt__(self, other: object) -> bool:
        v = _compare_value(other)
        return NotImplemented if v is None else self._current.value < v

    def __gt__(self, other: object) -> bool:
        v = _compare_value(other)
        return NotImplemented if v is None else self._current.value > v

    def __le__(self, other: object) -> bool:
        v = _compare_value(other)
        return NotImplemented if v is None else self._current.value <= v

    def __ge__(self, other: object) -> bool:
        v = _compare_value(other)
        return NotImplemented if v is None else self._current.value >= v

    def __eq__(self, other: object) -> bool:
        # LEAN: an indicator equals another indicator only if it is the same object; against a number it
        # compares the current value.
        if isinstance(other, IndicatorBase):
            return self is other
        v = _compare_value(other)
        return False if v is None else self._current.value == v

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __str__(self) -> str:
        text = f"{self._current.value:.5f}".rstrip("0")
        return text + "0" if text.endswith(".") else text

    def __repr__(self) -> str:
        return f"{self.name} - {self}"


class Indicator(IndicatorBase):
    """An indicator fed with single values (``IndicatorDataPoint``)."""


class BarIndicator(IndicatorBase):
    """An indicator fed with bars (objects with open/high/low/close and end_time)."""

    _takes_bars = True


class ConstantIndicator(Indicator):
    """Always ready, always ``value``."""

    def __class_getitem__(cls, _item: Any) -> type[ConstantIndicator]:
        return cls

    def __init__(self, name: str, value: float) -> None:
        super().__init__(name)
        self._value = _as_value(value)
        self._current = _point(None, MIN_TIME, self._value)
        self._window.add(self._current)

    @property
    def is_ready(self) -> bool:
        return True

    @property
    def warm_up_period(self) -> int:
        return 0

    def _compute(self, data: Any) -> float:
        return self._value

    def reset(self) -> None:
        super().reset()
        self._current = _point(None, MIN_TIME, self._value)
        self._window.add(self._current)


class Identity(Indicator):
    """Passes its input through; ready after one sample."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)

    @property
    def is_ready(self) -> bool:
        return self.samples > 0

    @property
    def warm_up_period(self) -> int:
        return 1

    def _compute(self, data: IndicatorDataPoint) -> float:
        return data.value


# --- helpers shared by the indicator modules ---
def _as_value(value: Any) -> float:
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"an indicator value must be a number, got {value!r}")
    if isinstance(value, IndicatorBase):
        value = value.current.value
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"an indicator value must be finite, got {value!r}")
    return result


def _end_time(data: Any) -> Any:
    end_time = getattr(data, "end_time", None)
    if end_time is None:
        end_time = getattr(data, "time", None)
        if end_time is None:
            raise TypeError(f"cannot update an indicator with {type(data).__name__}: it has no end_time or time")
    return end_time


def _bar_value(data: Any) -> float:
    value = getattr(data, "close", None)
    if value is None:
        value = getattr(data, "value", None)
        if value is None:
            raise TypeError(
                f"cannot update an indicator with {type(data).__name__}: expected (time, value), an "
                "IndicatorDataPoint or a data object with close/value"
            )
    return _as_value(value)


def _compare_value(other: object) -> float | None:
    if isinstance(other, IndicatorBase):
        return other._current.value
    if isinstance(other, numbers.Real | Decimal) and not isinstance(other, bool):
        return float(other)
    return None


def check_period(value: Any, what: str = "period", minimum: int = 1) -> int:
    """An integer period of at least ``minimum``, or a clear error."""
    period = _as_int(value, what)
    if period < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {period}")
    return period


def format_number(value: Any) -> str:
    """Format a parameter the way LEAN prints a decimal in a name: 2 -> '2', 0.02 -> '0.02'."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def bind_overload(
    cls_name: str, spec: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """Bind LEAN-style overloads: an optional leading ``name`` string, then ``spec``'s parameters."""
    name = kwargs.pop("name", None)
    if args and isinstance(args[0], str):
        if name is not None:
            raise TypeError(f"{cls_name}() got the name twice")
        name, args = args[0], args[1:]
    try:
        bound = inspect.signature(spec).bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{cls_name}(): {exc}") from None
    bound.apply_defaults()
    return name, dict(bound.arguments)
