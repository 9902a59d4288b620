"""An organisation's invoices for a month (rules BIL-1..BIL-5; 004 §1.7.1).

`bill_organisation` makes, in one transaction, the month's invoice to the organisation (its
subscriptions, day by day, and the charges fallen due: one-time fees, certificate fees) and one
invoice per third party that pays some of its charges (BIL-4: the organisation gets none for
those). Each invoice's `run_key` (period, organisation, payer) is unique and each charge's line
too, so repeating the run, or two runs at once, never bills anything twice. An invoice is a draft
until `finalise` gives it its number, its date and its due date; after that it never changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from src.billing import repository
from src.billing.payments import repository as ledger
from src.billing.repository import interest_notes as interest_notes_repository
from src.billing.services import numbering, proration, reference, vat
from src.billing.services.proration import Period, State
from src.core import clock, db, outbox
from src.core.errors import NotFound
from src.core.i18n import _, current_locale, format_date, language_of
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.settings import get_settings
from src.subscriptions.catalogue import localised_name
from src.subscriptions.services import billable
from src.tenants.services.organisations import get_organisation

HUNDRED = Decimal(100)
# Renders a final invoice's PDF and e-invoice, then mails them (src.billing.services.documents).
RENDER_ACTOR = "billing.render_documents"


def render_key(invoice_id: int) -> str:
    return f"invoice-documents:{invoice_id}"


DISPUTE_DAYS = 10  # rule BIL-9, see services/disputes.py


def _decimal(value: Decimal) -> str:
    """A decimal as the e-invoice writes it: no exponent, no trailing zeros beyond two places."""
    text = format(value.normalize(), "f")
    whole, _sep, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}" if fraction else f"{whole}.00"


def _span(first: dt.date, last: dt.date) -> str:
    return format_date(first) if first == last else f"{format_date(first)} – {format_date(last)}"


def subscription_lines(
    found: billable.Billables, period: Period, customer: dict[str, Any]
) -> list[dict[str, Any]]:
    """The lines of the month's subscriptions, in the current language."""
    locale = current_locale.get()
    result: list[dict[str, Any]] = []
    for sub in found.subscriptions:
        states = [State(since, variant, quantity) for since, variant, quantity in sub.states]
        parts = proration.stretches(
            states,
            sub.starts_on,
            sub.ends_on,
            period,
            lambda variant, day: found.prices[variant].on(day),
            lambda variant: found.price_change_days.get(variant, []),
        )
        for line in proration.lines(parts, period):
            variant = found.variants[line.variant]
            category = vat.category(
                variant["tax_category"],
                get_settings().vendor_country,
                customer["country"],
                customer["vat_number"],
            )
            service = sub.service_names.get(locale) or sub.service_names["en"]
            name = f"{service}: {localised_name(variant, locale)}"
            if line.whole_month:
                quantity, unit, price = (
                    Decimal(line.quantity),
                    "C62",
                    Decimal(line.monthly_price_cents) / HUNDRED,
                )
            else:
                quantity, unit, price = Decimal(line.quantity * line.days), "DAY", line.day_price / HUNDRED
            result.append(
                {
                    "description": f"{name}, {_span(line.first, line.last)}",
                    "source_type": "subscription",
                    "source_id": sub.id,
                    "quantity": _decimal(quantity),
                    "unit_code": unit,
                    "unit_price": _decimal(price),
                    "net_cents": line.net_cents,
                    "vat_category": category.code,
                    "vat_basis_points": category.basis_points,
                    "first_day": line.first,
                    "last_day": line.last,
                }
            )
    return result


