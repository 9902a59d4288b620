"""API shapes of the tenant domain.

Organisations first (vendor admins create, list and change them; members read their own).
Further schemas are appended below them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

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


class OrganisationChange(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; fields left out stay as they are, `null` empties an identifier. The
    result is checked as a whole (changing the country means changing the identifiers too).
    `status` "suspended" stops its people from signing in; "active" lets them in again."""

    name: str | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    legal_form: LegalForm | UnsetType = UNSET
    kvk_number: KvkNumber | UnsetType = UNSET
    agb_code: AgbCode | UnsetType = UNSET
    org_number: OrgNumber | UnsetType = UNSET
    billing_address: str | UnsetType = UNSET
    postal_address: str | UnsetType = UNSET
    status: Status | UnsetType = UNSET

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
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Organisation:
        return msgspec.convert({field: row.get(field) for field in cls.__struct_fields__}, cls)


class OrganisationList(msgspec.Struct):
    items: list[Organisation]
    total: Annotated[int, Meta(description="How many organisations match, over all pages")]
    page: int
    page_size: int
    pages: int
