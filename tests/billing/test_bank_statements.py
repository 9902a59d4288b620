"""Bank statements: a vendor admin imports the camt.053 file of the vendor's account; payments
carrying an invoice's RF reference (or its number) are recorded on it, the rest are matched by
hand, and a statement imported twice changes nothing (rule BIL-6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.billing.services import bank_statements
from src.billing.tables import BankLine, Invoice, Payment
from src.core.tables import AuditEntry
from tests import factories
from tests.billing.camt_samples import entry, statement, transaction
from tests.billing.invoiced import Clock, invoiced
from tests.signed_in import sign_in_person
from tests.subscriptions.support import admin_actor, admin_headers, bearer_for

BOOKED = dt.date(2027, 3, 5)


async def made_and_statement_day(monkeypatch) -> dict[str, Any]:
    clock = Clock(monkeypatch)
    made = await invoiced()
    made["invoice"] = await Invoice.select().where(Invoice.id == made["invoice"]["id"]).first()
    clock.day(BOOKED + dt.timedelta(days=1))
    return made


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


async def test_payments_are_matched_by_reference_or_number_and_a_statement_counts_once(client, monkeypatch):
    made = await made_and_statement_day(monkeypatch)
    other = await invoiced(name="Tweede Zorg B.V.")
    invoice, second = made["invoice"], other["invoice"]
    assert invoice["payment_reference"].startswith("RF")
    data = statement(
        [
            entry(
                euros(invoice["total_cents"]),
                [transaction(reference=invoice["payment_reference"], bank_ref="B-1")],
            ),
            entry("50.00", [transaction(text=f"deel factuur {second['number']}", bank_ref="B-2")]),
            entry("12.34", [transaction(text="onbekend", bank_ref="B-3")]),
            entry(
                "99.00", [transaction(reference=invoice["payment_reference"], bank_ref="B-4")], credit=False
            ),
        ]
    )
    _admin, headers = await admin_headers()
    answer = await client.post(
        "/api/v1/bank-statements", content=data, headers={**headers, "Content-Type": "application/xml"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() | {"id": 0} == {"id": 0, "matched": 2, "unmatched": 1, "already_imported": False}

    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    shown = (
        await client.get(f"/api/v1/organisations/{made['org']['id']}/invoices/{invoice['id']}", headers=own)
    ).json()
    assert (shown["status"], shown["open_cents"]) == ("paid", 0)
    theirs = await bearer_for(other["contact"]["person"], other["org"]["id"])
    partly = (
        await client.get(
            f"/api/v1/organisations/{other['org']['id']}/invoices/{second['id']}", headers=theirs
        )
    ).json()
    assert partly["open_cents"] == second["total_cents"] - 5000
    payments = await Payment.select().order_by(Payment.id)
    assert [(p["method"], p["paid_on"]) for p in payments] == [("bank_transfer", BOOKED)] * 2

    again = await client.post(
        "/api/v1/bank-statements", content=data, headers={**headers, "Content-Type": "application/xml"}
    )
    assert again.json()["already_imported"] is True
    # The same payment on a later export of the day (another statement id) is not taken twice.
    later = statement(
        [
            entry(
                euros(invoice["total_cents"]),
                [transaction(reference=invoice["payment_reference"], bank_ref="B-1")],
            )
        ],
        identity="STMT-2027-03-05-EOD",
    )
    answer = await client.post(
        "/api/v1/bank-statements", content=later, headers={**headers, "Content-Type": "application/xml"}
    )
    assert answer.json() | {"id": 0} == {"id": 0, "matched": 0, "unmatched": 0, "already_imported": False}
    assert await Payment.count() == 2
    assert await BankLine.count() == 3


async def test_only_vendor_admins_import_and_a_file_that_is_no_statement_is_refused(client, monkeypatch):
    made = await made_and_statement_day(monkeypatch)
    own = await bearer_for(made["contact"]["person"], made["org"]["id"])
    data = statement([entry("10.00", [transaction(text="x")])])
    refused = await client.post(
        "/api/v1/bank-statements", content=data, headers={**own, "Content-Type": "application/xml"}
    )
    assert refused.status_code == 403
    _admin, headers = await admin_headers()
    wrong = await client.post(
        "/api/v1/bank-statements",
        content=b"<Invoice/>",
        headers={**headers, "Content-Type": "application/xml"},
    )
    assert wrong.status_code == 422
    assert "camt.053" in wrong.text
    assert await BankLine.count() == 0


async def test_a_vendor_admin_matches_by_hand_or_sets_aside_on_the_page(client, monkeypatch):
    made = await made_and_statement_day(monkeypatch)
    admin = await admin_actor()
    data = statement(
        [
            entry("40.00", [transaction(text="betaling zorg", name="Factuur Zorg B.V.", bank_ref="H-1")]),
            entry("7.50", [transaction(text="retour leverancier", name="Leverancier", bank_ref="H-2")]),
        ]
    )
    result = await bank_statements.import_statement(admin, data)
    assert (result["matched"], result["unmatched"]) == (0, 2)
    first, second = sorted(await BankLine.select(), key=lambda r: r["id"])

    staff = await factories.vendor_admin()
    await sign_in_person(client, staff, provider="staff")
    page = await client.get("/admin/billing/bank-statements")
    assert "betaling zorg" in page.text and "retour leverancier" in page.text

    wrong = await client.post_form(
        f"/admin/billing/bank-statements/lines/{first['id']}/match", {"invoice_number": "2099-000001"}
    )
    assert "No final invoice has this number." in wrong.text
    done = await client.post_form(
        f"/admin/billing/bank-statements/lines/{first['id']}/match",
        {"invoice_number": made["invoice"]["number"]},
    )
    assert f"recorded on invoice {made['invoice']['number']}" in done.text
    [payment] = await Payment.select()
    assert payment["amount_cents"] == 4000
    twice = await client.post_form(
        f"/admin/billing/bank-statements/lines/{first['id']}/match",
        {"invoice_number": made["invoice"]["number"]},
    )
    assert "matched or set aside already" in twice.text
    assert await Payment.count() == 1

    no_reason = await client.post_form(
        f"/admin/billing/bank-statements/lines/{second['id']}/set-aside", {"reason": " "}
    )
    assert "Say why" in no_reason.text
    aside = await client.post_form(
        f"/admin/billing/bank-statements/lines/{second['id']}/set-aside", {"reason": "Supplier refund"}
    )
    assert "set aside" in aside.text
    assert "Every payment received is matched" in (await client.get("/admin/billing/bank-statements")).text
    assert await AuditEntry.count().where(AuditEntry.action == "billing.bank_line_set_aside") == 1
    assert await AuditEntry.count().where(AuditEntry.action == "billing.payment_recorded") == 1


async def test_the_page_imports_an_uploaded_file(client, monkeypatch):
    made = await made_and_statement_day(monkeypatch)
    staff = await factories.vendor_admin()
    await sign_in_person(client, staff, provider="staff")
    data = statement(
        [entry("10.00", [transaction(reference=made["invoice"]["payment_reference"], bank_ref="U-1")])]
    )
    token = await client.csrf()
    answer = await client.raw.post(
        "/admin/billing/bank-statements",
        data={"_csrf_token": token},
        files={"statement": ("day.xml", data, "application/xml")},
        follow_redirects=True,
    )
    assert "1 payment matched to its invoice; 0 to match by hand." in answer.text
    nothing = await client.raw.post(
        "/admin/billing/bank-statements", data={"_csrf_token": token}, follow_redirects=True
    )
    assert nothing.status_code == 422
    assert "Choose the bank statement file." in nothing.text
