"""/settings → Custom fields (F3): list, add (a short dialog), rename, flags, delete."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.settings.dialog import (
    TYPED,
    MenuScreen,
    SettingsMenu,
    ask,
    dialog_data,
    finish,
    process_use_buttons,
    show,
    stale,
    typed_text,
)
from bot.messages import edit_or_send, query_message
from bot.render import shorten
from bot.ui import (
    LINE_WIDTH,
    NAME_WIDTH,
    TEXT_WIDTH,
    Screen,
    back,
    button,
    check,
    grid,
    joined,
    markup,
    nav,
    nth,
    page_of,
    page_title,
    with_notice,
)
from crm import customfields
from crm.actors import Actor
from crm.i18n import Markup, Translator, escape
from crm.permissions import require_settings
from crm.rules.customfields import allows_multiple, parse_options
from crm.rules.names import clean_label
from models.enums import FieldType

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import CustomField

FIELD_TYPES = list(FieldType)


class FieldStep(StrEnum):
    OPEN = "open"
    ADD = "add"
    RENAME = "ren"
    REQUIRED = "req"  # set to `value`
    MULTIPLE = "mul"  # set to `value`
    IN_FILTER = "flt"  # set to `value`
    DELETE = "del"
    CONFIRM_DELETE = "delok"


# The flag each toggle sets, as customfields.update_field names it.
FLAGS = {
    FieldStep.REQUIRED: "required",
    FieldStep.MULTIPLE: "multiple",
    FieldStep.IN_FILTER: "in_filter",
}


class FieldAction(CallbackData, prefix="sf"):
    """A custom field `field_id`; `value` is what a flag is set to."""

    action: FieldStep
    field_id: int = 0
    value: bool = False


class NewFieldStep(StrEnum):
    """The new-field dialog's questions answered with a button (also the dialog data's keys)."""

    TYPE = "type"  # FIELD_TYPES[`choice`]
    REQUIRED = "req"
    MULTIPLE = "mul"
    IN_FILTER = "flt"


class NewFieldAnswer(CallbackData, prefix="sn"):
    """An answer in the new-field dialog: a type's index, or yes (1) / no (0)."""

    step: NewFieldStep
    choice: int = 0


class FieldForm(StatesGroup):
    label = State()
    type = State()
    options = State()
    required = State()
    multiple = State()
    in_filter = State()
    rename = State()


STEP_STATES = {
    NewFieldStep.REQUIRED: FieldForm.required,
    NewFieldStep.MULTIPLE: FieldForm.multiple,
    NewFieldStep.IN_FILTER: FieldForm.in_filter,
}


def _field_flags(t: Translator, field: CustomField) -> str:
    flags = [
        t.plain(key)
        for key, on in (
            ("settings-flag-required", field.required),
            ("settings-flag-multiple", field.multiple),
            ("settings-flag-filter", field.in_filter),
        )
        if on
    ]
    return f" ({escape(', '.join(flags))})" if flags else ""


def fields_screen(
    t: Translator, fields: Sequence[CustomField], page: int, notice: str = ""
) -> Screen:
    shown, page, pages = page_of(fields, page)
    lines = [page_title(t, t("settings-fields-title"), page, pages)]
    for field in shown:
        lines.append(
            t(
                "settings-fields-line",
                label=shorten(field.label, LINE_WIDTH),
                type=Markup(t(f"ftype-{field.type.value}")),
                flags=Markup(_field_flags(t, field)),
            )
        )
    if not fields:
        lines.append(t("settings-fields-empty"))
    rows = grid([button(f.label, FieldAction(action=FieldStep.OPEN, field_id=f.id)) for f in shown])
    rows += nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.FIELDS, page=p))
    rows.append([button(t.plain("settings-btn-add-field"), FieldAction(action=FieldStep.ADD))])
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


