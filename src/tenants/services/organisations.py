"""What vendor admins do with organisations: find, read, create, edit, suspend, reactivate,
and register contact persons.

Every change is vendor-admin only, runs in one transaction and writes an audit row with
the fields before and after. Members of an organisation may read their own organisation
(`get_organisation`); another organisation answers NotFound."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw
from piccolo.query.functions.aggregate import Count, Sum
from piccolo.querystring import QueryString

from src.core import audit, db, outbox
from src.core.errors import InputError, NotFound
from src.core.i18n import _
from src.core.paging import paged
from src.core.prepared import Prepared
from src.core.tenancy import CONTACT_PERSON, Actor, TenantScope, require_vendor_admin
from src.identity.oidc import normalise_identifier
from src.tenants import legal_forms, validation
from src.tenants.services import users
from src.tenants.services.people import find_or_create_person
from src.tenants.tables import Membership, Organisation, OrganisationTally

PAGE_SIZE = 25
STATUSES = ("active", "suspended")
SORTS = ("name", "country", "created")
FIELDS = (
    "name",
    "country",
    "legal_form",
    "kvk_number",
    "agb_code",
    "org_number",
    "billing_address",
    "postal_address",
)
INVITATION_ACTOR = "send_invitation"  # src/tenants/tasks.py
MAX_ADDRESS = 1000
MAX_REASON = 500

_EMAIL = re.compile(
    r"^[^@\s\"<>(),;:\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CARD_ID = re.compile(r"^[A-Z0-9-]{3,64}$")


# --- finding organisations ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationQuery:
    """Search, filters, sorting and page of the organisations list."""

    q: str = ""
    country: str = ""
    legal_form: str = ""
    status: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1

    @classmethod
    def parse(
        cls,
        q: str | None = None,
        country: str | None = None,
        legal_form: str | None = None,
        status: str | None = None,
        sort: str | None = None,
        page: str | int | None = None,
    ) -> OrganisationQuery:
        """Lenient: an unknown sort or a page that is not a number falls back to the default."""
        sort_text = (sort or "").strip()
        descending = sort_text.startswith("-")
        sort_key = sort_text.lstrip("-")
        if sort_key not in SORTS:
            sort_key, descending = "name", False
        try:
            page_number = max(1, int(page or 1))
        except (TypeError, ValueError):
            page_number = 1
        return cls(
            q=" ".join((q or "").split())[:200],
            country=(country or "").strip().upper(),
            legal_form=(legal_form or "").strip(),
            status=(status or "").strip(),
            sort=sort_key,
            descending=descending,
            page=page_number,
        )

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string of this list (defaults left out), with some values changed;
        `sort` is given as in the query string ("-name" for descending). A page shows several
        of these links (sort headers, pager), so no new query object is made for each."""
        values: dict[str, Any] = {
            "q": self.q,
            "country": self.country,
            "legal_form": self.legal_form,
            "status": self.status,
            "sort": self.sort_param,
            "page": self.page,
        }
        unknown = changes.keys() - values.keys()
        if unknown:
            raise TypeError(f"not a parameter of the list: {', '.join(sorted(unknown))}")
        values.update(changes)
        out = {key: values[key] for key in ("q", "country", "legal_form", "status") if values[key]}
        if values["sort"] != "name":
            out["sort"] = str(values["sort"])
        if int(values["page"]) > 1:
            out["page"] = str(values["page"])
        return out


@dataclass
class OrganisationPage:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _search(p: Any, numeric: bool) -> WhereRaw:
    """Name contains the words (case-insensitively); numbers also match KvK, AGB, org number.
    On PostgreSQL, trigram indexes serve these substring searches."""
    name = db.contains_ignoring_case("name")
    if numeric:
        return WhereRaw(
            f"({name} OR kvk_number LIKE {{}} OR agb_code LIKE {{}} OR org_number LIKE {{}})",
            p.pattern,
            p.number,
            p.number,
            p.number,
        )
    return WhereRaw(name, p.pattern)


@dataclass(frozen=True)
class _Shape:
    """What decides the SQL of the list: which filters are set, the sort and its direction."""

    searching: bool
    numeric: bool
    country: bool
    legal_form: bool
    status: bool
    sort: str
    descending: bool
    summary: bool  # only the columns a list shows


