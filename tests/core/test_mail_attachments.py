"""Mail attachments (added for the certificate letters): sent with the SMTP message; the local
catcher keeps them whole; mail without attachments is unchanged."""

from __future__ import annotations

import dataclasses
import socket
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller

from src.core import mail
from src.core.tables import CaughtAttachment, CaughtMail, SentMail
from src.settings import get_settings, override_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


async def test_attachments_go_out_over_smtp_once():
    inbox = _Inbox()
    port = _free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    settings = get_settings()
    override_settings(dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port))
    try:
        attachment = ("letter.pdf", "application/pdf", b"%PDF-1.4 letter")
        assert await mail.deliver(["a@zorg.example"], "Letter", "See the letter.", "k-1", [attachment])
        assert not await mail.deliver(["a@zorg.example"], "Letter", "See the letter.", "k-1", [attachment])
    finally:
        override_settings(settings)
        server.stop()
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "See the letter."
    parts = list(message.iter_attachments())
    assert [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts] == [
        ("letter.pdf", "application/pdf", b"%PDF-1.4 letter")
    ]
    assert await SentMail.count() == 1


async def test_the_catcher_keeps_attachments_whole():
    letter = ("letter.pdf", "application/pdf", b"%PDF-1.4\x00\xff letter")
    scan = ("scan.png", "image/png", b"\x89PNG")
    await mail.deliver(["a@zorg.example"], "Letter", "Body", "k-2", [letter, scan])
    await mail.deliver(["a@zorg.example"], "Plain", "Only text", "k-3")
    rows = {r["subject"]: r for r in await CaughtMail.select()}
    assert rows["Letter"]["body"] == "Body"
    assert rows["Plain"]["body"] == "Only text"
    kept = await CaughtAttachment.select().order_by(CaughtAttachment.id)
    assert [(a["mail"], a["filename"], a["content_type"], bytes(a["content"])) for a in kept] == [
        (rows["Letter"]["id"], *letter),
        (rows["Letter"]["id"], *scan),
    ]
