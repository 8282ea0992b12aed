"""The link dialog: a contact's companies and deals, found by title, linked, unlinked, created."""

import html

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import render
from bot.callbacks import CardAction, CardButton
from bot.handlers.card import edit_or_send, send_card
from bot.handlers.edit.common import (
    TYPED_ANSWER,
    LinkAction,
    LinkButton,
    LinkForm,
    LinkTarget,
    forget,
    outdated,
)
from bot.messages import query_message
from bot.ui import NAME_WIDTH, QUERY_WIDTH, button
from crm import companies, contacts
from crm.actors import Actor
from crm.i18n import Translator, escape

# Listed in the text as well, one line of at most ~80 characters each: 20 companies and 20
# deals stay within Telegram's 4096 characters.
MAX_LINKS = 20
QUERY_LIMIT = 200  # a title longer than this is no search

# The core's names of the link targets.
LINK_KINDS = {LinkTarget.COMPANY: "company", LinkTarget.DEAL: "deal"}


async def _show_links(
    message: Message,
    t: Translator,
    state: FSMContext,
    links: contacts.ContactLinks,
    notice: str = "",
) -> None:
    """Current links with Unlink / Make primary buttons; the next text message searches."""
    card = links.card
    await state.set_state(LinkForm.title)
    await state.update_data(link={"id": card.id})
    linked_companies = card.companies[:MAX_LINKS]
    deals = links.deals[:MAX_LINKS]
    lines = [notice] if notice else []
    lines.append(
        t(
            "link-menu",
            name=render.shorten(render.card_title(card.contact), NAME_WIDTH),
            id=str(card.id),
        )
    )
    lines += ["", t("link-companies")]
    lines += [
        escape(render.shorten(c.title, render.TITLE_WIDTH)) + (" ★" if c.is_primary else "")
        for c in linked_companies
    ] or [t("none")]
    lines += ["", t("link-deals")]
    lines += [escape(render.shorten(d.title, render.TITLE_WIDTH)) for d in deals] or [t("none")]
    lines += ["", t("link-ask")]
    kb = InlineKeyboardBuilder()
    for company in linked_companies:
        row = [
            button(
                t.plain("link-btn-unlink", title=company.title),
                LinkAction(
                    action=LinkButton.UNLINK,
                    id=card.id,
                    target=LinkTarget.COMPANY,
                    target_id=company.company_id,
                ),
            )
        ]
        if not company.is_primary:
            row.append(
                button(
                    t.plain("link-btn-make-primary"),
                    LinkAction(
                        action=LinkButton.MAKE_PRIMARY,
                        id=card.id,
                        target=LinkTarget.COMPANY,
                        target_id=company.company_id,
                    ),
                )
            )
        kb.row(*row)
    for deal in deals:
        kb.row(
            button(
                t.plain("link-btn-unlink", title=deal.title),
                LinkAction(
                    action=LinkButton.UNLINK, id=card.id, target=LinkTarget.DEAL, target_id=deal.id
                ),
            )
        )
    kb.row(button(t.plain("link-btn-done"), LinkAction(action=LinkButton.DONE, id=card.id)))
    await edit_or_send(message, "\n".join(lines), kb.as_markup())


