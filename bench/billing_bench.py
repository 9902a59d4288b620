# ruff: noqa: S603, S607  (a benchmark starts the portal's own commands and valgrind)
"""A month's billing run for 1,000 and for 10,000 organisations with three subscriptions each, on
PostgreSQL, documents (PDF, UBL) excluded: the run ends when every invoice is made and finalised.

    uv run python -m bench.billing_bench --database-url postgresql://postgres@127.0.0.1:5432/bench \
        --redis-url redis://127.0.0.1:6379/9 [--sizes 1000 10000]

Measured in one run, each against the other:
- time per invoice at each size, the run done by one process (`portal billing run` without Redis:
  the command invoices the batches itself); the largest size against the smallest is the scaling
  ratio (goal: at most 1.1, the run is linear);
- the largest size by `portal worker` processes through Redis: one, then two (goal: two take at
  most 0.6 of the time of one);
- instructions per invoice (callgrind) for one batch of 100 organisations at each size: the figure
  that does not move with the machine's load.

Each size gets a database of its own (`<database>_<size>`, made anew). The time of a run is the
database's own (`finished_at - started_at` of the run row). Writes bench/results/billing-postgresql.json."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import ROOT, bench_environment, use_environment

PERIOD = "2026-11"  # a month that has ended; the subscriptions start before it
SUBSCRIPTIONS = (("webcert", "standalone", 1), ("business_internet", "fibre", 1), ("cloud_server", "user", 3))
COUNTED_BATCH = 100


def _database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _fresh_database(url: str) -> None:
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(_database(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _vacuum(url: str) -> None:
    """What autovacuum does soon after a bulk load: the planner's statistics and a visibility map,
    so a run is not measured against a table autovacuum is still working through."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# --- in a child process: seeding, resetting, counting ------------------------------------------


async def _seed(size: int) -> None:
    from src import domains  # noqa: F401 - the tables of every domain
    from src.cli import migrate_all
    from src.subscriptions.catalogue import seed_catalogue
    from src.subscriptions.tables import Service, ServiceVariant, Subscription
    from src.tenants.tables import Organisation

    await migrate_all()
    await seed_catalogue()
    chosen = []
    for service_code, variant_code, quantity in SUBSCRIPTIONS:
        service = await Service.select(Service.id).where(Service.code == service_code).first()
        if service is None:
            raise SystemExit(f"the catalogue has no {service_code}")
        query = ServiceVariant.select(ServiceVariant.id, ServiceVariant.monthly_price_cents).where(
            ServiceVariant.service == service["id"]
        )
        if variant_code:
            query = query.where(ServiceVariant.code == variant_code)
        variant = await query.order_by(ServiceVariant.position).first()
        if variant is None:
            raise SystemExit(f"the catalogue has no variant {variant_code} of {service_code}")
        chosen.append((int(service["id"]), int(variant["id"]), int(variant["monthly_price_cents"]), quantity))
    step = 200  # rows per INSERT: PostgreSQL takes at most 32,767 arguments a query
    for start in range(0, size, step):
        rows = await Organisation.insert(
            *[
                Organisation(
                    name=f"Zorg {i:05d} B.V.",
                    country="NL",
                    legal_form="bv",
                    kvk_number=f"{10000000 + i}",
                    postal_address=f"Zorg {i:05d} B.V.\nLindelaan {i % 200 + 1}\n3581 KD Utrecht",
                )
                for i in range(start, min(size, start + step))
            ]
        ).returning(Organisation.id)
        subscriptions = []
        for n, row in enumerate(rows):
            for service_id, variant_id, price, quantity in chosen:
                subscriptions.append(
                    Subscription(
                        organisation=row["id"],
                        service=service_id,
                        variant=variant_id,
                        quantity=quantity,
                        status="active",
                        # a third start within the month: part of it at a day price
                        starts_on=dt.date(2026, 11, 10) if (start + n) % 3 == 0 else dt.date(2026, 6, 1),
                        price_cents=price,
                    )
                )
        await Subscription.insert(*subscriptions)


