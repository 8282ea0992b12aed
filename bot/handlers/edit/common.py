"""What the edit dialogs share: their callback data and states, the fields they edit, small
widgets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery

from bot import render
from crm.contacts import ChannelView, ContactCard
from crm.errors import ValidationError
from crm.i18n import Markup, Translator, escape
from crm.rules.fieldref import FieldRef
from crm.rules.fields import BOOL_FIELDS, CHANNEL_FIELDS, DATE_FIELDS, TEXT_FIELDS
from models.enums import FieldType

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import CustomField

# Commands keep working inside a dialog (/cancel leaves it); any other text answers it.
TYPED_ANSWER = (F.text, ~F.text.startswith("/"))


class EditButton(StrEnum):
    """The buttons of the edit dialog (short values: callback data holds 64 bytes)."""

    MENU = "m"
    DONE = "d"
    FIELD = "f"  # open field `field`
    CHOOSE = "s"  # choose choice number `item` of it
    CLEAR = "c"
    CANCEL = "x"
    CHANNELS = "cl"  # the values of channel field `field`
    CHANNEL = "ch"  # its value at position `item`
    CHANNEL_TYPE = "ct"  # give that value the type number `type_number`
    MAKE_PRIMARY = "cp"  # move that value first
    REMOVE = "cr"  # remove that value
    ADD = "ca"  # add a value: it is asked for
    ADDED_TYPE = "at"  # give the added value the type number `type_number`


class EditAction(CallbackData, prefix="e"):
    """A button of the edit dialog (ids and short codes only, never trusted).

    `version`: the contact version shown; `field`: a built-in field's name or
    `u<custom field id>`; `item` and `type_number` as `EditButton` says.
    """

    action: EditButton
    id: int
    version: int
    field: str = ""
    item: int = 0
    type_number: int = 0


class LinkButton(StrEnum):
    """The buttons of the link dialog."""

    MENU = "m"
    LINK = "l"  # link the found target (as the primary company when `primary`)
    CREATE = "n"  # create the company titled as the last search, and link it
    UNLINK = "u"
    MAKE_PRIMARY = "p"  # make a linked company the primary one
    DONE = "d"


class LinkTarget(StrEnum):
    """What a contact is linked to."""

    COMPANY = "c"
    DEAL = "d"


class LinkAction(CallbackData, prefix="el"):
    """A button of the link dialog about contact `id` and the target `target_id`."""

    action: LinkButton
    id: int
    target: LinkTarget | None = None
    target_id: int = 0
    primary: bool = False


class EditForm(StatesGroup):
    """The edit dialog waits for a typed value."""

    value = State()  # a field's new value, typed
    channel_value = State()  # a phone, e-mail, website or messenger to add
    channel_type = State()  # ...and then its type, by button


class LinkForm(StatesGroup):
    """The link dialog waits for a title."""

    title = State()  # a company or deal title to find, or a new company's title


BUILTIN_KINDS: dict[str, str] = {
    **{name: "text" for name in TEXT_FIELDS},
    **{name: "date" for name in DATE_FIELDS},
    **{name: "bool" for name in BOOL_FIELDS},
    **{name: "channel" for name in CHANNEL_FIELDS},
    "type_id": "type",
    "source_id": "source",
    "responsible_id": "staff",
    "observers": "observers",
    "companies": "companies",
}
CUSTOM_KINDS = {FieldType.BOOLEAN: "bool", FieldType.LIST: "list", FieldType.STAFF: "staff"}


@dataclass(frozen=True, slots=True)
class EditField:
    """A card field as the dialog handles it: `key` goes in callback data, `name` is the
    layout's name (`uf:<code>` for custom fields)."""

    key: str
    name: str
    kind: str
    custom: CustomField | None = None

    @property
    def multiple(self) -> bool:
        """Whether the field holds several values (switched on and off one by one)."""
        return self.kind == "observers" or bool(self.custom and self.custom.multiple)

    @property
    def ref(self) -> str:
        """The field as the core names it (`custom.<code>` for custom fields)."""
        return FieldRef(self.custom.code).data_key if self.custom is not None else self.name

    def changes(self, value: Any) -> dict[str, Any]:
        """The `update_contact` changes that set this field to `value`."""
        if self.custom is not None:
            return {"custom": {self.custom.code: value}}
        return {self.name: value}


