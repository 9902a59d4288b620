"""What a person may do in a service for an organisation: one answer, asked everywhere.

`entitlement(...)` answers whether the person may use the service (sign in, read, export) and
create new records in it, the modules they have rights for, and the reasons, each with a stable
code and a message in the current language:

- `suspended`: the organisation is suspended: nothing (both false).
- `not_a_member`: the person is not an active user of the organisation: nothing.
- `legal_form_e_id` (AG-4): personal e-ID sign-in to a service offered that way only to sole
  proprietorships, for an organisation of another legal form: not used (a smart card works).
- `no_rights` (MOD-1): a service with modules, and the user holds a right for none of them.
- `agreement_missing`, `subscription_missing` (AG-1, AG-5): once the service's legacy terms are
  announced to end, what the organisation lacks, with `deadline_ahead` before the deadline
  (both still true: told at every sign-in) or `deadline_passed` from it (AG-6: `may_create`
  false, reading and exporting stay).

The banners above every page (`banners_for`) are made of the same reasons, the portal's service
doors (`/services/{code}`) show the entitlement, and the connected services ask it through the
API (src/connected), so the portal and the services never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from src.core.errors import NotFound
from src.core.i18n import _, current_locale
from src.core.tenancy import SYSTEM, Actor, TenantScope
from src.identity.oidc import normalise_identifier
from src.tenants import validation
from src.tenants.catalogue import offer
from src.tenants.repository import entitlements as repository
from src.tenants.repository import rights
from src.tenants.services.compliance import (
    Gap,
    _consequence,
    _what_is_missing,
    e_id_refusal,
    gaps,
    service_name,
)

SUSPENDED = "suspended"
NOT_A_MEMBER = "not_a_member"
LEGAL_FORM_E_ID = "legal_form_e_id"
NO_RIGHTS = "no_rights"
AGREEMENT_MISSING = "agreement_missing"
SUBSCRIPTION_MISSING = "subscription_missing"
DEADLINE_AHEAD = "deadline_ahead"
DEADLINE_PASSED = "deadline_passed"
REASON_CODES = (
    SUSPENDED,
    NOT_A_MEMBER,
    LEGAL_FORM_E_ID,
    NO_RIGHTS,
    AGREEMENT_MISSING,
    SUBSCRIPTION_MISSING,
    DEADLINE_AHEAD,
    DEADLINE_PASSED,
)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Entitlement:
    service_code: str
    service_name: str
    may_use: bool
    may_create: bool
    modules: list[dict[str, Any]] = field(default_factory=list)  # [{code, name, signing}]
    reasons: list[Reason] = field(default_factory=list)
    gap: Gap | None = None

    def reason(self, code: str) -> Reason | None:
        return next((r for r in self.reasons if r.code == code), None)


# --- what an organisation lacks, as reasons and as banners (AG-5, AG-6, AG-8) -------------------


def _what_to_do(gap: Gap, is_contact_person: bool) -> tuple[str, str, str]:
    """What to do about a gap, and the page where it is done: (text, link, link text)."""
    if not gap.missing_agreement:
        # AG-8: the agreement exists; contact persons order the subscription in the portal.
        if is_contact_person:
            todo = _("Order the subscription on the subscriptions page of the customer portal.")
        else:
            todo = _(
                "Ask a contact person of your organisation to order the subscription in the customer portal."
            )
        return todo, "/organisation/subscriptions", _("Subscriptions")
    if is_contact_person:
        todo = _("Sign the customer agreement and order a subscription for the service.")
    else:
        todo = _(
            "Your organisation signs the customer agreement and orders the subscription: ask your head "
            "of operations or local administrator (a contact person of your organisation)."
        )
    return todo, "/organisation/agreement", _("Customer agreement")


def gap_reasons(gap: Gap, is_contact_person: bool) -> list[Reason]:
    """The reasons a gap gives: what is missing, then the deadline with what to do."""
    found: list[Reason] = []
    both = gap.missing_agreement and gap.missing_subscription
    if gap.missing_agreement:
        message = (
            _(
                "Your organisation has no valid customer agreement, needed for %(service)s.",
                service=gap.service_name,
            )
            if both
            else _what_is_missing(gap)
        )
        found.append(Reason(AGREEMENT_MISSING, message))
    if gap.missing_subscription:
        message = (
            _("Your organisation has no subscription for %(service)s.", service=gap.service_name)
            if both
            else _what_is_missing(gap)
        )
        found.append(Reason(SUBSCRIPTION_MISSING, message))
    todo = _what_to_do(gap, is_contact_person)[0]
    found.append(
        Reason(DEADLINE_PASSED if gap.past_deadline else DEADLINE_AHEAD, _consequence(gap) + " " + todo)
    )
    return found


def banner(gap: Gap, is_contact_person: bool) -> dict[str, Any]:
    """The banner of a gap: what is missing as its title, the deadline's reason as its text."""
    reasons = gap_reasons(gap, is_contact_person)
    _todo, link, link_text = _what_to_do(gap, is_contact_person)
    return {
        "kind": "compliance",
        "level": "error" if gap.past_deadline else "warning",
        "title": _what_is_missing(gap),
        "text": reasons[-1].message,
        "link": link,
        "link_text": link_text,
    }


async def banners_for(actor: Actor | None) -> list[dict[str, Any]]:
    """The banners for a signed-in user: what is missing, and what to do (AG-5, AG-7, AG-8)."""
    if actor is None or actor.organisation_id is None:
        return []
    found = await gaps(actor, actor.organisation_id, country=actor.organisation_country or None)
    return [banner(gap, actor.is_contact_person) for gap in found]


