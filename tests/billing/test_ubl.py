"""The e-invoice (UBL 2.1, Peppol BIS Billing 3.0): every document the renderer writes is valid
against the UBL 2.1 schemas and holds the EN 16931 rules the renderer is responsible for."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from src.billing.services import ubl
from src.billing.services.invoicing import totals
from src.settings import get_settings, override_settings
from tests.billing import einvoice_samples
from tests.billing.einvoice_samples import PDF, D

NS = {
    "inv": ubl.NS_INVOICE,
    "cn": ubl.NS_CREDIT_NOTE,
    "cac": ubl.CAC,
    "cbc": ubl.CBC,
}


@cache
def _schema(kind: str) -> etree.XMLSchema:
    import peppol

    folder = Path(peppol.__file__).parent / "schema" / "maindoc"
    return etree.XMLSchema(etree.parse(str(folder / f"UBL-{kind}-2.1.xsd")))


def schema_errors(data: bytes) -> list[str]:
    """What the UBL 2.1 XSD of the document's kind finds wrong with it (empty: valid)."""
    root = etree.fromstring(data)
    kind = etree.QName(root).localname
    schema = _schema(kind)
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


# ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def vendor() -> Iterator[None]:
    before = get_settings()
    override_settings(einvoice_samples.vendor_settings(before))
    yield
    override_settings(before)


def render(sample: einvoice_samples.Sample) -> etree._Element:
    _name, invoice, lines, pdf = sample
    data = ubl.render(invoice, lines, pdf)
    assert schema_errors(data) == []
    return etree.fromstring(data)


def texts(root: etree._Element, path: str) -> list[str]:
    return [
        (x.text or "") if isinstance(x, etree._Element) else str(x) for x in root.xpath(path, namespaces=NS)
    ]


def text(root: etree._Element, path: str) -> str:
    found = texts(root, path)
    assert len(found) == 1, (path, found)
    return found[0]


def amount(root: etree._Element, path: str) -> Decimal:
    return Decimal(text(root, path))


SAMPLES = {f.__name__: f for f in einvoice_samples.SAMPLES}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_is_valid_ubl_21_of_peppol_bis_3(name: str) -> None:
    root = render(SAMPLES[name]())
    assert text(root, "/*/cbc:CustomizationID") == ubl.CUSTOMIZATION_ID
    assert text(root, "/*/cbc:ProfileID") == ubl.PROFILE_ID
    assert text(root, "/*/cbc:DocumentCurrencyCode") == "EUR"
    assert text(root, "/*/cbc:BuyerReference")  # Peppol: a buyer or order reference


@pytest.mark.parametrize("name", SAMPLES)
def test_totals_are_the_sums_of_lines_and_vat(name: str) -> None:
    """BR-CO-10, -13, -14, -15, -16 (no allowances or charges: BR-CO-11, -12 have nothing)."""
    _n, invoice, _lines, _pdf = sample = SAMPLES[name]()
    root = render(sample)
    line_sum = sum(
        Decimal(x)
        for x in texts(
            root, "/*/cac:InvoiceLine/cbc:LineExtensionAmount | /*/cac:CreditNoteLine/cbc:LineExtensionAmount"
        )
    )
    total = "/*/cac:LegalMonetaryTotal/cbc:"
    assert amount(root, total + "LineExtensionAmount") == line_sum  # BR-CO-10
    assert amount(root, total + "TaxExclusiveAmount") == line_sum  # BR-CO-13
    subtotals = sum(Decimal(x) for x in texts(root, "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount"))
    tax = amount(root, "/*/cac:TaxTotal/cbc:TaxAmount")
    assert tax == subtotals  # BR-CO-14
    assert amount(root, total + "TaxInclusiveAmount") == line_sum + tax  # BR-CO-15
    assert amount(root, total + "PayableAmount") == line_sum + tax  # BR-CO-16
    assert not texts(root, total + "AllowanceTotalAmount | " + total + "ChargeTotalAmount")
    # The document says what the invoice (and its PDF) says, credit notes in positive amounts.
    sign = -1 if invoice["kind"] == "credit_note" else 1
    assert amount(root, total + "PayableAmount") == sign * Decimal(invoice["total_cents"]) / 100
    assert tax == sign * Decimal(invoice["vat_cents"]) / 100


