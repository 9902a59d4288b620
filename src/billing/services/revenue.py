"""The vendor's revenue (vendor admins): final invoices minus final credit notes, net of VAT,
counted in the month the invoice is for (its service period; a credit note counts in the month
of the invoice it credits). Drafts are not revenue yet.

Per service: a subscription's lines count for its service, certificate fees (charges for a
certificate, rule BIL-1) form their own row, other charges (one-time fees, rule SUB-5) theirs,
and a credit note's line subtracts from the row of the line it credits."""

from __future__ import annotations

from typing import Any

from src.billing import repository
from src.billing.repository import revenue as revenue_rows
from src.billing.services.proration import Period
from src.billing.tables import Invoice
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin
from src.subscriptions.services import invoiced_services


def _months_until(last: Period, count: int) -> list[str]:
    year, month = last.first.year, last.first.month
    labels = []
    for _step in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(labels))


def _signed(row: dict[str, Any]) -> int:
    cents = int(row["net_cents"] or 0)
    return -cents if row["kind"] == "credit_note" else cents


async def per_month(actor: Actor, last: Period, count: int = 12) -> list[dict[str, Any]]:
    """Revenue in cents of each of the `count` months up to and including `last`, oldest first."""
    require_vendor_admin(actor)
    months = _months_until(last, count)
    totals = dict.fromkeys(months, 0)
    for row in await repository.revenue_sums(actor, months, Invoice.period):
        totals[row["period"]] += _signed(row)
    return [{"period": m, "net_cents": totals[m]} for m in months]


async def per_payer(actor: Actor, months: list[str]) -> list[dict[str, Any]]:
    """Revenue per payer (an organisation, or a third party paying for some of its charges) in
    these months, largest first."""
    require_vendor_admin(actor)
    totals: dict[tuple[str, str], int] = {}
    for row in await repository.revenue_sums(actor, months, Invoice.payer_kind, Invoice.customer_name):
        key = (row["payer_kind"], row["customer_name"])
        totals[key] = totals.get(key, 0) + _signed(row)
    return [
        {"payer_kind": kind, "name": name, "net_cents": cents}
        for (kind, name), cents in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ]


async def per_service(actor: Actor, months: list[str]) -> list[dict[str, Any]]:
    """Revenue per service in these months (`key`, `name`, `net_cents`): the services in
    catalogue order, then certificate fees, one-time fees and anything else."""
    require_vendor_admin(actor)
    rows = await revenue_rows.sums_per_source(
        actor,
        months,
        invoiced_services.subscription_services(actor),
        invoiced_services.charge_kinds(actor),
    )
    totals: dict[str, int] = {}
    services: list[int] = []
    for row in rows:
        if row["source_type"] == "subscription" and row["service"] is not None:
            key = f"service:{int(row['service'])}"
            services.append(int(row["service"]))
        elif row["source_type"] == "charge" and row["charge_type"] == invoiced_services.CERTIFICATE_CHARGE:
            key = "certificates"
        elif row["source_type"] == "charge":
            key = "fees"
        else:
            key = "other"
        totals[key] = totals.get(key, 0) + _signed(row)
    names = await invoiced_services.service_names(sorted(set(services)))
    labels = {
        "certificates": (1, _("Certificate fees")),
        "fees": (2, _("One-time fees")),
        "other": (3, _("Other")),
    }
    result: list[tuple[tuple[int, int, str], dict[str, Any]]] = []
    for key, cents in totals.items():
        if key.startswith("service:"):
            position, name = names.get(int(key.split(":")[1]), (0, _("Other")))
            order: tuple[int, int, str] = (0, position, name)
        else:
            group, name = labels[key]
            order = (group, 0, name)
        result.append((order, {"key": key, "name": name, "net_cents": cents}))
    return [row for _order, row in sorted(result, key=lambda item: item[0])]