def resolve(key: str, definitions: dict[str, CustomField]) -> EditField | None:
    """The field a callback names, or None for a name no dialog offers (forged or retired)."""
    if key in BUILTIN_KINDS:
        return EditField(key, key, BUILTIN_KINDS[key])
    if key.startswith("u") and key[1:].isdigit():
        for definition in definitions.values():
            if definition.id == int(key[1:]):
                return _custom_field(definition)
    return None


def _custom_field(definition: CustomField) -> EditField:
    kind = CUSTOM_KINDS.get(definition.type, "text")
    return EditField(f"u{definition.id}", FieldRef(definition.code).card_field, kind, definition)


def layout_field(name: str, definitions: dict[str, CustomField]) -> EditField | None:
    """The field a card layout names (`uf:<code>` for custom fields), or None if retired."""
    if ref := FieldRef.from_card_field(name):
        definition = definitions.get(ref.code)
        return _custom_field(definition) if definition is not None else None
    return resolve(name, definitions)


def current_values(card: ContactCard, field: EditField) -> list[Any]:
    """The field's values on the card, as a list (empty when unset)."""
    if field.custom is not None:
        return list(card.custom.get(field.custom.code, []))
    if field.kind == "observers":
        return list(card.observer_ids)
    value = getattr(card.contact, field.name, None)
    return [] if value in (None, "") else [value]


def field_options(field: EditField) -> list[tuple[str, str]]:
    """A list field's options as (key, label), read as the core reads them."""
    options = field.custom.options if field.custom is not None else []
    result = []
    for option in options or []:
        if isinstance(option, dict):
            key = str(option["key"])
            result.append((key, str(option.get("label", key))))
        else:
            result.append((str(option), str(option)))
    return result


def as_typed(value: Any) -> str:
    """A stored value as it can be typed back."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 12.500000 as stored reads 12.5
    return str(value)


def label_html(t: Translator, field: EditField, definitions: dict[str, CustomField]) -> str:
    """The field's label as HTML (custom labels escaped by render)."""
    return render.field_label(t, field.name, definitions)


async def outdated(query: CallbackQuery, t: Translator) -> None:
    """Answer a button that names something no longer offered (or never offered)."""
    await query.answer(t.plain("edit-outdated"), show_alert=True)


async def forget(state: FSMContext) -> None:
    """Leave this feature's dialogs (another feature's state is left alone)."""
    current = await state.get_state()
    if current in EditForm or current in LinkForm:
        await state.set_state(None)
    data = await state.get_data()
    if "edit" in data or "link" in data:
        data.pop("edit", None)
        data.pop("link", None)
        await state.set_data(data)


def saved_notice(t: Translator, before: int, card: ContactCard) -> str:
    """ "Saved" when the card's version moved past `before`, else "Nothing changed"."""
    return t("edit-saved") if card.version != before else t("edit-unchanged")


def error_text(t: Translator, exc: ValidationError, definitions: dict[str, CustomField]) -> str:
    """The core's per-field messages, custom fields under their own labels."""
    lines = [
        f"• {render.field_label(t, name, definitions)}: {escape(message)}"
        for name, message in exc.errors.items()
    ]
    return t("error-validation", details=Markup("\n" + "\n".join(lines)))


async def pending_edit(state: FSMContext) -> dict[str, Any]:
    """What a typed answer of the edit dialog is for: contact `id`, version `v`, field `f`."""
    pending = (await state.get_data()).get("edit")
    return pending if isinstance(pending, dict) else {}


def channel_views(card: ContactCard, field: EditField) -> list[ChannelView]:
    """The card's values of a channel field, the primary one first."""
    kind = CHANNEL_FIELDS[field.name]
    return [c for c in card.channels if c.kind == kind]
