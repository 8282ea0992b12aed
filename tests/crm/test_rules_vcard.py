"""Reading vCard 2.1, 3.0 and 4.0 files into drafts (pure): fields, types, charsets, bad input."""

import pytest

from crm.rules.vcard import VCardEntry, VCardError, decode, parse_vcards, split_cards


def _one(text: str | bytes) -> dict:
    entries = parse_vcards(text)
    assert len(entries) == 1 and entries[0].error is None, entries
    assert entries[0].draft is not None
    return entries[0].draft


VCARD_30 = """BEGIN:VCARD
VERSION:3.0
N:Dupont;Jean;Marie;M.;
FN:M. Jean Marie Dupont
ORG:Acme;Sales
TITLE:CEO
TEL;TYPE=CELL,VOICE:+33 6 12 34 56 78
TEL;TYPE=WORK,VOICE:01 40 00 00 00
TEL;TYPE=HOME:01 45 00 00 00
TEL;TYPE=WORK,FAX:01 40 00 00 01
TEL:01 46 00 00 00
EMAIL;TYPE=INTERNET,WORK:jean@acme.fr
EMAIL;TYPE=INTERNET,HOME:jean@home.fr
EMAIL:jean@other.fr
URL:https://acme.fr
BDAY:1990-04-25
NOTE:Met at the fair\\, hall 3
X-SOCIALPROFILE;TYPE=telegram:https://t.me/jeand
END:VCARD
"""


def test_a_version_3_card_gives_every_field():
    assert _one(VCARD_30) == {
        "honorific": "M.",
        "first_name": "Jean",
        "middle_name": "Marie",
        "last_name": "Dupont",
        "company_title": "Acme",
        "position": "CEO",
        "birthdate": "1990-04-25",
        "comment": "Met at the fair, hall 3",
        "phones": [
            {"value": "+33 6 12 34 56 78", "value_type": "MOBILE"},
            {"value": "01 40 00 00 00", "value_type": "WORK"},
            {"value": "01 45 00 00 00", "value_type": "HOME"},
            {"value": "01 40 00 00 01", "value_type": "FAX"},
            {"value": "01 46 00 00 00"},
        ],
        "emails": [
            {"value": "jean@acme.fr", "value_type": "WORK"},
            {"value": "jean@home.fr", "value_type": "HOME"},
            {"value": "jean@other.fr"},
        ],
        "websites": [{"value": "https://acme.fr"}],
        "messengers": [{"value": "@jeand", "value_type": "TELEGRAM"}],
    }


def test_a_version_2_1_card_with_quoted_printable_and_charsets_is_decoded():
    card = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Dupr=C3=A9;Andr=C3=A9;;;\r\n"
        "ORG;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Soci=E9t=E9 G=E9n=E9rale\r\n"
        "TEL;CELL;PREF:+33612345678\r\n"
        "TEL;WORK;FAX:0140000000\r\n"
        "EMAIL;INTERNET;HOME:andre@example.fr\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE:first line=0D=0Aa long second line that the phone=\r\n"
        " wrapped =\r\n"
        "here\r\n"
        "END:VCARD\r\n"
    ).encode("ascii")
    assert _one(card) == {
        "first_name": "André",
        "last_name": "Dupré",
        "company_title": "Société Générale",
        "comment": "first line\na long second line that the phone wrapped here",
        "phones": [
            {"value": "+33612345678", "value_type": "MOBILE"},
            {"value": "0140000000", "value_type": "FAX"},
        ],
        "emails": [{"value": "andre@example.fr", "value_type": "HOME"}],
    }


def test_a_version_4_card_with_uris_and_a_compact_birthday():
    card = (
        "BEGIN:VCARD\nVERSION:4.0\nFN:Jean Pierre Dupont\n"
        'TEL;VALUE=uri;TYPE="voice,cell":tel:+33-6-12-34-56-78\n'
        "EMAIL;TYPE=work:mailto:jean@x.fr\nBDAY:19900425\n"
        "IMPP;X-SERVICE-TYPE=Telegram:x-apple:jdupont\n"
        "IMPP;X-SERVICE-TYPE=WhatsApp:x-apple:33612345678\n"
        "IMPP:xmpp:jean@jabber.example\nEND:VCARD\n"
    )
    assert _one(card) == {
        "first_name": "Jean Pierre",
        "last_name": "Dupont",
        "birthdate": "1990-04-25",
        "phones": [{"value": "+33-6-12-34-56-78", "value_type": "MOBILE"}],
        "emails": [{"value": "jean@x.fr", "value_type": "WORK"}],
        "messengers": [
            {"value": "@jdupont", "value_type": "TELEGRAM"},
            {"value": "33612345678", "value_type": "WHATSAPP"},
            {"value": "xmpp:jean@jabber.example", "value_type": "OTHER"},
        ],
    }


