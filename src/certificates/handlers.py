"""The certificates domain's answers to other domains' events and questions."""

from __future__ import annotations

from typing import Any

from src.certificates import reasons
from src.certificates.repository import certificates as certificate_rows
from src.certificates.services.revocation import revoke_certificate
from src.core import audit, events
from src.core.tenancy import Actor, TenantScope
from src.tenants.services import rights


@events.subscribe(events.MEMBERSHIP_DEACTIVATING)
async def revoke_personal_certificates_of_leaving_user(
    actor: Actor, organisation_id: int, membership: dict[str, Any], **_: Any
) -> None:
    """Rule MOD-7: a user who leaves the organisation loses their personal certificates (only
    those of this organisation: the person's other services keep working). Server certificates
    they hold are not revoked — the service keeps running — but are marked as needing a new holder."""
    scope = TenantScope(actor, organisation_id)
    mine = await certificate_rows.in_force_of_holder(scope, membership["id"])
    for cert in mine:
        if cert["kind"] == "personal":
            await revoke_certificate(actor, cert["id"], reasons.USER_LEFT, "user_left")
    server_ids = [c["id"] for c in mine if c["kind"] == "server"]
    if server_ids:
        await certificate_rows.mark_needing_new_holder(scope, server_ids)
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


rights.answer_personal_certificates_with(certificate_rows.holds_valid_personal_certificate)
