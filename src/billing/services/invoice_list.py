"""The vendor admins' invoices: every invoice and credit note of every organisation and third
party, newest first, 50 to a page, with a search and filters; and one of them in full.

The query string is read leniently: a status, kind or payer that is not one of the list's is
left out and said so, a month that is not YYYY-MM too (the form keeps what was typed), and a
page that is no number, or below 1, is the first page; one past the end, the last."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from src.billing.repository import invoice_list as rows
from src.billing.repository.invoice_list import InvoiceFilter
from src.billing.services import documents, invoicing
from src.core.errors import NotFound
from src.core.i18n import _
from src.core.paging import paged
from src.core.tenancy import Actor, require_vendor_admin

PAGE_SIZE = 50
STATUSES = ("draft", "final", "credited")
KINDS = ("invoice", "credit_note", "interest_note")
PAYER_KINDS = ("organisation", "third_party")
MAX_SEARCH = 100
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def status_labels() -> dict[str, str]:
    return {"draft": _("Draft"), "final": _("Final"), "credited": _("Credited")}


def kind_labels() -> dict[str, str]:
    return {"invoice": _("Invoice"), "credit_note": _("Credit note"), "interest_note": _("Interest note")}


def payer_labels() -> dict[str, str]:
    return {"organisation": _("Organisation"), "third_party": _("Third party")}


def _page_number(text: str) -> int:
    """1 for anything but a whole number; a number past the end is clamped by the paging."""
    text = text.strip()
    if not text.isdecimal():
        return 1
    return max(1, int(text[:30]))  # 30 digits are past any end


@dataclass(frozen=True)
class InvoiceQuery:
    """The search, the filters and the page of the list, and what the form shows: `typed` is
    what was entered for each field, `errors` says which values were left out and why."""

    q: str = ""
    status: str = ""
    kind: str = ""
    period: str = ""
    payer: str = ""
    page: int = 1
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls, q: str = "", status: str = "", kind: str = "", period: str = "", payer: str = "", page: str = ""
    ) -> InvoiceQuery:
        typed = {
            "q": " ".join(q.split())[:MAX_SEARCH],
            "status": status.strip()[:40],
            "kind": kind.strip()[:40],
            "period": period.strip()[:40],
            "payer": payer.strip()[:40],
        }
        errors: dict[str, str] = {}
        chosen: dict[str, str] = {}
        for name, allowed in (("status", STATUSES), ("kind", KINDS), ("payer", PAYER_KINDS)):
            if typed[name] and typed[name] not in allowed:
                errors[name] = _(
                    "“%(value)s” is not one of the choices: every one is shown.", value=typed[name]
                )
            else:
                chosen[name] = typed[name]
        if typed["period"] and not _PERIOD.match(typed["period"]):
            errors["period"] = _("Give the month as YYYY-MM, e.g. 2027-01: every month is shown.")
        else:
            chosen["period"] = typed["period"]
        return cls(
            q=typed["q"],
            status=chosen.get("status", ""),
            kind=chosen.get("kind", ""),
            period=chosen.get("period", ""),
            payer=chosen.get("payer", ""),
            page=_page_number(page),
            typed=typed,
            errors=errors,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.kind or self.period or self.payer)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string of this list (what was understood, defaults left out)."""
        values: dict[str, Any] = {
            "q": self.q,
            "status": self.status,
            "kind": self.kind,
            "period": self.period,
            "payer": self.payer,
            "page": 1,
        }
        values.update(changes)
        out = {k: str(values[k]) for k in ("q", "status", "kind", "period", "payer") if values[k]}
        if int(values["page"]) > 1:
            out["page"] = str(values["page"])
        return out

    def as_filter(self) -> InvoiceFilter:
        return InvoiceFilter(
            search=self.q, status=self.status, kind=self.kind, period=self.period, payer_kind=self.payer
        )


@dataclass
class InvoicePage:
    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def links(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and those near this one; None for a gap."""
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


async def find_invoices(actor: Actor, wanted: InvoiceQuery) -> InvoicePage:
    """A page of every organisation's invoices and credit notes, the newest first."""
    require_vendor_admin(actor)
    narrowed = wanted.as_filter()
    found = await paged(
        lambda limit, offset: rows.page_of_invoices(actor, narrowed, limit, offset),
        lambda: rows.count_invoices(actor, narrowed),
        wanted.page,
        PAGE_SIZE,
    )
    credited = await rows.credited_among(actor, [int(r["id"]) for r in found.rows if r["kind"] == "invoice"])
    items = [{**r, "credited": int(r["id"]) in credited} for r in found.rows]
    return InvoicePage(items=items, total=found.total, page=found.page, pages=found.pages)


async def organisation_of(actor: Actor, invoice_id: int) -> int:
    """The organisation an invoice belongs to (vendor admins); NotFound for no such invoice."""
    require_vendor_admin(actor)
    found = await rows.heading(actor, invoice_id)
    if found is None:
        raise NotFound()
    return int(found["organisation"])


async def admin_invoice(actor: Actor, invoice_id: int) -> dict[str, Any]:
    """One invoice or credit note in full for a vendor admin: its lines, VAT and totals, its
    credit notes or the invoice it credits, its complaints, and whether its documents are stored."""
    require_vendor_admin(actor)
    found = await rows.heading(actor, invoice_id)
    if found is None:
        raise NotFound()
    organisation_id = int(found["organisation"])
    invoice = await invoicing.get_invoice(actor, organisation_id, invoice_id)
    ready = await documents.available(actor, organisation_id, [invoice_id])
    return {
        **invoice,
        "organisation_name": found["organisation_name"],
        "documents_ready": invoice_id in ready,
    }
