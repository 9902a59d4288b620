"""Today is the organisation's today, whatever the machine's time zone."""

import datetime as dt

from src.core import clock


def test_today_is_counted_in_the_organisations_time_zone(monkeypatch):
    # 23:30 UTC on 4 December is already 5 December in Amsterdam and Stockholm.
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC))
    assert clock.today("NL") == dt.date(2026, 12, 5)
    assert clock.today("SE") == dt.date(2026, 12, 5)
    assert clock.today() == dt.date(2026, 12, 5)


def test_a_day_starts_at_local_midnight():
    assert clock.start_of(dt.date(2027, 7, 1), "NL") == dt.datetime(2027, 6, 30, 22, tzinfo=dt.UTC)
    assert clock.start_of(dt.date(2027, 1, 1), "SE") == dt.datetime(2026, 12, 31, 23, tzinfo=dt.UTC)
