"""API shapes for users of an organisation and for `GET /api/v1/me`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

Role = Literal["contact_person", "end_user"]


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    """A user to add. At least one of `personal_identity_number` (BSN in the Netherlands,
    personnummer in Sweden) and `card_id` (UZI number / HSA-id) is required: it is what the
    user signs in with. An invitation mail is sent to `email`; the user's `status` is `invited`
    until the person accepts the invitation after signing in."""

    name: str
    email: str
    role: Role = "end_user"
    personal_identity_number: str | None = None
    card_id: str | None = None


class UserChange(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; fields left out stay as they are. The last active contact person can be
    neither deactivated nor made an end user (409)."""

    name: str | None = None
    email: str | None = None
    role: Role | None = None
    active: bool | None = None
    may_sign_agreements: bool | None = None  # only for contact persons


class User(msgspec.Struct):
    """A user of an organisation (`id` is the membership id). Identifiers are masked: only their
    last four characters are shown. `status`: `invited` until the person accepts the invitation
    (then only the name, e-mail and identifiers the organisation entered are shown), then
    `active` or `deactivated`."""

    id: int
    organisation_id: int
    name: str
    email: str
    role: str
    active: bool
    status: Literal["active", "deactivated", "invited"]
    personal_identity_number_masked: str
    card_id_masked: str
    invited_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    may_sign_agreements: bool = False  # a contact person authorised to sign the customer agreement

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            id=row["id"],
            organisation_id=row["organisation"],
            name=row["name"],
            email=row["email"],
            role=row["role"],
            active=row["active"],
            status=row["status"],
            personal_identity_number_masked=row["personal_identity_number_masked"],
            card_id_masked=row["card_id_masked"],
            invited_at=row["invited_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            may_sign_agreements=bool(row.get("may_sign_agreements", False)),
        )


class MePerson(msgspec.Struct):
    id: int
    name: str
    email: str
    is_vendor_admin: bool
    locale: str


class MeOrganisation(msgspec.Struct):
    id: int
    name: str
    country: str
    status: str


class MeMembership(msgspec.Struct):
    id: int
    organisation_id: int
    organisation_name: str
    role: str


class Me(msgspec.Struct):
    """Who the token (or session) acts as."""

    person: MePerson
    organisation: MeOrganisation | None
    role: str | None
    registered_email: str | None
    memberships: list[MeMembership]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Me:
        org = data["organisation"]
        return cls(
            person=MePerson(**data["person"]),
            organisation=MeOrganisation(**org) if org else None,
            role=data["role"],
            registered_email=data["registered_email"],
            memberships=[
                MeMembership(
                    id=m["id"],
                    organisation_id=m["organisation_id"],
                    organisation_name=m["organisation_name"],
                    role=m["role"],
                )
                for m in data["memberships"]
            ],
        )
