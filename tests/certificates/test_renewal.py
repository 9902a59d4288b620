"""Renewal letters (rule CRT-2): sixty days before expiry, once per certificate and expiry,
however often and however concurrently the job runs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from src.certificates import tasks as certificate_tasks
from src.certificates.services import applications, renewal, review
from src.certificates.services.applications import ApplicationInput
from src.certificates.tables import Certificate, RenewalLetter
from src.core.tables import CaughtMail, OutboxMessage, SentMail
from src.workers import scheduler
from tests import factories
from tests.certificates.test_confirmation import Smtp, run_outbox
from tests.certificates.workflow_support import admin_actor, csr_pem, org_with_contact, pdf_text


async def certificate_expiring_in(days: int, *, holder_name="Hanna Holder", **org_fields):
    org, _contact, actor = await org_with_contact(**org_fields)
    holder = await factories.member(org, name=holder_name, email="hanna@zorg.example")
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(fresh_key=True),
            dns_names=["portal.zorg.example"],
            holder_membership_id=holder["id"],
        ),
    )
    issued = (await review.approve(await admin_actor(), application["id"])).certificate
    not_after = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=days)
    await Certificate.update({Certificate.not_after: not_after}).where(
        Certificate.id == issued.certificate_id
    )
    await OutboxMessage.delete(force=True)  # the confirmation letter is another test's subject
    return org, issued


async def renewal_rows():
    return await OutboxMessage.select().where(OutboxMessage.actor_name == renewal.ACTOR)


async def test_a_letter_is_queued_once_when_the_job_runs_twice():
    # rule CRT-2
    _org, issued = await certificate_expiring_in(59)
    assert await renewal.send_due_renewal_letters() == 1
    assert await renewal.send_due_renewal_letters() == 0
    letters = await RenewalLetter.select()
    assert len(letters) == 1
    assert letters[0]["dedupe_key"].startswith(f"renewal:{issued.certificate_id}:")
    assert len(await renewal_rows()) == 1


async def test_two_concurrent_runs_queue_one_letter():
    # rule CRT-2: two workers at the same moment
    await certificate_expiring_in(30)
    results = await asyncio.gather(renewal.send_due_renewal_letters(), renewal.send_due_renewal_letters())
    assert sorted(results) == [0, 1]
    assert await RenewalLetter.count() == 1
    assert len(await renewal_rows()) == 1


async def test_only_certificates_in_their_last_60_days_get_a_letter():
    await certificate_expiring_in(61)  # not yet
    _org, _expired = await certificate_expiring_in(-1)  # too late
    _org, revoked = await certificate_expiring_in(10)
    await Certificate.update({Certificate.revoked_at: dt.datetime.now(dt.UTC)}).where(
        Certificate.id == revoked.certificate_id
    )
    assert await renewal.send_due_renewal_letters() == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert await renewal.send_due_renewal_letters(now=later) == 1  # the first one, two days on


async def test_the_letter_is_addressed_to_the_holder_at_the_postal_address_and_mailed_once(client):
    # rule CRT-2: to the subscriber's address, for the attention of the holder
    _org, issued = await certificate_expiring_in(
        45, name="Zorggroep Vernieuw B.V.", postal_address="Postbus 99\n3500 AA Utrecht"
    )
    await renewal.send_due_renewal_letters()
    with Smtp() as inbox:
        await run_outbox()
        await run_outbox()
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["hanna@zorg.example", "carla@zorg.example"]
    assert issued.number in message["Subject"]
    pdf = next(message.iter_attachments()).get_payload(decode=True)
    text = pdf_text(pdf)
    assert "Hanna Holder" in text and "Postbus 99" in text and "3500 AA Utrecht" in text
    assert issued.number in text and "Zorggroep Vernieuw B.V." in text
    assert f"renew={issued.number}" in message.get_body(preferencelist=("plain",)).get_content()
    assert await SentMail.count() == 1


async def test_the_worker_runs_the_job_periodically():
    assert "certificates.renewal_letters" in {job.name for job in scheduler.registered_jobs()}
    await certificate_expiring_in(20)
    assert await certificate_tasks.renewal_letters_job() == 1
    payload = (await renewal_rows())[0]["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert set(payload) == {"certificate_id"}
    await run_outbox()
    assert await CaughtMail.count() == 1


async def test_a_renewal_letter_with_nobody_to_send_it_to_fails_instead_of_passing_for_sent():
    # rule CRT-2: a letter that cannot go out never counts as sent
    org, issued = await certificate_expiring_in(30)
    from src.tenants.tables import Membership

    await Membership.update({Membership.active: False}).where(Membership.organisation == org["id"])
    key = renewal.dedupe_key(issued.certificate_id, (await Certificate.select().first())["not_after"])
    with pytest.raises(LookupError, match="no active holder or contact person"):
        await renewal.deliver_renewal_letter(issued.certificate_id, key)
    assert await SentMail.count() == 0
