"""API shapes of the tenant domain: organisations (vendor admins create, list and change them;
members read their own), users and `GET /api/v1/me`, rights per module (rules MOD-1, MOD-2),
the customer agreement (rules AG-1, AG-9)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from src.core.ids import Id

# --- organisations -----------------------------------------------------------------------------

Country = Annotated[str, Meta(description='"NL" or "SE"', examples=["NL"])]
LegalForm = Annotated[
    str,
    Meta(
        description=(
            "NL: bv, nv, eenmanszaak, vof, maatschap, stichting, vereniging, cooperatie, publiekrechtelijk; "
            "SE: aktiebolag, enskild_firma, handelsbolag, kommanditbolag, ekonomisk_forening, "
            "ideell_forening, stiftelse, region_kommun"
        ),
        examples=["bv"],
    ),
]
KvkNumber = Annotated[
    str | None, Meta(description="NL only, required there: 8 digits", examples=["12345678"])
]
AgbCode = Annotated[str | None, Meta(description="NL only, optional: 8 digits", examples=["87654321"])]
OrgNumber = Annotated[
    str | None,
    Meta(
        description=(
            "SE only, required there: the organisationsnummer (10 digits, Luhn check); for an enskild "
            "firma the owner's personnummer (12 digits)"
        ),
        examples=["556677-8899"],
    ),
]
Status = Annotated[str, Meta(description='"active" or "suspended"', examples=["active"])]
VatNumber = Annotated[
    str | None,
    Meta(
        description=(
            "An EU VAT number with its country prefix, check digits checked; it may be of another "
            "member state than the organisation's country. Stored compact and upper case; empty or "
            "`null`: none"
        ),
        examples=["NL100000009B01"],
    ),
]
BillingEmail = Annotated[
    str | None,
    Meta(
        description="Where invoices are mailed. Empty or `null`: to the organisation's contact persons",
        examples=["facturen@example.org"],
    ),
]
PeppolId = Annotated[
    str | None,
    Meta(
        description=(
            "Peppol participant identifier `scheme:identifier`: 0106 (KvK number, 8 digits), 0190 "
            "(OIN, 20 digits), 0007 (organisationsnummer, 10 digits), 0088 (GLN, 13 digits), 9944 "
            "(Dutch VAT number), 9955 (Swedish VAT number). Empty or `null`: none"
        ),
        examples=["0106:12345678"],
    ),
]


class NewOrganisation(msgspec.Struct, forbid_unknown_fields=True):
    """An organisation to register. A Dutch one has a KvK number (and optionally an AGB code) and
    no organisationsnummer; a Swedish one has an organisationsnummer and no KvK number or AGB
    code. A duplicate KvK number or organisationsnummer answers 422 naming the field."""

    name: str
    country: Country
    legal_form: LegalForm
    kvk_number: KvkNumber = None
    agb_code: AgbCode = None
    org_number: OrgNumber = None
    billing_address: str = ""
    postal_address: str = ""
    vat_number: VatNumber = None
    billing_email: BillingEmail = None
    peppol_id: PeppolId = None


class OrganisationChange(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; fields left out stay as they are, `null` empties an identifier. The
    result is checked as a whole (changing the country means changing the identifiers too).
    `status` "suspended" stops its people from signing in; "active" lets them in again.
    A contact person of the organisation may change `vat_number`, `billing_email` and
    `peppol_id` (only these: any other field answers 403)."""

    name: str | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    legal_form: LegalForm | UnsetType = UNSET
    kvk_number: KvkNumber | UnsetType = UNSET
    agb_code: AgbCode | UnsetType = UNSET
    org_number: OrgNumber | UnsetType = UNSET
    billing_address: str | UnsetType = UNSET
    postal_address: str | UnsetType = UNSET
    vat_number: VatNumber | UnsetType = UNSET
    billing_email: BillingEmail | UnsetType = UNSET
    peppol_id: PeppolId | UnsetType = UNSET
    status: Status | UnsetType = UNSET
    requires_security: (
        Annotated[
            bool,
            Meta(
                description="Vendor admins: new orders wait for a paid advance invoice (security "
                "before delivery); needs `security_reason` when true"
            ),
        ]
        | UnsetType
    ) = UNSET
    security_reason: Annotated[str, Meta(max_length=500)] | UnsetType = UNSET

    def changes(self) -> dict[str, Any]:
        return {
            field: value for field in self.__struct_fields__ if (value := getattr(self, field)) is not UNSET
        }


class Organisation(msgspec.Struct):
    id: int
    name: str
    country: str
    legal_form: str
    legal_form_label: str
    kvk_number: str | None
    agb_code: str | None
    org_number: str | None
    billing_address: str
    postal_address: str
    vat_number: Annotated[str, Meta(description='EU VAT number, compact; "" when none')]
    billing_email: Annotated[str, Meta(description='Where invoices go; "" means the contact persons')]
    peppol_id: Annotated[str, Meta(description='Peppol participant id `scheme:identifier`; "" when none')]
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    requires_security: Annotated[
        bool, Meta(description="New orders wait for a paid advance invoice (security before delivery)")
    ] = False

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Organisation:
        values = {field: row.get(field) for field in cls.__struct_fields__}
        values["requires_security"] = bool(row.get("requires_security"))
        return msgspec.convert(values, cls)


