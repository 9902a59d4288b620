"""Reading certificates: the organisation's list and detail, and the vendor admin's dashboard.

Status of a certificate, as people see it: "revoked" (REV-2, for ever), "expired",
"expiring" (within 60 days of its end, when the renewal letter goes out, CRT-2) or "valid"."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw

from src.certificates.repository import applications as application_rows
from src.certificates.repository import certificates as certificate_rows
from src.certificates.repository import revocations as revocation_rows
from src.certificates.services import pki
from src.certificates.tables import Certificate
from src.core import audit, db
from src.core.errors import NotFound
from src.core.i18n import _
from src.core.paging import paged
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.tenants.tables import Organisation

EXPIRING_DAYS = 60  # rule CRT-2


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(v) for v in (value or [])]


def status_of(row: dict[str, Any], now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    if row.get("revoked_at") is not None:
        return "revoked"
    if row["not_after"] <= now:
        return "expired"
    if row["not_after"] <= now + dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


def status_labels() -> dict[str, str]:
    return {
        "valid": _("valid"),
        "expiring": _("expiring within 60 days"),
        "expired": _("expired"),
        "revoked": _("revoked"),
    }


def kind_labels() -> dict[str, str]:
    return {"server": _("Server certificate"), "personal": _("Personal certificate")}


def present(row: dict[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    row = dict(row)
    row["dns_names"] = _names(row.get("dns_names"))
    row["status"] = status_of(row, now)
    row["status_label"] = status_labels()[row["status"]]
    row["kind_label"] = kind_labels().get(row["kind"], row["kind"])
    row["can_renew"] = row["status"] in ("valid", "expiring", "expired")
    row["can_revoke"] = row["status"] in ("valid", "expiring")
    return row


async def organisation_certificates(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The organisation's certificates for its contact persons (and vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    rows = await certificate_rows.organisation_certificates(scope)
    now = dt.datetime.now(dt.UTC)
    order = {"expiring": 0, "valid": 1, "expired": 2, "revoked": 3}
    return sorted((present(r, now) for r in rows), key=lambda r: (order[r["status"]], r["not_after"]))


# --- finding certificates (vendor admins: across organisations, or one organisation's) --------

PAGE_SIZE = 25
STATUSES = ("valid", "expiring", "expired", "revoked")
KINDS = ("server", "personal")
MAX_DAYS = 3650
_NUMBER = re.compile(r"^[SP]-\d{4}-\d{1,6}$")
_SERIAL = re.compile(r"^[0-9a-f]{1,64}$")
_NUMBER_PART = re.compile(r"^[SP0-9-]+$", re.IGNORECASE)  # what can be part of S-2026-000001


def serial_of(text: str) -> str:
    """A serial number as stored (lowercase hex, no leading zeros), from the ways people write
    it: with or without colons or spaces, upper or lower case, with 0x; '' when it is no hex."""
    cleaned = re.sub(r"[\s:]", "", text).lower().removeprefix("0x").lstrip("0")
    return cleaned if _SERIAL.match(cleaned) else ""


def exact_matches(items: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Of found certificates, those `text` names by their whole number or serial number."""
    number, serial = number_of(text), serial_of(text)
    return [c for c in items if (number and c["number"] == number) or (serial and c["serial_hex"] == serial)]


def number_of(text: str) -> str:
    """A certificate number as stored (S-2026-000001), or '' when `text` is none."""
    cleaned = text.strip().upper()
    if not _NUMBER.match(cleaned):
        return ""
    prefix, sequence = cleaned.rsplit("-", 1)
    return f"{prefix}-{int(sequence):06d}"


@dataclass(frozen=True)
class CertificateQuery:
    """Search, filters and page of a certificates list; lenient like the organisations list:
    an unknown status or kind, or days that are not a number, are left out."""

    q: str = ""
    status: str = ""
    kind: str = ""
    days: int | None = None  # expiring within this many days
    page: int = 1

    @classmethod
    def parse(
        cls, q: str = "", status: str = "", kind: str = "", days: str = "", page: str = ""
    ) -> CertificateQuery:
        try:
            within: int | None = min(max(int(days), 1), MAX_DAYS) if days.strip() else None
        except ValueError:
            within = None
        try:
            number = max(1, int(page or 1))
        except ValueError:
            number = 1
        return cls(
            q=" ".join(q.split())[:100],
            status=status if status in STATUSES else "",
            kind=kind if kind in KINDS else "",
            days=within,
            page=number,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        values = {"q": self.q, "status": self.status, "kind": self.kind, "days": self.days or "", "page": 1}
        values.update(changes)
        out = {k: str(values[k]) for k in ("q", "status", "kind", "days") if values[k]}
        if int(values["page"]) > 1:
            out["page"] = str(values["page"])
        return out

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.kind or self.days)


@dataclass
class CertificatePage:
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


