"""Revocation by whoever holds a certificate's number and its revocation code (rule REV-1), on the
public /revoke page without signing in: the certificate is looked up by its number alone, in
whichever organisation it is, and the code decides. Who holds the code acts for the certificate's
organisation in this one revocation."""

from __future__ import annotations

from typing import Any

from src.certificates.services import revocation
from src.certificates.services.issuance import verify_code
from src.certificates.tables import Certificate
from src.core.errors import NotFound
from src.core.tenancy import Actor

ACTOR_NAME = "online revocation with code"


async def _by_number(number: str) -> dict[str, Any] | None:
    return await Certificate.select().where(Certificate.number == number.strip().upper()).first()


async def check_code(number: str, code: str) -> dict[str, Any] | None:
    """The certificate when number and code match, else None — the same work and the same
    answer whether the number exists or not (argon2 runs on a dummy hash), rule REV-1."""
    cert = await _by_number(number) if number.strip() else None
    ok = verify_code(cert["revocation_code_hash"] if cert else None, code)
    return cert if (ok and cert is not None) else None


async def revoke_with_code(certificate_id: int, reason: str, client_address: str) -> dict[str, Any]:
    """Revoke the certificate whose number and code matched (the portal signed its id in the
    confirmation step), in a transaction of its own."""
    row = await Certificate.select(Certificate.organisation).where(Certificate.id == certificate_id).first()
    if row is None:
        raise NotFound()
    actor = Actor(
        person_id=0, name=ACTOR_NAME, organisation_id=row["organisation"], client_address=client_address
    )
    return await revocation.revoke(actor, certificate_id, reason, "online_code")
