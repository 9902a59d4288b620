"""Helpers of the subscription tests."""

from __future__ import annotations

from typing import Any

from src.identity.auth import build_actor
from src.identity.services import create_token
from src.tenants.tables import Person


async def bearer_for(person_id: int, organisation_id: int | None) -> dict[str, str]:
    actor = await build_actor(person_id, organisation_id, "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "test")
    return {"Authorization": f"Bearer {secret}"}


async def admin_headers() -> tuple[dict[str, Any], dict[str, str]]:
    from tests import factories

    admin = await factories.vendor_admin()
    assert await Person.exists().where(Person.id == admin["id"])
    return admin, await bearer_for(admin["id"], None)
