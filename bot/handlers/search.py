"""Finding contacts: /find, plain text, result pages, filters and saved filters, inline mode."""

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards, render
from bot.callbacks import CardAction, CardButton, FilterAction, FilterButton, ListAction
from bot.handlers.card import edit_or_send
from bot.messages import query_message
from bot.ui import QUERY_WIDTH, SHORT_WIDTH, button
from crm import catalog, contacts, search, staff
from crm.actors import Actor
from crm.i18n import Translator
from crm.search import ContactFilter, parse_filter

PAGE_SIZE = 8
MENU_ITEMS = 40
INLINE_PAGE = 20
QUERY_LIMIT = 200  # longer texts are not names or phones; cut before they reach the core
MENU_NAME_WIDTH = 40  # a name that is most of a menu button (a responsible, a binned contact)
INLINE_TITLE_WIDTH = 100  # a contact's name: an inline result's title, the message's heading
INLINE_DESCRIPTION_WIDTH = 200  # phone · e-mail · company under it: clients show a line or two


class SaveFilterForm(StatesGroup):
    name = State()


def _heading(t: Translator, text: str, flt: ContactFilter) -> str:
    if text:
        return t("search-results-for", query=render.shorten(text, QUERY_WIDTH))
    return t("search-results-my") if flt.preset == "my" else t("search-results-all")


async def run_search(
    target: Message,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    text: str,
    filter_params: dict[str, Any],
    *,
    page_no: int = 0,
    cursors: list[int | None] | None = None,
    edit: bool = False,
) -> None:
    """Search, remember the list in the conversation state, show page `page_no`."""
    text = text.strip()[:QUERY_LIMIT]
    flt = parse_filter(filter_params)
    cursors = cursors or [None]
    page = await search.search_contacts(actor, text, flt, cursor=cursors[page_no], limit=PAGE_SIZE)
    data = await state.get_data()
    previous = data.get("search") or {}
    serial = previous.get("serial", 0) + (0 if edit else 1)
    cursors = cursors[: page_no + 1] + [page.next_cursor]
    await state.update_data(
        search={"serial": serial, "q": text, "filter": flt.to_params(), "cursors": cursors}
    )
    first = page_no * PAGE_SIZE + 1
    body = render.contact_list(t, page, _heading(t, text, flt), first)
    markup = keyboards.results(t, page, serial, page_no, first)
    if edit:
        await edit_or_send(target, body, markup)
    else:
        await target.answer(body, reply_markup=markup)


async def cmd_find(
    message: Message, command: CommandObject, actor: Actor, t: Translator, state: FSMContext
) -> None:
    await state.set_state(None)  # a question left pending elsewhere no longer takes the text
    if not (command.args or "").strip():
        await message.answer(t("search-prompt"))
        return
    await run_search(message, actor, t, state, command.args or "", {})