def _wanted(select: Any, wanted: CertificateQuery, now: dt.datetime) -> Any:
    """The filters of the list: a whole certificate number, or a serial number (exactly), or part
    of a number; `not_after` and `revoked_at` are indexed."""
    if wanted.q:
        number, serial = number_of(wanted.q), serial_of(wanted.q)
        if number or not _NUMBER_PART.match(wanted.q):
            # a whole number, or (by the unique index) a serial number or nothing
            select = select.where(
                Certificate.number == number if number else Certificate.serial_hex == serial
            )
        else:
            part = WhereRaw(db.contains_ignoring_case("number"), db.contains_pattern(wanted.q))
            select = select.where((Certificate.serial_hex == serial) | part if serial else part)
    if wanted.kind:
        select = select.where(Certificate.kind == wanted.kind)
    if wanted.status == "revoked":
        select = select.where(Certificate.revoked_at.is_not_null())
    elif wanted.status:
        select = select.where(Certificate.revoked_at.is_null())
    if wanted.status == "expired":
        select = select.where(Certificate.not_after <= now)
    elif wanted.status == "valid":
        select = select.where(Certificate.not_after > now)
    elif wanted.status == "expiring":
        select = select.where(Certificate.not_after > now).where(
            Certificate.not_after <= now + dt.timedelta(days=EXPIRING_DAYS)
        )
    if wanted.days:
        select = select.where(Certificate.revoked_at.is_null()).where(Certificate.not_after > now)
        select = select.where(Certificate.not_after <= now + dt.timedelta(days=wanted.days))
    return select


async def find_certificates(
    actor: Actor, wanted: CertificateQuery, organisation_id: int | None = None, *, record_view: bool = False
) -> CertificatePage:
    """A page of certificates (vendor admins), of every organisation or of one; those
    expiring soonest first when looking for expiring ones, else the newest first.

    `record_view`: an admin opening one organisation's list crosses into that tenant, which
    the audit log records (paging and filtering within it, and the list of all, are not)."""
    require_vendor_admin(actor)
    now = dt.datetime.now(dt.UTC)
    if organisation_id is not None:
        TenantScope(actor, organisation_id)
        if not await Organisation.exists().where(Organisation.id == organisation_id):
            raise NotFound()
        if record_view:
            await audit.record(
                actor,
                "certificates.organisation_list_viewed",
                organisation_id=organisation_id,
                object_type="organisation",
                object_id=organisation_id,
                after=wanted.params(),
            )

    def narrowed(select: Any) -> Any:
        if organisation_id is not None:
            select = select.where(Certificate.organisation == organisation_id)
        return _wanted(select, wanted, now)

    def rows(limit: int, offset: int) -> Any:
        select = narrowed(certificate_rows.listed(actor))
        if wanted.days or wanted.status == "expiring":
            select = select.order_by(Certificate.not_after)
        else:
            select = select.order_by(Certificate.id, ascending=False)
        return select.limit(limit).offset(offset)

    found = await paged(
        rows,
        lambda: narrowed(certificate_rows.counted(actor)),
        wanted.page,
        PAGE_SIZE,
    )
    return CertificatePage(
        items=[present(r, now) for r in found.rows], total=found.total, page=found.page, pages=found.pages
    )


async def expiring_count(actor: Actor) -> int:
    """How many certificates expire within 60 days and are not revoked (rule CRT-2)."""
    require_vendor_admin(actor)
    return await _wanted(
        certificate_rows.counted(actor), CertificateQuery(status="expiring"), dt.datetime.now(dt.UTC)
    )


async def certificate_by_number(actor: Actor, number: str) -> dict[str, Any]:
    """One certificate, for the contact persons of its organisation or a vendor admin;
    another organisation's certificate is not found (404)."""
    row = await certificate_rows.by_number(actor, number)
    if row is None:
        raise NotFound()
    scope = TenantScope(actor, row["organisation"])
    scope.require_contact_person()
    result = present(row)
    result["revocation"] = await certificate_rows.revocation_of(actor, row["id"])
    return result


async def chain_of(actor: Actor, certificate_id: int) -> str:
    """The certificate's issuing CA chain (PEM), from the CA that issued it."""
    issuer_id = await certificate_rows.issuer_of(actor, certificate_id)
    if issuer_id is None:
        raise NotFound()
    issuer = await pki.get_ca(issuer_id)
    if issuer is None:
        raise NotFound()
    return await pki.chain_pem(issuer)


# --- vendor admin dashboard ---------------------------------------------------------------------


async def revocation_statistics(actor: Actor) -> dict[str, Any]:
    """Revocations by reason and month, for the vendor admins' overview."""
    require_vendor_admin(actor)
    revocations = await revocation_rows.revocations_by_reason(actor)
    counts: dict[tuple[str, str], int] = {}
    for r in revocations:
        month = r["revoked_at"].astimezone(dt.UTC).strftime("%Y-%m")
        counts[(month, r["reason"])] = counts.get((month, r["reason"]), 0) + 1
    months = sorted({m for m, _r in counts}, reverse=True)
    reasons = sorted({r for _m, r in counts})
    return {
        "revocation_months": months,
        "revocation_reasons": reasons,
        "revocation_counts": {f"{m}|{r}": n for (m, r), n in counts.items()},
        "revocation_total": len(revocations),
    }


async def awaiting_manual_count(actor: Actor) -> int:
    """Revocation requests received by post or e-mail that wait for execution (REV-5)."""
    require_vendor_admin(actor)
    return await revocation_rows.awaiting_count(actor)


async def pending_application_count(actor: Actor | None = None) -> int:
    """Applications waiting for review: for a vendor admin every organisation's, for a contact
    person their organisation's. Without an actor, every organisation's (the desk of the vendor
    admins, which checks them itself, asks so)."""
    return await application_rows.pending_count(actor)
