"""The customer agreement's documents (rule AG-9): a vendor admin publishes a version of a
document, in Dutch, Swedish and English, each with its SHA-256, an effective date and an
accept-by date. A published version is immutable: this module has no update path, a change is a
new version. The documents to sign are the latest published version of each kind."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from src.core import audit, db
from src.core.errors import InputError, NotFound
from src.core.i18n import LOCALES, _, current_locale
from src.core.tenancy import Actor, require_vendor_admin
from src.tenants.repository import agreements
from src.tenants.tables import AgreementDocument

KINDS = ("general_terms", "processor_agreement", "service_terms")
MAX_TEXT = 200_000


def kind_label(kind: str) -> str:
    return {
        "general_terms": _("General terms"),
        "processor_agreement": _("Processor agreement"),
        "service_terms": _("Service terms"),
    }.get(kind, kind)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _present(row: dict[str, Any]) -> dict[str, Any]:
    locale = current_locale.get()
    row = dict(row)
    row["kind_label"] = kind_label(row["kind"])
    row["title"] = row.get(f"title_{locale}") or row["title_en"]
    if "text_en" in row:
        row["text"] = row.get(f"text_{locale}") or row["text_en"]
        row["sha256"] = row.get(f"sha256_{locale}") or row["sha256_en"]
    return row


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
    for acceptance in await agreements.accepted_documents(actor):
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
