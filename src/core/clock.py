"""What time it is, for the whole portal: one place, so that a test can set it.

Dates that rules depend on (a notice period's end, a price change's earliest date, the day a
scheduled change takes effect) are days in the organisation's time zone, never the machine's."""

from __future__ import annotations

import datetime as dt

from src.core.i18n import timezone_for


def now() -> dt.datetime:
    """The current moment, in UTC."""
    return dt.datetime.now(dt.UTC)


def today(country: str | None = None) -> dt.date:
    """Today in the time zone of an organisation's country (the vendor's when none is given)."""
    return now().astimezone(timezone_for(country)).date()


def start_of(day: dt.date, country: str | None = None) -> dt.datetime:
    """The first moment of a day in the organisation's time zone, in UTC."""
    return dt.datetime.combine(day, dt.time(), timezone_for(country)).astimezone(dt.UTC)
