"""Security before delivering (rule BIL-11): a vendor admin asks an organisation for security;
its new orders wait for an advance invoice for the first month, which starts them once paid."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from src.billing.services import payments, runs
from src.billing.tables import Invoice, InvoiceLine
from src.core.tables import AuditEntry, OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from src.subscriptions.tables import Subscription
from src.tenants.services import security
from src.tenants.tables import Organisation
from tests import factories
from tests.billing.invoiced import Clock
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for
from tests.support import text_of

URL = "/api/v1/organisations"


async def audited(org_id: int, action: str) -> list[dict[str, Any]]:
    rows = (
        await AuditEntry.select()
        .where(AuditEntry.organisation_id == org_id)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )
    for row in rows:
        if isinstance(row["after"], str):
            row["after"] = json.loads(row["after"])
    return rows


async def run_month(period: str) -> None:
    started = await runs.start(await admin_actor(), period)
    for position in range(started["batches_total"]):
        await runs.run_batch(started["id"], position)


async def secured_order(monkeypatch) -> dict[str, Any]:
    clock = Clock(monkeypatch)
    clock.day(dt.date(2027, 3, 10))
    await seed_catalogue()
    admin = await admin_actor()
    org = await factories.organisation(name="Zekerheid Zorg B.V.")
    contact = await factories.member(org, role="contact_person")
    await security.set_requires_security(admin, org["id"], True, "Paid late twice last year")
    subscription = await ordering.order(
        admin, org["id"], service="webcert", variant="standalone", start=dt.date(2027, 3, 15)
    )
    invoice = await Invoice.select().where(Invoice.organisation == org["id"]).first()
    return {
        "clock": clock,
        "admin": admin,
        "org": org,
        "contact": contact,
        "sub": subscription,
        "invoice": invoice,
    }


async def test_an_order_waits_for_its_advance_invoice_made_final_and_mailed(client, monkeypatch):
    made = await secured_order(monkeypatch)
    org_id = made["org"]["id"]
    row = await Subscription.select().where(Subscription.id == made["sub"]["id"]).first()
    assert row["status"] == "awaiting_security"
    [marked] = await audited(org_id, "tenants.organisation_security_required")
    assert marked["after"]["reason"] == "Paid late twice last year"
    org = await Organisation.select().where(Organisation.id == org_id).first()
    assert org["requires_security"] and org["security_set_by"].startswith("Vendor Admin")

    invoice = made["invoice"]
    assert (invoice["status"], invoice["payer_kind"], invoice["run_key"]) == (
        "final",
        "organisation",
        f"advance:{row['id']}",
    )
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    assert line["source_type"] == "advance" and line["net_cents"] == row["price_cents"]
    assert line["description"].startswith("Voorschot voor de eerste maand")  # NL: Dutch
    assert invoice["vat_cents"] == round(row["price_cents"] * 0.21)
    assert invoice["total_cents"] == invoice["net_cents"] + invoice["vat_cents"]
    rendering = await OutboxMessage.select().where(
        OutboxMessage.dedupe_key == f"invoice-documents:{invoice['id']}"
    )
    assert len(rendering) == 1  # rendered and mailed by the document workers

    await sign_in_person(client, made["contact"]["person_row"])
    client.cookies.set("lang", "en")
    page = text_of((await client.get("/organisation/subscriptions", headers={"accept-language": "en"})).text)
    assert "Waiting for the advance payment" in page
    assert "starts once the advance invoice for its first month is paid" in page


async def test_paying_the_advance_in_full_starts_the_order_and_a_part_does_not(monkeypatch):
    made = await secured_order(monkeypatch)
    invoice, admin = made["invoice"], made["admin"]
    await payments.record(admin, invoice["id"], invoice["total_cents"] - 1, "2027-03-10")
    row = await Subscription.select().where(Subscription.id == made["sub"]["id"]).first()
    assert row["status"] == "awaiting_security"

    made["clock"].day(dt.date(2027, 3, 20))  # paid after the day ordered: it starts on payment
    await payments.record(admin, invoice["id"], 1, "2027-03-20")
    row = await Subscription.select().where(Subscription.id == made["sub"]["id"]).first()
    assert (row["status"], row["starts_on"]) == ("active", dt.date(2027, 3, 20))
    [started] = await audited(made["org"]["id"], "subscriptions.subscription_security_paid")
    assert started["object_id"] == str(row["id"])

    # The advance paid for 20 March to 19 April: the monthly invoices bill from 20 April on.
    made["clock"].day(dt.date(2027, 4, 1))
    await run_month("2027-03")
    made["clock"].day(dt.date(2027, 5, 1))
    await run_month("2027-04")
    monthly = (
        await Invoice.select()
        .where(Invoice.organisation == made["org"]["id"])
        .where(Invoice.id != invoice["id"])
    )
    assert [i["period"] for i in monthly] == ["2027-04"]
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == monthly[0]["id"])
    assert (line["first_day"], line["last_day"]) == (dt.date(2027, 4, 20), dt.date(2027, 4, 30))


async def test_an_organisation_without_security_orders_as_before(monkeypatch):
    Clock(monkeypatch)
    await seed_catalogue()
    admin = await admin_actor()
    org = await factories.organisation()
    sub = await ordering.order(
        admin, org["id"], service="webcert", variant="standalone", start=dt.date(2027, 2, 1)
    )
    assert sub["status"] == "active"
    assert await Invoice.select().where(Invoice.organisation == org["id"]) == []


async def test_vendor_admins_ask_for_security_through_the_api_and_others_cannot(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    _admin, headers = await admin_headers()
    missing = await client.patch(f"{URL}/{org['id']}", json={"requires_security": True}, headers=headers)
    assert missing.status_code == 422 and "security_reason" in missing.text
    done = await client.patch(
        f"{URL}/{org['id']}",
        json={"requires_security": True, "security_reason": "New customer"},
        headers=headers,
    )
    assert done.status_code == 200 and done.json()["requires_security"] is True
    own = await bearer_for(contact["person"], org["id"])
    refused = await client.patch(f"{URL}/{org['id']}", json={"requires_security": False}, headers=own)
    assert refused.status_code == 403
    lifted = await client.patch(f"{URL}/{org['id']}", json={"requires_security": False}, headers=headers)
    assert lifted.json()["requires_security"] is False
    assert len(await audited(org["id"], "tenants.organisation_security_lifted")) == 1


async def test_the_organisation_page_asks_for_security(client):
    org = await factories.organisation(name="Pagina Zorg B.V.")
    await sign_in_person(client, await factories.vendor_admin(), provider="staff")
    empty = await client.post_form(f"/admin/organisations/{org['id']}/security", {"requires_security": "yes"})
    assert "Say why security is needed" in text_of(empty.text)
    await client.post_form(
        f"/admin/organisations/{org['id']}/security",
        {"requires_security": "yes", "reason": "Insolvency rumours"},
    )
    page = text_of((await client.get(f"/admin/organisations/{org['id']}")).text)
    assert "Insolvency rumours" in page and "No longer ask for security" in page
