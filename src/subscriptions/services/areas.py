"""Where a service delivered at an address is available (rule SUB-5).

The vendor keeps a list of postcode areas per service (and optionally per variant): a postcode
is in an area when, without spaces and in upper case, it begins with the area's prefix (NL
`1011` covers `1011 AB`; SE `114` covers `114 55`). A service without the flag
`delivered_at_address` is available everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from src.core.i18n import _, current_locale
from src.subscriptions.catalogue import localised_name
from src.subscriptions.tables import ServiceArea

POSTCODE = re.compile(r"^[0-9A-Z]{3,10}$")


def normalise(postcode: str) -> str:
    return re.sub(r"[\s-]", "", postcode or "").upper()


async def unavailable_reason(
    service: dict[str, Any], variant_id: int, country: str, postcode: str
) -> str | None:
    """None when the variant can be delivered at this postcode, else the reason to show."""
    if not service.get("delivered_at_address"):
        return None
    code = normalise(postcode)
    if not POSTCODE.match(code):
        return _("Give the postcode of the address.")
    areas = (
        await ServiceArea.select(ServiceArea.postcode_prefix, ServiceArea.variant)
        .where(ServiceArea.service == service["id"])
        .where(ServiceArea.country == country)
        .where(ServiceArea.active.eq(True))
    )
    for area in areas:
        if area["variant"] in (None, variant_id) and code.startswith(normalise(area["postcode_prefix"])):
            return None
    name = localised_name(service, current_locale.get())
    return _("%(service)s is not available at postcode %(postcode)s.", service=name, postcode=postcode)
