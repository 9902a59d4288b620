"""What the connected services are told when it happens elsewhere in the portal: each domain
event below becomes a webhook notice (src/connected/webhooks.py), in the transaction of the
change. A notice says what changed and for whom; the service asks the entitlement question
again for the details."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from src.connected import webhooks
from src.core import events
from src.core.tenancy import SYSTEM, TenantScope
from src.tenants.services import entitlements


async def _person_of(organisation_id: int, membership_id: int | None) -> dict[str, Any] | None:
    if membership_id is None:
        return None
    scope = TenantScope(replace(SYSTEM, name="webhooks", organisation_id=organisation_id), organisation_id)
    return await entitlements.person_of_membership(scope, membership_id)


@events.subscribe(events.RIGHTS_CHANGED)
async def rights_changed(
    *, actor: Any, organisation_id: int, membership_id: int, service_code: str, module_code: str
) -> None:
    # rule MOD-1: a user's rights changed: the service of the module is told.
    await webhooks.notify(
        "rights.changed",
        organisation_id,
        {"person": await _person_of(organisation_id, membership_id), "module": module_code},
        service_code=service_code or None,
    )


@events.subscribe(events.AGREEMENT_SIGNED)
async def agreement_signed(*, actor: Any, organisation_id: int, acceptance_id: int) -> None:
    # rule AG-1, AG-6: what the organisation may do in every service may have changed.
    await webhooks.notify("agreement.changed", organisation_id, {})


@events.subscribe(events.SUBSCRIPTION_CHANGED)
async def subscription_changed(*, actor: Any, organisation_id: int, subscription_id: int) -> None:
    await webhooks.notify("subscription.changed", organisation_id, {"subscription_id": subscription_id})


@events.subscribe(events.CERTIFICATE_REVOKED)
async def certificate_revoked(
    *, actor: Any, organisation_id: int, certificate_id: int, number: str, kind: str, holder: int | None
) -> None:
    # rule MOD-7: a personal certificate revoked for one portal; the user's other services go on,
    # and each service learns whose certificate it was.
    await webhooks.notify(
        "certificate.revoked",
        organisation_id,
        {
            "certificate": {"number": number, "kind": kind},
            "person": await _person_of(organisation_id, holder),
        },
    )
