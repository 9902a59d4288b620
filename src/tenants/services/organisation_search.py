"""Finding organisations: the vendor admins' list (search, filters, sorting, pages) and the
straight hit on an identifier. Vendor-admin only."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw
from piccolo.query.functions.aggregate import Sum
from piccolo.querystring import QueryString

from src.core import db
from src.core.paging import paged
from src.core.prepared import Prepared
from src.core.tenancy import Actor, require_vendor_admin
from src.tenants import legal_forms, validation
from src.tenants.tables import Organisation, OrganisationTally

PAGE_SIZE = 25
SORTS = ("name", "country", "created")


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
    out["vat_number_display"] = validation.vat_display(row.get("vat_number"))
    return out
