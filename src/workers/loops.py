"""What each event loop of a worker thread is set up with before its first actor. The
database registers its connection pool here (an asyncpg pool is bound to its loop), so the
workers need not import it; this module has no other effect on import."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

_setup: list[Callable[[], Awaitable[object]]] = []


def on_new_loop(setup: Callable[[], Awaitable[object]]) -> None:
    """Run `setup` on each event loop a worker thread makes, before its first actor."""
    if setup not in _setup:
        _setup.append(setup)


def registered() -> list[Callable[[], Awaitable[object]]]:
    return list(_setup)
