"""The documents of a final invoice or credit note: its PDF and its UBL e-invoice (004 §1.7).

`finalise` hands the invoice to the worker actor `billing.render_documents` through the outbox,
in its own transaction. The worker renders the PDF, then the e-invoice with the PDF embedded,
and stores both once (InvoiceDocument, unique per invoice and kind), in one transaction with the
outbox row of the mail (`billing.mail_documents`, one dedupe key per invoice). A run again, or a
second worker at the same moment, stores nothing new and queues no second mail; a worker killed
while rendering leaves nothing behind, and the outbox hands the invoice over again.

The mail goes to the organisation's billing address, or to its active contact persons when it
has none, in the invoice's language, with both documents attached. An invoice to a third party
paying some of the organisation's charges (rule BIL-4) goes to the same address: the portal
keeps no address of the payer, so the organisation, which named it, passes it on (the mail says
so). The mail is sent once per invoice (src.core.mail.deliver, same key).

Contact persons of the organisation and vendor admins download the stored documents; before the
worker has stored them the answer is a Conflict saying they are being prepared."""

from __future__ import annotations

from typing import Any

from src.billing import repository
from src.billing.repository import interest_notes as interest_notes_repository
from src.billing.services import invoicing, pdf, reference, ubl
from src.core import db, mail, outbox
from src.core.errors import Conflict, NotFound
from src.core.i18n import _, current_locale, format_date, format_money
from src.core.tenancy import Actor, TenantScope
from src.core.vendor import vendor as vendor_details
from src.settings import get_settings
from src.tenants.services.contact_persons import contact_person_addresses
from src.tenants.services.organisations import get_organisation

RENDER_ACTOR = invoicing.RENDER_ACTOR
MAIL_ACTOR = "billing.mail_documents"
# The workers act for every organisation's invoices.
WORKER = Actor(person_id=0, name="invoice documents", is_vendor_admin=True)
KINDS = ("pdf", "ubl")
MEDIA_TYPES = {"pdf": "application/pdf", "ubl": "application/xml"}
EXTENSIONS = {"pdf": "pdf", "ubl": "xml"}


def mail_key(invoice_id: int) -> str:
    return f"invoice-mail:{invoice_id}"