# What the vendor admins' list shows of each organisation (the API answers whole rows).
SUMMARY_COLUMNS = (
    Organisation.id,
    Organisation.name,
    Organisation.country,
    Organisation.legal_form,
    Organisation.kvk_number,
    Organisation.org_number,
    Organisation.status,
    Organisation.created_at,
)
# Without a search, each row of the list also carries the list's total, under this name.
TOTAL = "total"


def _shape_and_values(wanted: OrganisationQuery, summary: bool) -> tuple[_Shape, dict[str, Any]]:
    values: dict[str, Any] = {}
    numeric = False
    if wanted.q:
        values["pattern"] = db.contains_pattern(wanted.q)
        digits = validation.digits_only(wanted.q)
        numeric = digits.isdigit()
        if numeric:
            values["number"] = f"%{digits}%"
    for key in ("country", "legal_form", "status"):
        if getattr(wanted, key):
            values[key] = getattr(wanted, key)
    shape = _Shape(
        searching=bool(wanted.q),
        numeric=numeric,
        country=bool(wanted.country),
        legal_form=bool(wanted.legal_form),
        status=bool(wanted.status),
        sort=wanted.sort,
        descending=wanted.descending,
        summary=summary,
    )
    return shape, values


def _filtered(query: Any, p: Any, shape: _Shape) -> Any:
    if shape.searching:
        query = query.where(_search(p, shape.numeric))
    return _narrowed(query, Organisation, p, shape)


def _narrowed(query: Any, table: type[Organisation] | type[OrganisationTally], p: Any, shape: _Shape) -> Any:
    """The filters by country, legal form and status, on the organisations or on their tally."""
    if shape.country:
        query = query.where(table.country == p.country)
    if shape.legal_form:
        query = query.where(table.legal_form == p.legal_form)
    if shape.status:
        query = query.where(table.status == p.status)
    return query


def _list_query(p: Any, shape: _Shape) -> Any:
    """The page's rows. Without a search each also carries the list's total, read from the
    tally in the same statement (one round trip; the tally is a few rows)."""
    columns: list[Any] = list(SUMMARY_COLUMNS) if shape.summary else Organisation.all_columns()
    if not shape.searching:
        columns.append(QueryString(f"({{}}) AS {TOTAL}", _tally_query(p, shape).querystrings[0]))
    select = _filtered(Organisation.select(*columns), p, shape)
    ascending = not shape.descending
    if shape.sort == "country":
        select = select.order_by(Organisation.country, ascending=ascending).order_by(
            OrderByRaw("lower(name)"), ascending=True
        )
    elif shape.sort == "created":
        select = select.order_by(Organisation.created_at, ascending=ascending)
    else:
        select = select.order_by(OrderByRaw("lower(name)"), ascending=ascending)
    return select.order_by(Organisation.id, ascending=ascending)


def _tally_query(p: Any, shape: _Shape) -> Any:
    total = OrganisationTally.select(Sum(OrganisationTally.organisations, alias="total"))
    return _narrowed(total, OrganisationTally, p, shape)


# The vendor admins' list is prepared once per shape (src/core/prepared.py). Without a search,
# the total is read from the tally the database keeps instead of counting every organisation
# on every view.
_LIST = Prepared(_list_query, shaped=True)
_LIST_COUNT = Prepared(lambda p, shape: _filtered(Organisation.count(), p, shape), shaped=True)
_TALLY = Prepared(_tally_query, shaped=True)


async def _total(shape: _Shape, values: dict[str, Any]) -> int:
    if shape.searching:
        return int(await _LIST_COUNT.value(shape=shape, **values))
    row = await _TALLY.first(shape=shape, **values)
    return int(row["total"] or 0) if row else 0


async def list_organisations(
    actor: Actor, wanted: OrganisationQuery | None = None, *, summary: bool = False
) -> OrganisationPage:
    """A page of the organisations; `summary`: each with only what the list shows."""
    require_vendor_admin(actor)
    wanted = wanted or OrganisationQuery()
    shape, values = _shape_and_values(wanted, summary)
    found = await paged(
        lambda limit, offset: _LIST.rows(shape=shape, limit=limit, offset=offset, **values),
        lambda: _total(shape, values),
        wanted.page,
        PAGE_SIZE,
        total_column=None if shape.searching else TOTAL,
    )
    return OrganisationPage(items=[present(row) for row in found.rows], total=found.total, page=found.page)


