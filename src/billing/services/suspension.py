"""Suspension for non-payment (rule BIL-10): who is at risk, suspending, all claims due at once,
and lifting the suspension on full payment.

**Policy** (setting `SUSPENSION_POLICY`): "manual" (the default) lists the organisations at risk
(an invoice of their own at the final notice or in collection) for a vendor admin to decide on
(`/admin/billing/at-risk`); "automatic" has the daily reminder job suspend an organisation when
one of its own invoices is handed to collection (services/reminders.py). Only the organisation's
own invoices count: an invoice a third party pays (`payer_kind` "third_party") is that payer's
debt and never suspends the organisation it pays for.

**Suspending** for non-payment marks the organisation suspended with the cause "non_payment" and
the numbers of the invoices in default (its people are told at sign-in, and whom to contact),
audits it, mails each active contact person once in their own language (outbox), and makes every
open invoice of its own due at once (BIL-10). Its data stay.

**Due at once, without changing the invoice.** A final invoice is a legal document, sent as PDF
and e-invoice; what it says, its due date included, never changes after finalisation. So the
acceleration is recorded beside it, as `accelerated_due_on` (today, where the invoice's own due
date is later), each one audited; balances.due_date() gives the earlier of the two, which the
invoice's status, its interest and the statement of account follow. The reminder schedule keeps
counting from the invoice's own due date, as the reminders already sent announced.

**Lifting.** When a payment leaves nothing open on the organisation's own invoices, a suspension
for non-payment is lifted in the same transaction (`after_payment`, called by payments.record,
which the hand-made, bank-statement and Stripe paths all go through). A suspension made by hand,
for whatever reason, is lifted only by hand (the organisation's page: reactivate).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.repository import suspension as queries
from src.billing.services import balances, dunning_schedule
from src.core import audit, clock, db, mail, outbox
from src.core.errors import Conflict
from src.core.i18n import LOCALES, _, current_locale, format_date, format_money, language_of
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.settings import get_settings
from src.subscriptions.services.letters import MAIL_ACTOR
from src.tenants.services import organisations
from src.tenants.services.organisations import get_organisation

WORKER = Actor(person_id=0, name="suspension", is_vendor_admin=True)
AT_RISK = ("final_notice", "collection")
COLLECTION = "collection"
FINAL_NOTICE_DAYS = next(
    s.days_after_due for s in dunning_schedule.DEFAULT_SCHEDULE if s.state == "final_notice"
)


def policy() -> str:
    return get_settings().suspension_policy


async def open_invoices(scope: TenantScope, today: dt.date) -> list[tuple[dict[str, Any], balances.Balance]]:
    """The organisation's own final invoices with something open today, oldest due first."""
    invoices = await ledger.final_invoices_of(scope, payer_kind="organisation")
    ids = [int(i["id"]) for i in invoices]
    paid = balances.by_invoice(await ledger.payments_of(scope, ids), "invoice")
    credited = balances.by_invoice(await repository.credit_notes_of(scope, ids), "credits")
    found = []
    for invoice in invoices:
        own = int(invoice["id"])
        balance = balances.balance(invoice, paid.get(own, []), credited.get(own, []), today)
        if balance.open_cents > 0:
            found.append((invoice, balance))
    return found


