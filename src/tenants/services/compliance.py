"""Checks at every sign-in and on every page (rules AG-2..AG-8), and the company-form check (AG-4).

Ending legacy terms (AG-2, AG-3): a vendor admin announces for a service that the older per-user
terms of use end after a notice period (six months): an announcement (legacy_terms.py) sets the
deadline (`ends_on`); a withdrawn one no longer counts. Until then contact persons of
organisations that lack the customer agreement or the subscription for that service get reminder mails
(`send_legacy_reminders`, hourly in src/tenants/tasks.py; each reminder once, by dedupe key
(notice, membership, stage)).

What a user may do in a service (AG-4..AG-6) is answered in one place,
src/tenants/services/entitlements.py, from the gaps found here, the company-form check below
(`e_id_refusal`), the organisation's status and the user's module rights: the banners above
every page, the portal's service doors (`/services/{code}`) and the connected services'
entitlement API (src/connected) all ask it, so they never disagree. From the deadline on a
connected service creates no new records for an organisation without agreement or subscription
(`may_create` false, AG-6); reading and exporting stay possible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from src.core.errors import NotFound
from src.core.i18n import _, current_locale, format_date, timezone_for
from src.core.prepared import Prepared
from src.core.tenancy import Actor, require_vendor_admin
from src.identity.oidc import provider_by_name
from src.tenants.catalogue import offer
from src.tenants.legal_forms import is_sole_proprietorship, legal_form_label
from src.tenants.repository import agreements
from src.tenants.services import agreement_documents, requests
from src.tenants.services.agreements import has_valid_agreement
from src.tenants.tables import LegacyTermsNotice, Organisation


def _today(country: str | None = None) -> dt.date:
    return dt.datetime.now(timezone_for(country)).date()


async def _service(code: str) -> dict[str, Any] | None:
    return await offer().service_by_code(code)


def service_name(service: dict[str, Any] | None, code: str) -> str:
    if service is None:
        return code
    locale = current_locale.get()
    return str(service.get(f"name_{locale}") or service.get("name_en") or code)


# --- what an organisation lacks ---------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    service_code: str
    service_name: str
    missing_agreement: bool
    missing_subscription: bool
    deadline: dt.date
    past_deadline: bool


# Read for every page a member of an organisation opens (its banners): built once. Withdrawn
# announcements do not count; of several for one service the earliest deadline holds.
_ANNOUNCED_NOTICES = Prepared(
    lambda p: (
        LegacyTermsNotice.select()
        .where(LegacyTermsNotice.announced_on <= p.today)
        .where(LegacyTermsNotice.withdrawn_at.is_null())
        .order_by(LegacyTermsNotice.ends_on)
    )
)


async def gaps(
    actor: Actor,
    organisation_id: int,
    today: dt.date | None = None,
    country: str | None = None,
    service_code: str | None = None,
    service: dict[str, Any] | None = None,
) -> list[Gap]:
    """Services whose legacy terms end (announced) for which the organisation lacks the
    agreement or the subscription (rules AG-1, AG-5). `country`: the organisation's, when the
    caller knows it (every page's banners do), saves reading it. `service_code`: only that
    service (nothing more is read when its legacy terms are not announced to end), whose
    catalogue row `service` the caller may have read already."""

    if country is None:
        organisation = (
            await Organisation.select(Organisation.country).where(Organisation.id == organisation_id).first()
        )
        if organisation is None:
            raise NotFound()
        country = organisation["country"]
    today = today or _today(country)
    notices = [
        n
        for n in await _ANNOUNCED_NOTICES.rows(today=today)
        if service_code is None or n["service_code"] == service_code
    ]
    if not notices:
        return []
    agreement = await has_valid_agreement(actor, organisation_id, country)
    subscribed = await offer().subscribed_service_codes(organisation_id, today)
    found: list[Gap] = []
    for notice in notices:
        code = notice["service_code"]
        if (agreement and code in subscribed) or any(g.service_code == code for g in found):
            continue
        found.append(
            Gap(
                service_code=code,
                service_name=service_name(
                    service if service and service["code"] == code else await _service(code), code
                ),
                missing_agreement=not agreement,
                missing_subscription=code not in subscribed,
                deadline=notice["ends_on"],
                past_deadline=today >= notice["ends_on"],
            )
        )
    return found


def _what_is_missing(gap: Gap) -> str:
    if gap.missing_agreement and gap.missing_subscription:
        return _(
            "Your organisation has no customer agreement and no subscription for %(service)s.",
            service=gap.service_name,
        )
    if gap.missing_agreement:
        return _(
            "Your organisation has no valid customer agreement, needed for %(service)s.",
            service=gap.service_name,
        )
    return _(
        "Your organisation has a customer agreement but no subscription for %(service)s.",
        service=gap.service_name,
    )


def _order_here() -> str:
    return _("Sign the customer agreement and order the subscription in the customer portal:")


def _consequence(gap: Gap) -> str:

    if gap.past_deadline:
        return _(
            "Since %(date)s you can no longer create new records in %(service)s; reading and exporting "
            "what your organisation has stays possible.",
            date=format_date(gap.deadline),
            service=gap.service_name,
        )
    return _(
        "The earlier terms of use end on %(date)s. From then on you can no longer create new records in "
        "%(service)s; reading and exporting what your organisation has stays possible.",
        date=format_date(gap.deadline),
        service=gap.service_name,
    )


# --- the company-form check (AG-4) ------------------------------------------------------------


def provider_kind_of(request: Any) -> str | None:
    """The kind ("eid" | "smartcard") of the provider the session signed in with."""

    session = request.scope.get("session") if hasattr(request, "scope") else None
    name = session.get("provider") if isinstance(session, dict) else None
    provider = provider_by_name(name) if name else None
    return provider.kind if provider else None


def e_id_refusal(service: dict[str, Any], provider_kind: str | None, legal_form: str | None) -> str | None:
    """Rule AG-4: why a service with `eid_sole_proprietors_only` is not offered to someone signed
    in with a personal e-ID for an organisation of this legal form; None when it is (smart-card
    sign-in is for every legal form)."""
    if not service.get("eid_sole_proprietors_only") or provider_kind != "eid":
        return None
    if is_sole_proprietorship(legal_form):
        return None
    return _(
        "%(service)s with a personal e-ID is offered only to sole proprietorships "
        "(enskild firma, eenmanszaak): only then is the organisation number the owner's "
        "personal identity number, so the data controller can be identified. Your "
        "organisation's legal form is %(form)s. Sign in with your smart card instead.",
        service=service_name(service, service.get("code", "")),
        form=legal_form_label(legal_form),
    )


# --- the vendor admin's overview (dashboard) ----------------------------------------------------

APPROACHING_DAYS = 60


async def admin_overview(actor: Actor) -> dict[str, Any]:
    """Organisations without a valid agreement, organisations lacking agreement or subscription
    for a service whose legacy deadline is near, pending user requests, agreement versions with
    their acceptance counts. Computed in a few queries for all organisations at once."""

    require_vendor_admin(actor)
    today = _today()
    organisations = (
        await Organisation.select(Organisation.id, Organisation.name, Organisation.country)
        .where(Organisation.status == "active")
        .order_by(Organisation.name)
    )
    latest = await agreement_documents.latest_documents()
    accepted: dict[int, set[int]] = {}
    for a in await agreements.accepted_documents(actor):
        accepted.setdefault(a["organisation"], set()).update(
            int(d["id"]) for d in agreement_documents._documents_of(a)
        )
    subscribed = await offer().subscribed_service_codes_of_all(today)

    def agreement_valid(org_id: int) -> bool:
        ids = accepted.get(org_id)
        if not ids:
            return False
        overdue = [d for d in latest if d["id"] not in ids and d["accept_by"] < today]
        return not overdue

    without_agreement = [o for o in organisations if not agreement_valid(o["id"])]
    notices = (
        await LegacyTermsNotice.select()
        .where(LegacyTermsNotice.announced_on <= today)
        .where(LegacyTermsNotice.withdrawn_at.is_null())
        .where(LegacyTermsNotice.ends_on >= today)
        .where(LegacyTermsNotice.ends_on <= today + dt.timedelta(days=APPROACHING_DAYS))
    )
    approaching = []
    for notice in notices:
        name = service_name(await _service(notice["service_code"]), notice["service_code"])
        for o in organisations:
            if not agreement_valid(o["id"]) or notice["service_code"] not in subscribed.get(o["id"], set()):
                approaching.append(
                    {
                        "organisation": o,
                        "service_name": name,
                        "deadline": notice["ends_on"],
                        "days_left": (notice["ends_on"] - today).days,
                    }
                )
    return {
        "without_agreement": without_agreement,
        "approaching": approaching,
        "pending_requests": await requests.pending_requests(actor),
        "documents": await agreement_documents.list_documents(actor),
        "organisations": len(organisations),
    }
