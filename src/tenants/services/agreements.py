"""Customer agreements: versioned documents, and organisations signing them.

Rules: AG-1 (a service needs a signed customer agreement and a subscription), AG-9 (the
agreement set: general terms, processor agreement, service descriptions; what was signed, by
whom, when, stays provable).

- A vendor admin publishes a version of a document (`publish_document`): the text in Dutch,
  Swedish and English, each with its SHA-256, an effective date and an accept-by date.
  A published version is immutable: this module has no update path, a change is a new version.
- The documents to sign are the latest published version of each kind.
- A contact person with `may_sign_agreements` signs them for the organisation (`sign`). The
  acceptance keeps the versions and hashes, the signer, the time, the client address and a PDF
  copy made at that moment; it is never changed afterwards. A newer version makes the
  organisation "asked to accept by" its date; older acceptances stay on record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from src.core import audit, db
from src.core.errors import Conflict, Forbidden, InputError, NotFound
from src.core.i18n import LOCALES, _, current_locale, timezone_for
from src.core.pdf import render_pdf
from src.core.tenancy import CONTACT_PERSON, Actor, TenantScope, require_vendor_admin
from src.tenants.tables import AgreementAcceptance, AgreementDocument, Membership, Organisation

KINDS = ("general_terms", "processor_agreement", "service_terms")
MAX_TEXT = 200_000

# What an organisation's agreement status means.
NONE = "none"  # never signed
CURRENT = "current"  # signed the latest version of every document
ACTION_NEEDED = "action_needed"  # a newer version is to be accepted, its accept-by date not passed
OVERDUE = "overdue"  # a newer version was not accepted by its accept-by date


def kind_label(kind: str) -> str:
    return {
        "general_terms": _("General terms"),
        "processor_agreement": _("Processor agreement"),
        "service_terms": _("Service terms"),
    }.get(kind, kind)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _today(country: str | None = None) -> dt.date:
    return dt.datetime.now(timezone_for(country)).date()


def _present(row: dict[str, Any]) -> dict[str, Any]:
    locale = current_locale.get()
    row = dict(row)
    row["kind_label"] = kind_label(row["kind"])
    row["title"] = row.get(f"title_{locale}") or row["title_en"]
    if "text_en" in row:
        row["text"] = row.get(f"text_{locale}") or row["text_en"]
        row["sha256"] = row.get(f"sha256_{locale}") or row["sha256_en"]
    return row


# --- documents --------------------------------------------------------------------------------


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise InputError({field: _("Enter a date as YYYY-MM-DD.")}) from None


async def publish_document(
    actor: Actor,
    *,
    kind: str,
    titles: dict[str, str],
    texts: dict[str, str],
    effective_on: Any,
    accept_by: Any,
) -> dict[str, Any]:
    """Publish the next version of a document (vendor admins). Never changed afterwards."""
    require_vendor_admin(actor)
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["kind"] = _("Choose general terms, processor agreement or service terms.")
    cleaned_titles: dict[str, str] = {}
    cleaned_texts: dict[str, str] = {}
    for locale in LOCALES:
        title = " ".join((titles.get(locale) or "").split())
        text = (texts.get(locale) or "").replace("\r\n", "\n").strip()
        if not title:
            errors[f"title_{locale}"] = _("Enter the title in this language.")
        elif len(title) > 200:
            errors[f"title_{locale}"] = _("Use at most 200 characters.")
        if not text:
            errors[f"text_{locale}"] = _("Enter the text in this language.")
        elif len(text) > MAX_TEXT:
            errors[f"text_{locale}"] = _("The text is too long.")
        cleaned_titles[locale], cleaned_texts[locale] = title, text
    dates: dict[str, dt.date] = {}
    for field, value in (("effective_on", effective_on), ("accept_by", accept_by)):
        try:
            dates[field] = _date(value, field)
        except InputError as exc:
            errors.update(exc.errors)
    if not errors and dates["accept_by"] < dates["effective_on"]:
        errors["accept_by"] = _("The accept-by date cannot be before the effective date.")
    if errors:
        raise InputError(errors)
    async with db.transaction():
        latest = (
            await AgreementDocument.select(AgreementDocument.version)
            .where(AgreementDocument.kind == kind)
            .order_by(AgreementDocument.version, ascending=False)
            .first()
        )
        version = (latest["version"] if latest else 0) + 1
        values: dict[str, Any] = {
            "kind": kind,
            "version": version,
            "effective_on": dates["effective_on"],
            "accept_by": dates["accept_by"],
            "published_at": dt.datetime.now(dt.UTC),
            "published_by": actor.person_id or None,
        }
        for locale in LOCALES:
            values[f"title_{locale}"] = cleaned_titles[locale]
            values[f"text_{locale}"] = cleaned_texts[locale]
            values[f"sha256_{locale}"] = sha256(cleaned_texts[locale])
        created = await AgreementDocument.insert(AgreementDocument(**values)).returning(AgreementDocument.id)
        document_id = int(created[0]["id"])
        await audit.record(
            actor,
            "agreements.document_published",
            organisation_id=None,
            object_type="agreement_document",
            object_id=document_id,
            after={
                "kind": kind,
                "version": version,
                "effective_on": dates["effective_on"],
                "accept_by": dates["accept_by"],
                **{f"sha256_{loc}": values[f"sha256_{loc}"] for loc in LOCALES},
            },
        )
    return await get_document(document_id)


async def get_document(document_id: int) -> dict[str, Any]:
    """A published version; readable by everyone signed in (they are the terms on offer)."""
    row = await AgreementDocument.select().where(AgreementDocument.id == document_id).first()
    if row is None:
        raise NotFound()
    return _present(row)


async def latest_documents() -> list[dict[str, Any]]:
    """The latest published version of each kind: what an organisation signs."""
    rows = await AgreementDocument.select().order_by(AgreementDocument.version, ascending=False)
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        latest.setdefault(row["kind"], row)
    return [_present(latest[k]) for k in KINDS if k in latest]


async def list_documents(actor: Actor) -> list[dict[str, Any]]:
    """Every version with how many organisations accepted it (vendor admins)."""
    require_vendor_admin(actor)
    rows = (
        await AgreementDocument.select(
            *[c for c in AgreementDocument.all_columns() if not c._meta.name.startswith("text_")]
        )
        .order_by(AgreementDocument.kind)
        .order_by(AgreementDocument.version, ascending=False)
    )
    counts: dict[int, set[int]] = {}
    for acceptance in await AgreementAcceptance.select(
        AgreementAcceptance.organisation, AgreementAcceptance.documents
    ):
        for doc in _documents_of(acceptance):
            counts.setdefault(int(doc["id"]), set()).add(acceptance["organisation"])
    return [{**_present(r), "acceptances": len(counts.get(r["id"], set()))} for r in rows]


def _documents_of(acceptance: dict[str, Any]) -> list[dict[str, Any]]:
    docs = acceptance.get("documents") or []
    if isinstance(docs, str):
        import json

        docs = json.loads(docs)
    return list(docs)


async def _in_reader_language(signed: list[dict[str, Any]]) -> None:
    """Signed documents keep the title of the language they were signed in; show each in the
    reader's language instead (every version has its title in every language)."""
    ids = {int(d["id"]) for d in signed}
    if not ids:
        return
    locale = current_locale.get()
    columns = [AgreementDocument.title_nl, AgreementDocument.title_sv, AgreementDocument.title_en]
    rows = await AgreementDocument.select(AgreementDocument.id, *columns).where(
        AgreementDocument.id.is_in(sorted(ids))
    )
    titles = {r["id"]: r.get(f"title_{locale}") or r["title_en"] for r in rows}
    for d in signed:
        d["title"] = titles.get(int(d["id"])) or d.get("title", "")


