"""Editing a contact field by field, and linking it to companies and deals (the card's buttons)."""

import contextlib
import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import render
from bot.callbacks import CardAction
from bot.handlers.card import edit_or_send, send_card
from bot.messages import query_message
from crm import catalog, companies, contacts, customfields, staff
from crm.actors import Actor
from crm.contacts import ChannelView, ContactCard
from crm.errors import CrmError, StaleEditError, ValidationError
from crm.i18n import Markup, Translator, escape
from crm.layout import card_layout
from crm.rules.fields import BOOL_FIELDS, CHANNEL_FIELDS, DATE_FIELDS, TEXT_FIELDS, VALUE_TYPES
from models import CustomField
from models.enums import ChannelKind, FieldType

# Telegram allows 100 buttons per message: lists are cut so that the navigation still fits.
MAX_ITEMS = 90
# Listed in the text as well, one line of at most ~80 characters each: 40 lines, or 20
# companies and 20 deals, stay within Telegram's 4096 characters.
MAX_CHANNELS = 40
MAX_LINKS = 20
BUTTON_LIMIT = 40  # characters of a button label; clients cut longer ones anyway
QUERY_LIMIT = 200  # a title longer than this is no search
VALUE_LIMIT = 1000  # a typed channel value kept in the conversation state (the core allows 255)


class EditAction(CallbackData, prefix="e"):
    """A button of the edit dialog (ids and short codes only, never trusted).

    `a`: m menu, f open field `f`, s choose item `i`, c clear, ch channel `i`, ct give channel
    `i` the type number `n`, cp make channel `i` primary, cr remove channel `i`, ca add a
    channel, at give the added channel the type number `n`, x cancel, d done.
    `f`: a built-in field's name or `u<custom field id>`; `v`: the contact version shown.
    """

    a: str
    id: int
    v: int
    f: str = ""
    i: int = 0
    n: int = 0


class LinkAction(CallbackData, prefix="el"):
    """A button of the link dialog: `a` m menu, l link, n create the searched company,
    u unlink, p make primary, d done; `k` c (company) or d (deal), `to` its id, `p` 1 = primary."""

    a: str
    id: int
    k: str = ""
    to: int = 0
    p: int = 0


class EditForm(StatesGroup):
    value = State()  # a field's new value, typed
    channel_value = State()  # a phone, e-mail, website or messenger to add
    channel_type = State()  # ...and then its type, by button


class LinkForm(StatesGroup):
    title = State()  # a company or deal title to find, or a new company's title


LINK_KINDS = {"c": "company", "d": "deal"}
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
TYPED_KINDS = {"text", "date"}  # answered by a message; the others by buttons


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
        return self.kind == "observers" or bool(self.custom and self.custom.multiple)

    @property
    def ref(self) -> str:
        """The field as the core names it (`custom.<code>` for custom fields)."""
        return f"custom.{self.custom.code}" if self.custom is not None else self.name

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
    return EditField(f"u{definition.id}", f"uf:{definition.code}", kind, definition)


def _layout_field(name: str, definitions: dict[str, CustomField]) -> EditField | None:
    if name.startswith("uf:"):
        definition = definitions.get(name[3:])
        return _custom_field(definition) if definition is not None else None
    return resolve(name, definitions)


def _current(card: ContactCard, field: EditField) -> list[Any]:
    if field.custom is not None:
        return list(card.custom.get(field.custom.code, []))
    if field.kind == "observers":
        return list(card.observer_ids)
    value = getattr(card.contact, field.name, None)
    return [] if value in (None, "") else [value]


def _options(field: EditField) -> list[tuple[str, str]]:
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


def _raw(value: Any) -> str:
    """A stored value as it can be typed back."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 12.500000 as stored reads 12.5
    return str(value)


def _label(t: Translator, field: EditField, definitions: dict[str, CustomField]) -> str:
    """The field's label as HTML (custom labels escaped by render)."""
    return render.field_label(t, field.name, definitions)


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=render.shorten(text, BUTTON_LIMIT), callback_data=data.pack())


async def _outdated(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t.plain("edit-outdated"), show_alert=True)


async def _forget(state: FSMContext) -> None:
    """Leave this feature's dialogs (another feature's state is left alone)."""
    current = await state.get_state()
    if current in EditForm or current in LinkForm:
        await state.set_state(None)
    data = await state.get_data()
    if "edit" in data or "link" in data:
        data.pop("edit", None)
        data.pop("link", None)
        await state.set_data(data)