async def organisations_by_identifier(actor: Actor, text: str) -> list[dict[str, Any]]:
    """The organisations whose KvK number, AGB code or organisationsnummer is exactly `text`
    (dashes and spaces ignored), for the vendor admins' search to go straight to one."""
    require_vendor_admin(actor)
    digits = validation.digits_only(text)
    if not digits.isdigit() or len(digits) not in (8, 10, 12):
        return []
    if len(digits) == 12 and digits.startswith("16"):  # organisationsnummer with the century prefix
        digits = digits[2:]
    rows = await _BY_IDENTIFIER.rows(number=digits, limit=10)
    return [present(row) for row in rows]


_BY_IDENTIFIER = Prepared(
    lambda p: (
        Organisation.select(*SUMMARY_COLUMNS)
        .where(
            (Organisation.kvk_number == p.number)
            | (Organisation.agb_code == p.number)
            | (Organisation.org_number == p.number)
        )
        .order_by(Organisation.id)
    )
)


def present(row: Mapping[str, Any]) -> dict[str, Any]:
    """An organisation row with the labels a person reads."""
    out = dict(row)
    out["country_label"] = legal_forms.country_label(row.get("country"))
    out["legal_form_label"] = legal_forms.legal_form_label(row.get("legal_form"))
    out["legal_form_short"] = legal_forms.legal_form_short(row.get("legal_form"))
    out["identifier"] = (row.get("kvk_number") if row.get("country") == "NL" else row.get("org_number")) or ""
    return out


_ONE = Prepared(lambda p: Organisation.select().where(Organisation.id == p.organisation))


async def _row(organisation_id: int) -> dict[str, Any]:
    row = await _ONE.first(organisation=organisation_id)
    if row is None:
        raise NotFound()
    return row


async def get_organisation(actor: Actor, organisation_id: int) -> dict[str, Any]:
    """A vendor admin reads any organisation; a member only their own (else NotFound)."""
    TenantScope(actor, organisation_id)
    return present(await _row(organisation_id))


