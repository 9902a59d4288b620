"""Identifiers of organisations and people, checked as their registers define them.

- KvK number (NL Chamber of Commerce): 8 digits.
- AGB code (NL healthcare provider register): 8 digits.
- BSN (NL citizen service number): 9 digits passing the eleven test.
- Organisationsnummer (SE): 10 digits (12 with a "16" prefix), Luhn check on the last 10.
- Personnummer / samordningsnummer (SE): 12 digits YYYYMMDDNNNC (10 accepted and
  completed with the century: the most recent past one, one further back after a "+"),
  a real date (day + 60 for samordningsnummer), Luhn check.
- VAT number (EU): country prefix, format and check digits as python-stdnum knows them.
- Peppol participant identifier: `scheme:identifier` of a few schemes (KvK, OIN, GLN,
  organisationsnummer, NL and SE VAT numbers).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from stdnum import ean as _stdnum_ean
from stdnum.eu import vat as _stdnum_vat
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.se import orgnr as _stdnum_orgnr

from src.core.i18n import _

_DIGITS = re.compile(r"[0-9]+")


def digits_only(value: str) -> str:
    return re.sub(r"[\s\-+.]", "", value or "")


def is_digits(value: str) -> bool:
    """Only the digits 0-9 (str.isdigit also takes ², ٣ and other scripts' digits)."""
    return _DIGITS.fullmatch(value) is not None


# Joiners some scripts need inside words (Persian, Indic names); every other control or format
# character is invisible and can change how the text around it reads: U+202E turns the rest
# of a line around ("Bakker\u202eV.B" shows as "BakkerB.V").
_VISIBLE_JOINERS = frozenset("\u200c\u200d")


def hidden_character(value: str) -> str | None:
    """The first invisible control or format character of the text (bidi overrides and isolates,
    zero-width spaces, control codes) as U+XXXX; None when it has none."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf") and ch not in _VISIBLE_JOINERS:
            return f"U+{ord(ch):04X}"
    return None


def hidden_character_problem(value: str) -> str | None:
    """What is wrong with text that holds an invisible character, naming it; None when nothing is."""
    if code := hidden_character(value):
        return _(
            "This text holds the invisible control character %(code)s, which can change how the text "
            "reads. Remove it.",
            code=code,
        )
    return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == len(digits) % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def kvk_number(value: str) -> str:
    v = digits_only(value)
    if not (len(v) == 8 and is_digits(v)):
        raise ValueError(_("A KvK number has 8 digits."))
    return v


def agb_code(value: str) -> str:
    v = digits_only(value)
    if not (len(v) == 8 and is_digits(v)):
        raise ValueError(_("An AGB code has 8 digits."))
    return v


def bsn(value: str) -> str:
    v = digits_only(value)
    if not (len(v) == 9 and is_digits(v)):
        raise ValueError(_("A BSN has 9 digits."))
    total = sum(int(d) * w for d, w in zip(v[:8], range(9, 1, -1), strict=True)) - int(v[8])
    if total % 11 != 0:
        raise ValueError(_("This BSN does not pass the eleven test; check for a typing error."))
    return v


def _date_part_ok(yyyymmdd: str) -> bool:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    if day > 60:  # samordningsnummer
        day -= 60
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def personnummer(value: str, today: dt.date | None = None) -> str:
    """Normalised to 12 digits."""
    v = digits_only(value)
    if not is_digits(v) or len(v) not in (10, 12):
        raise ValueError(_("A personnummer has 10 or 12 digits (YYYYMMDD-NNNN)."))
    if len(v) == 10:
        today = today or dt.date.today()
        century = today.year // 100
        year = century * 100 + int(v[:2])
        if year > today.year:
            year -= 100
        if "+" in value:  # the short form of someone 100 or older uses "+" as separator
            year -= 100
        v = f"{year}{v[2:]}"
    if not _date_part_ok(v[:8]):
        raise ValueError(_("The date in this personnummer does not exist."))
    if not luhn_ok(v[2:]):
        raise ValueError(_("This personnummer fails its check digit; check for a typing error."))
    return v


def org_number(value: str, *, sole_proprietorship: bool = False) -> str:
    """An organisationsnummer; for an enskild firma it is the owner's personnummer."""
    if sole_proprietorship:
        return personnummer(value)
    v = digits_only(value)
    if len(v) == 12 and v.startswith("16"):
        v = v[2:]
    if not (len(v) == 10 and is_digits(v)):
        raise ValueError(_("An organisationsnummer has 10 digits (NNNNNN-NNNN)."))
    if int(v[2:4]) < 20:
        raise ValueError(_("In an organisationsnummer the third and fourth digits are at least 20."))
    if not luhn_ok(v):
        raise ValueError(_("This organisationsnummer fails its check digit; check for a typing error."))
    return v


def personal_identity_number(value: str, country: str) -> str:
    """The number a person's e-ID carries: a BSN in the Netherlands, a personnummer in Sweden."""
    return bsn(value) if country == "NL" else personnummer(value)


# --- what invoices need: VAT number and Peppol participant identifier -----------------------------

# Peppol participant identifier schemes (ISO 6523 ICD codes and Peppol's own 99xx codes) the portal
# takes, with what their identifier looks like.
PEPPOL_SCHEMES = ("0106", "0190", "0007", "0088", "9944", "9955")
MAX_PEPPOL_ID = 64


def vat_number(value: str) -> str:
    """An EU VAT number, prefix and check digits checked (python-stdnum), compact and upper case.
    Its country may differ from the organisation's: some groups are registered abroad."""
    compact = re.sub(r"[\s.\-/]", "", value or "").upper()
    if len(compact) < 3 or not compact[:2].isalpha():
        raise ValueError(_("A VAT number starts with its country code, such as NL or SE."))
    if compact[:2].lower() not in _stdnum_vat.MEMBER_STATES and compact[:2] != "EL":  # EL: Greece
        raise ValueError(_("This is not a VAT number of an EU member state."))
    try:
        return str(_stdnum_vat.validate(compact)).upper()
    except InvalidChecksum:
        raise ValueError(_("This VAT number fails its check digits; check for a typing error.")) from None
    except ValidationError:
        raise ValueError(
            _(
                "This is not a valid VAT number of %(country)s; check its length and format.",
                country=compact[:2],
            )
        ) from None


def vat_display(value: str | None) -> str:
    """A stored VAT number as people read it: prefix and number in the country's own layout where
    python-stdnum knows one (PL 123-456-32-18), else as registered (NL100000009B01)."""
    if not value:
        return ""
    formatter = getattr(_stdnum_vat._get_cc_module(value[:2].lower()), "format", None)
    if formatter is None:
        return value
    formatted = str(formatter(value[2:]))
    return formatted if formatted[:2].isalpha() else f"{value[:2]} {formatted}"


def peppol_id(value: str) -> str:
    """A Peppol participant identifier `scheme:identifier`, the identifier checked as its scheme
    defines it; stored without spaces, upper case for VAT numbers."""
    text = "".join((value or "").split())
    scheme, sep, identifier = text.partition(":")
    if not sep or not scheme or not identifier:
        raise ValueError(_("A Peppol ID is a scheme and an identifier, such as 0106:58300212."))
    if scheme not in PEPPOL_SCHEMES:
        raise ValueError(_("Use one of the schemes %(schemes)s.", schemes=", ".join(PEPPOL_SCHEMES)))
    if len(text) > MAX_PEPPOL_ID:
        raise ValueError(_("Use at most %(max)s characters.", max=MAX_PEPPOL_ID))
    return f"{scheme}:{_PEPPOL_CHECKS[scheme](identifier)}"


def _kvk_peppol(identifier: str) -> str:
    return kvk_number(identifier)


def _oin(identifier: str) -> str:
    if not (len(identifier) == 20 and is_digits(identifier)):
        raise ValueError(_("An OIN (scheme 0190) has 20 digits."))
    return identifier


def _orgnr(identifier: str) -> str:
    digits = digits_only(identifier)
    if not (len(digits) == 10 and is_digits(digits)):
        raise ValueError(_("An organisationsnummer (scheme 0007) has 10 digits."))
    if not _stdnum_orgnr.is_valid(digits):
        raise ValueError(_("This organisationsnummer fails its check digit; check for a typing error."))
    return digits


def _gln(identifier: str) -> str:
    if not (len(identifier) == 13 and is_digits(identifier)):
        raise ValueError(_("A GLN (scheme 0088) has 13 digits."))
    if not _stdnum_ean.is_valid(identifier):
        raise ValueError(_("This GLN fails its check digit; check for a typing error."))
    return identifier


def _vat_of(country: str) -> Any:
    def check(identifier: str) -> str:
        number = vat_number(identifier)
        if not number.startswith(country):
            raise ValueError(
                _("With this scheme the identifier is a VAT number of %(country)s.", country=country)
            )
        return number

    return check


_PEPPOL_CHECKS: dict[str, Any] = {
    "0106": _kvk_peppol,
    "0190": _oin,
    "0007": _orgnr,
    "0088": _gln,
    "9944": _vat_of("NL"),
    "9955": _vat_of("SE"),
}
