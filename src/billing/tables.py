"""Invoices, their lines and numbers, and the billing runs that make them (rules BIL-1..BIL-5).

An invoice is made by a billing run as a draft for one payer (the organisation, or a third party
paying for it, rule BIL-4) and one month; `run_key` (period, organisation, payer) is unique, so a
run repeated, interrupted or started twice never makes a second one. It gets its number when it
is finalised, from the series of its kind and year (`NumberSeries`, no gaps, never reused), and
never changes after that: corrections are credit notes (`kind` "credit_note", `credits` the
invoice). Money in integer cents; a line's quantity and unit price are decimals as the e-invoice
writes them (a part of a month is a number of days at a day price).

A charge (a certificate fee, a one-time fee) is on exactly one invoice: its line's
(`source_type`, `source_id`) is unique among invoice lines that bill charges. A line is credited
at most once: the credit note's copy of it has `source_type` "credit", `source_id` the credited
line, and `charge_key` "credit:<line id>" (unique like a charge's).

A contact person's complaint about an invoice (or one line) is an `InvoiceDispute` (rules BIL-8,
BIL-9): "open" until a vendor admin resolves it with a credit note ("credited") or rejects it
with a reason ("rejected"). It never changes the invoice or its due date.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Date
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from src.tenants.tables import Organisation, Person


class BillingRun(Table, tablename="billing_run"):
    """A run for one month: `status` "running" -> "done" (or "failed"); its batches are handed
    to the workers, each counted in `batches_done` when its organisations are invoiced."""

    id = Serial(primary_key=True)
    period = Varchar(length=7, index=True)  # YYYY-MM
    status = Varchar(length=10, default="running", index=True)
    # The period while the run is running: a second run for it cannot start (unique).
    running_period = Varchar(length=7, null=True, default=None, unique=True)
    batches_total = Integer(default=0)
    batches_done = Integer(default=0)
    organisations = Integer(default=0)
    started_by = ForeignKey(references=Person, null=True, default=None)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    error = Text(default="")


class BillingBatch(Table, tablename="billing_batch"):
    """A share of a run's organisations, invoiced by one worker message; `done` once."""

    id = Serial(primary_key=True)
    billing_run = ForeignKey(references=BillingRun, index=True)
    position = Integer()
    organisations = JSON(default="[]")
    done = Boolean(default=False)


class NumberSeries(Table, tablename="number_series"):
    """The last number given in a series: `key` is the kind ("invoice" | "credit_note") and the
    year, e.g. "invoice:2027"."""

    id = Serial(primary_key=True)
    key = Varchar(length=24, unique=True)
    last_number = Integer(default=0)


class Invoice(Table, tablename="invoice"):
    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    kind = Varchar(length=16, default="invoice")  # "invoice" | "credit_note" | "interest_note"
    status = Varchar(length=10, default="draft", index=True)  # "draft" | "final"
    number = Varchar(length=20, null=True, default=None, unique=True)
    period = Varchar(length=7, index=True)
    run_key = Varchar(length=80, null=True, default=None, unique=True)
    billing_run = ForeignKey(references=BillingRun, null=True, default=None, index=True)
    payer_kind = Varchar(length=20, default="organisation")  # "organisation" | "third_party"
    payer_name = Varchar(length=200, default="")
    # The customer as invoiced (the legal content of the document does not follow later edits).
    customer_name = Varchar(length=200, default="")
    customer_address = Text(default="")
    customer_country = Varchar(length=2, default="")
    customer_vat_number = Varchar(length=20, default="")
    # For the e-invoice: the buyer's KvK number (NL) or organisationsnummer (SE), its Peppol
    # participant id ("scheme:id", may be empty), and the buyer reference (BT-10): the
    # organisation invoiced for, which a third-party payer needs to know.
    customer_registration = Varchar(length=20, default="")
    customer_peppol_id = Varchar(length=64, default="")
    buyer_reference = Varchar(length=200, default="")
    language = Varchar(length=2, default="en")
    currency = Varchar(length=3, default="EUR")
    net_cents = BigInt(default=0)
    vat_cents = BigInt(default=0)
    total_cents = BigInt(default=0)
    reverse_charge = Boolean(default=False)
    issued_on = Date(null=True, default=None)
    due_on = Date(null=True, default=None)
    credits: ForeignKey[Invoice] = ForeignKey(references="self", null=True, default=None)
    reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    finalised_at = Timestamptz(null=True, default=None)
    # The ISO 11649 RF creditor reference the customer pays with, given at finalisation
    # (services/reference.py); "" on drafts, credit notes and invoices finalised before it.
    payment_reference = Varchar(length=25, default="", index=True)
    # How far an overdue invoice is in the reminder schedule (services/dunning_schedule.py):
    # "none" | "reminder_1" | "reminder_2" | "final_notice" | "collection".
    dunning_state = Varchar(length=16, default="none")
    # All claims due at once (rule BIL-10): the day an organisation was suspended for
    # non-payment, when that is before `due_on` (services/acceleration.py); null otherwise.
    accelerated_due_on = Date(null=True, default=None)
    # An interest note (kind "interest_note", services/interest_notes.py): the overdue invoice it
    # charges interest (and collection costs) for, the days its interest runs over, and its key,
    # unique: "<invoice id>:collection" (made by the collection step) or "<invoice id>:<day>"
    # (the unique index `invoice_note_key` is made by the migration: SQLite cannot add a UNIQUE
    # column to a table).
    interest_of: ForeignKey[Invoice] = ForeignKey(references="self", null=True, default=None, index=True)
    interest_from = Date(null=True, default=None)
    interest_to = Date(null=True, default=None)
    note_key = Varchar(length=40, null=True, default=None)


