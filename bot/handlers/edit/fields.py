"""The edit dialog's menu of fields, typed values, and choices by button (type, source,
responsible, yes/no, observers, list fields)."""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import render
from bot.callbacks import CardAction, CardButton
from bot.handlers.card import edit_or_send, send_card
from bot.handlers.edit.common import (
    TYPED_ANSWER,
    EditAction,
    EditButton,
    EditField,
    EditForm,
    LinkAction,
    LinkButton,
    as_typed,
    channel_views,
    current_values,
    error_text,
    field_options,
    forget,
    label_html,
    layout_field,
    outdated,
    pending_edit,
    resolve,
    saved_notice,
)
from bot.messages import query_message
from bot.ui import NAME_WIDTH, button
from crm import catalog, contacts, customfields, staff
from crm.actors import Actor
from crm.contacts import ContactCard
from crm.errors import ValidationError
from crm.i18n import Markup, Translator
from crm.layout import card_layout
from models.enums import FieldType

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import CustomField

# Telegram allows 100 buttons per message: lists are cut so that the navigation still fits.
MAX_ITEMS = 90
TYPED_KINDS = {"text", "date"}  # answered by a message; the others by buttons
CURRENT_WIDTH = 3000  # the value shown to copy and change: with the question, below 4096


# --- the menu of fields ---------------------------------------------------------------------


def _summary(
    t: Translator, card: ContactCard, field: EditField, staff_names: dict[int, str]
) -> str:
    """A field's current value as short plain text for its button ('' when empty)."""
    if field.kind == "channel":
        values = [c.value for c in channel_views(card, field)]
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
    labels = dict(field_options(field))
    shown = []
    for value in current_values(card, field):
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
            shown.append(as_typed(value))
    return ", ".join(shown)


def _open_field(card: ContactCard, field: EditField) -> CallbackData:
    """The menu button of a field: companies and channels have dialogs of their own."""
    if field.kind == "companies":
        return LinkAction(action=LinkButton.MENU, id=card.id)
    if field.kind == "channel":
        return EditAction(
            action=EditButton.CHANNELS, id=card.id, version=card.version, field=field.key
        )
    return EditAction(action=EditButton.FIELD, id=card.id, version=card.version, field=field.key)


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
            field = layout_field(name, definitions)
            if field is None:
                continue
            label = html.unescape(label_html(t, field, definitions))
            if hidden:
                any_hidden = True
                label = t.plain("edit-btn-hidden", label=label)
            value = _summary(t, card, field, staff_names)
            text = t.plain("edit-btn-value", label=label, value=value) if value else label
            rows.append(button(text, _open_field(card, field)))
    kb = InlineKeyboardBuilder()
    kb.row(*rows[: MAX_ITEMS + 6])  # two per row below; the Done button makes at most 97
    kb.adjust(2)
    kb.row(
        button(
            t.plain("edit-btn-done"),
            EditAction(action=EditButton.DONE, id=card.id, version=card.version),
        )
    )
    lines = [notice] if notice else []
    title = render.shorten(render.card_title(card.contact), NAME_WIDTH)
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
    card = await contacts.get_contact_for_edit(actor, callback_data.id, callback_data.version)
    await forget(state)
    await query.answer()
    await _menu(query_message(query), actor, t, card)


