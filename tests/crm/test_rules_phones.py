"""Phone normalization to E.164, extensions, errors, and the digit keys search uses (F1, F7)."""

import pytest

from crm.rules.phones import (
    InvalidPhoneError,
    Phone,
    normalize_phone,
    phone_search_keys,
    query_digits,
)

FRENCH_MOBILE = Phone(e164="+33612345678", extension=None, national_digits="0612345678")


@pytest.mark.parametrize(
    "typed",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 (0)6 12 34 56 78",
        "0033612345678",
        "00 33 6 12 34 56 78",
        "33612345678",
        "(0)6-12-34-56-78",
        "  06 12 34 56 78  ",
        "612345678",
    ],
)
def test_it_reads_a_french_number_typed_many_ways(typed):
    assert normalize_phone(typed, "FR") == FRENCH_MOBILE


@pytest.mark.parametrize("typed", ["+33 6 12 34 56 78", "0033612345678", "33612345678"])
def test_it_reads_international_forms_without_a_default_region(typed):
    assert normalize_phone(typed, None) == FRENCH_MOBILE


@pytest.mark.parametrize("region", ["US", "RU", "DE"])
def test_an_international_number_ignores_the_default_region(region):
    assert normalize_phone("+33 6 12 34 56 78", region) == FRENCH_MOBILE
    assert normalize_phone("0033 6 12 34 56 78", region) == FRENCH_MOBILE


def test_it_reads_a_us_number_in_region_us():
    expected = Phone(e164="+12015550123", extension=None, national_digits="2015550123")
    assert normalize_phone("201-555-0123", "US") == expected
    assert normalize_phone("(201) 555-0123", "US") == expected
    assert normalize_phone("+1 201 555 0123", None) == expected
    # Telegram shares numbers as bare digits without '+'.
    assert normalize_phone("12015550123", "FR") == expected


def test_it_reads_a_russian_number_with_the_8_trunk_prefix():
    expected = Phone(e164="+79161234567", extension=None, national_digits="89161234567")
    assert normalize_phone("8 (916) 123-45-67", "RU") == expected
    assert normalize_phone("+7 916 123-45-67", None) == expected
    assert normalize_phone("79161234567", "FR") == expected


@pytest.mark.parametrize(
    ("typed", "region", "e164", "extension"),
    [
        ("06 12 34 56 78 ext. 12", "FR", "+33612345678", "12"),
        ("+33 1 23 45 67 89 ext 123", None, "+33123456789", "123"),
        ("+1 201-555-0123 x45", None, "+12015550123", "45"),
        ("8 (916) 123-45-67 доб. 123", "RU", "+79161234567", "123"),
        ("0612345678;ext=5", "FR", "+33612345678", "5"),
    ],
)
def test_it_keeps_the_extension_apart_from_the_number(typed, region, e164, extension):
    phone = normalize_phone(typed, region)
    assert (phone.e164, phone.extension) == (e164, extension)


def test_digits_are_the_international_number_without_plus():
    assert FRENCH_MOBILE.digits == "33612345678"


@pytest.mark.parametrize(
    ("typed", "region", "message"),
    [
        ("", "FR", "is not a phone number"),
        ("   ", "FR", "is not a phone number"),
        ("abc", "FR", "is not a phone number"),
        ("call me", None, "is not a phone number"),
        ("12", "FR", "is not a valid phone number"),
        ("06 12 34", "FR", "is not a valid phone number"),
        ("06 12 34 56 78 90 12", "FR", "is not a valid phone number"),
        ("+33 6 12", None, "is not a valid phone number"),
        ("+0033612345678", None, "is not a valid phone number"),
        ("06 12 34 56 78", "US", "is not a valid phone number"),
    ],
)
def test_it_refuses_what_is_not_a_valid_number(typed, region, message):
    with pytest.raises(InvalidPhoneError) as err:
        normalize_phone(typed, region)
    assert str(err.value) == message


@pytest.mark.parametrize("typed", ["0612345678", "06 12 34 56 78", "201-555-0123"])
def test_a_national_number_without_a_default_region_needs_a_country_code(typed):
    with pytest.raises(InvalidPhoneError) as err:
        normalize_phone(typed, None)
    assert str(err.value) == "needs a country code such as +33 (no default region is set)"


def test_a_number_typed_with_separators_is_never_read_as_another_countrys():
    # "201-555-0123" is a US number typed in national form; read as "+201..." it used to become
    # an Egyptian number in a French-region CRM.
    with pytest.raises(InvalidPhoneError) as err:
        normalize_phone("201-555-0123", "FR")
    assert str(err.value) == "is not a valid phone number"


def test_it_is_an_error_of_type_value_error():
    # Callers that only know ValueError (e.g. the search key refresher) still catch it.
    assert issubclass(InvalidPhoneError, ValueError)


def test_search_keys_hold_international_and_national_digits():
    assert phone_search_keys([FRENCH_MOBILE]) == "33612345678 0612345678"


def test_search_keys_of_several_numbers_have_no_repeats():
    us = normalize_phone("201-555-0123", "US")
    ru = normalize_phone("8 (916) 123-45-67", "RU")
    keys = phone_search_keys([FRENCH_MOBILE, us, FRENCH_MOBILE, ru])
    assert keys == "33612345678 0612345678 12015550123 2015550123 79161234567 89161234567"


def test_search_keys_leave_the_extension_out():
    phone = normalize_phone("06 12 34 56 78 ext. 12", "FR")
    assert phone_search_keys([phone]) == "33612345678 0612345678"


def test_search_keys_of_no_phone_are_empty():
    assert phone_search_keys([]) == ""


@pytest.mark.parametrize(
    ("query", "digits"),
    [
        ("0612", "0612"),
        ("06 12", "0612"),
        ("06.12.34", "061234"),
        ("06-12 34/56", "06123456"),
        ("(06) 12", "0612"),
        ("12 34 56", "123456"),
        ("+33 6 12", "33612"),
        ("0033 6 12", "33612"),
        ("+7 (916)", "7916"),
        ("  1234  ", "1234"),
        ("+33 (0)6 12 34 56 78", "33612345678"),
        ("0033 (0)6 12 34", "3361234"),
        ("(0)6 12 34", "061234"),
    ],
)
def test_query_digits_reads_fragments_of_numbers(query, digits):
    assert query_digits(query) == digits


@pytest.mark.parametrize(
    "query",
    ["", "   ", "061", "+33", "06 1", "jean", "06 12 jean", "a@x.fr", "12a34", "#1234"],
)
def test_query_digits_refuses_text_and_short_input(query):
    assert query_digits(query) is None


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78", "56 78"],
)
def test_a_whole_or_partial_number_query_is_in_the_search_keys(typed):
    keys = phone_search_keys([FRENCH_MOBILE])
    digits = query_digits(typed)
    assert digits is not None
    assert digits in keys


def test_a_short_run_starting_with_00_is_a_fragment_not_an_international_prefix():
    assert query_digits("0045") == "0045"
    assert query_digits("00 45") == "0045"
    assert query_digits("0033 6 12") == "33612"
    assert query_digits("0033 6") == "00336"  # too short to be a number: a fragment
