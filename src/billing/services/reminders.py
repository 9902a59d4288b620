"""Reminders for overdue invoices, each step of the schedule once (rules BIL-7, BIL-8; 004 §1.7).

The daily job (`send_due`) looks at every final invoice past its due date that is not in
collection yet. For one that still has something open, the steps of the schedule whose day has
come (services/dunning_schedule.py: a reminder 1 and 14 days after the due date, a final notice
after 28 announcing collection, collection on day 42) are taken in one transaction with the
invoice's row locked: the invoice's `dunning_state` moves on, each step is recorded
(`InvoiceReminder`, unique per invoice and step) and audited, and the mail is queued in the
outbox. Killed anywhere, the job is run again: a step committed is never taken again, and one
that was not is taken then, so each reminder is mailed once.

When a day's job finds several steps due at once (the job did not run for a while), every step is
recorded but one mail is sent, the latest, saying where things stand. A mail goes to each active
contact person and to the billing address (a third party's invoice: to the third party's address
only, rule BIL-4), in the invoice's language, with what is open, the interest so far and, from
the final notice on, the collection costs. A complaint pauses nothing (BIL-8): a disputed invoice
is reminded like any other. Under the automatic suspension policy, the step to collection of an
organisation's own invoice also suspends the organisation (services/suspension.py, BIL-10).
The collection step also makes the invoice's interest note (interest
up to that day and the collection costs, services/interest_notes.py) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.services import balances, dunning_schedule, interest_notes, reference, suspension
from src.core import audit, clock, db, mail, outbox
from src.core.i18n import _, current_locale, format_date, format_money
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings
from src.subscriptions.services.letters import MAIL_ACTOR
from src.tenants.services.contact_persons import contact_person_addresses
from src.tenants.services.organisations import get_organisation

WORKER = Actor(person_id=0, name="reminders", is_vendor_admin=True)
PAGE = 500


def step_name(state: str) -> str:
    return {
        "reminder_1": _("Reminder"),
        "reminder_2": _("Second reminder"),
        "final_notice": _("Final notice"),
        "collection": _("Handed to collection"),
    }.get(state, state)


async def send_due() -> int:
    """The daily job: take the steps due of every overdue invoice; how many steps were taken."""
    today = clock.today()
    taken = 0
    after = 0
    while rows := await repository.overdue_invoices(today, after, PAGE):
        for row in rows:
            taken += await remind(int(row["organisation"]), int(row["id"]), today)
        after = int(rows[-1]["id"])
    return taken


async def remind(organisation_id: int, invoice_id: int, today: dt.date) -> int:
    """Take the invoice's steps due on `today`, once; how many were taken."""
    scope = TenantScope(WORKER, organisation_id)
    async with db.transaction():
        invoice = await ledger.lock_invoice(scope, invoice_id)
        if invoice["due_on"] is None or invoice["kind"] != "invoice" or invoice["status"] != "final":
            return 0
        paid = await ledger.payments_of(scope, [invoice_id])
        credited = await repository.credit_notes_of(scope, [invoice_id])
        balance = balances.balance(invoice, paid, credited, today)
        if balance.open_cents <= 0:
            return 0
        before = invoice["dunning_state"] or "none"
        steps = dunning_schedule.steps_due(invoice["due_on"], today, before)
        if not steps:
            return 0
        if not await repository.set_dunning_state(scope, invoice_id, before, steps[-1].state):
            return 0
        interest = balances.interest_cents(invoice, paid, credited, today)
        for step in steps:
            await repository.insert_reminder(
                scope,
                invoice=invoice_id,
                state=step.state,
                step_key=f"{invoice_id}:{step.state}",
                open_cents=balance.open_cents,
                interest_cents=interest,
                mailed=step is steps[-1],
                taken_on=today,
            )
            await audit.record(
                WORKER,
                "billing.reminder_sent" if step.state != "collection" else "billing.claim_to_collection",
                organisation_id=organisation_id,
                object_type="invoice",
                object_id=invoice_id,
                before={"dunning_state": before},
                after={
                    "invoice": invoice["number"],
                    "dunning_state": step.state,
                    "open_cents": balance.open_cents,
                    "interest_cents": interest,
                    "mailed": step is steps[-1],
                },
            )
        if any(step.state == balances.COLLECTION for step in steps):
            await interest_notes.make_in_transaction(WORKER, scope, invoice, today, collection=True)
        await _queue_mail(scope, invoice, steps[-1].state, balance.open_cents, interest, today)
        if (
            steps[-1].state == "collection"
            and invoice["payer_kind"] != "third_party"
            and suspension.policy() == "automatic"
        ):
            await suspension.suspend_for_non_payment(WORKER, organisation_id, automatic=True)
        return len(steps)


