"""Custom fields' pure rules: options typed one per line, and which types hold several values."""

import pytest

from crm.errors import ValidationError
from crm.rules.customfields import allows_multiple, parse_options
from models.enums import FieldType


def test_list_options_are_read_one_per_line():
    assert parse_options(" Gold \n\nSilver  plated\nBronze\n") == [
        "Gold",
        "Silver plated",
        "Bronze",
    ]
    for bad in ("", "\n \n", "A\na", "x" * 201):
        with pytest.raises(ValidationError):
            parse_options(bad)


def test_only_a_yes_no_field_cannot_hold_several_values():
    assert [t for t in FieldType if not allows_multiple(t)] == [FieldType.BOOLEAN]
