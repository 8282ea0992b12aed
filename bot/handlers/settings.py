"""/settings for admins: contact types, custom fields, card layout, staff, roles and invites
(web forms are in bot/handlers/settings_forms.py).

Every button carries ids only and every press goes through a core use case that checks the
settings right again: a forged button from a plain staff member is refused by the core.
"""

import html
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.card import edit_or_send
from bot.keyboards import BUTTON_TEXT_LIMIT
from bot.messages import query_message
from bot.render import field_label, shorten
from crm import catalog, customfields, layout, staff
from crm.actors import Actor
from crm.catalog import SettingsOverview as Overview
from crm.catalog import TypeUsage
from crm.i18n import Markup, Translator, escape
from crm.layout import LayoutView, SectionView
from crm.permissions import require_settings
from crm.rules.customfields import allows_multiple, parse_options
from crm.rules.names import clean_label
from crm.staff import StaffView
from models import CustomField, Department, Role, Staff
from models.enums import Action, FieldType, Level

PAGE_SIZE = 20  # items per list page: 20 buttons and 20 short lines stay far below the limits
ROW_WIDTH = 2  # Telegram allows 8 buttons a row; names need room
JOINED_LIMIT = 600  # a joined list of names (roles, options) is cut to keep the text short
ACTIONS = list(Action)
LEVELS = list(Level)
FIELD_TYPES = list(FieldType)
T = TypeVar("T")
Screen = tuple[str, InlineKeyboardMarkup]


# --- callback data: short codes and ids only (Telegram allows 64 bytes) ----------------------


class SettingsMenu(CallbackData, prefix="sm"):
    """A settings screen: home, types, fields, layout, staff, depts, roles, invite; page `p`."""

    to: str
    p: int = 0


class TypeAction(CallbackData, prefix="st"):
    """A contact type: open, add, ren, up, down, del, delok, move (its contacts `to` a type)."""

    a: str
    id: int = 0
    to: int = 0


class FieldAction(CallbackData, prefix="sf"):
    """A custom field: open, add, ren, req, mul, flt (set to `v`), del, delok."""

    a: str
    id: int = 0
    v: int = 0


class NewFieldAnswer(CallbackData, prefix="sn"):
    """An answer in the new-field dialog: step type (index `v`), req, mul, flt (`v` 0/1)."""

    step: str
    v: int = 0


class LayoutAction(CallbackData, prefix="sl"):
    """Card layout: sec (section `id`, page `p`), fld, hide (`v`), up, down (placement `id`),
    to (placement `id` into section `v`), add (a section)."""

    a: str
    id: int = 0
    v: int = 0
    p: int = 0


class StaffAction(CallbackData, prefix="ss"):
    """A staff member `id`: open, roles, role (`x` granted if `v`), depts, dept (`x`, `v`),
    off, offok, on; `p` is the page of a list."""

    a: str
    id: int = 0
    x: int = 0
    v: int = 0
    p: int = 0


class RoleAction(CallbackData, prefix="sr"):
    """A role `id`: open, add, act (action index `x`), lvl (`x` to level `v`), set (`v`)."""

    a: str
    id: int = 0
    x: int = 0
    v: int = 0


class InviteAction(CallbackData, prefix="si"):
    """An invite for `role`: dept -1 asks for the department, 0 means none; `p` is a page."""

    role: int
    dept: int = -1
    p: int = 0


# --- dialogs --------------------------------------------------------------------------------


class TypeForm(StatesGroup):
    name = State()
    rename = State()


class FieldForm(StatesGroup):
    label = State()
    type = State()
    options = State()
    required = State()
    multiple = State()
    in_filter = State()
    rename = State()


class SectionForm(StatesGroup):
    title = State()


class RoleForm(StatesGroup):
    name = State()


class DepartmentForm(StatesGroup):
    name = State()


# --- small helpers --------------------------------------------------------------------------


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=shorten(text, BUTTON_TEXT_LIMIT), callback_data=data.pack())


def _grid(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + ROW_WIDTH]) for i in range(0, len(buttons), ROW_WIDTH)]


