"""What billing needs to name the service an invoice line bills (revenue per service): the
service of each subscription and the kind of each charge, as queries billing joins its lines to
in the database, and the services' names in the reader's language."""

from __future__ import annotations

from typing import Any

from src.core.i18n import current_locale
from src.core.tenancy import Actor, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services.charges import SOURCE_TYPE as CERTIFICATE
from src.subscriptions.tables import Service

CERTIFICATE_CHARGE = CERTIFICATE  # a charge's `source_type` for a certificate fee (rule BIL-1)


def subscription_services(actor: Actor) -> Any:
    """A query of (`id`, `service`) for every subscription: vendor admins only."""
    require_vendor_admin(actor)
    return repository.services_of_subscriptions(actor)


def charge_kinds(actor: Actor) -> Any:
    """A query of (`id`, `source_type`) for every charge: vendor admins only."""
    require_vendor_admin(actor)
    return repository.kinds_of_charges(actor)


async def service_names(service_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Service id -> (its place in the catalogue, its name in the reader's language)."""
    if not service_ids:
        return {}
    locale = current_locale.get()
    rows = await Service.select(
        Service.id, Service.position, Service.name_nl, Service.name_sv, Service.name_en
    ).where(Service.id.is_in(service_ids))
    return {int(r["id"]): (int(r["position"] or 0), localised_name(r, locale)) for r in rows}
