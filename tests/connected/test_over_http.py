"""A connected service against the running portal, over real HTTP: it asks with its own token at
sign-in what a person may do, and receives the portal's signed notice on its own local server
when that person's organisation signs the agreement (the portal's in-process worker delivers it)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from src.connected.services import COMMAND_LINE, create_client
from src.subscriptions.catalogue import seed_catalogue
from tests import factories
from tests.browser.conftest import serve_portal
from tests.connected.receiver import Receiver
from tests.connected.support import announce, sign_agreement, subscribe
from tests.connected.test_webhooks import verified
from tests.workers.conftest import wait_until


@pytest.fixture
def portal() -> Iterator[str]:
    with serve_portal(OUTBOX_RELAY_INTERVAL="0.2") as base:
        yield base


async def test_a_service_asks_over_http_and_receives_the_signed_notice_on_its_own_server(portal):
    receiver = Receiver()
    receiver.start()
    try:
        await seed_catalogue()
        await announce(days_ago=200, months=6)  # the legacy deadline has passed
        org = await factories.organisation(name="Huisartsen West B.V.")
        user = await factories.member(org, await factories.person(card_id="NL-CARD-7001"))
        await subscribe(org)
        client, token = await create_client(COMMAND_LINE, "webcert", webhook_url=receiver.url)
        ask = {
            "identifier_kind": "card_id",
            "identifier": "NL-CARD-7001",
            "organisation": org["kvk_number"],
        }
        async with httpx.AsyncClient(
            base_url=portal, headers={"Authorization": f"Bearer {token}"}
        ) as webcert:
            before = (await webcert.get("/api/v1/services/webcert/entitlements", params=ask)).json()
            assert before["person"]["id"] == user["person"]
            assert (before["may_use"], before["may_create"]) == (True, False)  # AG-6: reading stays
            assert "agreement_missing" in [r["code"] for r in before["reasons"]]

            await sign_agreement(org)
            await wait_until(lambda: receiver.received, "the signed notice at the service's own server")
            [notice] = receiver.received
            assert verified(client["webhook_secret"], notice)["type"] == "agreement.changed"

            after = (await webcert.get("/api/v1/services/webcert/entitlements", params=ask)).json()
            assert (after["may_use"], after["may_create"]) == (True, True)
            refused = await webcert.get(
                "/api/v1/services/webcert/entitlements",
                params=ask,
                headers={"Authorization": "Bearer nope"},
            )
            assert refused.status_code == 401
    finally:
        receiver.stop()