async def organisation_overview(actor: Actor, organisation_id: int) -> dict[str, Any]:
    """The organisation with its contact persons and how many users it has (vendor admin)."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    organisation = present(await _row(organisation_id))
    contact_persons = await (
        scope.select(
            Membership,
            Membership.id,
            Membership.name,
            Membership.email,
            Membership.active,
            Membership.invited_at,
            Membership.created_at,
            Membership.person.personal_identity_number.as_alias("personal_identity_number"),
            Membership.person.card_id.as_alias("card_id"),
        )
        .where(Membership.role == CONTACT_PERSON)
        .order_by(Membership.active, ascending=False)
        .order_by(Membership.name)
    )
    for person in contact_persons:
        person["personal_identity_number_masked"] = mask(person["personal_identity_number"])
        person["card_id_masked"] = mask(person["card_id"])
    counted = await scope.select(Membership, Count(Membership.id, alias="users")).where(
        Membership.active.eq(True)
    )
    return {
        "organisation": organisation,
        "contact_persons": contact_persons,
        "users_count": counted[0]["users"] if counted else 0,
    }


async def organisation_users(
    actor: Actor,
    organisation_id: int,
    *,
    query: str = "",
    state: str = "",
    page: int = 1,
    record_view: bool = False,
) -> tuple[dict[str, Any], users.UserPage]:
    """The organisation and a page of its users, for a vendor admin (NotFound for an unknown id).

    `record_view`: opening another organisation's user list crosses into that tenant and is
    recorded in the audit log (paging and filtering within it are not)."""
    require_vendor_admin(actor)
    organisation = await get_organisation(actor, organisation_id)
    listing = await users.list_users(actor, organisation_id, query=query, page=page, state=state)
    if record_view:
        await audit.record(
            actor,
            "tenants.organisation_users_viewed",
            organisation_id=organisation_id,
            object_type="organisation",
            object_id=organisation_id,
            after={key: value for key, value in (("q", listing.query), ("state", state)) if value},
        )
    return organisation, listing


def mask(value: str | None) -> str:
    """An identifier with only its last four characters visible."""
    if not value:
        return ""
    return "•" * min(max(len(value) - 4, 0), 8) + value[-4:]


# --- checking input ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def clean_organisation(data: Mapping[str, Any]) -> dict[str, Any]:
    """The organisation's fields checked and normalised; every problem at once as InputError."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    name = " ".join(_text(data.get("name")).split())
    if not name:
        errors["name"] = _("Enter the organisation's name.")
    elif len(name) > 200:
        errors["name"] = _("Use at most 200 characters.")
    elif problem := validation.hidden_character_problem(name):
        errors["name"] = problem
    values["name"] = name

    country = _text(data.get("country")).upper()
    if country not in legal_forms.COUNTRIES:
        errors["country"] = _("Choose the Netherlands (NL) or Sweden (SE).")
    values["country"] = country

    legal_form = _text(data.get("legal_form"))
    if not legal_form:
        errors["legal_form"] = _("Choose a legal form.")
    elif country in legal_forms.COUNTRIES and legal_form not in legal_forms.LEGAL_FORMS[country]:
        errors["legal_form"] = (
            _("This is not a Dutch legal form; choose one of the Dutch legal forms.")
            if country == "NL"
            else _("This is not a Swedish legal form; choose one of the Swedish legal forms.")
        )
    elif legal_forms.country_of(legal_form) is None:
        errors["legal_form"] = _("Choose a legal form.")
    values["legal_form"] = legal_form

    kvk = _text(data.get("kvk_number"))
    agb = _text(data.get("agb_code"))
    org_number = _text(data.get("org_number"))
    values["kvk_number"] = values["agb_code"] = values["org_number"] = None
    if country == "NL":
        if not kvk:
            errors["kvk_number"] = _("A Dutch organisation needs its KvK number.")
        else:
            values["kvk_number"] = _checked(validation.kvk_number, kvk, "kvk_number", errors)
        if agb:
            values["agb_code"] = _checked(validation.agb_code, agb, "agb_code", errors)
        if org_number:
            errors["org_number"] = _(
                "A Dutch organisation has no organisationsnummer; leave this field empty."
            )
    elif country == "SE":
        sole = legal_forms.is_sole_proprietorship(legal_form)
        if not org_number:
            errors["org_number"] = (
                _("For an enskild firma, enter the owner's personnummer as organisationsnummer.")
                if sole
                else _("A Swedish organisation needs its organisationsnummer.")
            )
        else:
            values["org_number"] = _checked(
                lambda v: validation.org_number(v, sole_proprietorship=sole), org_number, "org_number", errors
            )
        if kvk:
            errors["kvk_number"] = _("A Swedish organisation has no KvK number; leave this field empty.")
        if agb:
            errors["agb_code"] = _("A Swedish organisation has no AGB code; leave this field empty.")

    for field in ("billing_address", "postal_address"):
        text = "\n".join(line.rstrip() for line in _text(data.get(field)).replace("\r\n", "\n").split("\n"))
        if len(text) > MAX_ADDRESS:
            errors[field] = _("Use at most %(max)s characters.", max=MAX_ADDRESS)
        values[field] = text

    if errors:
        raise InputError(errors)
    return values


def _checked(check: Any, value: str, field: str, errors: dict[str, str]) -> str | None:
    try:
        return str(check(value))
    except ValueError as exc:
        errors[field] = str(exc)
        return None


async def _duplicates(values: Mapping[str, Any], exclude_id: int | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, message in (
        ("kvk_number", _("Another organisation already has this KvK number: %(name)s.")),
        ("org_number", _("Another organisation already has this organisationsnummer: %(name)s.")),
    ):
        if not values.get(field):
            continue
        column = Organisation._meta.get_column_by_name(field)
        query = Organisation.select(Organisation.name).where(column == values[field])
        if exclude_id is not None:
            query = query.where(Organisation.id != exclude_id)
        other = await query.first()
        if other is not None:
            errors[field] = message % {"name": other["name"]}
    return errors


def _unique_violation(exc: Exception) -> str | None:
    """The field whose unique index refused the row, when `exc` is such a refusal."""
    if not isinstance(exc, sqlite3.IntegrityError | UniqueViolationError):
        return None
    text = str(exc)
    return next((f for f in ("kvk_number", "org_number") if f in text), None)


@contextlib.contextmanager
def _unique_index_as_field_error() -> Iterator[None]:
    """Two admins registering the same number at once: the unique index refuses the second,
    which gets the same field error as the check before the insert."""
    try:
        yield
    except Exception as exc:
        field = _unique_violation(exc)
        if field is None:
            raise
        message = (
            _("Another organisation already has this KvK number.")
            if field == "kvk_number"
            else _("Another organisation already has this organisationsnummer.")
        )
        raise InputError({field: message}) from exc


def snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in (*FIELDS, "status")}


