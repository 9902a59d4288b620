"""`readable(actor, table)`: where every read of a tenant-owned table starts."""

from src.certificates.tables import EvidenceFile, Revocation
from src.core.tenancy import SYSTEM, Actor, organisation_column, readable
from src.tenants.tables import Membership
from tests import factories


async def test_each_actor_reads_only_the_rows_it_may_see():
    ours = await factories.organisation()
    theirs = await factories.organisation()
    mine = await factories.member(ours, role="contact_person")
    await factories.member(theirs)
    contact = Actor(person_id=mine["person"], name="C", organisation_id=ours["id"], role="contact_person")
    admin = Actor(person_id=0, name="A", is_vendor_admin=True)

    seen = await readable(contact, Membership, Membership.organisation)
    assert {row["organisation"] for row in seen} == {ours["id"]}
    every = await readable(admin, Membership, Membership.organisation)
    assert {row["organisation"] for row in every} == {ours["id"], theirs["id"]}
    assert await readable(SYSTEM, Membership) == []


def test_rows_owned_through_their_parent_are_filtered_through_it():
    # A revocation has no organisation of its own: it is its certificate's.
    assert organisation_column(Revocation)._meta.call_chain[0]._meta.name == "certificate"
    assert [c._meta.name for c in organisation_column(EvidenceFile)._meta.call_chain] == [
        "request",
        "certificate",
    ]
