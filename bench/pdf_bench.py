"""The time to render one invoice's PDF (src/billing/services/pdf.py), in one process, no
database: a month's invoice of 3 lines and one of 40 lines, each in Dutch, Swedish and English,
against a reference measured in the same run: WeasyPrint rendering a one-paragraph A4 page.

    uv run python -m bench.pdf_bench [--rounds 5]

The workers render one PDF per finalised invoice (the e-invoice embeds it), so this time, per
worker process, bounds how fast a month's documents follow its billing run. Writes
bench/results/pdf.json."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import platform
import statistics
import time
from typing import Any

from bench.common import ROOT

SETTINGS = {
    "VENDOR_NAME": "Zorgcert B.V.",
    "VENDOR_ADDRESS": "Stationsplein 12;3511 ED Utrecht;Nederland",
    "VENDOR_VAT_NUMBER": "NL123456782B01",
    "VENDOR_CHAMBER_OF_COMMERCE": "12345678",
    "VENDOR_IBAN": "NL91ABNA0417164300",
    "VENDOR_BIC": "ABNANL2A",
}


def invoice(language: str, lines: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = [
        {
            "description": f"Server certificate 2027-{n:04d}",
            "quantity": "1.00",
            "unit_code": "C62",
            "unit_price": "450.00",
            "net_cents": 45000,
            "vat_category": "S",
            "vat_basis_points": 2100,
            "first_day": dt.date(2027, 1, 20),
            "last_day": dt.date(2027, 1, 20),
        }
        for n in range(lines)
    ]
    net = sum(r["net_cents"] for r in rows)
    row = {
        "id": 1,
        "kind": "invoice",
        "status": "final",
        "number": "2027-000001",
        "period": "2027-01",
        "payer_kind": "organisation",
        "customer_name": "Factuur Zorg B.V.",
        "customer_address": "Lindelaan 12\n3581 KD Utrecht",
        "customer_country": "NL",
        "customer_vat_number": "NL123456782B01",
        "language": language,
        "currency": "EUR",
        "net_cents": net,
        "vat_cents": net * 21 // 100,
        "total_cents": net + net * 21 // 100,
        "reverse_charge": False,
        "issued_on": dt.date(2027, 2, 1),
        "due_on": dt.date(2027, 3, 3),
        "reason": "",
    }
    return row, rows


def timed(work: Any, rounds: int) -> tuple[float, float]:
    """The median seconds of one call over `rounds` calls (after one to warm up): wall-clock,
    and the process's CPU time (all its threads; what a shared, busy machine moves least)."""
    work()
    times, cpu = [], []
    for _round in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import os

    os.environ.update(SETTINGS)
    from weasyprint import HTML

    from src.billing.services import pdf

    reference, reference_cpu = timed(lambda: HTML(string="<p>Hello</p>").write_pdf(), args.rounds)
    figures: dict[str, Any] = {}
    for lines in (3, 40):
        for language in ("nl", "sv", "en"):
            row, rows = invoice(language, lines)
            seconds, cpu = timed(lambda row=row, rows=rows: asyncio.run(pdf.render(row, rows)), args.rounds)
            size = len(asyncio.run(pdf.render(row, rows)))
            figures[f"{lines} lines, {language}"] = {
                "ms_per_document": round(seconds * 1000, 1),
                "cpu_ms_per_document": round(cpu * 1000, 1),
                "ratio_to_reference": round(seconds / reference, 2),
                "cpu_ratio_to_reference": round(cpu / reference_cpu, 2),
                "bytes": size,
            }
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.node(),
        "rounds": args.rounds,
        "reference": "WeasyPrint, one paragraph on an A4 page",
        "reference_ms": round(reference * 1000, 1),
        "reference_cpu_ms": round(reference_cpu * 1000, 1),
        "documents": figures,
    }
    out = ROOT / "bench" / "results" / "pdf.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"reference (one paragraph): {report['reference_ms']} ms, CPU {report['reference_cpu_ms']} ms")
    for name, f in figures.items():
        print(
            f"{name:14} {f['ms_per_document']:7.1f} ms ×{f['ratio_to_reference']}"
            f"  CPU {f['cpu_ms_per_document']:7.1f} ms ×{f['cpu_ratio_to_reference']}  {f['bytes']} B"
        )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
