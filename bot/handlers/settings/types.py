"""/settings → Contact types (F2): list with use, add, rename, reorder, delete (moving contacts)."""

from collections.abc import Sequence
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.handlers.settings.dialog import (
    TYPED,
    MenuScreen,
    SettingsMenu,
    ask,
    dialog_data,
    finish,
    show,
    typed_text,
)
from bot.messages import query_message
from bot.render import shorten
from bot.ui import (
    LINE_WIDTH,
    NAME_WIDTH,
    PAGE_SIZE,
    Screen,
    back,
    button,
    grid,
    markup,
    nav,
    page_of,
    page_title,
    with_notice,
)
from crm import catalog
from crm.actors import Actor
from crm.catalog import TypeUsage
from crm.i18n import Translator
from crm.permissions import require_settings

MAX_TARGETS = 90  # types offered to move contacts to: with Back, within 100 buttons


class TypeStep(StrEnum):
    OPEN = "open"
    ADD = "add"
    RENAME = "ren"
    UP = "up"
    DOWN = "down"
    DELETE = "del"
    CONFIRM_DELETE = "delok"
    MOVE_CONTACTS = "move"  # delete, moving its contacts to `target_id`


class TypeAction(CallbackData, prefix="st"):
    """A contact type `type_id`; `target_id` is where its contacts go when it is deleted."""

    action: TypeStep
    type_id: int = 0
    target_id: int = 0


class TypeForm(StatesGroup):
    name = State()
    rename = State()


def types_screen(t: Translator, types: Sequence[TypeUsage], page: int, notice: str = "") -> Screen:
    shown, page, pages = page_of(types, page)
    lines = [page_title(t, t("settings-types-title"), page, pages)]
    lines += [
        t(
            "settings-types-line",
            position=u.position,
            name=shorten(u.name, LINE_WIDTH),
            count=u.contacts,
        )
        for u in shown
    ]
    if not types:
        lines.append(t("settings-types-empty"))
    rows = grid(
        [
            button(f"{u.position}. {u.name}", TypeAction(action=TypeStep.OPEN, type_id=u.id))
            for u in shown
        ]
    )
    rows += nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.TYPES, page=p))
    rows.append([button(t.plain("settings-btn-add-type"), TypeAction(action=TypeStep.ADD))])
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


