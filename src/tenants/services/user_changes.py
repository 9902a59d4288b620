"""A contact person invites users, changes their name, e-mail, role and status; every user
changes their own registered e-mail (rules MOD-4, MOD-8; an organisation always keeps at least
one active contact person)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from src.core import audit, db, events, outbox
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import CONTACT_PERSON, END_USER, Actor, TenantScope
from src.tenants.repository import memberships
from src.tenants.services.people import person_to_invite
from src.tenants.services.users import (
    _another_contact_person,
    _present,
    clean_card_id,
    clean_email,
    clean_name,
    clean_personal_identity_number,
    clean_role,
    last_contact_person_message,
    mask,
    my_registration,
)
from src.tenants.tables import Organisation

INVITATION_ACTOR = "send_invitation"


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("name", "email", "role", "active", "may_sign_agreements") if k in row}


async def _lock_organisation(organisation_id: int) -> dict[str, Any]:
    """Serialise changes to one organisation's contact persons (SQLite writes are serial anyway)."""
    select = Organisation.select(Organisation.id, Organisation.country, Organisation.name).where(
        Organisation.id == organisation_id
    )
    if db.is_postgres():
        select = select.lock_rows()
    row = await select.first()
    if row is None:
        raise NotFound()
    return row


async def add_user(
    actor: Actor,
    organisation_id: int,
    *,
    name: str | None,
    email: str | None,
    role: str | None = END_USER,
    personal_identity_number: str | None = None,
    card_id: str | None = None,
) -> dict[str, Any]:
    """Invite a user (rule MOD-8); an invitation mail goes out after commit.

    The user is pending until the person accepts the invitation after signing in: whether the
    identifier belongs to a person already registered elsewhere or to a new one, the answer is the
    same, and nobody becomes a user of an organisation without their consent."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    errors: dict[str, str] = {}
    organisation = (
        await Organisation.select(Organisation.country).where(Organisation.id == organisation_id).first()
    )
    if organisation is None:
        raise NotFound()
    cleaned: dict[str, Any] = {}
    checks: list[tuple[str, Any, Any]] = [
        ("name", clean_name, (name,)),
        ("email", clean_email, (email,)),
        ("role", clean_role, (role or END_USER,)),
        (
            "personal_identity_number",
            clean_personal_identity_number,
            (personal_identity_number, organisation["country"]),
        ),
        ("card_id", clean_card_id, (card_id,)),
    ]
    for field, check, args in checks:
        try:
            cleaned[field] = check(*args)
        except InputError as exc:
            errors.update(exc.errors)
    identifiers_given = {f for f in ("personal_identity_number", "card_id") if cleaned.get(f) or f in errors}
    if not identifiers_given:
        message = _("Enter the personal identity number or the card id the user signs in with.")
        errors["personal_identity_number"] = message
        errors["card_id"] = message
    if errors:
        raise InputError(errors)
    pin, card = cleaned["personal_identity_number"], cleaned["card_id"]

    async with db.transaction():
        await _lock_organisation(organisation_id)
        person = await person_to_invite(cleaned["name"], cleaned["email"], pin, card)
        found = await memberships.memberships_of_person(scope, person["id"])
        existing = next((m for m in found if not m["pending"]), None)
        # An invitation found the person the same way (by number, or by card id alone) only when
        # the same identifier was entered: saying so tells the organisation nothing new. Found
        # another way, it would tell that a number and a card id are one person's.
        if existing is None and any(bool(m["invited_pin_masked"]) == bool(pin) for m in found):
            raise InputError(
                {
                    "personal_identity_number" if pin else "card_id": _(
                        "This person has already been invited to this organisation."
                    )
                }
            )
        if existing is not None:
            if existing["active"]:
                message = _("This person is already a user of this organisation.")
            else:
                message = _(
                    "This person is already a user of this organisation, but deactivated: "
                    "reactivate them in the list of users instead."
                )
            raise InputError({"personal_identity_number" if pin else "card_id": message})
        now = dt.datetime.now(dt.UTC)
        entered = {"name": cleaned["name"], "email": cleaned["email"], "role": cleaned["role"]}
        membership_id = await memberships.insert_membership(
            scope,
            person=person["id"],
            active=False,
            pending=True,
            invited_pin_masked=mask(pin),
            invited_card_masked=mask(card),
            created_at=now,
            updated_at=now,
            **entered,
        )
        await audit.record(
            actor,
            "tenants.user_invited",
            organisation_id=organisation_id,
            object_type="membership",
            object_id=membership_id,
            after={**entered, "personal_identity_number": mask(pin), "card_id": mask(card)},
        )
        await outbox.enqueue(
            INVITATION_ACTOR,
            {"membership_id": membership_id, "invited_by": actor.name},
            f"invitation:{membership_id}",
        )
        return _present(await memberships.user(scope, membership_id))


async def update_user(
    actor: Actor,
    organisation_id: int,
    membership_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    confirmations: frozenset[str] = frozenset(),
    may_sign_agreements: bool | None = None,
) -> dict[str, Any]:
    """Change a user's name, e-mail, role or status. Arguments left None stay as they are.

    `may_sign_agreements`: only a contact person may be authorised to sign the
    customer agreement; a contact person made end user loses the authorisation.

    The last active contact person can be neither deactivated nor made an end user.
    Deactivating publishes MEMBERSHIP_DEACTIVATING in the transaction, so other domains act on it
    (or refuse it); `confirmations` carries what the person explicitly confirmed."""
    scope = TenantScope(actor, organisation_id)
    scope.require_contact_person()
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, value, check in (
        ("name", name, clean_name),
        ("email", email, clean_email),
        ("role", role, clean_role),
    ):
        if value is None:
            continue
        try:
            changes[field] = check(value)
        except InputError as exc:
            errors.update(exc.errors)
    if errors:
        raise InputError(errors)
    if active is not None:
        changes["active"] = bool(active)

    async with db.transaction():
        await _lock_organisation(organisation_id)
        current = await memberships.user(scope, membership_id)
        if current["pending"] and "active" in changes:
            raise Conflict(
                _(
                    "%(name)s has not accepted the invitation yet: only the person can make it active. "
                    "You can withdraw the invitation.",
                    name=current["name"],
                )
            )
        # only contact persons may sign agreements
        if may_sign_agreements is not None:
            if may_sign_agreements and changes.get("role", current["role"]) != CONTACT_PERSON:
                raise InputError(
                    {"may_sign_agreements": _("Only a contact person can be authorised to sign agreements.")}
                )
            changes["may_sign_agreements"] = bool(may_sign_agreements)
        elif changes.get("role") == END_USER and current.get("may_sign_agreements"):
            changes["may_sign_agreements"] = False
        before, after = audit.changes(_snapshot(current), {**_snapshot(current), **changes})
        if not after:
            return _present(current)
        was_counted = current["role"] == CONTACT_PERSON and current["active"]
        stays_counted = changes.get("role", current["role"]) == CONTACT_PERSON and changes.get(
            "active", current["active"]
        )
        if was_counted and not stays_counted and not await _another_contact_person(scope, membership_id):
            raise Conflict(last_contact_person_message(current["name"]))
        if after.get("active") is False:
            await events.publish(
                events.MEMBERSHIP_DEACTIVATING,
                actor=actor,
                organisation_id=organisation_id,
                membership=current,
                confirmations=confirmations,
            )
        now = dt.datetime.now(dt.UTC)
        await memberships.update_membership(scope, membership_id, updated_at=now, **after)
        await audit.record(
            actor,
            _action(before, after),
            organisation_id=organisation_id,
            object_type="membership",
            object_id=membership_id,
            before=before,
            after=after,
        )
        if after.get("active") is False:
            # rule AG-7: a leaver is told how to handle the records they created
            from src.tenants.services.leavers import notify_leaver

            await notify_leaver(actor, organisation_id, {**current, **changes}, now)
        return _present(await memberships.user(scope, membership_id))


def _action(before: dict[str, Any], after: dict[str, Any]) -> str:
    if set(after) == {"may_sign_agreements"}:
        return "tenants.may_sign_agreements_changed"
    if set(after) == {"active"}:
        return "tenants.user_reactivated" if after["active"] else "tenants.user_deactivated"
    if set(after) == {"role"}:
        return (
            "tenants.contact_person_made"
            if after["role"] == CONTACT_PERSON
            else "tenants.contact_person_removed"
        )
    return "tenants.user_updated"


async def set_active(
    actor: Actor,
    organisation_id: int,
    membership_id: int,
    active: bool,
    confirmations: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    return await update_user(
        actor, organisation_id, membership_id, active=active, confirmations=confirmations
    )


async def set_contact_person(
    actor: Actor, organisation_id: int, membership_id: int, contact_person: bool
) -> dict[str, Any]:
    role = CONTACT_PERSON if contact_person else END_USER
    return await update_user(actor, organisation_id, membership_id, role=role)


async def change_own_email(actor: Actor, email: str | None, own_address_confirmed: bool) -> dict[str, Any]:
    """Rule MOD-4: the user edits the address, ticks that it is their own (business) address
    and saves. Without the tick nothing is stored. A general address is allowed."""
    if actor.organisation_id is None or actor.membership_id is None:
        raise NotFound(_("You act for no organisation, so there is no registered e-mail to change."))
    errors: dict[str, str] = {}
    cleaned = ""
    try:
        cleaned = clean_email(email)
    except InputError as exc:
        errors.update(exc.errors)
    if not (email or "").strip():  # rule MOD-5
        from src.tenants.services.rights import holds_valid_personal_certificate

        if await holds_valid_personal_certificate(actor.membership_id):
            errors["email"] = _(
                "Your registered e-mail cannot be removed while you hold a personal certificate: "
                "the certificate must be removed first. You may register a general address instead."
            )
    if not own_address_confirmed:
        errors["own_address"] = _("Confirm that this is your own (business) address.")
    if errors:
        raise InputError(errors)
    scope = TenantScope(actor, actor.organisation_id)
    async with db.transaction():
        current = await memberships.membership(scope, actor.membership_id, "id", "email", "person")
        if current["person"] != actor.person_id:
            raise NotFound()
        if current["email"] != cleaned:
            await memberships.update_membership(
                scope, actor.membership_id, email=cleaned, updated_at=dt.datetime.now(dt.UTC)
            )
            await audit.record(
                actor,
                "tenants.email_changed",
                organisation_id=actor.organisation_id,
                object_type="membership",
                object_id=actor.membership_id,
                before={"email": current["email"]},
                after={"email": cleaned, "own_address_confirmed": True},
            )
    registration = await my_registration(actor)
    assert registration is not None
    return registration
