"""Edits of a field's ordered values (a contact's phones, a multi-value field): pure rules.

Positions count from 0, as lists do; the first value of a channel list is its primary one.
"""

from collections.abc import Callable, Sequence
from typing import TypeVar

from crm.rules.fields import FieldError

T = TypeVar("T")


def _check_position(values: Sequence[object], position: int) -> None:
    if not 0 <= position < len(values):
        # Only a forged button gets here: the edit dialogs check the version the user saw.
        raise FieldError(f"has no value number {position + 1}")


def toggle(values: Sequence[T], value: T) -> list[T]:
    """`values` without `value` when it is among them, else with `value` added at the end."""
    return [v for v in values if v != value] if value in values else [*values, value]


def move_first(values: Sequence[T], position: int) -> list[T]:
    """The value at `position` first (the primary one), the others in their order.

    Raises FieldError for a position the list does not have.
    """
    _check_position(values, position)
    return [values[position], *values[:position], *values[position + 1 :]]


def remove_at(values: Sequence[T], position: int) -> list[T]:
    """`values` without the one at `position`; raises FieldError for a position it lacks."""
    _check_position(values, position)
    return [*values[:position], *values[position + 1 :]]


def change_at(values: Sequence[T], position: int, change: Callable[[T], T]) -> list[T]:
    """`values` with the one at `position` replaced by `change` of it; raises FieldError for a
    position the list does not have."""
    _check_position(values, position)
    return [*values[:position], change(values[position]), *values[position + 1 :]]
