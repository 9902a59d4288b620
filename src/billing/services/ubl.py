"""The e-invoice: an invoice or credit note as UBL 2.1 following Peppol BIS Billing 3.0 (EN 16931).

`render(invoice, lines, pdf)` writes the document of a final invoice (rules BIL-4, BIL-5: the
customer's administration gets it digitally; the payer is the buyer). The seller is the vendor
(settings); the buyer is the customer as snapshotted on the invoice. Amounts are the invoice's own
cents, so the document says what the PDF says: VAT per category and rate rounded once (BR-CO-17,
src/billing/services/vat.py), totals as their sums (BR-CO-10..16). A credit note is written with
positive amounts (UBL `CreditNote`, type 381) and refers to the invoice it credits. An interest
note (services/interest_notes.py) is an `Invoice` (type 380) referring to the overdue invoice it
charges interest and collection costs for; they are compensation, not a supply, so its lines are
"not subject to VAT" (category O): no rate, the exemption reason VATEX-EU-O in the breakdown, and
no VAT identifiers of seller or buyer (BR-O-02).

Electronic addresses (EndpointID, Peppol EAS code list): the buyer's Peppol participant id when
it has one, else its KvK number (0106) in the Netherlands, its organisationsnummer (0007) in
Sweden, else its VAT number (the country's VAT scheme); the seller's likewise from its Chamber of
Commerce number or VAT number.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lxml import etree

from src.billing.services import reference, vat
from src.core.i18n import _, current_locale
from src.core.vendor import vendor

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

# Peppol EAS codes of the identifiers we know: KvK, organisationsnummer, VAT numbers by country.
EAS_KVK = "0106"
EAS_ORGNR = "0007"
EAS_VAT = {
    "AT": "9914",
    "BE": "9925",
    "DE": "9930",
    "ES": "9920",
    "FR": "9957",
    "IT": "9906",
    "NL": "9944",
    "SE": "9955",
}

# Postal code and city on an address's last line, per country.
_POSTAL_LINE = {
    "NL": re.compile(r"^(\d{4}\s?[A-Za-z]{2})\s+(.+)$"),
    "SE": re.compile(r"^((?:SE-?)?\d{3}\s?\d{2})\s+(.+)$"),
}
_ANY_POSTAL_LINE = re.compile(r"^([0-9][0-9A-Za-z -]{2,9}?)\s+(\D.*)$")


def render(invoice: dict[str, Any], lines: list[dict[str, Any]], pdf: bytes | None = None) -> bytes:
    """The UBL 2.1 document (UTF-8 bytes) of a final invoice or credit note and its lines, with
    its PDF embedded when given. `invoice` is an `Invoice` row; a credit note's also carries
    `credited_number` and `credited_issued_on` (the invoice it credits)."""
    token = current_locale.set(invoice.get("language") or "en")
    try:
        root = _Document(invoice, lines, pdf).build()
    finally:
        current_locale.reset(token)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _cbc(parent: etree._Element, name: str, text: object = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{name}", attrs)
    if text is not None:
        element.text = str(text)
    return element


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _decimal(value: Decimal) -> str:
    """A decimal with at least two places and no exponent (21.00, 0.4032258064516129)."""
    text = format(value.normalize(), "f")
    whole, _sep, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _percent(basis_points: int) -> str:
    return _decimal(Decimal(basis_points) / 100)


def _date(value: dt.date | str | None) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value or "")


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _address_lines(address: str | Iterable[str]) -> list[str]:
    parts = address.replace(";", "\n").splitlines() if isinstance(address, str) else list(address)
    return [" ".join(p.split()) for p in parts if p and p.strip()]


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isalnum()).upper()


def endpoint(peppol_id: str, country: str, registration: str, vat_number: str) -> tuple[str, str] | None:
    """(EAS scheme, identifier) of a party's electronic address, or None when nothing is known."""
    # "0106:12345678", also written with its scheme: "iso6523-actorid-upis::0106:12345678".
    parts = [part.strip() for part in peppol_id.split(":")]
    if len(parts) >= 2 and re.fullmatch(r"\d{4}", parts[-2]) and parts[-1]:
        return parts[-2], parts[-1]
    if registration and country == "NL":
        return EAS_KVK, _digits(registration)
    if registration and country == "SE":
        return EAS_ORGNR, _digits(registration)
    if vat_number:
        vat_scheme = EAS_VAT.get(vat_number[:2].upper())
        if vat_scheme:
            return vat_scheme, vat_number.upper()
    return None


