"""The `portal` command."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import click

from src.settings import Settings, override_settings


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


async def pending_migrations() -> list[str]:
    """The migrations not applied to the database yet, as "app migration-id", oldest first."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    manager = BaseMigrationManager()
    migrated = await Migration.table_exists()
    pending: list[str] = []
    for module in manager.get_app_modules():
        app = module.APP_CONFIG
        known = manager.get_migration_ids(manager.get_migration_modules(app.resolved_migrations_folder_path))
        ran = set(await Migration.get_migrations_which_ran(app_name=app.app_name)) if migrated else set()
        pending += [f"{app.app_name} {migration}" for migration in known if migration not in ran]
    return pending


@click.group()
def main() -> None:
    """Care portal: run, migrate, seed-demo, worker, create-vendor-admin, token, service-client."""
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
@click.option(
    "--workers",
    default=1,
    type=click.IntRange(1, 64),
    envvar="WEB_CONCURRENCY",
    show_default=True,
    help="Web processes; in production about one per CPU core (PostgreSQL and Redis shared by all).",
)
def run(host: str, port: int, workers: int) -> None:
    """Serve the portal on a migrated database (apply migrations first with `portal migrate`)."""
    from src.core.serving import serve

    cannot_listen = _listen_error(port, host)
    if cannot_listen:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {cannot_listen}.")
    pending = _run(pending_migrations())
    if pending:
        raise click.ClickException(
            f"The database is not up to date: {len(pending)} migration(s) not applied "
            f"(the first: {pending[0]}). Apply them with `portal migrate`, then start `portal run` again."
        )
    serve(host, port, workers)


# --- demo and administration: seed-demo, create-vendor-admin, run-demo ------------------------


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the demo organisations and people (idempotent: a second run changes nothing)."""
    from src import demo, domains  # noqa: F401 - the domains answer what a lower one asks of them

    _run(migrate_all())
    report = _run(demo.seed())
    click.echo(report.summary())


@main.command("create-vendor-admin")
@click.option("--email", required=True, help="E-mail address; the same address always means the same person.")
@click.option("--name", required=True, help="The person's full name (updated when the person exists).")
@click.option(
    "--personal-identity-number",
    "personal_identity_number",
    default=None,
    help="BSN or personnummer carried by the staff e-ID this person signs in with.",
)
def create_vendor_admin(email: str, name: str, personal_identity_number: str | None) -> None:
    """Create a vendor admin, or update the one with this e-mail address (idempotent)."""
    from src import demo

    try:
        message = _run(demo.ensure_vendor_admin(email, name, personal_identity_number))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(message)


def _listen_error(port: int, host: str = "127.0.0.1") -> str | None:
    """Why a server could not listen on host:port (the port taken, say), or None if it could."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _port_is_free(port: int) -> bool:
    return _listen_error(port) is None


