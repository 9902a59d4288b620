"""The invitation mail a new user gets: queued in the same transaction, sent once, in the
organisation's language, over real SMTP when it is configured."""

from __future__ import annotations

import dataclasses
import json
import socket
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from src.core import db, outbox
from src.core.i18n import current_locale
from src.core.tables import CaughtMail, OutboxMessage, SentMail
from src.identity.auth import build_actor
from src.settings import get_settings, override_settings
from src.tenants.services import user_changes
from src.tenants.tables import Membership
from src.tenants.tasks import invitation_text
from src.workers.broker import ASYNC_IMPLEMENTATIONS
from tests import factories


async def contact_actor(**org_fields: Any) -> tuple[dict[str, Any], Any]:
    org = await factories.organisation(**org_fields)
    contact = await factories.member(org, role="contact_person", name="Carla Contact")
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    return org, actor


async def run_outbox() -> int:
    """What the worker does with each queued row, run on the test's own loop."""
    rows = await OutboxMessage.select().order_by(OutboxMessage.id)
    for row in rows:
        payload = row["payload"]
        if isinstance(payload, str):
            payload = json.loads(payload)
        await ASYNC_IMPLEMENTATIONS[row["actor_name"]](**payload, dedupe_key=row["dedupe_key"])
    return len(rows)


async def test_the_invitation_is_queued_in_the_same_transaction_as_the_user(client):
    org, actor = await contact_actor()

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction():
            await user_changes.add_user(
                actor, org["id"], name="Rolled Back", email="rb@zorg.example", card_id="RB-1"
            )
            assert await OutboxMessage.exists()
            raise Abort()
    assert not await OutboxMessage.exists()
    assert not await Membership.exists().where(Membership.email == "rb@zorg.example")


async def test_the_invitation_is_sent_once_with_how_to_sign_in(client):
    org, actor = await contact_actor(name="Zorggroep Uitnodiging B.V.")
    row = await user_changes.add_user(
        actor, org["id"], name="Nina Nieuw", email="nina@zorg.example", personal_identity_number="111222333"
    )
    assert await run_outbox() == 1
    assert await run_outbox() == 1  # a retry or a second worker ...
    mails = await CaughtMail.select()
    assert len(mails) == 1  # ... never sends it twice
    mail = mails[0]
    assert mail["recipients"] == "nina@zorg.example"
    assert "Zorggroep Uitnodiging B.V." in mail["subject"]
    assert f"{get_settings().base_url}/signin" in mail["body"]
    assert "Nina Nieuw" in mail["body"] and "Carla Contact" in mail["body"]
    assert "e-ID" in mail["body"]
    invited = await Membership.select(Membership.invited_at).where(Membership.id == row["id"]).first()
    assert invited["invited_at"] is not None


async def test_the_invitation_is_written_in_the_organisations_language(client, monkeypatch):
    org, actor = await contact_actor(
        name="Vårdbolaget AB",
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    await user_changes.add_user(
        actor, org["id"], name="Sara Svensson", email="sara@vard.example", card_id="SE2321-77"
    )
    from src.tenants import tasks

    languages: list[str] = []

    def spy(**kwargs: Any) -> tuple[str, str]:
        languages.append(current_locale.get())
        return invitation_text(**kwargs)

    monkeypatch.setattr(tasks, "invitation_text", spy)
    outer = current_locale.set("en")  # the person who added the user may read the portal in English
    try:
        await run_outbox()
        assert current_locale.get() == "en"  # the actor leaves the caller's language alone
    finally:
        current_locale.reset(outer)
    assert languages == ["sv"]
    mail = (await CaughtMail.select())[0]
    token = current_locale.set("sv")
    try:
        expected_subject, expected_body = invitation_text(
            name="Sara Svensson",
            organisation="Vårdbolaget AB",
            invited_by="Carla Contact",
            portal_url=f"{get_settings().base_url}/signin",
            has_pin=False,
            has_card=True,
            pending=True,
        )
    finally:
        current_locale.reset(token)
    assert (mail["subject"], mail["body"]) == (expected_subject, expected_body)


async def test_the_relay_hands_the_invitation_to_the_broker_once(client):
    from src.workers.broker import broker

    org, actor = await contact_actor()
    await user_changes.add_user(actor, org["id"], name="Relay", email="relay@zorg.example", card_id="RL-1")
    try:
        assert await outbox.relay() == 1
        assert await outbox.relay() == 0
        row = await OutboxMessage.select().first()
        assert row["dispatched_at"] is not None
    finally:
        broker.flush_all()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


async def test_the_invitation_goes_out_over_smtp_when_a_server_is_configured(client):
    org, actor = await contact_actor()
    await user_changes.add_user(actor, org["id"], name="Smtp User", email="smtp@zorg.example", card_id="SM-1")
    inbox = _Inbox()
    port = _free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    settings = get_settings()
    override_settings(dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port))
    try:
        await run_outbox()
        await run_outbox()
    finally:
        override_settings(settings)
        server.stop()
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["smtp@zorg.example"]
    assert "Smtp User" in message.get_payload(decode=True).decode()
    assert not await CaughtMail.exists()
    assert await SentMail.count() == 1


async def test_an_invitation_sent_by_a_run_that_died_before_noting_it_is_noted_by_the_next(client):
    # The mail was confirmed sent, but the worker died before it could note when.
    org, actor = await contact_actor(name="Zorggroep Herhaal B.V.")
    row = await user_changes.add_user(
        actor, org["id"], name="Nina Nieuw", email="nina@zorg.example", personal_identity_number="111222333"
    )
    assert await run_outbox() == 1
    await Membership.update({Membership.invited_at: None}).where(Membership.id == row["id"])
    assert await run_outbox() == 1  # the row handed over again: nothing is sent twice ...
    assert await CaughtMail.count() == 1
    invited = await Membership.select(Membership.invited_at).where(Membership.id == row["id"]).first()
    assert invited["invited_at"] is not None  # ... and the user list says it went out
