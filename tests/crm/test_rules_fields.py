"""Validation of scalar fields, channels and the twelve custom field types (F1, F3)."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crm.rules.fields import (
    VALUE_TYPES,
    ChannelValue,
    FieldError,
    clean_channel,
    clean_custom_value,
    clean_string,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_url,
)
from crm.rules.phones import Phone
from models.enums import ChannelKind, FieldType

LIST_OPTIONS = [{"key": "a", "label": "Alpha"}, {"key": "b", "label": "Beta"}, "c"]


def error_of(field_type: FieldType, value, options=None, region="FR") -> str:
    with pytest.raises(FieldError) as err:
        clean_custom_value(field_type, value, options or [], region)
    return str(err.value)


# --- every custom field type: good values ---------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "value", "expected"),
    [
        (FieldType.STRING, "  Jean   Dupont ", "Jean Dupont"),
        (FieldType.STRING, "line one\nline two", "line one line two"),
        (FieldType.STRING, 42, "42"),
        (FieldType.STRING, "x" * 255, "x" * 255),
        (FieldType.TEXT, "  first line\n  second line  ", "first line\n  second line"),
        (FieldType.TEXT, "x" * 10000, "x" * 10000),
        (FieldType.INTEGER, "42", 42),
        (FieldType.INTEGER, " -7 ", -7),
        (FieldType.INTEGER, "+5", 5),
        (FieldType.INTEGER, 12, 12),
        (FieldType.INTEGER, "9223372036854775807", 2**63 - 1),
        (FieldType.INTEGER, "-9223372036854775808", -(2**63)),
        (FieldType.DECIMAL, "12.50", Decimal("12.500000")),
        (FieldType.DECIMAL, "12,50", Decimal("12.500000")),
        (FieldType.DECIMAL, "1 234,5", Decimal("1234.500000")),
        (FieldType.DECIMAL, 3, Decimal("3.000000")),
        (FieldType.DECIMAL, 2.5, Decimal("2.500000")),
        (FieldType.DECIMAL, Decimal("-1.5"), Decimal("-1.500000")),
        (FieldType.DECIMAL, "1e2", Decimal("100.000000")),
        (FieldType.DECIMAL, "0.1234567", Decimal("0.123457")),
        (FieldType.DECIMAL, "99999999999999.999999", Decimal("99999999999999.999999")),
        (FieldType.BOOLEAN, "yes", True),
        (FieldType.BOOLEAN, "Oui", True),
        (FieldType.BOOLEAN, " x ", True),
        (FieldType.BOOLEAN, "1", True),
        (FieldType.BOOLEAN, 1, True),
        (FieldType.BOOLEAN, True, True),
        (FieldType.BOOLEAN, "no", False),
        (FieldType.BOOLEAN, "NON", False),
        (FieldType.BOOLEAN, "faux", False),
        (FieldType.BOOLEAN, 0, False),
        (FieldType.BOOLEAN, False, False),
        (FieldType.DATE, "1990-04-25", date(1990, 4, 25)),
        (FieldType.DATE, "25/04/1990", date(1990, 4, 25)),
        (FieldType.DATE, "25.04.1990", date(1990, 4, 25)),
        (FieldType.DATE, " 1990-4-5 ", date(1990, 4, 5)),
        (FieldType.DATE, "2024-02-29", date(2024, 2, 29)),
        (FieldType.DATE, date(2020, 1, 2), date(2020, 1, 2)),
        (FieldType.DATE, datetime(2020, 1, 2, 23, 0, tzinfo=UTC), date(2020, 1, 2)),
        (
            FieldType.DATETIME,
            "2026-05-01T10:00+02:00",
            datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
        ),
        (FieldType.DATETIME, "2026-05-01T10:00Z", datetime(2026, 5, 1, 10, 0, tzinfo=UTC)),
        (
            FieldType.DATETIME,
            datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=3))),
            datetime(2026, 5, 1, 7, 0, tzinfo=UTC),
        ),
        (FieldType.LIST, "a", "a"),
        (FieldType.LIST, "Alpha", "a"),
        (FieldType.LIST, "alpha", "a"),
        (FieldType.LIST, " Beta ", "b"),
        (FieldType.LIST, "c", "c"),
        (FieldType.LIST, "C", "c"),
        (FieldType.URL, "example.com", "https://example.com"),
        (FieldType.URL, "https://example.com/a?b=1", "https://example.com/a?b=1"),
        (FieldType.URL, "http://localhost:8080", "http://localhost:8080"),
        (FieldType.URL, "example.com:8080/x", "https://example.com:8080/x"),
        (FieldType.URL, "medium.com/@jean", "https://medium.com/@jean"),
        (FieldType.EMAIL, " Jean.Dupont@Example.COM ", "jean.dupont@example.com"),
        (FieldType.PHONE, "06 12 34 56 78", "+33612345678"),
        (FieldType.PHONE, "+1 201-555-0123", "+12015550123"),
        (FieldType.STAFF, "12", 12),
        (FieldType.STAFF, 12, 12),
    ],
)
def test_it_coerces_good_custom_values(field_type, value, expected):
    result = clean_custom_value(field_type, value, LIST_OPTIONS, "FR")
    assert result == expected
    assert type(result) is type(expected)


def test_it_reads_a_datetime_as_utc():
    result = clean_custom_value(FieldType.DATETIME, "2026-05-01T10:00+02:00", [])
    assert result.tzinfo == UTC


# --- every custom field type: bad values ----------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "value", "message"),
    [
        (FieldType.STRING, "", "is empty"),
        (FieldType.STRING, "   ", "is empty"),
        (FieldType.STRING, None, "is empty"),
        (FieldType.STRING, "x" * 256, "is longer than 255 characters"),
        (FieldType.STRING, "a\x00b", "contains a NUL character"),
        (FieldType.STRING, ["a"], "must be text"),
        (FieldType.STRING, True, "must be text"),
        (FieldType.TEXT, "", "is empty"),
        (FieldType.TEXT, "x" * 10001, "is longer than 10000 characters"),
        (FieldType.INTEGER, "4.2", "must be a whole number"),
        (FieldType.INTEGER, "1e3", "must be a whole number"),
        (FieldType.INTEGER, "", "must be a whole number"),
        (FieldType.INTEGER, None, "must be a whole number"),
        (FieldType.INTEGER, True, "must be a whole number"),
        (FieldType.INTEGER, 3.0, "must be a whole number"),
        (FieldType.INTEGER, "ten", "must be a whole number"),
        (FieldType.INTEGER, "9223372036854775808", "is too large"),
        (FieldType.INTEGER, 2**63, "is too large"),
        (FieldType.DECIMAL, "abc", "must be a number such as 12.50"),
        (FieldType.DECIMAL, "", "must be a number such as 12.50"),
        (FieldType.DECIMAL, None, "must be a number such as 12.50"),
        (FieldType.DECIMAL, "NaN", "must be a number such as 12.50"),
        (FieldType.DECIMAL, "inf", "must be a number such as 12.50"),
        (FieldType.DECIMAL, "100000000000000", "must be a number such as 12.50"),
        (FieldType.DECIMAL, "1.234,50", "must be a number such as 12.50"),
        (FieldType.DECIMAL, True, "must be a number"),
        (FieldType.BOOLEAN, "maybe", "must be yes or no"),
        (FieldType.BOOLEAN, None, "must be yes or no"),
        (FieldType.BOOLEAN, 2, "must be yes or no"),
        (FieldType.BOOLEAN, 1.0, "must be yes or no"),
        (FieldType.DATE, "1990-02-30", "must be a date such as 1990-04-25 or 25/04/1990"),
        (FieldType.DATE, "04/25/1990", "must be a date such as 1990-04-25 or 25/04/1990"),
        (FieldType.DATE, "", "must be a date such as 1990-04-25 or 25/04/1990"),
        (FieldType.DATE, None, "must be a date such as 1990-04-25 or 25/04/1990"),
        (FieldType.DATE, 19900425, "must be a date such as 1990-04-25 or 25/04/1990"),
        (FieldType.DATETIME, "2026-05-01 10:00", "must include a time zone (e.g. +02:00 or Z)"),
        (FieldType.DATETIME, "2026-05-01", "must include a time zone (e.g. +02:00 or Z)"),
        (
            FieldType.DATETIME,
            datetime(2026, 5, 1, 10, 0),  # noqa: DTZ001 - the naive value under test
            "must include a time zone (e.g. +02:00 or Z)",
        ),
        (FieldType.DATETIME, "soon", "must be a date and time such as 2026-05-01T10:00+02:00"),
        (FieldType.DATETIME, None, "must be a date and time"),
        (FieldType.DATETIME, 5, "must be a date and time"),
        (FieldType.LIST, "z", "must be one of a, b, c"),
        (FieldType.LIST, "", "must be one of a, b, c"),
        (FieldType.LIST, None, "must be one of a, b, c"),
        (FieldType.URL, "not a url", "must be a web address such as https://example.com"),
        (FieldType.URL, "example", "must be a web address such as https://example.com"),
        (FieldType.EMAIL, "nope", "An email address must have an @-sign."),
        (
            FieldType.EMAIL,
            "jean@localhost",
            "The part after the @-sign is not valid. It should have a period.",
        ),
        (FieldType.PHONE, "12", "is not a valid phone number"),
        (FieldType.PHONE, "", "is not a phone number"),
        (FieldType.STAFF, "abc", "must be a whole number"),
        (FieldType.STAFF, True, "must be a whole number"),
    ],
)
def test_it_refuses_bad_custom_values_with_a_message(field_type, value, message):
    assert error_of(field_type, value, LIST_OPTIONS) == message


def test_every_field_type_is_handled():
    # A new FieldType without a branch would fall through to "has an unknown type".
    samples = {
        FieldType.STRING: "x",
        FieldType.TEXT: "x",
        FieldType.INTEGER: "1",
        FieldType.DECIMAL: "1",
        FieldType.BOOLEAN: "yes",
        FieldType.DATE: "2020-01-01",
        FieldType.DATETIME: "2020-01-01T00:00Z",
        FieldType.LIST: "a",
        FieldType.URL: "example.com",
        FieldType.EMAIL: "a@example.com",
        FieldType.PHONE: "+33612345678",
        FieldType.STAFF: "1",
    }
    assert set(samples) == set(FieldType)
    for field_type, value in samples.items():
        clean_custom_value(field_type, value, LIST_OPTIONS)


def test_a_phone_custom_value_without_region_needs_a_country_code():
    message = error_of(FieldType.PHONE, "06 12 34 56 78", region=None)
    assert message == "needs a country code such as +33 (no default region is set)"


def test_a_list_prefers_a_key_to_a_label_that_spells_it():
    options = [{"key": "a", "label": "b"}, {"key": "b", "label": "x"}]
    assert clean_custom_value(FieldType.LIST, "b", options) == "b"
    assert clean_custom_value(FieldType.LIST, "X", options) == "b"


def test_a_list_of_plain_values_compares_them_as_text():
    assert clean_custom_value(FieldType.LIST, 1, [1, 2]) == "1"


# --- the parsers themselves ---------------------------------------------------------------


def test_a_decimal_that_rounds_past_the_column_is_refused():
    # 99999999999999.9999999 is under 10**14 but rounds to 100000000000000.000000: one integer
    # digit more than the column (20 digits, 6 decimals) holds.
    with pytest.raises(FieldError):
        parse_decimal("99999999999999.9999999")


def test_a_decimal_that_rounds_to_zero_is_not_negative_zero():
    result = parse_decimal("-0.0000001")
    assert result == 0
    assert not result.is_signed()
    assert str(result) == "0.000000"


def test_parse_int_refuses_floats_even_whole_ones():
    with pytest.raises(FieldError):
        parse_int(1.0)


@pytest.mark.parametrize("value", ["", "0", "no", "n", "off", "non", "faux", "false", "FALSE"])
def test_parse_bool_reads_false_words(value):
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["1", "true", "yes", "y", "on", "oui", "vrai", "x", "TRUE"])
def test_parse_bool_reads_true_words(value):
    assert parse_bool(value) is True


def test_parse_date_and_datetime_keep_their_types():
    assert parse_date("2020-01-02") == date(2020, 1, 2)
    assert parse_datetime("2020-01-02T03:04:05+00:00") == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("example.com", "https://example.com"),
        ("  www.example.com/page  ", "https://www.example.com/page"),
        ("http://example.com", "http://example.com"),
        ("HTTPS://EXAMPLE.COM/Path", "HTTPS://EXAMPLE.COM/Path"),
        ("localhost:8080", "https://localhost:8080"),
        ("http://1.2.3.4/x", "http://1.2.3.4/x"),
        ("https://例え.jp", "https://例え.jp"),
        ("https://example.com.", "https://example.com."),
    ],
)
def test_parse_url_accepts_web_addresses(typed, expected):
    assert parse_url(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "example",
        "not a url",
        "https://exa mple.com",
        "ftp://example.com",
        "javascript:alert(1)",
        "//example.com",
        # Other kinds of addresses used to pass as "https://mailto:a@b.fr" (user "mailto").
        "mailto:jean@example.com",
        "tel:+33612345678",
        # A user name hides the real host: this one goes to evil.example, not bank.com.
        "https://bank.com@evil.example",
        "https://user:secret@example.com",
        # Empty host labels and bad ports are no address.
        "https://.com",
        "https://a..com",
        "https://example.com:99999",
        "https://example.com:abc",
    ],
)
def test_parse_url_refuses_what_is_not_a_web_address(typed):
    with pytest.raises(FieldError) as err:
        parse_url(typed)
    assert str(err.value) == "must be a web address such as https://example.com"


def test_parse_url_refuses_long_addresses():
    with pytest.raises(FieldError) as err:
        parse_url("https://" + "a" * 250 + ".com")
    assert str(err.value) == "is longer than 255 characters"


# --- clean_string -----------------------------------------------------------------------------


def test_clean_string_trims_and_collapses_one_line_values():
    assert clean_string("  Jean \n Dupont ", 100) == "Jean Dupont"


def test_clean_string_keeps_inner_lines_of_multiline_values():
    assert clean_string("  a\n\nb  ", 100, multiline=True) == "a\n\nb"


def test_clean_string_makes_blank_values_none():
    assert clean_string(None, 10) is None
    assert clean_string("", 10) is None
    assert clean_string("  \t ", 10) is None


def test_clean_string_counts_the_limit_after_trimming():
    assert clean_string("  " + "x" * 10 + "  ", 10) == "x" * 10
    with pytest.raises(FieldError) as err:
        clean_string("x" * 11, 10)
    assert str(err.value) == "is longer than 10 characters"


@pytest.mark.parametrize("multiline", [False, True])
def test_clean_string_refuses_nul_characters(multiline):
    with pytest.raises(FieldError) as err:
        clean_string("Jean\x00Dupont", 100, multiline=multiline)
    assert str(err.value) == "contains a NUL character"


@pytest.mark.parametrize("value", [True, False, ["a"], {"a": 1}, b"bytes"])
def test_clean_string_refuses_what_is_not_text(value):
    with pytest.raises(FieldError) as err:
        clean_string(value, 100)
    assert str(err.value) == "must be text"


def test_clean_string_writes_numbers_as_text():
    assert clean_string(42, 10) == "42"
    assert clean_string(1.5, 10) == "1.5"


# --- channels -------------------------------------------------------------------------------


def test_a_phone_channel_is_normalized_and_keeps_what_was_typed():
    value = clean_channel(ChannelKind.PHONE, " 06 12  34 56 78 ", None, "FR")
    assert value == ChannelValue(
        kind=ChannelKind.PHONE,
        value_type="WORK",
        value="06 12 34 56 78",
        normalized="+33612345678",
        extension=None,
        phone=Phone("+33612345678", None, "0612345678"),
    )


def test_a_phone_channel_keeps_its_extension():
    value = clean_channel(ChannelKind.PHONE, "+33 1 23 45 67 89 ext 12", "work", None)
    assert (value.normalized, value.extension, value.value_type) == ("+33123456789", "12", "WORK")


def test_a_phone_channel_refuses_a_bad_number_with_the_phone_message():
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.PHONE, "12", None, "FR")
    assert str(err.value) == "is not a valid phone number"
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.PHONE, "0612345678", None, None)
    assert str(err.value) == "needs a country code such as +33 (no default region is set)"


def test_an_email_channel_is_lower_cased():
    value = clean_channel(ChannelKind.EMAIL, "  Jean.Dupont@Example.COM ", "home", None)
    assert (value.value, value.normalized, value.value_type) == (
        "Jean.Dupont@Example.COM",
        "jean.dupont@example.com",
        "HOME",
    )


def test_an_email_channel_refuses_a_bad_address():
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.EMAIL, "jean.dupont", None, None)
    assert str(err.value) == "An email address must have an @-sign."


def test_a_website_channel_gets_a_scheme_and_a_lower_case_key():
    value = clean_channel(ChannelKind.WEB, "Example.com/Path", None, None)
    assert (value.value, value.normalized, value.value_type) == (
        "Example.com/Path",
        "https://example.com/path",
        "WORK",
    )


def test_a_website_channel_refuses_a_bad_address():
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.WEB, "mailto:jean@example.com", None, None)
    assert str(err.value) == "must be a web address such as https://example.com"


@pytest.mark.parametrize(
    "typed",
    [
        "@Jean_Dupont",
        "jean_dupont",
        "https://t.me/jean_dupont",
        "http://t.me/Jean_Dupont",
        "t.me/jean_dupont",
        "https://telegram.me/jean_dupont",
    ],
)
def test_a_telegram_channel_is_reduced_to_the_username(typed):
    value = clean_channel(ChannelKind.MESSENGER, typed, "telegram", None)
    assert (value.value_type, value.normalized) == ("TELEGRAM", "jean_dupont")


@pytest.mark.parametrize("typed", ["@abc", "jean dupont", "@jean-dupont", "https://t.me/"])
def test_a_telegram_channel_refuses_what_is_not_a_username(typed):
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.MESSENGER, typed, "TELEGRAM", None)
    assert str(err.value) == "must be a Telegram username such as @jean_dupont"


def test_other_messengers_keep_the_value_lower_cased():
    value = clean_channel(ChannelKind.MESSENGER, "Jean.Dupont", "OTHER", None)
    assert (value.value_type, value.normalized) == ("OTHER", "jean.dupont")


@pytest.mark.parametrize("kind", list(ChannelKind))
def test_each_kind_defaults_to_its_first_value_type(kind):
    typed = {
        ChannelKind.PHONE: "06 12 34 56 78",
        ChannelKind.EMAIL: "a@example.com",
        ChannelKind.WEB: "example.com",
        ChannelKind.MESSENGER: "@jean_dupont",
    }[kind]
    assert clean_channel(kind, typed, None, "FR").value_type == VALUE_TYPES[kind][0]


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (ChannelKind.PHONE, ["WORK", "MOBILE", "HOME", "FAX", "OTHER"], ["TELEGRAM", "PERSONAL"]),
        (ChannelKind.EMAIL, ["WORK", "HOME", "OTHER"], ["MOBILE", "FAX"]),
        (ChannelKind.WEB, ["WORK", "HOME", "OTHER"], ["TELEGRAM", "MOBILE"]),
        (ChannelKind.MESSENGER, ["TELEGRAM", "WHATSAPP", "OTHER"], ["HOME", "WORK"]),
    ],
)
def test_each_kind_accepts_only_its_value_types(kind, good, bad):
    typed = {
        ChannelKind.PHONE: "06 12 34 56 78",
        ChannelKind.EMAIL: "a@example.com",
        ChannelKind.WEB: "example.com",
        ChannelKind.MESSENGER: "+33612345678",
    }[kind]
    for value_type in good:
        assert clean_channel(kind, typed, value_type.lower(), "FR").value_type == value_type
    for value_type in bad:
        with pytest.raises(FieldError) as err:
            clean_channel(kind, typed, value_type, "FR")
        assert str(err.value) == f"type must be one of {', '.join(VALUE_TYPES[kind])}"


def test_a_channel_given_as_a_mapping_takes_its_own_type():
    value = clean_channel(
        ChannelKind.PHONE, {"value": "06 12 34 56 78", "type": " mobile "}, "WORK", "FR"
    )
    assert (value.value_type, value.normalized) == ("MOBILE", "+33612345678")
    value = clean_channel(
        ChannelKind.PHONE, {"value": "06 12 34 56 78", "value_type": "HOME"}, None, "FR"
    )
    assert value.value_type == "HOME"


@pytest.mark.parametrize("value_type", [5, ["WORK"], {"x": 1}, True])
def test_a_value_type_that_is_not_text_is_refused(value_type):
    # A number as the type used to crash with AttributeError instead of a field message.
    with pytest.raises(FieldError) as err:
        clean_channel(
            ChannelKind.PHONE, {"value": "06 12 34 56 78", "value_type": value_type}, None, "FR"
        )
    assert str(err.value) == "type must be one of WORK, MOBILE, HOME, FAX, OTHER"


@pytest.mark.parametrize("raw", [None, "", "   ", {"value": None}, {"type": "WORK"}])
def test_an_empty_channel_is_refused(raw):
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.PHONE, raw, None, "FR")
    assert str(err.value) == "is empty"


@pytest.mark.parametrize("raw", [["06 12 34 56 78"], {"value": ["a@example.com"]}, True])
def test_a_channel_value_that_is_not_text_is_refused(raw):
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.EMAIL, raw, None, "FR")
    assert str(err.value) == "must be text"


def test_a_phone_given_as_a_number_is_read():
    assert clean_channel(ChannelKind.PHONE, 612345678, None, "FR").normalized == "+33612345678"


def test_a_channel_value_longer_than_255_characters_is_refused():
    with pytest.raises(FieldError) as err:
        clean_channel(ChannelKind.MESSENGER, "x" * 256, "OTHER", None)
    assert str(err.value) == "is longer than 255 characters"


def test_a_channel_reports_its_value_then_its_type_then_its_length():
    def error(raw, value_type):
        with pytest.raises(FieldError) as err:
            clean_channel(ChannelKind.WEB, raw, value_type, None)
        return str(err.value)

    assert error(" ", "FAX") == "is empty"
    assert error([1], "FAX") == "must be text"
    assert error("x" * 256, "FAX") == "type must be one of WORK, HOME, OTHER"
    assert error("x" * 256, "home") == "is longer than 255 characters"


def test_a_value_of_an_unknown_custom_type_is_refused():
    assert error_of("colour", "red") == "has an unknown type"  # type: ignore[arg-type]
