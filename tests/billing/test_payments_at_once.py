"""A payment and a credit note of one invoice at the same moment, and two payments at once: they
take turns on the invoice's row (SELECT ... FOR UPDATE on PostgreSQL; SQLite writes one
transaction at a time), so each sees what the other left open and the balance is right."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from src.billing.payments import repository as ledger
from src.billing.services import credits, payments
from src.billing.tables import Invoice
from src.core import db
from src.core.tables import AuditEntry
from tests.billing.invoiced import Clock, invoiced
from tests.subscriptions.support import admin_actor


@pytest.fixture(autouse=True)
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)


async def _balance(made: dict[str, Any]) -> dict[str, Any]:
    admin = await admin_actor()
    row = await Invoice.select().where(Invoice.id == made["invoice"]["id"]).first()
    [annotated] = await payments.annotate(admin, made["org"]["id"], [row])
    return annotated


async def _a_transaction_waits_for_a_lock() -> None:
    """Until some transaction waits for a row lock held by another (PostgreSQL)."""
    for _look in range(2000):
        rows = await Invoice.raw("SELECT count(*) AS waiting FROM pg_locks WHERE NOT granted")
        if rows[0]["waiting"]:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("nothing waited for the invoice's lock")


async def test_a_payment_made_while_a_credit_note_is_being_made_sees_it(monkeypatch):
    made = await invoiced()
    invoice_id, total = made["invoice"]["id"], made["invoice"]["total_cents"]
    admin = await admin_actor()
    if db.is_postgres():
        # The credit note takes the invoice's lock and holds it until the payment is waiting for it.
        holding, release = asyncio.Event(), asyncio.Event()
        original = ledger.lock_invoice
        calls = iter(range(1000))

        async def lock(scope: Any, locked_id: int) -> dict[str, Any]:
            row = await original(scope, locked_id)
            if next(calls) == 0:
                holding.set()
                await release.wait()
            return row

        monkeypatch.setattr(ledger, "lock_invoice", lock)
        crediting = asyncio.create_task(credits.credit(admin, invoice_id, "Not delivered"))
        await holding.wait()
        paying = asyncio.create_task(payments.record(admin, invoice_id, total, "2027-02-01"))
        await _a_transaction_waits_for_a_lock()
        release.set()
        note, paid = await asyncio.gather(crediting, paying)
        # The payment came second and saw the credit note: all it paid is the customer's credit.
        assert paid["invoice"]["status"] == "credited" and paid["invoice"]["credit_balance_cents"] == total
    else:
        note, paid = await asyncio.gather(
            credits.credit(admin, invoice_id, "Not delivered"),
            payments.record(admin, invoice_id, total, "2027-02-01"),
        )
        assert paid["invoice"]["open_cents"] == 0
    assert note["total_cents"] == total
    final = await _balance(made)
    assert (final["status"], final["open_cents"], final["credit_balance_cents"]) == ("credited", 0, total)


async def test_two_payments_at_once_each_see_the_other(monkeypatch):
    made = await invoiced()
    invoice_id, total = made["invoice"]["id"], made["invoice"]["total_cents"]
    share = total // 2 + 100
    admin = await admin_actor()
    if db.is_postgres():
        # Both are inside their transaction before either takes the lock.
        barrier = asyncio.Barrier(2)
        original = ledger.lock_invoice

        async def lock(scope: Any, locked_id: int) -> dict[str, Any]:
            await barrier.wait()
            return await original(scope, locked_id)

        monkeypatch.setattr(ledger, "lock_invoice", lock)
    answers = await asyncio.gather(
        payments.record(admin, invoice_id, share, "2027-02-01", "first"),
        payments.record(admin, invoice_id, share, "2027-02-01", "second"),
    )
    left = sorted(a["invoice"]["open_cents"] for a in answers)
    assert left == [0, total - share]  # not both "total - share": the second saw the first
    assert sorted(a["invoice"]["status"] for a in answers) == ["open", "paid"]
    final = await _balance(made)
    assert (final["status"], final["open_cents"], final["credit_balance_cents"]) == (
        "paid",
        0,
        2 * share - total,
    )
    audited = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "billing.payment_recorded")
    after = [json.loads(a["after"]) if isinstance(a["after"], str) else a["after"] for a in audited]
    assert sorted(a["open_cents"] for a in after) == [0, total - share]
