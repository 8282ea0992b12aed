"""/start (with invite and card deep links), /help, /language and the global /cancel."""

import re
from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import ProfileAction, ProfileButton
from bot.handlers.card import show_card
from bot.ui import button
from crm import staff as staff_cases
from crm.actors import Actor
from crm.i18n import LANGUAGES, Catalogue, Translator
from crm.permissions import can_any, can_manage_settings
from models.enums import Action

INVITE = re.compile(r"^inv_([A-Za-z0-9_-]{16,64})$")
CARD = re.compile(r"^c(\d{1,10})$")


def _name(user: User) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p) or str(user.id)


async def cmd_start_invite(
    message: Message, command: CommandObject, catalogue: Catalogue, state: FSMContext
) -> None:
    """`/start inv_<token>`: anyone holding a valid invite joins the staff."""
    user = message.from_user
    assert user is not None  # CommandStart only matches messages from users
    match = INVITE.match(command.args or "")
    t = catalogue.translator(user.language_code)
    if match is None:
        await message.answer(t("invite-invalid"))
        return
    joined = await staff_cases.accept_invite(
        match.group(1), user.id, _name(user), user.language_code
    )
    await state.clear()
    t = catalogue.translator(joined.staff.language, joined.staff.timezone)
    await message.answer(t("invite-welcome", name=joined.staff.name))


def help_text(t: Translator, actor: Actor, bot_username: str | None) -> str:
    """The commands this staff member's role allows, one per line.

    /import and /export join this list with the import and export features.
    """
    lines = [t("help-title"), "", t("help-find"), t("help-inline", bot=bot_username or "bot")]
    if can_any(actor, Action.ADD):
        lines += [t("help-new"), t("help-share")]
    if can_manage_settings(actor):
        lines.append(t("help-settings"))
    lines += [t("help-language"), t("help-cancel")]
    return "\n".join(lines)


async def cmd_start(
    message: Message,
    command: CommandObject,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    catalogue: Catalogue,
    bot: Bot,
) -> None:
    """Plain /start greets (a nameless admin takes their Telegram name); `/start c<id>` opens a
    card."""
    await state.clear()
    card = CARD.match(command.args or "")
    if card is not None:
        await show_card(message, actor, t, int(card.group(1)))
        return
    user = message.from_user
    assert user is not None
    me = await staff_cases.complete_profile(actor, _name(user), user.language_code)
    t = catalogue.translator(me.language, me.timezone)
    text = t("start-hello", name=me.name) + "\n\n" + help_text(t, actor, await _username(bot))
    await message.answer(text)


async def _username(bot: Bot) -> str | None:
    """The bot's @username (aiogram asks Telegram once, then remembers it)."""
    return (await bot.me()).username


async def cmd_help(message: Message, actor: Actor, t: Translator, bot: Bot) -> None:
    await message.answer(help_text(t, actor, await _username(bot)))


async def cmd_cancel(message: Message, t: Translator, state: FSMContext) -> None:
    """Leaves any dialog, from anywhere."""
    # A pending duplicate question of the create flow lives in the data, not in a state.
    had_state = await state.get_state() is not None or bool((await state.get_data()).get("new"))
    await state.clear()
    await message.answer(t("cancelled") if had_state else t("nothing-to-cancel"))


class TimezoneForm(StatesGroup):
    name = State()


# Offered as buttons; any other IANA name can be typed.
COMMON_ZONES = ("Europe/Paris", "Europe/London", "America/New_York", "UTC")


async def cmd_language(message: Message, t: Translator, state: FSMContext) -> None:
    """Language buttons, and the time zone dates are shown in."""
    await state.set_state(None)
    kb = InlineKeyboardBuilder()
    for code in LANGUAGES:
        kb.add(
            button(
                t.plain(f"language-{code}"),
                ProfileAction(action=ProfileButton.LANGUAGE, value=code),
            )
        )
    kb.add(
        button(
            t.plain("timezone-change", zone=t.timezone),
            ProfileAction(action=ProfileButton.ASK_TIMEZONE),
        )
    )
    kb.adjust(len(LANGUAGES), 1)
    await message.answer(t("language-choose"), reply_markup=kb.as_markup())


async def on_timezone_ask(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    kb = InlineKeyboardBuilder()
    for zone_name in COMMON_ZONES:
        kb.add(button(zone_name, ProfileAction(action=ProfileButton.TIMEZONE, value=zone_name)))
    kb.adjust(2)
    await state.set_state(TimezoneForm.name)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(t("timezone-prompt"), reply_markup=kb.as_markup())


async def _set_timezone(target: Message, actor: Actor, catalogue: Catalogue, name: str) -> None:
    staff = await staff_cases.update_profile(actor, timezone=name.strip())
    t = catalogue.translator(staff.language, staff.timezone)
    await target.answer(t("timezone-set", zone=staff.timezone, now=datetime.now(UTC)))


async def on_timezone_button(
    query: CallbackQuery,
    callback_data: ProfileAction,
    actor: Actor,
    catalogue: Catalogue,
    state: FSMContext,
) -> None:
    """A time zone button; the core refuses anything but a known IANA name."""
    await query.answer()
    await state.set_state(None)
    if isinstance(query.message, Message):
        await _set_timezone(query.message, actor, catalogue, callback_data.value)


async def process_timezone(
    message: Message, actor: Actor, catalogue: Catalogue, state: FSMContext
) -> None:
    """A typed time zone such as Asia/Tokyo; a wrong one gets the core's message, asked again."""
    await _set_timezone(message, actor, catalogue, message.text or "")
    await state.set_state(None)


async def on_language(
    query: CallbackQuery, callback_data: ProfileAction, actor: Actor, catalogue: Catalogue
) -> None:
    """Saves the chosen language; the core refuses anything but a supported code."""
    staff = await staff_cases.update_profile(actor, language=callback_data.value)
    t = catalogue.translator(staff.language, staff.timezone)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(t("language-set"))


def build_public_router() -> Router:
    """Handlers open to people who are not staff yet: only the invite deep link."""
    router = Router(name="public")
    router.message.register(
        cmd_start_invite, CommandStart(deep_link=True, magic=F.args.startswith("inv_"))
    )
    return router


def get_router() -> Router:
    router = Router(name="start")
    router.message.register(cmd_cancel, Command("cancel"))
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(
        on_language, ProfileAction.filter(F.action == ProfileButton.LANGUAGE)
    )
    router.callback_query.register(
        on_timezone_ask, ProfileAction.filter(F.action == ProfileButton.ASK_TIMEZONE)
    )
    router.callback_query.register(
        on_timezone_button, ProfileAction.filter(F.action == ProfileButton.TIMEZONE)
    )
    router.message.register(process_timezone, TimezoneForm.name, F.text, ~F.text.startswith("/"))
    return router
