"""An invoice's documents (004 §1.7): rendered by a worker after finalising, stored once, mailed
once with both attached, downloaded by the organisation's contact persons and vendor admins."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from src.billing.services import documents, pdf, reference, runs
from src.billing.tables import Invoice, InvoiceDocument, InvoiceLine
from src.core import clock
from src.core.i18n import current_locale
from src.core.pdf import _environment
from src.core.tables import CaughtAttachment, CaughtMail, OutboxMessage
from src.settings import ThirdPartyPayer, get_settings, override_settings
from src.subscriptions.repository import insert_charge
from tests import factories
from tests.billing.documents_support import NOW, empty_broker, invoiced, work
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for
from tests.support import text_of


@pytest.fixture(autouse=True)
def at_the_start_of_february(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    empty_broker()


async def test_the_documents_are_stored_and_mailed_once_however_often_the_workers_run():
    org, _contact, invoice = await invoiced()
    assert await work(documents.RENDER_ACTOR, times=2) == 1
    rows = await InvoiceDocument.select().order_by(InvoiceDocument.kind)
    assert [r["kind"] for r in rows] == ["pdf", "ubl"]
    assert bytes(rows[0]["content"]).startswith(b"%PDF")
    assert b"<cbc:ID>2027-000001</cbc:ID>" in bytes(rows[1]["content"])
    assert await work(documents.MAIL_ACTOR, times=2) == 1
    assert await documents.render_documents(org["id"], invoice["id"]) is False  # stored already
    assert await work(documents.RENDER_ACTOR) == 0 and await work(documents.MAIL_ACTOR) == 0
    assert await InvoiceDocument.count() == 2
    assert await OutboxMessage.count().where(OutboxMessage.actor_name == documents.MAIL_ACTOR) == 1

    [sent] = await CaughtMail.select()
    assert sent["recipients"] == "carla@factuurzorg.example"  # no billing address: the contact persons
    assert sent["subject"].startswith("Factuur 2027-000001")  # the invoice's language: Dutch
    assert "uiterlijk 3 mrt 2027" in sent["body"]
    assert f"betalingskenmerk {reference.display(invoice['payment_reference'])}" in sent["body"]
    attachments = await CaughtAttachment.select().order_by(CaughtAttachment.filename)
    assert [(a["filename"], a["content_type"]) for a in attachments] == [
        ("invoice-2027-000001.pdf", "application/pdf"),
        ("invoice-2027-000001.xml", "application/xml"),
    ]
    assert bytes(attachments[0]["content"]) == bytes(rows[0]["content"])


async def test_the_mail_goes_to_the_billing_address_when_there_is_one():
    await invoiced(billing_email="facturen@factuurzorg.example")
    await work(documents.RENDER_ACTOR)
    await work(documents.MAIL_ACTOR)
    [sent] = await CaughtMail.select()
    assert sent["recipients"] == "facturen@factuurzorg.example"


async def _third_party_invoice(org: dict, payer_name: str) -> dict:
    """January's invoice to the third party paying a certificate fee of this organisation."""
    await insert_charge(
        org["id"],
        source_type="certificate",
        source_id=1,
        description="Server certificate",
        amount_cents=45000,
        chargeable_on=dt.date(2027, 1, 20),
        payer_kind="third_party",
        payer_name=payer_name,
    )
    started = await runs.start(await admin_actor(), "2027-01")
    await runs.run_batch(started["id"], 0)
    [invoice] = await Invoice.select().where(Invoice.organisation == org["id"])
    return invoice


async def test_a_third_partys_invoice_goes_to_the_third_party_alone_in_its_language():
    """Rule BIL-4: the party reimbursing a certificate fee gets its invoice, in the language of its
    country, at the address THIRD_PARTY_PAYERS gives; the organisation paid for gets none."""
    swedish_payer = ThirdPartyPayer(
        key="Regionen", name="Region Skåne", country="SE", email="fakturor@region.example"
    )
    override_settings(dataclasses.replace(get_settings(), third_party_payers=(swedish_payer,)))
    org = await factories.organisation(name="Vårdcentralen Linden AB", country="SE", org_number="5565594230")
    await factories.member(org, role="contact_person", email="anna@linden.example")
    invoice = await _third_party_invoice(org, "Regionen")
    assert (invoice["payer_kind"], invoice["language"]) == ("third_party", "sv")
    await work(documents.RENDER_ACTOR)
    await work(documents.MAIL_ACTOR)
    [sent] = await CaughtMail.select()
    assert sent["recipients"] == "fakturor@region.example"  # not anna@linden.example
    assert sent["subject"].startswith("Faktura ")
    assert "Vårdcentralen Linden AB" in sent["body"] and "/organisation/invoices" not in sent["body"]


async def test_a_third_party_without_an_address_is_named_in_the_failed_delivery():
    override_settings(dataclasses.replace(get_settings(), third_party_payers=()))
    org = await factories.organisation(name="Praktijk Zonder Adres")
    await factories.member(org, role="contact_person", email="piet@praktijk.example")
    invoice = await _third_party_invoice(org, "VZVZ")
    await work(documents.RENDER_ACTOR)
    with pytest.raises(LookupError, match="no e-mail address for 'VZVZ'"):
        await documents.mail_documents(org["id"], invoice["id"], documents.mail_key(invoice["id"]))
    assert await CaughtMail.count() == 0  # the organisation paid for is not mailed instead


