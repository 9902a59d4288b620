"""A service client's token: hashed at rest, for its own service only, revocable, rate-limited
like API tokens; registered on the vendor admins' page or with `portal service-client create`."""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient

from src.app import create_app
from src.cli import main
from src.connected.services import COMMAND_LINE, create_client, revoke_client
from src.connected.tables import ServiceClient
from src.core.tables import AuditEntry
from src.identity.services import create_token
from src.settings import Settings
from src.subscriptions.catalogue import seed_catalogue
from tests import factories
from tests.connected.support import actor_of, connected_service
from tests.signed_in import sign_in_person
from tests.support import text_of

PARAMS = {"identifier_kind": "card_id", "identifier": "NL-CARD-3001"}


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def asked_about() -> dict[str, str]:
    org = await factories.organisation()
    await factories.member(org, await factories.person(card_id="NL-CARD-3001"))
    return {**PARAMS, "organisation": org["kvk_number"]}


async def test_the_token_is_stored_only_as_its_hash():
    row, secret = await create_client(COMMAND_LINE, "webcert", "Webcert production")
    stored = await ServiceClient.select().where(ServiceClient.id == row["id"]).first()
    assert stored is not None and secret not in str(stored.values())
    assert stored["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert stored["prefix"] == secret[:10] and secret.startswith("cs_")


async def test_a_revoked_token_is_refused_at_once(app):
    params = await asked_about()
    async with connected_service(app) as webcert:
        assert (await webcert.entitlements(**params)).status_code == 200
        client = await ServiceClient.select(ServiceClient.id).first()
        assert client is not None
        await revoke_client(COMMAND_LINE, client["id"])
        refused = await webcert.entitlements(**params)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "unknown or revoked" in refused.text


async def test_a_token_acts_for_its_own_service_only(app):
    params = await asked_about()
    async with connected_service(app, "procurement_portal") as portal:
        other = await portal.entitlements("webcert", **params)
        unknown = await portal.entitlements("no_such_service", **params)
        message = await portal.module_message(
            {
                "organisation": params["organisation"],
                "module": "requests",
                "subject": {"en": "s"},
                "body": {"en": "b"},
            },
            service="webcert",
        )
    assert other.status_code == 403 and "another service" in other.text
    assert unknown.status_code == 404
    assert message.status_code == 403


async def test_a_persons_api_token_cannot_ask_and_a_service_token_is_no_persons(app):
    params = await asked_about()
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    _row, person_token = await create_token(await actor_of(contact), "script")
    async with connected_service(app) as webcert:
        as_person = await webcert.http.get(
            "/api/v1/services/webcert/entitlements",
            params=params,
            headers={"Authorization": f"Bearer {person_token}"},
        )
        nobody = await webcert.http.get("/api/v1/services/webcert/entitlements", params=params)
        me = await webcert.http.get("/api/v1/me", headers=webcert.headers())
    assert as_person.status_code == 403 and "person's API token" in as_person.text
    assert nobody.status_code == 401
    assert me.status_code == 401  # a service token acts as no person


async def test_service_tokens_are_rate_limited_like_api_tokens():
    params = await asked_about()
    _row, secret = await create_client(COMMAND_LINE, "webcert")
    app = create_app(
        Settings.from_env({**os.environ, "API_RATE_LIMIT": "5"}), run_worker=False, start_pool=False
    )
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as http:
        statuses = [
            (
                await http.get(
                    "/api/v1/services/webcert/entitlements",
                    params=params,
                    headers={"Authorization": f"Bearer {secret}"},
                )
            ).status_code
            for _ in range(7)
        ]
    assert statuses == [200] * 5 + [429, 429]


async def test_a_vendor_admin_registers_a_client_sees_the_token_once_and_revokes_it(client, app):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    bad = await client.post_form("/admin/service-clients", {"service": "", "webhook_url": "ftp://x"})
    assert bad.status_code == 422
    assert "Choose a service of the catalogue." in text_of(bad.text)
    assert "starting with https://" in text_of(bad.text)
    made = await client.post_form("/admin/service-clients", {"service": "webcert", "name": "Webcert test"})
    assert made.status_code == 201
    token = made.text.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("cs_") and "shown only this once" in text_of(made.text)
    listed = await client.get("/admin/service-clients")
    assert "Webcert test" in listed.text and token not in listed.text and token[:10] in listed.text
    params = await asked_about()
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        await client.get("/api/v1/services/webcert/entitlements", params=params, headers=headers)
    ).status_code == 200
    row = await ServiceClient.select(ServiceClient.id).first()
    assert row is not None
    revoked = await client.post_form(f"/admin/service-clients/{row['id']}/revoke", follow_redirects=True)
    assert "can no longer use it" in text_of(revoked.text)
    assert (
        await client.get("/api/v1/services/webcert/entitlements", params=params, headers=headers)
    ).status_code == 401
    actions = {r["action"] for r in await AuditEntry.select(AuditEntry.action)}
    assert {"connected.client_created", "connected.client_revoked"} <= actions


async def test_only_vendor_admins_see_the_clients(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    assert (await client.get("/admin/service-clients")).status_code == 403


async def portal(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_the_command_prints_a_working_token_as_its_last_line(app):
    params = await asked_about()
    result = await portal(
        "service-client",
        "create",
        "--service",
        "webcert",
        "--name",
        "Webcert acc",
        "--webhook-url",
        "https://webcert.example/hooks",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "Webcert acc" in lines[0] and "https://webcert.example/hooks" in lines[1]
    assert "whsec_" in lines[1]
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as http:
        answer = await http.get(
            "/api/v1/services/webcert/entitlements",
            params=params,
            headers={"Authorization": f"Bearer {lines[-1]}"},
        )
    assert answer.status_code == 200
    refused = await portal("service-client", "create", "--service", "nothing")
    assert refused.exit_code != 0 and "Choose a service of the catalogue." in refused.output