def field_screen(t: Translator, field: CustomField, notice: str = "") -> Screen:
    options = [str(o["key"]) if isinstance(o, dict) else str(o) for o in field.options or []]
    text = t(
        "settings-field",
        label=shorten(field.label, TEXT_WIDTH),
        type=Markup(t(f"ftype-{field.type.value}")),
        code=field.code,
        required=field.required,
        multiple=field.multiple,
        filter=field.in_filter,
    )
    if field.type == FieldType.LIST:
        text += "\n" + t("settings-field-options", options=Markup(joined(t, options)))

    def act(step: FieldStep, value: bool = False) -> FieldAction:
        return FieldAction(action=step, field_id=field.id, value=value)

    def flag(key: str, step: FieldStep, on: bool) -> list[InlineKeyboardButton]:
        return [button(check(on, t.plain(key)), act(step, not on))]

    rows = [
        [button(t.plain("settings-btn-rename"), act(FieldStep.RENAME))],
        flag("settings-btn-required", FieldStep.REQUIRED, field.required),
        flag("settings-btn-filter", FieldStep.IN_FILTER, field.in_filter),
    ]
    if allows_multiple(field.type):
        rows.append(flag("settings-btn-multiple", FieldStep.MULTIPLE, field.multiple))
    rows.append([button(t.plain("settings-btn-delete"), act(FieldStep.DELETE))])
    rows.append(back(t, SettingsMenu(screen=MenuScreen.FIELDS)))
    return with_notice(notice, text), markup(rows)


