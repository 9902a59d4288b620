"""Charges: what an organisation (or a third party paying for it) owes, from the day it becomes
chargeable. The certificates domain announces what it does (src.core.events); the fee follows here
(src/subscriptions/handlers.py).

Rules:
- BIL-1 a server certificate costs EUR 450;
- BIL-2 it becomes chargeable 14 days after the certificate is created (the invoice follows
  about two weeks later), counted in the organisation's own time zone;
- BIL-3 a rejected application is not charged (only an issued certificate creates a charge);
- BIL-4 for an LSP certificate whose reimbursement a vendor admin confirms, the payer of the
  charge is the third party (VZVZ), not the organisation (which certificates are reimbursed is
  the certificates domain's rule, src/certificates/fees.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import audit
from src.core.errors import Conflict
from src.core.i18n import _, timezone_for
from src.core.tenancy import Actor
from src.subscriptions import repository

FEE_CENTS = 45_000  # rule BIL-1
CURRENCY = "EUR"
CHARGEABLE_AFTER_DAYS = 14  # rule BIL-2
SOURCE_TYPE = "certificate"


def chargeable_on(issued_at: dt.datetime, country: str | None) -> dt.date:
    """The organisation's local date of issue plus 14 days (rule BIL-2)."""
    local = issued_at.astimezone(timezone_for(country))
    return local.date() + dt.timedelta(days=CHARGEABLE_AFTER_DAYS)


async def charge_for_certificate(
    actor: Actor,
    *,
    organisation: dict[str, Any],
    certificate_id: int,
    number: str,
    issued_at: dt.datetime,
) -> dict[str, Any]:
    """The pending EUR 450 charge of a newly issued server certificate. Call inside the issuing
    transaction. (source_type, source_id) is unique: the same certificate never charges twice."""
    existing = await certificate_charge(certificate_id)
    if existing is not None:
        return existing
    charge = await repository.insert_charge(
        organisation["id"],
        source_type=SOURCE_TYPE,
        source_id=certificate_id,
        description=_("Server certificate %(number)s", number=number),
        amount_cents=FEE_CENTS,
        currency=CURRENCY,
        payer_kind="organisation",
        payer_name=organisation["name"],
        chargeable_on=chargeable_on(issued_at, organisation.get("country")),
        status="pending",
    )
    await audit.record(
        actor,
        "certificates.charge_created",
        organisation_id=organisation["id"],
        object_type="charge",
        object_id=charge["id"],
        after={
            "certificate": number,
            "amount_cents": FEE_CENTS,
            "currency": CURRENCY,
            "chargeable_on": charge["chargeable_on"],
        },
    )
    return charge


def charge_status_label(status: str) -> str:
    return {
        "pending": _("not invoiced yet"),
        "invoiced": _("invoiced"),
        "cancelled": _("cancelled"),
    }.get(status, status)


async def certificate_charge(certificate_id: int) -> dict[str, Any] | None:
    """The fee of a certificate, if it has one."""
    return await repository.charge_for(SOURCE_TYPE, certificate_id)


async def charge_of(certificate_id: int) -> dict[str, Any] | None:
    """The certificate's fee, with its status in words (`status_label`)."""
    row = await certificate_charge(certificate_id)
    return {**row, "status_label": charge_status_label(row["status"])} if row else None


async def charge_third_party(certificate_id: int, payer_name: str) -> None:
    """A confirmed reimbursement (rule BIL-4): the third party pays the certificate's pending fee."""
    charge = await certificate_charge(certificate_id)
    if charge is None:
        return
    if charge["status"] != "pending":
        raise Conflict(_("The fee of this certificate is already invoiced to the organisation."))
    await repository.change_payer(charge["id"], "third_party", payer_name)