# --- an organisation's agreement ------------------------------------------------------------


@dataclass
class AgreementStatus:
    status: str
    documents: list[dict[str, Any]]  # latest per kind, each with "accepted"
    pending: list[dict[str, Any]]
    accept_by: dt.date | None
    acceptances: list[dict[str, Any]]  # newest first, without the PDF bytes
    latest: dict[str, Any] | None

    @property
    def valid(self) -> bool:
        """Counts as a signed customer agreement (rule AG-1)."""
        return self.status in (CURRENT, ACTION_NEEDED)


_ACCEPTANCE_COLUMNS = (
    AgreementAcceptance.id,
    AgreementAcceptance.organisation,
    AgreementAcceptance.signer,
    AgreementAcceptance.signer_name,
    AgreementAcceptance.signer_email,
    AgreementAcceptance.signed_at,
    AgreementAcceptance.client_address,
    AgreementAcceptance.locale,
    AgreementAcceptance.documents,
    AgreementAcceptance.pdf_sha256,
)


async def _status(organisation_id: int, country: str | None) -> AgreementStatus:
    acceptances = (
        await AgreementAcceptance.select(*_ACCEPTANCE_COLUMNS)
        .where(AgreementAcceptance.organisation == organisation_id)
        .order_by(AgreementAcceptance.signed_at, ascending=False)
        .order_by(AgreementAcceptance.id, ascending=False)
    )
    for a in acceptances:
        a["documents"] = _documents_of(a)
    accepted_ids = {int(d["id"]) for a in acceptances for d in a["documents"]}
    documents = [{**d, "accepted": d["id"] in accepted_ids} for d in await latest_documents()]
    pending = [d for d in documents if not d["accepted"]]
    accept_by = min((d["accept_by"] for d in pending), default=None)
    if not acceptances:
        status = NONE
    elif not pending:
        status = CURRENT
    elif accept_by is not None and accept_by < _today(country):
        status = OVERDUE
    else:
        status = ACTION_NEEDED
    return AgreementStatus(
        status=status,
        documents=documents,
        pending=pending,
        accept_by=accept_by,
        acceptances=acceptances,
        latest=acceptances[0] if acceptances else None,
    )


