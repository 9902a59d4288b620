"""The contact person's users page and the vendor admins' organisations list under load, against
the bare /health route of the same server in the same run, on a large data set.

    uv run python -m bench.pages_bench --database-url postgresql://... [--redis-url redis://...]
        [--organisations 10000] [--people 200000] [--seconds 5] [--concurrency 32]

Generates the data (organisations, people, memberships), signs a contact person and a vendor
admin in through a local OpenID provider, drives each page with `hey`, and writes
bench/results/pages-<database>.json. Goal: each page at least 10% of the bare route's
requests/s on PostgreSQL, p99 under 50 ms at 32 connections."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.common import (
    Load,
    bench_environment,
    free_port,
    hey,
    portal_server,
    use_environment,
    warm_up,
    write_report,
)

EID_CLAIM = "personal_identity_number"
ADMIN_EMAIL = "bench@example.org"
# The identifiers of the two people the load signs in as: the first contact person, the admin.
SIGNED_IN = {"contact": "900000000", "admin": "800000001"}
REFERENCE = "GET /health (reference)"
# What is measured: label -> (path, who asks for it: "contact", "admin" or "" for nobody).
PAGES = {
    REFERENCE: ("/health", ""),
    "GET /organisation/users (contact person)": ("/organisation/users", "contact"),
    "GET /admin/organisations (vendor admin)": ("/admin/organisations", "admin"),
    "GET /admin/organisations?q=0424 (search)": ("/admin/organisations?q=0424", "admin"),
}
BATCH = 2000


async def generate(organisations: int, people: int) -> dict[str, str]:
    """The data set; returns the identifiers of the two people the load signs in as."""
    from src.cli import migrate_all
    from src.tenants.tables import Membership, Organisation, Person

    await migrate_all()
    started = time.monotonic()
    orgs = [
        Organisation(
            name=f"Zorgorganisatie {i:05d} B.V.",
            country="NL",
            legal_form="bv",
            kvk_number=f"{10000000 + i:08d}",
            agb_code=f"{20000000 + i:08d}",
            billing_address="Postbus 1\n1000 AA Amsterdam",
            postal_address="Postbus 1\n1000 AA Amsterdam",
        )
        for i in range(organisations)
    ]
    org_ids: list[int] = []
    for start in range(0, len(orgs), BATCH):
        rows = await Organisation.insert(*orgs[start : start + BATCH]).returning(Organisation.id)
        org_ids += [r["id"] for r in rows]
    per_org = max(1, people // organisations)
    for start in range(0, people, BATCH):
        batch = range(start, min(start + BATCH, people))
        persons = await Person.insert(
            *[
                Person(
                    name=f"Medewerker {n:06d}",
                    email=f"m{n}@example.org",
                    personal_identity_number=f"9{n:08d}",
                )
                for n in batch
            ]
        ).returning(Person.id)
        await Membership.insert(
            *[
                Membership(
                    organisation=org_ids[(n // per_org) % len(org_ids)],
                    person=p["id"],
                    name=f"Medewerker {n:06d}",
                    email=f"m{n}@zorg{(n // per_org) % len(org_ids)}.example",
                    role="contact_person" if n % per_org == 0 else "end_user",
                )
                for n, p in zip(batch, persons, strict=True)
            ]
        )
    admin = Person(
        name="Bench Admin",
        email=ADMIN_EMAIL,
        personal_identity_number=SIGNED_IN["admin"],
        is_vendor_admin=True,
    )
    await Person.insert(admin)
    if os.environ.get("DATABASE_URL"):
        # What autovacuum does soon after a bulk load: statistics for the planner, and the trigram
        # indexes' pending entries merged (until then the planner rightly prefers a full scan).
        await Organisation.raw("VACUUM ANALYZE")
    print(
        f"generated {organisations} organisations and {people} people in {time.monotonic() - started:.0f} s"
    )
    return dict(SIGNED_IN)


def start_provider() -> tuple[str, list[dict[str, Any]]]:
    import oidc_provider_mock
    import werkzeug.serving

    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    server = werkzeug.serving.make_server(
        "127.0.0.1", port, oidc_provider_mock.app(require_nonce=True), threaded=True
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    common = {"issuer": issuer, "client_secret": "bench", "kind": "eid", "claim": EID_CLAIM}
    providers = [
        {"name": "eid", "label": "e-ID", "client_id": "bench-eid", **common},
        {"name": "staff", "label": "Staff", "client_id": "bench-staff", "staff": True, **common},
    ]
    return issuer, providers


def sign_in(base: str, issuer: str, provider: str, identifier: str) -> str:
    """The session cookie of a person signed in through the provider's real flow."""
    sub = f"bench-{identifier}"
    httpx.put(f"{issuer}/users/{sub}", json={EID_CLAIM: identifier}, timeout=10).raise_for_status()
    with httpx.Client(base_url=base, timeout=10) as portal:
        start = portal.get(f"/signin/{provider}")
        answer = httpx.post(start.headers["location"], data={"sub": sub}, timeout=10)
        back = urlsplit(answer.headers["location"])
        done = portal.get(f"{back.path}?{back.query}")
        if done.status_code not in (302, 303):
            raise SystemExit(f"sign-in of {identifier} failed: {done.status_code}")
        # The first page sets the CSRF cookie; a browser sends it back with every later page.
        portal.get(done.headers["location"])
        return "; ".join(f"{name}={portal.cookies[name]}" for name in ("portal_session", "portal_csrf"))


def measure(
    env: dict[str, str], issuer: str, who: dict[str, str], seconds: int, concurrency: int
) -> dict[str, Load]:
    with portal_server(env) as base:
        contact = {"Cookie": sign_in(base, issuer, "eid", who["contact"])}
        admin = {"Cookie": sign_in(base, issuer, "staff", who["admin"])}
        sent_by = {"": {}, "contact": contact, "admin": admin}
        pages = {label: (f"{base}{path}", sent_by[asker]) for label, (path, asker) in PAGES.items()}
        # Steady state: every page once under load first (templates compiled, each pooled
        # connection has prepared its statements), as in a portal that has been up a while.
        for url, headers in pages.values():
            warm_up(url, concurrency, headers)
        return {label: hey(url, seconds, concurrency, headers) for label, (url, headers) in pages.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="sessions and rate limits in Redis, as in production (else in files and memory)",
    )
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args()

    issuer, providers = start_provider()
    env = bench_environment(options.database_url, OIDC_PROVIDERS=json.dumps(providers))
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
    use_environment(env)
    who = asyncio.run(generate(options.organisations, options.people))

    # One web process, and the production shape: one per core behind the same port.
    cores = os.cpu_count() or 1
    for name, processes in (("pages-one-process", 1), ("pages", cores)):
        loads = measure(
            {**env, "WEB_CONCURRENCY": str(processes)}, issuer, who, options.seconds, options.concurrency
        )
        print(f"-- {processes} web process(es), sessions in {'Redis' if options.redis_url else 'files'}")
        write_report(
            name,
            options.database_url,
            loads,
            REFERENCE,
            web_processes=processes,
            sessions="redis" if options.redis_url else "files",
            organisations=options.organisations,
            people=options.people,
            concurrency=options.concurrency,
            seconds=options.seconds,
            goal="each page >= 0.10 of the reference requests/s, p99 < 50 ms",
        )


if __name__ == "__main__":
    main()