async def suspend_for_non_payment(actor: Actor, organisation_id: int, *, automatic: bool = False) -> bool:
    """Suspend the organisation for its unpaid invoices (a vendor admin, or the reminder job
    under the automatic policy); whether it was suspended now. By hand it takes an invoice at the
    final notice or in collection (else Conflict); automatically, one in collection."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    today = clock.today()
    async with db.transaction():
        found = await open_invoices(scope, today)
        wanted = (COLLECTION,) if automatic else AT_RISK
        claims = [invoice for invoice, balance in found if balance.dunning_state in wanted]
        if not claims:
            if automatic:
                return False
            raise Conflict(_("This organisation has no unpaid invoice at the final notice or in collection."))
        numbers = ", ".join(str(invoice["number"]) for invoice in claims)
        reason = "automatic" if automatic else ""
        if not await organisations.suspend_for_non_payment(actor, organisation_id, reason, numbers):
            return False
        for invoice, _balance in found:
            if await queries.accelerate(scope, int(invoice["id"]), today):
                await audit.record(
                    actor,
                    "billing.invoice_due_at_once",
                    organisation_id=organisation_id,
                    object_type="invoice",
                    object_id=int(invoice["id"]),
                    before={"due_on": invoice["due_on"]},
                    after={"invoice": invoice["number"], "accelerated_due_on": today},
                )
        await _mail(scope, claims, sum(b.open_cents for _i, b in found), today)
    return True


async def after_payment(actor: Actor, organisation_id: int, today: dt.date) -> bool:
    """In the transaction of a recorded payment: lift a suspension for non-payment when nothing
    is left open on the organisation's own invoices; whether it was lifted."""
    organisation = await get_organisation(actor, organisation_id)
    if organisation["status"] != "suspended" or organisation["suspension_cause"] != "non_payment":
        return False
    if await open_invoices(TenantScope(actor, organisation_id), today):
        return False
    return await organisations.lift_non_payment_suspension(actor, organisation_id, "paid in full")


async def at_risk(actor: Actor) -> list[dict[str, Any]]:
    """The organisations with an invoice of their own at the final notice or in collection
    (vendor admins): what is open on their own invoices, the oldest due date, how far the worst
    claim is, and whether they are suspended; the oldest debt first."""
    require_vendor_admin(actor)
    today = clock.today()
    listed = []
    due_before = today - dt.timedelta(days=FINAL_NOTICE_DAYS - 1)
    for organisation_id in await queries.organisations_in_arrears(actor, due_before):
        found = await open_invoices(TenantScope(actor, organisation_id), today)
        states = {balance.dunning_state for _invoice, balance in found}
        if not states & set(AT_RISK):
            continue
        organisation = await get_organisation(actor, organisation_id)
        in_collection = [i for i, b in found if b.dunning_state == COLLECTION]
        listed.append(
            {
                "organisation": organisation,
                "open_cents": sum(b.open_cents for _i, b in found),
                "currency": found[0][0]["currency"],
                "oldest_due_on": min(i["due_on"] for i, _b in found),
                "state": COLLECTION if in_collection else "final_notice",
                "invoices": [i["number"] for i, b in found if b.dunning_state in AT_RISK],
                "suspended": organisation["status"] == "suspended",
            }
        )
    return sorted(listed, key=lambda r: (r["oldest_due_on"], r["organisation"]["name"].casefold()))


async def _mail(scope: TenantScope, claims: list[dict[str, Any]], open_cents: int, today: dt.date) -> None:
    organisation = await get_organisation(WORKER, scope.organisation_id)
    fallback = language_of(organisation.get("country"))
    numbers = ", ".join(str(invoice["number"]) for invoice in claims)
    for person in await queries.contact_person_languages(scope):
        language = person["locale"] if person["locale"] in LOCALES else fallback
        token = current_locale.set(language)
        try:
            lines = [
                _(
                    "The access of %(name)s to the portal is suspended from today, %(day)s, because invoices "
                    "were not paid after our reminders: %(invoices)s.",
                    name=organisation["name"],
                    day=format_date(today),
                    invoices=numbers,
                ),
                _(
                    "As the general terms set out, every open invoice is now due at once: %(open)s in all, "
                    "with interest and collection costs as in the statement of account.",
                    open=format_money(open_cents, claims[0]["currency"]),
                ),
                _(
                    "Your data are kept. As soon as everything open is paid, access returns by itself. "
                    "To pay or to talk about the invoices, contact the service desk."
                ),
            ]
            await outbox.enqueue(
                MAIL_ACTOR,
                {
                    "to": [person["email"]],
                    "subject": _("Access to the portal suspended: %(name)s", name=organisation["name"]),
                    "body": mail.letter(_("Dear %(name)s,", name=person["name"]), lines),
                },
                f"suspension:{scope.organisation_id}:{today.isoformat()}:{person['email'].lower()}",
            )
        finally:
            current_locale.reset(token)
