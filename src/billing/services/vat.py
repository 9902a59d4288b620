"""VAT on invoices (EN 16931 categories, UNCL 5305).

The vendor is one legal entity in its country (VENDOR_COUNTRY, default NL). A catalogue item is
standard-rated, exempt or zero-rated. A standard-rated item costs the vendor country's rate for a
customer in that country, and for a customer without a VAT number; a business customer in another
EU country with a VAT number is reverse-charged (category AE, no VAT: the customer accounts for
it). VAT is computed per category and rate on the sum of its lines, rounded half up once
(EN 16931 BR-CO-17), never per line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from src.subscriptions.services import terms


@dataclass(frozen=True)
class Category:
    code: str  # S standard, E exempt, Z zero, AE reverse charge
    basis_points: int


def category(
    tax_category: str, vendor_country: str, customer_country: str, customer_vat_number: str
) -> Category:
    """The rule of src/subscriptions/services/terms.py, which the order's confirmation shows."""
    return Category(*terms.vat_category(tax_category, vendor_country, customer_country, customer_vat_number))


@dataclass(frozen=True)
class Breakdown:
    category: Category
    net_cents: int
    vat_cents: int


def breakdown(lines: Iterable[tuple[Category, int]]) -> list[Breakdown]:
    """Per category and rate: the sum of the lines' net amounts and its VAT, rounded once."""
    sums: dict[Category, int] = {}
    for cat, net in lines:
        sums[cat] = sums.get(cat, 0) + net
    return [
        Breakdown(cat, net, _vat(net, cat.basis_points))
        for cat, net in sorted(sums.items(), key=lambda item: (item[0].code, item[0].basis_points))
    ]


def _vat(net_cents: int, basis_points: int) -> int:
    """Half up, away from zero for credit notes' negative amounts as for positive ones."""
    sign = -1 if net_cents < 0 else 1
    return sign * ((abs(net_cents) * basis_points + 5_000) // 10_000)
