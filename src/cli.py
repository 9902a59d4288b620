"""The `portal` command."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import click


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def migrate_all() -> None:
    import contextlib
    import io

    from piccolo.apps.migrations.commands.forwards import run_forwards

    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        response = await run_forwards(app_name="all")
    if not response.success:
        raise click.ClickException(f"{response.message or 'migrations failed'}\n{quiet.getvalue()}")


@click.group()
def main() -> None:
    """Care portal: run, migrate, seed-demo, worker, create-vendor-admin, token."""
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)


@main.command()
def migrate() -> None:
    """Apply every database migration."""
    _run(migrate_all())
    click.echo("Database is up to date.")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
def run(host: str, port: int) -> None:
    """Serve the portal (the embedded default: SQLite, in-process worker)."""
    import uvicorn

    _run(migrate_all())
    uvicorn.run("src.app:create_app", factory=True, host=host, port=port, access_log=False, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    main()
