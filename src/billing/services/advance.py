"""Advance invoices: security before delivering (rule BIL-11).

When an organisation a vendor admin asked for security orders a service, the order waits
(src/subscriptions/services/security_orders.py) and an advance invoice is made for its first
month: one line, the ordered variant's monthly price times the quantity, VAT as on any invoice to
this customer. It is a normal invoice (numbered, with a payment reference and a due date,
rendered and mailed by the document workers) with its own line text; its line points at the
subscription (`source_type` "advance"). Once it is paid in full (payments.record calls
`after_payment`), the order starts, and the monthly invoices bill it from the end of the month
the advance paid for (so the first month is not invoiced twice). `run_key`
"advance:<subscription>" makes it once per order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from src.billing import repository
from src.billing.services import invoicing, vat
from src.core import clock, db
from src.core.i18n import _, current_locale, format_date, language_of
from src.core.tenancy import Actor, TenantScope
from src.settings import get_settings
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services import security_orders
from src.tenants.services.organisations import get_organisation

WORKER = Actor(person_id=0, name="advance invoices", is_vendor_admin=True)
ADVANCE = "advance"


async def make_advance_invoice(
    organisation_id: int,
    subscription_id: int,
    service: dict[str, Any],
    variant: dict[str, Any],
    quantity: int,
    unit_price_cents: int,
    starts_on: dt.date,
) -> dict[str, Any]:
    """Make and finalise the order's advance invoice (once); the final invoice."""
    scope = TenantScope(WORKER, organisation_id)
    key = f"{ADVANCE}:{subscription_id}"
    async with db.transaction():
        made = await repository.invoice_with_key(scope, key)
        if made is not None:
            return made
        organisation = await get_organisation(WORKER, organisation_id)
        language = language_of(organisation["country"])
        category = vat.category(
            variant["tax_category"],
            get_settings().vendor_country,
            organisation["country"],
            organisation.get("vat_number") or "",
        )
        token = current_locale.set(language)
        try:
            last_day = security_orders.first_month_last_day(starts_on)
            description = _(
                "Advance for the first month, %(first)s – %(last)s (security before delivery): %(name)s",
                first=format_date(starts_on),
                last=format_date(last_day),
                name=f"{localised_name(service, language)}: {localised_name(variant, language)}",
            )
        finally:
            current_locale.reset(token)
        net = unit_price_cents * quantity
        line = {
            "description": description[:300],
            "source_type": ADVANCE,
            "source_id": subscription_id,
            "quantity": invoicing._decimal(Decimal(quantity)),
            "unit_code": "MON",
            "unit_price": invoicing._decimal(Decimal(unit_price_cents) / invoicing.HUNDRED),
            "net_cents": net,
            "vat_category": category.code,
            "vat_basis_points": category.basis_points,
            "first_day": starts_on,
            "last_day": last_day,
        }
        number = organisation.get("kvk_number") or organisation.get("org_number") or ""
        invoice_id = await repository.insert_invoice(
            scope,
            kind="invoice",
            status="draft",
            period=starts_on.strftime("%Y-%m"),
            run_key=key,
            payer_kind="organisation",
            payer_name="",
            customer_name=organisation["name"],
            customer_address=organisation.get("billing_address") or organisation.get("postal_address") or "",
            customer_country=organisation["country"],
            customer_vat_number=organisation.get("vat_number") or "",
            customer_registration=number,
            customer_peppol_id=organisation.get("peppol_id") or "",
            buyer_reference=(number or organisation["name"])[:200],
            language=language,
            currency=variant["currency"],
            created_at=clock.now(),
            **invoicing.totals([line]),
        )
        await repository.insert_lines(scope, invoice_id, [line])
        return await invoicing.finalise(WORKER, organisation_id, invoice_id)


async def after_payment(actor: Actor, organisation_id: int, invoice_id: int, today: dt.date) -> list[int]:
    """In the transaction of a payment that left nothing open on the invoice: start the orders
    this advance invoice was for; their ids."""
    scope = TenantScope(actor, organisation_id)
    started = []
    for line in await repository.lines_of(scope, [invoice_id]):
        if line["source_type"] == ADVANCE and line["source_id"] is not None:
            if await security_orders.start(actor, organisation_id, int(line["source_id"]), today):
                started.append(int(line["source_id"]))
    return started
