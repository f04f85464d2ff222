"""One way to read a date argument: anything pandas understands, with an error that names the argument."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd


def as_timestamp(value: date | datetime | str | pd.Timestamp, what: str) -> pd.Timestamp:
    """``value`` as a naive Timestamp (time zone dropped); ValueError naming ``what`` if it is not a date."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be a date, got {value!r}") from exc
    if pd.isna(stamp):
        raise ValueError(f"{what} must be a date, got {value!r}")
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def parameter_date(name: str, value: object) -> datetime:
    """A ``YYYY-MM-DD`` algorithm parameter as a datetime; ValueError naming the parameter otherwise."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"parameter {name} must be a date YYYY-MM-DD, got {value!r}") from None
