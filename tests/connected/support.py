"""A small connected service for the tests: its own HTTP client, carrying its own client's token,
and the organisations and people it asks about."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.connected.services import COMMAND_LINE, create_client
from src.core.tenancy import Actor
from src.identity.auth import build_actor
from src.subscriptions.services import ordering
from src.subscriptions.services.subscriptions import service_modules
from src.tenants.services import agreement_documents, agreements, legacy_terms, rights
from tests import factories
from tests.support import vendor_today

TODAY = vendor_today()


async def admin_actor() -> Actor:
    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def actor_of(member: dict[str, Any]) -> Actor:
    actor = await build_actor(member["person"], member["organisation"], "127.0.0.1")
    assert actor is not None
    return actor


async def announce(service: str = "webcert", days_ago: int = 0, months: int = 6) -> dict[str, Any]:
    return await legacy_terms.announce_legacy_end(
        await admin_actor(),
        service_code=service,
        announced_on=TODAY - dt.timedelta(days=days_ago),
        notice_months=months,
    )


async def sign_agreement(org: dict[str, Any]) -> None:
    if not await agreement_documents.latest_documents():
        await agreement_documents.publish_document(
            await admin_actor(),
            kind="general_terms",
            titles={"nl": "AV", "sv": "AV", "en": "GT"},
            texts={"nl": "t", "sv": "t", "en": "t"},
            effective_on=TODAY - dt.timedelta(days=400),
            accept_by=TODAY + dt.timedelta(days=400),
        )
    signer = await factories.member(org, role="contact_person", may_sign_agreements=True)
    await agreements.sign(await actor_of(signer), org["id"])


async def subscribe(org: dict[str, Any], service: str = "webcert", variant: str = "standalone") -> None:
    await ordering.order(
        await admin_actor(), org["id"], service=service, variant=variant, start=TODAY - dt.timedelta(days=1)
    )


async def grant(org: dict[str, Any], member: dict[str, Any], module: str, signing: bool = False) -> None:
    """A contact person of the organisation gives the member a right for a procurement portal module."""
    contact = await factories.member(org, role="contact_person")
    module_id = next(m["id"] for m in await service_modules() if m["code"] == module)
    await rights.set_right(
        await actor_of(contact), org["id"], member["id"], module_id, granted=True, signing=signing
    )


class ConnectedService:
    """A connected service calling the portal with its client's token."""

    def __init__(self, http: AsyncTestClient[Any], code: str, token: str) -> None:
        self.http = http
        self.code = code
        self.token = token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    async def entitlements(
        self, service: str | None = None, headers: dict[str, str] | None = None, **params: Any
    ) -> Any:
        return await self.http.get(
            f"/api/v1/services/{service or self.code}/entitlements",
            params=params,
            headers={**self.headers(), **(headers or {})},
        )

    async def module_message(self, body: dict[str, Any], service: str | None = None) -> Any:
        return await self.http.post(
            f"/api/v1/services/{service or self.code}/module-messages", json=body, headers=self.headers()
        )


@asynccontextmanager
async def connected_service(app: Litestar, code: str = "webcert") -> AsyncIterator[ConnectedService]:
    """A registered client of the service and its own HTTP client (no session, no cookies)."""
    _row, token = await create_client(COMMAND_LINE, code)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as http:
        yield ConnectedService(http, code, token)
