"""Translations (gettext catalogues compiled by Babel) and locale-aware formatting.

The locale of the current request lives in a ContextVar, so services, templates and
mails translate with the same `_()`."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import get_datetime_format
from babel.numbers import format_currency, format_decimal
from babel.support import LazyProxy, NullTranslations, Translations

LOCALES = ("nl", "sv", "en")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGE_NAMES = {"nl": "Nederlands", "sv": "Svenska", "en": "English"}
TIMEZONES = {"NL": "Europe/Amsterdam", "SE": "Europe/Stockholm"}
LANGUAGE_OF_COUNTRY = {"NL": "nl", "SE": "sv"}


def language_of(country: str | None) -> str:
    """The language letters to an organisation are written in: its country's, else English."""
    return LANGUAGE_OF_COUNTRY.get(country or "", DEFAULT_LOCALE)


current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale.get()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ungettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def lazy_gettext(message: str, **variables: object) -> LazyProxy:
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext
N_ = lazy_gettext


def negotiate(accept_language: str | None) -> str | None:
    """The best of our locales for an Accept-Language header, or None."""
    if not accept_language:
        return None
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        lang, _sep, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((quality, lang.strip().lower()))
    for _q, lang in sorted(weighted, key=lambda item: -item[0]):
        primary = lang.split("-")[0]
        if primary in LOCALES:
            return primary
    return None


def pick_locale(saved: str | None, cookie: str | None, accept_language: str | None) -> str:
    for candidate in (saved, cookie):
        if candidate in LOCALES:
            return candidate
    return negotiate(accept_language) or DEFAULT_LOCALE


def _babel_locale() -> Locale:
    code = {"nl": "nl_NL", "sv": "sv_SE", "en": "en_GB"}[current_locale.get()]
    try:
        return Locale.parse(code)
    except UnknownLocaleError:  # pragma: no cover
        return Locale.parse("en")


def timezone_for(country: str | None) -> ZoneInfo:
    return ZoneInfo(TIMEZONES.get(country or "", "Europe/Amsterdam"))


def format_count(value: int) -> str:
    """A whole number as the current language writes it: 10.000 (nl), 10 000 (sv), 10,000 (en)."""
    if -1000 < value < 1000:
        return str(value)
    return _count(value, current_locale.get())


@lru_cache(maxsize=4096)
def _count(value: int, locale: str) -> str:
    return format_decimal(value, locale=locale)


def format_date(value: dt.date | dt.datetime | None) -> str:
    """A day as the current language writes it, the one date format of the portal: 4 Dec 2026
    (en), 4 dec 2026 (nl), 4 dec. 2026 (sv)."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, dt.datetime) else value  # as Babel does
    return _format_day(day, current_locale.get())


@lru_cache(maxsize=4096)
def _format_day(day: dt.date, locale: str) -> str:
    """Lists show the same few days over and over; Babel formats each one once."""
    return _babel_date(day, format="medium", locale=_babel_locale())


def format_datetime(value: dt.datetime | None, country: str | None = None) -> str:
    """A moment as the current language writes it, the one date-time format of the portal: the
    day as format_date writes it, then the time to the minute in the organisation's time zone,
    named: 4 Dec 2026, 15:07 CET (en), 4 dec 2026, 15:07 CET (nl), 4 dec. 2026 15:07 CET (sv).
    A time stored without a zone is UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    locale = _babel_locale()
    zone = timezone_for(country)
    local = value.astimezone(zone)
    time = _babel_time(local, "HH:mm zzz", tzinfo=zone, locale=locale)
    return str(get_datetime_format("medium", locale=locale)).format(time, format_date(local.date()))


def format_money(cents: int, currency: str = "EUR") -> str:
    from decimal import Decimal

    return format_currency(Decimal(cents) / 100, currency, locale=_babel_locale())