def charge_line(charge: dict[str, Any], customer: dict[str, Any]) -> dict[str, Any]:
    category = vat.category(
        "standard", get_settings().vendor_country, customer["country"], customer["vat_number"]
    )
    return {
        "description": charge["description"],
        "source_type": "charge",
        "source_id": int(charge["id"]),
        "charge_key": f"charge:{charge['id']}",
        "quantity": "1.00",
        "unit_code": "C62",
        "unit_price": _decimal(Decimal(int(charge["amount_cents"])) / HUNDRED),
        "net_cents": int(charge["amount_cents"]),
        "vat_category": category.code,
        "vat_basis_points": category.basis_points,
        "first_day": charge["chargeable_on"],
        "last_day": charge["chargeable_on"],
    }


def totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    parts = vat.breakdown(
        (vat.Category(x["vat_category"], x["vat_basis_points"]), x["net_cents"]) for x in lines
    )
    net = sum(p.net_cents for p in parts)
    tax = sum(p.vat_cents for p in parts)
    return {
        "net_cents": net,
        "vat_cents": tax,
        "total_cents": net + tax,
        "reverse_charge": any(p.category.code == "AE" for p in parts),
    }


def third_party_payer(name: str, organisation: dict[str, Any]) -> dict[str, Any]:
    """A third party paying for an organisation (rule BIL-4) as the buyer of its invoice: its
    details from THIRD_PARTY_PAYERS (the name alone, in the Netherlands, when none are set); the
    buyer reference names the organisation paid for."""
    payer = get_settings().third_party_payer(name)
    number = organisation.get("kvk_number") or organisation.get("org_number") or ""
    return {
        "name": payer.name or name,
        "country": payer.country,
        "address": "\n".join(payer.address),
        "vat_number": payer.vat_number,
        "registration": payer.registration,
        "peppol_id": payer.peppol_id,
        "reference": f"{organisation['name']} ({number})" if number else organisation["name"],
    }


async def bill_organisation(actor: Actor, run: dict[str, Any], organisation_id: int) -> int:
    """Make the month's invoices of one organisation, once; the number of invoices made now."""
    try:
        return await _bill(actor, run, organisation_id)
    except Exception as exc:
        if db.is_unique_violation(exc):
            return 0  # another worker invoiced this organisation's month at the same moment
        raise


async def _bill(actor: Actor, run: dict[str, Any], organisation_id: int) -> int:
    period = Period.parse(run["period"])
    scope = TenantScope(actor, organisation_id)
    made = 0
    async with db.transaction():
        key = f"{period.label}:{organisation_id}:organisation"
        if await repository.invoice_with_key(scope, key) is not None:
            return 0  # this organisation's month is invoiced already
        organisation = await get_organisation(actor, organisation_id)
        customer = {
            "name": organisation["name"],
            "country": organisation["country"],
            "address": organisation.get("billing_address") or organisation.get("postal_address") or "",
            "vat_number": organisation.get("vat_number") or "",
            "registration": organisation.get("kvk_number") or organisation.get("org_number") or "",
            "peppol_id": organisation.get("peppol_id") or "",
            "reference": organisation.get("kvk_number")
            or organisation.get("org_number")
            or organisation["name"],
        }
        found = await billable.billables(actor, organisation_id, period.first, period.end)
        token = current_locale.set(language_of(organisation["country"]))
        try:
            own = subscription_lines(found, period, customer)
            third: dict[str, list[dict[str, Any]]] = {}
            for charge in found.charges:
                if charge["payer_kind"] == "third_party":
                    payer = third_party_payer(charge["payer_name"], organisation)
                    third.setdefault(charge["payer_name"], []).append(charge_line(charge, payer))
                else:
                    own.append(charge_line(charge, customer))
        finally:
            current_locale.reset(token)
        invoices = [(key, "organisation", "", customer, own)] + [
            (
                f"{period.label}:{organisation_id}:third_party:{name}"[:80],
                "third_party",
                name,
                third_party_payer(name, organisation),
                lines,
            )
            for name, lines in sorted(third.items())
        ]
        for run_key, payer_kind, payer_name, who, lines in invoices:
            if not lines:
                continue
            invoice_id = await repository.insert_invoice(
                scope,
                kind="invoice",
                status="draft",
                period=period.label,
                run_key=run_key,
                billing_run=run["id"],
                payer_kind=payer_kind,
                payer_name=payer_name,
                customer_name=who["name"],
                customer_address=who["address"],
                customer_country=who["country"],
                customer_vat_number=who["vat_number"],
                customer_registration=who["registration"],
                customer_peppol_id=who["peppol_id"],
                buyer_reference=who["reference"][:200],
                # The reader's language: a third party's invoice speaks to the third party.
                language=language_of(who["country"]),
                currency="EUR",
                created_at=clock.now(),  # the review period counts from here (services/review.py)
                **totals(lines),
            )
            await repository.insert_lines(scope, invoice_id, lines)
            made += 1
        await billable.mark_invoiced(actor, organisation_id, [int(c["id"]) for c in found.charges])
    return made