@main.command("run-demo")
@click.option("--host", default="127.0.0.1", help="Interface to serve on.")
@click.option("--port", default=8000, type=int, help="Port of the portal.")
def run_demo(host: str, port: int) -> None:
    """What `make run` does: migrate, load the demo data, start a local OpenID provider, serve."""
    import logging
    import threading
    import time
    import warnings

    import authlib.deprecate  # noqa: F401 - installs an "always" filter; ours go in front of it

    # The provider's own imports warn about authlib's deprecated modules; not the newcomer's concern.
    warnings.filterwarnings("ignore", message=r"authlib\.jose module is deprecated")
    warnings.filterwarnings("ignore", message=r"The httpx module is deprecated")
    import oidc_provider_mock
    import uvicorn
    import werkzeug.serving

    from src import demo
    from src.core.serving import APP, UVICORN_OPTIONS

    Settings.from_env()  # loads .env into the environment, so its values count as set
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    os.environ.setdefault("BASE_URL", f"http://{public_host}:{port}")
    provider_port = Settings.from_env().demo_oidc_port
    provider_url = f"http://127.0.0.1:{provider_port}"
    if not os.environ.get("OIDC_PROVIDERS"):
        os.environ["OIDC_PROVIDERS"] = demo.demo_providers_json(provider_url)
    for variable, value in demo.DEMO_SERVICE_DESK.items():
        os.environ.setdefault(variable, value)
    settings = Settings.from_env()
    override_settings(settings)
    from src import domains  # noqa: F401 - built from the settings: the broker, and what a domain asks of a higher one

    for busy, what, variable in (
        (port, "the portal", "--port"),
        (provider_port, "the local OpenID provider", "DEMO_OIDC_PORT"),
    ):
        if not _port_is_free(busy):
            raise click.ClickException(
                f"Port {busy} for {what} is in use (is the demo already running?). "
                f"Stop the other program or choose another port with {variable}."
            )

    _run(migrate_all())
    click.echo(_run(demo.seed()).summary())

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    provider = werkzeug.serving.make_server(
        "127.0.0.1",
        provider_port,
        oidc_provider_mock.app(require_nonce=True, user_claims=demo.demo_users()),
        threaded=True,
    )
    threading.Thread(target=provider.serve_forever, name="demo-oidc-provider", daemon=True).start()

    server = uvicorn.Server(uvicorn.Config(APP, host=host, port=port, **UVICORN_OPTIONS))
    providers = [
        {"name": p.name, "label": p.label, "kind": p.kind, "staff": p.staff}
        for p in settings.identity_providers
    ]

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.1)
        if server.started:
            click.echo(demo.sign_in_instructions(settings.base_url, provider_url, providers))

    threading.Thread(target=announce, name="demo-announce", daemon=True).start()
    try:
        server.run()
    finally:
        provider.shutdown()


# --- background work: worker ----------------------------------------------------------------


