"""API shapes of billing runs and invoices."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec


class NewBillingRun(msgspec.Struct, forbid_unknown_fields=True):
    """The month to invoice, `YYYY-MM`; it must have ended (422 naming `period` otherwise)."""

    period: str


class BillingRunOut(msgspec.Struct):
    """A billing run: `status` "running" until every batch is invoiced, then "done"; "failed"
    while a batch the workers gave up on (`failed_batches`, the last `error`) waits to be started
    again (`POST /api/v1/billing-runs/{id}/retry`)."""

    id: int
    period: str
    status: Literal["running", "done", "failed"]
    organisations: int
    batches_total: int
    batches_done: int
    invoices: int
    total_cents: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    failed_batches: int = 0
    error: str = ""

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> BillingRunOut:
        return cls(
            id=r["id"],
            period=r["period"],
            status=r["status"],
            organisations=r["organisations"],
            batches_total=r["batches_total"],
            batches_done=r.get("batches_done", 0),
            invoices=r.get("invoices", 0),
            total_cents=r.get("total_cents", 0),
            started_at=r["started_at"],
            finished_at=r["finished_at"],
            failed_batches=r.get("failed_batches", 0),
            error=r.get("error", "") if r["status"] == "failed" else "",
        )


class InvoiceLineOut(msgspec.Struct):
    """A line: `quantity` units (C62), months or days (DAY) at `unit_price` (a decimal in the
    invoice's currency); `net_cents` rounded once per line; `vat_category` S standard, E exempt,
    Z zero-rated, AE reverse charge (EN 16931); `vat_rate` in percent."""

    id: int
    description: str
    quantity: str
    unit_code: str
    unit_price: str
    unit_price_cents: int
    net_cents: int
    vat_category: Literal["S", "E", "Z", "AE"]
    vat_rate: float
    first_day: dt.date | None
    last_day: dt.date | None
    # The number of the credit note that credited this line (a line is credited once).
    credited_by: str | None = None


class CreditNoteRef(msgspec.Struct):
    """A credit note made on an invoice: its amounts are money back to the customer."""

    id: int
    number: str | None
    issued_on: dt.date | None
    reason: str
    total_cents: int


class DisputeOut(msgspec.Struct):
    """A complaint about an invoice (`line_id` null: the whole invoice), rules BIL-8/BIL-9:
    `status` "open", then "credited" (with `credit_note`) or "rejected"; `resolution` is the
    vendor's reason. It never changes the invoice's due date."""

    id: int
    invoice_id: int
    invoice_number: str | None
    line_id: int | None
    line: str | None
    text: str
    status: Literal["open", "credited", "rejected"]
    opened_by: str
    opened_at: dt.datetime
    resolution: str
    resolved_by: str
    resolved_at: dt.datetime | None
    credit_note_id: int | None
    credit_note: str | None
    organisation_id: int
    organisation: str

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> DisputeOut:
        return cls(
            id=r["id"],
            invoice_id=r["invoice"],
            invoice_number=r["invoice_number"],
            line_id=r["line"],
            line=r["line_description"],
            text=r["text"],
            status=r["status"],
            opened_by=r["opened_by_name"],
            opened_at=r["opened_at"],
            resolution=r["resolution"],
            resolved_by=r["resolved_by_name"],
            resolved_at=r["resolved_at"],
            credit_note_id=r["credit_note"],
            credit_note=r["credit_note_number"],
            organisation_id=r["organisation"],
            organisation=r["organisation_name"] or "",
        )


class LineRef(msgspec.Struct, forbid_unknown_fields=True):
    line_id: int


class NewCreditNote(msgspec.Struct, forbid_unknown_fields=True):
    """Why (required), and the lines to credit: none or an empty list credits every line of the
    invoice not credited yet."""

    reason: str
    lines: list[LineRef] | None = None


class NewDispute(msgspec.Struct, forbid_unknown_fields=True):
    """What is wrong (required); `line_id` one line of the invoice, or none: the whole invoice."""

    text: str
    line_id: int | None = None


class DisputeResolution(msgspec.Struct, forbid_unknown_fields=True):
    """`outcome` "credit": a credit note of the disputed line (for a complaint about the whole
    invoice: of `lines`, or of every line not credited yet), with `reason` as its reason;
    "reject": the complaint is rejected with `reason`."""

    outcome: Literal["credit", "reject"]
    reason: str
    lines: list[LineRef] | None = None


class InvoiceOut(msgspec.Struct):
    """An invoice (or credit note): numbered, dated and due from its finalisation on; `payer`
    is the organisation or the third party paying for it (rule BIL-4).

    Amounts are never negative: on a credit note (`kind` "credit_note") `net_cents`, `vat_cents`,
    `total_cents` and each line's `net_cents` are what the customer gets back, as the e-invoice
    CreditNote writes them; subtract them from what the credited invoice (`credits`) asks.

    `status` of a final invoice, as of today: "open", "overdue" (unpaid after its due date: in
    default without notice, rule BIL-7), "in_collection", "paid" (nothing left open) or "credited"
    (taken back whole by credit notes); a draft is "draft" (vendor admins only), a credit note
    "final". `open_cents` is the total minus payments and credit notes, never below 0; paid beyond
    that is `credit_balance_cents`. `payment_reference` is the ISO 11649 RF creditor reference to
    pay with (none on drafts and credit notes); `dunning_state` how far the reminder schedule is.

    An interest note (`kind` "interest_note", numbered `R2027-000001`) charges the late-payment
    interest and collection costs of an overdue invoice (`interest_of`) for the days after
    `interest_from` up to `interest_to` (rule BIL-7); its lines are not subject to VAT (category
    "O"). It is paid like an invoice, with its own due date and payment reference."""

    id: int
    number: str | None
    kind: Literal["invoice", "credit_note", "interest_note"]
    status: Literal["draft", "final", "open", "paid", "overdue", "in_collection", "credited"]
    issued_on: dt.date | None
    due_on: dt.date | None
    period: str
    payer: str
    currency: str
    net_cents: int
    vat_cents: int
    total_cents: int
    lines: list[InvoiceLineOut]
    # A credit note: the invoice it credits and why.
    credits: int | None = None
    credits_number: str | None = None
    reason: str = ""
    # An invoice (GET of one): its credit notes, its complaints, and the last day of BIL-9.
    credit_notes: list[CreditNoteRef] = []
    disputes: list[DisputeOut] = []
    dispute_until: dt.date | None = None
    open_cents: int = 0
    credit_balance_cents: int = 0
    payment_reference: str | None = None
    dunning_state: Literal["none", "reminder_1", "reminder_2", "final_notice", "collection"] = "none"
    interest_of: int | None = None
    interest_from: dt.date | None = None
    interest_to: dt.date | None = None

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> InvoiceOut:
        return cls(
            id=r["id"],
            number=r["number"],
            kind=r["kind"],
            status=r["status"],
            open_cents=r.get("open_cents", 0),
            credit_balance_cents=r.get("credit_balance_cents", 0),
            payment_reference=r.get("payment_reference") or None,
            dunning_state=r.get("dunning_state") or "none",
            interest_of=r.get("interest_of"),
            interest_from=r.get("interest_from"),
            interest_to=r.get("interest_to"),
            issued_on=r["issued_on"],
            due_on=r["due_on"],
            period=r["period"],
            payer=r["payer_name"] or r["customer_name"],
            currency=r["currency"],
            net_cents=r["net_cents"],
            vat_cents=r["vat_cents"],
            total_cents=r["total_cents"],
            lines=[
                InvoiceLineOut(
                    id=x["id"],
                    description=x["description"],
                    quantity=x["quantity"],
                    unit_code=x["unit_code"],
                    unit_price=x["unit_price"],
                    unit_price_cents=round(float(x["unit_price"]) * 100),
                    net_cents=x["net_cents"],
                    vat_category=x["vat_category"],
                    vat_rate=x["vat_basis_points"] / 100,
                    first_day=x["first_day"],
                    last_day=x["last_day"],
                    credited_by=x.get("credited_by"),
                )
                for x in r["lines"]
            ],
            credits=r.get("credits"),
            credits_number=r.get("credits_number"),
            reason=r.get("reason", ""),
            credit_notes=[
                CreditNoteRef(
                    id=c["id"],
                    number=c["number"],
                    issued_on=c["issued_on"],
                    reason=c["reason"],
                    total_cents=c["total_cents"],
                )
                for c in r.get("credit_notes", [])
            ],
            disputes=[DisputeOut.from_row(d) for d in r.get("disputes", [])],
            dispute_until=r.get("dispute_until"),
        )
