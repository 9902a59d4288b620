"""Background work of the certificate workflow: the confirmation letter (CRT-4), the renewal
letters (CRT-2) and the periodic job that finds the certificates to renew.

src.domains imports this module so the broker knows these actors."""

from __future__ import annotations

from src.certificates import confirmation, renewal
from src.workers.broker import async_actor
from src.workers.scheduler import periodic


@async_actor(confirmation.ACTOR, max_retries=8)
async def send_certificate_confirmation(certificate_id: int, sealed_code: str, dedupe_key: str) -> None:
    """Mail the confirmation letter with the revocation code; forget the code once it is confirmed sent."""
    await confirmation.deliver_confirmation(certificate_id, sealed_code, dedupe_key)


@async_actor(renewal.ACTOR, max_retries=8)
async def send_renewal_letter(certificate_id: int, dedupe_key: str) -> None:
    """Mail the renewal letter (CRT-2) once per key."""
    await renewal.deliver_renewal_letter(certificate_id, dedupe_key)


@periodic("certificates.renewal_letters", every=3600)
async def renewal_letters_job() -> int:
    """Hourly: queue renewal letters for certificates entering their last 60 days (CRT-2)."""
    return await renewal.send_due_renewal_letters()
