"""`portal billing run --period YYYY-MM`: a month invoiced from the command line, with a
progress bar and a summary."""

from __future__ import annotations

import asyncio
import datetime as dt

from click.testing import CliRunner, Result

from src.billing.tables import Invoice
from src.cli import main
from src.core import clock
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from tests import factories
from tests.subscriptions.support import admin_actor


async def portal(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_a_month_is_invoiced_from_the_command_line(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC))
    monkeypatch.delenv("REDIS_URL", raising=False)
    await seed_catalogue()
    admin = await admin_actor()
    for _ in range(2):
        org = await factories.organisation()
        await ordering.order(
            admin, org["id"], service="webcert", variant="standalone", start=dt.date(2026, 6, 1)
        )
    result = await portal("billing", "run", "--period", "2027-01")
    assert result.exit_code == 0, result.output
    assert "2 organisations, 1 batches" in result.output and "Invoicing" in result.output
    assert "Done: 2 invoices, 239.58 in total" in result.output  # 2 x (99.00 + 21 % VAT)
    assert await Invoice.count() == 2

    again = await portal("billing", "run", "--period", "2027-01")
    assert again.exit_code == 0 and "Done: 0 invoices" in again.output
    early = await portal("billing", "run", "--period", "2027-02")
    assert early.exit_code != 0 and "can be invoiced from" in early.output
