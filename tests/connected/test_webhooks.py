"""Changes pushed to the connected services: signed, retried after the receiver was down,
idempotent by event id (rules AG-1, MOD-1, MOD-7)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from src.certificates.services.revocation import revoke_certificate
from src.connected import webhooks
from src.connected.services import COMMAND_LINE, create_client, revoke_client
from src.connected.tables import ServiceClient
from src.core import db
from src.core.sealing import unseal
from src.core.tables import OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.workers.broker import ASYNC_IMPLEMENTATIONS
from tests import factories
from tests.certificates.pki_support import VENDOR, issue
from tests.connected.receiver import Receiver
from tests.connected.support import connected_service, grant, sign_agreement, subscribe


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


async def notices() -> list[dict[str, Any]]:
    rows = (
        await OutboxMessage.select()
        .where(OutboxMessage.actor_name == webhooks.ACTOR)
        .order_by(OutboxMessage.id)
    )
    return [
        {
            **(json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"]),
            "dedupe_key": r["dedupe_key"],
        }
        for r in rows
    ]


async def deliver_all() -> None:
    for notice in await notices():
        await ASYNC_IMPLEMENTATIONS[webhooks.ACTOR](**notice)


def verified(secret: str, received: Any) -> dict[str, Any]:
    """The notice's body, once its signature checks out as a service checks it."""
    timestamp = received.headers["x-portal-timestamp"]
    expected = (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256).hexdigest()
    )
    assert hmac.compare_digest(received.headers["x-portal-signature"], expected)
    body = json.loads(received.body)
    assert received.headers["x-portal-event-id"] == body["id"]
    return body


async def test_a_rights_change_reaches_the_service_of_the_module_signed(receiver):
    # rule MOD-1
    receiver.start()
    org = await factories.organisation()
    await subscribe(org, "procurement_portal", "standard")
    user = await factories.member(org)
    portal, _token = await create_client(COMMAND_LINE, "procurement_portal", webhook_url=receiver.url)
    await create_client(COMMAND_LINE, "webcert", webhook_url=receiver.url + "/webcert")
    await grant(org, user, "requests")
    assert [n["client_id"] for n in await notices()] == [portal["id"]]  # only the module's service
    await deliver_all()
    [received] = receiver.received
    body = verified(portal["webhook_secret"], received)
    assert body["type"] == "rights.changed" and body["organisation"] == {"id": org["id"]}
    assert body["data"]["person"]["id"] == user["person"] and body["data"]["module"] == "requests"


async def test_a_notice_is_retried_after_the_receiver_was_down_with_the_same_event_id(receiver):
    # rule AG-1: the agreement is signed; every service with a webhook is told
    client, _token = await create_client(COMMAND_LINE, "webcert", webhook_url=receiver.url)
    org = await factories.organisation()
    await sign_agreement(org)
    [notice] = await notices()
    with pytest.raises(webhooks.NotDelivered):
        await ASYNC_IMPLEMENTATIONS[webhooks.ACTOR](**notice)  # nobody listens yet
    receiver.start()
    await ASYNC_IMPLEMENTATIONS[webhooks.ACTOR](**notice)  # the retry
    await ASYNC_IMPLEMENTATIONS[webhooks.ACTOR](**notice)  # a second delivery of the same notice
    first, second = receiver.received
    assert verified(client["webhook_secret"], first)["id"] == verified(client["webhook_secret"], second)["id"]
    assert json.loads(first.body)["type"] == "agreement.changed"


async def test_revoking_a_personal_certificate_tells_the_services_and_leaves_their_use(app, receiver):
    # rule MOD-7
    receiver.start()
    client, _token = await create_client(COMMAND_LINE, "webcert", webhook_url=receiver.url)
    org = await factories.organisation()
    holder = await factories.member(org, await factories.person(card_id="NL-CARD-7001"))
    issued, _org, _holder = await issue(org, kind="personal", holder=holder)
    async with db.transaction():
        await revoke_certificate(VENDOR, issued.certificate_id, "data_changed", "portal")
    await deliver_all()
    [received] = receiver.received
    body = verified(client["webhook_secret"], received)
    assert body["type"] == "certificate.revoked" and body["data"]["certificate"]["kind"] == "personal"
    assert body["data"]["person"]["id"] == holder["person"]
    async with connected_service(app) as webcert:
        answer = await webcert.entitlements(
            identifier_kind="card_id", identifier="NL-CARD-7001", organisation=org["kvk_number"]
        )
    assert answer.json()["may_use"] is True  # the user's services keep working


async def test_the_secret_is_sealed_at_rest_and_a_revoked_client_is_told_nothing(receiver):
    receiver.start()
    client, _token = await create_client(COMMAND_LINE, "webcert", webhook_url=receiver.url)
    stored = (
        await ServiceClient.select(ServiceClient.webhook_secret)
        .where(ServiceClient.id == client["id"])
        .first()
    )
    assert stored is not None and client["webhook_secret"] not in stored["webhook_secret"]
    assert unseal(stored["webhook_secret"]) == client["webhook_secret"]
    org = await factories.organisation()
    await subscribe(org)
    [notice] = await notices()
    assert notice["event"]["type"] == "subscription.changed"
    await revoke_client(COMMAND_LINE, client["id"])
    await ASYNC_IMPLEMENTATIONS[webhooks.ACTOR](**notice)
    assert receiver.received == []