async def _document_data(scope: TenantScope, invoice_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The invoice row (a credit note's with the number and date of what it credits) and its lines."""
    invoice = dict(await repository.invoice(scope, invoice_id))
    if invoice["kind"] == "credit_note" and invoice.get("credits"):
        credited = await repository.credited_invoice(scope, int(invoice["credits"]))
        invoice["credited_number"] = credited["number"] if credited else None
        invoice["credited_issued_on"] = credited["issued_on"] if credited else None
    if invoice["kind"] == "interest_note" and invoice.get("interest_of"):
        original = await interest_notes_repository.invoice_facts(scope, int(invoice["interest_of"]))
        invoice["interest_of_number"] = original["number"] if original else None
        invoice["interest_of_issued_on"] = original["issued_on"] if original else None
        invoice["interest_of_due_on"] = original["due_on"] if original else None
    lines = await repository.lines_of(scope, [invoice_id])
    return invoice, lines


async def render_documents(organisation_id: int, invoice_id: int) -> bool:
    """Render and store a final invoice's PDF and e-invoice, and queue their mail, once.
    False when there was nothing to do (stored already, or not final)."""
    scope = TenantScope(WORKER, organisation_id)
    invoice, lines = await _document_data(scope, invoice_id)
    if invoice["status"] != "final":
        return False
    if await repository.document_kinds(scope, invoice_id):
        # Both are stored in the transaction that queued the mail: nothing is left to do.
        return False
    document = await pdf.render(invoice, lines)
    einvoice = ubl.render(invoice, lines, document)
    async with db.transaction():
        await repository.store_document(scope, invoice_id, "pdf", document)
        await repository.store_document(scope, invoice_id, "ubl", einvoice)
        await outbox.enqueue(
            MAIL_ACTOR, {"organisation_id": organisation_id, "invoice_id": invoice_id}, mail_key(invoice_id)
        )
    return True


async def recipients(organisation: dict[str, Any], invoice: dict[str, Any] | None = None) -> list[str]:
    """Where the documents go: a third party's invoice to the third party's address from
    THIRD_PARTY_PAYERS, never to the organisation it pays for (rule BIL-4); the organisation's own
    to its billing address, else its active contact persons' addresses."""
    if invoice is not None and invoice["payer_kind"] == "third_party":
        payer = get_settings().third_party_payer(invoice["payer_name"])
        return [payer.email] if payer.email else []
    organisation_id = int(organisation["id"])
    billing = (organisation.get("billing_email") or "").strip()
    if billing:
        return [billing]
    emails: list[str] = []
    for person in await contact_person_addresses(WORKER, organisation_id):
        if person["email"] not in emails:
            emails.append(person["email"])
    return emails


def _mail_text(invoice: dict[str, Any], organisation: dict[str, Any]) -> tuple[str, list[str]]:
    """The subject and the text of the mail, in the current language."""
    vendor = get_settings().vendor_name or _("Care portal")
    amount = format_money(int(invoice["total_cents"]), invoice["currency"])
    if invoice["kind"] == "credit_note":
        subject = _("Credit note %(number)s from %(vendor)s", number=invoice["number"], vendor=vendor)
        text = [
            _(
                "Attached is credit note %(number)s of %(date)s for %(amount)s.",
                number=invoice["number"],
                date=format_date(invoice["issued_on"]),
                amount=amount,
            )
        ]
        if invoice.get("credited_number"):
            text.append(_("It credits invoice %(number)s.", number=invoice["credited_number"]))
        if invoice.get("reason"):
            text.append(_("Reason: %(reason)s", reason=invoice["reason"]))
    elif invoice["kind"] == "interest_note":
        subject = _("Interest note %(number)s from %(vendor)s", number=invoice["number"], vendor=vendor)
        text = [
            _(
                "Invoice %(invoice)s was not paid in time. Attached is interest note %(number)s of %(date)s "
                "for %(amount)s: the late-payment interest and, once a claim is in collection, the "
                "collection costs the general terms set out. Please pay it by %(due)s with the payment "
                "reference %(reference)s.",
                invoice=invoice.get("interest_of_number") or "",
                number=invoice["number"],
                date=format_date(invoice["issued_on"]),
                amount=amount,
                due=format_date(invoice["due_on"]),
                reference=reference.display(reference.payment_reference(invoice)),
            )
        ]
    else:
        subject = _("Invoice %(number)s from %(vendor)s", number=invoice["number"], vendor=vendor)
        facts = {
            "number": invoice["number"],
            "date": format_date(invoice["issued_on"]),
            "amount": amount,
            "due": format_date(invoice["due_on"]),
            "reference": reference.display(reference.payment_reference(invoice)),
        }
        iban = vendor_details().iban_display
        text = [
            _(
                "Attached is invoice %(number)s of %(date)s for %(amount)s. Please pay it by %(due)s "
                "to %(iban)s, with the payment reference %(reference)s.",
                iban=iban,
                **facts,
            )
            if iban
            else _(
                "Attached is invoice %(number)s of %(date)s for %(amount)s. Please pay it by %(due)s, "
                "with the payment reference %(reference)s.",
                **facts,
            )
        ]
    if invoice["payer_kind"] == "third_party":
        text.append(
            _(
                "You receive this document because you pay these charges for %(organisation)s; "
                "%(organisation)s receives no invoice for them.",
                organisation=organisation["name"],
            )
        )
    text += [
        "",
        _("The PDF is for reading; the XML file is the same document as an e-invoice (UBL) for bookkeeping."),
    ]
    if invoice["payer_kind"] != "third_party":  # a third party has no account in the portal
        text.append(
            _(
                "Your invoices are also in the portal: %(url)s",
                url=f"{get_settings().base_url}/organisation/invoices/{invoice['id']}",
            )
        )
    return subject, text


async def mail_documents(organisation_id: int, invoice_id: int, dedupe_key: str) -> bool:
    """Mail the stored documents of an invoice once (per `dedupe_key`)."""
    if await mail.was_sent(dedupe_key):
        return False
    scope = TenantScope(WORKER, organisation_id)
    invoice, _lines = await _document_data(scope, invoice_id)
    documents = {kind: await repository.document(scope, invoice_id, kind) for kind in KINDS}
    missing = [kind for kind, content in documents.items() if content is None]
    if missing:
        raise LookupError(f"invoice {invoice_id}: its {', '.join(missing)} document is not stored")
    organisation = await get_organisation(WORKER, organisation_id)
    to = await recipients(organisation, invoice)
    if not to:
        # Never counted as sent: the row fails and shows among the failed deliveries.
        if invoice["payer_kind"] == "third_party":
            raise LookupError(
                f"invoice {invoice_id}: THIRD_PARTY_PAYERS gives no e-mail address "
                f"for {invoice['payer_name']!r}"
            )
        raise LookupError(f"invoice {invoice_id}: the organisation has no billing address or contact person")
    token = current_locale.set(invoice["language"] or "en")
    try:
        subject, text = _mail_text(invoice, organisation)
        body = mail.letter(_("Dear %(name)s,", name=invoice["customer_name"] or organisation["name"]), text)
    finally:
        current_locale.reset(token)
    attachments: list[mail.Attachment] = [
        (pdf.filename(invoice, EXTENSIONS[kind]), MEDIA_TYPES[kind], documents[kind] or b"") for kind in KINDS
    ]
    return await mail.deliver(to, subject, body, dedupe_key, attachments)


async def download(actor: Actor, organisation_id: int, invoice_id: int, kind: str) -> tuple[str, str, bytes]:
    """A stored document of a final invoice: (file name, media type, content). Contact persons of
    the organisation and vendor admins; Conflict while the workers are still preparing it."""
    if kind not in KINDS:
        raise NotFound()
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    invoice = await repository.invoice(scope, invoice_id)
    if invoice["status"] != "final":
        if not actor.is_vendor_admin:
            raise NotFound()
        raise Conflict(_("A draft has no documents yet: they are made once it is finalised."))
    content = await repository.document(scope, invoice_id, kind)
    if content is None:
        raise Conflict(_("The documents of this invoice are being prepared. Try again in a minute."))
    return pdf.filename(invoice, EXTENSIONS[kind]), MEDIA_TYPES[kind], content


async def available(actor: Actor, organisation_id: int, invoice_ids: list[int]) -> set[int]:
    """Of these invoices, those whose documents are stored (for links on pages)."""
    return await repository.invoices_with_documents(TenantScope(actor, organisation_id), invoice_ids)