async def on_menu(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Back to the menu: it shows the contact as it is now."""
    card = await contacts.get_contact_for_edit(actor, callback_data.id)
    await forget(state)
    await query.answer()
    await _menu(query_message(query), actor, t, card)


async def on_done(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Done: the card again, as it is now."""
    card = await contacts.get_contact(actor, callback_data.id)
    await forget(state)
    await query.answer()
    await send_card(query_message(query), t, card, edit=True, actor=actor)


async def on_field(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """A field's button: a question for typed fields, a list of choices otherwise."""
    card = await contacts.get_contact_for_edit(actor, callback_data.id, callback_data.version)
    definitions = await customfields.active_fields()
    field = resolve(callback_data.field, definitions)
    if field is None or field.kind in ("companies", "channel"):
        await outdated(query, t)
        return
    await query.answer()
    message = query_message(query)
    if field.kind in TYPED_KINDS:
        await _ask_value(message, t, state, card, field, definitions)
    else:
        await _show_choices(message, actor, t, card, field, definitions)


# --- typed values -----------------------------------------------------------------------------


def _prompt_keyboard(
    t: Translator, contact_id: int, version: int, key: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        button(
            t.plain("edit-btn-clear"),
            EditAction(action=EditButton.CLEAR, id=contact_id, version=version, field=key),
        ),
        button(
            t.plain("edit-btn-cancel"),
            EditAction(action=EditButton.CANCEL, id=contact_id, version=version),
        ),
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
    lines = [t("edit-ask", field=Markup(label_html(t, field, definitions))), *_hints(t, field)]
    current = "\n".join(as_typed(v) for v in current_values(card, field))
    if current:
        lines.append(t("edit-current", value=render.shorten(current, CURRENT_WIDTH)))
    await edit_or_send(
        message, "\n".join(lines), _prompt_keyboard(t, card.id, card.version, field.key)
    )


async def process_value(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """A typed value: saved with the version the user saw; bad input is asked again."""
    pending = await pending_edit(state)
    definitions = await customfields.active_fields()
    field = resolve(str(pending.get("f", "")), definitions)
    if field is None or "id" not in pending:
        await forget(state)
        await message.answer(t("edit-outdated"))
        return
    text = message.text or ""
    value: Any = [line for line in text.splitlines() if line.strip()] if field.multiple else text
    contact_id, version = int(pending["id"]), int(pending["v"])
    try:
        card = await contacts.update_contact(actor, contact_id, field.changes(value), version)
    except ValidationError as exc:
        again = t("edit-ask-again", field=Markup(label_html(t, field, definitions)))
        await message.answer(
            error_text(t, exc, definitions) + "\n\n" + again,
            reply_markup=_prompt_keyboard(t, contact_id, version, field.key),
        )
        return
    await forget(state)
    await _menu(message, actor, t, card, saved_notice(t, version, card), edit=False)


async def on_clear(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    definitions = await customfields.active_fields()
    field = resolve(callback_data.field, definitions)
    if field is None or field.kind in ("channel", "companies"):
        await outdated(query, t)
        return
    empty: Any = [] if field.multiple or field.custom is not None else None
    card = await contacts.update_contact(
        actor, callback_data.id, field.changes(empty), callback_data.version
    )
    await forget(state)
    notice = saved_notice(t, callback_data.version, card)
    await query.answer(html.unescape(notice))
    await _menu(query_message(query), actor, t, card, notice)


async def on_cancel(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    await forget(state)
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
        return [(index, label) for index, (_, label) in enumerate(field_options(field))]
    return []


def _chosen(card: ContactCard, field: EditField) -> set[int]:
    values = current_values(card, field)
    if field.kind == "list":
        keys = [key for key, _ in field_options(field)]
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
            button(
                mark + label,
                EditAction(
                    action=EditButton.CHOOSE,
                    id=card.id,
                    version=card.version,
                    field=field.key,
                    item=number,
                ),
            )
        )
    kb.adjust(2)
    nav = [
        button(
            t.plain("btn-back"),
            EditAction(action=EditButton.MENU, id=card.id, version=card.version),
        )
    ]
    if field.custom is not None or field.kind in ("type", "source"):
        clear = EditAction(
            action=EditButton.CLEAR, id=card.id, version=card.version, field=field.key
        )
        nav.insert(0, button(t.plain("edit-btn-clear"), clear))
    kb.row(*nav)
    label = Markup(label_html(t, field, definitions))
    key = "edit-choose-many" if field.multiple else "edit-choose"
    text = "\n".join([*([notice] if notice else []), t(key, field=label)])
    await edit_or_send(message, text, kb.as_markup())


async def on_choose(
    query: CallbackQuery, callback_data: EditAction, actor: Actor, t: Translator
) -> None:
    """A value button: set it (a single value) or switch it on or off (several values)."""
    definitions = await customfields.active_fields()
    field = resolve(callback_data.field, definitions)
    number = callback_data.item
    if field is None or number not in {n for n, _ in await _choices(actor, t, field)}:
        await outdated(query, t)
        return
    value: Any = number
    if field.kind == "bool":
        value = bool(number)
    elif field.kind == "list":
        value = field_options(field)[number][0]
    contact_id, version = callback_data.id, callback_data.version
    if field.multiple:
        saved = await contacts.toggle_value(actor, contact_id, field.ref, value, version)
    else:
        saved = await contacts.update_contact(actor, contact_id, field.changes(value), version)
    notice = saved_notice(t, version, saved)
    await query.answer(html.unescape(notice))
    if field.multiple:
        await _show_choices(query_message(query), actor, t, saved, field, definitions, notice)
    else:
        await _menu(query_message(query), actor, t, saved, notice)


def get_router() -> Router:
    """The menu, typed values and choices."""
    router = Router(name="edit-fields")
    cb = router.callback_query
    cb.register(on_edit, CardAction.filter(F.action == CardButton.EDIT))
    cb.register(on_menu, EditAction.filter(F.action == EditButton.MENU))
    cb.register(on_done, EditAction.filter(F.action == EditButton.DONE))
    cb.register(on_field, EditAction.filter(F.action == EditButton.FIELD))
    cb.register(on_choose, EditAction.filter(F.action == EditButton.CHOOSE))
    cb.register(on_clear, EditAction.filter(F.action == EditButton.CLEAR))
    cb.register(on_cancel, EditAction.filter(F.action == EditButton.CANCEL))
    router.message.register(process_value, EditForm.value, *TYPED_ANSWER)
    return router
