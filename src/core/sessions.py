"""Server-side sessions whose id is replaced at sign-in (no session fixation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

ROTATE_FLAG = "portal_rotate_session"
LOADED_KEY = "portal_session_loaded"


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Ask for a fresh session id when the response is sent; the old id's data are deleted."""
    connection.scope.setdefault("state", {})[ROTATE_FLAG] = True


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, plus: a new id at sign-in, nothing stored for anonymous
    visitors, and no write when a request leaves the session as it found it (most requests:
    the store is written at sign-in and when something in the session changes)."""

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope.setdefault("state", {})[LOADED_KEY] = (
            self.serialize_data(data, connection.scope) if data else None
        )
        return data

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        state = connection.scope.get("state", {})
        had_cookie = connection.cookies.get(self.config.key) not in (None, "", "null")
        if scope_session == {} or scope_session is Empty:
            # Nothing to keep: store nothing for anonymous visitors, forget an emptied session.
            if had_cookie:
                await super().store_in_message(Empty, message, connection)
            return
        if not state.get(ROTATE_FLAG):
            unchanged = had_cookie and state.get(LOADED_KEY) == self.serialize_data(
                scope_session, connection.scope
            )
            if not unchanged:
                await super().store_in_message(scope_session, message, connection)
            return
        store = self.config.get_store_from_app(connection.scope["app"])
        old_id = connection.cookies.get(self.config.key)
        if old_id and old_id != "null":
            await self.delete(old_id, store=store)
        new_id = self.generate_session_id()
        await self.set(
            session_id=new_id, data=self.serialize_data(scope_session, connection.scope), store=store
        )
        cookie_params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        MutableScopeHeaders.from_message(message).add(
            "Set-Cookie", Cookie(value=new_id, key=self.config.key, **cookie_params).to_header(header="")
        )


@dataclass
class PortalSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