@pytest.mark.parametrize(
    "line",
    [
        "X-SOCIALPROFILE;type=telegram;x-user=jeand:http://t.me/jeand",
        "X-SOCIALPROFILE:https://telegram.me/jeand",
        "IMPP:telegram:jeand",
        "IMPP;TYPE=telegram:tg://resolve?domain=jeand",
    ],
)
def test_telegram_accounts_are_read_however_the_phone_wrote_them(line):
    draft = _one(f"BEGIN:VCARD\nVERSION:3.0\nN:Dupont;Jean\n{line}\nEND:VCARD\n")
    assert draft["messengers"] == [{"value": "@jeand", "value_type": "TELEGRAM"}]


def test_a_birthday_without_a_year_is_left_out():
    draft = _one("BEGIN:VCARD\nVERSION:4.0\nN:Dupont;Jean\nBDAY:--0425\nEND:VCARD\n")
    assert "birthdate" not in draft


def test_a_file_in_windows_1252_is_read():
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dupré;André\r\nEND:VCARD\r\n".encode("cp1252")
    assert _one(card) == {"first_name": "André", "last_name": "Dupré"}
    assert decode("é".encode("utf-16")) == "é"
    assert decode(b"\xef\xbb\xbfBEGIN") == "BEGIN"


def test_a_broken_card_is_reported_and_the_others_are_read():
    text = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Dupont;Jean\nthis line is garbage\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Martin;Paul\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Cut;Off\n"
    )
    entries = parse_vcards(text)
    assert [e.number for e in entries] == [1, 2, 3]
    assert entries[0].draft is None and "cannot be read" in (entries[0].error or "")
    assert "At line" not in (entries[0].error or "")
    assert entries[1] == VCardEntry(2, {"first_name": "Paul", "last_name": "Martin"})
    assert entries[2].draft is None and "cut off" in (entries[2].error or "")


def test_a_card_with_only_a_company_has_no_name():
    assert _one("BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nFN:\nORG:Acme\nEND:VCARD\n") == {
        "company_title": "Acme"
    }


@pytest.mark.parametrize(
    "data", [b"", b"\x00\xff\xfe garbage", b"hello world", b"END:VCARD\nBEGIN:VCALENDAR\n"]
)
def test_a_file_without_cards_is_an_error_not_an_exception(data):
    with pytest.raises(VCardError, match="no contact card"):
        parse_vcards(data)


def test_too_many_cards_are_refused():
    card = "BEGIN:VCARD\nVERSION:3.0\nN:A;B\nEND:VCARD\n"
    assert len(parse_vcards(card * 3, max_cards=3)) == 3
    with pytest.raises(VCardError, match="more than 3"):
        parse_vcards(card * 4, max_cards=3)


def test_random_bytes_never_raise_anything_but_a_vcard_error():
    import random

    rng = random.Random(7)
    for _ in range(200):
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        data = b"BEGIN:VCARD\r\nVERSION:2.1\r\n" + noise + b"\r\nEND:VCARD\r\n"
        entries = parse_vcards(data)
        assert len(entries) == 1


def test_cards_are_split_on_their_begin_and_end_lines():
    assert split_cards("junk\nBEGIN:VCARD\nN:A\nEND:VCARD\nmore junk\n") == [
        "BEGIN:VCARD\r\nN:A\r\nEND:VCARD\r\n"
    ]


def test_the_first_of_repeated_properties_wins_and_empty_ones_are_skipped():
    draft = _one(
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        "NOTE:First note\r\nNOTE:Second note\r\n"
        "N:;;;Dr;\r\nN:Other;Ann;;Ms;\r\n"
        "FN:Ann Lee\r\nFN:Someone Else\r\n"
        "TEL:\r\nTEL;TYPE=IPHONE:+33 6 12 34 56 78\r\n"
        "ORG:\r\nORG:;Sales\r\nORG:Acme\r\n"
        "TITLE:\r\nTITLE:CTO\r\nTITLE:CEO\r\n"
        "BDAY:--0425\r\nBDAY:19900425\r\nBDAY:2000-01-01\r\n"
        "X-SOCIALPROFILE;TYPE=twitter:https://x.example/ann\r\n"
        "IMPP:x-apple:ann.lee\r\n"
        "URL;TYPE=HOME:ann.example\r\n"
        "EMAIL;TYPE=OTHER:ann@x.example\r\n"
        "END:VCARD\r\n"
    )
    assert list(draft.items()) == [
        ("comment", "First note"),
        ("honorific", "Dr"),
        ("first_name", "Ann"),
        ("last_name", "Other"),
        ("company_title", "Sales"),
        ("position", "CTO"),
        ("birthdate", "1990-04-25"),
        ("phones", [{"value": "+33 6 12 34 56 78", "value_type": "MOBILE"}]),
        ("emails", [{"value": "ann@x.example"}]),
        ("websites", [{"value": "ann.example", "value_type": "HOME"}]),
        ("messengers", [{"value": "ann.lee", "value_type": "OTHER"}]),
    ]


def test_the_formatted_name_counts_only_when_n_gives_no_first_or_last_name():
    draft = _one("BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;Dr;\r\nFN:Prof Ann Lee\r\nEND:VCARD\r\n")
    assert list(draft.items()) == [
        ("honorific", "Dr"),
        ("first_name", "Ann"),
        ("last_name", "Lee"),
    ]
