"""/settings → Roles (F9): each role's level per action and the settings right; add a role."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

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
    finish,
    show,
    stale,
    typed_text,
)
from bot.messages import query_message
from bot.render import shorten
from bot.ui import (
    LINE_WIDTH,
    NAME_WIDTH,
    Screen,
    back,
    button,
    check,
    grid,
    markup,
    nav,
    nth,
    page_of,
    page_title,
    with_notice,
)
from crm import staff
from crm.actors import Actor
from crm.i18n import Translator
from crm.permissions import require_settings
from models.enums import Action, Level

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import Role

ACTIONS = list(Action)
LEVELS = list(Level)


class RoleStep(StrEnum):
    OPEN = "open"
    ADD = "add"
    CHOOSE_LEVEL = "act"  # the levels for ACTIONS[`action_index`]
    SET_LEVEL = "lvl"  # ACTIONS[`action_index`] to Level(`level`)
    SETTINGS_RIGHT = "set"  # the settings right to `allowed`


class RoleAction(CallbackData, prefix="sr"):
    """A role `role_id`."""

    action: RoleStep
    role_id: int = 0
    action_index: int = 0
    level: int = 0
    allowed: bool = False


class RoleForm(StatesGroup):
    name = State()


def roles_screen(t: Translator, roles: Sequence[Role], page: int) -> Screen:
    shown, page, pages = page_of(roles, page)
    lines = [page_title(t, t("settings-roles-title"), page, pages)]
    lines += [
        t(
            "settings-roles-line-settings" if r.can_manage_settings else "settings-roles-line",
            name=shorten(r.name, LINE_WIDTH),
        )
        for r in shown
    ]
    rows = grid([button(r.name, RoleAction(action=RoleStep.OPEN, role_id=r.id)) for r in shown])
    rows += nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.ROLES, page=p))
    rows.append([button(t.plain("settings-btn-add-role"), RoleAction(action=RoleStep.ADD))])
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return "\n".join(lines), markup(rows)


def _level_of(role: Role, action: Action) -> Level:
    return Level(getattr(role, f"{action.value}_level"))


def role_screen(t: Translator, role: Role, notice: str = "") -> Screen:
    """The role's matrix: one line and one button per action, then the settings right."""
    lines = [t("settings-role-title", name=shorten(role.name, NAME_WIDTH))]
    buttons = []
    for index, action in enumerate(ACTIONS):
        level = t.plain(f"level-{_level_of(role, action).value}")
        line = t("settings-role-line", action=t.plain(f"action-{action.value}"), level=level)
        lines.append(line)
        choose = RoleAction(action=RoleStep.CHOOSE_LEVEL, role_id=role.id, action_index=index)
        buttons.append([button(f"{t.plain(f'action-{action.value}')}: {level}", choose)])
    lines.append(t("settings-role-settings", allowed=role.can_manage_settings))
    settings = button(
        check(role.can_manage_settings, t.plain("settings-btn-settings-right")),
        RoleAction(
            action=RoleStep.SETTINGS_RIGHT, role_id=role.id, allowed=not role.can_manage_settings
        ),
    )
    rows = [*buttons, [settings], back(t, SettingsMenu(screen=MenuScreen.ROLES))]
    return with_notice(notice, "\n".join(lines)), markup(rows)


def role_level_screen(t: Translator, role: Role, index: int, action: Action) -> Screen:
    current = _level_of(role, action)
    text = t(
        "settings-role-choose-level",
        name=shorten(role.name, NAME_WIDTH),
        action=t.plain(f"action-{action.value}"),
    )
    rows = [
        [
            button(
                ("✓ " if level == current else "") + t.plain(f"level-{level.value}"),
                RoleAction(
                    action=RoleStep.SET_LEVEL,
                    role_id=role.id,
                    action_index=index,
                    level=level.value,
                ),
            )
        ]
        for level in LEVELS
    ]
    rows.append(back(t, RoleAction(action=RoleStep.OPEN, role_id=role.id)))
    return text, markup(rows)


async def on_roles(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    await show(query, roles_screen(t, await staff.list_roles(actor), callback_data.page))


async def on_role(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    await show(query, role_screen(t, await staff.get_role(actor, callback_data.role_id)))


async def on_role_action(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    action = nth(ACTIONS, callback_data.action_index)
    if action is None:
        await stale(query, t)
        return
    role = await staff.get_role(actor, callback_data.role_id)
    await show(query, role_level_screen(t, role, callback_data.action_index, action))


async def on_role_level(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    """Sets one action's level; the core refuses levels above the actor's own."""
    action = nth(ACTIONS, callback_data.action_index)
    if action is None:
        await stale(query, t)
        return
    levels = {action.value: callback_data.level}
    role = await staff.update_role(actor, callback_data.role_id, levels)
    await show(query, role_screen(t, role))


async def on_role_settings(
    query: CallbackQuery, callback_data: RoleAction, actor: Actor, t: Translator
) -> None:
    """Gives or takes the settings right; the core lets only administrators give it."""
    role = await staff.update_role(
        actor, callback_data.role_id, can_manage_settings=callback_data.allowed
    )
    await show(query, role_screen(t, role))


async def on_role_add(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await ask(query_message(query), state, RoleForm.name, t("settings-role-name-prompt"))


async def process_role_name(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """A new role starts with no rights; the admin sets its levels on the screen that follows."""
    role = await staff.create_role(actor, typed_text(message), {})
    await finish(state)
    text, keyboard = role_screen(t, role, t("settings-role-added", name=role.name))
    await message.answer(text, reply_markup=keyboard)


def get_router() -> Router:
    router = Router(name="settings.roles")
    router.message.register(process_role_name, RoleForm.name, *TYPED)
    cb = router.callback_query
    cb.register(on_roles, SettingsMenu.filter(F.screen == MenuScreen.ROLES))
    roles = RoleAction.filter
    cb.register(on_role, roles(F.action == RoleStep.OPEN))
    cb.register(on_role_add, roles(F.action == RoleStep.ADD))
    cb.register(on_role_action, roles(F.action == RoleStep.CHOOSE_LEVEL))
    cb.register(on_role_level, roles(F.action == RoleStep.SET_LEVEL))
    cb.register(on_role_settings, roles(F.action == RoleStep.SETTINGS_RIGHT))
    return router