async def agreement_status(actor: Actor, organisation_id: int) -> AgreementStatus:
    """The organisation's agreement: its members and vendor admins may read it."""
    TenantScope(actor, organisation_id)
    organisation = await _organisation(organisation_id)
    status = await _status(organisation_id, organisation["country"])
    await _in_reader_language([d for a in status.acceptances for d in a["documents"]])
    return status


async def has_valid_agreement(organisation_id: int) -> bool:
    """Rule AG-1, for the compliance checks (not tenant-scoped: callers scoped already)."""
    organisation = await _organisation(organisation_id)
    return (await _status(organisation_id, organisation["country"])).valid


async def _organisation(organisation_id: int) -> dict[str, Any]:
    row = await Organisation.select().where(Organisation.id == organisation_id).first()
    if row is None:
        raise NotFound()
    return row


async def may_sign(actor: Actor, organisation_id: int) -> bool:
    """An active contact person of this organisation marked as authorised to sign."""
    if actor.organisation_id != organisation_id or actor.membership_id is None:
        return False
    row = (
        await Membership.select(Membership.role, Membership.active, Membership.may_sign_agreements)
        .where(Membership.id == actor.membership_id)
        .where(Membership.organisation == organisation_id)
        .first()
    )
    return bool(row and row["active"] and row["role"] == CONTACT_PERSON and row["may_sign_agreements"])


async def sign(actor: Actor, organisation_id: int, document_ids: list[int] | None = None) -> dict[str, Any]:
    """The authorised contact person signs the latest documents for the organisation.

    `document_ids` are the versions the signer read: when a newer version was published in
    between, nothing is signed (Conflict), so nobody signs a text they did not see."""
    TenantScope(actor, organisation_id)
    if not await may_sign(actor, organisation_id):
        raise Forbidden(
            _(
                "Only a contact person authorised to sign agreements can sign for the organisation. "
                "Ask a contact person to authorise you."
            )
        )
    organisation = await _organisation(organisation_id)
    status = await _status(organisation_id, organisation["country"])
    documents = status.documents
    if not documents:
        raise Conflict(_("There are no agreement documents to sign yet."))
    current_ids = sorted(d["id"] for d in documents)
    if document_ids is not None and sorted(set(document_ids)) != current_ids:
        raise Conflict(
            _("The agreement documents have changed since you opened them. Read them again before signing.")
        )
    if not status.pending:
        raise Conflict(_("Your organisation has already accepted the current agreement documents."))
    signer = (
        await Membership.select(Membership.name, Membership.email)
        .where(Membership.id == actor.membership_id)
        .first()
    ) or {"name": actor.name, "email": ""}
    signed_at = dt.datetime.now(dt.UTC)
    locale = current_locale.get()
    snapshot = [
        {
            "id": d["id"],
            "kind": d["kind"],
            "version": d["version"],
            "title": d["title"],
            "effective_on": d["effective_on"].isoformat(),
            "sha256": {loc: d[f"sha256_{loc}"] for loc in LOCALES},
        }
        for d in documents
    ]
    pdf = await render_pdf(
        "tenants/pdf_agreement.html",
        {
            "organisation": organisation,
            "documents": documents,
            "signer": signer,
            "signed_at": signed_at,
            "client_address": actor.client_address,
            "kind_label": kind_label,
        },
    )
    async with db.transaction():
        created = await AgreementAcceptance.insert(
            AgreementAcceptance(
                organisation=organisation_id,
                signer=actor.membership_id,
                signer_name=signer["name"],
                signer_email=signer["email"],
                signed_at=signed_at,
                client_address=actor.client_address[:64],
                locale=locale,
                documents=snapshot,
                pdf=pdf,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            )
        ).returning(AgreementAcceptance.id)
        acceptance_id = int(created[0]["id"])
        await audit.record(
            actor,
            "agreements.signed",
            organisation_id=organisation_id,
            object_type="agreement_acceptance",
            object_id=acceptance_id,
            after={"documents": snapshot, "pdf_sha256": hashlib.sha256(pdf).hexdigest()},
        )
    row = (
        await AgreementAcceptance.select(*_ACCEPTANCE_COLUMNS)
        .where(AgreementAcceptance.id == acceptance_id)
        .first()
    )
    assert row is not None
    row["documents"] = _documents_of(row)
    return row


async def acceptance_pdf(actor: Actor, organisation_id: int, acceptance_id: int) -> bytes:
    """The PDF copy made when the organisation signed (its members and vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    row = await scope.get(AgreementAcceptance, acceptance_id, AgreementAcceptance.pdf)
    pdf = row["pdf"]
    return bytes(pdf) if not isinstance(pdf, bytes) else pdf


# --- who may sign ---------------------------------------------------------------------------


async def signers(actor: Actor, organisation_id: int) -> list[dict[str, Any]]:
    """The active contact persons and whether each may sign (contact persons, vendor admins)."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    return await (
        scope.select(
            Membership, Membership.id, Membership.name, Membership.email, Membership.may_sign_agreements
        )
        .where(Membership.role == CONTACT_PERSON)
        .where(Membership.active.eq(True))
        .order_by(Membership.name)
    )
