"""Countries and the legal forms an organisation can have in each, with translatable labels.

The codes are stored on the organisation (`Organisation.legal_form`); the labels are shown.
A sole proprietorship (eenmanszaak, enskild firma) matters for rule AG-4: in Sweden its
organisationsnummer is the owner's personnummer."""

from __future__ import annotations

import functools

from babel.support import LazyProxy

from src.core.i18n import N_, current_locale

COUNTRIES: dict[str, LazyProxy] = {
    "NL": N_("Netherlands"),
    "SE": N_("Sweden"),
}

LEGAL_FORMS: dict[str, dict[str, LazyProxy]] = {
    "NL": {
        "bv": N_("Besloten vennootschap (B.V.)"),
        "nv": N_("Naamloze vennootschap (N.V.)"),
        "eenmanszaak": N_("Eenmanszaak (sole proprietorship)"),
        "vof": N_("Vennootschap onder firma (V.O.F.)"),
        "maatschap": N_("Maatschap (partnership)"),
        "stichting": N_("Stichting (foundation)"),
        "vereniging": N_("Vereniging (association)"),
        "cooperatie": N_("Coöperatie (cooperative)"),
        "publiekrechtelijk": N_("Publiekrechtelijke rechtspersoon (public body)"),
    },
    "SE": {
        "aktiebolag": N_("Aktiebolag (AB)"),
        "enskild_firma": N_("Enskild firma (sole proprietorship)"),
        "handelsbolag": N_("Handelsbolag (HB)"),
        "kommanditbolag": N_("Kommanditbolag (KB)"),
        "ekonomisk_forening": N_("Ekonomisk förening (economic association)"),
        "ideell_forening": N_("Ideell förening (non-profit association)"),
        "stiftelse": N_("Stiftelse (foundation)"),
        "region_kommun": N_("Region or kommun (public body)"),
    },
}

# Short names for tables; the full label is the title.
SHORT_LABELS: dict[str, LazyProxy] = {
    "bv": N_("B.V."),
    "nv": N_("N.V."),
    "eenmanszaak": N_("Eenmanszaak"),
    "vof": N_("V.O.F."),
    "maatschap": N_("Maatschap"),
    "stichting": N_("Stichting"),
    "vereniging": N_("Vereniging"),
    "cooperatie": N_("Coöperatie"),
    "publiekrechtelijk": N_("Publiekrechtelijk"),
    "aktiebolag": N_("AB"),
    "enskild_firma": N_("Enskild firma"),
    "handelsbolag": N_("HB"),
    "kommanditbolag": N_("KB"),
    "ekonomisk_forening": N_("Ek. förening"),
    "ideell_forening": N_("Ideell förening"),
    "stiftelse": N_("Stiftelse"),
    "region_kommun": N_("Region/kommun"),
}

SOLE_PROPRIETORSHIPS = frozenset({"eenmanszaak", "enskild_firma"})


@functools.cache
def _labels(locale: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Country, legal form and short legal form labels in one language, translated once (the
    catalogues do not change while the portal runs; lists show them on every row)."""
    token = current_locale.set(locale)
    try:
        countries = {code: str(label) for code, label in COUNTRIES.items()}
        forms = {code: str(label) for country in LEGAL_FORMS.values() for code, label in country.items()}
        short = {code: str(label) for code, label in SHORT_LABELS.items()}
    finally:
        current_locale.reset(token)
    return countries, forms, short


def country_label(code: str | None) -> str:
    return _labels(current_locale.get())[0].get(code or "", code or "")


def legal_form_label(code: str | None) -> str:
    """The label in the current language; an unknown code is shown as it is."""
    return _labels(current_locale.get())[1].get(code or "", code or "")


def legal_form_short(code: str | None) -> str:
    short = _labels(current_locale.get())[2].get(code or "")
    return short if short is not None else legal_form_label(code)


def legal_forms_of(country: str) -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in LEGAL_FORMS.get(country, {}).items()]


def all_legal_forms() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(country code, country label, [(form code, form label)]) for grouped choices."""
    return [(country, country_label(country), legal_forms_of(country)) for country in LEGAL_FORMS]


def country_of(legal_form: str) -> str | None:
    return next((country for country, forms in LEGAL_FORMS.items() if legal_form in forms), None)


def is_sole_proprietorship(legal_form: str | None) -> bool:
    return legal_form in SOLE_PROPRIETORSHIPS
