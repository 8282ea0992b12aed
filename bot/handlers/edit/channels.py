"""The edit dialog of a contact's phones, e-mails, websites and messengers."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import render
from bot.handlers.card import edit_or_send
from bot.handlers.edit.common import (
    TYPED_ANSWER,
    EditAction,
    EditButton,
    EditField,
    EditForm,
    channel_views,
    error_text,
    forget,
    label_html,
    outdated,
    pending_edit,
    resolve,
    saved_notice,
)
from bot.messages import query_message
from bot.ui import TEXT_WIDTH, button
from crm import contacts, customfields
from crm.actors import Actor
from crm.contacts import ChannelView, ContactCard
from crm.errors import ValidationError
from crm.i18n import Markup, Translator, escape
from crm.rules.fields import CHANNEL_FIELDS, VALUE_TYPES
from models.enums import ChannelKind

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import CustomField

# Listed in the text as well, one line of at most ~80 characters each: 40 lines stay within
# Telegram's 4096 characters.
MAX_CHANNELS = 40
LINE_VALUE_WIDTH = 60  # a value on its line (and button): with its number and type ~80 characters
VALUE_LIMIT = 1000  # a typed channel value kept in the conversation state (the core allows 255)


def _channel_text(t: Translator, view: ChannelView) -> str:
    return f"{render.shorten(view.value, LINE_VALUE_WIDTH)} ({t.plain(f'vtype-{view.value_type}')})"


async def _show_channels(
    message: Message,
    t: Translator,
    card: ContactCard,
    field: EditField,
    definitions: dict[str, CustomField],
    notice: str = "",
) -> None:
    views = channel_views(card, field)[:MAX_CHANNELS]
    lines = [notice] if notice else []
    lines.append(t("edit-channels", field=Markup(label_html(t, field, definitions))))
    lines += [
        escape(f"{i + 1}. {_channel_text(t, v)}") + (" ★" if i == 0 else "")
        for i, v in enumerate(views)
    ] or [t("edit-channels-empty")]
    kb = InlineKeyboardBuilder()
    for i, view in enumerate(views):
        data = EditAction(
            action=EditButton.CHANNEL, id=card.id, version=card.version, field=field.key, item=i
        )
        kb.row(button(f"{i + 1}. {_channel_text(t, view)}", data))
    kb.row(
        button(
            t.plain("edit-btn-add"),
            EditAction(action=EditButton.ADD, id=card.id, version=card.version, field=field.key),
        ),
        button(
            t.plain("btn-back"),
            EditAction(action=EditButton.MENU, id=card.id, version=card.version),
        ),
    )
    await edit_or_send(message, "\n".join(lines), kb.as_markup())


async def _channel_field(
    query: CallbackQuery, callback_data: EditAction, t: Translator
) -> tuple[EditField, dict[str, CustomField]] | None:
    """The channel field a button names, or None (the button is answered as outdated)."""
    definitions = await customfields.active_fields()
    field = resolve(callback_data.field, definitions)
    if field is None or field.kind != "channel":
        await outdated(query, t)
        return None
    return field, definitions


async def _card_and_channel_field(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> tuple[ContactCard, EditField, dict[str, CustomField]] | None:
    """The contact (at the version shown, for its editor) and the channel field a button names,
    or None."""
    card = await contacts.get_contact_for_edit(actor, callback_data.id, callback_data.version)
    found = await _channel_field(query, callback_data, t)
    return None if found is None else (card, *found)


def _value_type(kind: ChannelKind, number: int) -> str | None:
    """The value type a button's number names, or None for a number no button offers."""
    types = VALUE_TYPES[kind]
    return types[number] if 0 <= number < len(types) else None


async def _show_saved_channels(
    query: CallbackQuery,
    t: Translator,
    shown_version: int,
    saved: ContactCard,
    field: EditField,
    definitions: dict[str, CustomField],
) -> None:
    notice = saved_notice(t, shown_version, saved)
    await query.answer(html.unescape(notice))
    await _show_channels(query_message(query), t, saved, field, definitions, notice)


