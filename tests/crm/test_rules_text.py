"""Folding, word splitting and the name/search keys built from them (F6, F7)."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.rules.text import (
    clean_text,
    fold,
    name_key,
    search_text,
    title_matches,
    visible_text,
    words,
)


def test_it_folds_accents_and_case():
    assert fold("José ÁLVAREZ") == "jose alvarez"
    assert fold("Hélène Lefèvre-Çelik") == "helene lefevre-celik"
    assert fold("Nguyễn Thị Ánh") == "nguyen thi anh"


def test_it_folds_german_sharp_s_and_ligatures_like_their_spelled_out_forms():
    assert fold("Straße") == fold("STRASSE") == "strasse"
    assert fold("ﬁnn") == "finn"


def test_it_keeps_letters_that_are_not_accented_latin_letters():
    # Ł, Ø and Æ are letters of their own, not a letter plus an accent.
    assert fold("ŁÓDŹ Øster Æsir") == "łodz øster æsir"


def test_it_folds_cyrillic_case_and_keeps_the_script():
    assert fold("Иван ПЕТРОВ") == "иван петров"
    assert words("Иван Петров") == ["иван", "петров"]
    # й/ё are folded like accented letters: typed with or without the diacritic, they match.
    assert fold("Йошкин Ёлкин") == fold("иошкин елкин") == "иошкин елкин"


def test_it_folds_greek_tonos_and_both_sigmas():
    assert words("Σωκράτης ΠΑΠΑΔΌΠΟΥΛΟΣ") == ["σωκρατησ", "παπαδοπουλοσ"]
    # Final and medial sigma fold alike, so a prefix typed in capitals matches.
    assert fold("ΣΩΚΡΆΤΗΣ") == fold("σωκράτης")


def test_it_keeps_cjk_text_and_splits_it_only_on_spaces_and_punctuation():
    assert words("山田 太郎") == ["山田", "太郎"]
    assert words("李_小龙") == ["李", "小龙"]
    assert words("김민준") == ["김민준"]


def test_it_keeps_japanese_voicing_marks_and_folds_half_width_kana():
    # ガ (ga) and カ (ka) are different sounds: the dakuten is not an accent.
    assert fold("ガルシア") == "ガルシア"
    assert fold("ｶﾞﾙｼｱ") == "ガルシア"
    assert name_key("", "ガルシア") != name_key("", "カルシア")


def test_it_keeps_scripts_with_vowel_signs_in_one_word():
    # Devanagari vowel signs are combining marks that `re`'s \w does not match.
    assert len(words("हिन्दी")) == 1
    assert words("हिन्दी नाम") == [fold("हिन्दी"), fold("नाम")]
    assert len(words("สมชาย ใจดี")) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jean.dupont@example.com", ["jean", "dupont", "example", "com"]),
        ("Jean-Pierre Le Gall", ["jean", "pierre", "le", "gall"]),
        ("O'Neil", ["o", "neil"]),
        ("jean_dupont+crm@mail.example.fr", ["jean", "dupont", "crm", "mail", "example", "fr"]),
        ("  Dupont,   Jean  ", ["dupont", "jean"]),
        ("R2-D2", ["r2", "d2"]),
        ("", []),
        ("— ... @@ --", []),
    ],
)
def test_it_splits_words_on_punctuation(text, expected):
    assert words(text) == expected


def test_it_collapses_whitespace_of_one_line_values():
    assert clean_text("  Jean \t\n  Dupont  ") == "Jean Dupont"
    assert clean_text("   ") == ""


def test_name_key_needs_a_last_name():
    assert name_key("Jean", None) is None
    assert name_key("Jean", "") is None
    assert name_key("Jean", "   ") is None


def test_name_key_is_last_name_then_first_name_folded():
    assert name_key("Jean", "Dupont") == "dupont|jean"
    assert name_key(None, "Dupont") == "dupont|"
    assert name_key("Jean-Pierre", "Le Gall") == "le gall|jean pierre"


def test_name_key_matches_however_the_name_was_typed():
    assert name_key("José", "ÁLVAREZ") == name_key("jose", "alvarez")
    assert name_key(" Jean ", "dupont") == name_key("JEAN", "Dupont ")
    assert name_key("Jean-Pierre", "Dupont") == name_key("Jean Pierre", "Dupont")
    assert name_key("Иван", "Петров") == "петров|иван"


def test_name_key_tells_first_and_last_name_apart():
    assert name_key("Jean", "Martin") != name_key("Martin", "Jean")


def test_search_text_has_names_emails_and_companies_without_repeats():
    text = search_text(
        ["Jean", None, "Dupont"], ["jean.dupont@example.com"], ["Dupont & Fils", "Example SA"]
    )
    assert text == "jean dupont example com fils sa"


def test_search_text_folds_every_part():
    assert search_text(["Hélène", "", "ÁLVAREZ"], [], ["Société Générale"]) == (
        "helene alvarez societe generale"
    )


def test_search_text_is_empty_without_words():
    assert search_text([None, None, None], [], []) == ""


@pytest.mark.parametrize(
    ("title", "query", "expected"),
    [
        ("Énorme contrat 2026", "enorme", True),
        ("Énorme contrat 2026", "CONTRAT 20", True),
        ("Énorme contrat 2026", "trat", False),
        ("Énorme contrat 2026", "contrat enorme", False),
        ("Renouvellement", "", False),
        ("Renouvellement", "!!", False),
    ],
)
def test_a_title_matches_when_the_query_starts_a_run_of_its_words(title, query, expected):
    assert title_matches(title, query) is expected


@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        ("Du\u200bpont", "Dupont"),  # a zero-width space would escape duplicate matching
        ("\u202eoc.live", "oc.live"),  # an override would make it read "evil.co"
        ("a\u2066b\u2069c\u202ad\u202c", "abcd"),  # isolates and embeddings
        ("\x1b[31mred\x1b[0m alert\x07", "red alert"),  # ANSI colours and a bell
        ("\ufeffJean\u2060", "Jean"),  # a byte-order mark and a word joiner
        ("Cafe\u0301", "Café"),  # NFC: one é, as typed on another keyboard
        ("line one\r\nline\ttwo", "line one\nline\ttwo"),  # line breaks and tabs stay
        ("👨\u200d👩\u200d👧 فارسی\u200cها", "👨\u200d👩\u200d👧 فارسی\u200cها"),  # joiners stay
        ("nul\x00", "nul\x00"),  # left for clean_string to refuse with its message
    ],
)
def test_visible_text_keeps_only_what_a_reader_sees(typed, seen):
    assert visible_text(typed) == seen


INVISIBLE = "\u200b\u2060\ufeff\u180e\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x07\x1b"


# Any text, with invisible characters, ANSI escapes and combining accents mixed in often.
TYPED = st.lists(
    st.one_of(
        st.characters(),
        st.sampled_from(["e", "\u0301", "\u200b", "\u202e", "\x1b[31m", "\x07", "\r", "\n"]),
    )
).map("".join)


@given(TYPED)
def test_visible_text_is_stable_nfc_with_nothing_unseen(typed):
    seen = visible_text(typed)
    assert visible_text(seen) == seen
    assert unicodedata.is_normalized("NFC", seen)
    assert not set(seen) & set(INVISIBLE)
    assert "\r\n" not in seen


@given(
    st.text(st.characters(categories=["L", "M"]), min_size=1, max_size=12),
    # Not ESC: before a capital letter it starts a real two-character escape sequence.
    st.lists(st.tuples(st.integers(0, 12), st.sampled_from(INVISIBLE[:-1])), max_size=6),
)
def test_invisible_characters_never_change_who_a_name_is(name, inserts):
    typed = name
    for position, char in inserts:
        typed = typed[:position] + char + typed[position:]
    assert name_key("Jean", visible_text(typed)) == name_key("Jean", visible_text(name))
