"""The vendor admins' revenue page: the last 12 months as a bar chart drawn on the server (SVG,
with a title, a description and every value labelled), per service and per payer
(services/revenue.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from src.billing.services import revenue, runs
from src.billing.services.proration import Period
from src.core import clock
from src.core.i18n import format_money
from src.core.tenancy import Actor
from src.core.web import page
from src.identity.guards import provide_vendor_admin

WIDTH, HEIGHT, TOP, BOTTOM = 720, 320, 28, 40


def chart(months: list[dict[str, Any]]) -> dict[str, Any]:
    """The bars' geometry in a 720 by 320 viewBox (it scales to the page's width); a month below
    zero (more credited than invoiced) is drawn as an empty bar with its value."""
    highest = max([m["net_cents"] for m in months] + [1])
    slot = WIDTH / len(months)
    usable = HEIGHT - TOP - BOTTOM
    bars = []
    for i, m in enumerate(months):
        height = max(m["net_cents"], 0) / highest * usable
        bars.append(
            {
                **m,
                "x": round(i * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(TOP + usable - height, 1),
                "height": round(height, 1),
                "centre": round(i * slot + slot / 2, 1),
                "label": format_money(m["net_cents"]),
                "short": m["period"][5:] + "/" + m["period"][2:4],
            }
        )
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "base": HEIGHT - BOTTOM}


class RevenueAdmin(Controller):
    path = "/admin/billing/revenue"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        last = Period.parse(runs.previous_month(clock.today()))  # the 12 months invoiced last
        months = await revenue.per_month(actor, last)
        periods = [m["period"] for m in months]
        return page(
            request,
            "billing/admin_revenue.html",
            {
                "months": months,
                "chart": chart(months),
                "payers": await revenue.per_payer(actor, periods),
                "services": await revenue.per_service(actor, periods),
                "total_cents": sum(m["net_cents"] for m in months),
            },
        )
