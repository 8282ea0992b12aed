"""Reading a contact typed on one line, a shared Telegram contact and a forwarded sender (pure)."""

import pytest

from crm.rules import freetext
from crm.rules.freetext import (
    forwarded_sender,
    hidden_sender,
    is_name_word,
    parse_line,
    phone_value_type,
    split_name,
    telegram_contact,
)


def test_it_reads_the_example_of_the_issue():
    assert parse_line("Jean Dupont +33 6 12 34 56 78 jean@x.fr Acme", "FR") == {
        "first_name": "Jean",
        "last_name": "Dupont",
        "company_title": "Acme",
        "phones": [{"value": "+33 6 12 34 56 78", "value_type": "MOBILE"}],
        "emails": [{"value": "jean@x.fr", "value_type": "WORK"}],
    }


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "0612345678"],
)
def test_a_phone_is_found_in_any_format_and_kept_as_typed(typed):
    draft = parse_line(f"Jean Dupont {typed}", "FR")
    assert draft["phones"] == [{"value": typed, "value_type": "MOBILE"}]
    assert (draft["first_name"], draft["last_name"]) == ("Jean", "Dupont")


def test_several_phones_keep_their_order_and_a_landline_is_a_work_phone():
    draft = parse_line("Jean Dupont 06 12 34 56 78, 01 40 00 00 00", "FR")
    assert draft["phones"] == [
        {"value": "06 12 34 56 78", "value_type": "MOBILE"},
        {"value": "01 40 00 00 00", "value_type": "WORK"},
    ]


def test_without_a_default_region_only_international_numbers_are_phones():
    draft = parse_line("Jean Dupont 06 12 34 56 78 +44 20 7946 0958", None)
    assert draft["phones"] == [{"value": "+44 20 7946 0958", "value_type": "WORK"}]


def test_an_honorific_is_recognised_with_or_without_its_dot():
    assert parse_line("M. Jean Dupont", "FR")["honorific"] == "M."
    assert parse_line("Mme Marie Curie", "FR")["honorific"] == "Mme"
    assert parse_line("dr. Gregory House", "FR")["honorific"] == "Dr"
    assert parse_line("Mrs Hudson", "FR") == {"honorific": "Mrs", "last_name": "Hudson"}


def test_particles_belong_to_the_last_name():
    draft = parse_line("M. Jean de La Fontaine 06 12 34 56 78 Fables SA", "FR")
    assert draft["first_name"] == "Jean"
    assert draft["last_name"] == "de La Fontaine"
    assert draft["company_title"] == "Fables SA"


def test_the_words_after_two_name_words_are_the_company():
    draft = parse_line("Jean Dupont Acme Corp", "FR")
    assert (draft["first_name"], draft["last_name"], draft["company_title"]) == (
        "Jean",
        "Dupont",
        "Acme Corp",
    )


def test_a_phone_or_a_comma_ends_the_name():
    assert parse_line("Jean 06 12 34 56 78 Acme", "FR")["company_title"] == "Acme"
    assert "last_name" not in parse_line("Jean 06 12 34 56 78 Acme", "FR")
    draft = parse_line("Jean, Acme", "FR")
    assert (draft["first_name"], draft["company_title"]) == ("Jean", "Acme")


def test_values_may_come_in_any_order():
    draft = parse_line("+33612345678 jean@x.fr Jean Dupont", "FR")
    assert (draft["first_name"], draft["last_name"]) == ("Jean", "Dupont")
    assert "company_title" not in draft


def test_a_telegram_username_and_a_t_me_link_are_telegram_messengers():
    draft = parse_line("Jean Dupont @jean_d https://t.me/dupont_j", "FR")
    assert draft["messengers"] == [
        {"value": "@dupont_j", "value_type": "TELEGRAM"},
        {"value": "@jean_d", "value_type": "TELEGRAM"},
    ]
    assert "websites" not in draft


def test_links_are_websites_but_a_bare_dotted_word_is_not():
    draft = parse_line("Jean Dupont https://acme.example/team www.acme.fr.", "FR")
    assert draft["websites"] == [
        {"value": "https://acme.example/team", "value_type": "WORK"},
        {"value": "www.acme.fr", "value_type": "WORK"},
    ]
    assert parse_line("Jean Dupont acme.fr", "FR")["company_title"] == "acme.fr"


def test_an_email_address_is_not_read_as_a_username():
    draft = parse_line("Jean jean.dupont@example.fr", "FR")
    assert draft["emails"] == [{"value": "jean.dupont@example.fr", "value_type": "WORK"}]
    assert "messengers" not in draft


def test_a_line_without_a_name_word_has_no_name():
    assert parse_line("<b>x</b> & <i>", "FR") == {"company_title": "<b>x</b> & <i>"}
    assert parse_line("06 12 34 56 78", "FR") == {
        "phones": [{"value": "06 12 34 56 78", "value_type": "MOBILE"}]
    }


def test_name_words_are_letters_with_inner_hyphens_and_apostrophes():
    assert all(is_name_word(w) for w in ("Jean-Pierre", "O'Brien", "Zoë", "Łukasz", "李"))
    assert not any(is_name_word(w) for w in ("Acme42", "3M", "<b>x</b>", "-x"))


def test_a_full_name_splits_at_its_last_word_or_its_particle():
    assert split_name("Jean Pierre Dupont") == {"first_name": "Jean Pierre", "last_name": "Dupont"}
    assert split_name("Jean de la Fontaine") == {
        "first_name": "Jean",
        "last_name": "de la Fontaine",
    }
    assert split_name("Dr Jean Dupont") == {
        "honorific": "Dr",
        "first_name": "Jean",
        "last_name": "Dupont",
    }
    assert split_name("Cher") == {"first_name": "Cher"}


def test_a_telegram_contact_gets_the_plus_telegram_may_leave_out():
    assert telegram_contact("33612345678", "Jean", "Dupont") == {
        "first_name": "Jean",
        "last_name": "Dupont",
        "phones": [{"value": "+33612345678", "value_type": "MOBILE"}],
    }
    assert telegram_contact("+33612345678", " Jean ", "")["phones"][0]["value"] == "+33612345678"


def test_a_forwarded_sender_brings_name_and_username():
    assert forwarded_sender("Jean", "Dupont", "jdupont") == {
        "first_name": "Jean",
        "last_name": "Dupont",
        "messengers": [{"value": "@jdupont", "value_type": "TELEGRAM"}],
    }
    assert forwarded_sender("Jean") == {"first_name": "Jean"}


def test_a_hidden_sender_brings_only_a_name():
    assert hidden_sender(" Marie Curie ") == {"first_name": "Marie", "last_name": "Curie"}


def test_a_mobile_number_is_told_from_a_landline():
    assert phone_value_type("+33612345678", None) == "MOBILE"
    assert phone_value_type("+33140000000", None) == "WORK"
    assert phone_value_type("not a number", None) == "WORK"


@pytest.mark.parametrize(
    ("shared", "expected"),
    [
        ("33612345678", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("0612345678", "0612345678"),
    ],
)
def test_a_shared_number_gets_a_plus_only_when_it_is_international(shared, expected):
    assert freetext.telegram_contact(shared, "Jean")["phones"][0]["value"] == expected
