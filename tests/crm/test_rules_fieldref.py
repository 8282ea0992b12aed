"""FieldRef: the one parser of custom-field names."""

import pytest

from crm.rules.fieldref import FieldRef


def test_a_card_field_name_and_a_data_key_name_the_same_field():
    ref = FieldRef.from_card_field("uf:birthday")
    assert ref == FieldRef.from_data_key("custom.birthday") == FieldRef("birthday")
    assert (ref.card_field, ref.data_key) == ("uf:birthday", "custom.birthday")


@pytest.mark.parametrize("name", ["first_name", "", None, "uf:", "custom.x", "UF:x", "phones.1"])
def test_anything_else_is_not_a_card_field(name):
    assert FieldRef.from_card_field(name) is None


@pytest.mark.parametrize("key", ["email", "", None, "custom.", "uf:x", "phones.0"])
def test_anything_else_is_not_a_data_key(key):
    assert FieldRef.from_data_key(key) is None
