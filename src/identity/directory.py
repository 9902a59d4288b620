"""What the identity domain asks of the tenants domain above it: the person and membership an
actor is built from, a person's organisations and invitations at sign-in, and the answer to an
invitation. Identity sits below tenants in the layers and imports nothing of it; the tenants
domain registers its answers here when it is imported (src/tenants/handlers.py, which
src/domains.py imports), as every domain's handlers subscribe to events (src/core/events.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from src.core.tenancy import Actor

Row = dict[str, Any]


@dataclass(frozen=True)
class Directory:
    # The active membership of a person in an organisation, with the person's and the
    # organisation's fields an actor carries (one query: asked on every request).
    member_actor: Callable[[int, int], Awaitable[Row | None]]
    # An active person by id (a vendor admin acting for no organisation).
    person_actor: Callable[[int], Awaitable[Row | None]]
    # Up to `limit` organisations a person is an active user of (a token naming none acts for
    # the only one).
    organisations_of: Callable[[int, int], Awaitable[list[Row]]]
    # The active person an identity provider's identifier names: (kind of provider, identifier).
    person_signing_in: Callable[[str, str], Awaitable[Row | None]]
    # A person's active memberships with their organisation's name and status.
    memberships_of: Callable[[int], Awaitable[list[Row]]]
    # The invitations a person has not answered yet.
    invitations_of: Callable[[int], Awaitable[list[Row]]]
    # The person accepts an invitation: (person, membership, address) -> the actor for it.
    accept_invitation: Callable[[int, int, str], Awaitable[Actor]]
    # The person declines: (person, membership, address) -> the organisation's name.
    decline_invitation: Callable[[int, int, str], Awaitable[str]]


_registered: Directory | None = None


def register(directory: Directory) -> None:
    global _registered
    _registered = directory


def directory() -> Directory:
    if _registered is None:
        raise RuntimeError("no directory is registered: import src.tenants.handlers (src.domains does)")
    return _registered