async def _reset() -> None:
    """No invoices, runs, numbers or queued work: the month can be invoiced again from scratch."""
    from src.tenants.tables import Organisation

    for table in (
        "invoice_line",
        "invoice",
        "billing_batch",
        "billing_run",
        "number_series",
        "outbox_message",
    ):
        await Organisation.raw(f"DELETE FROM {table}")  # noqa: S608 - fixed names


def _callgrind(switch: str) -> None:
    control = subprocess.Popen(
        ["callgrind_control", "--instr=" + switch, str(os.getpid())], stdout=subprocess.DEVNULL
    )
    while control.poll() is None:
        sum(range(1000))
    if control.returncode != 0:
        raise SystemExit("callgrind_control failed: is this process running under callgrind?")


async def _count() -> None:
    """Invoice and finalise the first organisations of the month twice over: warm, then counted
    (on a month made new again), so the count holds one invoice's work at this size."""
    from src import domains  # noqa: F401
    from src.billing import repository
    from src.billing.services import runs

    for counted in (False, True):
        await _reset()
        run = await runs.start(runs.BILLING, PERIOD, batch_size=COUNTED_BATCH)
        organisations = (await repository.batch(run["id"], 0))["organisations"]
        if isinstance(organisations, str):
            organisations = json.loads(organisations)
        if counted:
            _callgrind("on")
        await runs.run_batch(int(run["id"]), 0)
        if counted:
            _callgrind("off")
        print(json.dumps({"counted_invoices": len(organisations)}))
    await _reset()


def _child(action: str, env: dict[str, str], *extra: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench.billing_bench", f"--{action}", *extra], cwd=ROOT, env=env, check=True
    )


async def _run_row() -> dict[str, Any]:
    from src import domains  # noqa: F401
    from src.tenants.tables import Organisation

    rows = await Organisation.raw(
        "SELECT r.id, r.status, r.organisations, EXTRACT(EPOCH FROM r.finished_at - r.started_at) AS seconds,"
        " (SELECT count(*) FROM invoice i WHERE i.billing_run = r.id AND i.status = 'final') AS invoices"
        " FROM billing_run r ORDER BY r.id DESC LIMIT 1"
    )
    return dict(rows[0])


def _last_run(env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.billing_bench", "--last-run"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- in the bench process ----------------------------------------------------------------------


def run_in_process(env: dict[str, str]) -> dict[str, Any]:
    _child("reset", env)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "src.cli", "billing", "run", "--period", PERIOD],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.monotonic() - started
    return {**_last_run(env), "wall_seconds": round(wall, 2)}