def _page(items: Sequence[T], page: int) -> tuple[Sequence[T], int, int]:
    """The items of page `page` (clamped), that page and the number of pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages


def _nav(
    t: Translator, page: int, pages: int, make: Callable[[int], CallbackData]
) -> list[list[InlineKeyboardButton]]:
    nav = []
    if page > 0:
        nav.append(_button(t.plain("btn-prev"), make(page - 1)))
    if page < pages - 1:
        nav.append(_button(t.plain("btn-next"), make(page + 1)))
    return [nav] if nav else []


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def _back(t: Translator, data: CallbackData) -> list[InlineKeyboardButton]:
    return [_button(t.plain("btn-back"), data)]


def _check(on: bool, label: str) -> str:
    return ("✅ " if on else "⬜ ") + label


def _joined(t: Translator, names: Sequence[str]) -> str:
    """Names as escaped HTML, comma-separated and cut before escaping; a dash when empty."""
    if not names:
        return t("none")
    return escape(shorten(", ".join(names), JOINED_LIMIT))


def _page_title(t: Translator, title: str, page: int, pages: int) -> str:
    if pages == 1:
        return title
    return title + " " + t("settings-page", page=page + 1, pages=pages)


def _with_notice(notice: str, text: str) -> str:
    return f"{notice}\n\n{text}" if notice else text


def _nth(items: Sequence[T], index: int) -> T | None:
    """An item by an index from a button (never trusted): None when out of range."""
    return items[index] if 0 <= index < len(items) else None


async def _show(query: CallbackQuery, screen: Screen) -> None:
    await query.answer()
    await edit_or_send(query_message(query), *screen)


async def _stale(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t.plain("settings-outdated"), show_alert=True)


async def _ask(message: Message, state: FSMContext, step: State, text: str, **data: Any) -> None:
    """Start or continue a dialog: remember `data`, wait for `step`, ask."""
    await state.set_state(step)
    if data:
        await state.update_data(settings={**await _dialog(state), **data})
    await message.answer(text)


async def _dialog(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("settings") or {})


async def _finish(state: FSMContext) -> None:
    """Leave the dialog but keep other state (a search list's pages)."""
    await state.set_state(None)
    await state.update_data(settings=None)


def _text(message: Message) -> str:
    return message.text or ""


# --- menu -----------------------------------------------------------------------------------


def menu_screen(t: Translator, ov: Overview) -> Screen:
    def item(key: str, to: str, **args: Any) -> InlineKeyboardButton:
        return _button(t.plain(key, **args), SettingsMenu(to=to))

    rows = [
        [item("settings-menu-types", "types", count=ov.types)],
        [item("settings-menu-fields", "fields", count=ov.fields)],
        [item("settings-menu-layout", "layout")],
        [
            item("settings-menu-staff", "staff", count=ov.staff),
            item("settings-menu-departments", "depts", count=ov.departments),
        ],
        [item("settings-menu-roles", "roles", count=ov.roles)],
        [item("settings-menu-forms", "forms")],  # bot/handlers/settings_forms.py
        [item("settings-menu-invite", "invite")],
    ]
    return t("settings-title"), _markup(rows)


async def cmd_settings(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """`/settings`: the menu, for administrators and roles with the settings right only."""
    ov = await catalog.settings_overview(actor)
    await state.set_state(None)
    text, markup = menu_screen(t, ov)
    await message.answer(text, reply_markup=markup)


async def on_home(query: CallbackQuery, actor: Actor, t: Translator) -> None:
    await _show(query, menu_screen(t, await catalog.settings_overview(actor)))


# --- contact types (F2) ---------------------------------------------------------------------


def types_screen(t: Translator, types: Sequence[TypeUsage], page: int, notice: str = "") -> Screen:
    shown, page, pages = _page(types, page)
    lines = [_page_title(t, t("settings-types-title"), page, pages)]
    lines += [
        t("settings-types-line", position=u.position, name=shorten(u.name, 60), count=u.contacts)
        for u in shown
    ]
    if not types:
        lines.append(t("settings-types-empty"))
    rows = _grid([_button(f"{u.position}. {u.name}", TypeAction(a="open", id=u.id)) for u in shown])
    rows += _nav(t, page, pages, lambda p: SettingsMenu(to="types", p=p))
    rows.append([_button(t.plain("settings-btn-add-type"), TypeAction(a="add"))])
    rows.append(_back(t, SettingsMenu(to="home")))
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


def type_screen(t: Translator, usage: TypeUsage, notice: str = "") -> Screen:
    text = t(
        "settings-type",
        name=shorten(usage.name, 100),
        position=usage.position,
        total=usage.total,
        count=usage.contacts,
    )
    rows = [
        [_button(t.plain("settings-btn-rename"), TypeAction(a="ren", id=usage.id))],
        [
            _button(t.plain("settings-btn-up"), TypeAction(a="up", id=usage.id)),
            _button(t.plain("settings-btn-down"), TypeAction(a="down", id=usage.id)),
        ],
        [_button(t.plain("settings-btn-delete"), TypeAction(a="del", id=usage.id))],
        _back(t, SettingsMenu(to="types", p=(usage.position - 1) // PAGE_SIZE)),
    ]
    return _with_notice(notice, text), _markup(rows)


def type_delete_screen(t: Translator, usage: TypeUsage, types: Sequence[TypeUsage]) -> Screen:
    """Unused: a plain confirmation. In use: where its contacts go, one button per other type."""
    name = shorten(usage.name, 100)
    back = _back(t, TypeAction(a="open", id=usage.id))
    if usage.contacts == 0:
        confirm = _button(
            t.plain("settings-btn-delete-confirm"), TypeAction(a="delok", id=usage.id)
        )
        return t("settings-type-delete-confirm", name=name), _markup([[confirm], back])
    others = [u for u in types if u.id != usage.id][:90]  # with Back: within 100 buttons
    if not others:
        return t("settings-type-delete-no-target", name=name, count=usage.contacts), _markup([back])
    rows = _grid([_button(u.name, TypeAction(a="move", id=usage.id, to=u.id)) for u in others])
    rows.append(back)
    return t("settings-type-delete-move", name=name, count=usage.contacts), _markup(rows)


async def on_types(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    types = await catalog.type_usage(actor)
    await _show(query, types_screen(t, types, callback_data.p))


async def on_type(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    await _show(query, type_screen(t, await catalog.get_type(actor, callback_data.id)))


async def on_type_add(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await _ask(query_message(query), state, TypeForm.name, t("settings-type-name-prompt"))


async def process_type_name(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    created = await catalog.create_type(actor, _text(message))
    await _finish(state)
    notice = t("settings-type-added", name=created.name)
    text, markup = types_screen(t, await catalog.type_usage(actor), 0, notice)
    await message.answer(text, reply_markup=markup)


async def on_type_rename(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    usage = await catalog.get_type(actor, callback_data.id)
    await query.answer()
    prompt = t("settings-type-rename-prompt", name=shorten(usage.name, 100))
    await _ask(query_message(query), state, TypeForm.rename, prompt, type_id=usage.id)


async def process_type_rename(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    type_id = int((await _dialog(state)).get("type_id") or 0)
    await catalog.rename_type(actor, type_id, _text(message))
    await _finish(state)
    usage = await catalog.get_type(actor, type_id)
    text, markup = type_screen(t, usage, t("settings-type-renamed"))
    await message.answer(text, reply_markup=markup)


async def on_type_move(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    await catalog.move_type(actor, callback_data.id, -1 if callback_data.a == "up" else 1)
    await _show(query, type_screen(t, await catalog.get_type(actor, callback_data.id)))


async def on_type_delete(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    usage = await catalog.get_type(actor, callback_data.id)
    types = await catalog.type_usage(actor)
    await _show(query, type_delete_screen(t, usage, types))


async def on_type_delete_confirmed(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    """Deletes an unused type, or moves its contacts to type `to` and deletes it."""
    usage = await catalog.get_type(actor, callback_data.id)
    move_to = callback_data.to if callback_data.a == "move" else None
    moved = await catalog.delete_type(actor, callback_data.id, move_to=move_to)
    types = await catalog.type_usage(actor)
    target = next((u.name for u in types if u.id == move_to), "")
    notice = (
        t("settings-type-deleted-moved", name=usage.name, count=moved, target=target)
        if moved
        else t("settings-type-deleted", name=usage.name)
    )
    await _show(query, types_screen(t, types, 0, notice))


# --- custom fields (F3) ---------------------------------------------------------------------


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
    shown, page, pages = _page(fields, page)
    lines = [_page_title(t, t("settings-fields-title"), page, pages)]
    for field in shown:
        lines.append(
            t(
                "settings-fields-line",
                label=shorten(field.label, 60),
                type=Markup(t(f"ftype-{field.type.value}")),
                flags=Markup(_field_flags(t, field)),
            )
        )
    if not fields:
        lines.append(t("settings-fields-empty"))
    rows = _grid([_button(f.label, FieldAction(a="open", id=f.id)) for f in shown])
    rows += _nav(t, page, pages, lambda p: SettingsMenu(to="fields", p=p))
    rows.append([_button(t.plain("settings-btn-add-field"), FieldAction(a="add"))])
    rows.append(_back(t, SettingsMenu(to="home")))
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


def field_screen(t: Translator, field: CustomField, notice: str = "") -> Screen:
    options = [str(o["key"]) if isinstance(o, dict) else str(o) for o in field.options or []]
    text = t(
        "settings-field",
        label=shorten(field.label, 200),
        type=Markup(t(f"ftype-{field.type.value}")),
        code=field.code,
        required=field.required,
        multiple=field.multiple,
        filter=field.in_filter,
    )
    if field.type == FieldType.LIST:
        text += "\n" + t("settings-field-options", options=Markup(_joined(t, options)))

    def flag(key: str, action: str, on: bool) -> list[InlineKeyboardButton]:
        return [
            _button(_check(on, t.plain(key)), FieldAction(a=action, id=field.id, v=int(not on)))
        ]

    rows = [
        [_button(t.plain("settings-btn-rename"), FieldAction(a="ren", id=field.id))],
        flag("settings-btn-required", "req", field.required),
        flag("settings-btn-filter", "flt", field.in_filter),
    ]
    if allows_multiple(field.type):
        rows.append(flag("settings-btn-multiple", "mul", field.multiple))
    rows.append([_button(t.plain("settings-btn-delete"), FieldAction(a="del", id=field.id))])
    rows.append(_back(t, SettingsMenu(to="fields")))
    return _with_notice(notice, text), _markup(rows)


async def on_fields(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    fields = await customfields.list_fields(actor)
    await _show(query, fields_screen(t, fields, callback_data.p))


async def on_field(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    await _show(query, field_screen(t, await customfields.get_field(actor, callback_data.id)))


async def on_field_flag(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    """Sets required, multiple or shown-in-filter to the value the button names."""
    name = {"req": "required", "mul": "multiple", "flt": "in_filter"}[callback_data.a]
    field = await customfields.update_field(actor, callback_data.id, {name: bool(callback_data.v)})
    await _show(query, field_screen(t, field))


async def on_field_rename(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    field = await customfields.get_field(actor, callback_data.id)
    await query.answer()
    prompt = t("settings-field-rename-prompt", label=shorten(field.label, 100))
    await _ask(query_message(query), state, FieldForm.rename, prompt, field_id=field.id)


async def process_field_rename(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    field_id = int((await _dialog(state)).get("field_id") or 0)
    field = await customfields.update_field(actor, field_id, {"label": _text(message)})
    await _finish(state)
    text, markup = field_screen(t, field, t("settings-field-renamed"))
    await message.answer(text, reply_markup=markup)


async def on_field_delete(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    field = await customfields.get_field(actor, callback_data.id)
    rows = [
        [_button(t.plain("settings-btn-delete-confirm"), FieldAction(a="delok", id=field.id))],
        _back(t, FieldAction(a="open", id=field.id)),
    ]
    text = t("settings-field-delete-confirm", label=shorten(field.label, 100))
    await _show(query, (text, _markup(rows)))


async def on_field_delete_confirmed(
    query: CallbackQuery, callback_data: FieldAction, actor: Actor, t: Translator
) -> None:
    field = await customfields.delete_field(actor, callback_data.id)
    notice = t("settings-field-deleted", label=shorten(field.label, 100))
    await _show(query, fields_screen(t, await customfields.list_fields(actor), 0, notice))


# The new-field dialog: label → type → (list: options) → required → (multiple) → in filter.


def _yes_no(t: Translator, step: str) -> InlineKeyboardMarkup:
    return _markup(
        [
            [
                _button(t.plain("settings-btn-yes"), NewFieldAnswer(step=step, v=1)),
                _button(t.plain("settings-btn-no"), NewFieldAnswer(step=step, v=0)),
            ]
        ]
    )


async def on_field_add(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    require_settings(actor)  # the core refuses before the questions, not after the answers
    await query.answer()
    await state.update_data(settings={})
    await _ask(query_message(query), state, FieldForm.label, t("settings-field-label-prompt"))


async def process_field_label(message: Message, t: Translator, state: FSMContext) -> None:
    label = clean_label(_text(message))
    await state.update_data(settings={"label": label})
    await state.set_state(FieldForm.type)
    buttons = [
        _button(t.plain(f"ftype-{ftype.value}"), NewFieldAnswer(step="type", v=index))
        for index, ftype in enumerate(FIELD_TYPES)
    ]
    await message.answer(
        t("settings-field-type-prompt", label=label), reply_markup=_markup(_grid(buttons))
    )


async def _ask_flag(message: Message, t: Translator, state: FSMContext, step: str) -> None:
    states = {"req": FieldForm.required, "mul": FieldForm.multiple, "flt": FieldForm.in_filter}
    await state.set_state(states[step])
    await message.answer(t(f"settings-field-{step}-prompt"), reply_markup=_yes_no(t, step))


async def on_new_field_type(
    query: CallbackQuery, callback_data: NewFieldAnswer, t: Translator, state: FSMContext
) -> None:
    ftype = _nth(FIELD_TYPES, callback_data.v)
    if ftype is None:
        await _stale(query, t)
        return
    await state.update_data(settings={**await _dialog(state), "type": ftype.value})
    await query.answer()
    message = query_message(query)
    await edit_or_send(
        message, t("settings-field-type-chosen", type=t.plain(f"ftype-{ftype.value}")), None
    )
    if ftype == FieldType.LIST:
        await _ask(message, state, FieldForm.options, t("settings-field-options-prompt"))
    else:
        await _ask_flag(message, t, state, "req")


async def process_field_options(message: Message, t: Translator, state: FSMContext) -> None:
    options = parse_options(_text(message))
    await state.update_data(settings={**await _dialog(state), "options": options})
    await _ask_flag(message, t, state, "req")


async def on_new_field_flag(
    query: CallbackQuery,
    callback_data: NewFieldAnswer,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Required? → multiple? (when the type allows it) → shown in filter? → the field."""
    data = {**await _dialog(state), callback_data.step: bool(callback_data.v)}
    await state.update_data(settings=data)
    message = query_message(query)
    answer = t.plain("settings-btn-yes" if callback_data.v else "settings-btn-no")
    question = t(f"settings-field-{callback_data.step}-prompt")
    if callback_data.step == "req":
        ftype = FieldType(data.get("type", FieldType.STRING))
        next_step = "mul" if allows_multiple(ftype) else "flt"
    else:
        next_step = "flt" if callback_data.step == "mul" else ""
    if next_step:
        await query.answer()
        await edit_or_send(message, f"{question} <b>{escape(answer)}</b>", None)
        await _ask_flag(message, t, state, next_step)
        return
    field_type = FieldType(data.get("type", FieldType.STRING))
    definition: dict[str, Any] = {
        "label": str(data.get("label", "")),
        "type": field_type.value,
        "required": bool(data.get("req")),
        "multiple": bool(data.get("mul")) and allows_multiple(field_type),
        "in_filter": bool(data.get("flt")),
    }
    if field_type == FieldType.LIST:
        definition["options"] = list(data.get("options") or [])
    field = await customfields.create_field(actor, definition)
    await _finish(state)
    await _show(query, field_screen(t, field, t("settings-field-added")))


async def on_new_field_stale(query: CallbackQuery, t: Translator) -> None:
    """A dialog button pressed after the dialog ended or moved on."""
    await _stale(query, t)


# --- card layout (F5) -----------------------------------------------------------------------


def _section_title(t: Translator, section: SectionView) -> str:
    return section.title_fr if t.language == "fr" and section.title_fr else section.title


def _label(t: Translator, view: LayoutView, field: str, hidden: bool = False) -> str:
    """A field's label as HTML (escaped), marked when hidden."""
    label = field_label(t, field, view.custom)
    return t("settings-layout-hidden", label=Markup(label)) if hidden else label


def layout_screen(t: Translator, view: LayoutView, page: int, notice: str = "") -> Screen:
    shown, page, pages = _page(view.sections, page)
    blocks = [_page_title(t, t("settings-layout-title"), page, pages)]
    # Each section's field list is cut so that the whole text stays within one message.
    budget = max(200, 3000 // max(1, len(shown)))
    for section in shown:
        labels = [_label(t, view, f.field, f.hidden) for f in section.fields]
        joined = ""
        for index, label in enumerate(labels):
            candidate = f"{joined} · {label}" if joined else label
            if len(candidate) > budget:
                joined += t("settings-layout-more", count=len(labels) - index)
                break
            joined = candidate
        title = escape(shorten(_section_title(t, section), 100))
        blocks.append(f"\n<b>{title}</b>\n{joined or t('none')}")
    rows = _grid([_button(_section_title(t, s), LayoutAction(a="sec", id=s.id)) for s in shown])
    rows += _nav(t, page, pages, lambda p: SettingsMenu(to="layout", p=p))
    rows.append([_button(t.plain("settings-btn-add-section"), LayoutAction(a="add"))])
    rows.append(_back(t, SettingsMenu(to="home")))
    return _with_notice(notice, "\n".join(blocks)), _markup(rows)


def section_screen(t: Translator, view: LayoutView, section: SectionView, page: int) -> Screen:
    shown, page, pages = _page(section.fields, page)
    title = t("settings-section-title", title=shorten(_section_title(t, section), 100))
    lines = [_page_title(t, title, page, pages)]
    first = page * PAGE_SIZE
    lines += [f"{first + i + 1}. {_label(t, view, f.field, f.hidden)}" for i, f in enumerate(shown)]
    if not section.fields:
        lines.append(t("settings-section-empty"))
    buttons = [
        _button(
            f"{first + i + 1}. " + ("🚫 " if f.hidden else "") + _plain_label(t, view, f.field),
            LayoutAction(a="fld", id=f.id),
        )
        for i, f in enumerate(shown)
    ]
    rows = _grid(buttons)
    rows += _nav(t, page, pages, lambda p: LayoutAction(a="sec", id=section.id, p=p))
    rows.append(_back(t, SettingsMenu(to="layout")))
    return "\n".join(lines), _markup(rows)


def _plain_label(t: Translator, view: LayoutView, field: str) -> str:
    """A field's label for a button (buttons are plain text, not HTML)."""
    return html.unescape(field_label(t, field, view.custom))


def layout_field_screen(t: Translator, view: LayoutView, placement_id: int) -> Screen:
    section, index = view.find(placement_id)
    placed = section.fields[index]
    text = t(
        "settings-layout-field",
        label=Markup(field_label(t, placed.field, view.custom)),
        section=shorten(_section_title(t, section), 100),
        position=index + 1,
        total=len(section.fields),
        hidden=placed.hidden,
    )
    hide_key = "settings-btn-show" if placed.hidden else "settings-btn-hide"
    rows = [
        [
            _button(
                t.plain(hide_key), LayoutAction(a="hide", id=placed.id, v=int(not placed.hidden))
            )
        ],
        [
            _button(t.plain("settings-btn-up"), LayoutAction(a="up", id=placed.id)),
            _button(t.plain("settings-btn-down"), LayoutAction(a="down", id=placed.id)),
        ],
    ]
    others = [s for s in view.sections if s.id != section.id][:90]  # within 100 buttons
    rows += [
        [
            _button(
                t.plain("settings-btn-move-to", section=shorten(_section_title(t, s), 40)),
                LayoutAction(a="to", id=placed.id, v=s.id),
            )
        ]
        for s in others
    ]
    rows.append(_back(t, LayoutAction(a="sec", id=section.id, p=index // PAGE_SIZE)))
    return text, _markup(rows)


async def on_layout(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    await _show(query, layout_screen(t, await layout.layout_view(actor), callback_data.p))


async def on_section(
    query: CallbackQuery, callback_data: LayoutAction, actor: Actor, t: Translator
) -> None:
    view = await layout.layout_view(actor)
    await _show(query, section_screen(t, view, view.section(callback_data.id), callback_data.p))


async def on_layout_field(
    query: CallbackQuery, callback_data: LayoutAction, actor: Actor, t: Translator
) -> None:
    view = await layout.layout_view(actor)
    await _show(query, layout_field_screen(t, view, callback_data.id))


async def on_layout_change(
    query: CallbackQuery, callback_data: LayoutAction, actor: Actor, t: Translator
) -> None:
    """Hide/show, up, down or to another section; then the field's screen again."""
    placement_id = callback_data.id
    if callback_data.a == "hide":
        await layout.set_hidden(actor, placement_id, bool(callback_data.v))
    elif callback_data.a == "to":
        await layout.move_field_to(actor, placement_id, callback_data.v)
    else:
        offset = -1 if callback_data.a == "up" else 1
        await layout.move_field(actor, placement_id, offset)
    view = await layout.layout_view(actor)
    await _show(query, layout_field_screen(t, view, placement_id))


async def on_section_add(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await _ask(query_message(query), state, SectionForm.title, t("settings-section-prompt"))


async def process_section_title(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    section = await layout.add_section(actor, _text(message))
    await _finish(state)
    view = await layout.layout_view(actor)
    notice = t("settings-section-added", title=section.title)
    text, markup = layout_screen(t, view, (len(view.sections) - 1) // PAGE_SIZE, notice)
    await message.answer(text, reply_markup=markup)


# --- staff and departments (F9) -------------------------------------------------------------


def _member_name(member: Staff) -> str:
    return member.name or f"#{member.telegram_id}"


def staff_screen(t: Translator, members: Sequence[Staff], page: int) -> Screen:
    shown, page, pages = _page(members, page)
    lines = [_page_title(t, t("settings-staff-title"), page, pages)]
    buttons = []
    for member in shown:
        key = "settings-staff-line-admin" if member.is_admin else "settings-staff-line"
        key = key if member.is_active else "settings-staff-line-inactive"
        lines.append(t(key, name=shorten(_member_name(member), 60)))
        mark = ("★ " if member.is_admin else "") + ("" if member.is_active else "⛔ ")
        buttons.append(_button(mark + _member_name(member), StaffAction(a="open", id=member.id)))
    rows = _grid(buttons)
    rows += _nav(t, page, pages, lambda p: SettingsMenu(to="staff", p=p))
    rows.append(_back(t, SettingsMenu(to="home")))
    return "\n".join(lines), _markup(rows)


def member_screen(t: Translator, view: StaffView, notice: str = "") -> Screen:
    member = view.staff
    text = t(
        "settings-member",
        name=shorten(_member_name(member), 100),
        telegram_id=str(member.telegram_id),
        active=member.is_active,
        admin=member.is_admin,
        roles=Markup(_joined(t, [r.name for r in view.roles])),
        departments=Markup(_joined(t, [d.name for d in view.departments])),
    )
    rows = [
        [
            _button(t.plain("settings-btn-roles"), StaffAction(a="roles", id=member.id)),
            _button(t.plain("settings-btn-departments"), StaffAction(a="depts", id=member.id)),
        ],
        [
            _button(t.plain("settings-btn-deactivate"), StaffAction(a="off", id=member.id))
            if member.is_active
            else _button(t.plain("settings-btn-reactivate"), StaffAction(a="on", id=member.id))
        ],
        _back(t, SettingsMenu(to="staff")),
    ]
    return _with_notice(notice, text), _markup(rows)


def member_roles_screen(t: Translator, view: StaffView, roles: Sequence[Role], page: int) -> Screen:
    shown, page, pages = _page(roles, page)
    held = {r.id for r in view.roles}
    title = t("settings-member-roles", name=shorten(_member_name(view.staff), 100))
    buttons = [
        _button(
            _check(r.id in held, r.name),
            StaffAction(a="role", id=view.staff.id, x=r.id, v=int(r.id not in held), p=page),
        )
        for r in shown
    ]
    rows = _grid(buttons)
    rows += _nav(t, page, pages, lambda p: StaffAction(a="roles", id=view.staff.id, p=p))
    rows.append(_back(t, StaffAction(a="open", id=view.staff.id)))
    return _page_title(t, title, page, pages), _markup(rows)


def member_departments_screen(
    t: Translator, view: StaffView, departments: Sequence[Department], page: int
) -> Screen:
    shown, page, pages = _page(departments, page)
    member_of = {d.id for d in view.departments}
    title = t("settings-member-departments", name=shorten(_member_name(view.staff), 100))
    if not departments:
        title += "\n" + t("settings-departments-empty")
    buttons = [
        _button(
            _check(d.id in member_of, d.name),
            StaffAction(a="dept", id=view.staff.id, x=d.id, v=int(d.id not in member_of), p=page),
        )
        for d in shown
    ]
    rows = _grid(buttons)
    rows += _nav(t, page, pages, lambda p: StaffAction(a="depts", id=view.staff.id, p=p))
    rows.append(_back(t, StaffAction(a="open", id=view.staff.id)))
    return _page_title(t, title, page, pages), _markup(rows)


async def on_staff(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    members = await staff.staff_members(actor)
    await _show(query, staff_screen(t, members, callback_data.p))


async def on_member(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    await _show(query, member_screen(t, await staff.staff_member(actor, callback_data.id)))


async def on_member_roles(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    """The roles as toggles; a press grants or takes away the role it names."""
    if callback_data.a == "role":
        if callback_data.v:
            await staff.grant_role(actor, callback_data.id, callback_data.x)
        else:
            await staff.revoke_role(actor, callback_data.id, callback_data.x)
    view = await staff.staff_member(actor, callback_data.id)
    roles = await staff.list_roles(actor)
    await _show(query, member_roles_screen(t, view, roles, callback_data.p))


async def on_member_departments(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    """The departments as toggles; a press puts the member in it or takes them out."""
    if callback_data.a == "dept":
        department = [callback_data.x]
        if callback_data.v:
            await staff.change_departments(actor, callback_data.id, join=department)
        else:
            await staff.change_departments(actor, callback_data.id, leave=department)
    view = await staff.staff_member(actor, callback_data.id)
    departments = await staff.list_departments(actor)
    await _show(query, member_departments_screen(t, view, departments, callback_data.p))


async def on_member_deactivate(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    view = await staff.staff_member(actor, callback_data.id)
    rows = [
        [
            _button(
                t.plain("settings-btn-deactivate-confirm"),
                StaffAction(a="offok", id=view.staff.id),
            )
        ],
        _back(t, StaffAction(a="open", id=view.staff.id)),
    ]
    text = t("settings-member-deactivate-confirm", name=shorten(_member_name(view.staff), 100))
    await _show(query, (text, _markup(rows)))


async def on_member_active(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    """Deactivates (after the confirmation) or reactivates a member."""
    if callback_data.a == "offok":
        await staff.deactivate_staff(actor, callback_data.id)
        key = "settings-member-deactivated"
    else:
        await staff.reactivate_staff(actor, callback_data.id)
        key = "settings-member-reactivated"
    view = await staff.staff_member(actor, callback_data.id)
    await _show(query, member_screen(t, view, t(key, name=shorten(_member_name(view.staff), 100))))


def departments_screen(
    t: Translator, departments: Sequence[Department], page: int, notice: str = ""
) -> Screen:
    shown, page, pages = _page(departments, page)
    lines = [_page_title(t, t("settings-departments-title"), page, pages)]
    lines += [t("settings-departments-line", name=shorten(d.name, 80)) for d in shown]
    if not departments:
        lines.append(t("settings-departments-empty"))
    rows = _nav(t, page, pages, lambda p: SettingsMenu(to="depts", p=p))
    rows.append([_button(t.plain("settings-btn-add-department"), SettingsMenu(to="adddept"))])
    rows.append(_back(t, SettingsMenu(to="home")))
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


async def on_departments(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    departments = await staff.list_departments(actor)
    await _show(query, departments_screen(t, departments, callback_data.p))


async def on_department_add(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await _ask(query_message(query), state, DepartmentForm.name, t("settings-department-prompt"))


async def process_department_name(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    department = await staff.create_department(actor, _text(message))
    await _finish(state)
    departments = await staff.list_departments(actor)
    notice = t("settings-department-added", name=department.name)
    page = [d.id for d in departments].index(department.id) // PAGE_SIZE
    text, markup = departments_screen(t, departments, page, notice)
    await message.answer(text, reply_markup=markup)


# --- roles (F9) -----------------------------------------------------------------------------


def roles_screen(t: Translator, roles: Sequence[Role], page: int) -> Screen:
    shown, page, pages = _page(roles, page)
    lines = [_page_title(t, t("settings-roles-title"), page, pages)]
    lines += [
        t(
            "settings-roles-line-settings" if r.can_manage_settings else "settings-roles-line",
            name=shorten(r.name, 60),
        )
        for r in shown
    ]
    rows = _grid([_button(r.name, RoleAction(a="open", id=r.id)) for r in shown])
    rows += _nav(t, page, pages, lambda p: SettingsMenu(to="roles", p=p))
    rows.append([_button(t.plain("settings-btn-add-role"), RoleAction(a="add"))])
    rows.append(_back(t, SettingsMenu(to="home")))
    return "\n".join(lines), _markup(rows)


def _level_of(role: Role, action: Action) -> Level:
    return Level(getattr(role, f"{action.value}_level"))


def role_screen(t: Translator, role: Role, notice: str = "") -> Screen:
    """The role's matrix: one line and one button per action, then the settings right."""
    lines = [t("settings-role-title", name=shorten(role.name, 100))]
    buttons = []
    for index, action in enumerate(ACTIONS):
        level = t.plain(f"level-{_level_of(role, action).value}")
        line = t("settings-role-line", action=t.plain(f"action-{action.value}"), level=level)
        lines.append(line)
        buttons.append(
            [
                _button(
                    f"{t.plain(f'action-{action.value}')}: {level}",
                    RoleAction(a="act", id=role.id, x=index),
                )
            ]
        )
    lines.append(t("settings-role-settings", allowed=role.can_manage_settings))
    settings = _button(
        _check(role.can_manage_settings, t.plain("settings-btn-settings-right")),
        RoleAction(a="set", id=role.id, v=int(not role.can_manage_settings)),
    )
    rows = [*buttons, [settings], _back(t, SettingsMenu(to="roles"))]
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


def role_level_screen(t: Translator, role: Role, index: int, action: Action) -> Screen:
    current = _level_of(role, action)
    text = t(
        "settings-role-choose-level",
        name=shorten(role.name, 100),
        action=t.plain(f"action-{action.value}"),
    )
    rows = [
        [
            _button(
                ("✓ " if level == current else "") + t.plain(f"level-{level.value}"),
                RoleAction(a="lvl", id=role.id, x=index, v=level.value),
            )
        ]
        for level in LEVELS
    ]
    rows.append(_back(t, RoleAction(a="open", id=role.id)))
    return text, _markup(rows)


async def on_roles(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    await _show(query, roles_screen(t, await staff.list_roles(actor), callback_data.p))


async def on_role(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    await _show(query, role_screen(t, await staff.get_role(actor, callback_data.id)))


async def on_role_action(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    action = _nth(ACTIONS, callback_data.x)
    if action is None:
        await _stale(query, t)
        return
    role = await staff.get_role(actor, callback_data.id)
    await _show(query, role_level_screen(t, role, callback_data.x, action))


async def on_role_level(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    """Sets one action's level; the core refuses levels above the actor's own."""
    action = _nth(ACTIONS, callback_data.x)
    if action is None:
        await _stale(query, t)
        return
    role = await staff.update_role(actor, callback_data.id, {action.value: callback_data.v})
    await _show(query, role_screen(t, role))


async def on_role_settings(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    role = await staff.update_role(
        actor, callback_data.id, can_manage_settings=bool(callback_data.v)
    )
    await _show(query, role_screen(t, role))


async def on_role_add(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await _ask(query_message(query), state, RoleForm.name, t("settings-role-name-prompt"))


async def process_role_name(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """A new role starts with no rights; the admin sets its levels on the screen that follows."""
    role = await staff.create_role(actor, _text(message), {})
    await _finish(state)
    text, markup = role_screen(t, role, t("settings-role-added", name=role.name))
    await message.answer(text, reply_markup=markup)


# --- invites (F9) ---------------------------------------------------------------------------


def invite_roles_screen(t: Translator, roles: Sequence[Role], page: int) -> Screen:
    shown, page, pages = _page(roles, page)
    rows = _grid([_button(r.name, InviteAction(role=r.id)) for r in shown])
    rows += _nav(t, page, pages, lambda p: SettingsMenu(to="invite", p=p))
    rows.append(_back(t, SettingsMenu(to="home")))
    return _page_title(t, t("settings-invite-role"), page, pages), _markup(rows)


def invite_departments_screen(
    t: Translator, role: Role, departments: Sequence[Department], page: int
) -> Screen:
    shown, page, pages = _page(departments, page)
    buttons = [_button(d.name, InviteAction(role=role.id, dept=d.id)) for d in shown]
    rows = [[_button(t.plain("settings-btn-no-department"), InviteAction(role=role.id, dept=0))]]
    rows += _grid(buttons)
    rows += _nav(t, page, pages, lambda p: InviteAction(role=role.id, p=p))
    rows.append(_back(t, SettingsMenu(to="invite")))
    title = t("settings-invite-department", role=shorten(role.name, 100))
    return _page_title(t, title, page, pages), _markup(rows)


async def on_invite(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    roles = await staff.list_roles(actor)
    await _show(query, invite_roles_screen(t, roles, callback_data.p))


async def on_invite_role(
    query: CallbackQuery, callback_data: InviteAction, actor: Actor, t: Translator, bot: Bot
) -> None:
    """After the role: the department, unless there is none to choose."""
    departments = await staff.list_departments(actor)
    if not departments:
        await _make_invite(query, InviteAction(role=callback_data.role, dept=0), actor, t, bot)
        return
    role = await staff.get_role(actor, callback_data.role)
    await _show(query, invite_departments_screen(t, role, departments, callback_data.p))


async def on_invite_make(
    query: CallbackQuery, callback_data: InviteAction, actor: Actor, t: Translator, bot: Bot
) -> None:
    await _make_invite(query, callback_data, actor, t, bot)


async def _make_invite(
    query: CallbackQuery, callback_data: InviteAction, actor: Actor, t: Translator, bot: Bot
) -> None:
    invite = await staff.create_invite(actor, callback_data.role, callback_data.dept or None)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start=inv_{invite.token}"
    args: dict[str, Any] = {
        "role": shorten(invite.role.name, 100),
        "link": link,
        "expires": t.datetime(invite.expires_at),
    }
    if invite.department is None:
        text = t("settings-invite-done", **args)
    else:
        text = t(
            "settings-invite-done-department",
            department=shorten(invite.department.name, 100),
            **args,
        )
    await _show(query, (text, _markup([_back(t, SettingsMenu(to="home"))])))


# --- text in a dialog that waits for a button ------------------------------------------------


async def process_use_buttons(message: Message, t: Translator) -> None:
    await message.answer(t("settings-use-buttons"))


def build_router() -> Router:
    router = Router(name="settings")
    msg, cb = router.message, router.callback_query
    msg.register(cmd_settings, Command("settings"))

    typed = (F.text, ~F.text.startswith("/"))
    msg.register(process_type_name, TypeForm.name, *typed)
    msg.register(process_type_rename, TypeForm.rename, *typed)
    msg.register(process_field_label, FieldForm.label, *typed)
    msg.register(process_field_options, FieldForm.options, *typed)
    msg.register(process_field_rename, FieldForm.rename, *typed)
    msg.register(process_section_title, SectionForm.title, *typed)
    msg.register(process_role_name, RoleForm.name, *typed)
    msg.register(process_department_name, DepartmentForm.name, *typed)
    for step in (FieldForm.type, FieldForm.required, FieldForm.multiple, FieldForm.in_filter):
        msg.register(process_use_buttons, step, *typed)

    menu = SettingsMenu.filter
    cb.register(on_home, menu(F.to == "home"))
    cb.register(on_types, menu(F.to == "types"))
    cb.register(on_fields, menu(F.to == "fields"))
    cb.register(on_layout, menu(F.to == "layout"))
    cb.register(on_staff, menu(F.to == "staff"))
    cb.register(on_departments, menu(F.to == "depts"))
    cb.register(on_department_add, menu(F.to == "adddept"))
    cb.register(on_roles, menu(F.to == "roles"))
    cb.register(on_invite, menu(F.to == "invite"))

    types = TypeAction.filter
    cb.register(on_type, types(F.a == "open"))
    cb.register(on_type_add, types(F.a == "add"))
    cb.register(on_type_rename, types(F.a == "ren"))
    cb.register(on_type_move, types(F.a.in_({"up", "down"})))
    cb.register(on_type_delete, types(F.a == "del"))
    cb.register(on_type_delete_confirmed, types(F.a.in_({"delok", "move"})))

    fields = FieldAction.filter
    cb.register(on_field, fields(F.a == "open"))
    cb.register(on_field_add, fields(F.a == "add"))
    cb.register(on_field_rename, fields(F.a == "ren"))
    cb.register(on_field_flag, fields(F.a.in_({"req", "mul", "flt"})))
    cb.register(on_field_delete, fields(F.a == "del"))
    cb.register(on_field_delete_confirmed, fields(F.a == "delok"))
    answer = NewFieldAnswer.filter
    cb.register(on_new_field_type, answer(F.step == "type"), FieldForm.type)
    cb.register(on_new_field_flag, answer(F.step == "req"), FieldForm.required)
    cb.register(on_new_field_flag, answer(F.step == "mul"), FieldForm.multiple)
    cb.register(on_new_field_flag, answer(F.step == "flt"), FieldForm.in_filter)
    cb.register(on_new_field_stale, answer())

    layout = LayoutAction.filter
    cb.register(on_section, layout(F.a == "sec"))
    cb.register(on_layout_field, layout(F.a == "fld"))
    cb.register(on_layout_change, layout(F.a.in_({"hide", "up", "down", "to"})))
    cb.register(on_section_add, layout(F.a == "add"))

    members = StaffAction.filter
    cb.register(on_member, members(F.a == "open"))
    cb.register(on_member_roles, members(F.a.in_({"roles", "role"})))
    cb.register(on_member_departments, members(F.a.in_({"depts", "dept"})))
    cb.register(on_member_deactivate, members(F.a == "off"))
    cb.register(on_member_active, members(F.a.in_({"offok", "on"})))

    roles = RoleAction.filter
    cb.register(on_role, roles(F.a == "open"))
    cb.register(on_role_add, roles(F.a == "add"))
    cb.register(on_role_action, roles(F.a == "act"))
    cb.register(on_role_level, roles(F.a == "lvl"))
    cb.register(on_role_settings, roles(F.a == "set"))

    invites = InviteAction.filter
    cb.register(on_invite_role, invites(F.dept < 0))
    cb.register(on_invite_make, invites(F.dept >= 0))
    return router
