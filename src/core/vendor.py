"""The vendor as one legal entity, as invoices and other documents name it (settings VENDOR_*,
PAYMENT_TERM_DAYS, INVOICE_REVIEW_DAYS; checked at start-up in src/settings.py). Read-only."""

from __future__ import annotations

from dataclasses import dataclass

from src.settings import Settings, get_settings


@dataclass(frozen=True)
class Vendor:
    name: str
    address_lines: tuple[str, ...]
    country: str  # ISO 3166 code
    vat_number: str  # compact, with its country prefix ("NL100000009B01"); "" when not set
    chamber_of_commerce: str  # KvK number (a Swedish vendor: its organisationsnummer)
    iban: str  # compact
    bic: str
    payment_term_days: int
    invoice_review_days: int  # 0: invoices are final at once

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of four, as people read it on paper (NL91 ABNA 0417 1643 00)."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    @property
    def reviews_invoices(self) -> bool:
        return self.invoice_review_days > 0


def vendor(settings: Settings | None = None) -> Vendor:
    """The vendor's details from the settings in force (or the ones given)."""
    s = settings or get_settings()
    return Vendor(
        name=s.vendor_name,
        address_lines=s.vendor_address,
        country=s.vendor_country,
        vat_number=s.vendor_vat_number,
        chamber_of_commerce=s.vendor_chamber_of_commerce,
        iban=s.vendor_iban,
        bic=s.vendor_bic,
        payment_term_days=s.payment_term_days,
        invoice_review_days=s.invoice_review_days,
    )
