"""Edits of a field's ordered values: toggling, moving first, removing, changing one."""

import pytest

from crm.rules.fields import FieldError
from crm.rules.values import change_at, move_first, remove_at, toggle


def test_toggling_adds_a_missing_value_at_the_end_and_removes_a_present_one():
    assert toggle([3, 1], 2) == [3, 1, 2]
    assert toggle([3, 1, 2], 1) == [3, 2]
    assert toggle([], "gold") == ["gold"]


def test_moving_a_value_first_keeps_the_others_in_their_order():
    assert move_first(["a", "b", "c", "d"], 2) == ["c", "a", "b", "d"]
    assert move_first(["a", "b"], 0) == ["a", "b"]


def test_removing_a_value_keeps_the_others_in_their_order():
    assert remove_at(["a", "b", "c"], 1) == ["a", "c"]
    assert remove_at(["a"], 0) == []


def test_changing_a_value_leaves_the_others_and_the_original_list_alone():
    values = [{"value": "x", "value_type": "WORK"}, {"value": "y", "value_type": "HOME"}]
    changed = change_at(values, 1, lambda item: {**item, "value_type": "OTHER"})
    assert changed == [{"value": "x", "value_type": "WORK"}, {"value": "y", "value_type": "OTHER"}]
    assert values[1]["value_type"] == "HOME"


@pytest.mark.parametrize("position", [-1, 2, 99])
def test_a_position_the_list_does_not_have_is_refused(position):
    for edit in (
        lambda: move_first(["a", "b"], position),
        lambda: remove_at(["a", "b"], position),
        lambda: change_at(["a", "b"], position, str.upper),
    ):
        with pytest.raises(FieldError, match=f"has no value number {position + 1}"):
            edit()