def _notice(t: Translator, before: int, card: ContactCard) -> str:
    return t("edit-saved") if card.version != before else t("edit-unchanged")


def _error_text(t: Translator, exc: ValidationError, definitions: dict[str, CustomField]) -> str:
    """The core's per-field messages, custom fields under their own labels."""
    lines = [
        f"• {render.field_label(t, name, definitions)}: {escape(message)}"
        for name, message in exc.errors.items()
    ]
    return t("error-validation", details=Markup("\n" + "\n".join(lines)))


class EditErrorsMiddleware(BaseMiddleware):
    """A stale edit becomes a friendly message with the way to the current card; bad input is
    reported and may be retried; any other core error ends the dialog (and is reported by the
    bot's error handler)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        t: Translator = data["t"]
        state: FSMContext | None = data.get("state")
        try:
            return await handler(event, data)
        except StaleEditError as exc:
            if state is not None:
                await _forget(state)
            kb = InlineKeyboardBuilder()
            kb.button(
                text=t.plain("edit-btn-open-current"),
                callback_data=CardAction(action="open", id=int(exc.params["entity_id"])),
            )
            await _reply(event, t("edit-stale"), kb.as_markup(), t.plain("edit-stale-short"))
        except ValidationError as exc:
            text = _error_text(t, exc, await customfields.active_fields())
            await _reply(event, text, None, t.plain("error-short"))
        except CrmError:
            if state is not None:
                await _forget(state)
            raise
        return None


async def _reply(
    event: TelegramObject, text: str, markup: InlineKeyboardMarkup | None, short: str
) -> None:
    if isinstance(event, CallbackQuery):
        # The handler may have answered the query already; a second answer is refused.
        with contextlib.suppress(TelegramBadRequest):
            await event.answer(render.shorten(short, 190))
        if isinstance(event.message, Message):
            await event.message.answer(text, reply_markup=markup)
    elif isinstance(event, Message):
        await event.answer(text, reply_markup=markup)


# --- the menu of fields ---------------------------------------------------------------------


def _summary(
    t: Translator, card: ContactCard, field: EditField, staff_names: dict[int, str]
) -> str:
    """A field's current value as short plain text for its button ('' when empty)."""
    if field.kind == "channel":
        values = [c.value for c in _channels(card, field)]
        extra = f" +{len(values) - 1}" if len(values) > 1 else ""
        return values[0] + extra if values else ""
    if field.kind == "companies":
        titles = [c.title for c in sorted(card.companies, key=lambda c: not c.is_primary)]
        extra = f" +{len(titles) - 1}" if len(titles) > 1 else ""
        return titles[0] + extra if titles else ""
    if field.kind == "observers":
        return str(len(card.observer_ids)) if card.observer_ids else ""
    names = {
        "type_id": card.type_name,
        "source_id": card.source_name,
        "responsible_id": card.responsible_name,
    }
    if field.name in names:
        return names[field.name] or ""
    labels = dict(_options(field))
    shown = []
    for value in _current(card, field):
        if isinstance(value, bool):
            shown.append(t.plain("yes") if value else t.plain("no"))
        elif isinstance(value, datetime):
            shown.append(t.datetime(value))
        elif isinstance(value, date):
            shown.append(t.date(value))
        elif field.kind == "list":
            shown.append(labels.get(str(value), str(value)))
        elif field.kind == "staff" and field.custom is not None:
            shown.append(staff_names.get(value, f"#{value}"))
        else:
            shown.append(_raw(value))
    return ", ".join(shown)


