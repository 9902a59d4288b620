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


async def admin_actor() -> Any:
    from tests import factories

    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def actor_of(member: dict[str, Any]) -> Any:
    actor = await build_actor(member["person"], member["organisation"], "127.0.0.1")
    assert actor is not None
    return actor


async def sign_agreement(org: dict[str, Any], today: Any) -> dict[str, Any]:
    """The organisation signs the customer agreement (published if there is none yet); the
    contact person who signed."""
    import datetime as dt

    from src.tenants.services import agreement_documents, agreements
    from tests import factories

    if not await agreement_documents.latest_documents():
        await agreement_documents.publish_document(
            await admin_actor(),
            kind="general_terms",
            titles={"nl": "AV", "sv": "AV", "en": "GT"},
            texts={"nl": "t", "sv": "t", "en": "t"},
            effective_on=today - dt.timedelta(days=400),
            accept_by=today + dt.timedelta(days=400),
        )
    signer = await factories.member(org, role="contact_person", may_sign_agreements=True)
    await agreements.sign(await actor_of(signer), org["id"])
    return signer
