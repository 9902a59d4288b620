"""Identifiers checked the way their registers define them (unit tests, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from src.tenants import validation

TODAY = dt.date(2026, 11, 24)


# --- Luhn (the check digit of Swedish numbers) ----------------------------------------------


@pytest.mark.parametrize("digits", ["5560125790", "2120000142", "8112189876", "7010632391", "0"])
def test_numbers_with_a_correct_luhn_check_digit_pass(digits):
    assert validation.luhn_ok(digits)


@pytest.mark.parametrize("digits", ["5560125791", "2120000143", "8112189875", "1"])
def test_a_wrong_luhn_check_digit_fails(digits):
    assert not validation.luhn_ok(digits)


def test_luhn_catches_two_swapped_neighbouring_digits():
    assert validation.luhn_ok("5560125790")
    assert not validation.luhn_ok("5506125790")


# --- KvK number and AGB code --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12345678", "1234 5678", "1234-5678", " 12345678 "])
def test_a_kvk_number_is_8_digits_written_with_or_without_separators(value):
    assert validation.kvk_number(value) == "12345678"


@pytest.mark.parametrize("value", ["", "1234567", "123456789", "1234567a", "kvk12345678"])
def test_a_kvk_number_that_is_not_8_digits_is_refused_with_a_message(value):
    with pytest.raises(ValueError, match="8 digits"):
        validation.kvk_number(value)


@pytest.mark.parametrize("value", ["01234567", "0123 4567"])
def test_an_agb_code_is_8_digits_and_keeps_leading_zeros(value):
    assert validation.agb_code(value) == "01234567"


@pytest.mark.parametrize("value", ["1234567", "123456789", "ABCDEFGH"])
def test_an_agb_code_that_is_not_8_digits_is_refused(value):
    with pytest.raises(ValueError, match="8 digits"):
        validation.agb_code(value)


# --- BSN -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["111222333", "123456782", "1112.22.333"])
def test_a_bsn_passing_the_eleven_test_is_accepted(value):
    assert len(validation.bsn(value)) == 9


def test_a_bsn_failing_the_eleven_test_is_refused_as_a_typing_error():
    with pytest.raises(ValueError, match="eleven test"):
        validation.bsn("123456789")


@pytest.mark.parametrize("value", ["12345678", "1234567890", "12345678x"])
def test_a_bsn_is_9_digits(value):
    with pytest.raises(ValueError, match="9 digits"):
        validation.bsn(value)


# --- personnummer and samordningsnummer --------------------------------------------------------


def test_a_12_digit_personnummer_is_kept_as_12_digits():
    assert validation.personnummer("19811218-9876", today=TODAY) == "198112189876"


def test_a_10_digit_personnummer_gets_the_most_recent_past_century():
    assert validation.personnummer("811218-9876", today=TODAY) == "198112189876"
    # 12 is not later than 2026, so 2012; 30 would be 2030 (in the future), so 1930.
    assert validation.personnummer("121212-1212", today=TODAY) == "201212121212"
    assert validation.personnummer("3001017833", today=TODAY).startswith("1930")


def test_a_plus_in_a_10_digit_personnummer_means_a_century_further_back():
    assert validation.personnummer("121212+1212", today=TODAY) == "191212121212"


def test_a_samordningsnummer_has_sixty_added_to_the_day():
    assert validation.personnummer("701063-2391", today=TODAY) == "197010632391"


def test_a_personnummer_with_a_date_that_does_not_exist_is_refused():
    # 31 February, and a samordningsnummer "day" of 92 (= 32)
    with pytest.raises(ValueError, match="date"):
        validation.personnummer("19810231-0000", today=TODAY)
    with pytest.raises(ValueError, match="date"):
        validation.personnummer("19810192-0000", today=TODAY)


def test_a_personnummer_with_a_wrong_check_digit_is_refused():
    with pytest.raises(ValueError, match="check digit"):
        validation.personnummer("19811218-9875", today=TODAY)


@pytest.mark.parametrize("value", ["", "8112189", "19811218987", "1981121898765", "ÅÅÅÅMMDD-NNNN"])
def test_a_personnummer_has_10_or_12_digits(value):
    with pytest.raises(ValueError, match="10 or 12 digits"):
        validation.personnummer(value, today=TODAY)


# --- organisationsnummer ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["556012-5790", "5560125790", "16556012-5790", "165560125790"])
def test_an_organisationsnummer_is_10_digits_with_or_without_the_16_prefix(value):
    assert validation.org_number(value) == "5560125790"


def test_an_organisationsnummer_has_at_least_20_in_its_third_and_fourth_digits():
    # 811218-9876 is a valid personnummer, but the month group 12 makes it no organisationsnummer.
    with pytest.raises(ValueError, match="at least 20"):
        validation.org_number("811218-9876")


def test_an_organisationsnummer_with_a_wrong_check_digit_is_refused():
    with pytest.raises(ValueError, match="check digit"):
        validation.org_number("556012-5791")


@pytest.mark.parametrize("value", ["55601257", "55601257901", "556012579X"])
def test_an_organisationsnummer_has_10_digits(value):
    with pytest.raises(ValueError, match="10 digits"):
        validation.org_number(value)


def test_a_sole_proprietorships_organisationsnummer_is_the_owners_personnummer():
    # rule AG-4
    assert validation.org_number("19811218-9876", sole_proprietorship=True) == "198112189876"
    with pytest.raises(ValueError, match="check digit"):
        validation.org_number("19811218-9875", sole_proprietorship=True)
    # an aktiebolag's number is no personnummer
    with pytest.raises(ValueError):
        validation.org_number("556012-5790", sole_proprietorship=True)


# --- the number on a person's e-ID, per country -----------------------------------------------


def test_a_dutch_personal_identity_number_is_a_bsn_and_a_swedish_one_a_personnummer():
    assert validation.personal_identity_number("111222333", "NL") == "111222333"
    assert validation.personal_identity_number("19811218-9876", "SE") == "198112189876"
    with pytest.raises(ValueError, match="BSN"):
        validation.personal_identity_number("19811218-9876", "NL")
    with pytest.raises(ValueError, match="personnummer"):
        validation.personal_identity_number("111222333", "SE")