async def on_fields(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    fields = await customfields.list_fields(actor)
    await show(query, fields_screen(t, fields, callback_data.page))


async def on_field(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    await show(query, field_screen(t, await customfields.get_field(actor, callback_data.field_id)))


async def on_field_flag(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    """Sets required, multiple or shown-in-filter to the value the button names."""
    changes = {FLAGS[callback_data.action]: callback_data.value}
    field = await customfields.update_field(actor, callback_data.field_id, changes)
    await show(query, field_screen(t, field))


async def on_field_rename(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    field = await customfields.get_field(actor, callback_data.field_id)
    await query.answer()
    prompt = t("settings-field-rename-prompt", label=shorten(field.label, NAME_WIDTH))
    await ask(query_message(query), state, FieldForm.rename, prompt, field_id=field.id)


async def process_field_rename(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    field_id = int((await dialog_data(state)).get("field_id") or 0)
    field = await customfields.update_field(actor, field_id, {"label": typed_text(message)})
    await finish(state)
    text, keyboard = field_screen(t, field, t("settings-field-renamed"))
    await message.answer(text, reply_markup=keyboard)


async def on_field_delete(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    field = await customfields.get_field(actor, callback_data.field_id)
    confirm = FieldAction(action=FieldStep.CONFIRM_DELETE, field_id=field.id)
    rows = [
        [button(t.plain("settings-btn-delete-confirm"), confirm)],
        back(t, FieldAction(action=FieldStep.OPEN, field_id=field.id)),
    ]
    text = t("settings-field-delete-confirm", label=shorten(field.label, NAME_WIDTH))
    await show(query, (text, markup(rows)))


async def on_field_delete_confirmed(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    field = await customfields.delete_field(actor, callback_data.field_id)
    notice = t("settings-field-deleted", label=shorten(field.label, NAME_WIDTH))
    await show(query, fields_screen(t, await customfields.list_fields(actor), 0, notice))


# The new-field dialog: label → type → (list: options) → required → (multiple) → in filter.


def _yes_no(t: Translator, step: NewFieldStep) -> InlineKeyboardMarkup:
    return markup(
        [
            [
                button(t.plain("settings-btn-yes"), NewFieldAnswer(step=step, choice=1)),
                button(t.plain("settings-btn-no"), NewFieldAnswer(step=step, choice=0)),
            ]
        ]
    )


async def on_field_add(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    require_settings(actor)  # the core refuses before the questions, not after the answers
    await query.answer()
    await state.update_data(settings={})
    await ask(query_message(query), state, FieldForm.label, t("settings-field-label-prompt"))


async def process_field_label(message: Message, t: Translator, state: FSMContext) -> None:
    label = clean_label(typed_text(message))
    await state.update_data(settings={"label": label})
    await state.set_state(FieldForm.type)
    buttons = [
        button(
            t.plain(f"ftype-{ftype.value}"), NewFieldAnswer(step=NewFieldStep.TYPE, choice=index)
        )
        for index, ftype in enumerate(FIELD_TYPES)
    ]
    await message.answer(
        t("settings-field-type-prompt", label=label), reply_markup=markup(grid(buttons))
    )


async def _ask_flag(message: Message, t: Translator, state: FSMContext, step: NewFieldStep) -> None:
    await state.set_state(STEP_STATES[step])
    await message.answer(t(f"settings-field-{step.value}-prompt"), reply_markup=_yes_no(t, step))


async def on_new_field_type(
    query: CallbackQuery, callback_data: NewFieldAnswer, t: Translator, state: FSMContext
) -> None:
    ftype = nth(FIELD_TYPES, callback_data.choice)
    if ftype is None:
        await stale(query, t)
        return
    await state.update_data(settings={**await dialog_data(state), "type": ftype.value})
    await query.answer()
    message = query_message(query)
    await edit_or_send(
        message, t("settings-field-type-chosen", type=t.plain(f"ftype-{ftype.value}")), None
    )
    if ftype == FieldType.LIST:
        await ask(message, state, FieldForm.options, t("settings-field-options-prompt"))
    else:
        await _ask_flag(message, t, state, NewFieldStep.REQUIRED)


async def process_field_options(message: Message, t: Translator, state: FSMContext) -> None:
    options = parse_options(typed_text(message))
    await state.update_data(settings={**await dialog_data(state), "options": options})
    await _ask_flag(message, t, state, NewFieldStep.REQUIRED)


def _next_step(step: NewFieldStep, field_type: FieldType) -> NewFieldStep | None:
    """Required? → multiple? (when the type allows it) → shown in filter? → done."""
    if step == NewFieldStep.REQUIRED:
        return NewFieldStep.MULTIPLE if allows_multiple(field_type) else NewFieldStep.IN_FILTER
    if step == NewFieldStep.MULTIPLE:
        return NewFieldStep.IN_FILTER
    return None


async def on_new_field_flag(
    query: CallbackQuery,
    callback_data: NewFieldAnswer,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Records a yes/no answer, then asks the next question or creates the field."""
    step = callback_data.step
    data = {**await dialog_data(state), step.value: bool(callback_data.choice)}
    await state.update_data(settings=data)
    message = query_message(query)
    field_type = FieldType(data.get("type", FieldType.STRING))
    next_step = _next_step(step, field_type)
    if next_step is not None:
        answer = t.plain("settings-btn-yes" if callback_data.choice else "settings-btn-no")
        question = t(f"settings-field-{step.value}-prompt")
        await query.answer()
        await edit_or_send(message, f"{question} <b>{escape(answer)}</b>", None)
        await _ask_flag(message, t, state, next_step)
        return
    definition: dict[str, Any] = {
        "label": str(data.get("label", "")),
        "type": field_type.value,
        "required": bool(data.get(NewFieldStep.REQUIRED.value)),
        "multiple": bool(data.get(NewFieldStep.MULTIPLE.value)) and allows_multiple(field_type),
        "in_filter": bool(data.get(NewFieldStep.IN_FILTER.value)),
    }
    if field_type == FieldType.LIST:
        definition["options"] = list(data.get("options") or [])
    field = await customfields.create_field(actor, definition)
    await finish(state)
    await show(query, field_screen(t, field, t("settings-field-added")))


async def on_new_field_stale(query: CallbackQuery, t: Translator) -> None:
    """A dialog button pressed after the dialog ended or moved on."""
    await stale(query, t)


def get_router() -> Router:
    router = Router(name="settings.fields")
    msg, cb = router.message, router.callback_query
    msg.register(process_field_label, FieldForm.label, *TYPED)
    msg.register(process_field_options, FieldForm.options, *TYPED)
    msg.register(process_field_rename, FieldForm.rename, *TYPED)
    for step in (FieldForm.type, FieldForm.required, FieldForm.multiple, FieldForm.in_filter):
        msg.register(process_use_buttons, step, *TYPED)

    cb.register(on_fields, SettingsMenu.filter(F.screen == MenuScreen.FIELDS))
    fields = FieldAction.filter
    cb.register(on_field, fields(F.action == FieldStep.OPEN))
    cb.register(on_field_add, fields(F.action == FieldStep.ADD))
    cb.register(on_field_rename, fields(F.action == FieldStep.RENAME))
    cb.register(on_field_flag, fields(F.action.in_(set(FLAGS))))
    cb.register(on_field_delete, fields(F.action == FieldStep.DELETE))
    cb.register(on_field_delete_confirmed, fields(F.action == FieldStep.CONFIRM_DELETE))
    answer = NewFieldAnswer.filter
    cb.register(on_new_field_type, answer(F.step == NewFieldStep.TYPE), FieldForm.type)
    for flag_step, waiting in STEP_STATES.items():
        cb.register(on_new_field_flag, answer(F.step == flag_step), waiting)
    # Last: a dialog button that matched none of the above (its question is no longer open).
    cb.register(on_new_field_stale, answer())
    return router
