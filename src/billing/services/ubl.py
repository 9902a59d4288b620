"""The UBL 2.1 e-invoice of a final invoice or credit note.

`render(invoice, lines, pdf)`: `invoice` is the Invoice row (for a credit note also
`credited_number` and `credited_issued_on`), `lines` its InvoiceLine rows, `pdf` the human-readable
document to embed. This version writes the document's identity only: its number and date."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}


def render(invoice: dict[str, Any], lines: list[dict[str, Any]], pdf: bytes | None = None) -> bytes:
    kind = "credit_note" if invoice.get("kind") == "credit_note" else "invoice"
    namespace = ROOTS[kind]
    ET.register_namespace("", namespace)
    ET.register_namespace("cbc", CBC)
    root = ET.Element(f"{{{namespace}}}{'CreditNote' if kind == 'credit_note' else 'Invoice'}")
    ET.SubElement(root, f"{{{CBC}}}ID").text = str(invoice.get("number") or "")
    issued = invoice.get("issued_on")
    ET.SubElement(root, f"{{{CBC}}}IssueDate").text = issued.isoformat() if issued else ""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
