"""JSON API: revoke a certificate (contact person of its organisation, or vendor admin)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from src.certificates import reasons
from src.certificates.schemas import RevocationResult, RevokeRequest
from src.certificates.services.revocation import (
    check_named_facts,
    find_by_number,
    identifying_facts,
    organisation_identifier,
    revoke,
)
from src.core.errors import InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope
from src.identity.auth import provide_actor


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
        "A contact person's request names the certificate's organisation (its AGB code, in Sweden "
        "its organisationsnummer) and, for a personal certificate, the user's number and name (rule "
        "REV-7): missing or different, the answer is 422 naming the field and nothing is revoked. "
        "404 for a certificate of another organisation; 409 when it was already revoked.",
    )
    async def revoke(
        self, actor: NamedDependency[Actor], number: FromPath[str], data: JSONBody[RevokeRequest]
    ) -> RevocationResult:
        cert = await find_by_number(actor, number)
        if cert is None:
            raise NotFound()
        TenantScope(actor, cert["organisation"]).require_contact_person()
        facts = await identifying_facts(actor, cert)
        errors: dict[str, str] = {}
        if data.reason not in reasons.REASON_FLAGS:
            errors["reason"] = _("Choose a reason for the revocation.")
        if not actor.is_vendor_admin or any(
            (data.organisation_identifier, data.user_number is not None, data.user_name)
        ):
            # Vendor admins act on requests they record; what they name is still checked.
            try:
                check_named_facts(cert, facts, data.organisation_identifier, data.user_number, data.user_name)
            except InputError as exc:
                errors.update(exc.errors)
        if errors:
            raise InputError(errors)
        result = await revoke(actor, cert["id"], data.reason, "api")
        holder = facts["holder"] if cert["kind"] == "personal" else None
        return RevocationResult(
            number=result["number"],
            serial_hex=result["serial_hex"],
            revoked_at=result["revoked_at"],
            reason=result["reason"],
            reason_code=result["reason_code"],
            channel=result["channel"],
            organisation_name=facts["organisation"]["name"],
            organisation_identifier=organisation_identifier(facts["organisation"]),
            user_number=holder["id"] if holder else None,
            user_name=holder["name"] if holder else None,
        )


ROUTES = [RevocationApi]
