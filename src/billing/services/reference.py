"""The structured payment reference of an invoice: an ISO 11649 RF creditor reference.

Why this scheme: one reference for every customer and every payer. The Dutch betalingskenmerk
(16 digits, a Currence scheme for Dutch banks) and the Swedish OCR number (Bankgirot's check
digit for bankgiro payments) each work in one country's banks only; an invoice to a Swedish
care provider, to a Dutch one, or to a third party paying for either (rule BIL-4) would need
different schemes and a different matching for each. The RF reference is the European standard
for the structured remittance information of a SEPA credit transfer (EPC rulebook, field
"Creditor Reference" with type SCOR), accepted by banks in both countries and abroad, and its
check digits (ISO 7064 mod 97-10, as an IBAN's) catch a mistyped reference before it is paid.

The reference is derived from the invoice number alone ("2027-000123" -> "RF…2027000123"), so
it is the same each time it is computed: it is stored on the invoice when the invoice is
finalised, and an invoice finalised before references were stored gets the same one computed
(`payment_reference`). An interest note is paid like an invoice and has its own ("R2027-000001"
-> "RF…R2027000001"); a credit note is not paid and has none.
"""

from __future__ import annotations

from typing import Any

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

# The kinds of document that ask to be paid: an invoice and an interest note.
PAYABLE_KINDS = ("invoice", "interest_note")


def creditor_reference(number: str) -> str:
    """The RF reference of an invoice number, compact ("RF712027000123"): its letters and
    digits (at most 21) after "RF" and the two check digits."""
    body = "".join(c for c in number if c.isalnum()).upper()
    if not body or len(body) > 21:
        raise ValueError(f"no creditor reference can be made of {number!r}")
    check = mod_97_10.calc_check_digits(body + "RF")
    return iso11649.validate(f"RF{check}{body}")


def payment_reference(invoice: dict[str, Any]) -> str:
    """The invoice's reference as stored, else computed from its number; "" for a draft (it
    has no number yet) and for a credit note."""
    if invoice.get("kind", "invoice") not in PAYABLE_KINDS or not invoice.get("number"):
        return ""
    return str(invoice.get("payment_reference") or "") or creditor_reference(str(invoice["number"]))


def display(reference: str) -> str:
    """In groups of four, as people read and type it ("RF71 2027 0001 23")."""
    return iso11649.format(reference) if reference else ""
