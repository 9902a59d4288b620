"""Domain events inside the unit of work.

A service publishes an event inside its transaction; handlers registered by other domains run
in that same transaction, so their changes commit or roll back together with it. A handler may
refuse the change by raising (e.g. Conflict), which rolls everything back.

Example: deactivating a user publishes MEMBERSHIP_DEACTIVATING; the certificates domain revokes
the user's personal certificates (rule MOD-7), the rights domain checks the last signing right.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[..., Awaitable[None]]

MEMBERSHIP_DEACTIVATING = "membership.deactivating"
# A certificate was issued (actor, organisation, certificate_id, kind, number, issued_at).
CERTIFICATE_ISSUED = "certificate.issued"
# A vendor admin confirms a third party reimburses a certificate (actor, certificate_id, reimbursed_by).
CERTIFICATE_REIMBURSED = "certificate.reimbursed"
# What a connected service must learn (src/connected/handlers.py pushes each to its webhook),
# each published inside the transaction of the change, with `actor` and `organisation_id`:
# a user's right for a module changed (membership_id, service_code, module_code);
RIGHTS_CHANGED = "rights.changed"
# the organisation signed the customer agreement (acceptance_id);
AGREEMENT_SIGNED = "agreement.signed"
# a subscription was ordered, ended, or a change of it took effect (subscription_id);
SUBSCRIPTION_CHANGED = "subscription.changed"
# a certificate was revoked (certificate_id, number, kind, holder: the membership of a personal
# certificate's holder, else None).
CERTIFICATE_REVOKED = "certificate.revoked"
# An order of an organisation asked for security waits for its advance invoice (rule BIL-11):
# (actor, organisation, subscription_id, service, variant, quantity, unit_price_cents, currency,
# starts_on, vat_basis_points).
ORDER_AWAITING_SECURITY = "order.awaiting_security"
# The language switcher was used (request, locale): a signed-in person keeps the choice.
LOCALE_CHOSEN = "locale.chosen"

_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    """Register a handler; every domain's handlers module is imported by src.domains."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[event]:
            _handlers[event].append(handler)
        return handler

    return register


async def publish(event: str, **data: Any) -> None:
    for handler in list(_handlers[event]):
        await handler(**data)
