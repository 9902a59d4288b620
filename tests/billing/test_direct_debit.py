"""SEPA Direct Debit through Stripe, against localstripe: a contact person gives a mandate, each
invoice is collected once on its due date (also when the worker is killed half-way), and the
mandate can be stopped."""

from __future__ import annotations

import datetime as dt
import signal
from typing import Any

import httpx
import pytest

from src.billing.services import direct_debit
from src.billing.tables import Payment, StripeCustomer, StripeIntent
from src.core.tables import AuditEntry
from src.core.tenancy import Actor
from src.identity.auth import build_actor
from tests.billing import dying_collector
from tests.billing.invoiced import Clock, invoiced, run_queued
from tests.billing.test_online_payments import AUTH, event, run_outbox, signed
from tests.billing.test_online_payments import stripe_settings as stripe_settings
from tests.signed_in import sign_in_person

IBAN = "DE89370400440532013000"


async def contact_actor(made: dict[str, Any]) -> Actor:
    actor = await build_actor(made["contact"]["person"], made["org"]["id"], "127.0.0.1")
    assert actor is not None
    return actor


async def give_mandate(base: str, made: dict[str, Any]) -> None:
    """The contact person fills in the bank account in Stripe's element and agrees; Stripe
    reports the SetupIntent's success to the portal."""
    setup = await direct_debit.setup_intent(await contact_actor(made), made["org"]["id"])
    setup_id = setup["client_secret"].split("_secret_")[0]
    async with httpx.AsyncClient(auth=AUTH) as stripe:
        method = (
            await stripe.post(
                f"{base}/v1/payment_methods",
                data={
                    "type": "sepa_debit",
                    "sepa_debit[iban]": IBAN,
                    "billing_details[name]": made["org"]["name"],
                    "billing_details[email]": "finance@example.org",
                },
            )
        ).json()
        await stripe.post(
            f"{base}/v1/setup_intents/{setup_id}/confirm", data={"payment_method": method["id"]}
        )
        succeeded = (await stripe.get(f"{base}/v1/setup_intents/{setup_id}")).json()
    assert succeeded["status"] == "succeeded"
    await deliver(event("setup_intent.succeeded", succeeded, f"evt_{setup_id}"))


async def deliver(payload: dict[str, Any]) -> None:
    from litestar.testing import AsyncTestClient

    from tests.support import portal_app

    body, headers = signed(payload)
    async with AsyncTestClient(app=portal_app(), base_url="http://testserver.local") as client:
        assert (await client.post("/webhooks/stripe", content=body, headers=headers)).status_code == 200
    await run_outbox()


async def intents_at_stripe(base: str, key: str) -> list[dict[str, Any]]:
    """The intents at Stripe of this collection, for this test's customer (localstripe is shared
    by the test processes, and their ids repeat)."""
    customer = (await StripeCustomer.select(StripeCustomer.customer_id).first())["customer_id"]
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    async with httpx.AsyncClient(auth=AUTH) as stripe:
        while True:
            page = (await stripe.get(f"{base}/v1/payment_intents", params=params)).json()
            found += page["data"]
            if not page.get("has_more"):
                break
            params["starting_after"] = page["data"][-1]["id"]
    return [i for i in found if i["customer"] == customer and i["metadata"].get("collection") == key]


async def collect_due_invoices() -> int:
    handed = await direct_debit.collect_due()
    await run_queued(direct_debit.COLLECT_ACTOR)
    return handed


async def test_with_a_mandate_an_invoice_is_collected_once_on_its_due_date(
    client, monkeypatch, stripe_settings
):
    clock = Clock(monkeypatch)
    made = await invoiced()
    await give_mandate(stripe_settings, made)
    customer = await StripeCustomer.select().first()
    assert customer["mandate_label"] == "DE•• •••• 3000"
    assert await AuditEntry.count().where(AuditEntry.action == "billing.direct_debit_mandate_given") == 1

    await sign_in_person(client, made["contact"]["person_row"])
    shown = await client.get("/organisation/direct-debit")
    assert "DE•• •••• 3000" in shown.text
    assert "Stop direct debit" in shown.text

    assert await collect_due_invoices() == 0  # not due yet
    clock.day(made["invoice"]["due_on"])
    assert await collect_due_invoices() == 1
    assert await collect_due_invoices() == 0  # handed over once
    key = f"direct-debit:{made['invoice']['id']}"
    [collected] = await intents_at_stripe(stripe_settings, key)
    assert collected["amount"] == made["invoice"]["total_cents"]
    assert collected["status"] in ("processing", "succeeded")

    await deliver(event("payment_intent.succeeded", collected, "evt_collected"))
    [payment] = await Payment.select()
    assert payment["amount_cents"] == made["invoice"]["total_cents"]
    assert payment["method"] == "stripe"
    assert await collect_due_invoices() == 0


@pytest.mark.parametrize("step", ["made", "confirmed"])
async def test_a_collection_killed_half_way_and_run_again_takes_the_money_once(
    monkeypatch, stripe_settings, step
):
    clock = Clock(monkeypatch)
    made = await invoiced()
    await give_mandate(stripe_settings, made)
    clock.day(made["invoice"]["due_on"])
    key = f"direct-debit:{made['invoice']['id']}"

    process = dying_collector.start(made["org"]["id"], made["invoice"]["id"], step)
    assert process.wait(120) == -signal.SIGKILL
    await direct_debit.collect(made["org"]["id"], made["invoice"]["id"])  # the outbox hands it over again
    await direct_debit.collect(made["org"]["id"], made["invoice"]["id"])  # and once more

    at_stripe = await intents_at_stripe(stripe_settings, key)
    confirmed = [i for i in at_stripe if i["status"] in ("processing", "succeeded")]
    assert len(confirmed) == 1  # one debit from the customer's account
    # An intent Stripe made before the portal stored it is never confirmed: it moves no money.
    assert all(i["status"] == "requires_confirmation" for i in at_stripe if i not in confirmed)
    [stored] = await StripeIntent.select().where(StripeIntent.collection_key == key)
    assert stored["intent_id"] == confirmed[0]["id"]
    assert stored["status"] == confirmed[0]["status"]


async def test_a_stopped_mandate_collects_nothing_more(client, monkeypatch, stripe_settings):
    clock = Clock(monkeypatch)
    made = await invoiced()
    await give_mandate(stripe_settings, made)
    await sign_in_person(client, made["contact"]["person_row"])
    stopped = await client.post_form("/organisation/direct-debit/stop")
    assert stopped.status_code in (200, 303)
    page = await client.get("/organisation/direct-debit")
    assert "Set up direct debit" in page.text
    assert await AuditEntry.count().where(AuditEntry.action == "billing.direct_debit_mandate_stopped") == 1
    clock.day(made["invoice"]["due_on"] + dt.timedelta(days=1))
    assert await collect_due_invoices() == 0
    again = await client.post_form("/organisation/direct-debit/stop")
    assert "no direct debit to stop" in again.text