async def _menu(
    target: Message,
    actor: Actor,
    t: Translator,
    card: ContactCard,
    notice: str = "",
    *,
    edit: bool = True,
) -> None:
    """The fields in layout order (hidden ones marked) as buttons: the bot's message edited in
    place, or a new message in answer to a typed one."""
    definitions = await customfields.active_fields()
    staff_names: dict[int, str] = {}
    if any(d.type == FieldType.STAFF for d in definitions.values()):
        staff_names = {s.id: s.name for s in await staff.list_staff(actor, include_inactive=True)}
    rows: list[InlineKeyboardButton] = []
    any_hidden = False
    for section in await card_layout():
        placed = [(n, False) for n in section.fields] + [(n, True) for n in section.hidden]
        for name, hidden in placed:
            field = _layout_field(name, definitions)
            if field is None:
                continue
            label = html.unescape(_label(t, field, definitions))
            if hidden:
                any_hidden = True
                label = t.plain("edit-btn-hidden", label=label)
            value = _summary(t, card, field, staff_names)
            text = t.plain("edit-btn-value", label=label, value=value) if value else label
            data: CallbackData = (
                LinkAction(a="m", id=card.id)
                if field.kind == "companies"
                else EditAction(a="f", id=card.id, v=card.version, f=field.key)
            )
            rows.append(_button(text, data))
    kb = InlineKeyboardBuilder()
    kb.row(*rows[: MAX_ITEMS + 6])  # two per row below; the Done button makes at most 97
    kb.adjust(2)
    kb.row(_button(t.plain("edit-btn-done"), EditAction(a="d", id=card.id, v=card.version)))
    lines = [notice] if notice else []
    title = render.shorten(render.card_title(card.contact), 100)
    lines.append(t("edit-menu", name=title, id=str(card.id)))
    if any_hidden:
        lines.append(t("edit-menu-hidden"))
    if edit:
        await edit_or_send(target, "\n".join(lines), kb.as_markup())
    else:
        await target.answer("\n".join(lines), reply_markup=kb.as_markup())


