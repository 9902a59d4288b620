"""The vendor as one legal entity (settings VENDOR_*, PAYMENT_TERM_DAYS, INVOICE_REVIEW_DAYS):
checked at start-up, a bad value stopping the portal with the variable named; the demo's vendor
passes every check."""

from __future__ import annotations

import pytest

from src.core.vendor import vendor
from src.demo.people import DEMO_SERVICE_DESK
from src.settings import Settings

VENDOR = {
    "VENDOR_NAME": "Acme Zorg-IT B.V.",
    "VENDOR_ADDRESS": "Keizersgracht 1; 1015 CC Amsterdam; Netherlands",
    "VENDOR_VAT_NUMBER": "nl 8593.27.516.b01",
    "VENDOR_CHAMBER_OF_COMMERCE": "3412 3456",
    "VENDOR_IBAN": "NL91 ABNA 0417 1643 00",
    "VENDOR_BIC": "abnanl2a",
    "PAYMENT_TERM_DAYS": "14",
    "INVOICE_REVIEW_DAYS": "3",
}


def test_the_vendors_details_for_documents() -> None:
    details = vendor(Settings.from_env(VENDOR))
    assert details.name == "Acme Zorg-IT B.V."
    assert details.address_lines == ("Keizersgracht 1", "1015 CC Amsterdam", "Netherlands")
    assert details.country == "NL"
    assert details.vat_number == "NL859327516B01"
    assert details.chamber_of_commerce == "34123456"
    assert details.iban == "NL91ABNA0417164300" and details.iban_display == "NL91 ABNA 0417 1643 00"
    assert details.bic == "ABNANL2A"
    assert details.payment_term_days == 14
    assert details.invoice_review_days == 3 and details.reviews_invoices


def test_without_settings_invoices_are_due_in_30_days_and_final_at_once() -> None:
    details = vendor(Settings.from_env({}))
    assert details.payment_term_days == 30
    assert details.invoice_review_days == 0 and not details.reviews_invoices
    assert details.country == "NL" and details.name == "" and details.address_lines == ()


def test_the_demo_vendor_passes_every_check() -> None:
    details = vendor(Settings.from_env(dict(DEMO_SERVICE_DESK)))
    assert details.name == "Care Portal Services B.V."
    assert details.vat_number and details.iban and details.bic and details.chamber_of_commerce
    assert "Amsterdam" in " ".join(details.address_lines)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VENDOR_IBAN", "NL92ABNA0417164300"),  # check digits off
        ("VENDOR_IBAN", "NL91ABNA041716430"),  # a digit short
        ("VENDOR_BIC", "ABNANL2"),
        ("VENDOR_BIC", "AB1ANL2A"),
        ("VENDOR_VAT_NUMBER", "NL859327517B01"),  # check digit off
        ("VENDOR_VAT_NUMBER", "US123456789"),
        ("VENDOR_CHAMBER_OF_COMMERCE", "1234567"),
        ("PAYMENT_TERM_DAYS", "thirty"),
        ("PAYMENT_TERM_DAYS", "-1"),
        ("INVOICE_REVIEW_DAYS", "1.5"),
        ("INVOICE_REVIEW_DAYS", "400"),
    ],
)
def test_a_bad_vendor_setting_stops_the_portal_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({**VENDOR, variable: value})


def test_a_swedish_vendor_gives_its_organisationsnummer() -> None:
    swedish = {**VENDOR, "VENDOR_COUNTRY": "SE", "VENDOR_VAT_NUMBER": "SE556781234101"}
    assert vendor(Settings.from_env({**swedish, "VENDOR_CHAMBER_OF_COMMERCE": "556781-2341"})).country == "SE"
    with pytest.raises(ValueError, match="VENDOR_CHAMBER_OF_COMMERCE"):
        Settings.from_env({**swedish, "VENDOR_CHAMBER_OF_COMMERCE": "556781-2342"})


def test_third_party_payers_are_buyers_with_their_details_and_unknown_ones_by_name() -> None:
    """Rule BIL-4: the third party that settles a fee is the buyer on its invoice (THIRD_PARTY_PAYERS)."""
    payers = (
        '{"VZVZ": {"name": "VZVZ Servicecentrum B.V.", "address": "Postbus 1234; 2501 AA Den Haag",'
        ' "registration": "2718 0321", "vat_number": "nl 0000.99998.b57", "peppol_id": "0106:27180321"}}'
    )
    settings = Settings.from_env({"THIRD_PARTY_PAYERS": payers})
    payer = settings.third_party_payer("vzvz")
    assert payer.name == "VZVZ Servicecentrum B.V."
    assert payer.address == ("Postbus 1234", "2501 AA Den Haag")
    assert payer.country == "NL"
    assert (payer.registration, payer.vat_number, payer.peppol_id) == (
        "27180321",
        "NL000099998B57",
        "0106:27180321",
    )
    unknown = settings.third_party_payer("Zorgverzekeraar X")
    assert (unknown.name, unknown.country, unknown.registration) == ("Zorgverzekeraar X", "NL", "")


def test_a_third_party_payer_with_a_bad_vat_number_stops_the_portal() -> None:
    with pytest.raises(ValueError, match="THIRD_PARTY_PAYERS VZVZ"):
        Settings.from_env({"THIRD_PARTY_PAYERS": '{"VZVZ": {"vat_number": "NL000099998B58"}}'})
