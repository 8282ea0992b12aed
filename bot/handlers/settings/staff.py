"""/settings → Staff and departments (F9): members with their roles and departments as toggles,
deactivate and reactivate; the departments list and adding one."""

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
    member_name,
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
    check,
    grid,
    joined,
    markup,
    nav,
    page_of,
    page_title,
    with_notice,
)
from crm import staff
from crm.actors import Actor
from crm.i18n import Markup, Translator
from crm.permissions import require_settings
from crm.staff import StaffView

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import Department, Role, Staff

DEPARTMENT_LINE_WIDTH = 80  # a department on its own line: there is nothing else on it


class StaffStep(StrEnum):
    OPEN = "open"
    ROLES = "roles"  # the roles as toggles
    TOGGLE_ROLE = "role"  # role `item_id` granted if `granted`
    DEPARTMENTS = "depts"  # the departments as toggles
    TOGGLE_DEPARTMENT = "dept"  # department `item_id` joined if `granted`
    DEACTIVATE = "off"
    CONFIRM_DEACTIVATE = "offok"
    REACTIVATE = "on"


class StaffAction(CallbackData, prefix="ss"):
    """A staff member `staff_id`; `page` is the page of a toggle list."""

    action: StaffStep
    staff_id: int = 0
    item_id: int = 0
    granted: bool = False
    page: int = 0


class DepartmentForm(StatesGroup):
    name = State()


def staff_screen(t: Translator, members: Sequence[Staff], page: int) -> Screen:
    shown, page, pages = page_of(members, page)
    lines = [page_title(t, t("settings-staff-title"), page, pages)]
    buttons = []
    for member in shown:
        key = "settings-staff-line-admin" if member.is_admin else "settings-staff-line"
        key = key if member.is_active else "settings-staff-line-inactive"
        lines.append(t(key, name=shorten(member_name(member), LINE_WIDTH)))
        mark = ("★ " if member.is_admin else "") + ("" if member.is_active else "⛔ ")
        open_member = StaffAction(action=StaffStep.OPEN, staff_id=member.id)
        buttons.append(button(mark + member_name(member), open_member))
    rows = grid(buttons)
    rows += nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.STAFF, page=p))
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return "\n".join(lines), markup(rows)


def member_screen(t: Translator, view: StaffView, notice: str = "") -> Screen:
    member = view.staff
    text = t(
        "settings-member",
        name=shorten(member_name(member), NAME_WIDTH),
        telegram_id=str(member.telegram_id),
        active=member.is_active,
        admin=member.is_admin,
        roles=Markup(joined(t, [r.name for r in view.roles])),
        departments=Markup(joined(t, [d.name for d in view.departments])),
    )

    def act(step: StaffStep) -> StaffAction:
        return StaffAction(action=step, staff_id=member.id)

    rows = [
        [
            button(t.plain("settings-btn-roles"), act(StaffStep.ROLES)),
            button(t.plain("settings-btn-departments"), act(StaffStep.DEPARTMENTS)),
        ],
        [
            button(t.plain("settings-btn-deactivate"), act(StaffStep.DEACTIVATE))
            if member.is_active
            else button(t.plain("settings-btn-reactivate"), act(StaffStep.REACTIVATE))
        ],
        back(t, SettingsMenu(screen=MenuScreen.STAFF)),
    ]
    return with_notice(notice, text), markup(rows)


def member_roles_screen(t: Translator, view: StaffView, roles: Sequence[Role], page: int) -> Screen:
    shown, page, pages = page_of(roles, page)
    held = {r.id for r in view.roles}
    member_id = view.staff.id
    title = t("settings-member-roles", name=shorten(member_name(view.staff), NAME_WIDTH))
    buttons = [
        button(
            check(r.id in held, r.name),
            StaffAction(
                action=StaffStep.TOGGLE_ROLE,
                staff_id=member_id,
                item_id=r.id,
                granted=r.id not in held,
                page=page,
            ),
        )
        for r in shown
    ]
    rows = grid(buttons)
    rows += nav(
        t, page, pages, lambda p: StaffAction(action=StaffStep.ROLES, staff_id=member_id, page=p)
    )
    rows.append(back(t, StaffAction(action=StaffStep.OPEN, staff_id=member_id)))
    return page_title(t, title, page, pages), markup(rows)


def member_departments_screen(
    t: Translator, view: StaffView, departments: Sequence[Department], page: int
) -> Screen:
    shown, page, pages = page_of(departments, page)
    member_of = {d.id for d in view.departments}
    member_id = view.staff.id
    title = t("settings-member-departments", name=shorten(member_name(view.staff), NAME_WIDTH))
    if not departments:
        title += "\n" + t("settings-departments-empty")
    buttons = [
        button(
            check(d.id in member_of, d.name),
            StaffAction(
                action=StaffStep.TOGGLE_DEPARTMENT,
                staff_id=member_id,
                item_id=d.id,
                granted=d.id not in member_of,
                page=page,
            ),
        )
        for d in shown
    ]
    rows = grid(buttons)
    rows += nav(
        t,
        page,
        pages,
        lambda p: StaffAction(action=StaffStep.DEPARTMENTS, staff_id=member_id, page=p),
    )
    rows.append(back(t, StaffAction(action=StaffStep.OPEN, staff_id=member_id)))
    return page_title(t, title, page, pages), markup(rows)


