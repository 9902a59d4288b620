"""The vendor admins' overdue page (`/admin/billing/overdue`) and its API
(`GET /api/v1/billing/overdue`): the ageing of what is open past its due date as of a day, per
payer kind, as a stacked bar chart drawn on the server (SVG, with a title, a description and every
value labelled), days sales outstanding, and the largest overdue invoices (services/overdue.py)."""

from __future__ import annotations

from typing import Annotated, Any

from babel.numbers import format_decimal
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Template

from src.billing.overdue_schemas import Overdue
from src.billing.services import overdue
from src.core import clock
from src.core.errors import InputError
from src.core.i18n import _, current_locale, format_money
from src.core.tenancy import Actor
from src.core.web import page
from src.identity.auth import provide_actor
from src.identity.guards import provide_vendor_admin

WIDTH, HEIGHT, TOP, BOTTOM = 720, 320, 44, 40
LABEL_GAP = 14  # the least distance between two values written beside one bar


def bucket_names() -> dict[str, str]:
    return {
        "days_0_30_cents": _("0–30 days"),
        "days_31_60_cents": _("31–60 days"),
        "days_61_90_cents": _("61–90 days"),
        "days_over_90_cents": _("Over 90 days"),
    }


def payer_kind_names() -> dict[str, str]:
    return {"organisation": _("Organisations"), "third_party": _("Third-party payers")}


def days_text(days: Any) -> str:
    """Days sales outstanding as the current language writes it (42.5, 42,5); "" without one."""
    return "" if days is None else format_decimal(days, format="#,##0.0", locale=current_locale.get())


def chart(buckets: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A bar per bucket in a 720 by 320 viewBox (it scales to the page's width), organisations
    below and third-party payers stacked on them; each part's value is written beside it and the
    bar's total above it."""
    names = bucket_names()
    highest = max([buckets["total"][key] for key in overdue.BUCKETS] + [1])
    slot = WIDTH / len(overdue.BUCKETS)
    usable = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM
    bars = []
    for i, key in enumerate(overdue.BUCKETS):
        x = round(i * slot + slot * 0.12, 1)
        width = round(slot * 0.4, 1)
        top = float(base)
        parts: list[dict[str, Any]] = []
        label_ys: list[float] = []
        for kind in overdue.PAYER_KINDS:
            cents = buckets[kind][key]
            height = cents / highest * usable
            top -= height
            if cents:
                # Values written beside small parts must not overlap: the upper one moves up.
                label_y = top + height / 2 + 4
                if label_ys:
                    label_y = min(label_y, label_ys[-1] - LABEL_GAP)
                label_ys.append(label_y)
                parts.append(
                    {
                        "kind": kind,
                        "y": round(top, 1),
                        "height": round(height, 1),
                        "label": format_money(cents),
                        "label_y": round(label_y, 1),
                    }
                )
        highest_label = min([top, *(y - 10 for y in label_ys)])
        bars.append(
            {
                "key": key,
                "name": names[key],
                "x": x,
                "width": width,
                "label_x": round(x + width + 6, 1),
                "centre": round(x + width / 2, 1),
                "parts": parts,
                "total": format_money(buckets["total"][key]),
                "total_y": round(highest_label - 8, 1),
            }
        )
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "base": base}


class OverdueAdmin(Controller):
    path = "/admin/billing/overdue"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        as_of: Annotated[str, QueryParameter()] = "",
    ) -> Template:
        """A bad date is said next to the field and today's ageing shown instead (200)."""
        today = clock.today()
        errors: dict[str, str] = {}
        try:
            day = overdue.parse_as_of(as_of, today)
        except InputError as exc:
            errors = dict(exc.errors)
            day = today
        found = await overdue.ageing(actor, day)
        return page(
            request,
            "billing/admin_overdue.html",
            {
                "found": found,
                "chart": chart(found["buckets"]),
                "bucket_names": bucket_names(),
                "payer_kinds": payer_kind_names(),
                "errors": errors,
                "values": {"as_of": as_of if errors else day.isoformat()},
                "today": today,
                "dso_text": days_text(found["dso_days"]),
            },
        )


class OverdueApi(Controller):
    path = "/api/v1/billing/overdue"
    tags = ["billing"]
    dependencies = {"actor": Provide(provide_actor)}

    @get(
        "/",
        summary="Overdue ageing and days sales outstanding",
        description="Vendor admins only (403 otherwise). As of `as_of` (`YYYY-MM-DD`, from 2000 to ten "
        "years ahead; default today): what final invoices have open past their due date (total minus "
        "the payments made and credit notes issued by that day), in buckets by the days since the due "
        "date (0–30, 31–60, 61–90, over 90), per payer kind (`organisation`, `third_party`) and in "
        "total; and `dso_days` = receivables open on `as_of` / invoiced in the 90 days up to it × 90 "
        "(null when nothing was invoiced then). A bad `as_of` answers 422 naming it.",
    )
    async def ageing(
        self,
        actor: NamedDependency[Actor],
        as_of: Annotated[str, QueryParameter(description="YYYY-MM-DD; default today")] = "",
    ) -> Overdue:
        return Overdue.from_result(await overdue.ageing_as_of(actor, as_of))


ROUTES: list[Any] = [OverdueApi, OverdueAdmin]
