"""Domain events run inside the publishing transaction: a refusal rolls the change back."""

from __future__ import annotations

import pytest

from src.core import events
from src.core.errors import Conflict
from src.identity.auth import build_actor
from src.tenants.services import user_changes
from src.tenants.tables import Membership
from tests import factories


async def test_a_handler_sees_a_deactivation_and_can_refuse_it():
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    user = await factories.member(org)
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    seen: list[int] = []

    async def refuse_unless_confirmed(*, membership, confirmations, **_):
        seen.append(membership["id"])
        if "really" not in confirmations:
            raise Conflict("needs confirmation")

    events.subscribe(events.MEMBERSHIP_DEACTIVATING)(refuse_unless_confirmed)
    try:
        with pytest.raises(Conflict):
            await user_changes.set_active(actor, org["id"], user["id"], False)
        row = await Membership.select(Membership.active).where(Membership.id == user["id"]).first()
        assert row is not None and row["active"] is True  # rolled back

        await user_changes.set_active(
            actor, org["id"], user["id"], False, confirmations=frozenset({"really"})
        )
        row = await Membership.select(Membership.active).where(Membership.id == user["id"]).first()
        assert row is not None and row["active"] is False
        assert seen == [user["id"], user["id"]]
    finally:
        events._handlers[events.MEMBERSHIP_DEACTIVATING].remove(refuse_unless_confirmed)
