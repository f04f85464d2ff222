"""Market hours: LEAN's database when present; the exchange-calendar fallback must agree with it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from qclocal.data.market_hours import exchange_hours


def test_fallback_matches_leans_database_2005_2020(lean_data, tmp_path):
    lean = exchange_hours(lean_data, "equity", "usa", "SPY")
    fallback = exchange_hours(tmp_path, "equity", "usa", "SPY")  # no market-hours-database.json here
    day = date(2005, 1, 1)
    while day <= date(2020, 12, 31):
        assert lean.session(day) == fallback.session(day), day
        day += timedelta(days=1)
    assert lean.segments(date(2013, 10, 7), True) == fallback.segments(date(2013, 10, 7), True)


def test_open_means_regular_hours_start_included_end_excluded(lean_data):
    hours = exchange_hours(lean_data, "equity", "usa", "SPY")
    assert not hours.is_open(datetime(2013, 10, 7, 9, 29))
    assert hours.is_open(datetime(2013, 10, 7, 9, 30))
    assert not hours.is_open(datetime(2013, 10, 7, 16, 0))
    assert hours.is_open(datetime(2013, 10, 7, 16, 0), extended=True)
    assert hours.next_market_close(datetime(2013, 11, 29, 10)) == datetime(2013, 11, 29, 13, 0)  # early close


def test_vix_index_trades_on_chicago_time(lean_data):
    vix = exchange_hours(lean_data, "index", "usa", "VIX")
    assert vix.time_zone == "America/Chicago"
    assert vix.session(date(2013, 10, 7)) == (datetime(2013, 10, 7, 8, 30), datetime(2013, 10, 7, 15, 15))


def test_session_tables_are_cached_on_disk_and_read_back_unchanged(tmp_path, monkeypatch):
    from qclocal.data import calendars

    monkeypatch.setenv("QCLOCAL_CACHE", str(tmp_path))
    monkeypatch.setattr(calendars, "_cache", {})
    built = calendars.sessions("2019-01-01", "2019-12-31")
    assert [p.name.split("-")[1] for p in tmp_path.glob("sessions-*.npz")] == ["XNYS"]
    calendars._cache.clear()
    monkeypatch.setattr(calendars, "_build", lambda *args: pytest.fail("the cached table was rebuilt"))
    read = calendars.sessions("2019-01-01", "2019-12-31")
    pd.testing.assert_frame_equal(read, built, check_freq=False)
    assert read.attrs == built.attrs == {"tz": "America/New_York"}


def test_an_unreadable_session_cache_is_rebuilt(tmp_path, monkeypatch):
    from qclocal.data import calendars

    monkeypatch.setenv("QCLOCAL_CACHE", str(tmp_path))
    monkeypatch.setattr(calendars, "_cache", {})
    path = calendars._table_file("XNYS", calendars._SPAN_START, calendars._SPAN_END)
    path.write_bytes(b"not an npz file")
    assert len(calendars.sessions("2020-11-27", "2020-11-27")) == 1   # the early close after Thanksgiving
    assert calendars._read_table(path) is not None                    # replaced by the rebuilt table
