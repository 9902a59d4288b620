"""Suspension for non-payment (rule BIL-10): the automatic and the manual policy, only the
organisation's own invoices counting, its people told why at sign-in, every open invoice due at
once, and full payment lifting it (a suspension by hand stays)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from src.billing.services import payments, reminders, runs, statement, suspension
from src.billing.tables import Invoice
from src.core.tables import AuditEntry
from src.settings import get_settings, override_settings
from src.subscriptions.repository import insert_charge
from src.tenants.services import organisations
from src.tenants.tables import Organisation, Person
from tests import factories
from tests.billing.invoiced import Clock, invoiced, mails
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor
from tests.support import text_of


def policy(name: str) -> None:
    override_settings(
        dataclasses.replace(
            get_settings(),
            suspension_policy=name,
            service_desk_name="Servicedesk Zorgportaal",
            service_desk_email="servicedesk@portal.example",
        )
    )


async def organisation(org_id: int) -> dict[str, Any]:
    return await Organisation.select().where(Organisation.id == org_id).first()


async def actions(org_id: int, action: str) -> list[dict[str, Any]]:
    rows = (
        await AuditEntry.select()
        .where(AuditEntry.organisation_id == org_id)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )
    for row in rows:
        for key in ("before", "after"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows


def late(invoice: dict[str, Any], days: int) -> dt.date:
    return invoice["due_on"] + dt.timedelta(days=days)


async def run(period: str) -> None:
    admin = await admin_actor()
    started = await runs.start(admin, period)
    for position in range(started["batches_total"]):
        await runs.run_batch(started["id"], position)


async def test_the_automatic_policy_suspends_on_collection_once_and_tells_the_contact_persons(monkeypatch):
    policy("automatic")
    clock = Clock(monkeypatch)
    made = await invoiced()
    org_id = made["org"]["id"]
    clock.day(late(made["invoice"], 41))
    await reminders.send_due()
    assert (await organisation(org_id))["status"] == "active"  # the final notice suspends nothing

    clock.day(late(made["invoice"], 42))
    assert await reminders.send_due() == 1
    row = await organisation(org_id)
    assert (row["status"], row["suspension_cause"]) == ("suspended", "non_payment")
    assert made["invoice"]["number"] in row["suspension_note"]
    [audited] = await actions(org_id, "tenants.organisation_suspended")
    assert audited["after"]["cause"] == "non_payment"
    assert made["invoice"]["number"] in audited["after"]["invoices"]

    sent = await mails(f"suspension:{org_id}:")
    assert [m["to"] for m in sent] == [[made["contact"]["person_row"]["email"]]]
    assert sent[0]["subject"] == "Toegang tot het portaal geschorst: Factuur Zorg B.V."  # NL: Dutch
    assert made["invoice"]["number"] in sent[0]["body"] and "servicedesk@portal.example" in sent[0]["body"]

    clock.day(late(made["invoice"], 43))
    await reminders.send_due()
    assert len(await mails(f"suspension:{org_id}:")) == 1  # once


async def test_a_contact_person_is_mailed_in_their_own_language(monkeypatch):
    policy("automatic")
    clock = Clock(monkeypatch)
    made = await invoiced()
    await Person.update({Person.locale: "sv"}).where(Person.id == made["contact"]["person_row"]["id"])
    clock.day(late(made["invoice"], 42))
    await reminders.send_due()
    [sent] = await mails(f"suspension:{made['org']['id']}:")
    assert sent["subject"] == "Åtkomsten till portalen är avstängd: Factuur Zorg B.V."


async def test_a_third_partys_unpaid_invoice_never_suspends_the_organisation_it_pays_for(monkeypatch):
    policy("automatic")
    clock = Clock(monkeypatch)
    west = await factories.organisation(name="Zorg West B.V.")
    await factories.member(west, role="contact_person")
    await insert_charge(
        west["id"],
        source_type="certificate",
        source_id=7,
        description="Server certificate",
        amount_cents=45000,
        chargeable_on=dt.date(2027, 1, 20),
        payer_kind="third_party",
        payer_name="VZVZ",
    )
    south = await invoiced("Zorg Zuid B.V.")
    third = await Invoice.select().where(Invoice.organisation == west["id"]).first()
    assert third["payer_kind"] == "third_party"
    clock.day(late(third, 60))
    await reminders.send_due()
    assert (await Invoice.select().where(Invoice.id == third["id"]).first())["dunning_state"] == "collection"
    assert (await organisation(west["id"]))["status"] == "active"
    assert await mails(f"suspension:{west['id']}:") == []
    assert (await organisation(south["org"]["id"]))["status"] == "suspended"  # its own invoice


async def test_the_manual_policy_lists_at_risk_and_the_page_suspends(client, monkeypatch):
    policy("manual")
    clock = Clock(monkeypatch)
    made = await invoiced()
    org_id = made["org"]["id"]
    quiet = await invoiced("Betaalt Op Tijd B.V.")
    await payments.record(
        await admin_actor(), quiet["invoice"]["id"], quiet["invoice"]["total_cents"], "2027-02-01"
    )
    clock.day(late(made["invoice"], 42))
    await reminders.send_due()
    assert (await organisation(org_id))["status"] == "active"  # manual: a vendor admin decides

    await sign_in_person(client, await factories.vendor_admin(), provider="staff")
    assert 'href="/admin/billing/at-risk"' in (await client.get("/admin/billing")).text
    listed = await client.get("/admin/billing/at-risk")
    assert listed.status_code == 200
    text = text_of(listed.text)
    assert "Factuur Zorg B.V." in text and "In collection" in text and made["invoice"]["number"] in text
    assert "Betaalt Op Tijd" not in text
    assert "Suspend Factuur Zorg B.V." in text

    forged = await client.post(f"/admin/billing/at-risk/{org_id}/suspend")
    assert forged.status_code == 403  # no CSRF token
    assert (await organisation(org_id))["status"] == "active"
    done = await client.post_form(f"/admin/billing/at-risk/{org_id}/suspend", follow_redirects=False)
    assert done.status_code in (302, 303)
    assert (await organisation(org_id))["suspension_cause"] == "non_payment"
    [audited] = await actions(org_id, "tenants.organisation_suspended")
    assert audited["actor_label"].startswith("Vendor Admin")
    after = text_of((await client.get("/admin/billing/at-risk")).text)
    assert "Suspended" in after and "Suspend Factuur Zorg B.V." not in after

    nothing = await client.post_form(
        f"/admin/billing/at-risk/{quiet['org']['id']}/suspend", follow_redirects=True
    )
    assert "no unpaid invoice at the final notice or in collection" in text_of(nothing.text)
    assert (await organisation(quiet["org"]["id"]))["status"] == "active"


async def test_suspended_people_see_why_and_whom_to_contact_at_sign_in(client, monkeypatch):
    policy("automatic")
    clock = Clock(monkeypatch)
    made = await invoiced()
    clock.day(late(made["invoice"], 42))
    await reminders.send_due()
    answer = await sign_in_person(client, made["contact"]["person_row"])
    assert answer.status_code == 403
    text = text_of(answer.text)
    assert "suspended because invoices were not paid" in text and made["invoice"]["number"] in text
    assert "servicedesk@portal.example" in text and "Servicedesk Zorgportaal" in text


async def test_every_open_invoice_becomes_due_at_once(client, monkeypatch):
    policy("manual")
    clock = Clock(monkeypatch)
    made = await invoiced()
    org_id = made["org"]["id"]
    clock.day(dt.date(2027, 4, 1))
    await run("2027-03")
    march = (
        await Invoice.select()
        .where(Invoice.organisation == org_id)
        .where(Invoice.period == "2027-03")
        .first()
    )
    assert march["due_on"] > late(made["invoice"], 42)
    clock.day(late(made["invoice"], 42))
    today = clock.moment.date()
    await reminders.send_due()
    admin = await admin_actor()
    assert await suspension.suspend_for_non_payment(admin, org_id)

    row = await Invoice.select().where(Invoice.id == march["id"]).first()
    assert row["due_on"] == march["due_on"]  # the final invoice itself is unchanged
    assert row["accelerated_due_on"] == today
    [audited] = await actions(org_id, "billing.invoice_due_at_once")
    assert audited["object_id"] == str(march["id"])
    owed = await statement.statement(admin, org_id)
    assert {i["number"]: i["due_on"] for i in owed["items"]}[march["number"]] == today
    clock.day(today + dt.timedelta(days=1))
    [shown] = await payments.annotate(admin, org_id, [row])
    assert shown["status"] == "overdue"
    await sign_in_person(client, await factories.vendor_admin(), provider="staff")
    page = text_of((await client.get(f"/admin/billing/invoices/{march['id']}")).text)
    assert "Due at once since" in page


async def test_full_payment_lifts_the_suspension_and_partial_payment_does_not(monkeypatch):
    policy("automatic")
    clock = Clock(monkeypatch)
    made = await invoiced()
    org_id = made["org"]["id"]
    clock.day(late(made["invoice"], 42))
    await reminders.send_due()
    admin = await admin_actor()
    total = made["invoice"]["total_cents"]
    today = clock.moment.date().isoformat()
    await payments.record(admin, made["invoice"]["id"], total - 100, today)
    assert (await organisation(org_id))["status"] == "suspended"
    await payments.record(admin, made["invoice"]["id"], 100, today)
    row = await organisation(org_id)
    assert (row["status"], row["suspension_cause"], row["suspension_note"]) == ("active", "", "")
    [lifted] = await actions(org_id, "tenants.organisation_reactivated")
    assert lifted["before"]["cause"] == "non_payment"


async def test_a_suspension_by_hand_is_not_lifted_by_payment(monkeypatch):
    policy("manual")
    clock = Clock(monkeypatch)
    made = await invoiced()
    org_id = made["org"]["id"]
    admin = await admin_actor()
    await organisations.suspend_organisation(admin, org_id, "Licence misuse")
    assert (await organisation(org_id))["suspension_cause"] == "by_hand"
    clock.day(late(made["invoice"], 42))
    await reminders.send_due()
    await payments.record(admin, made["invoice"]["id"], made["invoice"]["total_cents"], clock.moment.date())
    assert (await organisation(org_id))["status"] == "suspended"
    assert await actions(org_id, "tenants.organisation_reactivated") == []
