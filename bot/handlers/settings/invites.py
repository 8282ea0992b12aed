"""/settings → Invite (F9): a single-use link for a role and, if any, a department."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

from bot.handlers.settings.dialog import MenuScreen, SettingsMenu, show
from bot.render import shorten
from bot.ui import (
    NAME_WIDTH,
    Screen,
    back,
    button,
    grid,
    markup,
    nav,
    page_of,
    page_title,
)
from crm import staff
from crm.actors import Actor
from crm.i18n import Translator

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import Department, Role

NO_DEPARTMENT = 0  # `department_id` of an invite to no department


class InviteStep(StrEnum):
    CHOOSE_DEPARTMENT = "d"  # the role is chosen: the departments, at `page`
    MAKE = "m"  # the invite, into `department_id` (or NO_DEPARTMENT)


class InviteAction(CallbackData, prefix="si"):
    """An invite for role `role_id`."""

    action: InviteStep
    role_id: int
    department_id: int = NO_DEPARTMENT
    page: int = 0


def _make(role_id: int, department_id: int) -> InviteAction:
    return InviteAction(action=InviteStep.MAKE, role_id=role_id, department_id=department_id)


def invite_roles_screen(t: Translator, roles: Sequence[Role], page: int) -> Screen:
    shown, page, pages = page_of(roles, page)
    rows = grid(
        [
            button(r.name, InviteAction(action=InviteStep.CHOOSE_DEPARTMENT, role_id=r.id))
            for r in shown
        ]
    )
    rows += nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.INVITE, page=p))
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return page_title(t, t("settings-invite-role"), page, pages), markup(rows)


def invite_departments_screen(
    t: Translator, role: Role, departments: Sequence[Department], page: int
) -> Screen:
    shown, page, pages = page_of(departments, page)
    buttons = [button(d.name, _make(role.id, d.id)) for d in shown]
    rows = [[button(t.plain("settings-btn-no-department"), _make(role.id, NO_DEPARTMENT))]]
    rows += grid(buttons)
    rows += nav(
        t,
        page,
        pages,
        lambda p: InviteAction(action=InviteStep.CHOOSE_DEPARTMENT, role_id=role.id, page=p),
    )
    rows.append(back(t, SettingsMenu(screen=MenuScreen.INVITE)))
    title = t("settings-invite-department", role=shorten(role.name, NAME_WIDTH))
    return page_title(t, title, page, pages), markup(rows)


async def on_invite(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    roles = await staff.list_roles(actor)
    await show(query, invite_roles_screen(t, roles, callback_data.page))


async def on_invite_role(
    query: CallbackQuery, callback_data: InviteAction, actor: Actor, t: Translator, bot: Bot
) -> None:
    """After the role: the department, unless there is none to choose."""
    departments = await staff.list_departments(actor)
    if not departments:
        await _make_invite(query, _make(callback_data.role_id, NO_DEPARTMENT), actor, t, bot)
        return
    role = await staff.get_role(actor, callback_data.role_id)
    await show(query, invite_departments_screen(t, role, departments, callback_data.page))


async def on_invite_make(
    query: CallbackQuery, callback_data: InviteAction, actor: Actor, t: Translator, bot: Bot
) -> None:
    await _make_invite(query, callback_data, actor, t, bot)


async def _make_invite(
    query: CallbackQuery, callback_data: InviteAction, actor: Actor, t: Translator, bot: Bot
) -> None:
    department_id = callback_data.department_id or None  # NO_DEPARTMENT: none
    invite = await staff.create_invite(actor, callback_data.role_id, department_id)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start=inv_{invite.token}"
    args: dict[str, Any] = {
        "role": shorten(invite.role.name, NAME_WIDTH),
        "link": link,
        "expires": t.datetime(invite.expires_at),
    }
    if invite.department is None:
        text = t("settings-invite-done", **args)
    else:
        department = shorten(invite.department.name, NAME_WIDTH)
        text = t("settings-invite-done-department", department=department, **args)
    await show(query, (text, markup([back(t, SettingsMenu(screen=MenuScreen.HOME))])))


def get_router() -> Router:
    router = Router(name="settings.invites")
    cb = router.callback_query
    cb.register(on_invite, SettingsMenu.filter(F.screen == MenuScreen.INVITE))
    invites = InviteAction.filter
    cb.register(on_invite_role, invites(F.action == InviteStep.CHOOSE_DEPARTMENT))
    cb.register(on_invite_make, invites(F.action == InviteStep.MAKE))
    return router