async def on_channels(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """A channel field's menu button: its values, each a button, and Add."""
    found = await _card_and_channel_field(query, callback_data, actor, t)
    if found is None:
        return
    card, field, definitions = found
    await query.answer()
    await _show_channels(query_message(query), t, card, field, definitions)


async def on_channel(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """One value: its type, make it primary, remove it."""
    found = await _card_and_channel_field(query, callback_data, actor, t)
    if found is None:
        return
    card, field, definitions = found
    views, i = channel_views(card, field), callback_data.item
    if not 0 <= i < len(views):
        await outdated(query, t)
        return
    view = views[i]
    kb = InlineKeyboardBuilder()
    for number, vtype in enumerate(VALUE_TYPES[view.kind]):
        mark = "✓ " if vtype == view.value_type else ""
        data = EditAction(
            action=EditButton.CHANNEL_TYPE,
            id=card.id,
            version=card.version,
            field=field.key,
            item=i,
            type_number=number,
        )
        kb.add(button(mark + t.plain(f"vtype-{vtype}"), data))
    kb.adjust(3)
    actions = []
    if i > 0:
        data = EditAction(
            action=EditButton.MAKE_PRIMARY,
            id=card.id,
            version=card.version,
            field=field.key,
            item=i,
        )
        actions.append(button(t.plain("edit-btn-primary"), data))
    data = EditAction(
        action=EditButton.REMOVE, id=card.id, version=card.version, field=field.key, item=i
    )
    actions.append(button(t.plain("edit-btn-remove"), data))
    kb.row(*actions)
    kb.row(
        button(
            t.plain("btn-back"),
            EditAction(
                action=EditButton.CHANNELS, id=card.id, version=card.version, field=field.key
            ),
        )
    )
    text = t(
        "edit-channel",
        field=Markup(label_html(t, field, definitions)),
        value=render.shorten(view.value, TEXT_WIDTH),
        vtype=t.plain(f"vtype-{view.value_type}"),
    )
    await query.answer()
    await edit_or_send(query_message(query), text, kb.as_markup())


async def on_channel_retype(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """Give one value another type."""
    found = await _channel_field(query, callback_data, t)
    if found is None:
        return
    field, definitions = found
    kind = CHANNEL_FIELDS[field.name]
    value_type = _value_type(kind, callback_data.type_number)
    if value_type is None:
        await outdated(query, t)
        return
    saved = await contacts.set_channel_type(
        actor, callback_data.id, kind, callback_data.item, value_type, callback_data.version
    )
    await _show_saved_channels(query, t, callback_data.version, saved, field, definitions)


# The buttons that act on one value by its position, and the core use case each one calls.
POSITION_EDITS = {
    EditButton.MAKE_PRIMARY: contacts.make_channel_primary,  # it moves first
    EditButton.REMOVE: contacts.remove_channel,  # the next one becomes primary if need be
}


async def on_channel_position(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """Make one value the primary one, or remove it (`POSITION_EDITS`)."""
    found = await _channel_field(query, callback_data, t)
    if found is None:
        return
    field, definitions = found
    edit = POSITION_EDITS[callback_data.action]
    saved = await edit(
        actor,
        callback_data.id,
        CHANNEL_FIELDS[field.name],
        callback_data.item,
        callback_data.version,
    )
    await _show_saved_channels(query, t, callback_data.version, saved, field, definitions)


async def on_channel_add(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Add: the value is asked for, then its type."""
    found = await _card_and_channel_field(query, callback_data, actor, t)
    if found is None:
        return
    card, field, definitions = found
    await state.set_state(EditForm.channel_value)
    await state.update_data(edit={"id": card.id, "v": card.version, "f": field.key})
    kb = InlineKeyboardBuilder()
    kb.add(
        button(
            t.plain("edit-btn-cancel"),
            EditAction(action=EditButton.CANCEL, id=card.id, version=card.version),
        )
    )
    await query.answer()
    await edit_or_send(
        query_message(query),
        t("edit-channel-ask", field=Markup(label_html(t, field, definitions))),
        kb.as_markup(),
    )


async def process_channel_value(message: Message, t: Translator, state: FSMContext) -> None:
    """The value to add; its type is asked next (it is checked when it is saved)."""
    pending = await pending_edit(state)
    definitions = await customfields.active_fields()
    field = resolve(str(pending.get("f", "")), definitions)
    if field is None or field.kind != "channel" or "id" not in pending:
        await forget(state)
        await message.answer(t("edit-outdated"))
        return
    value = (message.text or "").strip()[:VALUE_LIMIT]
    await state.set_state(EditForm.channel_type)
    await state.update_data(edit={**pending, "value": value})
    contact_id, version = int(pending["id"]), int(pending["v"])
    kb = InlineKeyboardBuilder()
    for number, vtype in enumerate(VALUE_TYPES[CHANNEL_FIELDS[field.name]]):
        data = EditAction(
            action=EditButton.ADDED_TYPE,
            id=contact_id,
            version=version,
            field=field.key,
            type_number=number,
        )
        kb.add(button(t.plain(f"vtype-{vtype}"), data))
    kb.adjust(3)
    kb.row(
        button(
            t.plain("edit-btn-cancel"),
            EditAction(action=EditButton.CANCEL, id=contact_id, version=version),
        )
    )
    await message.answer(
        t("edit-channel-type", value=render.shorten(value, TEXT_WIDTH)), reply_markup=kb.as_markup()
    )


async def on_added_type(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The added value's type: the value joins the end of the list; bad input is asked again."""
    pending = await pending_edit(state)
    if (
        await state.get_state() != EditForm.channel_type.state
        or pending.get("id") != callback_data.id
        or pending.get("f") != callback_data.field
        or "value" not in pending
    ):
        await outdated(query, t)
        return
    found = await _channel_field(query, callback_data, t)
    if found is None:
        return
    field, definitions = found
    kind = CHANNEL_FIELDS[field.name]
    value_type = _value_type(kind, callback_data.type_number)
    if value_type is None:
        await outdated(query, t)
        return
    contact_id, version = callback_data.id, callback_data.version
    try:
        saved = await contacts.add_channel(
            actor, contact_id, kind, str(pending["value"]), value_type, version
        )
    except ValidationError as exc:
        await state.set_state(EditForm.channel_value)
        kb = InlineKeyboardBuilder()
        kb.add(
            button(
                t.plain("edit-btn-cancel"),
                EditAction(action=EditButton.CANCEL, id=contact_id, version=version),
            )
        )
        again = t("edit-channel-ask", field=Markup(label_html(t, field, definitions)))
        await query.answer()
        await edit_or_send(
            query_message(query), error_text(t, exc, definitions) + "\n\n" + again, kb.as_markup()
        )
        return
    await forget(state)
    await _show_saved_channels(query, t, version, saved, field, definitions)


def get_router() -> Router:
    """A channel field's values: show, retype, make primary, remove, add."""
    router = Router(name="edit-channels")
    cb = router.callback_query
    cb.register(on_channels, EditAction.filter(F.action == EditButton.CHANNELS))
    cb.register(on_channel, EditAction.filter(F.action == EditButton.CHANNEL))
    cb.register(on_channel_retype, EditAction.filter(F.action == EditButton.CHANNEL_TYPE))
    cb.register(on_channel_position, EditAction.filter(F.action.in_(POSITION_EDITS)))
    cb.register(on_channel_add, EditAction.filter(F.action == EditButton.ADD))
    cb.register(on_added_type, EditAction.filter(F.action == EditButton.ADDED_TYPE))
    router.message.register(
        process_channel_value,
        StateFilter(EditForm.channel_value, EditForm.channel_type),
        *TYPED_ANSWER,
    )
    return router
