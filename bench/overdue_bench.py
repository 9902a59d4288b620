"""The overdue ageing and days sales outstanding (`/admin/billing/overdue`, services/overdue.py)
over 1,000 and 10,000 final invoices on PostgreSQL, with payments on half of them and credit
notes on one in twenty, due dates spread over 180 days.

    uv run python -m bench.overdue_bench --database-url postgresql://postgres@127.0.0.1:5432/bench

Measured in one run: the time of the ageing (median of 15, after 3 unmeasured), the number of
queries it sends (the same at every size: it is summed in SQL), and as the reference the time
of merely reading the rows a computation in Python would need (every invoice, payment and
credit note, through piccolo) at the same size. The tables are analysed after each load (as
autovacuum does soon after; just after a bulk load, without statistics, PostgreSQL plans the
joins as nested loops and takes seconds). The database (`<database>_overdue`) is made
anew; the second size adds invoices to the first. Writes bench/results/overdue-postgresql.json."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from bench.billing_bench import _database, _fresh_database
from bench.common import ROOT, bench_environment, use_environment

AS_OF = dt.date(2027, 6, 30)
ORGANISATIONS = 100


async def _timed(work: Callable[[], Awaitable[Any]], rounds: int = 15) -> float:
    for _warm in range(3):
        await work()
    times = []
    for _round in range(rounds):
        start = time.perf_counter()
        await work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def _seed(start: int, count: int, organisations: list[int]) -> None:
    from src.billing.tables import Invoice, Payment

    invoices = []
    for n in range(start, start + count):
        due = AS_OF - dt.timedelta(days=n % 180 - 30)
        invoices.append(
            Invoice(
                organisation=organisations[n % len(organisations)],
                kind="invoice",
                status="final",
                number=f"B-{n:07d}",
                period="2027-01",
                payer_kind="third_party" if n % 7 == 0 else "organisation",
                payer_name="VZVZ" if n % 7 == 0 else "",
                total_cents=10_000 + (n * 37) % 90_000,
                issued_on=due - dt.timedelta(days=30),
                due_on=due,
            )
        )
    rows = []
    for chunk in range(0, len(invoices), 1000):
        rows += await Invoice.insert(*invoices[chunk : chunk + 1000]).returning(
            Invoice.id, Invoice.organisation, Invoice.total_cents, Invoice.due_on
        )
    payments = [
        Payment(
            organisation=r["organisation"],
            invoice=r["id"],
            amount_cents=r["total_cents"] // (1 + i % 3),
            paid_on=r["due_on"] + dt.timedelta(days=i % 20),
        )
        for i, r in enumerate(rows)
        if i % 2 == 0
    ]
    notes = [
        Invoice(
            organisation=r["organisation"],
            kind="credit_note",
            status="final",
            number=f"BC-{start + i:07d}",
            period="2027-01",
            total_cents=r["total_cents"] // 4,
            issued_on=r["due_on"],
            due_on=r["due_on"],
            credits=r["id"],
        )
        for i, r in enumerate(rows)
        if i % 20 == 1
    ]
    for chunk in range(0, len(payments), 1000):
        await Payment.insert(*payments[chunk : chunk + 1000])
    if notes:
        await Invoice.insert(*notes)


async def _measure(sizes: list[int]) -> dict[str, Any]:
    from src import domains  # noqa: F401 - the tables of every domain
    from src.billing.services import overdue
    from src.billing.tables import Invoice, Payment
    from src.cli import migrate_all
    from src.core.tenancy import Actor
    from src.tenants.tables import Organisation

    await migrate_all()
    await Invoice._meta.db.start_connection_pool()
    engine: Any = Invoice._meta.db
    sent = [0]
    run_querystring = engine.run_querystring

    async def counted(*args: Any, **kwargs: Any) -> Any:
        sent[0] += 1
        return await run_querystring(*args, **kwargs)

    admin = Actor(person_id=0, name="bench", is_vendor_admin=True)
    organisations = []
    for n in range(ORGANISATIONS):
        row = await Organisation.insert(
            Organisation(name=f"Bench Zorg {n} B.V.", country="NL", kvk_number=f"{90000000 + n}")
        ).returning(Organisation.id)
        organisations.append(row[0]["id"])

    async def read_everything() -> None:
        await Invoice.select(*Invoice.all_columns()).where(Invoice.status == "final")
        await Payment.select(*Payment.all_columns())

    results: dict[str, Any] = {}
    seeded = 0
    for size in sorted(sizes):
        await _seed(seeded, size - seeded, organisations)
        seeded = size
        await Invoice.raw("ANALYZE")  # the statistics autovacuum gathers soon after a load
        sent[0] = 0
        engine.run_querystring = counted
        found = await overdue.ageing(admin, AS_OF)
        engine.run_querystring = run_querystring
        queries = sent[0]
        ms = await _timed(lambda: overdue.ageing(admin, AS_OF))
        reference = await _timed(read_everything)
        results[str(size)] = {
            "ageing_ms": round(ms, 2),
            "queries": queries,
            "reading_the_rows_ms": round(reference, 2),
            "ratio_to_reference": round(reference / ms, 3),
            "overdue_cents": found["buckets"]["total"]["total_cents"],
            "dso_days": float(found["dso_days"]) if found["dso_days"] is not None else None,
        }
        print(
            f"{size:6d} invoices: ageing {ms:7.1f} ms in {queries} queries; reading the rows "
            f"{reference:7.1f} ms (ratio {reference / ms:.2f})",
            flush=True,
        )
    await Invoice._meta.db.close_connection_pool()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    options = parser.parse_args()
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--database-url postgresql://... is needed: the ageing is measured on PostgreSQL")
    url = _database(options.database_url, f"{urlsplit(options.database_url).path.lstrip('/')}_overdue")
    asyncio.run(_fresh_database(url))
    use_environment(bench_environment(url, LOG_LEVEL="WARNING"))
    results = asyncio.run(_measure(options.sizes))
    out = ROOT / "bench" / "results" / "overdue-postgresql.json"
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": "postgresql",
        "as_of": AS_OF.isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
