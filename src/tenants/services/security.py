"""Security asked before delivering (rule BIL-11): a vendor admin marks an organisation as
needing security, with the reason; who did it and when are kept on the organisation and the
change is audited. While it is marked, a new order of the organisation waits for a paid advance
invoice (src/subscriptions/services/ordering.py, src/billing/services/advance.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import audit, clock, db
from src.core.errors import InputError
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.tenants.services.organisation_search import present
from src.tenants.services.organisations import _locked, _row
from src.tenants.tables import Organisation

MAX_REASON = 500


def clean(required: Any, reason: Any) -> tuple[bool, str]:
    if not isinstance(required, bool):
        raise InputError({"requires_security": _("Say yes or no.")})
    if reason is not None and not isinstance(reason, str):
        raise InputError({"security_reason": _("Give the reason as text.")})
    text = " ".join((reason or "").split())
    if len(text) > MAX_REASON:
        raise InputError({"security_reason": _("Use at most %(max)s characters.", max=MAX_REASON)})
    if required and not text:
        raise InputError({"security_reason": _("Say why security is needed.")})
    return required, text


async def set_requires_security(
    actor: Actor, organisation_id: int, required: Any, reason: Any = ""
) -> dict[str, Any]:
    """Mark (or unmark) the organisation as needing security before delivery; audited with the
    reason. Marking an organisation marked already changes nothing."""
    require_vendor_admin(actor)
    TenantScope(actor, organisation_id)
    wanted, text = clean(required, reason)
    async with db.transaction():
        current = await _locked(organisation_id)
        if bool(current["requires_security"]) != wanted:
            now = clock.now()
            values: dict[Any, Any] = {
                Organisation.requires_security: wanted,
                Organisation.security_reason: text if wanted else "",
                Organisation.security_set_by: actor.name if wanted else "",
                Organisation.security_set_at: now if wanted else None,
                Organisation.updated_at: dt.datetime.now(dt.UTC),
            }
            await Organisation.update(values).where(Organisation.id == organisation_id)
            await audit.record(
                actor,
                "tenants.organisation_security_required"
                if wanted
                else "tenants.organisation_security_lifted",
                organisation_id=organisation_id,
                object_type="organisation",
                object_id=organisation_id,
                before={"requires_security": bool(current["requires_security"])},
                after={"requires_security": wanted, **({"reason": text} if text else {})},
            )
    return present(await _row(organisation_id))
