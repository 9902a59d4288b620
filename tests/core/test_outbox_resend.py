"""Vendor admins send a failed delivery again from /admin/mail: the row goes back to the relay
as if new, the mail arrives once (never twice, however the relay and the sweeper race), the
re-send is audited without the payload, and a row that has not failed cannot be re-sent.

As in test_outbox_sweep, the relay queues onto the in-process broker and the tests run the
queued messages the way a worker does (through the actor's outbox tracking)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest

from src.core import db, mail, outbox
from src.core.tables import AuditEntry, CaughtMail, OutboxMessage, SentMail
from src.core.tenancy import Actor
from tests import factories
from tests.core.outbox_support import queued, run, time_passes
from tests.signed_in import sign_in_person
from tests.support import text_of

pytestmark = pytest.mark.usefixtures("empty_broker")


async def queue_mail(
    subject: str, actor_name: str = "send_mail", payload: dict[str, Any] | None = None
) -> str:
    key = f"test-mail:{uuid.uuid4()}"
    async with db.transaction():
        await outbox.enqueue(
            actor_name, payload or {"to": ["ann@example.org"], "subject": subject, "body": "Hello"}, key
        )
    return key


async def row_of(key: str) -> dict[str, Any]:
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row is not None
    return row


async def given_up(key: str, error: str = "SMTPRecipientsRefused: nope") -> int:
    """As if the sweeper had given up on the row after its last attempt."""
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    await OutboxMessage.update(
        {
            OutboxMessage.failed_at: long_ago,
            OutboxMessage.dispatched_at: long_ago,
            OutboxMessage.attempts: 5,
            OutboxMessage.last_error: error,
        }
    ).where(OutboxMessage.dedupe_key == key)
    return (await row_of(key))["id"]


async def resend_audits() -> list[dict[str, Any]]:
    return (
        await AuditEntry.select().where(AuditEntry.action == "outbox.delivery_resent").order_by(AuditEntry.id)
    )


def plain(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


async def admin_signed_in(client: Any) -> dict[str, Any]:
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    return admin


async def test_a_failed_mail_sent_again_arrives_once(client, settings_with):
    # A real failure first: the SMTP server is down for every attempt.
    settings_with(smtp_host="127.0.0.1", smtp_port=_closed_port(), outbox_max_attempts=1)
    key = await queue_mail("Your invoice")
    assert await outbox.relay() == 1
    [message] = queued()
    with pytest.raises(OSError):
        await run(message)
    await OutboxMessage.update(
        {OutboxMessage.dispatched_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)}
    ).where(OutboxMessage.dedupe_key == key)
    assert await outbox.sweep_stuck() == outbox.SweepResult(released=0, failed=1)
    row = await row_of(key)
    settings_with(smtp_host="")  # the cause is fixed: mail reaches the catcher again

    await admin_signed_in(client)
    page = text_of((await client.get("/admin/mail")).text)
    assert "Send again" in page and "Send all again" in page
    assert "may have been delivered" not in page.lower()

    # Without JavaScript: a plain form post, a redirect and a flash message.
    response = await client.post_form(f"/admin/mail/failed/{row['id']}/resend", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/mail"
    page = text_of((await client.get("/admin/mail")).text)
    assert "The message is being sent again." in page
    assert "Failed deliveries" not in page

    row = await row_of(key)
    assert row["failed_at"] is None and row["dispatched_at"] is None and row["attempts"] == 0
    assert "ConnectionRefusedError" in row["last_error"]  # kept until it is delivered

    # The relay and a sweeper race: the row is handed over twice, the mail still goes once.
    assert sum(await asyncio.gather(outbox.relay(), outbox.relay())) == 1
    await OutboxMessage.update(
        {OutboxMessage.dispatched_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)}
    ).where(OutboxMessage.dedupe_key == key)
    settings_with(outbox_max_attempts=5)
    assert (await outbox.sweep_stuck()).released == 1
    assert await outbox.relay() == 1
    messages = queued()
    assert len(messages) == 2
    # The run that finds the other one sending waits for a retry (never counting as done), or,
    # coming second, finds the mail confirmed sent.
    results = await asyncio.gather(*(run(m) for m in messages), return_exceptions=True)
    assert all(r is None or isinstance(r, mail.BeingSent) for r in results), results

    caught = await CaughtMail.select(CaughtMail.subject, CaughtMail.recipients)
    assert caught == [{"subject": "Your invoice", "recipients": "ann@example.org"}]
    row = await row_of(key)
    assert row["done_at"] is not None and row["failed_at"] is None and row["last_error"] == ""
    assert await outbox.relay() == 0


async def test_a_row_that_has_not_failed_cannot_be_sent_again(client):
    done_key = await queue_mail("Already delivered")
    await outbox.relay()
    [message] = queued()
    await run(message)
    pending_key = await queue_mail("On its way")
    done, pending = await row_of(done_key), await row_of(pending_key)
    await admin_signed_in(client)

    for row in (done, pending):
        response = await client.htmx("POST", f"/admin/mail/failed/{row['id']}/resend")
        assert response.status_code == 409
        assert "cannot be sent again" in text_of(response.text)
        assert await row_of(row["dedupe_key"]) == row
    gone = await client.htmx("POST", "/admin/mail/failed/999999/resend")
    assert gone.status_code == 409

    response = await client.post_form(f"/admin/mail/failed/{done['id']}/resend", follow_redirects=False)
    assert response.status_code == 303
    assert "cannot be sent again" in text_of((await client.get("/admin/mail")).text)

    nothing = await client.htmx("POST", "/admin/mail/failed/resend")
    assert nothing.status_code == 409
    assert "There are no failed deliveries to send again." in text_of(nothing.text)
    assert await CaughtMail.count() == 1
    assert await resend_audits() == []


@pytest.mark.parametrize("role", ["end_user", "contact_person"])
async def test_people_of_organisations_cannot_send_again(client, role):
    key = await queue_mail("Not yours")
    row_id = await given_up(key)
    org = await factories.organisation()
    who = await factories.person()
    await factories.member(org, who, role=role)
    await sign_in_person(client, who)

    for url in (f"/admin/mail/failed/{row_id}/resend", "/admin/mail/failed/resend"):
        response = await client.htmx("POST", url)
        assert response.status_code in (403, 404)
        assert "Not yours" not in response.text
    assert (await row_of(key))["failed_at"] is not None
    assert await resend_audits() == []


async def test_a_resend_is_audited_without_the_payload(client):
    secret = "gAAAAA-sealed-revocation-code"
    key = await queue_mail(
        "", actor_name="send_certificate_confirmation", payload={"certificate_id": 1, "sealed_code": secret}
    )
    row_id = await given_up(key)
    admin = await admin_signed_in(client)
    page = await client.get("/admin/mail")
    assert key in page.text and secret not in page.text

    response = await client.htmx("POST", f"/admin/mail/failed/{row_id}/resend")
    assert response.status_code == 200
    assert "The message is being sent again." in text_of(response.text)
    [entry] = await resend_audits()
    assert entry["actor_person_id"] == admin["id"]
    assert entry["object_type"] == "outbox_message" and entry["object_id"] == str(row_id)
    after = plain(entry["after"])
    assert after["actor_name"] == "send_certificate_confirmation" and after["dedupe_key"] == key
    assert secret not in json.dumps([plain(entry["before"]), after])
    assert plain(entry["before"]) == {"failed": True, "attempts": 5}
    assert (await row_of(key))["payload"] is not None  # the relay still has what it needs

    audit_page = await client.get("/audit")
    assert secret not in audit_page.text


async def test_send_all_again(client):
    keys = [await queue_mail(f"Letter {n}") for n in (1, 2, 3)]
    for key in keys[:2]:
        await given_up(key)
    await admin_signed_in(client)

    response = await client.htmx("POST", "/admin/mail/failed/resend")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "All failed messages are being sent again (2)." in text
    assert "Letter 1" not in text  # nothing is failed any more
    assert [(await row_of(k))["failed_at"] for k in keys] == [None, None, None]
    assert {plain(a["after"])["dedupe_key"] for a in await resend_audits()} == set(keys[:2])

    assert await outbox.relay() == 3
    for message in queued():
        await run(message)
    subjects = sorted(m["subject"] for m in await CaughtMail.select(CaughtMail.subject))
    assert subjects == ["Letter 1", "Letter 2", "Letter 3"]


async def test_a_mail_that_may_have_arrived_is_flagged_and_really_sent_again(client):
    """The worker died while sending (its claim on the mail was never given back) on the last
    attempt: the page warns that the mail may arrive twice, and sending again does send it."""
    key = await queue_mail("Maybe arrived")
    row_id = await given_up(key, error="")
    await SentMail.insert(
        SentMail(
            dedupe_key=key,
            recipients="ann@example.org",
            subject="Maybe arrived",
            at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30),
        )
    )
    await admin_signed_in(client)
    page = await client.get("/admin/mail")
    text = text_of(page.text)
    assert "May have been delivered already: sending it again may deliver it twice." in text
    assert "1 of these may have reached their recipients already" in text
    assert "They may get it twice." in page.text  # asked before the form is sent

    response = await client.post_form(f"/admin/mail/failed/{row_id}/resend", follow_redirects=False)
    assert response.status_code == 303
    [entry] = await resend_audits()
    assert plain(entry["after"])["may_have_been_delivered"] is True
    assert await outbox.relay() == 1
    [message] = queued()
    await run(message)
    assert [m["subject"] for m in await CaughtMail.select(CaughtMail.subject)] == ["Maybe arrived"]
    assert await SentMail.count().where(SentMail.dedupe_key == key) == 1


async def test_a_fresh_claim_of_a_run_still_sending_is_not_done_until_its_mail_is_sent(client):
    """A claim younger than OUTBOX_STALE_AFTER belongs to a run that may still be sending: the
    re-sent row is not done on its account; once the claim is older, the mail goes out."""
    key = await queue_mail("Still sending")
    row_id = await given_up(key)
    await SentMail.insert(SentMail(dedupe_key=key, recipients="ann@example.org", subject="Still sending"))
    admin = await factories.vendor_admin()
    by = Actor(person_id=admin["id"], name="Vendor Admin", is_vendor_admin=True)
    [resent] = await outbox.retry_failed(by, [row_id])
    assert resent.may_have_been_delivered
    await outbox.relay()
    [message] = queued()
    with pytest.raises(mail.BeingSent):
        await run(message)
    assert await CaughtMail.count() == 0
    assert (await row_of(key))["done_at"] is None

    await time_passes()
    await run(message)  # dramatiq's retry
    assert [m["subject"] for m in await CaughtMail.select(CaughtMail.subject)] == ["Still sending"]
    assert (await row_of(key))["done_at"] is not None


def _closed_port() -> int:
    from tests.workers.conftest import free_port

    return free_port()
