"""LEAN's ``RollingWindow``: a fixed-size window whose index 0 is the newest item.

Semantics follow LEAN's ``Common/Indicators/RollingWindow.cs``:

- ``RollingWindow(n)`` and the generic form ``RollingWindow[float](n)``; a typed window converts (``float``,
  ``int``, ``bool``, ``str``) or type-checks (classes) every added item.
- ``window[i]`` for ``count <= i < size`` returns the type's default (``0.0`` for float, else ``None``); an
  index at or past ``size`` grows the window to ``i + 1`` and returns the default, as LEAN does.
- Negative indexes count from the oldest item (``window[-1]`` is the oldest); below ``-size`` is an error.
- Iteration is newest first. There is no ``len()``: LEAN's window is not a .NET collection; use ``count``.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Iterator
from typing import Any, ClassVar

_CONVERTERS: dict[type, Any] = {float: float, int: int, bool: bool, str: str}
_DEFAULTS: dict[type, Any] = {float: 0.0, int: 0, bool: False}


class RollingWindow:
    """A window of the most recent ``size`` items, newest at index 0."""

    _item_type: ClassVar[Any] = None
    _typed_classes: ClassVar[dict[Any, type[RollingWindow]]] = {}

    def __class_getitem__(cls, item_type: Any) -> type[RollingWindow]:
        cached = RollingWindow._typed_classes.get(item_type)
        if cached is None:
            label = getattr(item_type, "__name__", repr(item_type))
            cached = type(f"RollingWindow[{label}]", (RollingWindow,), {"_item_type": item_type})
            RollingWindow._typed_classes[item_type] = cached
        return cached

    def __init__(self, size: int) -> None:
        size = _as_int(size, "size")
        if size < 0:
            raise ValueError("RollingWindow must have size of at least 0.")
        self._size = size
        self._items: deque[Any] = deque()  # newest at the left
        self._samples = 0
        self._removed: Any = None
        item_type = self._item_type
        self._convert = _CONVERTERS.get(item_type) if isinstance(item_type, type) else None
        self._check_type = item_type if isinstance(item_type, type) and self._convert is None else None
        self._default = _DEFAULTS.get(item_type) if isinstance(item_type, type) else None

    # --- properties (LEAN: Size, Count, Samples, IsReady, MostRecentlyRemoved) ---
    @property
    def size(self) -> int:
        return self._size

    @size.setter
    def size(self, value: int) -> None:
        self._resize(_as_int(value, "size"))

    @property
    def count(self) -> int:
        return len(self._items)

    @property
    def samples(self) -> int:
        return self._samples

    @property
    def is_ready(self) -> bool:
        return self._samples >= self._size

    @property
    def most_recently_removed(self) -> Any:
        if self._samples <= self._size:
            raise RuntimeError("No items have been removed yet!")
        return self._removed

    # --- mutation ---
    def add(self, item: Any) -> None:
        """Add ``item`` as the newest element, dropping the oldest when the window is full."""
        if self._convert is not None:
            item = self._convert_item(item)
        elif self._check_type is not None and not isinstance(item, self._check_type):
            raise TypeError(
                f"{type(self).__name__}.add() expected {self._check_type.__name__}, got {type(item).__name__}"
            )
        items = self._items
        if len(items) == self._size:
            if self._size == 0:
                raise ValueError("cannot add to a RollingWindow of size 0; set its size first")
            self._removed = items.pop()
        items.appendleft(item)
        self._samples += 1

    def reset(self) -> None:
        """Clear the items and the sample count; the size is kept."""
        self._items.clear()
        self._samples = 0
        self._removed = None

    # --- indexing and iteration ---
    def __getitem__(self, index: int) -> Any:
        i = _as_int(index, "index")
        items = self._items
        if i < 0:
            if self._size + i < 0:
                raise IndexError(f"Index must be a non-negative integer (got {i} for a window of size {self._size})")
            i = len(items) + i
            if i < 0:
                return self._default
        if i >= len(items):
            if i >= self._size:
                self._resize(i + 1)
            return self._default
        return items[i]

    def __setitem__(self, index: int, value: Any) -> None:
        i = _as_int(index, "index")
        if i < 0:
            if self._size + i < 0:
                raise IndexError(f"Index must be a non-negative integer (got {i} for a window of size {self._size})")
            i = self._size + i
        if self._convert is not None:
            value = self._convert_item(value)
        if i >= len(self._items):
            if i >= self._size:
                self._resize(i + 1)
            # LEAN pads by adding defaults as the newest items, then writes index i.
            for _ in range(i - len(self._items) + 1):
                self._add_unchecked(self._default)
        self._items[i] = value

    def __iter__(self) -> Iterator[Any]:
        return iter(tuple(self._items))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self._size}, count={len(self._items)}, samples={self._samples})"

    # --- helpers ---
    def _add_unchecked(self, item: Any) -> None:
        items = self._items
        if len(items) == self._size:
            self._removed = items.pop()
        items.appendleft(item)
        self._samples += 1

    def _convert_item(self, item: Any) -> Any:
        if item is None or (isinstance(item, str | bytes) and self._item_type is not str):
            raise TypeError(f"{type(self).__name__} cannot hold {item!r}")
        convert = self._convert
        assert convert is not None
        return convert(item)

    def _resize(self, size: int) -> None:
        if size < 0:
            raise ValueError("RollingWindow must have size of at least 0.")
        while len(self._items) > size:
            self._items.pop()  # drop the oldest
        self._size = size


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {value!r}") from None
