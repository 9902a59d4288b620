"""Sample invoices and credit notes for the e-invoice (UBL, Peppol BIS Billing 3.0): the cases
the tests check and `scripts/check_einvoices.py` runs through the official rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from src.settings import Settings, get_settings

D = dt.date

# Starts like a PDF; enough for an attachment.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def vendor_settings(base: Settings | None = None) -> Settings:
    return dataclasses.replace(
        base or get_settings(),
        vendor_country="NL",
        vendor_name="Zorg-IT Diensten B.V.",
        vendor_address=("Stationsplein 12", "3511 ED Utrecht"),
        vendor_vat_number="NL123456782B01",
        vendor_chamber_of_commerce="30123456",
        vendor_iban="NL91ABNA0417164300",
        vendor_bic="ABNANL2A",
        payment_term_days=30,
    )


def _invoice(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 1,
        "organisation": 1,
        "kind": "invoice",
        "status": "final",
        "number": "F2027-000001",
        "period": "2027-01",
        "payer_kind": "organisation",
        "payer_name": "",
        "customer_name": "Huisartsenpraktijk De Linde",
        "customer_address": "Lindelaan 4\n1234 AB Amsterdam",
        "customer_country": "NL",
        "customer_vat_number": "",
        "customer_registration": "58300212",
        "customer_peppol_id": "",
        "buyer_reference": "58300212",
        "language": "nl",
        "currency": "EUR",
        "reverse_charge": False,
        "issued_on": D(2027, 2, 1),
        "due_on": D(2027, 3, 3),
        "credits": None,
        "reason": "",
    }
    row.update(changes)
    return row


def _line(
    position: int,
    description: str,
    quantity: str,
    unit: str,
    price: str,
    net_cents: int,
    category: str,
    basis_points: int,
    first: dt.date,
    last: dt.date,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": position,
        "position": position,
        "description": description,
        "source_type": extra.get("source_type", "subscription"),
        "source_id": position,
        "quantity": quantity,
        "unit_code": unit,
        "unit_price": price,
        "net_cents": net_cents,
        "vat_category": category,
        "vat_basis_points": basis_points,
        "first_day": first,
        "last_day": last,
    }


def _with_totals(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    from src.billing.services.invoicing import totals

    return {**invoice, **totals(lines)}


Sample = tuple[str, dict[str, Any], list[dict[str, Any]], bytes | None]


def domestic_nl() -> Sample:
    """A Dutch customer: a whole month and two parts of the month (days at a day price), 21 %."""
    lines = [
        _line(
            1,
            "Cloud Office: Premium, 1 jan. 2027 – 31 jan. 2027",
            "3.00",
            "C62",
            "12.50",
            3750,
            "S",
            2100,
            D(2027, 1, 1),
            D(2027, 1, 31),
        ),
        # 2 users for 10 days at 12.50 a month of 31 days
        _line(
            2,
            "Cloud Office: Premium, 22 jan. 2027 – 31 jan. 2027",
            "20.00",
            "DAY",
            "0.4032258064516129032258064516",
            806,
            "S",
            2100,
            D(2027, 1, 22),
            D(2027, 1, 31),
        ),
        # 1 workplace for 17 days at 45.00 a month
        _line(
            3,
            "Cloud Server: gebruiker, 15 jan. 2027 – 31 jan. 2027",
            "17.00",
            "DAY",
            "1.451612903225806451612903226",
            2468,
            "S",
            2100,
            D(2027, 1, 15),
            D(2027, 1, 31),
        ),
        _line(
            4,
            "UZI-servercertificaat www.delinde.nl",
            "1.00",
            "C62",
            "450.00",
            45000,
            "S",
            2100,
            D(2027, 1, 12),
            D(2027, 1, 12),
            source_type="charge",
        ),
    ]
    return "domestic-nl", _with_totals(_invoice(), lines), lines, PDF


def swedish_reverse_charge() -> Sample:
    """A Swedish customer with a valid VAT number of a Dutch vendor: reverse charge (AE)."""
    invoice = _invoice(
        number="F2027-000002",
        customer_name="Vårdcentralen Norrby AB",
        customer_address="Storgatan 1\n111 22 Stockholm",
        customer_country="SE",
        customer_vat_number="SE556559423001",
        customer_registration="5565594230",
        buyer_reference="5565594230",
        language="sv",
    )
    lines = [
        _line(
            1,
            "Webcert: Bas, 1 jan. 2027 – 31 jan. 2027",
            "1.00",
            "C62",
            "95.00",
            9500,
            "AE",
            0,
            D(2027, 1, 1),
            D(2027, 1, 31),
        ),
        _line(
            2,
            "Managed backup: 50 GB, 20 jan. 2027 – 31 jan. 2027",
            "12.00",
            "DAY",
            "0.6451612903225806451612903226",
            774,
            "AE",
            0,
            D(2027, 1, 20),
            D(2027, 1, 31),
        ),
    ]
    return "reverse-charge-se", _with_totals(invoice, lines), lines, None


def with_exempt_line() -> Sample:
    """A standard-rated and an exempt line, in English."""
    invoice = _invoice(number="F2027-000003", language="en", customer_vat_number="NL000099998B57")
    lines = [
        _line(
            1,
            "Managed firewall, January 2027",
            "2.00",
            "C62",
            "35.00",
            7000,
            "S",
            2100,
            D(2027, 1, 1),
            D(2027, 1, 31),
        ),
        _line(
            2,
            "Procurement portal: compliance module, January 2027",
            "1.00",
            "C62",
            "120.00",
            12000,
            "E",
            0,
            D(2027, 1, 1),
            D(2027, 1, 31),
        ),
    ]
    return "exempt-line", _with_totals(invoice, lines), lines, None


def credit_note() -> Sample:
    """Credits two lines of the domestic invoice (stored negative, written positive)."""
    invoice = _invoice(
        kind="credit_note",
        number="C2027-000001",
        issued_on=D(2027, 2, 10),
        due_on=None,
        credits=1,
        credited_number="F2027-000001",
        credited_issued_on=D(2027, 2, 1),
        reason="Certificaat dubbel gefactureerd",
    )
    lines = [
        _line(
            1,
            "UZI-servercertificaat www.delinde.nl",
            "-1.00",
            "C62",
            "450.00",
            -45000,
            "S",
            2100,
            D(2027, 1, 12),
            D(2027, 1, 12),
            source_type="credit",
        ),
        _line(
            2,
            "Cloud Server: gebruiker, 15 jan. 2027 – 31 jan. 2027",
            "-17.00",
            "DAY",
            "1.451612903225806451612903226",
            -2468,
            "S",
            2100,
            D(2027, 1, 15),
            D(2027, 1, 31),
            source_type="credit",
        ),
    ]
    return "credit-note", _with_totals(invoice, lines), lines, PDF


def third_party_payer() -> Sample:
    """A certificate fee reimbursed by a third party (rule BIL-4): that party is the buyer."""
    invoice = _invoice(
        number="F2027-000004",
        payer_kind="third_party",
        payer_name="VZVZ",
        buyer_reference="Huisartsenpraktijk De Linde (58300212)",
        customer_name="VZVZ Servicecentrum B.V.",
        customer_address="Postbus 1234\n2501 AA Den Haag",
        customer_country="NL",
        customer_registration="27180321",
        customer_vat_number="",
    )
    lines = [
        _line(
            1,
            "UZI-servercertificaat lsp.delinde.nl",
            "1.00",
            "C62",
            "450.00",
            45000,
            "S",
            2100,
            D(2027, 1, 12),
            D(2027, 1, 12),
            source_type="charge",
        ),
    ]
    return "third-party-payer", _with_totals(invoice, lines), lines, None


def interest_note() -> Sample:
    """An interest note (rule BIL-7): interest and collection costs on an overdue invoice, not
    subject to VAT (category O), referring to the invoice; the customer has a VAT number, which
    the document leaves out (BR-O-02)."""
    invoice = _invoice(
        kind="interest_note",
        number="R2027-000001",
        period="2027-04",
        customer_vat_number="NL000099998B57",
        issued_on=D(2027, 4, 14),
        due_on=D(2027, 5, 14),
        payment_reference="RF64R2027000001",
        interest_of_number="F2027-000001",
        interest_of_issued_on=D(2027, 2, 1),
    )
    lines = [
        _line(
            1,
            "Rente 2,5 % per maand van 3 mrt 2027 tot 14 apr 2027 over € 544,50",
            "1",
            "C62",
            "18.60",
            1860,
            "O",
            0,
            D(2027, 3, 4),
            D(2027, 4, 14),
            source_type="interest",
        ),
        {
            **_line(
                2,
                "Incassokosten (15 %, minimaal EUR 750)",
                "1",
                "C62",
                "750.00",
                75000,
                "O",
                0,
                D(2027, 4, 14),
                D(2027, 4, 14),
            ),
            "first_day": None,
            "last_day": None,
            "source_type": "collection_costs",
        },
    ]
    return "interest-note", _with_totals(invoice, lines), lines, PDF


SAMPLES: list[Callable[[], Sample]] = [
    domestic_nl,
    swedish_reverse_charge,
    with_exempt_line,
    credit_note,
    third_party_payer,
    interest_note,
]
