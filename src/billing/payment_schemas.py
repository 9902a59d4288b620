"""API shapes of payments and of the statement of account."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

Status = Literal["draft", "final", "open", "paid", "overdue", "in_collection", "credited"]
DunningState = Literal["none", "reminder_1", "reminder_2", "final_notice", "collection"]


class NewPayment(msgspec.Struct, forbid_unknown_fields=True):
    """A payment received: `amount_cents` more than 0 (more than what is open is kept as the
    invoice's credit balance), `paid_on` the day it was paid (`YYYY-MM-DD`, not in the future),
    `reference` what the payer wrote (at most 140 characters)."""

    amount_cents: int
    paid_on: Annotated[str, msgspec.Meta(examples=["2027-03-01"], description="YYYY-MM-DD")]
    reference: str = ""


class PaymentOut(msgspec.Struct):
    """A payment of an invoice by the organisation or by the third party paying it (`payer_kind`
    "organisation" | "third_party"); `method` "manual" | "bank_transfer" | "stripe"."""

    id: int
    invoice_id: int
    invoice_number: str | None
    organisation_id: int
    payer_kind: str
    payer_name: str
    amount_cents: int
    currency: str
    paid_on: dt.date
    reference: str
    method: str
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> PaymentOut:
        return cls(
            id=r["id"],
            invoice_id=r["invoice"],
            invoice_number=r.get("invoice_number"),
            organisation_id=r["organisation"],
            payer_kind=r["payer_kind"],
            payer_name=r["payer_name"],
            amount_cents=r["amount_cents"],
            currency=r["currency"],
            paid_on=r["paid_on"],
            reference=r["reference"],
            method=r["method"],
            recorded_by=r["created_by_name"],
            recorded_at=r["created_at"],
        )


class InvoiceBalance(msgspec.Struct):
    """The invoice after the payment: `status` "paid" once nothing is left open."""

    id: int
    number: str | None
    status: Status
    total_cents: int
    open_cents: int
    credit_balance_cents: int
    payment_reference: str | None


class RecordedPayment(msgspec.Struct):
    payment: PaymentOut
    invoice: InvoiceBalance

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> RecordedPayment:
        inv = result["invoice"]
        return cls(
            payment=PaymentOut.from_row(result["payment"]),
            invoice=InvoiceBalance(
                id=inv["id"],
                number=inv["number"],
                status=inv["status"],
                total_cents=inv["total_cents"],
                open_cents=inv["open_cents"],
                credit_balance_cents=inv["credit_balance_cents"],
                payment_reference=inv["payment_reference"] or None,
            ),
        )


class StatementItem(msgspec.Struct):
    """An invoice of the organisation's own with something open on `as_of`: the amount open,
    late-payment interest from the due date to `as_of` (rule BIL-7: 2.5 % a month, pro rata per
    day, on what was open each day), collection costs once the claim is in collection by `as_of`
    (15 %, at least EUR 750), and how far the reminder schedule is by then.

    An interest note (`kind` "interest_note") is an item of its own, open until paid, without
    interest or costs of its own; the invoice it is for (`interest_of`) then counts interest only
    from the note's end day, and no collection costs when the note charged them: nothing twice."""

    invoice_id: int
    number: str | None
    issued_on: dt.date | None
    due_on: dt.date | None
    total_cents: int
    open_cents: int
    interest_cents: int
    collection_costs_cents: int
    dunning_state: DunningState
    status: Status
    payment_reference: str | None
    kind: Literal["invoice", "interest_note"] = "invoice"
    interest_of: int | None = None


class Statement(msgspec.Struct):
    """What the organisation owes on `as_of` (today, or a day to come: what it will owe then if
    nothing is paid). Invoices a third party pays for it (rule BIL-4) are not on it.
    `total_due_cents` is the sum of the items' open amounts, interest and collection costs, less
    the credit balance (paid beyond what invoices asked), never below 0."""

    organisation_id: int
    as_of: dt.date
    currency: str
    items: list[StatementItem]
    payments: list[PaymentOut]
    open_cents: int
    interest_cents: int
    collection_costs_cents: int
    credit_balance_cents: int
    total_due_cents: int

    @classmethod
    def from_result(cls, r: dict[str, Any]) -> Statement:
        return cls(
            organisation_id=r["organisation_id"],
            as_of=r["as_of"],
            currency=r["currency"],
            items=[
                StatementItem(
                    invoice_id=i["id"],
                    number=i["number"],
                    issued_on=i["issued_on"],
                    due_on=i["due_on"],
                    total_cents=i["total_cents"],
                    open_cents=i["open_cents"],
                    interest_cents=i["interest_cents"],
                    collection_costs_cents=i["collection_costs_cents"],
                    dunning_state=i["dunning_state"],
                    status=i["status"],
                    payment_reference=i["payment_reference"] or None,
                    kind=i["kind"],
                    interest_of=i.get("interest_of"),
                )
                for i in r["items"]
            ],
            payments=[PaymentOut.from_row(p) for p in r["payments"]],
            open_cents=r["open_cents"],
            interest_cents=r["interest_cents"],
            collection_costs_cents=r["collection_costs_cents"],
            credit_balance_cents=r["credit_balance_cents"],
            total_due_cents=r["total_due_cents"],
        )
