"""Vendor admins record a payment by hand on /admin/billing/payments (rule BIL-6): by invoice
number or payment reference, the amount in euros; bad input is shown next to its field and
changes nothing."""

from __future__ import annotations

import pytest

from src.billing.services import reference
from src.billing.tables import Payment
from src.core.tables import AuditEntry
from tests import factories
from tests.billing.invoiced import Clock, invoiced
from tests.signed_in import sign_in_person
from tests.support import text_of


@pytest.fixture(autouse=True)
def at(monkeypatch) -> Clock:
    return Clock(monkeypatch)


async def test_a_vendor_admin_records_payments_by_number_and_by_reference(client):
    made = await invoiced()
    total = made["invoice"]["total_cents"]
    await sign_in_person(client, await factories.vendor_admin())
    form = await client.get("/admin/billing/payments")
    assert form.status_code == 200 and "Record a payment" in text_of(form.text)

    first = await client.post_form(
        "/admin/billing/payments",
        {"invoice": "2027-000001", "amount": "12,50", "paid_on": "2027-02-01", "reference": "Bank 1"},
        follow_redirects=True,
    )
    text = text_of(first.text)
    assert "Payment of €12.50 on invoice 2027-000001 recorded" in text and "is still open" in text
    assert "Factuur Zorg B.V." in text and "Bank 1" in text

    rest = f"{(total - 1250) / 100:.2f}"
    spaced = reference.display(made["invoice"]["payment_reference"])
    second = await client.post_form(
        "/admin/billing/payments",
        {"invoice": spaced.lower(), "amount": rest, "paid_on": "2027-02-01", "reference": ""},
        follow_redirects=True,
    )
    assert "the invoice is paid" in text_of(second.text)
    assert [p["amount_cents"] for p in await Payment.select().order_by(Payment.id)] == [1250, total - 1250]
    assert await AuditEntry.count().where(AuditEntry.action == "billing.payment_recorded") == 2


async def test_bad_input_is_shown_next_to_the_field_and_nothing_is_recorded(client):
    await invoiced()
    await sign_in_person(client, await factories.vendor_admin())
    cases = [
        ({"invoice": "2027-999999", "amount": "10", "paid_on": "2027-02-01"}, "No invoice has this number"),
        ({"invoice": "2027-000001", "amount": "ten", "paid_on": "2027-02-01"}, "Give the amount in euros"),
        ({"invoice": "2027-000001", "amount": "10.005", "paid_on": "2027-02-01"}, "Give the amount in euros"),
        ({"invoice": "2027-000001", "amount": "0", "paid_on": "2027-02-01"}, "more than zero"),
        ({"invoice": "2027-000001", "amount": "10", "paid_on": "2027-03-01"}, "cannot be in the future"),
        ({"invoice": "2027-000001", "amount": "10", "paid_on": "soon"}, "YYYY-MM-DD"),
    ]
    for data, message in cases:
        answer = await client.post_form("/admin/billing/payments", data)
        assert answer.status_code == 422, data
        assert message in text_of(answer.text) and "has-error" in answer.text, data
    assert await Payment.count() == 0


async def test_a_contact_person_cannot_record_payments(client):
    made = await invoiced()
    await sign_in_person(client, made["contact"]["person_row"])
    answer = await client.post_form(
        "/admin/billing/payments",
        {"invoice": "2027-000001", "amount": "10", "paid_on": "2027-02-01"},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303, 403)
    assert await Payment.count() == 0
