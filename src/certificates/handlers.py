"""The certificates domain's answers to other domains' events and questions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.certificates import reasons
from src.certificates.services.revocation import revoke_certificate
from src.certificates.tables import Certificate
from src.core import audit, events
from src.core.tenancy import Actor
from src.tenants.services import rights


@events.subscribe(events.MEMBERSHIP_DEACTIVATING)
async def revoke_personal_certificates_of_leaving_user(
    actor: Actor, organisation_id: int, membership: dict[str, Any], **_: Any
) -> None:
    """Rule MOD-7: a user who leaves the organisation loses their personal certificates (only
    those of this organisation: the person's other services keep working). Server certificates
    they hold are not revoked — the service keeps running — but are marked as needing a new holder."""
    mine = (
        await Certificate.select(Certificate.id, Certificate.kind)
        .where(Certificate.organisation == organisation_id)
        .where(Certificate.holder == membership["id"])
        .where(Certificate.revoked_at.is_null())
    )
    for cert in mine:
        if cert["kind"] == "personal":
            await revoke_certificate(actor, cert["id"], reasons.USER_LEFT, "user_left")
    server_ids = [c["id"] for c in mine if c["kind"] == "server"]
    if server_ids:
        await Certificate.update({Certificate.needs_new_holder: True}).where(Certificate.id.is_in(server_ids))
        for cert_id in server_ids:
            await audit.record(
                actor,
                "certificates.holder_left",
                organisation_id=organisation_id,
                object_type="certificate",
                object_id=cert_id,
                before={"needs_new_holder": False},
                after={"needs_new_holder": True, "holder_membership_id": membership["id"]},
            )


async def holds_valid_personal_certificate(membership_id: int) -> bool:
    """A personal certificate held by this user, not revoked and not expired (rule MOD-5)."""
    return bool(
        await Certificate.exists()
        .where(Certificate.kind == "personal")
        .where(Certificate.holder == membership_id)
        .where(Certificate.revoked_at.is_null())
        .where(Certificate.not_after > dt.datetime.now(dt.UTC))
    )


rights.answer_personal_certificates_with(holds_valid_personal_certificate)
