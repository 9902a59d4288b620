"""API shapes of the connected services: entitlements (rules AG-4..AG-6, MOD-1) and module
events (MOD-6)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.tenants.services.entitlements import REASON_CODES, Entitlement, Subject


class EntitlementPerson(msgspec.Struct):
    id: int
    name: str


class EntitlementOrganisation(msgspec.Struct):
    id: int
    name: str


class EntitledModule(msgspec.Struct):
    code: Annotated[str, Meta(description="The module's code in the catalogue", examples=["contracting"])]
    signing: Annotated[bool, Meta(description="The user holds the module's signing right (rule MOD-2)")]


class EntitlementReason(msgspec.Struct):
    code: Annotated[str, Meta(description="Stable: " + ", ".join(REASON_CODES), examples=["deadline_passed"])]
    message: Annotated[str, Meta(description="What to tell the user, in the requested language")]


class EntitlementOut(msgspec.Struct):
    service: str
    person: EntitlementPerson
    organisation: EntitlementOrganisation
    may_use: Annotated[bool, Meta(description="May sign in, read and export (AG-4, AG-5)")]
    may_create: Annotated[bool, Meta(description="May create new records (AG-6)")]
    modules: list[EntitledModule]
    reasons: list[EntitlementReason]

    @classmethod
    def of(cls, who: Subject, found: Entitlement) -> EntitlementOut:
        return cls(
            service=found.service_code,
            person=EntitlementPerson(id=who.person["id"], name=who.person["name"]),
            organisation=EntitlementOrganisation(id=who.organisation["id"], name=who.organisation["name"]),
            may_use=found.may_use,
            may_create=found.may_create,
            modules=[EntitledModule(code=m["code"], signing=m["signing"]) for m in found.modules],
            reasons=[EntitlementReason(code=r.code, message=r.message) for r in found.reasons],
        )


Text = Annotated[str, Meta(max_length=20000)]


class LocalisedText(msgspec.Struct, forbid_unknown_fields=True):
    """One text per language; give every language your users read (a user whose language is
    missing reads English, else the first given)."""

    nl: Text = ""
    sv: Text = ""
    en: Text = ""

    def as_dict(self) -> dict[str, str]:
        return {"nl": self.nl, "sv": self.sv, "en": self.en}


class ModuleMessageIn(msgspec.Struct, forbid_unknown_fields=True):
    organisation: Annotated[
        str | int,
        Meta(
            description="The organisation's KvK number, AGB code, organisationsnummer or id",
            examples=["12345678"],
        ),
    ]
    module: Annotated[str, Meta(description="A module of the service", examples=["requests"])]
    subject: LocalisedText
    body: LocalisedText
    event_id: Annotated[
        str | None,
        Meta(description="The event's id at the service: a repeat sends nothing", examples=["request-4711"]),
    ] = None


class ModuleMessageOut(msgspec.Struct):
    recipients: Annotated[int, Meta(description="How many users it goes to (the first time, for a repeat)")]
    duplicate: Annotated[bool, Meta(description="True: the event was sent before; nothing was sent now")]
