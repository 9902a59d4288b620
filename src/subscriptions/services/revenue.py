"""Monthly recurring revenue (MRR) for the vendor admins, per service and currency.

**MRR now**: the sum, over the subscriptions in force today (started on or before today, not
ended: `ends_on` after today or none), of the price in force today (the latest price change
effective on or before today, else the variant's own price; `pricing.histories`) times the
quantity.

**Committed MRR**: the recurring revenue once everything already decided has taken effect:
a subscription with an end date counts 0, a scheduled cancellation 0, a scheduled downgrade or
upgrade its new variant times its new quantity, a subscription that starts later counts in
full, and every price is the variant's latest announced one.

`mrr` is a pure function of the rows, tested at its boundaries; `revenue` reads them in a
fixed handful of queries, however many organisations there are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from src.core import clock
from src.core.tenancy import Actor, require_vendor_admin
from src.subscriptions import repository
from src.subscriptions.services import pricing
from src.subscriptions.services import subscriptions as catalogue

ENDED = frozenset({"ended", "cancelled"})


@dataclass
class Amounts:
    now_cents: int = 0
    committed_cents: int = 0

    @property
    def difference_cents(self) -> int:
        return self.committed_cents - self.now_cents


@dataclass(frozen=True)
class VariantInfo:
    service: int
    currency: str


def mrr(
    subscriptions: Iterable[Mapping[str, Any]],
    changes: Mapping[int, Mapping[str, Any]],
    variants: Mapping[int, VariantInfo],
    histories: Mapping[int, pricing.History],
    today: dt.date,
) -> dict[tuple[int, str], Amounts]:
    """{(service id, currency): Amounts} from the subscriptions (`id`, `variant`, `quantity`,
    `status`, `starts_on`, `ends_on`), their scheduled change by subscription id (`kind`,
    `to_variant`, `to_quantity`), each variant's service and currency, and its price history."""
    totals: dict[tuple[int, str], Amounts] = {}

    def add(variant: int, now: int = 0, committed: int = 0) -> None:
        info = variants[variant]
        amounts = totals.setdefault((info.service, info.currency), Amounts())
        amounts.now_cents += now
        amounts.committed_cents += committed

    for s in subscriptions:
        if s["status"] == "cancelled":
            continue
        variant, quantity, ends_on = int(s["variant"]), int(s["quantity"]), s["ends_on"]
        if variant not in variants:
            continue
        if s["starts_on"] <= today and (ends_on is None or ends_on > today):
            add(variant, now=histories[variant].on(today) * quantity)
        if ends_on is not None or s["status"] in ENDED:
            continue
        change = changes.get(int(s["id"]))
        if change is not None:
            if change["kind"] == "cancel":
                continue
            if change["kind"] in ("upgrade", "downgrade"):
                variant = int(change["to_variant"] or variant)
                quantity = int(change["to_quantity"])
        if variant in variants:
            add(variant, committed=histories[variant].prices[-1] * quantity)
    return totals


@dataclass
class RevenueLine:
    service_id: int
    service_name: str
    currency: str
    amounts: Amounts


async def revenue(actor: Actor) -> dict[str, Any]:
    """The MRR page: a line per service and currency (catalogue order), and totals per currency."""
    require_vendor_admin(actor)
    today = clock.today()
    subscriptions = await repository.subscriptions_for_revenue(actor, today)
    changes = {int(c["subscription"]): c for c in await repository.scheduled_changes(actor)}
    services = await catalogue.catalogue(include_inactive=True)
    variants = {
        int(v["id"]): VariantInfo(int(s["id"]), v["currency"]) for s in services for v in s["variants"]
    }
    histories = await pricing.histories(variants)
    totals = mrr(subscriptions, changes, variants, histories, today)
    lines = [
        RevenueLine(int(s["id"]), s["name"], currency, totals[(int(s["id"]), currency)])
        for s in services
        for currency in sorted({c for (sid, c) in totals if sid == s["id"]})
    ]
    by_currency: dict[str, Amounts] = {}
    for line in lines:
        total = by_currency.setdefault(line.currency, Amounts())
        total.now_cents += line.amounts.now_cents
        total.committed_cents += line.amounts.committed_cents
    return {"lines": lines, "totals": dict(sorted(by_currency.items())), "today": today}
