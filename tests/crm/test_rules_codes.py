"""Codes derived from names, moves within a list, and the required one-line label rule."""

import pytest

from crm.errors import ValidationError
from crm.rules.codes import moved, slug, unique_code
from crm.rules.names import clean_label


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Customer level", "customer_level"),
        ("Date d'entrée", "date_d_entree"),
        ("  Réseaux & co  ", "reseaux_co"),
        ("2nd phone", "field_2nd_phone"),
        ("Ёлка", "field"),
        ("x" * 80, "x" * 40),
    ],
)
def test_a_code_is_derived_from_a_name(text, code):
    assert slug(text, "field") == code
    assert slug(text, "field").isidentifier()


def test_a_taken_code_gets_a_number():
    assert unique_code("size", set()) == "size"
    assert unique_code("size", {"size"}) == "size_2"
    assert unique_code("size", {"size", "size_2"}) == "size_3"
    assert len(unique_code("x" * 40, {"x" * 40})) <= 40


def test_moving_an_item_stays_within_the_list():
    assert moved([1, 2, 3], 3, -1) == [1, 3, 2]
    assert moved([1, 2, 3], 1, -1) == [1, 2, 3]
    assert moved([1, 2, 3], 3, 1) == [1, 2, 3]
    assert moved([1, 2, 3], 1, 5) == [2, 3, 1]
    assert moved([1, 2, 3], 9, 1) == [1, 2, 3]


def test_a_label_is_required_and_bounded():
    assert clean_label("  Budget  ") == "Budget"
    for bad in ("", "   ", "x" * 201, "a\x00b"):
        with pytest.raises(ValidationError):
            clean_label(bad)
