"""Background work of the certificate workflow: the confirmation letter (CRT-4), the renewal
letters (CRT-2), and the scheduled jobs that find the certificates to renew and keep the CRLs fresh.

src.domains imports this module so the broker knows these actors."""

from __future__ import annotations

from src.certificates.services import confirmation, crl, renewal
from src.workers import scheduler
from src.workers.broker import async_actor


@async_actor(confirmation.ACTOR, max_retries=8)
async def send_certificate_confirmation(certificate_id: int, sealed_code: str, dedupe_key: str) -> None:
    """Mail the confirmation letter with the revocation code; forget the code once it is confirmed sent."""
    await confirmation.deliver_confirmation(certificate_id, sealed_code, dedupe_key)


@async_actor(renewal.ACTOR, max_retries=8)
async def send_renewal_letter(certificate_id: int, dedupe_key: str) -> None:
    """Mail the renewal letter (CRT-2) once per key."""
    await renewal.deliver_renewal_letter(certificate_id, dedupe_key)


@scheduler.every("certificates.renewal_letters", seconds=3600)
async def renewal_letters_job() -> int:
    """Hourly: queue renewal letters for certificates entering their last 60 days (CRT-2)."""
    return await renewal.send_due_renewal_letters()


@scheduler.every("certificates.refresh_crls", seconds=3600)
async def refresh_crls_job() -> int:
    """Hourly: renew every issuing CA's CRL that is stale (so a CRL is made at least daily)."""
    return await crl.refresh_crls()