def type_screen(t: Translator, usage: TypeUsage, notice: str = "") -> Screen:
    text = t(
        "settings-type",
        name=shorten(usage.name, NAME_WIDTH),
        position=usage.position,
        total=usage.total,
        count=usage.contacts,
    )

    def act(step: TypeStep) -> TypeAction:
        return TypeAction(action=step, type_id=usage.id)

    rows = [
        [button(t.plain("settings-btn-rename"), act(TypeStep.RENAME))],
        [
            button(t.plain("settings-btn-up"), act(TypeStep.UP)),
            button(t.plain("settings-btn-down"), act(TypeStep.DOWN)),
        ],
        [button(t.plain("settings-btn-delete"), act(TypeStep.DELETE))],
        back(
            t,
            SettingsMenu(screen=MenuScreen.TYPES, page=(usage.position - 1) // PAGE_SIZE),
        ),
    ]
    return with_notice(notice, text), markup(rows)


def type_delete_screen(t: Translator, usage: TypeUsage, types: Sequence[TypeUsage]) -> Screen:
    """Unused: a plain confirmation. In use: where its contacts go, one button per other type."""
    name = shorten(usage.name, NAME_WIDTH)
    back_row = back(t, TypeAction(action=TypeStep.OPEN, type_id=usage.id))
    if usage.contacts == 0:
        confirm = button(
            t.plain("settings-btn-delete-confirm"),
            TypeAction(action=TypeStep.CONFIRM_DELETE, type_id=usage.id),
        )
        return t("settings-type-delete-confirm", name=name), markup([[confirm], back_row])
    others = [u for u in types if u.id != usage.id][:MAX_TARGETS]
    if not others:
        text = t("settings-type-delete-no-target", name=name, count=usage.contacts)
        return text, markup([back_row])
    rows = grid(
        [
            button(
                u.name,
                TypeAction(action=TypeStep.MOVE_CONTACTS, type_id=usage.id, target_id=u.id),
            )
            for u in others
        ]
    )
    rows.append(back_row)
    return t("settings-type-delete-move", name=name, count=usage.contacts), markup(rows)


async def on_types(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    types = await catalog.type_usage(actor)
    await show(query, types_screen(t, types, callback_data.page))


async def on_type(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    await show(query, type_screen(t, await catalog.get_type(actor, callback_data.type_id)))


async def on_type_add(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await ask(query_message(query), state, TypeForm.name, t("settings-type-name-prompt"))


async def process_type_name(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    created = await catalog.create_type(actor, typed_text(message))
    await finish(state)
    notice = t("settings-type-added", name=created.name)
    text, keyboard = types_screen(t, await catalog.type_usage(actor), 0, notice)
    await message.answer(text, reply_markup=keyboard)


async def on_type_rename(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    usage = await catalog.get_type(actor, callback_data.type_id)
    await query.answer()
    prompt = t("settings-type-rename-prompt", name=shorten(usage.name, NAME_WIDTH))
    await ask(query_message(query), state, TypeForm.rename, prompt, type_id=usage.id)


async def process_type_rename(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    type_id = int((await dialog_data(state)).get("type_id") or 0)
    await catalog.rename_type(actor, type_id, typed_text(message))
    await finish(state)
    usage = await catalog.get_type(actor, type_id)
    text, keyboard = type_screen(t, usage, t("settings-type-renamed"))
    await message.answer(text, reply_markup=keyboard)


async def on_type_move(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    offset = -1 if callback_data.action == TypeStep.UP else 1
    await catalog.move_type(actor, callback_data.type_id, offset)
    await show(query, type_screen(t, await catalog.get_type(actor, callback_data.type_id)))


async def on_type_delete(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    usage = await catalog.get_type(actor, callback_data.type_id)
    types = await catalog.type_usage(actor)
    await show(query, type_delete_screen(t, usage, types))


async def on_type_delete_confirmed(
    query: CallbackQuery, callback_data: TypeAction, actor: Actor, t: Translator
) -> None:
    """Deletes an unused type, or moves its contacts to type `target_id` and deletes it."""
    usage = await catalog.get_type(actor, callback_data.type_id)
    move_to = callback_data.target_id if callback_data.action == TypeStep.MOVE_CONTACTS else None
    moved = await catalog.delete_type(actor, callback_data.type_id, move_to=move_to)
    types = await catalog.type_usage(actor)
    target = next((u.name for u in types if u.id == move_to), "")
    notice = (
        t("settings-type-deleted-moved", name=usage.name, count=moved, target=target)
        if moved
        else t("settings-type-deleted", name=usage.name)
    )
    await show(query, types_screen(t, types, 0, notice))


def get_router() -> Router:
    router = Router(name="settings.types")
    msg, cb = router.message, router.callback_query
    msg.register(process_type_name, TypeForm.name, *TYPED)
    msg.register(process_type_rename, TypeForm.rename, *TYPED)
    cb.register(on_types, SettingsMenu.filter(F.screen == MenuScreen.TYPES))
    types = TypeAction.filter
    cb.register(on_type, types(F.action == TypeStep.OPEN))
    cb.register(on_type_add, types(F.action == TypeStep.ADD))
    cb.register(on_type_rename, types(F.action == TypeStep.RENAME))
    cb.register(on_type_move, types(F.action.in_({TypeStep.UP, TypeStep.DOWN})))
    cb.register(on_type_delete, types(F.action == TypeStep.DELETE))
    confirmed = {TypeStep.CONFIRM_DELETE, TypeStep.MOVE_CONTACTS}
    cb.register(on_type_delete_confirmed, types(F.action.in_(confirmed)))
    return router