class InvoiceLine(Table, tablename="invoice_line"):
    id = Serial(primary_key=True)
    invoice = ForeignKey(references=Invoice, index=True)
    position = Integer(default=0)
    description = Varchar(length=300)
    source_type = Varchar(length=20, default="")  # "subscription" | "charge" | "credit"
    source_id = Integer(null=True, default=None)
    # A charge is billed once: unique (source_type, source_id) where source_type is "charge";
    # a line is credited once: "credit:<line id>" on the credit note's copy of it.
    charge_key = Varchar(length=40, null=True, default=None, unique=True)
    quantity = Varchar(length=24, default="1")  # a decimal, as the e-invoice writes it
    unit_code = Varchar(length=3, default="C62")  # UN/ECE rec. 20: C62 one, MON month, DAY day
    unit_price = Varchar(length=24, default="0")  # a decimal in the currency, per unit_code
    net_cents = BigInt(default=0)
    vat_category = Varchar(length=2, default="S")  # EN 16931 UNCL5305: S, E, Z, AE
    vat_basis_points = Integer(default=0)
    first_day = Date(null=True, default=None)
    last_day = Date(null=True, default=None)


class InvoiceDocument(Table, tablename="invoice_document"):
    """A final invoice's or credit note's document as sent: `kind` "pdf" or "ubl" (the e-invoice,
    with the PDF embedded), rendered once by a worker and never changed (unique per kind)."""

    id = Serial(primary_key=True)
    invoice = ForeignKey(references=Invoice, index=True)
    kind = Varchar(length=4)  # "pdf" | "ubl"
    # The invoice and the kind together, unique: a document is stored once.
    document_key = Varchar(length=32, unique=True)
    content = Bytea()
    created_at = Timestamptz(default=TimestamptzNow())