def run_on_workers(env: dict[str, str], redis_url: str, processes: int) -> dict[str, Any]:
    _child("reset", env)
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)
    worker_env = {**env, "REDIS_URL": redis_url}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "src.cli", "worker", "--no-scheduler", "--threads", "1"],
            cwd=ROOT,
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(processes)
    ]
    try:
        time.sleep(3)  # the workers connect to Redis before the run is handed out
        subprocess.run(
            [sys.executable, "-m", "src.cli", "billing", "run", "--period", PERIOD],
            cwd=ROOT,
            env=worker_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(30)
    return _last_run(env)


def instructions_per_invoice(env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={Path(work) / 'callgrind.out'}",
                sys.executable,
                "-m",
                "bench.billing_bench",
                "--count",
            ],
            cwd=ROOT,
            env={**env, "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"counting failed:\n{done.stderr[-3000:]}")
    invoices = json.loads(done.stdout.strip().splitlines()[-1])["counted_invoices"]
    return int(found.group(1)) / invoices


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--workers-only",
        action="store_true",
        help="measure only one and two worker processes again, on the largest size's database of an "
        "earlier run (kept), and update that run's results",
    )
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reset", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--last-run", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.seed or options.reset or options.count or options.last_run:  # a child process
        use_environment(dict(os.environ))
        if options.seed:
            asyncio.run(_seed(options.seed))
        elif options.reset:
            asyncio.run(_reset())
        elif options.count:
            asyncio.run(_count())
        else:
            print(json.dumps(asyncio.run(_run_row()), default=float))
        return

    if not options.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--database-url postgresql://... is needed: the run is measured on PostgreSQL")
    if not options.redis_url:
        raise SystemExit("--redis-url redis://... is needed: the workers share the run through Redis")
    sizes = sorted(options.sizes)
    out = ROOT / "bench" / "results" / "billing-postgresql.json"
    if options.workers_only:
        report = json.loads(out.read_text())
        size = max(int(s) for s in report["sizes"])
        url = _database(options.database_url, f"{urlsplit(options.database_url).path.lstrip('/')}_{size}")
        env = bench_environment(url, LOG_LEVEL="WARNING")
        print(f"{size}: one worker process, then two ...", flush=True)
        workers = {str(n): run_on_workers(env, options.redis_url, n) for n in (1, 2)}
        _write(out, report["sizes"], workers)
        return
    results: dict[str, Any] = {}
    envs: dict[int, dict[str, str]] = {}
    for size in sizes:
        url = _database(options.database_url, f"{urlsplit(options.database_url).path.lstrip('/')}_{size}")
        asyncio.run(_fresh_database(url))
        env = bench_environment(url, LOG_LEVEL="WARNING")
        envs[size] = env
        print(f"seeding {size} organisations ...", flush=True)
        _child("seed", env, str(size))
        asyncio.run(_vacuum(url))
        # A portal in use has invoiced before: its planner statistics know the invoice tables. On a
        # database that never held an invoice they say "empty", and PostgreSQL scans the growing
        # table until autovacuum analyses it. So the month is invoiced once unmeasured, analysed
        # while full, and then measured (the run starts from no invoices again).
        print(f"{size}: a first run, unmeasured ...", flush=True)
        run_in_process(env)
        asyncio.run(_vacuum(url))
        print(f"{size}: one process ...", flush=True)
        run = run_in_process(env)
        print(f"{size}: instructions ...", flush=True)
        instructions = instructions_per_invoice(env)
        results[str(size)] = {
            "one_process": {
                **run,
                "ms_per_invoice": round(1000 * float(run["seconds"]) / int(run["invoices"]), 3),
            },
            "instructions_per_invoice": round(instructions),
        }
        print(json.dumps(results[str(size)], default=float), flush=True)
    largest = envs[sizes[-1]]
    print(f"{sizes[-1]}: one worker process, then two ...", flush=True)
    workers = {str(n): run_on_workers(largest, options.redis_url, n) for n in (1, 2)}
    _write(out, results, workers)


def _write(out: Path, results: dict[str, Any], workers: dict[str, Any]) -> None:
    keys = sorted(results, key=int)
    small, large = results[keys[0]], results[keys[-1]]
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": "postgresql",
        "what": "a month's billing run, documents excluded; time from the run row, instructions by callgrind",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "sizes": results,
        "workers": workers,
        "ratios": {
            "time_per_invoice_largest_to_smallest": round(
                large["one_process"]["ms_per_invoice"] / small["one_process"]["ms_per_invoice"], 3
            ),
            "instructions_per_invoice_largest_to_smallest": round(
                large["instructions_per_invoice"] / small["instructions_per_invoice"], 3
            ),
            "two_workers_to_one": round(float(workers["2"]["seconds"]) / float(workers["1"]["seconds"]), 3),
        },
        "invoices_per_second": {
            "one_process": round(
                int(large["one_process"]["invoices"]) / float(large["one_process"]["seconds"]), 1
            ),
            "two_workers": round(int(workers["2"]["invoices"]) / float(workers["2"]["seconds"]), 1),
        },
    }
    out.write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(json.dumps(report["ratios"], indent=2))
    print(json.dumps(report["invoices_per_second"], indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