async def on_staff(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    members = await staff.staff_members(actor)
    await show(query, staff_screen(t, members, callback_data.page))


async def on_member(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    await show(query, member_screen(t, await staff.staff_member(actor, callback_data.staff_id)))


async def on_member_roles(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    """The roles as toggles; a press grants or takes away the role it names."""
    member_id = callback_data.staff_id
    if callback_data.action == StaffStep.TOGGLE_ROLE:
        if callback_data.granted:
            await staff.grant_role(actor, member_id, callback_data.item_id)
        else:
            await staff.revoke_role(actor, member_id, callback_data.item_id)
    view = await staff.staff_member(actor, member_id)
    roles = await staff.list_roles(actor)
    await show(query, member_roles_screen(t, view, roles, callback_data.page))


async def on_member_departments(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    """The departments as toggles; a press puts the member in it or takes them out."""
    member_id = callback_data.staff_id
    if callback_data.action == StaffStep.TOGGLE_DEPARTMENT:
        department = [callback_data.item_id]
        if callback_data.granted:
            await staff.change_departments(actor, member_id, join=department)
        else:
            await staff.change_departments(actor, member_id, leave=department)
    view = await staff.staff_member(actor, member_id)
    departments = await staff.list_departments(actor)
    await show(query, member_departments_screen(t, view, departments, callback_data.page))


async def on_member_deactivate(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    view = await staff.staff_member(actor, callback_data.staff_id)
    member_id = view.staff.id
    confirm = StaffAction(action=StaffStep.CONFIRM_DEACTIVATE, staff_id=member_id)
    rows = [
        [button(t.plain("settings-btn-deactivate-confirm"), confirm)],
        back(t, StaffAction(action=StaffStep.OPEN, staff_id=member_id)),
    ]
    name = shorten(member_name(view.staff), NAME_WIDTH)
    await show(query, (t("settings-member-deactivate-confirm", name=name), markup(rows)))


async def on_member_active(
    query: CallbackQuery, callback_data: StaffAction, actor: Actor, t: Translator
) -> None:
    """Deactivates (after the confirmation) or reactivates a member."""
    if callback_data.action == StaffStep.CONFIRM_DEACTIVATE:
        await staff.deactivate_staff(actor, callback_data.staff_id)
        key = "settings-member-deactivated"
    else:
        await staff.reactivate_staff(actor, callback_data.staff_id)
        key = "settings-member-reactivated"
    view = await staff.staff_member(actor, callback_data.staff_id)
    notice = t(key, name=shorten(member_name(view.staff), NAME_WIDTH))
    await show(query, member_screen(t, view, notice))


def departments_screen(
    t: Translator, departments: Sequence[Department], page: int, notice: str = ""
) -> Screen:
    shown, page, pages = page_of(departments, page)
    lines = [page_title(t, t("settings-departments-title"), page, pages)]
    lines += [
        t("settings-departments-line", name=shorten(d.name, DEPARTMENT_LINE_WIDTH)) for d in shown
    ]
    if not departments:
        lines.append(t("settings-departments-empty"))
    rows = nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.DEPARTMENTS, page=p))
    add = SettingsMenu(screen=MenuScreen.ADD_DEPARTMENT)
    rows.append([button(t.plain("settings-btn-add-department"), add)])
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


async def on_departments(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    departments = await staff.list_departments(actor)
    await show(query, departments_screen(t, departments, callback_data.page))


async def on_department_add(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await ask(query_message(query), state, DepartmentForm.name, t("settings-department-prompt"))


async def process_department_name(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    department = await staff.create_department(actor, typed_text(message))
    await finish(state)
    departments = await staff.list_departments(actor)
    notice = t("settings-department-added", name=department.name)
    page = [d.id for d in departments].index(department.id) // PAGE_SIZE
    text, keyboard = departments_screen(t, departments, page, notice)
    await message.answer(text, reply_markup=keyboard)


def get_router() -> Router:
    router = Router(name="settings.staff")
    router.message.register(process_department_name, DepartmentForm.name, *TYPED)
    cb = router.callback_query
    menu = SettingsMenu.filter
    cb.register(on_staff, menu(F.screen == MenuScreen.STAFF))
    cb.register(on_departments, menu(F.screen == MenuScreen.DEPARTMENTS))
    cb.register(on_department_add, menu(F.screen == MenuScreen.ADD_DEPARTMENT))
    members = StaffAction.filter
    cb.register(on_member, members(F.action == StaffStep.OPEN))
    roles = {StaffStep.ROLES, StaffStep.TOGGLE_ROLE}
    cb.register(on_member_roles, members(F.action.in_(roles)))
    departments = {StaffStep.DEPARTMENTS, StaffStep.TOGGLE_DEPARTMENT}
    cb.register(on_member_departments, members(F.action.in_(departments)))
    cb.register(on_member_deactivate, members(F.action == StaffStep.DEACTIVATE))
    active = {StaffStep.CONFIRM_DEACTIVATE, StaffStep.REACTIVATE}
    cb.register(on_member_active, members(F.action.in_(active)))
    return router