class InvoiceDispute(Table, tablename="invoice_dispute"):
    """A complaint about a final invoice or one of its lines (BIL-9), and how it was resolved."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    invoice = ForeignKey(references=Invoice, index=True)
    line = ForeignKey(references=InvoiceLine, null=True, default=None)
    text = Text()
    status = Varchar(length=10, default="open", index=True)  # "open" | "credited" | "rejected"
    opened_by = ForeignKey(references=Person, null=True, default=None)
    opened_by_name = Varchar(length=200, default="")
    opened_at = Timestamptz(default=TimestamptzNow())
    resolution = Text(default="")
    resolved_by = ForeignKey(references=Person, null=True, default=None)
    resolved_by_name = Varchar(length=200, default="")
    resolved_at = Timestamptz(null=True, default=None)
    credit_note = ForeignKey(references=Invoice, null=True, default=None)


class StripeCustomer(Table, tablename="stripe_customer"):
    """A payer's customer at Stripe, one each: an organisation (`payer` "organisation:<id>") or a
    third party paying for organisations (`payer` "third_party:<code>", no organisation)."""

    id = Serial(primary_key=True)
    payer = Varchar(length=80, unique=True)
    organisation = ForeignKey(references=Organisation, null=True, default=None, index=True)
    customer_id = Varchar(length=255, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # The SEPA Direct Debit mandate a contact person gave (a SetupIntent that succeeded): the
    # payment method each invoice is collected with on its due date; "" when there is none.
    sepa_payment_method = Varchar(length=255, default="")
    mandate_label = Varchar(length=60, default="")  # the bank account as shown: "DE89 •••• 3000"
    mandate_given_at = Timestamptz(null=True, default=None)
    mandate_given_by = ForeignKey(references=Person, null=True, default=None)


class StripeIntent(Table, tablename="stripe_intent"):
    """A PaymentIntent made for an invoice's open amount: paid in the page (`purpose` "payment")
    or collected by direct debit on the due date ("direct_debit", `collection_key` unique: one
    collection of an amount of an invoice). `status` follows Stripe and never leaves "succeeded"
    (an event arriving late changes nothing)."""

    id = Serial(primary_key=True)
    invoice = ForeignKey(references=Invoice, index=True)
    organisation = ForeignKey(references=Organisation, index=True)
    intent_id = Varchar(length=255, unique=True)
    purpose = Varchar(length=16, default="payment")
    collection_key = Varchar(length=80, null=True, default=None, unique=True)
    client_secret = Varchar(length=255)
    amount_cents = BigInt()
    currency = Varchar(length=3, default="EUR")
    status = Varchar(length=40, default="requires_payment_method")
    last_error = Text(default="")
    created_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class StripeEvent(Table, tablename="stripe_event"):
    """A webhook event from Stripe as received, stored (unique event id) before any work is done;
    a worker processes it once (`processed_at`), whatever order or how often Stripe sends it."""

    id = Serial(primary_key=True)
    event_id = Varchar(length=255, unique=True)
    type = Varchar(length=100)
    payload = JSON()
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)
    outcome = Text(default="")


class Payment(Table, tablename="payment"):
    """Money received for a final invoice (rule BIL-6), from the organisation or from the third
    party paying it (`payer_kind`, `payer_name` as on the invoice, BIL-4). Recorded by hand, from
    a bank statement or by Stripe (`method`); `external_id` (a bank line's or Stripe's id) is
    unique, so an import or an event seen twice records it once. Never changed: a correction is
    another payment or a refund. services/payments.py computes what is left open."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    invoice = ForeignKey(references=Invoice, index=True)
    payer_kind = Varchar(length=20, default="organisation")  # "organisation" | "third_party"
    payer_name = Varchar(length=200, default="")
    amount_cents = BigInt()
    currency = Varchar(length=3, default="EUR")
    paid_on = Date()
    reference = Varchar(length=140, default="")
    method = Varchar(length=16, default="manual")  # "manual" | "bank_transfer" | "stripe"
    external_id = Varchar(length=100, null=True, default=None, unique=True)
    created_by = ForeignKey(references=Person, null=True, default=None)
    created_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class BankStatement(Table, tablename="bank_statement"):
    """A bank statement (camt.053) a vendor admin imported, once: `identity` is the bank's id of
    the statement with the account (unique), so the same file imported again is recognised."""

    id = Serial(primary_key=True)
    identity = Varchar(length=200, unique=True)
    iban = Varchar(length=34, default="")
    credits = Integer(default=0)
    matched = Integer(default=0)
    imported_by = ForeignKey(references=Person, null=True, default=None)
    imported_by_name = Varchar(length=200, default="")
    imported_at = Timestamptz(default=TimestamptzNow())


class BankLine(Table, tablename="bank_line"):
    """A payment received on a bank statement: matched to an invoice (its RF reference, or its
    number in the text) and recorded as a payment, or left for a vendor admin to match by hand.
    `key` identifies it across statements (services/camt.py), unique: a line is taken once."""

    id = Serial(primary_key=True)
    statement = ForeignKey(references=BankStatement, index=True)
    key = Varchar(length=300, unique=True)
    amount_cents = BigInt()
    currency = Varchar(length=3, default="EUR")
    booked_on = Date()
    reference = Varchar(length=40, default="")
    text = Text(default="")
    payer_name = Varchar(length=200, default="")
    payer_iban = Varchar(length=34, default="")
    status = Varchar(length=10, default="unmatched", index=True)  # "matched" | "unmatched" | "ignored"
    # The invoice it paid once matched; the payment row has this line's key as its external id.
    invoice = ForeignKey(references=Invoice, null=True, default=None)
    matched_by_name = Varchar(length=200, default="")
    matched_at = Timestamptz(null=True, default=None)


class InvoiceReminder(Table, tablename="invoice_reminder"):
    """A step of the reminder schedule taken for an overdue invoice (services/reminders.py), once:
    (`invoice`, `state`) is unique. `mailed` is False for a step passed over on a day when a later
    one became due too (one mail then says where things stand)."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    invoice = ForeignKey(references=Invoice, index=True)
    state = Varchar(length=16)  # "reminder_1" | "reminder_2" | "final_notice" | "collection"
    step_key = Varchar(length=40, unique=True)  # "<invoice id>:<state>"
    open_cents = BigInt(default=0)
    interest_cents = BigInt(default=0)
    mailed = Boolean(default=True)
    taken_on = Date()
    created_at = Timestamptz(default=TimestamptzNow())