async def on_link_start(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The card's Link button."""
    links = await contacts.get_contact_links(actor, callback_data.id)
    await query.answer()
    await _show_links(query_message(query), t, state, links)


async def on_link_menu(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Back to the links, as they are now."""
    links = await contacts.get_contact_links(actor, callback_data.id)
    await query.answer()
    await _show_links(query_message(query), t, state, links)


async def process_link_title(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """A title: matching companies and deals to link, and the company it would create."""
    pending = (await state.get_data()).get("link")
    if not isinstance(pending, dict) or "id" not in pending:
        await forget(state)
        await message.answer(t("link-expired"))
        return
    contact_id = int(pending["id"])
    title = " ".join((message.text or "").split())[:QUERY_LIMIT]
    if not title:
        await message.answer(t("link-ask"))
        return
    found = await companies.find_link_targets(actor, title)
    await state.update_data(link={"id": contact_id, "q": title})
    kb = InlineKeyboardBuilder()
    for company in found.companies:
        kb.row(
            button(
                t.plain("link-btn-company", title=company.title),
                LinkAction(
                    action=LinkButton.LINK,
                    id=contact_id,
                    target=LinkTarget.COMPANY,
                    target_id=company.id,
                ),
            ),
            button(
                t.plain("link-btn-as-primary"),
                LinkAction(
                    action=LinkButton.LINK,
                    id=contact_id,
                    target=LinkTarget.COMPANY,
                    target_id=company.id,
                    primary=True,
                ),
            ),
        )
    for deal in found.deals:
        kb.row(
            button(
                t.plain("link-btn-deal", title=deal.title),
                LinkAction(
                    action=LinkButton.LINK, id=contact_id, target=LinkTarget.DEAL, target_id=deal.id
                ),
            )
        )
    if title:
        kb.row(
            button(
                t.plain("link-btn-create", title=title),
                LinkAction(action=LinkButton.CREATE, id=contact_id),
            )
        )
    kb.row(button(t.plain("btn-back"), LinkAction(action=LinkButton.MENU, id=contact_id)))
    shown = render.shorten(title, QUERY_WIDTH)
    text = (
        t("link-found", query=shown)
        if found.companies or found.deals
        else t("link-nothing", query=shown)
    )
    await message.answer(text, reply_markup=kb.as_markup())


async def on_link(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Link a found company (maybe as primary) or deal, or make a linked company primary."""
    target = callback_data.target
    make_primary = callback_data.action == LinkButton.MAKE_PRIMARY
    if target is None or (make_primary and target != LinkTarget.COMPANY):
        await outdated(query, t)
        return
    primary = make_primary or callback_data.primary
    await contacts.link(
        actor, callback_data.id, LINK_KINDS[target], callback_data.target_id, primary=primary
    )
    links = await contacts.get_contact_links(actor, callback_data.id)
    notice = t("link-primary-set") if make_primary else t("link-linked")
    await query.answer(html.unescape(notice))
    await _show_links(query_message(query), t, state, links, notice)


async def on_unlink(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    if callback_data.target is None:
        await outdated(query, t)
        return
    await contacts.unlink(
        actor, callback_data.id, LINK_KINDS[callback_data.target], callback_data.target_id
    )
    links = await contacts.get_contact_links(actor, callback_data.id)
    await query.answer(t.plain("link-unlinked"))
    await _show_links(query_message(query), t, state, links, t("link-unlinked"))


async def on_create_company(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """Create the company titled as the last search, and link it."""
    pending = (await state.get_data()).get("link")
    if (
        not isinstance(pending, dict)
        or pending.get("id") != callback_data.id
        or not pending.get("q")
    ):
        await query.answer(t.plain("link-expired"), show_alert=True)
        return
    company = await contacts.create_company_and_link(actor, callback_data.id, str(pending["q"]))
    links = await contacts.get_contact_links(actor, callback_data.id)
    notice = t("link-created", title=render.shorten(company.title, NAME_WIDTH))
    await query.answer(html.unescape(notice))
    await _show_links(query_message(query), t, state, links, notice)


async def on_link_done(
    query: CallbackQuery, callback_data: LinkAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    card = await contacts.get_contact(actor, callback_data.id)
    await forget(state)
    await query.answer()
    await send_card(query_message(query), t, card, edit=True, actor=actor)


def get_router() -> Router:
    """The link dialog."""
    router = Router(name="edit-links")
    cb = router.callback_query
    cb.register(on_link_start, CardAction.filter(F.action == CardButton.LINK))
    cb.register(on_link_menu, LinkAction.filter(F.action == LinkButton.MENU))
    cb.register(
        on_link, LinkAction.filter(F.action.in_({LinkButton.LINK, LinkButton.MAKE_PRIMARY}))
    )
    cb.register(on_unlink, LinkAction.filter(F.action == LinkButton.UNLINK))
    cb.register(on_create_company, LinkAction.filter(F.action == LinkButton.CREATE))
    cb.register(on_link_done, LinkAction.filter(F.action == LinkButton.DONE))
    router.message.register(process_link_title, LinkForm.title, *TYPED_ANSWER)
    return router