# --- the entitlement ----------------------------------------------------------------------------


async def entitlement(
    actor: Actor,
    service: dict[str, Any],
    organisation: dict[str, Any],
    membership: dict[str, Any] | None,
    provider_kind: str | None,
) -> Entitlement:
    """What the member (`membership`, None for someone who is not a user of the organisation)
    may do in the service for the organisation, signed in with a provider of `provider_kind`
    ("eid" | "smartcard" | None: not known). `actor` acts for the organisation (the person
    themselves, or a connected service acting for it)."""
    code = service["code"]
    name = service_name(service, code)
    scope = TenantScope(actor, organisation["id"])
    if organisation["status"] != "active":
        message = _(
            "%(organisation)s is suspended in the customer portal.", organisation=organisation["name"]
        )
        return Entitlement(code, name, False, False, reasons=[Reason(SUSPENDED, message)])
    if membership is None or not membership["active"]:
        message = _(
            "You are not an active user of %(organisation)s. Ask a contact person of the organisation.",
            organisation=organisation["name"],
        )
        return Entitlement(code, name, False, False, reasons=[Reason(NOT_A_MEMBER, message)])
    reasons: list[Reason] = []
    refusal = e_id_refusal(service, provider_kind, organisation["legal_form"])
    if refusal:
        reasons.append(Reason(LEGAL_FORM_E_ID, refusal))
    service_modules = [m for m in await offer().service_modules() if m["service_code"] == code]
    names = {m["code"]: m.get(f"name_{current_locale.get()}") or m["name_en"] for m in service_modules}
    held = await rights.rights_of(scope, membership["id"]) if service_modules else []
    modules = [
        {"code": r["module"], "name": names.get(r["module"], r["module"]), "signing": r["signing"]}
        for r in held
        if r["service"] == code
    ]
    if service_modules and not modules:
        reasons.append(
            Reason(
                NO_RIGHTS,
                _(
                    "You have no rights for any module of %(service)s. A contact person of your "
                    "organisation gives them on the rights page.",
                    service=name,
                ),
            )
        )
    found = await gaps(
        actor, organisation["id"], country=organisation["country"] or None, service_code=code, service=service
    )
    gap = found[0] if found else None
    if gap is not None:
        reasons += gap_reasons(gap, membership["role"] == "contact_person")
    may_use = not any(r.code in (LEGAL_FORM_E_ID, NO_RIGHTS) for r in reasons)
    may_create = may_use and not (gap is not None and gap.past_deadline)
    return Entitlement(code, name, may_use, may_create, modules, reasons, gap)


async def of_actor(actor: Actor, service_code: str, provider_kind: str | None) -> Entitlement:
    """The entitlement of a signed-in person for the organisation they act for (a service door)."""
    service = await offer().service_by_code(service_code)
    if service is None or actor.organisation_id is None:
        raise NotFound()
    organisation = await repository.organisation_by_id(actor.organisation_id)
    if organisation is None:
        raise NotFound()
    scope = TenantScope(actor, actor.organisation_id)
    membership = await repository.membership_of(scope, actor.person_id)
    return await entitlement(actor, service, organisation, membership, provider_kind)


@dataclass(frozen=True)
class Subject:
    """Whom a connected service asks about: the person, and the organisation they act for."""

    person: dict[str, Any]
    organisation: dict[str, Any]
    actor: Actor  # the service, acting for the organisation


IDENTIFIER_KINDS = {"personal_identity_number": "eid", "card_id": "smartcard"}


async def subject(
    service_label: str, identifier_kind: str, identifier: str, organisation_ref: str, address: str = ""
) -> Subject:
    """The person a sign-in identifier names and the organisation a number (KvK, AGB,
    organisationsnummer) or id names; NotFound for either unknown. The identifier and the
    number are normalised as sign-in and the vendor admins' search do."""
    person = await repository.person_by_identifier(
        identifier_kind, normalise_identifier(IDENTIFIER_KINDS[identifier_kind], identifier)
    )
    if person is None:
        raise NotFound(_("No active person has this identifier."))
    organisation = await organisation_of(organisation_ref)
    actor = replace(SYSTEM, name=service_label, organisation_id=organisation["id"], client_address=address)
    return Subject(person, organisation, actor)


async def organisation_of(reference: str) -> dict[str, Any]:
    """The organisation a KvK number, AGB code, organisationsnummer or id names."""
    organisation = await repository.organisation_by_reference(organisation_number(reference))
    if organisation is None:
        raise NotFound(_("No organisation has this number."))
    return organisation


async def person_of_membership(scope: TenantScope, membership_id: int) -> dict[str, Any] | None:
    """Whom a membership of the organisation names (id, name), as the entitlement API names them."""
    return await repository.person_of_membership(scope, membership_id)


async def for_subject(who: Subject, service: dict[str, Any], identifier_kind: str) -> Entitlement:
    scope = TenantScope(who.actor, who.organisation["id"])
    membership = await repository.membership_of(scope, who.person["id"])
    return await entitlement(
        who.actor, service, who.organisation, membership, IDENTIFIER_KINDS[identifier_kind]
    )


def organisation_number(value: str) -> str:
    """An organisation's number as stored: digits only; an organisationsnummer given with its
    century prefix "16" loses it."""
    digits = validation.digits_only(value or "")
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]
    return digits
