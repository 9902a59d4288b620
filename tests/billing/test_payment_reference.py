"""The structured payment reference (rule BIL-6: paid to the vendor's account): an ISO 11649 RF
creditor reference given at finalisation, printed on the PDF with the vendor's IBAN, in the
e-invoice as the payment id and in the invoice's mail."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree
from stdnum import iso11649

from src.billing.services import documents, pdf, reference, ubl
from src.billing.tables import Invoice, InvoiceLine
from src.core import clock
from src.core.i18n import current_locale
from src.core.pdf import _environment
from src.core.tables import CaughtMail
from src.settings import get_settings, override_settings
from tests.billing import einvoice_samples
from tests.billing.documents_support import NOW, empty_broker, invoiced, work
from tests.billing.test_ubl import schema_errors
from tests.support import text_of


@pytest.fixture(autouse=True)
def at_the_start_of_february(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    empty_broker()
    before = get_settings()
    override_settings(einvoice_samples.vendor_settings(before))
    yield
    override_settings(before)


def test_the_reference_has_valid_check_digits_and_is_the_same_each_time():
    made = reference.creditor_reference("2027-000123")
    assert made == reference.creditor_reference("2027-000123")
    assert made.startswith("RF") and made.endswith("2027000123")
    assert iso11649.is_valid(made)
    # A mistyped digit is caught by the check digits.
    assert not iso11649.is_valid(made[:-1] + ("4" if made[-1] != "4" else "5"))
    assert iso11649.is_valid(reference.creditor_reference("F2027-000001"))
    assert reference.display(made) == iso11649.format(made)
    assert reference.creditor_reference("2027-000124") != made


async def test_a_finalised_invoice_stores_its_reference_and_a_credit_note_has_none():
    _org, _contact, invoice = await invoiced()
    assert invoice["payment_reference"] == reference.creditor_reference("2027-000001")
    assert iso11649.is_valid(invoice["payment_reference"])
    assert reference.payment_reference({**invoice, "kind": "credit_note"}) == ""
    assert reference.payment_reference({**invoice, "number": None, "status": "draft"}) == ""


async def test_an_invoice_finalised_before_references_were_stored_gets_the_same_one_computed():
    _org, _contact, invoice = await invoiced()
    await Invoice.update({Invoice.payment_reference: ""}).where(Invoice.id == invoice["id"])
    old = await Invoice.select().where(Invoice.id == invoice["id"]).first()
    assert reference.payment_reference(old) == invoice["payment_reference"]


@pytest.mark.parametrize("language", ["nl", "sv", "en"])
async def test_the_pdf_prints_the_reference_with_the_vendors_iban(language):
    _org, _contact, invoice = await invoiced()
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    token = current_locale.set(language)
    try:
        template = _environment().get_template(pdf.TEMPLATE)
        html = template.render(locale=language, **pdf.context(invoice, lines))
    finally:
        current_locale.reset(token)
    text = text_of(html)
    shown = reference.display(invoice["payment_reference"])
    assert shown.startswith("RF") and shown in text
    assert "NL91ABNA0417164300" in text


async def test_the_e_invoice_carries_the_reference_as_payment_id_and_stays_valid():
    _org, _contact, invoice = await invoiced()
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    data = ubl.render(invoice, lines, einvoice_samples.PDF)
    assert schema_errors(data) == []
    root = etree.fromstring(data)
    ns = {"cac": ubl.CAC, "cbc": ubl.CBC}
    [payment_id] = root.xpath("/*/cac:PaymentMeans/cbc:PaymentID/text()", namespaces=ns)
    assert payment_id == invoice["payment_reference"] and iso11649.is_valid(payment_id)
    [iban] = root.xpath("/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()", namespaces=ns)
    assert iban == "NL91ABNA0417164300"


async def test_the_mail_asks_for_the_reference_instead_of_the_invoice_number():
    _org, _contact, invoice = await invoiced()
    await work(documents.RENDER_ACTOR)
    await work(documents.MAIL_ACTOR)
    [sent] = await CaughtMail.select()
    body = " ".join(sent["body"].split())
    assert reference.display(invoice["payment_reference"]) in body
    assert "NL91 ABNA 0417 1643 00" in body
    assert "betalingskenmerk 2027-000001" not in body


async def test_without_an_iban_setting_the_mail_still_names_the_reference():
    override_settings(dataclasses.replace(get_settings(), vendor_iban="", vendor_bic=""))
    _org, _contact, invoice = await invoiced()
    await work(documents.RENDER_ACTOR)
    await work(documents.MAIL_ACTOR)
    [sent] = await CaughtMail.select()
    assert reference.display(invoice["payment_reference"]) in " ".join(sent["body"].split())
