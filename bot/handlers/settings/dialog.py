"""What every settings screen shares: the menu's callback data, showing a screen, and the
dialogs that ask for a typed answer (their data lives under the `settings` key of the state)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bot.messages import edit_or_send, query_message
from bot.ui import Screen
from crm.i18n import Translator

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import Staff

# A typed answer to a dialog's question: text that is not a command (a command leaves it).
TYPED = (F.text, ~F.text.startswith("/"))


class MenuScreen(StrEnum):
    """The screens the settings menu opens (values kept short: callback data holds 64 bytes)."""

    HOME = "home"
    TYPES = "types"
    FIELDS = "fields"
    LAYOUT = "layout"
    STAFF = "staff"
    DEPARTMENTS = "depts"
    ADD_DEPARTMENT = "adddept"
    ROLES = "roles"
    FORMS = "forms"
    INVITE = "invite"


class SettingsMenu(CallbackData, prefix="sm"):
    """A settings screen, at `page` of its list."""

    screen: MenuScreen
    page: int = 0


async def show(query: CallbackQuery, screen: Screen) -> None:
    """Answer the press and show the screen in place of the pressed message."""
    await query.answer()
    await edit_or_send(query_message(query), *screen)


async def stale(query: CallbackQuery, t: Translator) -> None:
    """A button from an older screen that no longer applies."""
    await query.answer(t.plain("settings-outdated"), show_alert=True)


async def ask(message: Message, state: FSMContext, step: State, text: str, **data: Any) -> None:
    """Start or continue a dialog: remember `data`, wait for `step`, ask."""
    await state.set_state(step)
    if data:
        await state.update_data(settings={**await dialog_data(state), **data})
    await message.answer(text)


async def dialog_data(state: FSMContext) -> dict[str, Any]:
    """What the dialog under way remembers."""
    return dict((await state.get_data()).get("settings") or {})


async def finish(state: FSMContext) -> None:
    """Leave the dialog but keep other state (a search list's pages)."""
    await state.set_state(None)
    await state.update_data(settings=None)


def typed_text(message: Message) -> str:
    return message.text or ""


def member_name(member: Staff) -> str:
    """A staff member as settings screens name them: their name, else their Telegram id."""
    return member.name or f"#{member.telegram_id}"


async def process_use_buttons(message: Message, t: Translator) -> None:
    """Text typed where the dialog waits for a button."""
    await message.answer(t("settings-use-buttons"))
