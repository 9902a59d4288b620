"""Overdue invoices: the reminder schedule taken by the daily job, each step once, mailed in the
customer's language to its contact persons and billing address (rules BIL-7, BIL-8)."""

from __future__ import annotations

import datetime as dt
import json
import signal
from typing import Any

from src.billing.services import payments, reminders
from src.billing.tables import Invoice, InvoiceReminder
from src.core.tables import AuditEntry, OutboxMessage
from src.tenants.tables import Organisation
from tests.billing import dying_reminder
from tests.billing.invoiced import Clock, invoiced
from tests.subscriptions.support import admin_actor, bearer_for


async def reminder_mails(invoice_id: int) -> list[dict[str, Any]]:
    rows = (
        await OutboxMessage.select()
        .where(OutboxMessage.dedupe_key.like(f"reminder:{invoice_id}:%"))
        .order_by(OutboxMessage.id)
    )
    return [
        {
            **(r["payload"] if isinstance(r["payload"], dict) else json.loads(r["payload"])),
            "key": r["dedupe_key"],
        }
        for r in rows
    ]


async def overdue(monkeypatch) -> tuple[Clock, dict[str, Any]]:
    clock = Clock(monkeypatch)
    made = await invoiced()
    await Organisation.update({Organisation.billing_email: "crediteuren@factuurzorg.example"}).where(
        Organisation.id == made["org"]["id"]
    )
    made["invoice"] = await Invoice.select().where(Invoice.id == made["invoice"]["id"]).first()
    return clock, made


def late(made: dict[str, Any], days: int) -> dt.date:
    return made["invoice"]["due_on"] + dt.timedelta(days=days)


async def test_each_step_of_the_schedule_is_mailed_once_on_its_day(client, monkeypatch):
    clock, made = await overdue(monkeypatch)
    invoice = made["invoice"]
    clock.day(invoice["due_on"])
    assert await reminders.send_due() == 0  # due today: not late yet

    clock.day(late(made, 1))
    assert await reminders.send_due() == 1
    assert await reminders.send_due() == 0  # the same day again: nothing twice
    first = await reminder_mails(invoice["id"])
    assert sorted(m["to"][0] for m in first) == sorted(
        [made["contact"]["person_row"]["email"], "crediteuren@factuurzorg.example"]
    )
    assert first[0]["subject"] == f"Herinnering: factuur {invoice['number']}"
    assert invoice["payment_reference"][-6:] in first[0]["body"].replace(" ", "")
    assert "2,5 % per maand" in first[0]["body"]

    clock.day(late(made, 13))
    assert await reminders.send_due() == 0
    clock.day(late(made, 14))
    assert await reminders.send_due() == 1
    clock.day(late(made, 28))
    assert await reminders.send_due() == 1
    final = [m for m in await reminder_mails(invoice["id"]) if ":final_notice:" in m["key"]]
    assert final[0]["subject"] == f"Laatste aanmaning: factuur {invoice['number']}"
    assert "750,00" in final[0]["body"]  # the minimum collection costs, on this invoice's amount

    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    url = f"/api/v1/organisations/{made['org']['id']}/invoices/{invoice['id']}"
    assert (await client.get(url, headers=own)).json()["status"] == "overdue"
    clock.day(late(made, 42))
    assert await reminders.send_due() == 1
    assert (await client.get(url, headers=own)).json()["status"] == "in_collection"
    clock.day(late(made, 60))
    assert await reminders.send_due() == 0  # in collection: the schedule has ended

    steps = await InvoiceReminder.select().order_by(InvoiceReminder.id)
    assert [s["state"] for s in steps] == ["reminder_1", "reminder_2", "final_notice", "collection"]
    assert all(s["mailed"] for s in steps)
    assert len(await reminder_mails(invoice["id"])) == 4 * 2
    assert await AuditEntry.count().where(AuditEntry.action == "billing.reminder_sent") == 3
    assert await AuditEntry.count().where(AuditEntry.action == "billing.claim_to_collection") == 1


async def test_after_missed_days_every_step_is_recorded_and_one_mail_says_where_things_stand(monkeypatch):
    clock, made = await overdue(monkeypatch)
    clock.day(late(made, 30))
    assert await reminders.send_due() == 3
    steps = await InvoiceReminder.select().order_by(InvoiceReminder.id)
    assert [(s["state"], s["mailed"]) for s in steps] == [
        ("reminder_1", False),
        ("reminder_2", False),
        ("final_notice", True),
    ]
    mails = await reminder_mails(made["invoice"]["id"])
    assert {m["subject"] for m in mails} == {f"Laatste aanmaning: factuur {made['invoice']['number']}"}


async def test_a_paid_invoice_gets_no_reminder_and_a_complaint_pauses_nothing(client, monkeypatch):
    clock, made = await overdue(monkeypatch)
    other = await invoiced(name="Klagende Zorg B.V.")
    invoice = made["invoice"]
    clock.day(invoice["issued_on"] + dt.timedelta(days=2))
    own = await bearer_for(other["contact"]["person"], other["org"]["id"])
    disputed = await client.post(
        f"/api/v1/organisations/{other['org']['id']}/invoices/{other['invoice']['id']}/disputes",
        json={"text": "De internetlijn werkte niet."},
        headers=own,
    )
    assert disputed.status_code == 201
    await payments.record(await admin_actor(), invoice["id"], invoice["total_cents"], invoice["issued_on"])

    clock.day(late(made, 1))
    assert await reminders.send_due() == 1  # only the disputed one, which is still open
    assert await reminder_mails(invoice["id"]) == []
    assert len(await reminder_mails(other["invoice"]["id"])) == 1


async def test_a_job_killed_half_way_and_run_again_sends_each_reminder_once(monkeypatch):
    clock, made = await overdue(monkeypatch)
    second = await invoiced(name="Tweede Zorg B.V.")
    day = late(made, 1)
    clock.day(day)
    process = dying_reminder.start(dt.datetime.combine(day, dt.time(12), dt.UTC))
    assert process.wait(120) == -signal.SIGKILL
    # The first invoice's step was committed with its mails; the second's died with its transaction.
    assert await InvoiceReminder.count() == 1

    assert await reminders.send_due() == 1  # the job runs again the next time
    assert await reminders.send_due() == 0
    for invoice_id in (made["invoice"]["id"], second["invoice"]["id"]):
        keys = [m["key"] for m in await reminder_mails(invoice_id)]
        assert len(keys) == len(set(keys)) >= 1
    assert await InvoiceReminder.count() == 2
