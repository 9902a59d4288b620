"""Prepared queries (src/core/prepared.py): built once, run with other values, same answers as
the query builder, values always bound, and tenant queries only through a TenantScope."""

from __future__ import annotations

import pytest

from src.core import db
from src.core.errors import NotFound
from src.core.prepared import Prepared
from src.core.tenancy import Actor, TenantQuery, TenantScope
from src.tenants.tables import Membership, Organisation
from tests import factories

BY_NAME = Prepared(
    lambda p: Organisation.select(Organisation.id, Organisation.name).where(Organisation.name == p.name)
)
BY_COUNTRY = Prepared(
    lambda p: (
        Organisation.select(Organisation.name)
        .where(Organisation.country == p.country)
        .order_by(Organisation.name)
    )
)
COUNT_LIKE = Prepared(lambda p: Organisation.count().where(Organisation.name.like(p.pattern)))
MEMBERS = TenantQuery(
    lambda p: (
        Membership.select(Membership.name, Membership.person.name.as_alias("person_name"))
        .where(Membership.organisation == p.organisation)
        .order_by(Membership.name)
    )
)
SHAPED = Prepared(
    lambda p, by_country: (
        Organisation.select(Organisation.name).where(Organisation.country == p.country)
        if by_country
        else Organisation.select(Organisation.name).where(Organisation.legal_form == p.legal_form)
    ),
    shaped=True,
)


async def test_one_query_answers_for_each_value() -> None:
    first = await factories.organisation(name="Huisartsenpraktijk Noord B.V.")
    second = await factories.organisation(name="Tandarts Zuid B.V.")
    assert await BY_NAME.first(name="Huisartsenpraktijk Noord B.V.") == {
        "id": first["id"],
        "name": first["name"],
    }
    assert await BY_NAME.first(name="Tandarts Zuid B.V.") == {"id": second["id"], "name": second["name"]}
    assert await BY_NAME.first(name="Nobody B.V.") is None


async def test_values_are_bound_never_spliced_into_the_sql() -> None:
    hostile = "Zorg'); DELETE FROM organisation; -- 100%"
    await factories.organisation(name=hostile)
    await factories.organisation(name="Zorg B.V.")
    assert [row["name"] for row in await BY_NAME.rows(name=hostile)] == [hostile]
    assert await Organisation.count() == 2
    assert await COUNT_LIKE.value(pattern="Zorg%") == 2
    assert await Organisation.count() == 2


async def test_pages_through_rows_in_order() -> None:
    for name in ("Delta", "Alfa", "Charlie", "Bravo", "Echo"):
        await factories.organisation(name=f"{name} B.V.")
    await factories.organisation(
        name="Zweden AB",
        country="SE",
        legal_form="ab",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    names = [row["name"] async for row in _pages(BY_COUNTRY, country="NL", size=2)]
    assert names == ["Alfa B.V.", "Bravo B.V.", "Charlie B.V.", "Delta B.V.", "Echo B.V."]
    assert [r["name"] for r in await BY_COUNTRY.rows(country="SE")] == ["Zweden AB"]


async def _pages(query: Prepared, size: int, **values: object):  # type: ignore[no-untyped-def]
    offset = 0
    while rows := await query.rows(limit=size, offset=offset, **values):
        for row in rows:
            yield row
        offset += size


async def test_refuses_a_missing_value_or_a_bad_window() -> None:
    with pytest.raises(TypeError, match="country"):
        await BY_COUNTRY.rows()
    with pytest.raises(ValueError, match="limit"):
        await BY_COUNTRY.rows(country="NL", limit=-1)
    with pytest.raises(ValueError, match="offset"):
        await BY_COUNTRY.rows(country="NL", limit=5, offset="5; DROP TABLE organisation")  # type: ignore[arg-type]


async def test_sees_the_writes_of_its_own_transaction() -> None:
    async with db.transaction():
        await Organisation.insert(
            Organisation(name="Nieuw B.V.", country="NL", legal_form="bv", kvk_number=factories.kvk())
        )
        assert await BY_NAME.first(name="Nieuw B.V.") is not None


async def test_each_shape_is_its_own_query() -> None:
    await factories.organisation(name="Stichting Zorg", legal_form="stichting")
    await factories.organisation(
        name="Zorg AB",
        country="SE",
        legal_form="ab",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    assert [r["name"] for r in await SHAPED.rows(shape=True, country="SE")] == ["Zorg AB"]
    assert [r["name"] for r in await SHAPED.rows(shape=False, legal_form="stichting")] == ["Stichting Zorg"]


async def test_a_tenant_query_answers_only_through_the_scope_of_an_allowed_organisation() -> None:
    mine = await factories.organisation()
    theirs = await factories.organisation()
    me = await factories.member(mine, role="contact_person", name="Anna")
    await factories.member(theirs, name="Bram")
    actor = Actor(
        person_id=me["person"],
        name="Anna",
        organisation_id=mine["id"],
        membership_id=me["id"],
        role="contact_person",
    )
    assert [r["name"] for r in await TenantScope(actor, mine["id"]).rows(MEMBERS)] == ["Anna"]
    with pytest.raises(NotFound):
        TenantScope(actor, theirs["id"])
    with pytest.raises(TypeError):
        await TenantScope(actor, mine["id"]).rows(MEMBERS, organisation=theirs["id"])


async def test_a_tenant_query_must_filter_on_the_organisation() -> None:
    unscoped = TenantQuery(lambda p: Membership.select(Membership.name).where(Membership.name == p.name))
    org = await factories.organisation()
    actor = Actor(person_id=1, name="Admin", is_vendor_admin=True)
    with pytest.raises(ValueError, match="organisation"):
        await TenantScope(actor, org["id"]).rows(unscoped, name="Anna")