async def _queue_mail(
    scope: TenantScope, invoice: dict[str, Any], state: str, open_cents: int, interest: int, today: dt.date
) -> None:
    organisation = await get_organisation(WORKER, scope.organisation_id)
    key = f"reminder:{invoice['id']}:{state}"
    token = current_locale.set(invoice["language"] or "en")
    try:
        subject, lines = _text(invoice, state, open_cents, interest, today)
        if invoice["payer_kind"] == "third_party":
            payer = get_settings().third_party_payer(invoice["payer_name"])
            to = [("", payer.email)] if payer.email else []
        else:
            people = await contact_person_addresses(WORKER, scope.organisation_id)
            to = [(p["name"], p["email"]) for p in people]
            billing = (organisation.get("billing_email") or "").strip()
            if billing and billing not in {email for _name, email in to}:
                to.append(("", billing))
        for index, (name, email) in enumerate(to):
            greeting = _("Dear %(name)s,", name=name or invoice["customer_name"] or organisation["name"])
            await outbox.enqueue(
                MAIL_ACTOR,
                {"to": [email], "subject": subject, "body": mail.letter(greeting, lines)},
                f"{key}:{index}:{email.lower()}",
            )
    finally:
        current_locale.reset(token)


def _text(
    invoice: dict[str, Any], state: str, open_cents: int, interest: int, today: dt.date
) -> tuple[str, list[str]]:
    money = invoice["currency"]
    facts = {
        "number": invoice["number"],
        "due": format_date(invoice["due_on"]),
        "open": format_money(open_cents, money),
        "interest": format_money(interest, money),
        "reference": reference.display(reference.payment_reference(invoice)),
        "days": (today - invoice["due_on"]).days,
    }
    last_step = dunning_schedule.DEFAULT_SCHEDULE[-1]
    collection_on = invoice["due_on"] + dt.timedelta(days=last_step.days_after_due)
    costs = format_money(dunning_schedule.collection_costs_cents(open_cents), money)
    if state == "collection":
        subject = _("Invoice %(number)s: handed to collection", number=invoice["number"])
        lines = [
            _(
                "Invoice %(number)s, due on %(due)s, is still unpaid after our reminders: %(open)s is open. "
                "We have handed the claim to collection.",
                **facts,
            ),
            _(
                "Collection costs of %(costs)s (15 %% of the amount open, at least EUR 750) are added, as "
                "the general terms set out; interest of 2.5 %% a month keeps running, %(interest)s so far.",
                costs=costs,
                interest=facts["interest"],
            ),
        ]
    else:
        if state == "final_notice":
            subject = _("Final notice: invoice %(number)s", number=invoice["number"])
        elif state == "reminder_2":
            subject = _("Second reminder: invoice %(number)s", number=invoice["number"])
        else:
            subject = _("Reminder: invoice %(number)s", number=invoice["number"])
        lines = [
            _(
                "Invoice %(number)s was due on %(due)s, %(days)s days ago, and %(open)s of it is still open. "
                "Please pay it now with the payment reference %(reference)s.",
                **facts,
            ),
            _(
                "From the due date interest of 2.5 %% a month runs on the amount open (general terms); "
                "so far it is %(interest)s.",
                interest=facts["interest"],
            ),
        ]
        if state == "final_notice":
            lines.append(
                _(
                    "If the invoice is not paid by %(day)s, we hand the claim to collection, which adds "
                    "collection costs of %(costs)s (15 %% of the amount open, at least EUR 750).",
                    day=format_date(collection_on),
                    costs=costs,
                )
            )
    lines.append(_("A complaint about the invoice does not hold up its payment."))
    if invoice["payer_kind"] != "third_party":
        lines.append(
            _(
                "The invoice and what is open are in the portal: %(url)s",
                url=f"{get_settings().base_url}/organisation/invoices/{invoice['id']}",
            )
        )
    lines.append(_("If you have paid in the meantime, thank you, and please disregard this message."))
    return subject, lines


async def of_invoice(actor: Actor, organisation_id: int, invoice_id: int) -> list[dict[str, Any]]:
    """The reminder steps taken for an invoice, oldest first (contact persons, vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    rows = await repository.reminders_of(scope, [invoice_id])
    return [{**r, "name": step_name(r["state"])} for r in rows]