async def finalise(actor: Actor, organisation_id: int, invoice_id: int) -> dict[str, Any]:
    """Give a draft its number, date and due date (once; a final invoice is returned as it is),
    and hand its documents to the workers in the same transaction."""
    row, _finalised = await finalise_draft(actor, organisation_id, invoice_id)
    return row


async def finalise_draft(actor: Actor, organisation_id: int, invoice_id: int) -> tuple[dict[str, Any], bool]:
    """`finalise`, saying whether this call finalised the draft (False: it was final already).
    The draft is claimed with a conditional UPDATE before its number is taken, so of two
    finalisations at once only one takes a number (the series stays without gaps)."""
    scope = TenantScope(actor, organisation_id)
    async with db.transaction():
        row = await repository.invoice(scope, invoice_id)
        if row["status"] == "final" or not await repository.claim_draft(scope, invoice_id):
            return await repository.invoice(scope, invoice_id), False
        today = clock.today()
        number = await numbering.take(row["kind"], today.year)
        await repository.set_invoice(
            scope,
            invoice_id,
            number=number,
            issued_on=today,
            due_on=today + dt.timedelta(days=get_settings().payment_term_days),  # 004 §1.7.2
            finalised_at=clock.now(),
            payment_reference=reference.creditor_reference(number) if row["kind"] == "invoice" else "",
        )
        # Its documents are rendered and mailed by a worker once this has committed (004 §1.7).
        await outbox.enqueue(
            RENDER_ACTOR,
            {"organisation_id": organisation_id, "invoice_id": invoice_id},
            render_key(invoice_id),
        )
        return await repository.invoice(scope, invoice_id), True


async def finalise_many(actor: Actor, invoice_ids: list[int]) -> int:
    """Finalise many drafts in one transaction (a billing run's batch): each claimed once, numbered
    from a block of its series taken at the end, so the series is locked only briefly and stays
    without gaps (the block goes back with a rollback); documents handed to the workers as in
    `finalise`. How many this call finalised. For the workers of a run, which act for every
    organisation."""
    require_vendor_admin(actor)
    async with db.transaction():
        claimed = await repository.claim_drafts(invoice_ids)
        if not claimed:
            return 0
        await outbox.enqueue_many(
            RENDER_ACTOR,
            [
                (
                    {"organisation_id": int(r["organisation"]), "invoice_id": int(r["id"])},
                    render_key(int(r["id"])),
                )
                for r in claimed
            ],
        )
        today = clock.today()
        numbers: dict[int, str] = {}
        for kind in sorted({r["kind"] for r in claimed}):
            ids = [int(r["id"]) for r in claimed if r["kind"] == kind]
            first = await repository.take_from_series(f"{kind}:{today.year}", len(ids))
            numbers.update({i: numbering.formatted(kind, today.year, first + n) for n, i in enumerate(ids)})
        await repository.number_claimed(
            numbers,
            issued_on=today,
            due_on=today + dt.timedelta(days=get_settings().payment_term_days),  # 004 §1.7.2
            finalised_at=clock.now(),
        )
        invoices = {int(r["id"]) for r in claimed if r["kind"] == "invoice"}
        await ledger.set_payment_references(
            {i: reference.creditor_reference(n) for i, n in numbers.items() if i in invoices}
        )
        return len(claimed)


