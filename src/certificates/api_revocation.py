"""JSON API: revoke a certificate (contact person of its organisation, or vendor admin)."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from src.certificates.revocation import find_by_number, revoke
from src.core.errors import NotFound
from src.core.tenancy import Actor, TenantScope
from src.identity.auth import provide_actor


class RevokeRequest(msgspec.Struct):
    reason: str = msgspec.field()
    """One of: organisation_ceased, criteria_not_met, data_changed, ict_support_lapsed,
    user_left, key_compromise (rule REV-3)."""


class RevocationResult(msgspec.Struct):
    number: str
    serial_hex: str
    revoked_at: dt.datetime
    reason: str
    reason_code: int
    channel: str


class RevocationApi(Controller):
    path = "/api/v1/certificates/{number:str}/revoke"
    tags = ["certificates"]
    dependencies = {"actor": Provide(provide_actor)}

    @post(
        "/",
        status_code=200,
        summary="Revoke a certificate",
        description="Irrevocable (rule REV-2); the exact revocation time is recorded and returned "
        "(rule REV-6). Reasons (REV-3) map to RFC 5280 codes: organisation_ceased and "
        "ict_support_lapsed → cessationOfOperation (5), criteria_not_met → privilegeWithdrawn (9), "
        "data_changed and user_left → affiliationChanged (3), key_compromise → keyCompromise (1). "
        "404 for a certificate of another organisation; 409 when it was already revoked.",
    )
    async def revoke(
        self, actor: NamedDependency[Actor], number: FromPath[str], data: JSONBody[RevokeRequest]
    ) -> RevocationResult:
        cert = await find_by_number(number)
        if cert is None:
            raise NotFound()
        TenantScope(actor, cert["organisation"]).require_contact_person()
        result = await revoke(actor, cert["id"], data.reason, "api")
        return RevocationResult(
            number=result["number"],
            serial_hex=result["serial_hex"],
            revoked_at=result["revoked_at"],
            reason=result["reason"],
            reason_code=result["reason_code"],
            channel=result["channel"],
        )


ROUTES = [RevocationApi]
