"""Reading camt.053 bank statements: what a vendor admin uploads becomes payments received."""

from __future__ import annotations

import datetime as dt

import pytest

from src.billing.services import camt
from src.core.errors import InputError
from tests.billing.camt_samples import V02, V08, VENDOR_IBAN, entry, statement, transaction

RF = "RF18539007547034"


@pytest.mark.parametrize("version", [V02, V08])
def test_a_credit_transfer_is_read_with_its_structured_reference_payer_and_booking_date(version):
    data = statement(
        [
            entry(
                "1210.00",
                [transaction(reference=RF, name="Zorggroep Noord B.V.", version=version)],
                version=version,
            )
        ],
        version=version,
    )
    parsed = camt.parse(data)
    assert parsed.iban == VENDOR_IBAN
    assert parsed.identity == "STMT-2027-03-05"
    [credit] = parsed.credits
    assert credit.amount_cents == 121000
    assert credit.currency == "EUR"
    assert credit.reference == RF
    assert credit.booked_on == dt.date(2027, 3, 5)
    assert credit.payer_name == "Zorggroep Noord B.V."
    assert credit.payer_iban == "NL02RABO0123456789"


def test_debits_and_entries_not_yet_booked_are_left_out():
    data = statement(
        [
            entry("50.00", [transaction(reference=RF)], credit=False),
            entry("60.00", [transaction(reference=RF)], status="PDNG"),
            entry("70.00", [transaction(reference=RF)]),
        ]
    )
    assert [c.amount_cents for c in camt.parse(data).credits] == [7000]


def test_an_rf_reference_typed_in_the_free_text_is_found_even_with_spaces():
    data = statement([entry("10.00", [transaction(text="Factuur 2027-000001 rf18 5390 0754 7034 dank")])])
    [credit] = camt.parse(data).credits
    assert credit.reference == RF
    assert "2027-000001" in credit.text


def test_a_payment_without_any_reference_is_read_for_matching_by_hand():
    [credit] = camt.parse(statement([entry("10.00", [transaction(text="betaling")])])).credits
    assert credit.reference is None
    assert credit.text == "betaling"


def test_a_batch_booking_gives_one_payment_per_transaction_with_its_own_amount():
    data = statement(
        [
            entry(
                "300.00",
                [
                    transaction(amount="100.00", reference=RF, bank_ref="TX-1"),
                    transaction(amount="200.00", reference="RF712348231", bank_ref="TX-2"),
                ],
                bank_ref="NTRY-9",
            )
        ]
    )
    credits = camt.parse(data).credits
    assert [(c.amount_cents, c.reference) for c in credits] == [(10000, RF), (20000, "RF712348231")]
    assert len({c.key for c in credits}) == 2


def test_the_same_statement_read_twice_gives_the_same_keys_and_different_entries_different_keys():
    entries = [entry("10.00", [transaction(reference=RF)]), entry("10.00", [transaction(reference=RF)])]
    first = [c.key for c in camt.parse(statement(entries)).credits]
    again = [c.key for c in camt.parse(statement(entries)).credits]
    assert first == again
    assert len(set(first)) == 2
    other_day = [c.key for c in camt.parse(statement(entries, identity="STMT-2027-03-06")).credits]
    assert not set(other_day) & set(first)


def test_the_banks_own_reference_identifies_a_payment_across_statements():
    one = camt.parse(statement([entry("10.00", [transaction(reference=RF)], bank_ref="B-77")]))
    same_in_a_later_export = camt.parse(
        statement([entry("10.00", [transaction(reference=RF)], bank_ref="B-77")], identity="STMT-OTHER")
    )
    assert one.credits[0].key == same_in_a_later_export.credits[0].key


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"not xml at all", "readable XML"),
        (b'<?xml version="1.0"?><Invoice xmlns="urn:x"/>', "camt.053"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&x;'
            b"</BkToCstmrStmt></Document>",
            "readable XML",
        ),
        (statement([entry("ten", [transaction(reference=RF)])]), "no amount"),
        (b"<Document>" + b"x" * (camt.MAX_BYTES + 1) + b"</Document>", "5 MB"),
    ],
    ids=["empty", "not-xml", "other-document", "external-entity", "bad-amount", "too-large"],
)
def test_a_file_that_is_not_a_statement_is_refused_with_the_reason(data, says):
    with pytest.raises(InputError) as refused:
        camt.parse(data)
    assert says in refused.value.errors["statement"]


def test_a_typed_reference_with_a_wrong_check_digit_is_not_taken_for_one():
    [credit] = camt.parse(statement([entry("10.00", [transaction(text="RF19 5390 0754 7034")])])).credits
    assert credit.reference is None