def kind_name(kind: str) -> str:
    if kind == "interest_note":
        return _("Interest note")
    return _("Credit note") if kind == "credit_note" else _("Invoice")


def _readable(line: dict[str, Any], period_label: str) -> dict[str, Any]:
    """A line as a person reads it: a part of a month as units times days at a monthly price."""
    line = dict(line)
    if line["unit_code"] == "DAY" and line["first_day"] and line["last_day"]:
        days = (line["last_day"] - line["first_day"]).days + 1
        line["days"] = days
        line["units"] = int(Decimal(line["quantity"]) / days)
        month_days = Period.parse(period_label).days
        line["monthly_price_cents"] = int(
            (Decimal(line["unit_price"]) * HUNDRED * month_days).quantize(Decimal(1))
        )
    return line


async def list_invoices(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The organisation's final invoices and credit notes, newest first, each with its lines
    (its contact persons and vendor admins; drafts are the vendor's until finalised)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    rows = await repository.invoices_of(scope)
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in await repository.lines_of(scope, [int(r["id"]) for r in rows]):
        lines.setdefault(int(line["invoice"]), []).append(line)
    numbers = {int(r["id"]): r["number"] for r in rows}
    missing = [int(r["credits"]) for r in rows if r["credits"] and int(r["credits"]) not in numbers]
    numbers.update(await repository.invoice_numbers(scope, missing))
    return [
        {
            **r,
            "lines": lines.get(int(r["id"]), []),
            "credits_number": numbers.get(int(r["credits"])) if r["credits"] else None,
        }
        for r in rows
    ]


async def get_invoice(actor: Actor, organisation_id: int, invoice_id: int) -> dict[str, Any]:
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    row = await repository.invoice(scope, invoice_id)
    if row["status"] != "final" and not actor.is_vendor_admin:
        raise NotFound()
    lines = [_readable(x, row["period"]) for x in await repository.lines_of(scope, [invoice_id])]
    parts = vat.breakdown(
        (vat.Category(x["vat_category"], x["vat_basis_points"]), x["net_cents"]) for x in lines
    )
    credit_notes = await repository.credit_notes_of(scope, [invoice_id])
    credited = await repository.credited_lines(scope, [int(x["id"]) for x in lines])
    for line in lines:
        line["credited_by"] = credited.get(int(line["id"]))
    credits_number = None
    if row["credits"]:
        credits_number = (await repository.invoice_numbers(scope, [int(row["credits"])])).get(
            int(row["credits"])
        )
    interest_of_number = None
    if row.get("interest_of"):  # an interest note: the invoice it charges interest for
        interest_of_number = (await repository.invoice_numbers(scope, [int(row["interest_of"])])).get(
            int(row["interest_of"])
        )
    disputes = await repository.disputes_of(scope, invoice_id)
    # BIL-9: a complaint within 10 days of the invoice's date, day 10 included (disputes.py).
    dispute_until = (
        row["issued_on"] + dt.timedelta(days=DISPUTE_DAYS)
        if row["kind"] == "invoice" and row["issued_on"]
        else None
    )
    return {
        **row,
        "lines": lines,
        "vat_breakdown": parts,
        "credits_number": credits_number,
        "interest_of_number": interest_of_number,
        "interest_notes": (
            await interest_notes_repository.notes_of(scope, [invoice_id]) if row["kind"] == "invoice" else []
        ),
        "credit_notes": credit_notes,
        "disputes": disputes,
        "dispute_until": dispute_until,
        "can_dispute": dispute_until is not None
        and clock.today(row["customer_country"] or None) <= dispute_until,
    }
