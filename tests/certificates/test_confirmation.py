"""The confirmation of an issued certificate reaches the subscriber once (rule CRT-4): a PDF
letter with the number and revocation code, mailed to the contact persons; the code is then
gone from our side (only its hash stays) once sent over SMTP; on the
embedded default the local mail catcher keeps the letter for vendor admins."""

from __future__ import annotations

import dataclasses
import json
import socket
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from src.certificates import tasks as _tasks  # noqa: F401  (registers the actors)
from src.certificates.services import applications, confirmation, review
from src.certificates.services.applications import ApplicationInput
from src.core.tables import CaughtAttachment, CaughtMail, OutboxMessage, SentMail
from src.settings import get_settings, override_settings
from src.tenants.tables import Membership
from src.workers.broker import ASYNC_IMPLEMENTATIONS
from tests import factories
from tests.certificates.workflow_support import admin_actor, csr_pem, org_with_contact, pdf_text


async def run_outbox() -> int:
    rows = await OutboxMessage.select().order_by(OutboxMessage.id)
    for row in rows:
        payload = row["payload"]
        if isinstance(payload, str):
            payload = json.loads(payload)
        await ASYNC_IMPLEMENTATIONS[row["actor_name"]](**payload, dedupe_key=row["dedupe_key"])
    return len(rows)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


class Smtp:
    """A real SMTP server (aiosmtpd) the portal sends to while the block runs."""

    def __enter__(self) -> Inbox:
        self.inbox = Inbox()
        port = _free_port()
        self.server = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.server.start()
        self.settings = get_settings()
        override_settings(dataclasses.replace(self.settings, smtp_host="127.0.0.1", smtp_port=port))
        return self.inbox

    def __exit__(self, *exc: object) -> None:
        override_settings(self.settings)
        self.server.stop()


async def issued_certificate():
    org, contact, actor = await org_with_contact(
        name="Zorggroep Brief B.V.", postal_address="Postbus 7\n1000 AA Amsterdam"
    )
    await factories.member(org, role="contact_person", name="Second Contact", email="second@zorg.example")
    await factories.member(org, name="End User", email="user@zorg.example")
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(["portal.zorg.example"]),
            dns_names=["portal.zorg.example"],
            holder_membership_id=contact["id"],
        ),
    )
    approval = await review.approve(await admin_actor(), application["id"])
    return org, contact, approval.certificate


async def test_the_letter_with_number_and_code_is_mailed_once_to_the_contact_persons(client):
    # rule CRT-4
    _org, _contact, issued = await issued_certificate()
    with Smtp() as inbox:
        await run_outbox()
        await run_outbox()  # a retry or a second worker sends nothing more
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert sorted(recipients) == ["carla@zorg.example", "second@zorg.example"]
    assert issued.number in message["Subject"]
    parts = list(message.iter_attachments())
    assert len(parts) == 1 and parts[0].get_content_type() == "application/pdf"
    text = pdf_text(parts[0].get_payload(decode=True))
    assert issued.number in text
    assert issued.revocation_code in text
    assert "portal.zorg.example" in text and "Carla Contact" in text
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert issued.revocation_code not in body  # the code travels only in the letter
    assert await SentMail.count() == 1


async def test_after_sending_the_code_is_gone_from_the_outbox(client):
    # rule CRT-4: the code is kept nowhere in clear; after the letter, not even sealed
    _org, _contact, issued = await issued_certificate()
    row = await OutboxMessage.select().first()
    sealed = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    assert sealed["sealed_code"] and issued.revocation_code not in json.dumps(sealed)
    assert confirmation.unseal(sealed["sealed_code"]) == issued.revocation_code
    with Smtp():
        await run_outbox()
    row = await OutboxMessage.select().first()
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    assert payload == {"certificate_id": issued.certificate_id, "sealed_code": ""}
    status = await confirmation.confirmation_status(issued.certificate_id)
    assert status is not None and "carla@zorg.example" in status["recipients"]


async def test_a_letter_whose_code_is_gone_fails_instead_of_passing_for_sent(client):
    # After the confirmed delivery the code is wiped. Should the record of that delivery be gone
    # (say, a database restored from a backup), the letter cannot be rebuilt: the run fails, so
    # the row stays among the failed deliveries instead of being marked done without a letter.
    _org, _contact, issued = await issued_certificate()
    with Smtp():
        await run_outbox()
    await SentMail.delete(force=True)
    key = confirmation.dedupe_key(issued.certificate_id)
    with pytest.raises(LookupError, match=f"certificate {issued.certificate_id} is no longer held"):
        await confirmation.deliver_confirmation(issued.certificate_id, "", key)
    assert await confirmation.confirmation_status(issued.certificate_id) is None


async def test_the_local_mail_catcher_keeps_the_letter_with_the_code(client):
    """On the embedded default the caught mail is how the letter reaches the subscriber: the
    text does not carry the code, the PDF kept with it does."""
    _org, _contact, issued = await issued_certificate()
    await run_outbox()
    caught = await CaughtMail.select()
    assert len(caught) == 1
    assert issued.number in caught[0]["subject"]
    assert issued.revocation_code not in caught[0]["body"]
    letter = await CaughtAttachment.select().where(CaughtAttachment.mail == caught[0]["id"]).first()
    assert letter["filename"] == f"certificate-{issued.number}-confirmation.pdf"
    assert letter["content_type"] == "application/pdf"
    text = pdf_text(bytes(letter["content"]))
    assert issued.number in text and issued.revocation_code in text


async def test_a_letter_without_anyone_to_send_it_to_fails_and_keeps_the_code(client):
    # rule CRT-4: a letter that cannot go out never passes for sent
    org, _contact, issued = await issued_certificate()
    await Membership.update({Membership.active: False}).where(Membership.organisation == org["id"])
    key = confirmation.dedupe_key(issued.certificate_id)
    row = await OutboxMessage.select().first()
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    with pytest.raises(LookupError, match="no active contact person"):
        await confirmation.deliver_confirmation(issued.certificate_id, payload["sealed_code"], key)
    row = await OutboxMessage.select().first()
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    assert confirmation.unseal(payload["sealed_code"]) == issued.revocation_code
    assert await confirmation.confirmation_status(issued.certificate_id) is None
