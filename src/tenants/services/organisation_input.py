"""Checking an organisation's fields before it is created or changed: the legal form of its
country, the KvK number, AGB code or organisationsnummer, and that no other organisation has the
same number; and what invoices need (VAT number, billing e-mail, Peppol ID)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from src.core.errors import InputError
from src.core.i18n import _
from src.tenants import legal_forms, validation
from src.tenants.services import users
from src.tenants.tables import Organisation

FIELDS = (
    "name",
    "country",
    "legal_form",
    "kvk_number",
    "agb_code",
    "org_number",
    "billing_address",
    "postal_address",
    "vat_number",
    "billing_email",
    "peppol_id",
)
# What invoices need: contact persons change these of their own organisation too.
BILLING_FIELDS = ("vat_number", "billing_email", "peppol_id")
MAX_ADDRESS = 1000


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def clean_organisation(data: Mapping[str, Any]) -> dict[str, Any]:
    """The organisation's fields checked and normalised; every problem at once as InputError."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    name = " ".join(_text(data.get("name")).split())
    if not name:
        errors["name"] = _("Enter the organisation's name.")
    elif len(name) > 200:
        errors["name"] = _("Use at most 200 characters.")
    elif problem := validation.hidden_character_problem(name):
        errors["name"] = problem
    values["name"] = name

    country = _text(data.get("country")).upper()
    if country not in legal_forms.COUNTRIES:
        errors["country"] = _("Choose the Netherlands (NL) or Sweden (SE).")
    values["country"] = country

    legal_form = _text(data.get("legal_form"))
    if not legal_form:
        errors["legal_form"] = _("Choose a legal form.")
    elif country in legal_forms.COUNTRIES and legal_form not in legal_forms.LEGAL_FORMS[country]:
        errors["legal_form"] = (
            _("This is not a Dutch legal form; choose one of the Dutch legal forms.")
            if country == "NL"
            else _("This is not a Swedish legal form; choose one of the Swedish legal forms.")
        )
    elif legal_forms.country_of(legal_form) is None:
        errors["legal_form"] = _("Choose a legal form.")
    values["legal_form"] = legal_form

    kvk = _text(data.get("kvk_number"))
    agb = _text(data.get("agb_code"))
    org_number = _text(data.get("org_number"))
    values["kvk_number"] = values["agb_code"] = values["org_number"] = None
    if country == "NL":
        if not kvk:
            errors["kvk_number"] = _("A Dutch organisation needs its KvK number.")
        else:
            values["kvk_number"] = _checked(validation.kvk_number, kvk, "kvk_number", errors)
        if agb:
            values["agb_code"] = _checked(validation.agb_code, agb, "agb_code", errors)
        if org_number:
            errors["org_number"] = _(
                "A Dutch organisation has no organisationsnummer; leave this field empty."
            )
    elif country == "SE":
        sole = legal_forms.is_sole_proprietorship(legal_form)
        if not org_number:
            errors["org_number"] = (
                _("For an enskild firma, enter the owner's personnummer as organisationsnummer.")
                if sole
                else _("A Swedish organisation needs its organisationsnummer.")
            )
        else:
            values["org_number"] = _checked(
                lambda v: validation.org_number(v, sole_proprietorship=sole), org_number, "org_number", errors
            )
        if kvk:
            errors["kvk_number"] = _("A Swedish organisation has no KvK number; leave this field empty.")
        if agb:
            errors["agb_code"] = _("A Swedish organisation has no AGB code; leave this field empty.")

    for field in ("billing_address", "postal_address"):
        text = "\n".join(line.rstrip() for line in _text(data.get(field)).replace("\r\n", "\n").split("\n"))
        if len(text) > MAX_ADDRESS:
            errors[field] = _("Use at most %(max)s characters.", max=MAX_ADDRESS)
        values[field] = text

    try:
        values.update(clean_billing(data))
    except InputError as exc:
        errors.update(exc.errors)

    if errors:
        raise InputError(errors)
    return values


def clean_billing(data: Mapping[str, Any]) -> dict[str, str]:
    """The invoicing fields checked and normalised, each empty when left out: the VAT number
    (any EU member state's, compact), the billing e-mail (empty: invoices go to the contact
    persons) and the Peppol ID (`scheme:identifier`)."""
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    vat = _text(data.get("vat_number"))
    values["vat_number"] = (_checked(validation.vat_number, vat, "vat_number", errors) or "") if vat else ""
    email = _text(data.get("billing_email"))
    values["billing_email"] = email
    if email:
        try:
            values["billing_email"] = users.clean_email(email, "billing_email")
        except InputError as exc:
            errors.update(exc.errors)
    peppol = _text(data.get("peppol_id"))
    values["peppol_id"] = (
        (_checked(validation.peppol_id, peppol, "peppol_id", errors) or "") if peppol else ""
    )
    if errors:
        raise InputError(errors)
    return values


def _checked(check: Any, value: str, field: str, errors: dict[str, str]) -> str | None:
    try:
        return str(check(value))
    except ValueError as exc:
        errors[field] = str(exc)
        return None


async def _duplicates(values: Mapping[str, Any], exclude_id: int | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, message in (
        ("kvk_number", _("Another organisation already has this KvK number: %(name)s.")),
        ("org_number", _("Another organisation already has this organisationsnummer: %(name)s.")),
    ):
        if not values.get(field):
            continue
        column = Organisation._meta.get_column_by_name(field)
        query = Organisation.select(Organisation.name).where(column == values[field])
        if exclude_id is not None:
            query = query.where(Organisation.id != exclude_id)
        other = await query.first()
        if other is not None:
            errors[field] = message % {"name": other["name"]}
    return errors


def _unique_violation(exc: Exception) -> str | None:
    """The field whose unique index refused the row, when `exc` is such a refusal."""
    if not isinstance(exc, sqlite3.IntegrityError | UniqueViolationError):
        return None
    text = str(exc)
    return next((f for f in ("kvk_number", "org_number") if f in text), None)


@contextlib.contextmanager
def _unique_index_as_field_error() -> Iterator[None]:
    """Two admins registering the same number at once: the unique index refuses the second,
    which gets the same field error as the check before the insert."""
    try:
        yield
    except Exception as exc:
        field = _unique_violation(exc)
        if field is None:
            raise
        message = (
            _("Another organisation already has this KvK number.")
            if field == "kvk_number"
            else _("Another organisation already has this organisationsnummer.")
        )
        raise InputError({field: message}) from exc


def snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in (*FIELDS, "status")}
