"""Editing one field's values from the edit dialog's buttons: channels added, retyped, made
primary, removed; a value of a multi-value field switched on or off."""

from collections.abc import Callable
from typing import Any

from crm.actors import Actor
from crm.contacts.card import ContactCard, get_contact_for_edit
from crm.contacts.records import update_contact
from crm.errors import (
    ValidationError,
)
from crm.rules import values as value_rules
from crm.rules.fieldref import FieldRef
from crm.rules.fields import (
    CHANNEL_FIELDS,
    FieldError,
)
from models.enums import ChannelKind

# --- editing one field's values (the edit dialog's buttons) -----------------------------------

CHANNEL_NAMES = {kind: name for name, kind in CHANNEL_FIELDS.items()}
ChannelItems = list[dict[str, str]]


async def _edit_channels(
    actor: Actor,
    contact_id: int,
    kind: ChannelKind,
    expected_version: int,
    edit: Callable[[ChannelItems], ChannelItems],
) -> ContactCard:
    """Save the contact's channels of `kind` as `edit` changes them: the whole list goes through
    `update_contact`, so every value is checked again and the change is in the history."""
    card = await get_contact_for_edit(actor, contact_id, expected_version)
    name = CHANNEL_NAMES[kind]
    items = [
        {"value": c.value, "value_type": c.value_type} for c in card.channels if c.kind == kind
    ]
    try:
        edited = edit(items)
    except FieldError as exc:
        raise ValidationError({name: str(exc)}) from exc
    return await update_contact(actor, contact_id, {name: edited}, expected_version)


async def add_channel(
    actor: Actor,
    contact_id: int,
    kind: ChannelKind,
    value: str,
    value_type: str,
    expected_version: int,
) -> ContactCard:
    """Add a phone, e-mail, website or messenger after the contact's others of its kind (the
    first one is primary). Raises what `update_contact` raises; returns the saved card."""
    new = {"value": value, "value_type": value_type}
    return await _edit_channels(
        actor, contact_id, kind, expected_version, lambda items: [*items, new]
    )


async def set_channel_type(
    actor: Actor,
    contact_id: int,
    kind: ChannelKind,
    position: int,
    value_type: str,
    expected_version: int,
) -> ContactCard:
    """Give the value at `position` among the contact's channels of `kind` another type.

    Raises ValidationError (a position or a type that does not exist) or what
    `update_contact` raises; returns the saved card.
    """
    return await _edit_channels(
        actor,
        contact_id,
        kind,
        expected_version,
        lambda items: value_rules.change_at(
            items, position, lambda item: {**item, "value_type": value_type}
        ),
    )


async def make_channel_primary(
    actor: Actor, contact_id: int, kind: ChannelKind, position: int, expected_version: int
) -> ContactCard:
    """Make the value at `position` the contact's primary one of its kind (it moves first)."""
    return await _edit_channels(
        actor,
        contact_id,
        kind,
        expected_version,
        lambda items: value_rules.move_first(items, position),
    )


async def remove_channel(
    actor: Actor, contact_id: int, kind: ChannelKind, position: int, expected_version: int
) -> ContactCard:
    """Remove the value at `position` of the contact's channels of `kind` (the next one up
    becomes primary when the primary goes)."""
    return await _edit_channels(
        actor,
        contact_id,
        kind,
        expected_version,
        lambda items: value_rules.remove_at(items, position),
    )


async def toggle_value(
    actor: Actor, contact_id: int, field_name: str, value: Any, expected_version: int
) -> ContactCard:
    """Switch one value of a field with several values on or off: a staff member among the
    `observers`, or a value of a multiple custom field (`custom.<code>`).

    Raises NotFoundError, PermissionDeniedError, StaleEditError or ValidationError; returns
    the saved card.
    """
    card = await get_contact_for_edit(actor, contact_id, expected_version)
    if field_name == "observers":
        changes: dict[str, Any] = {"observers": value_rules.toggle(card.observer_ids, value)}
    elif ref := FieldRef.from_data_key(field_name):
        current = card.custom.get(ref.code, [])
        changes = {"custom": {ref.code: value_rules.toggle(current, value)}}
    else:
        raise ValidationError({field_name: "does not take several values"})
    return await update_contact(actor, contact_id, changes, expected_version)
