"""/settings: the menu, for administrators and roles with the settings right only."""

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message

from bot.handlers.settings.dialog import MenuScreen, SettingsMenu, show
from bot.ui import Screen, button, markup
from crm import catalog
from crm.actors import Actor
from crm.catalog import SettingsOverview
from crm.i18n import Translator


def menu_screen(t: Translator, overview: SettingsOverview) -> Screen:
    def item(key: str, screen: MenuScreen, **args: Any) -> InlineKeyboardButton:
        return button(t.plain(key, **args), SettingsMenu(screen=screen))

    rows = [
        [item("settings-menu-types", MenuScreen.TYPES, count=overview.types)],
        [item("settings-menu-fields", MenuScreen.FIELDS, count=overview.fields)],
        [item("settings-menu-layout", MenuScreen.LAYOUT)],
        [
            item("settings-menu-staff", MenuScreen.STAFF, count=overview.staff),
            item("settings-menu-departments", MenuScreen.DEPARTMENTS, count=overview.departments),
        ],
        [item("settings-menu-roles", MenuScreen.ROLES, count=overview.roles)],
        [item("settings-menu-forms", MenuScreen.FORMS)],
        [item("settings-menu-invite", MenuScreen.INVITE)],
    ]
    return t("settings-title"), markup(rows)


async def cmd_settings(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """`/settings`: the menu; the core refuses it without the settings right."""
    overview = await catalog.settings_overview(actor)
    await state.set_state(None)
    text, keyboard = menu_screen(t, overview)
    await message.answer(text, reply_markup=keyboard)


async def on_home(query: CallbackQuery, actor: Actor, t: Translator) -> None:
    await show(query, menu_screen(t, await catalog.settings_overview(actor)))


def get_router() -> Router:
    router = Router(name="settings.menu")
    router.message.register(cmd_settings, Command("settings"))
    router.callback_query.register(on_home, SettingsMenu.filter(F.screen == MenuScreen.HOME))
    return router