class _Document:
    def __init__(self, invoice: dict[str, Any], lines: list[dict[str, Any]], pdf: bytes | None) -> None:
        self.invoice = invoice
        self.lines = sorted(lines, key=lambda x: (int(x.get("position") or 0), int(x.get("id") or 0)))
        self.pdf = pdf
        self.credit = invoice.get("kind") == "credit_note"
        self.interest_note = invoice.get("kind") == "interest_note"
        # BR-O-02: a document of lines not subject to VAT names no VAT identifiers.
        self.not_subject = bool(lines) and all(x["vat_category"] == "O" for x in lines)
        # A credit note's rows may hold the credited amounts negative; the document is positive.
        net = sum(int(x["net_cents"]) for x in lines)
        self.sign = -1 if self.credit and (net < 0 or int(invoice.get("net_cents") or 0) < 0) else 1
        self.currency = invoice.get("currency") or "EUR"
        self.vendor = vendor()

    def amount(self, parent: etree._Element, name: str, cents: int) -> None:
        _cbc(parent, name, _money(cents), currencyID=self.currency)

    def build(self) -> etree._Element:
        inv = self.invoice
        root_ns = NS_CREDIT_NOTE if self.credit else NS_INVOICE
        root = etree.Element(
            f"{{{root_ns}}}{'CreditNote' if self.credit else 'Invoice'}",
            nsmap={None: root_ns, "cac": CAC, "cbc": CBC},
        )
        _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
        _cbc(root, "ProfileID", PROFILE_ID)
        _cbc(root, "ID", inv.get("number") or f"DRAFT-{inv.get('id', '')}")
        _cbc(root, "IssueDate", _date(inv.get("issued_on") or dt.date.today()))
        if self.credit:
            _cbc(root, "CreditNoteTypeCode", "381")
        else:
            if inv.get("due_on"):
                _cbc(root, "DueDate", _date(inv["due_on"]))
            _cbc(root, "InvoiceTypeCode", "380")
        note = self.note()
        if note:
            _cbc(root, "Note", note)
        _cbc(root, "DocumentCurrencyCode", self.currency)
        _cbc(root, "BuyerReference", self.buyer_reference())
        self.period(root)
        if self.credit and inv.get("credited_number"):
            ref = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
            _cbc(ref, "ID", inv["credited_number"])
            if inv.get("credited_issued_on"):
                _cbc(ref, "IssueDate", _date(inv["credited_issued_on"]))
        if self.interest_note and inv.get("interest_of_number"):
            ref = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
            _cbc(ref, "ID", inv["interest_of_number"])
            if inv.get("interest_of_issued_on"):
                _cbc(ref, "IssueDate", _date(inv["interest_of_issued_on"]))
        if self.pdf is not None:
            self.attachment(root)
        self.seller(_cac(_cac(root, "AccountingSupplierParty"), "Party"))
        self.buyer(_cac(_cac(root, "AccountingCustomerParty"), "Party"))
        if not self.credit:
            self.payment_means(root)
        terms = _cac(root, "PaymentTerms")
        _cbc(terms, "Note", self.payment_terms())
        breakdown = self.tax_total(root)
        self.monetary_total(root, breakdown)
        for number, line in enumerate(self.lines, start=1):
            self.line(root, number, line)
        return root

    # -- header ---------------------------------------------------------------------------------

    def note(self) -> str:
        if any(x["vat_category"] == "AE" for x in self.lines):
            return _(
                "Reverse charge: VAT is accounted for by the customer (Article 196, Directive 2006/112/EC)."
            )
        return ""

    def buyer_reference(self) -> str:
        """BT-10 (Peppol: a buyer or order reference is required): as snapshotted on the invoice
        (the organisation invoiced for, which a third-party payer needs to know), else the
        buyer's registration or name."""
        inv = self.invoice
        return str(
            inv.get("buyer_reference")
            or inv.get("customer_registration")
            or inv.get("customer_name")
            or inv.get("period")
            or "-"
        )

    def period(self, root: etree._Element) -> None:
        firsts = [d for d in (_as_date(x.get("first_day")) for x in self.lines) if d]
        lasts = [d for d in (_as_date(x.get("last_day")) for x in self.lines) if d]
        label = "" if self.interest_note else self.invoice.get("period") or ""
        if re.fullmatch(r"\d{4}-\d{2}", label):
            year, month = int(label[:4]), int(label[5:])
            start = dt.date(year, month, 1)
            end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            firsts.append(start)
            lasts.append(end)
        if not firsts or not lasts:
            return
        element = _cac(root, "InvoicePeriod")
        _cbc(element, "StartDate", min(firsts).isoformat())
        _cbc(element, "EndDate", max(lasts).isoformat())

    def attachment(self, root: etree._Element) -> None:
        assert self.pdf is not None
        number = self.invoice.get("number") or f"DRAFT-{self.invoice.get('id', '')}"
        ref = _cac(root, "AdditionalDocumentReference")
        _cbc(ref, "ID", number)
        description = _("Credit note") if self.credit else _("Invoice")
        if self.interest_note:
            description = _("Interest note")
        _cbc(ref, "DocumentDescription", description)
        attachment = _cac(ref, "Attachment")
        _cbc(
            attachment,
            "EmbeddedDocumentBinaryObject",
            base64.b64encode(self.pdf).decode("ascii"),
            mimeCode="application/pdf",
            filename=f"{number}.pdf",
        )

    # -- parties --------------------------------------------------------------------------------

    def party(
        self,
        party: etree._Element,
        *,
        name: str,
        address: list[str],
        country: str,
        vat_number: str,
        registration: str,
        peppol_id: str,
    ) -> None:
        found = endpoint(peppol_id, country, registration, vat_number)
        if found is not None:
            _cbc(party, "EndpointID", found[1], schemeID=found[0])
        if registration and country in ("NL", "SE"):
            ident = _cac(party, "PartyIdentification")
            _cbc(ident, "ID", _digits(registration), schemeID=EAS_KVK if country == "NL" else EAS_ORGNR)
        _cbc(_cac(party, "PartyName"), "Name", name)
        self.postal_address(_cac(party, "PostalAddress"), address, country)
        if vat_number and not self.not_subject:
            scheme = _cac(party, "PartyTaxScheme")
            _cbc(scheme, "CompanyID", vat_number.upper())
            _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")
        legal = _cac(party, "PartyLegalEntity")
        _cbc(legal, "RegistrationName", name)
        if registration:
            attrs = {"schemeID": EAS_KVK if country == "NL" else EAS_ORGNR} if country in ("NL", "SE") else {}
            _cbc(legal, "CompanyID", _digits(registration), **attrs)

    def postal_address(self, element: etree._Element, lines: list[str], country: str) -> None:
        """Street lines, then postal code and city from the last line (e.g. "1234 AB Utrecht")."""
        lines = list(lines)
        street: list[str] = []
        postal = city = ""
        if lines:
            pattern = _POSTAL_LINE.get(country, _ANY_POSTAL_LINE)
            match = pattern.match(lines[-1]) or _ANY_POSTAL_LINE.match(lines[-1])
            if match and len(lines) > 1:
                postal, city = match.group(1).upper(), match.group(2)
                street = lines[:-1]
            elif len(lines) > 1:
                city, street = lines[-1], lines[:-1]
            else:
                street = lines
        if street:
            _cbc(element, "StreetName", street[0])
        if len(street) > 1:
            _cbc(element, "AdditionalStreetName", ", ".join(street[1:]))
        if city:
            _cbc(element, "CityName", city)
        if postal:
            _cbc(element, "PostalZone", postal)
        _cbc(_cac(element, "Country"), "IdentificationCode", country or "NL")

    def seller(self, party: etree._Element) -> None:
        s = self.vendor
        self.party(
            party,
            name=s.name or "-",
            address=_address_lines(s.address_lines),
            country=s.country,
            vat_number=s.vat_number,
            registration=s.chamber_of_commerce,
            peppol_id="",
        )

    def buyer(self, party: etree._Element) -> None:
        inv = self.invoice
        self.party(
            party,
            name=inv.get("customer_name") or inv.get("payer_name") or "-",
            address=_address_lines(inv.get("customer_address") or ""),
            country=(inv.get("customer_country") or "NL").upper(),
            vat_number=inv.get("customer_vat_number") or "",
            registration=inv.get("customer_registration") or "",
            peppol_id=inv.get("customer_peppol_id") or "",
        )

    # -- payment --------------------------------------------------------------------------------

    def payment_means(self, root: etree._Element) -> None:
        s = self.vendor
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", "58")  # SEPA credit transfer
        # BT-83, the remittance information: the RF creditor reference (services/reference.py).
        payment_id = reference.payment_reference(self.invoice)
        if payment_id:
            _cbc(means, "PaymentID", payment_id)
        if s.iban:
            account = _cac(means, "PayeeFinancialAccount")
            _cbc(account, "ID", s.iban)
            if s.name:
                _cbc(account, "Name", s.name)
            if s.bic:
                _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", s.bic)

    def payment_terms(self) -> str:
        if self.credit:
            return _("The credited amount is refunded or set off against an open invoice.")
        return _(
            "Payment within %(days)s days, without deduction or set-off, to %(iban)s.",
            days=self.vendor.payment_term_days,
            iban=self.vendor.iban_display or "-",
        )

    # -- VAT and totals -------------------------------------------------------------------------

    def tax_category(
        self, parent: etree._Element, name: str, category: vat.Category, with_reason: bool
    ) -> None:
        element = _cac(parent, name)
        _cbc(element, "ID", category.code)
        if category.code != "O":  # BR-O-05: no rate where VAT does not apply
            _cbc(element, "Percent", _percent(category.basis_points))
        if with_reason and category.code == "O":
            _cbc(element, "TaxExemptionReasonCode", "VATEX-EU-O")
            _cbc(element, "TaxExemptionReason", _("Not subject to VAT"))
        elif with_reason and category.code == "AE":
            _cbc(element, "TaxExemptionReasonCode", "VATEX-EU-AE")
            _cbc(element, "TaxExemptionReason", _("Reverse charge"))
        elif with_reason and category.code == "E":
            _cbc(element, "TaxExemptionReason", _("Exempt from VAT"))
        _cbc(_cac(element, "TaxScheme"), "ID", "VAT")

    def tax_total(self, root: etree._Element) -> list[vat.Breakdown]:
        parts = vat.breakdown(
            (vat.Category(x["vat_category"], int(x["vat_basis_points"])), self.sign * int(x["net_cents"]))
            for x in self.lines
        )
        total = _cac(root, "TaxTotal")
        self.amount(total, "TaxAmount", sum(p.vat_cents for p in parts))
        for part in parts:
            sub = _cac(total, "TaxSubtotal")
            self.amount(sub, "TaxableAmount", part.net_cents)
            self.amount(sub, "TaxAmount", part.vat_cents)
            self.tax_category(sub, "TaxCategory", part.category, with_reason=True)
        return parts

    def monetary_total(self, root: etree._Element, parts: list[vat.Breakdown]) -> None:
        net = sum(p.net_cents for p in parts)
        tax = sum(p.vat_cents for p in parts)
        total = _cac(root, "LegalMonetaryTotal")
        self.amount(total, "LineExtensionAmount", net)
        self.amount(total, "TaxExclusiveAmount", net)
        self.amount(total, "TaxInclusiveAmount", net + tax)
        self.amount(total, "PayableAmount", net + tax)

    # -- lines ----------------------------------------------------------------------------------

    def line(self, root: etree._Element, number: int, line: dict[str, Any]) -> None:
        element = _cac(root, "CreditNoteLine" if self.credit else "InvoiceLine")
        _cbc(element, "ID", number)
        net = self.sign * int(line["net_cents"])
        quantity = Decimal(str(line.get("quantity") or "1"))
        price = Decimal(str(line.get("unit_price") or "0"))
        # The quantity carries the sign of the line; the price is never negative (BR-27).
        quantity = abs(quantity) if net >= 0 else -abs(quantity)
        price = abs(price)
        _cbc(
            element,
            "CreditedQuantity" if self.credit else "InvoicedQuantity",
            _decimal(quantity),
            unitCode=line.get("unit_code") or "C62",
        )
        self.amount(element, "LineExtensionAmount", net)
        first, last = _as_date(line.get("first_day")), _as_date(line.get("last_day"))
        if first and last:
            period = _cac(element, "InvoicePeriod")
            _cbc(period, "StartDate", first.isoformat())
            _cbc(period, "EndDate", last.isoformat())
        item = _cac(element, "Item")
        _cbc(item, "Name", (line.get("description") or "-")[:300])
        category = vat.Category(line["vat_category"], int(line["vat_basis_points"]))
        self.tax_category(item, "ClassifiedTaxCategory", category, with_reason=False)
        price_element = _cac(element, "Price")
        _cbc(price_element, "PriceAmount", _decimal(price), currencyID=self.currency)