@pytest.mark.parametrize("name", SAMPLES)
def test_amounts_have_at_most_two_decimals(name: str) -> None:
    root = render(SAMPLES[name]())
    amounts = root.xpath("//*[@currencyID and local-name() != 'PriceAmount']")
    assert amounts
    for element in amounts:
        assert re.fullmatch(r"-?\d+\.\d{2}", element.text), (element.tag, element.text)


def test_vat_per_category_and_rate_is_rounded_once_not_per_line() -> None:
    """BR-CO-17: three lines of 2.50 at 9 % are 0.675 VAT (0.68), not 3 x 0.23 = 0.69."""
    _n, invoice, _lines, _pdf = einvoice_samples.domestic_nl()
    first, last = D(2027, 1, 1), D(2027, 1, 31)

    def line(position: int, cents: int, bp: int) -> dict[str, Any]:
        return {
            "id": position,
            "position": position,
            "description": f"Item {position}",
            "quantity": "1.00",
            "unit_code": "C62",
            "unit_price": f"{cents / 100:.2f}",
            "net_cents": cents,
            "vat_category": "S",
            "vat_basis_points": bp,
            "first_day": first,
            "last_day": last,
        }

    lines = [
        line(1, 250, 900),
        line(2, 250, 900),
        line(3, 250, 900),
        line(4, 1005, 2100),
        line(5, 1005, 2100),
    ]
    root = render(("rounding", {**invoice, **totals(lines)}, lines, None))
    subtotals = root.xpath("/*/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
    found = {
        (text(s, "cac:TaxCategory/cbc:ID"), text(s, "cac:TaxCategory/cbc:Percent")): (
            text(s, "cbc:TaxableAmount"),
            text(s, "cbc:TaxAmount"),
        )
        for s in subtotals
    }
    assert found == {("S", "9.00"): ("7.50", "0.68"), ("S", "21.00"): ("20.10", "4.22")}
    for s in subtotals:
        rate = Decimal(text(s, "cac:TaxCategory/cbc:Percent"))
        expected = (Decimal(text(s, "cbc:TaxableAmount")) * rate / 100).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
        assert Decimal(text(s, "cbc:TaxAmount")) == expected
    assert text(root, "/*/cac:TaxTotal/cbc:TaxAmount") == "4.90"


def test_domestic_invoice_with_day_prorated_lines() -> None:
    root = render(einvoice_samples.domestic_nl())
    assert text(root, "/*/cbc:InvoiceTypeCode") == "380"
    assert text(root, "/*/cbc:ID") == "F2027-000001"
    assert text(root, "/*/cbc:IssueDate") == "2027-02-01"
    assert text(root, "/*/cbc:DueDate") == "2027-03-03"
    assert text(root, "/*/cac:InvoicePeriod/cbc:StartDate") == "2027-01-01"
    assert text(root, "/*/cac:InvoicePeriod/cbc:EndDate") == "2027-01-31"
    units = texts(root, "/*/cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode")
    assert units == ["C62", "DAY", "DAY", "C62"]
    prorated = root.xpath("/*/cac:InvoiceLine[2]", namespaces=NS)[0]
    assert text(prorated, "cbc:InvoicedQuantity") == "20.00"
    assert text(prorated, "cbc:LineExtensionAmount") == "8.06"
    assert text(prorated, "cac:InvoicePeriod/cbc:StartDate") == "2027-01-22"
    assert text(prorated, "cac:InvoicePeriod/cbc:EndDate") == "2027-01-31"
    # Quantity x price is the line's amount to the cent.
    price = Decimal(text(prorated, "cac:Price/cbc:PriceAmount"))
    assert (Decimal(20) * price).quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal("8.06")
    assert texts(root, "//cac:ClassifiedTaxCategory/cbc:ID") == ["S"] * 4
    assert texts(root, "//cac:ClassifiedTaxCategory/cbc:Percent") == ["21.00"] * 4
    # No reverse-charge note on a domestic invoice.
    assert texts(root, "/*/cbc:Note") == []
    # Paid by credit transfer to the vendor's IBAN, the terms in words.
    assert text(root, "/*/cac:PaymentMeans/cbc:PaymentMeansCode") == "58"
    # The RF creditor reference of the invoice number (src/billing/services/reference.py).
    assert text(root, "/*/cac:PaymentMeans/cbc:PaymentID") == "RF32F2027000001"
    assert text(root, "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "NL91ABNA0417164300"
    assert (
        text(root, "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")
        == "ABNANL2A"
    )
    assert "30" in text(root, "/*/cac:PaymentTerms/cbc:Note")


def test_seller_and_buyer_have_their_identifiers_and_addresses() -> None:
    root = render(einvoice_samples.domestic_nl())
    seller = root.xpath("/*/cac:AccountingSupplierParty/cac:Party", namespaces=NS)[0]
    assert text(seller, "cbc:EndpointID") == "30123456"
    assert text(seller, "cbc:EndpointID/@schemeID") == "0106"  # KvK
    assert text(seller, "cac:PartyName/cbc:Name") == "Zorg-IT Diensten B.V."
    assert text(seller, "cac:PostalAddress/cbc:StreetName") == "Stationsplein 12"
    assert text(seller, "cac:PostalAddress/cbc:CityName") == "Utrecht"
    assert text(seller, "cac:PostalAddress/cbc:PostalZone") == "3511 ED"
    assert text(seller, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "NL"
    assert text(seller, "cac:PartyTaxScheme/cbc:CompanyID") == "NL123456782B01"
    assert text(seller, "cac:PartyTaxScheme/cac:TaxScheme/cbc:ID") == "VAT"
    assert text(seller, "cac:PartyLegalEntity/cbc:RegistrationName") == "Zorg-IT Diensten B.V."
    assert text(seller, "cac:PartyLegalEntity/cbc:CompanyID") == "30123456"

    buyer = root.xpath("/*/cac:AccountingCustomerParty/cac:Party", namespaces=NS)[0]
    assert (text(buyer, "cbc:EndpointID/@schemeID"), text(buyer, "cbc:EndpointID")) == ("0106", "58300212")
    assert text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName") == "Huisartsenpraktijk De Linde"
    assert text(buyer, "cac:PartyLegalEntity/cbc:CompanyID") == "58300212"
    assert text(buyer, "cac:PostalAddress/cbc:StreetName") == "Lindelaan 4"
    assert text(buyer, "cac:PostalAddress/cbc:PostalZone") == "1234 AB"
    assert text(buyer, "cac:PostalAddress/cbc:CityName") == "Amsterdam"
    assert texts(buyer, "cac:PartyTaxScheme") == []  # no VAT number known: none written


@pytest.mark.parametrize(
    ("changes", "endpoint"),
    [
        ({"customer_peppol_id": "0190:00000001234567890000"}, ("0190", "00000001234567890000")),
        ({"customer_peppol_id": "iso6523-actorid-upis::0007:5565594230"}, ("0007", "5565594230")),
        ({"customer_registration": "", "customer_vat_number": "NL000099998B57"}, ("9944", "NL000099998B57")),
        ({"customer_country": "SE", "customer_registration": "556559-4230"}, ("0007", "5565594230")),
    ],
)
def test_buyer_endpoint_is_its_peppol_id_else_a_registration_else_its_vat_number(
    changes: dict[str, Any], endpoint: tuple[str, str]
) -> None:
    _n, invoice, lines, _pdf = einvoice_samples.domestic_nl()
    root = render(("x", {**invoice, **changes}, lines, None))
    buyer = "/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"
    assert (text(root, buyer + "/@schemeID"), text(root, buyer)) == endpoint


def test_seller_without_chamber_of_commerce_number_is_addressed_by_its_vat_number() -> None:
    override_settings(dataclasses.replace(get_settings(), vendor_chamber_of_commerce=""))
    root = render(einvoice_samples.domestic_nl())
    seller = "/*/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID"
    assert (text(root, seller + "/@schemeID"), text(root, seller)) == ("9944", "NL123456782B01")


def test_swedish_customer_with_vat_number_is_reverse_charged() -> None:
    root = render(einvoice_samples.swedish_reverse_charge())
    subtotal = root.xpath("/*/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
    assert len(subtotal) == 1
    assert text(subtotal[0], "cbc:TaxableAmount") == "102.74"
    assert text(subtotal[0], "cbc:TaxAmount") == "0.00"
    category = "cac:TaxCategory/"
    assert text(subtotal[0], category + "cbc:ID") == "AE"
    assert text(subtotal[0], category + "cbc:Percent") == "0.00"
    assert text(subtotal[0], category + "cbc:TaxExemptionReasonCode") == "VATEX-EU-AE"
    assert text(subtotal[0], category + "cbc:TaxExemptionReason")
    assert text(root, "/*/cac:TaxTotal/cbc:TaxAmount") == "0.00"
    assert text(root, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount") == "102.74"
    assert texts(root, "//cac:ClassifiedTaxCategory/cbc:ID") == ["AE", "AE"]
    # Both VAT numbers (BR-AE-02), the buyer addressed by its organisationsnummer.
    assert text(root, "/*/cac:AccountingSupplierParty//cac:PartyTaxScheme/cbc:CompanyID") == "NL123456782B01"
    assert text(root, "/*/cac:AccountingCustomerParty//cac:PartyTaxScheme/cbc:CompanyID") == "SE556559423001"
    buyer = "/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"
    assert (text(root, buyer + "/@schemeID"), text(root, buyer)) == ("0007", "5565594230")
    assert text(root, "/*/cac:AccountingCustomerParty//cac:PostalAddress/cbc:PostalZone") == "111 22"
    # The reverse-charge note, in the invoice's language (Swedish).
    note = text(root, "/*/cbc:Note")
    assert "2006/112" in note
    assert "Omvänd betalningsskyldighet" in note  # the term of ML 2023:200


def test_reverse_charge_note_follows_the_invoice_language() -> None:
    _n, invoice, lines, _pdf = einvoice_samples.swedish_reverse_charge()
    notes = {
        language: text(render(("x", {**invoice, "language": language}, lines, None)), "/*/cbc:Note")
        for language in ("en", "nl", "sv")
    }
    assert notes["en"].startswith("Reverse charge")
    assert notes["nl"].startswith("Btw verlegd")
    assert notes["sv"].startswith("Omvänd betalningsskyldighet")


def test_exempt_line_has_its_own_breakdown_with_a_reason() -> None:
    root = render(einvoice_samples.with_exempt_line())
    subtotals = {
        text(s, "cac:TaxCategory/cbc:ID"): s
        for s in root.xpath("/*/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
    }
    assert set(subtotals) == {"E", "S"}
    exempt = subtotals["E"]
    assert text(exempt, "cbc:TaxableAmount") == "120.00"
    assert text(exempt, "cbc:TaxAmount") == "0.00"
    assert text(exempt, "cac:TaxCategory/cbc:Percent") == "0.00"
    assert text(exempt, "cac:TaxCategory/cbc:TaxExemptionReason") == "Exempt from VAT"
    assert text(subtotals["S"], "cbc:TaxAmount") == "14.70"
    assert text(root, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount") == "204.70"
    assert texts(root, "//cac:ClassifiedTaxCategory/cbc:ID") == ["S", "E"]


def test_credit_note_refers_to_the_invoice_it_credits_in_positive_amounts() -> None:
    root = render(einvoice_samples.credit_note())
    assert etree.QName(root).localname == "CreditNote"
    assert text(root, "/cn:CreditNote/cbc:CreditNoteTypeCode") == "381"
    assert text(root, "/*/cbc:ID") == "C2027-000001"
    ref = "/*/cac:BillingReference/cac:InvoiceDocumentReference/"
    assert text(root, ref + "cbc:ID") == "F2027-000001"
    assert text(root, ref + "cbc:IssueDate") == "2027-02-01"
    assert texts(root, "/*/cac:InvoiceLine") == []
    assert texts(root, "/*/cac:CreditNoteLine/cbc:CreditedQuantity") == ["1.00", "17.00"]
    assert texts(root, "/*/cac:CreditNoteLine/cbc:LineExtensionAmount") == ["450.00", "24.68"]
    assert text(root, "/*/cac:TaxTotal/cbc:TaxAmount") == "99.68"
    assert text(root, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount") == "574.36"
    assert text(root, "/*/cac:PaymentTerms/cbc:Note")


def test_pdf_is_embedded_when_given() -> None:
    root = render(einvoice_samples.domestic_nl())
    ref = root.xpath("/*/cac:AdditionalDocumentReference", namespaces=NS)
    assert len(ref) == 1
    assert text(ref[0], "cbc:ID") == "F2027-000001"
    binary = ref[0].xpath("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", namespaces=NS)[0]
    assert binary.get("mimeCode") == "application/pdf"
    assert binary.get("filename") == "F2027-000001.pdf"
    assert base64.b64decode(binary.text) == PDF

    without = render(einvoice_samples.swedish_reverse_charge())
    assert texts(without, "/*/cac:AdditionalDocumentReference") == []


def test_third_party_payer_is_the_buyer_and_names_the_organisation() -> None:
    """Rule BIL-4: the third party settles the fee; the invoice is addressed to it."""
    root = render(einvoice_samples.third_party_payer())
    buyer = root.xpath("/*/cac:AccountingCustomerParty/cac:Party", namespaces=NS)[0]
    assert text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName") == "VZVZ Servicecentrum B.V."
    assert text(buyer, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "NL"
    assert text(buyer, "cac:PostalAddress/cbc:PostalZone") == "2501 AA"
    assert (text(buyer, "cbc:EndpointID/@schemeID"), text(buyer, "cbc:EndpointID")) == ("0106", "27180321")
    assert text(root, "/*/cbc:BuyerReference") == "Huisartsenpraktijk De Linde (58300212)"


async def test_a_billing_run_snapshots_what_the_e_invoice_needs_of_buyers_and_third_party_payers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The organisation's Peppol id and KvK number, and a third-party payer's details from
    THIRD_PARTY_PAYERS (rule BIL-4), are on the invoice, so its e-invoice is complete."""
    import datetime as dt

    from src.billing.services import runs
    from src.billing.tables import Invoice, InvoiceLine
    from src.core import clock
    from src.settings import ThirdPartyPayer
    from src.subscriptions import repository as subscriptions_repository
    from tests import factories
    from tests.subscriptions.support import admin_actor

    override_settings(
        dataclasses.replace(
            get_settings(),
            third_party_payers=(
                ThirdPartyPayer(
                    key="VZVZ",
                    name="VZVZ Servicecentrum B.V.",
                    address=("Postbus 1234", "2501 AA Den Haag"),
                    country="NL",
                    registration="27180321",
                    vat_number="NL000099998B57",
                ),
            ),
        )
    )
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC))
    admin = await admin_actor()
    org = await factories.organisation(
        name="Huisartsenpraktijk De Linde",
        kvk_number="58300212",
        peppol_id="0106:58300212",
        billing_address="Lindelaan 4\n1234 AB Amsterdam",
    )
    await factories.member(org, role="contact_person")
    for number, payer in ((1, {}), (2, {"payer_kind": "third_party", "payer_name": "VZVZ"})):
        await subscriptions_repository.insert_charge(
            org["id"],
            source_type="certificate",
            source_id=number,
            description=f"UZI server certificate {number}",
            amount_cents=45000,
            chargeable_on=D(2027, 1, 20),
            **payer,
        )
    run = await runs.start(admin, "2027-01")
    for position in range(run["batches_total"]):
        await runs.run_batch(run["id"], position)

    invoices = {i["payer_kind"]: i for i in await Invoice.select().where(Invoice.organisation == org["id"])}
    own, third = invoices["organisation"], invoices["third_party"]
    assert (own["customer_registration"], own["customer_peppol_id"]) == ("58300212", "0106:58300212")
    assert third["customer_name"] == "VZVZ Servicecentrum B.V."
    assert third["customer_registration"] == "27180321"
    assert third["buyer_reference"] == "Huisartsenpraktijk De Linde (58300212)"

    documents = {}
    for kind, invoice in invoices.items():
        lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
        documents[kind] = render((kind, invoice, lines, None))
    buyer = "/*/cac:AccountingCustomerParty/cac:Party/"
    own_doc, third_doc = documents["organisation"], documents["third_party"]
    assert (text(own_doc, buyer + "cbc:EndpointID/@schemeID"), text(own_doc, buyer + "cbc:EndpointID")) == (
        "0106",
        "58300212",
    )
    assert (
        text(third_doc, buyer + "cbc:EndpointID/@schemeID"),
        text(third_doc, buyer + "cbc:EndpointID"),
    ) == ("0106", "27180321")
    assert text(third_doc, buyer + "cac:PartyTaxScheme/cbc:CompanyID") == "NL000099998B57"
    assert text(third_doc, buyer + "cac:PostalAddress/cbc:CityName") == "Den Haag"
    assert text(third_doc, "/*/cbc:BuyerReference") == "Huisartsenpraktijk De Linde (58300212)"
    assert text(third_doc, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount") == "544.50"
