"""The PDF of a final invoice or credit note, in the invoice's language (004 §1.7).

It carries what Dutch law (Wet OB art. 35a) and Swedish law (ML 17 kap.) ask of an invoice: the
vendor's and the customer's names, addresses and VAT numbers, the number and date, the period of
the service, each line's quantity, unit price and VAT rate, the VAT per rate, the total, the due
date, the payment reference and the vendor's account; "VAT reverse-charged" when it is; a credit
note names the invoice it credits and why. The payment terms are printed (rule BIL-6).

Rendered by a worker (src.billing.services.documents), never in a web request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel import Locale

from src.billing.services import invoicing, reference, vat
from src.billing.services.proration import Period
from src.core import i18n
from src.core.pdf import render_pdf
from src.settings import get_settings

TEMPLATE = "billing/pdf_invoice.html"


def service_period(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> tuple[dt.date, dt.date] | None:
    """The first and last day the lines bill (the month's when no line names its days)."""
    firsts = [x["first_day"] for x in lines if x.get("first_day")]
    lasts = [x["last_day"] for x in lines if x.get("last_day")]
    if firsts and lasts:
        return min(firsts), max(lasts)
    try:
        period = Period.parse(invoice["period"])
    except (KeyError, ValueError):
        return None
    return period.first, period.end - dt.timedelta(days=1)


def context(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """What the template shows: the invoice, its lines as a person reads them, the VAT per rate
    and the vendor's details (VENDOR_* settings)."""
    settings = get_settings()
    readable = [invoicing._readable(x, invoice["period"]) for x in lines]
    parts = vat.breakdown(
        (vat.Category(x["vat_category"], x["vat_basis_points"]), x["net_cents"]) for x in readable
    )
    return {
        "invoice": invoice,
        "lines": readable,
        "vat_breakdown": parts,
        "service_period": service_period(invoice, lines),
        # An invoice's RF creditor reference (services/reference.py); a credit note's number.
        "payment_reference": reference.display(reference.payment_reference(invoice)) or invoice["number"],
        "customer_country_name": _foreign_country(invoice, settings.vendor_country),
        "payment_term_days": (
            (invoice["due_on"] - invoice["issued_on"]).days
            if invoice.get("due_on") and invoice.get("issued_on")
            else settings.payment_term_days
        ),
        "vendor": {
            "name": settings.vendor_name,
            "address": list(settings.vendor_address),
            "country": settings.vendor_country,
            "vat_number": settings.vendor_vat_number,
            "chamber_of_commerce": settings.vendor_chamber_of_commerce,
            "iban": settings.vendor_iban,
            "bic": settings.vendor_bic,
        },
    }


async def render(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    """The document, in the invoice's language. `invoice` is the Invoice row (a credit note's
    also has `credited_number` and `credited_issued_on`), `lines` its InvoiceLine rows."""
    token = i18n.current_locale.set(invoice.get("language") or "en")
    try:
        return await render_pdf(TEMPLATE, context(invoice, lines))
    finally:
        i18n.current_locale.reset(token)


def filename(invoice: dict[str, Any], extension: str) -> str:
    """E.g. invoice-2027-000001.pdf, credit-note-C2027-000001.xml, interest-note-R2027-000001.pdf."""
    kind = {"credit_note": "credit-note", "interest_note": "interest-note"}.get(invoice["kind"], "invoice")
    return f"{kind}-{invoice['number']}.{extension}"


def _foreign_country(invoice: dict[str, Any], vendor_country: str) -> str:
    """The customer's country in the invoice's language when it is not the vendor's and its
    address does not already end with it (a letter abroad needs its country); else ""."""
    code = (invoice.get("customer_country") or "").upper()
    if not code or code == vendor_country:
        return ""
    name = Locale.parse(i18n.current_locale.get()).territories.get(code, code)
    address = (invoice.get("customer_address") or "").strip().splitlines()
    if address and address[-1].strip().casefold() in {name.casefold(), code.casefold()}:
        return ""
    return name