async def test_a_customer_abroad_has_its_country_on_the_pdf_in_the_invoices_language():
    _org, _contact, invoice = await invoiced(country="SE", org_number="5565594230")
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    for language, country in (("sv", "Sverige"), ("nl", "Zweden"), ("en", "Sweden")):
        token = current_locale.set(language)
        try:
            context = pdf.context({**invoice, "language": language}, lines)
            html = _environment().get_template(pdf.TEMPLATE).render(locale=language, **context)
        finally:
            current_locale.reset(token)
        assert country in text_of(html)
    # a domestic customer's address is enough as it is
    assert pdf.context({**invoice, "customer_country": "NL"}, lines)["customer_country_name"] == ""


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("nl", ["Factuurnummer", "Betalingskenmerk", "zonder aftrek of verrekening", "Leveringsperiode"]),
        ("sv", ["Fakturanummer", "Betalningsreferens", "utan avdrag eller kvittning", "Leveransperiod"]),
        ("en", ["Invoice number", "Payment reference", "without deduction or set-off", "Service period"]),
    ],
)
async def test_the_pdf_says_what_the_law_asks_in_the_invoices_language(language, texts):
    # rule BIL-6: the payment terms are printed; the liability cap of rule AG-10 is not (004 §1.10)
    settings = dataclasses.replace(
        get_settings(),
        vendor_name="Zorgcert B.V.",
        vendor_address=("Stationsplein 12", "3511 ED Utrecht"),
        vendor_vat_number="NL123456782B01",
        vendor_chamber_of_commerce="12345678",
        vendor_iban="NL91ABNA0417164300",
        vendor_bic="ABNANL2A",
    )
    override_settings(settings)
    _org, _contact, invoice = await invoiced(vat_number="NL123456782B01")
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    token = current_locale.set(language)
    try:
        html = (
            _environment().get_template(pdf.TEMPLATE).render(locale=language, **pdf.context(invoice, lines))
        )
    finally:
        current_locale.reset(token)
    text = text_of(html)
    for expected in [*texts, "Zorgcert B.V.", "Stationsplein 12", "NL123456782B01", "12345678"]:
        assert expected in text
    assert "NL91ABNA0417164300" in text and "ABNANL2A" in text and "2027-000001" in text
    assert "Factuur Zorg B.V." in text and "Lindelaan 12" in text
    assert "21 %" in text and "€" in text
    assert "liab" not in text.lower() and "aansprakelijk" not in text.lower() and "ansvar" not in text.lower()
    assert (await pdf.render({**invoice, "language": language}, lines)).startswith(b"%PDF")


async def test_contact_persons_and_vendor_admins_download_the_documents(client):
    org, contact, invoice = await invoiced()
    base = f"/api/v1/organisations/{org['id']}/invoices/{invoice['id']}"
    own = await bearer_for(contact["person"], org["id"])
    early = await client.get(f"{base}/pdf", headers=own)
    assert early.status_code == 409 and "being prepared" in early.text

    await work(documents.RENDER_ACTOR)
    answer = await client.get(f"{base}/pdf", headers=own)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="invoice-2027-000001.pdf"'
    assert answer.content.startswith(b"%PDF")
    xml = await client.get(f"{base}/ubl", headers=own)
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    assert 'filename="invoice-2027-000001.xml"' in xml.headers["content-disposition"]

    _admin, admin = await admin_headers()
    assert (await client.get(f"{base}/ubl", headers=admin)).status_code == 200
    end_user = await factories.member(org)
    assert (
        await client.get(f"{base}/pdf", headers=await bearer_for(end_user["person"], org["id"]))
    ).status_code == 403
    other = await factories.organisation()
    stranger = await factories.member(other, role="contact_person")
    strange = await bearer_for(stranger["person"], other["id"])
    assert (await client.get(f"{base}/pdf", headers=strange)).status_code == 404
    other_base = f"/api/v1/organisations/{other['id']}/invoices/{invoice['id']}"
    assert (await client.get(f"{other_base}/pdf", headers=strange)).status_code == 404


async def test_the_invoice_pages_link_the_documents_once_they_are_ready(client):
    _org, contact, invoice = await invoiced()
    await sign_in_person(client, contact["person_row"])
    listed = text_of((await client.get("/organisation/invoices")).text)
    assert "Being prepared" in listed
    early = await client.get(f"/organisation/invoices/{invoice['id']}/pdf", follow_redirects=True)
    assert "documents of this invoice are being prepared" in text_of(early.text)  # on the invoice page
    await work(documents.RENDER_ACTOR)
    base = f"/organisation/invoices/{invoice['id']}"
    assert f'href="{base}/pdf"' in (await client.get("/organisation/invoices")).text
    detail = (await client.get(f"/organisation/invoices/{invoice['id']}")).text
    assert f'href="{base}/pdf"' in detail and f'href="{base}/ubl"' in detail
    downloaded = await client.get(f"{base}/pdf")
    assert downloaded.status_code == 200 and downloaded.content.startswith(b"%PDF")
    assert downloaded.headers["content-disposition"] == 'attachment; filename="invoice-2027-000001.pdf"'
    assert (await client.get(f"{base}/ubl")).headers["content-type"].startswith("application/xml")
    assert (await client.get(f"{base}/exe")).status_code == 404


async def test_the_downloads_are_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for kind, media in (("pdf", "application/pdf"), ("ubl", "application/xml")):
        path = paths[f"/api/v1/organisations/{{organisation_id}}/invoices/{{invoice_id}}/{kind}"]["get"]
        assert media in path["responses"]["200"]["content"] and "409" in path["responses"]
