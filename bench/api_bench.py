"""Throughput of the JSON API against the bare /health route of the same server process,
measured in one run (ratios, not absolute numbers, are what we compare).

    uv run python -m bench.api_bench [--database-url postgresql://...] [--seconds 5]

Needs `hey` (Debian package). Writes bench/results/api-<database>.json."""

from __future__ import annotations

import argparse
import asyncio
import os

from bench.common import bench_environment, hey, portal_server, use_environment, warm_up, write_report


async def seed(organisations: int) -> tuple[str, str]:
    """The data set; a vendor admin's API token and a connected service's (Webcert) token."""
    from src import domains  # noqa: F401 - the tenants domain answers what identity asks of it
    from src.cli import migrate_all
    from src.connected.services import COMMAND_LINE, create_client
    from src.identity.auth import build_actor
    from src.identity.services import create_token
    from src.subscriptions.catalogue import seed_catalogue
    from src.tenants.services import legacy_terms
    from src.tenants.tables import Membership, Organisation, Person

    await migrate_all()
    bench_admin = Person(name="Bench Admin", email="bench@example.org", is_vendor_admin=True)
    admin = (await Person.insert(bench_admin).returning(Person.id))[0]
    rows = [
        Organisation(
            name=f"Zorgorganisatie {i:05d} B.V.",
            country="NL",
            legal_form="bv",
            kvk_number=f"{10000000 + i:08d}",
            billing_address="Postbus 1\n1000 AA Amsterdam",
            postal_address="Postbus 1\n1000 AA Amsterdam",
        )
        for i in range(organisations)
    ]
    for start in range(0, len(rows), 500):
        await Organisation.insert(*rows[start : start + 500])
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "bench")
    # A connected service asks about a user of organisation 42, whose legacy terms end (the
    # question reads the most then: agreement and subscription too).
    await seed_catalogue()
    await legacy_terms.announce_legacy_end(actor, service_code="webcert", notice_months=6)
    org = (
        await Organisation.select(Organisation.id).where(Organisation.kvk_number == f"{10000042:08d}").first()
    )
    user = Person(name="Bench Gebruiker", email="user@bench.example", card_id="BENCH-CARD-42")
    person = (await Person.insert(user).returning(Person.id))[0]
    assert org is not None
    await Membership.insert(
        Membership(
            organisation=org["id"], person=person["id"], name="Bench Gebruiker", email="user@bench.example"
        )
    )
    _client, service_token = await create_client(COMMAND_LINE, "webcert", "bench")
    return secret, service_token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--organisations", type=int, default=1000)
    options = parser.parse_args()

    env = bench_environment(options.database_url)
    use_environment(env)
    token, service_token = asyncio.run(seed(options.organisations))
    auth = {"Authorization": f"Bearer {token}"}
    entitlements = "/api/v1/services/webcert/entitlements?identifier_kind=card_id&identifier=BENCH-CARD-42"
    with portal_server(env) as base:
        warm_up(f"{base}/health", options.concurrency)
        loads = {
            "GET /health (reference)": hey(f"{base}/health", options.seconds, options.concurrency),
            "GET /api/v1/me": hey(f"{base}/api/v1/me", options.seconds, options.concurrency, auth),
            "GET /api/v1/organisations?page=3": hey(
                f"{base}/api/v1/organisations?page=3", options.seconds, options.concurrency, auth
            ),
            "GET /api/v1/organisations?q=00042": hey(
                f"{base}/api/v1/organisations?q=00042", options.seconds, options.concurrency, auth
            ),
            "GET /api/v1/services/webcert/entitlements (a connected service)": hey(
                f"{base}{entitlements}&organisation=10000042",
                options.seconds,
                options.concurrency,
                {"Authorization": f"Bearer {service_token}"},
            ),
        }
    write_report(
        "api",
        options.database_url,
        loads,
        "GET /health (reference)",
        organisations=options.organisations,
        concurrency=options.concurrency,
        seconds=options.seconds,
    )


if __name__ == "__main__":
    main()