async def on_edit(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The card's Edit button: the menu, if the contact is still as the card showed it."""
    card = await contacts.get_contact_for_edit(actor, callback_data.id, callback_data.v)
    await _forget(state)
    await query.answer()
    await _menu(query_message(query), actor, t, card)


async def on_menu(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Back to the menu: it shows the contact as it is now."""
    card = await contacts.get_contact_for_edit(actor, callback_data.id)
    await _forget(state)
    await query.answer()
    await _menu(query_message(query), actor, t, card)


async def on_done(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    card = await contacts.get_contact(actor, callback_data.id)
    await _forget(state)
    await query.answer()
    await send_card(query_message(query), t, card, edit=True, actor=actor)


async def on_field(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """A field's button: a question for typed fields, a list of values or choices otherwise."""
    card = await contacts.get_contact_for_edit(actor, callback_data.id, callback_data.v)
    definitions = await customfields.active_fields()
    field = resolve(callback_data.f, definitions)
    if field is None or field.kind == "companies":
        await _outdated(query, t)
        return
    await query.answer()
    message = query_message(query)
    if field.kind in TYPED_KINDS:
        await _ask_value(message, t, state, card, field, definitions)
    elif field.kind == "channel":
        await _show_channels(message, t, card, field, definitions)
    else:
        await _show_choices(message, actor, t, card, field, definitions)


# --- typed values -----------------------------------------------------------------------------


def _prompt_keyboard(
    t: Translator, contact_id: int, version: int, key: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        _button(t.plain("edit-btn-clear"), EditAction(a="c", id=contact_id, v=version, f=key)),
        _button(t.plain("edit-btn-cancel"), EditAction(a="x", id=contact_id, v=version)),
    )
    return kb.as_markup()


def _hints(t: Translator, field: EditField) -> list[str]:
    hints = []
    ftype = field.custom.type if field.custom is not None else None
    if field.kind == "date" or ftype == FieldType.DATE:
        hints.append(t("edit-hint-date"))
    if ftype == FieldType.DATETIME:
        hints.append(t("edit-hint-datetime"))
    if field.multiple:
        hints.append(t("edit-hint-multiple"))
    return hints


async def _ask_value(
    message: Message,
    t: Translator,
    state: FSMContext,
    card: ContactCard,
    field: EditField,
    definitions: dict[str, CustomField],
) -> None:
    await state.set_state(EditForm.value)
    await state.update_data(edit={"id": card.id, "v": card.version, "f": field.key})
    lines = [t("edit-ask", field=Markup(_label(t, field, definitions))), *_hints(t, field)]
    current = "\n".join(_raw(v) for v in _current(card, field))
    if current:
        lines.append(t("edit-current", value=render.shorten(current, 3000)))
    await edit_or_send(
        message, "\n".join(lines), _prompt_keyboard(t, card.id, card.version, field.key)
    )


async def _pending(state: FSMContext) -> dict[str, Any]:
    pending = (await state.get_data()).get("edit")
    return pending if isinstance(pending, dict) else {}


async def process_value(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """A typed value: saved with the version the user saw; bad input is asked again."""
    pending = await _pending(state)
    definitions = await customfields.active_fields()
    field = resolve(str(pending.get("f", "")), definitions)
    if field is None or "id" not in pending:
        await _forget(state)
        await message.answer(t("edit-outdated"))
        return
    text = message.text or ""
    value: Any = [line for line in text.splitlines() if line.strip()] if field.multiple else text
    contact_id, version = int(pending["id"]), int(pending["v"])
    try:
        card = await contacts.update_contact(actor, contact_id, field.changes(value), version)
    except ValidationError as exc:
        again = t("edit-ask-again", field=Markup(_label(t, field, definitions)))
        await message.answer(
            _error_text(t, exc, definitions) + "\n\n" + again,
            reply_markup=_prompt_keyboard(t, contact_id, version, field.key),
        )
        return
    await _forget(state)
    await _menu(message, actor, t, card, _notice(t, version, card), edit=False)


async def on_clear(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    definitions = await customfields.active_fields()
    field = resolve(callback_data.f, definitions)
    if field is None or field.kind in ("channel", "companies"):
        await _outdated(query, t)
        return
    empty: Any = [] if field.multiple or field.custom is not None else None
    card = await contacts.update_contact(
        actor, callback_data.id, field.changes(empty), callback_data.v
    )
    await _forget(state)
    notice = _notice(t, callback_data.v, card)
    await query.answer(html.unescape(notice))
    await _menu(query_message(query), actor, t, card, notice)


async def on_cancel(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    await _forget(state)
    card = await contacts.get_contact_for_edit(actor, callback_data.id)
    await query.answer()
    await _menu(query_message(query), actor, t, card)


# --- choices by button: type, source, responsible, yes/no, observers, lists ------------------


async def _choices(actor: Actor, t: Translator, field: EditField) -> list[tuple[int, str]]:
    """The values a button field offers, as (number in callback data, label)."""
    if field.kind == "bool":
        return [(1, t.plain("yes")), (0, t.plain("no"))]
    if field.kind == "type":
        return [(item.id, item.name) for item in await catalog.list_types()]
    if field.kind == "source":
        return [(item.id, item.name) for item in await catalog.list_sources()]
    if field.kind in ("staff", "observers"):
        return [(member.id, member.name) for member in await staff.list_staff(actor)]
    if field.kind == "list":
        return [(index, label) for index, (_, label) in enumerate(_options(field))]
    return []


def _chosen(card: ContactCard, field: EditField) -> set[int]:
    values = _current(card, field)
    if field.kind == "list":
        keys = [key for key, _ in _options(field)]
        return {keys.index(str(v)) for v in values if str(v) in keys}
    return {int(v) for v in values if isinstance(v, int)}


async def _show_choices(
    message: Message,
    actor: Actor,
    t: Translator,
    card: ContactCard,
    field: EditField,
    definitions: dict[str, CustomField],
    notice: str = "",
) -> None:
    chosen = _chosen(card, field)
    kb = InlineKeyboardBuilder()
    for number, label in (await _choices(actor, t, field))[:MAX_ITEMS]:
        mark = "✓ " if number in chosen else ""
        kb.add(
            _button(
                mark + label, EditAction(a="s", id=card.id, v=card.version, f=field.key, i=number)
            )
        )
    kb.adjust(2)
    nav = [_button(t.plain("btn-back"), EditAction(a="m", id=card.id, v=card.version))]
    if field.custom is not None or field.kind in ("type", "source"):
        clear = EditAction(a="c", id=card.id, v=card.version, f=field.key)
        nav.insert(0, _button(t.plain("edit-btn-clear"), clear))
    kb.row(*nav)
    label = Markup(_label(t, field, definitions))
    key = "edit-choose-many" if field.multiple else "edit-choose"
    text = "\n".join([*([notice] if notice else []), t(key, field=label)])
    await edit_or_send(message, text, kb.as_markup())


async def on_choose(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """A value button: set it (a single value) or switch it on or off (several values)."""
    definitions = await customfields.active_fields()
    field = resolve(callback_data.f, definitions)
    number = callback_data.i
    if field is None or number not in {n for n, _ in await _choices(actor, t, field)}:
        await _outdated(query, t)
        return
    value: Any = number
    if field.kind == "bool":
        value = bool(number)
    elif field.kind == "list":
        value = _options(field)[number][0]
    contact_id, version = callback_data.id, callback_data.v
    if field.multiple:
        saved = await contacts.toggle_value(actor, contact_id, field.ref, value, version)
    else:
        saved = await contacts.update_contact(actor, contact_id, field.changes(value), version)
    notice = _notice(t, version, saved)
    await query.answer(html.unescape(notice))
    if field.multiple:
        await _show_choices(query_message(query), actor, t, saved, field, definitions, notice)
    else:
        await _menu(query_message(query), actor, t, saved, notice)


# --- channels: phones, e-mails, websites, messengers ------------------------------------------


def _channels(card: ContactCard, field: EditField) -> list[ChannelView]:
    kind = CHANNEL_FIELDS[field.name]
    return [c for c in card.channels if c.kind == kind]


def _channel_text(t: Translator, view: ChannelView) -> str:
    return f"{render.shorten(view.value, 60)} ({t.plain(f'vtype-{view.value_type}')})"


async def _show_channels(
    message: Message,
    t: Translator,
    card: ContactCard,
    field: EditField,
    definitions: dict[str, CustomField],
    notice: str = "",
) -> None:
    views = _channels(card, field)[:MAX_CHANNELS]
    lines = [notice] if notice else []
    lines.append(t("edit-channels", field=Markup(_label(t, field, definitions))))
    lines += [
        escape(f"{i + 1}. {_channel_text(t, v)}") + (" ★" if i == 0 else "")
        for i, v in enumerate(views)
    ] or [t("edit-channels-empty")]
    kb = InlineKeyboardBuilder()
    for i, view in enumerate(views):
        data = EditAction(a="ch", id=card.id, v=card.version, f=field.key, i=i)
        kb.row(_button(f"{i + 1}. {_channel_text(t, view)}", data))
    kb.row(
        _button(
            t.plain("edit-btn-add"), EditAction(a="ca", id=card.id, v=card.version, f=field.key)
        ),
        _button(t.plain("btn-back"), EditAction(a="m", id=card.id, v=card.version)),
    )
    await edit_or_send(message, "\n".join(lines), kb.as_markup())


async def _channel_field(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> tuple[ContactCard, EditField, dict[str, CustomField]] | None:
    """The contact (at the version shown) and the channel field a button names, or None."""
    card = await contacts.get_contact_for_edit(actor, callback_data.id, callback_data.v)
    definitions = await customfields.active_fields()
    field = resolve(callback_data.f, definitions)
    if field is None or field.kind != "channel":
        await _outdated(query, t)
        return None
    return card, field, definitions


async def on_channel(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """One value: its type, make it primary, remove it."""
    found = await _channel_field(query, callback_data, actor, t)
    if found is None:
        return
    card, field, definitions = found
    views, i = _channels(card, field), callback_data.i
    if not 0 <= i < len(views):
        await _outdated(query, t)
        return
    view = views[i]
    kb = InlineKeyboardBuilder()
    for number, vtype in enumerate(VALUE_TYPES[view.kind]):
        mark = "✓ " if vtype == view.value_type else ""
        data = EditAction(a="ct", id=card.id, v=card.version, f=field.key, i=i, n=number)
        kb.add(_button(mark + t.plain(f"vtype-{vtype}"), data))
    kb.adjust(3)
    actions = []
    if i > 0:
        data = EditAction(a="cp", id=card.id, v=card.version, f=field.key, i=i)
        actions.append(_button(t.plain("edit-btn-primary"), data))
    data = EditAction(a="cr", id=card.id, v=card.version, f=field.key, i=i)
    actions.append(_button(t.plain("edit-btn-remove"), data))
    kb.row(*actions)
    kb.row(_button(t.plain("btn-back"), EditAction(a="f", id=card.id, v=card.version, f=field.key)))
    text = t(
        "edit-channel",
        field=Markup(_label(t, field, definitions)),
        value=render.shorten(view.value, 200),
        vtype=t.plain(f"vtype-{view.value_type}"),
    )
    await query.answer()
    await edit_or_send(query_message(query), text, kb.as_markup())


async def _channel_field_named(
    query: CallbackQuery, callback_data: EditAction, t: Translator
) -> tuple[EditField, dict[str, CustomField]] | None:
    """The channel field a button names, or None (the button is answered as outdated)."""
    definitions = await customfields.active_fields()
    field = resolve(callback_data.f, definitions)
    if field is None or field.kind != "channel":
        await _outdated(query, t)
        return None
    return field, definitions


async def _show_saved_channels(
    query: CallbackQuery,
    t: Translator,
    shown_version: int,
    saved: ContactCard,
    field: EditField,
    definitions: dict[str, CustomField],
) -> None:
    notice = _notice(t, shown_version, saved)
    await query.answer(html.unescape(notice))
    await _show_channels(query_message(query), t, saved, field, definitions, notice)


def _value_type(kind: ChannelKind, number: int) -> str | None:
    """The value type a button's number names, or None for a number no button offers."""
    types = VALUE_TYPES[kind]
    return types[number] if 0 <= number < len(types) else None


async def on_channel_retype(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """Give one value another type."""
    found = await _channel_field_named(query, callback_data, t)
    if found is None:
        return
    field, definitions = found
    kind = CHANNEL_FIELDS[field.name]
    value_type = _value_type(kind, callback_data.n)
    if value_type is None:
        await _outdated(query, t)
        return
    saved = await contacts.set_channel_type(
        actor, callback_data.id, kind, callback_data.i, value_type, callback_data.v
    )
    await _show_saved_channels(query, t, callback_data.v, saved, field, definitions)


async def on_channel_primary(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """Make one value the primary one (it moves first)."""
    found = await _channel_field_named(query, callback_data, t)
    if found is None:
        return
    field, definitions = found
    saved = await contacts.make_channel_primary(
        actor, callback_data.id, CHANNEL_FIELDS[field.name], callback_data.i, callback_data.v
    )
    await _show_saved_channels(query, t, callback_data.v, saved, field, definitions)


async def on_channel_remove(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    found = await _channel_field_named(query, callback_data, t)
    if found is None:
        return
    field, definitions = found
    saved = await contacts.remove_channel(
        actor, callback_data.id, CHANNEL_FIELDS[field.name], callback_data.i, callback_data.v
    )
    await _show_saved_channels(query, t, callback_data.v, saved, field, definitions)


async def on_channel_add(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    found = await _channel_field(query, callback_data, actor, t)
    if found is None:
        return
    card, field, definitions = found
    await state.set_state(EditForm.channel_value)
    await state.update_data(edit={"id": card.id, "v": card.version, "f": field.key})
    kb = InlineKeyboardBuilder()
    kb.button(
        text=t.plain("edit-btn-cancel"), callback_data=EditAction(a="x", id=card.id, v=card.version)
    )
    await query.answer()
    await edit_or_send(
        query_message(query),
        t("edit-channel-ask", field=Markup(_label(t, field, definitions))),
        kb.as_markup(),
    )


async def process_channel_value(message: Message, t: Translator, state: FSMContext) -> None:
    """The value to add; its type is asked next (it is checked when it is saved)."""
    pending = await _pending(state)
    definitions = await customfields.active_fields()
    field = resolve(str(pending.get("f", "")), definitions)
    if field is None or field.kind != "channel" or "id" not in pending:
        await _forget(state)
        await message.answer(t("edit-outdated"))
        return
    value = (message.text or "").strip()[:VALUE_LIMIT]
    await state.set_state(EditForm.channel_type)
    await state.update_data(edit={**pending, "value": value})
    contact_id, version = int(pending["id"]), int(pending["v"])
    kb = InlineKeyboardBuilder()
    for number, vtype in enumerate(VALUE_TYPES[CHANNEL_FIELDS[field.name]]):
        data = EditAction(a="at", id=contact_id, v=version, f=field.key, n=number)
        kb.add(_button(t.plain(f"vtype-{vtype}"), data))
    kb.adjust(3)
    kb.row(_button(t.plain("edit-btn-cancel"), EditAction(a="x", id=contact_id, v=version)))
    await message.answer(
        t("edit-channel-type", value=render.shorten(value, 200)), reply_markup=kb.as_markup()
    )


async def on_channel_type(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The added value's type: the value joins the end of the list; bad input is asked again."""
    pending = await _pending(state)
    if (
        await state.get_state() != EditForm.channel_type.state
        or pending.get("id") != callback_data.id
        or pending.get("f") != callback_data.f
        or "value" not in pending
    ):
        await _outdated(query, t)
        return
    found = await _channel_field_named(query, callback_data, t)
    if found is None:
        return
    field, definitions = found
    kind = CHANNEL_FIELDS[field.name]
    value_type = _value_type(kind, callback_data.n)
    if value_type is None:
        await _outdated(query, t)
        return
    contact_id, version = callback_data.id, callback_data.v
    try:
        saved = await contacts.add_channel(
            actor, contact_id, kind, str(pending["value"]), value_type, version
        )
    except ValidationError as exc:
        await state.set_state(EditForm.channel_value)
        kb = InlineKeyboardBuilder()
        kb.button(
            text=t.plain("edit-btn-cancel"),
            callback_data=EditAction(a="x", id=contact_id, v=version),
        )
        again = t("edit-channel-ask", field=Markup(_label(t, field, definitions)))
        await query.answer()
        await edit_or_send(
            query_message(query), _error_text(t, exc, definitions) + "\n\n" + again, kb.as_markup()
        )
        return
    await _forget(state)
    await _show_saved_channels(query, t, version, saved, field, definitions)


# --- links to companies and deals -------------------------------------------------------------


async def _show_links(
    message: Message,
    t: Translator,
    state: FSMContext,
    links: contacts.ContactLinks,
    notice: str = "",
) -> None:
    """Current links with Unlink / Make primary buttons; the next text message searches."""
    card = links.card
    await state.set_state(LinkForm.title)
    await state.update_data(link={"id": card.id})
    companies = card.companies[:MAX_LINKS]
    deals = links.deals[:MAX_LINKS]
    lines = [notice] if notice else []
    lines.append(
        t("link-menu", name=render.shorten(render.card_title(card.contact), 100), id=str(card.id))
    )
    lines += ["", t("link-companies")]
    lines += [
        escape(render.shorten(c.title, 80)) + (" ★" if c.is_primary else "") for c in companies
    ] or [t("none")]
    lines += ["", t("link-deals")]
    lines += [escape(render.shorten(d.title, 80)) for d in deals] or [t("none")]
    lines += ["", t("link-ask")]
    kb = InlineKeyboardBuilder()
    for company in companies:
        row = [
            _button(
                t.plain("link-btn-unlink", title=company.title),
                LinkAction(a="u", id=card.id, k="c", to=company.company_id),
            )
        ]
        if not company.is_primary:
            row.append(
                _button(
                    t.plain("link-btn-make-primary"),
                    LinkAction(a="p", id=card.id, k="c", to=company.company_id),
                )
            )
        kb.row(*row)
    for deal in deals:
        kb.row(
            _button(
                t.plain("link-btn-unlink", title=deal.title),
                LinkAction(a="u", id=card.id, k="d", to=deal.id),
            )
        )
    kb.row(_button(t.plain("link-btn-done"), LinkAction(a="d", id=card.id)))
    await edit_or_send(message, "\n".join(lines), kb.as_markup())


async def on_link_start(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The card's Link button."""
    links = await contacts.get_contact_links(actor, callback_data.id)
    await query.answer()
    await _show_links(query_message(query), t, state, links)


async def on_link_menu(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    links = await contacts.get_contact_links(actor, callback_data.id)
    await query.answer()
    await _show_links(query_message(query), t, state, links)


async def process_link_title(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """A title: matching companies and deals to link, and the company it would create."""
    pending = (await state.get_data()).get("link")
    if not isinstance(pending, dict) or "id" not in pending:
        await _forget(state)
        await message.answer(t("link-expired"))
        return
    contact_id = int(pending["id"])
    title = " ".join((message.text or "").split())[:QUERY_LIMIT]
    if not title:
        await message.answer(t("link-ask"))
        return
    found = await companies.find_link_targets(actor, title)
    await state.update_data(link={"id": contact_id, "q": title})
    kb = InlineKeyboardBuilder()
    for company in found.companies:
        kb.row(
            _button(
                t.plain("link-btn-company", title=company.title),
                LinkAction(a="l", id=contact_id, k="c", to=company.id),
            ),
            _button(
                t.plain("link-btn-as-primary"),
                LinkAction(a="l", id=contact_id, k="c", to=company.id, p=1),
            ),
        )
    for deal in found.deals:
        kb.row(
            _button(
                t.plain("link-btn-deal", title=deal.title),
                LinkAction(a="l", id=contact_id, k="d", to=deal.id),
            )
        )
    if title:
        kb.row(_button(t.plain("link-btn-create", title=title), LinkAction(a="n", id=contact_id)))
    kb.row(_button(t.plain("btn-back"), LinkAction(a="m", id=contact_id)))
    shown = render.shorten(title, 60)
    text = (
        t("link-found", query=shown)
        if found.companies or found.deals
        else t("link-nothing", query=shown)
    )
    await message.answer(text, reply_markup=kb.as_markup())


async def on_link(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Link a found company (maybe as primary) or deal, or make a linked company primary."""
    kind = LINK_KINDS.get(callback_data.k)
    if kind is None or (callback_data.a == "p" and kind != "company"):
        await _outdated(query, t)
        return
    primary = callback_data.a == "p" or callback_data.p == 1
    await contacts.link(actor, callback_data.id, kind, callback_data.to, primary=primary)
    links = await contacts.get_contact_links(actor, callback_data.id)
    notice = t("link-primary-set") if callback_data.a == "p" else t("link-linked")
    await query.answer(html.unescape(notice))
    await _show_links(query_message(query), t, state, links, notice)


async def on_unlink(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    kind = LINK_KINDS.get(callback_data.k)
    if kind is None:
        await _outdated(query, t)
        return
    await contacts.unlink(actor, callback_data.id, kind, callback_data.to)
    links = await contacts.get_contact_links(actor, callback_data.id)
    await query.answer(t.plain("link-unlinked"))
    await _show_links(query_message(query), t, state, links, t("link-unlinked"))


async def on_create_company(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Create the company titled as the last search, and link it."""
    pending = (await state.get_data()).get("link")
    if (
        not isinstance(pending, dict)
        or pending.get("id") != callback_data.id
        or not pending.get("q")
    ):
        await query.answer(t.plain("link-expired"), show_alert=True)
        return
    company = await contacts.create_company_and_link(actor, callback_data.id, str(pending["q"]))
    links = await contacts.get_contact_links(actor, callback_data.id)
    notice = t("link-created", title=render.shorten(company.title, 100))
    await query.answer(html.unescape(notice))
    await _show_links(query_message(query), t, state, links, notice)


async def on_link_done(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    card = await contacts.get_contact(actor, callback_data.id)
    await _forget(state)
    await query.answer()
    await send_card(query_message(query), t, card, edit=True, actor=actor)


def build_router() -> Router:
    router = Router(name="edit")
    errors = EditErrorsMiddleware()
    router.message.middleware(errors)
    router.callback_query.middleware(errors)
    cb = router.callback_query
    cb.register(on_edit, CardAction.filter(F.action == "edit"))
    cb.register(on_link_start, CardAction.filter(F.action == "link"))
    cb.register(on_menu, EditAction.filter(F.a == "m"))
    cb.register(on_done, EditAction.filter(F.a == "d"))
    cb.register(on_field, EditAction.filter(F.a == "f"))
    cb.register(on_choose, EditAction.filter(F.a == "s"))
    cb.register(on_clear, EditAction.filter(F.a == "c"))
    cb.register(on_cancel, EditAction.filter(F.a == "x"))
    cb.register(on_channel, EditAction.filter(F.a == "ch"))
    cb.register(on_channel_retype, EditAction.filter(F.a == "ct"))
    cb.register(on_channel_primary, EditAction.filter(F.a == "cp"))
    cb.register(on_channel_remove, EditAction.filter(F.a == "cr"))
    cb.register(on_channel_add, EditAction.filter(F.a == "ca"))
    cb.register(on_channel_type, EditAction.filter(F.a == "at"))
    cb.register(on_link_menu, LinkAction.filter(F.a == "m"))
    cb.register(on_link, LinkAction.filter(F.a.in_({"l", "p"})))
    cb.register(on_unlink, LinkAction.filter(F.a == "u"))
    cb.register(on_create_company, LinkAction.filter(F.a == "n"))
    cb.register(on_link_done, LinkAction.filter(F.a == "d"))
    # Commands keep working inside a dialog (/cancel leaves it); any other text answers it.
    typed = (F.text, ~F.text.startswith("/"))
    msg = router.message
    msg.register(process_value, EditForm.value, *typed)
    msg.register(
        process_channel_value, StateFilter(EditForm.channel_value, EditForm.channel_type), *typed
    )
    msg.register(process_link_title, LinkForm.title, *typed)
    return router