# --- changes -----------------------------------------------------------------------------------


async def create_organisation(actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    require_vendor_admin(actor)
    values = clean_organisation(data)
    with _unique_index_as_field_error():
        async with db.transaction():
            duplicates = await _duplicates(values)
            if duplicates:
                raise InputError(duplicates)
            now = dt.datetime.now(dt.UTC)
            row = (
                await Organisation.insert(
                    Organisation(**values, status="active", created_at=now, updated_at=now)
                ).returning(*Organisation.all_columns())
            )[0]
            await audit.record(
                actor,
                "tenants.organisation_created",
                organisation_id=row["id"],
                object_type="organisation",
                object_id=row["id"],
                after=snapshot(row),
            )
    return present(row)


async def update_organisation(actor: Actor, organisation_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Change the fields present in `data` (a partial update); the result is checked whole.

    `status` ("active" | "suspended") may be part of it, as in the API's PATCH."""
    TenantScope(actor, organisation_id)  # another organisation answers NotFound
    require_vendor_admin(actor)
    status = data.get("status")
    if status is not None and status not in STATUSES:
        raise InputError({"status": _("The status is active or suspended.")})
    with _unique_index_as_field_error():
        async with db.transaction():
            current = await _locked(organisation_id)
            merged = {**snapshot(current), **{k: v for k, v in data.items() if k in FIELDS}}
            values = clean_organisation(merged)
            duplicates = await _duplicates(values, exclude_id=organisation_id)
            if duplicates:
                raise InputError(duplicates)
            before, after = audit.changes(snapshot(current), {**snapshot(current), **values})
            if after:
                update: dict[Any, Any] = {**values, "updated_at": dt.datetime.now(dt.UTC)}
                await Organisation.update(update).where(Organisation.id == organisation_id)
                await audit.record(
                    actor,
                    "tenants.organisation_updated",
                    organisation_id=organisation_id,
                    object_type="organisation",
                    object_id=organisation_id,
                    before=before,
                    after=after,
                )
            if status is not None:
                await _set_status(actor, {**current, **values}, status, "")
    return present(await _row(organisation_id))


async def suspend_organisation(actor: Actor, organisation_id: int, reason: str = "") -> dict[str, Any]:
    """Its people can no longer sign in (and signed-in sessions and tokens stop working);
    everything it has is kept."""
    return await _change_status(actor, organisation_id, "suspended", reason)


async def reactivate_organisation(actor: Actor, organisation_id: int, reason: str = "") -> dict[str, Any]:
    return await _change_status(actor, organisation_id, "active", reason)


async def _change_status(actor: Actor, organisation_id: int, status: str, reason: str) -> dict[str, Any]:
    require_vendor_admin(actor)
    TenantScope(actor, organisation_id)
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise InputError({"reason": _("Use at most %(max)s characters.", max=MAX_REASON)})
    async with db.transaction():
        current = await _locked(organisation_id)
        await _set_status(actor, current, status, reason)
    return present(await _row(organisation_id))


async def _set_status(actor: Actor, current: Mapping[str, Any], status: str, reason: str) -> None:
    if current["status"] == status:
        return
    await Organisation.update(
        {Organisation.status: status, Organisation.updated_at: dt.datetime.now(dt.UTC)}
    ).where(Organisation.id == current["id"])
    after: dict[str, Any] = {"status": status}
    if reason:
        after["reason"] = reason
    await audit.record(
        actor,
        "tenants.organisation_suspended" if status == "suspended" else "tenants.organisation_reactivated",
        organisation_id=current["id"],
        object_type="organisation",
        object_id=current["id"],
        before={"status": current["status"]},
        after=after,
    )


async def _locked(organisation_id: int) -> dict[str, Any]:
    """The organisation row, locked for this transaction on PostgreSQL (SQLite writes are serial)."""
    select = Organisation.select().where(Organisation.id == organisation_id)
    if db.is_postgres():
        select = select.lock_rows()
    row = await select.first()
    if row is None:
        raise NotFound()
    return row


# --- contact persons ---------------------------------------------------------------------------


def _clean_contact_person(data: Mapping[str, Any], country: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = " ".join(_text(data.get("name")).split())
    if not name:
        errors["name"] = _("Enter the contact person's name.")
    elif len(name) > 200:
        errors["name"] = _("Use at most 200 characters.")
    elif problem := validation.hidden_character_problem(name):
        errors["name"] = problem
    email = _text(data.get("email"))
    if not email:
        errors["email"] = _("Enter an e-mail address.")
    elif len(email) > 254 or not _EMAIL.match(email):
        errors["email"] = _("This is not a valid e-mail address (for example name@example.org).")
    pin: str | None = None
    raw_pin = _text(data.get("personal_identity_number"))
    if raw_pin:
        try:
            pin = validation.personal_identity_number(raw_pin, country)
        except ValueError as exc:
            errors["personal_identity_number"] = str(exc)
    card: str | None = normalise_identifier("smartcard", _text(data.get("card_id"))) or None
    if card and not _CARD_ID.match(card):
        errors["card_id"] = _("A card id has 3 to 64 letters, digits and hyphens.")
    if not raw_pin and not card:
        message = _("Enter the personal identity number or the card id the person signs in with.")
        errors["personal_identity_number"] = message
        errors["card_id"] = message
    if errors:
        raise InputError(errors)
    return {"name": name, "email": email, "personal_identity_number": pin, "card_id": card}


async def add_contact_person(actor: Actor, organisation_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Register a contact person: an existing person (matched on personal identity number or card
    id) or a new one. A user of the organisation becomes its contact person. An invitation mail
    goes out after commit (the outbox wakes its relay then)."""
    require_vendor_admin(actor)
    scope = TenantScope(actor, organisation_id)
    organisation = await _row(organisation_id)
    values = _clean_contact_person(data, organisation["country"])
    async with db.transaction():
        await _locked(organisation_id)
        person, created = await find_or_create_person(
            values["name"], values["email"], values["personal_identity_number"], values["card_id"]
        )
        existing = (
            await scope.select(Membership)
            .where(Membership.person == person["id"])
            .where(Membership.pending.eq(False))  # an invitation stays the person's to answer
            .first()
        )
        now = dt.datetime.now(dt.UTC)
        membership_values = {
            "name": values["name"],
            "email": values["email"],
            "role": CONTACT_PERSON,
            "active": True,
        }
        if existing is None:
            membership_id = (
                await Membership.insert(
                    Membership(
                        organisation=organisation_id,
                        person=person["id"],
                        created_at=now,
                        updated_at=now,
                        **membership_values,
                    )
                ).returning(Membership.id)
            )[0]["id"]
            before: dict[str, Any] | None = None
            after: dict[str, Any] = dict(membership_values)
        else:
            if existing["active"] and existing["role"] == CONTACT_PERSON:
                field = "personal_identity_number" if values["personal_identity_number"] else "card_id"
                raise InputError({field: _("This person is already a contact person of this organisation.")})
            membership_id = existing["id"]
            update: dict[Any, Any] = {**membership_values, "updated_at": now}
            await Membership.update(update).where(Membership.id == membership_id)
            before, after = audit.changes({k: existing[k] for k in membership_values}, membership_values)
        after.update(
            {
                "person_id": person["id"],
                "person_created": created,
                "personal_identity_number": mask(person["personal_identity_number"]),
                "card_id": mask(person["card_id"]),
            }
        )
        await audit.record(
            actor,
            "tenants.contact_person_added",
            organisation_id=organisation_id,
            object_type="membership",
            object_id=membership_id,
            before=before,
            after=after,
        )
        await outbox.enqueue(
            INVITATION_ACTOR,
            {"membership_id": membership_id, "invited_by": actor.name},
            f"invitation:{membership_id}:contact_person:{now.isoformat()}",
        )
        return await scope.get(Membership, membership_id)