class OrganisationList(msgspec.Struct):
    items: list[Organisation]
    total: Annotated[int, Meta(description="How many organisations match, over all pages")]
    page: int
    page_size: int
    pages: int


# --- users of an organisation, and GET /api/v1/me ----------------------------------------------

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


# --- rights per module (rules MOD-1, MOD-2) -----------------------------------------------------


class Right(msgspec.Struct, forbid_unknown_fields=True):
    """A right for one module of a service (codes from `GET /api/v1/services`); `signing` only
    in a module with signing rights (the procurement portal's `contracting`)."""

    service: str
    module: str
    signing: bool = False


class RightOut(msgspec.Struct):
    """A user's right for one module. `active`: the organisation's subscription to the service is
    in force; a right of an ended subscription is kept (inactive) and works again when the
    service is ordered again."""

    service: str
    module: str
    signing: bool
    active: bool


class RightsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly the rights the user should have. Taking away the organisation's last signing right
    answers 409 unless `confirm_last_signer` is true."""

    rights: list[Right]
    confirm_last_signer: bool = False


# --- the customer agreement (rules AG-1, AG-9) --------------------------------------------------


class AgreementDocumentOut(msgspec.Struct):
    """A published version of an agreement document, with the SHA-256 of each language's text."""

    id: int
    kind: str
    version: int
    title: str
    effective_on: dt.date
    accept_by: dt.date
    sha256: dict[str, str]
    accepted: bool

    @classmethod
    def from_row(cls, d: dict[str, Any]) -> AgreementDocumentOut:
        return cls(
            id=d["id"],
            kind=d["kind"],
            version=d["version"],
            title=d["title"],
            effective_on=d["effective_on"],
            accept_by=d["accept_by"],
            sha256={loc: d[f"sha256_{loc}"] for loc in ("nl", "sv", "en")},
            accepted=bool(d.get("accepted", False)),
        )


class SignedDocument(msgspec.Struct):
    id: int
    kind: str
    version: int
    title: str
    sha256: dict[str, str]


class Acceptance(msgspec.Struct):
    """One signing: the versions and hashes signed, the signer, the time, the client address and
    the SHA-256 of the PDF copy (download it from `pdf_url`)."""

    id: int
    signer_name: str
    signed_at: dt.datetime
    client_address: str
    documents: list[SignedDocument]
    pdf_sha256: str
    pdf_url: str

    @classmethod
    def from_row(cls, a: dict[str, Any]) -> Acceptance:
        return cls(
            id=a["id"],
            signer_name=a["signer_name"],
            signed_at=a["signed_at"],
            client_address=a["client_address"],
            documents=[
                SignedDocument(
                    id=int(d["id"]),
                    kind=d["kind"],
                    version=int(d["version"]),
                    title=d["title"],
                    sha256=d["sha256"],
                )
                for d in a["documents"]
            ],
            pdf_sha256=a["pdf_sha256"],
            pdf_url=f"/api/v1/organisations/{a['organisation']}/agreement/acceptances/{a['id']}/pdf",
        )


class Agreement(msgspec.Struct):
    """The organisation's agreement: `status` is "none" (never signed), "current" (the latest
    versions are accepted), "action_needed" (a newer version is to be accepted by `accept_by`) or
    "overdue" (it was not accepted by then). `documents` are the latest versions; `signed` the
    latest acceptance (signer, time); `acceptances` all of them, newest first."""

    status: str
    valid: bool
    accept_by: dt.date | None
    documents: list[AgreementDocumentOut]
    signed: Acceptance | None
    acceptances: list[Acceptance]


class SignAgreement(msgspec.Struct, forbid_unknown_fields=True):
    """Sign the latest documents. `document_ids`: the versions you read; if one has been
    superseded meanwhile nothing is signed (409)."""

    document_ids: list[Id] | None = None


# --- ending legacy terms (rule AG-3) ------------------------------------------------------------

Day = Annotated[str, Meta(description="A date, YYYY-MM-DD", examples=["2027-01-15"])]


class NewLegacyTermsEnd(msgspec.Struct, forbid_unknown_fields=True):
    """Announce that the older terms of use of `service` (a catalogue code) end on `ends_on`, at
    least six months after `announced_on` (which may lie in the past: a letter sent earlier)."""

    service: Annotated[str, Meta(description="The service's catalogue code", examples=["webcert"])] = ""
    announced_on: Day = ""
    ends_on: Day = ""


class LegacyTermsEndChange(msgspec.Struct, forbid_unknown_fields=True):
    """Correct the dates (a date left out stays); the six months' notice holds between them."""

    announced_on: Day | UnsetType = UNSET
    ends_on: Day | UnsetType = UNSET


class LegacyTermsEnd(msgspec.Struct):
    """An announcement. `state`: "scheduled" (its day has not come), "in_force", "ended" (the
    deadline `ends_on` has come) or "withdrawn" (`withdrawn_at`; kept for history)."""

    id: int
    service: str
    service_name: str
    announced_on: dt.date
    ends_on: dt.date
    state: Literal["scheduled", "in_force", "ended", "withdrawn"]
    corrections: int
    withdrawn_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LegacyTermsEnd:
        return cls(
            id=row["id"],
            service=row["service_code"],
            service_name=row["service_name"],
            announced_on=row["announced_on"],
            ends_on=row["ends_on"],
            state=row["state"],
            corrections=row["revision"],
            withdrawn_at=row["withdrawn_at"],
            created_at=row["created_at"],
        )
