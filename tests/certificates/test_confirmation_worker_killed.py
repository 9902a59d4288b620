"""The confirmation letter (rule CRT-4) survives a worker killed (`kill -9`) at each step of its
sending: the revocation code stays sealed in the outbox row until the letter is confirmed sent,
the certificate page says the letter is on its way until then, and the letter sent again after
the sweeper hands the row over holds the same code, under the same Message-ID."""

from __future__ import annotations

import dataclasses
import json
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from src.certificates.services import applications, confirmation, review
from src.certificates.services.applications import ApplicationInput
from src.core import mail, outbox
from src.core.tables import OutboxMessage
from src.settings import get_settings, override_settings
from src.workers import broker as broker_module
from tests.certificates.workflow_support import admin_actor, csr_pem, org_with_contact, pdf_text
from tests.core import dying_worker
from tests.core.outbox_support import queued, run, time_passes
from tests.signed_in import sign_in_person
from tests.support import text_of
from tests.workers.conftest import free_port

MAIL_FROM = "Portal <portal@zorg.example>"
ON_ITS_WAY = "is on its way to the contact persons"
WAS_SENT = "was sent on"


async def sealed_code(certificate_id: int) -> str:
    row = (
        await OutboxMessage.select(OutboxMessage.payload)
        .where(OutboxMessage.dedupe_key == confirmation.dedupe_key(certificate_id))
        .first()
    )
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    return payload["sealed_code"]


async def letter_state(client: Any, number: str) -> str:
    text = text_of((await client.get(f"/organisation/certificates/{number}")).text)
    assert (ON_ITS_WAY in text) != (WAS_SENT in text)
    return "sent" if WAS_SENT in text else "on its way"


# (where the worker dies, copies at the server when it dies, copies in the end, the letter
# confirmed sent when it dies). The other steps are those of any mail (tests/core).
STEPS = [
    ("DATA", 1, 2, False),  # the server has the letter; its "250" never reaches the worker
    ("before-confirm", 1, 2, False),  # the server answered "250"
    ("before-scrub", 1, 1, True),
]


@pytest.mark.parametrize(("step", "copies_at_kill", "copies_in_the_end", "confirmed"), STEPS)
async def test_the_code_stays_sealed_until_the_letter_is_confirmed_sent(
    client, step, copies_at_kill, copies_in_the_end, confirmed
):
    # rule CRT-4
    broker_module.get_actor(confirmation.ACTOR)
    broker_module.broker.flush_all()
    server = dying_worker.HoldingServer("DATA" if step == "DATA" else None)
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        override_settings(
            dataclasses.replace(get_settings(), smtp_host="127.0.0.1", smtp_port=port, mail_from=MAIL_FROM)
        )
        org, contact, actor = await org_with_contact(name="Zorggroep Brief B.V.")
        await sign_in_person(client, contact["person_row"])
        application = await applications.apply(
            actor,
            org["id"],
            ApplicationInput(
                csr_pem=csr_pem(["portal.zorg.example"]),
                dns_names=["portal.zorg.example"],
                holder_membership_id=contact["id"],
            ),
        )
        issued = (await review.approve(await admin_actor(), application["id"])).certificate
        key = confirmation.dedupe_key(issued.certificate_id)
        assert await outbox.relay() == 1
        queued()  # this worker took the message
        process = dying_worker.start(key, "none" if step == "DATA" else step, port, MAIL_FROM)
        dying_worker.killed(process, server)

        assert len(server.messages) == copies_at_kill
        sealed = await sealed_code(issued.certificate_id)
        assert confirmation.unseal(sealed) == issued.revocation_code
        assert await letter_state(client, issued.number) == ("sent" if confirmed else "on its way")
        assert (await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first())[
            "done_at"
        ] is None

        await time_passes()
        assert (await outbox.sweep_stuck()).released == 1
        assert await outbox.relay() == 1
        [message] = queued()
        await run(message)
    finally:
        server.release.set()
        controller.stop()

    assert len(server.messages) == copies_in_the_end
    assert {m["Message-ID"] for m in server.messages} == {mail.message_id(key, MAIL_FROM)}
    for sent in server.messages:
        letter = message_from_bytes(sent.as_bytes(), policy=policy.default)
        [pdf] = list(letter.iter_attachments())
        assert issued.revocation_code in pdf_text(pdf.get_payload(decode=True))
    assert await sealed_code(issued.certificate_id) == ""
    assert await letter_state(client, issued.number) == "sent"
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert row["done_at"] is not None and row["failed_at"] is None