@main.command()
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 256), help="Actor threads.")
@click.option(
    "--relay-interval",
    default=None,
    type=click.FloatRange(min=0.05),
    help="Seconds between two runs of the outbox relay (default: OUTBOX_RELAY_INTERVAL, 1).",
)
@click.option("--min-backoff", type=click.IntRange(min=1), default=None, help="First retry delay (ms).")
@click.option("--max-backoff", type=click.IntRange(min=1), default=None, help="Longest retry delay (ms).")
@click.option(
    "--no-scheduler", is_flag=True, help="Only run actors: never lead the schedule (outbox relay, jobs)."
)
def worker(
    threads: int,
    relay_interval: float | None,
    min_backoff: int | None,
    max_backoff: int | None,
    no_scheduler: bool,
) -> None:
    """Run background work from Redis: the actors and, in one worker at a time, the schedule."""
    import dataclasses
    import logging

    from src.core.scheduling import DatabaseRunLog

    settings = Settings.from_env()
    if relay_interval is not None:
        settings = dataclasses.replace(settings, outbox_relay_interval=relay_interval)
    if not settings.redis_url:
        raise click.ClickException(
            "`portal worker` needs REDIS_URL (e.g. redis://127.0.0.1:6379/0): it takes its work from "
            "the Redis broker. Without REDIS_URL, `portal run` runs the worker inside the web process."
        )
    override_settings(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from src import domains  # noqa: F401 - every actor and periodic job, and the outbox relay
    from src.workers.process import run_worker

    sys.exit(
        run_worker(
            threads=threads,
            run_log=DatabaseRunLog(),
            min_backoff_ms=min_backoff,
            max_backoff_ms=max_backoff,
            with_scheduler=not no_scheduler,
        )
    )


# --- portal token create ----------------------------------------------------------------------


@main.group()
def token() -> None:
    """API bearer tokens."""


async def _token_for(email: str, organisation_id: int | None, name: str) -> tuple[str, str]:
    """Find the person by e-mail and make a token acting as them; returns (description, secret)."""
    from src import domains  # noqa: F401 - the tenants domain answers what identity asks of it
    from src.identity.auth import build_actor
    from src.identity.services import create_token, memberships_of
    from src.tenants.tables import Membership, Person

    wanted = email.strip().lower()
    if not wanted:
        raise click.ClickException("Give the person's e-mail address with --email.")
    # ilike would read "_" and "%" as wildcards: compare exactly in Python.
    candidates = {
        row["id"]
        for row in await Person.select(Person.id, Person.email).where(Person.email.ilike(wanted))
        if row["email"].strip().lower() == wanted
    }
    candidates |= {
        row["person"]
        for row in await Membership.select(Membership.person, Membership.email).where(
            Membership.email.ilike(wanted)
        )
        if row["email"].strip().lower() == wanted
    }
    people = await Person.select().where(Person.id.is_in(sorted(candidates))) if candidates else []
    if not people:
        raise click.ClickException(f"Nobody is registered with the e-mail address {email}.")
    if len(people) > 1:
        names = ", ".join(f"{p['name']} (#{p['id']})" for p in people)
        raise click.ClickException(f"Several people are registered with {email}: {names}.")
    person = people[0]
    if not person["active"]:
        raise click.ClickException(f"{person['name']} is blocked from the portal.")
    memberships = [m for m in await memberships_of(person["id"]) if m["organisation_status"] == "active"]
    if organisation_id is not None:
        chosen = next((m for m in memberships if m["organisation_id"] == organisation_id), None)
        if chosen is None:
            raise click.ClickException(
                f"{person['name']} is not an active user of organisation {organisation_id}."
            )
    elif len(memberships) == 1:
        chosen = memberships[0]
    elif not memberships and person["is_vendor_admin"]:
        chosen = None
    elif not memberships:
        raise click.ClickException(f"{person['name']} is not an active user of any organisation.")
    else:
        choices = ", ".join(f"{m['organisation_id']} ({m['organisation_name']})" for m in memberships)
        raise click.ClickException(
            f"{person['name']} belongs to several organisations; choose one with --organisation: {choices}."
        )
    actor = await build_actor(person["id"], chosen["organisation_id"] if chosen else None, "cli")
    if actor is None:
        raise click.ClickException(f"{person['name']} cannot act for that organisation.")
    row, secret = await create_token(actor, name, actor.organisation_id)
    acting = (
        f"{chosen['organisation_name']} (#{chosen['organisation_id']})" if chosen else "vendor administration"
    )
    who = f"{person['name']} (#{person['id']})"
    return f"Token {row['name']!r} ({row['prefix']}...) for {who}, acting for {acting}.", secret


@token.command("create")
@click.option(
    "--email", required=True, help="E-mail address of the person (theirs, or one registered for them)."
)
@click.option("--organisation", "organisation_id", type=int, default=None, help="Organisation id to act for.")
@click.option(
    "--name", default="Command-line token", show_default=True, help="Name shown on the profile page."
)
def token_create(email: str, organisation_id: int | None, name: str) -> None:
    """Create an API token acting as a person; the bearer token is the last line of output."""
    description, secret = _run(_token_for(email, organisation_id, name))
    click.echo(description)
    click.echo("Keep it secret: it is shown only this once. Send it as 'Authorization: Bearer <token>'.")
    click.echo(secret)


# --- portal service-client create ---------------------------------------------------------------


@main.group("service-client")
def service_client() -> None:
    """Clients of the connected services (their bearer tokens)."""


async def _service_client(service: str, name: str, webhook_url: str) -> tuple[str, str]:
    from src import domains  # noqa: F401 - the catalogue answers what the tenants domain asks
    from src.connected.services import COMMAND_LINE, create_client
    from src.core.errors import InputError

    try:
        row, secret = await create_client(COMMAND_LINE, service, name, webhook_url)
    except InputError as exc:
        raise click.ClickException(
            " ".join(f"{field}: {message}" for field, message in exc.errors.items())
        ) from None
    description = f"Service client {row['name']!r} ({row['prefix']}...) for {row['service_code']}."
    if row["webhook_url"]:
        description += (
            f"\nWebhooks go to {row['webhook_url']}, signed (HMAC-SHA256 of '<timestamp>.<body>') with "
            f"this secret, shown only this once: {row['webhook_secret']}"
        )
    return description, secret


@service_client.command("create")
@click.option("--service", required=True, help="Code of the catalogue service, e.g. webcert.")
@click.option("--name", default="", help="Name shown to vendor admins (default: the service's name).")
@click.option("--webhook-url", default="", help="Where the service receives the portal's notifications.")
def service_client_create(service: str, name: str, webhook_url: str) -> None:
    """Register a connected service's client; its bearer token is the last line of output."""
    description, secret = _run(_service_client(service, name, webhook_url))
    click.echo(description)
    click.echo("Keep it secret: it is shown only this once. Send it as 'Authorization: Bearer <token>'.")
    click.echo(secret)


# --- the certificate authority: init-ca ----------------------------------------------------------


@main.group()
def billing() -> None:
    """Monthly invoicing."""


@billing.command("run")
@click.option("--period", required=True, help="The month to invoice, YYYY-MM; it must have ended.")
def billing_run(period: str) -> None:
    """Invoice a month: every organisation's subscriptions, fees and charges, once. With Redis
    (REDIS_URL) the workers share the batches and this follows them; without, this process
    invoices the batches itself. A progress bar, then a summary."""
    settings = Settings.from_env()
    override_settings(settings)
    from src import domains  # noqa: F401 - the actors, and what a domain asks of a higher one
    from src.billing.services import runs
    from src.core import db, outbox
    from src.core.errors import Conflict, InputError

    async def go() -> dict[str, Any]:
        await db.start_pool()
        try:
            run = await runs.start(runs.BILLING, period)
        except InputError as exc:
            raise click.ClickException(" ".join(exc.errors.values())) from None
        except Conflict as exc:
            raise click.ClickException(exc.message) from None
        if settings.redis_url:  # hand the batches to the workers now, not at the relay's next turn
            await outbox.relay_pending()
        total = run["batches_total"]
        click.echo(
            f"Billing run {run['id']} for {run['period']}: "
            f"{run['organisations']} organisations, {total} batches."
        )
        with click.progressbar(length=total, label="Invoicing") as bar:
            done = 0
            while done < total:
                if not settings.redis_url:  # no workers elsewhere: this process does the batches
                    await runs.run_batch(run["id"], done)
                else:
                    await asyncio.sleep(0.5)
                state = await runs.progress(runs.BILLING, run["id"])
                if state["status"] == "failed":
                    raise click.ClickException(
                        f"Billing run {run['id']} failed: {state['failed_batches']} batch(es) given up on "
                        f"({state['error']}). Start them again from /admin/billing or with "
                        f"POST /api/v1/billing-runs/{run['id']}/retry; what was invoiced stays."
                    )
                bar.update(state["batches_done"] - done)
                done = state["batches_done"]
        return await runs.progress(runs.BILLING, run["id"])

    summary = _run(go())
    click.echo(
        f"Done: {summary['invoices']} invoices, {summary['total_cents'] / 100:,.2f} in total "
        f"(run {summary['id']}, {summary['status']})."
    )


@main.command("init-ca")
def init_ca() -> None:
    """Create the portal's CA hierarchy (a root and an issuing CA); refuses when one exists."""
    from src.certificates.services import pki

    _run(migrate_all())
    try:
        root_id, issuing_id = _run(pki.init_ca())
    except pki.CAExists as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created root CA #{root_id} and issuing CA #{issuing_id} (ECDSA P-256, keys encrypted).")


if __name__ == "__main__":  # pragma: no cover
    main()