async def on_text(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """Any plain text that is not a command searches."""
    await run_search(message, actor, t, state, message.text or "", {})


async def _stored_search(state: FSMContext) -> dict[str, Any]:
    return (await state.get_data()).get("search") or {}


async def on_page(
    query: CallbackQuery, callback_data: ListAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    stored = await _stored_search(state)
    cursors = stored.get("cursors") or [None]
    if stored.get("serial") != callback_data.serial or not 0 <= callback_data.page < len(cursors):
        await query.answer(t.plain("search-outdated"), show_alert=True)
        return
    await query.answer()
    await run_search(
        query_message(query),
        actor,
        t,
        state,
        stored.get("q", ""),
        stored.get("filter", {}),
        page_no=callback_data.page,
        cursors=cursors,
        edit=True,
    )


async def on_filter_menu(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    kb = InlineKeyboardBuilder()

    def add(key: str, action: FilterButton, item_id: int = 0, **args: Any) -> None:
        kb.add(button(t.plain(key, **args), FilterAction(action=action, id=item_id)))

    add("filter-my", FilterButton.MY)
    add("filter-all", FilterButton.ALL)
    # Telegram refuses keyboards of more than 100 buttons: the lists are capped.
    for ctype in (await catalog.list_types())[:MENU_ITEMS]:
        name = render.shorten(ctype.name, SHORT_WIDTH)
        add("filter-type", FilterButton.TYPE, ctype.id, name=name)
    add("filter-by-responsible", FilterButton.RESPONSIBLE_MENU)
    for saved in (await search.list_filters(actor))[:MENU_ITEMS]:
        name = render.shorten(saved.name, SHORT_WIDTH)
        add("filter-saved", FilterButton.SAVED, saved.id, name=name)
    if (await _stored_search(state)).get("filter"):
        add("filter-save", FilterButton.SAVE)
    add("filter-bin", FilterButton.RECYCLE_BIN)
    kb.adjust(2)
    await query.answer()
    await edit_or_send(query_message(query), t("filter-menu"), kb.as_markup())


async def on_filter(
    query: CallbackQuery,
    callback_data: FilterAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Applies a preset, a type, a responsible or a saved filter to a fresh list."""
    action, item_id = callback_data.action, callback_data.id
    params: dict[str, Any]
    if action == FilterButton.MY:
        params = {"preset": "my"}
    elif action == FilterButton.ALL:
        params = {}
    elif action == FilterButton.TYPE:
        params = {"type_ids": [item_id]}
    elif action == FilterButton.RESPONSIBLE:
        params = {"responsible_ids": [item_id]}
    elif action == FilterButton.SAVED:
        params = (await search.load_filter(actor, item_id)).to_params()
    else:
        await query.answer()
        return
    await query.answer()
    await run_search(query_message(query), actor, t, state, "", params)


async def on_filter_responsible(query: CallbackQuery, actor: Actor, t: Translator) -> None:
    kb = InlineKeyboardBuilder()
    for member in (await staff.list_staff(actor))[:90]:
        kb.add(
            button(
                render.shorten(member.name, MENU_NAME_WIDTH),
                FilterAction(action=FilterButton.RESPONSIBLE, id=member.id),
            )
        )
    kb.adjust(2)
    await query.answer()
    await edit_or_send(query_message(query), t("filter-choose-responsible"), kb.as_markup())


async def on_filter_save(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(SaveFilterForm.name)
    await query.answer()
    await query_message(query).answer(t("filter-save-prompt"))


async def process_filter_name(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    stored = await _stored_search(state)
    saved = await search.save_filter(actor, message.text or "", stored.get("filter") or {})
    await state.set_state(None)
    await message.answer(t("filter-saved-done", name=saved.name))


async def on_recycle_bin(query: CallbackQuery, actor: Actor, t: Translator) -> None:
    deleted = await contacts.recycle_bin(actor, limit=30)
    kb = InlineKeyboardBuilder()
    lines = [t("bin-title")]
    for contact in deleted:
        name = render.shorten(render.card_title(contact), MENU_NAME_WIDTH)
        lines.append(t("bin-line", name=name, id=str(contact.id), when=contact.deleted_at))
        kb.add(
            button(
                t.plain("btn-restore-named", name=name),
                CardAction(action=CardButton.RESTORE, id=contact.id),
            )
        )
    kb.adjust(1)
    if not deleted:
        lines.append(t("bin-empty"))
    await query.answer()
    await edit_or_send(query_message(query), "\n".join(lines), kb.as_markup())


def _inline_result(t: Translator, row: search.ContactRow) -> InlineQueryResultArticle:
    details = " · ".join(v for v in (row.phone, row.email, row.company) if v)
    card = [f"👤 <b>{render.escape(render.shorten(row.name, INLINE_TITLE_WIDTH))}</b>"]
    card += [render.escape(v) for v in (row.phone, row.email, row.company) if v]
    return InlineQueryResultArticle(
        id=f"c{row.id}",
        title=render.shorten(row.name, INLINE_TITLE_WIDTH),
        description=render.shorten(details, INLINE_DESCRIPTION_WIDTH) or None,
        input_message_content=InputTextMessageContent(message_text="\n".join(card)),
    )


async def on_inline(query: InlineQuery, actor: Actor, t: Translator) -> None:
    """`@bot TEXT` in any chat: readable contacts, personal and barely cached."""
    offset = query.offset or ""
    cursor = int(offset) if offset.isdigit() else None
    page = await search.search_contacts(
        actor, query.query[:QUERY_LIMIT], cursor=cursor, limit=INLINE_PAGE
    )
    await query.answer(
        [_inline_result(t, row) for row in page.items],
        # Per the Bot API, cached results may be shown to anyone sending the same query unless
        # they are personal: never share one staff member's readable contacts with another.
        is_personal=True,
        cache_time=5,
        next_offset=str(page.next_cursor) if page.next_cursor else "",
    )


def get_router() -> Router:
    router = Router(name="search")
    router.message.register(cmd_find, Command("find"))
    router.message.register(process_filter_name, SaveFilterForm.name, F.text)
    router.callback_query.register(on_page, ListAction.filter())
    router.callback_query.register(
        on_filter_menu, FilterAction.filter(F.action == FilterButton.MENU)
    )
    router.callback_query.register(
        on_filter_responsible, FilterAction.filter(F.action == FilterButton.RESPONSIBLE_MENU)
    )
    router.callback_query.register(
        on_filter_save, FilterAction.filter(F.action == FilterButton.SAVE)
    )
    router.callback_query.register(
        on_recycle_bin, FilterAction.filter(F.action == FilterButton.RECYCLE_BIN)
    )
    router.callback_query.register(on_filter, FilterAction.filter())
    router.inline_query.register(on_inline)
    return router


class PlainText(Filter):
    """Plain text that no dialog is waiting for: a search.

    Registered on the parent staff router, ahead of every feature router, so that the most
    common message does not walk all their filters (commands, forwarded messages and dialog
    answers never match it).
    """

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        text = message.text
        return (
            raw_state is None
            and text is not None
            and not text.startswith("/")
            and message.forward_origin is None
            and message.via_bot is None  # a card this bot inserted through inline mode
            and message.chat.type == "private"
        )


def register_plain_text(router: Router) -> None:
    """Plain text searches: call before including the feature routers (see PlainText)."""
    router.message.register(on_text, PlainText())
