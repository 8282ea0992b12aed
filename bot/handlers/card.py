"""The contact card and its views: open, history, dependencies, duplicates, delete, restore."""

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards, render
from bot.callbacks import CardAction, CardButton
from bot.messages import edit_or_send, query_message
from bot.ui import SHORT_WIDTH, button
from crm import contacts, customfields, merge
from crm.actors import Actor
from crm.contacts import ContactCard
from crm.history import contact_history
from crm.i18n import Translator
from crm.layout import card_layout
from crm.permissions import contact_rights


async def send_card(
    target: Message,
    t: Translator,
    card: ContactCard,
    *,
    edit: bool = False,
    actor: Actor | None = None,
) -> None:
    """Show a card: edited in place when it fits one message, else sent (split) below.

    Given the reader, buttons they have no right to use are left out.
    """
    chunks = render.card(t, card, await card_layout(), await customfields.active_fields())
    rights = contact_rights(actor, card.contact) if actor is not None else None
    markup = keyboards.card(
        t,
        card,
        editable=rights is None or rights.edit,
        deletable=rights is None or rights.delete,
    )
    if edit and len(chunks) == 1:
        await edit_or_send(target, chunks[0], markup)
        return
    for chunk in chunks[:-1]:
        await target.answer(chunk)
    await target.answer(chunks[-1], reply_markup=markup)


async def show_card(target: Message, actor: Actor, t: Translator, contact_id: int) -> None:
    await send_card(target, t, await contacts.get_contact(actor, contact_id), actor=actor)


async def on_open(
    query: CallbackQuery,
    callback_data: CardAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Opens a card; a question left pending elsewhere (edit, link) is dropped, so the next
    plain text searches instead of answering it."""
    card = await contacts.get_contact(actor, callback_data.id)
    await state.set_state(None)
    await query.answer()
    await send_card(query_message(query), t, card, edit=callback_data.number == 1, actor=actor)


async def on_history(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    # 8 entries of at most ~450 visible characters each fit one message.
    page = await contact_history(actor, callback_data.id, page=callback_data.number, per_page=8)
    text = render.history(t, page, await customfields.active_fields())
    kb = InlineKeyboardBuilder()
    nav = []
    if page.page > 0:
        nav.append(("btn-newer", page.page - 1))
    if page.has_more:
        nav.append(("btn-older", page.page + 1))
    for key, number in nav:
        kb.add(
            button(
                t.plain(key),
                CardAction(action=CardButton.HISTORY, id=callback_data.id, number=number),
            )
        )
    kb.add(
        button(
            t.plain("btn-back"), CardAction(action=CardButton.OPEN, id=callback_data.id, number=1)
        )
    )
    kb.adjust(len(nav) or 1, 1)
    await query.answer()
    await edit_or_send(query_message(query), text, kb.as_markup())


async def on_dependencies(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    deps = await contacts.dependencies(actor, callback_data.id)
    await query.answer()
    await edit_or_send(
        query_message(query),
        render.dependencies(t, deps),
        keyboards.back_to_card(t, callback_data.id),
    )


async def on_duplicates(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    matches = await contacts.duplicates_of(actor, callback_data.id)
    kb = InlineKeyboardBuilder()
    for m in matches:
        if not m.readable:
            continue
        name = render.shorten(m.display_name, SHORT_WIDTH)
        kb.add(
            button(
                t.plain("btn-open-named", name=name),
                CardAction(action=CardButton.OPEN, id=m.contact_id),
            )
        )
        kb.add(
            button(
                t.plain("btn-merge-named", name=name),
                CardAction(action=CardButton.MERGE, id=callback_data.id, number=m.contact_id),
            )
        )
    kb.add(
        button(
            t.plain("btn-back"), CardAction(action=CardButton.OPEN, id=callback_data.id, number=1)
        )
    )
    kb.adjust(*([2] * sum(m.readable for m in matches)), 1)
    text = (
        t("dups-title") + "\n\n" + render.duplicate_lines(t, matches) if matches else t("dups-none")
    )
    await query.answer()
    await edit_or_send(query_message(query), text, kb.as_markup())


async def on_merge(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    """Asks before merging the other contact (`number`) into this one (`id`)."""
    keep = await contacts.get_contact(actor, callback_data.id)
    other = await contacts.get_contact(actor, callback_data.number)
    kb = InlineKeyboardBuilder()
    kb.add(
        button(
            t.plain("btn-merge-confirm"),
            CardAction(action=CardButton.CONFIRM_MERGE, id=keep.id, number=other.id),
        )
    )
    kb.add(button(t.plain("btn-back"), CardAction(action=CardButton.OPEN, id=keep.id, number=1)))
    await query.answer()
    await edit_or_send(
        query_message(query),
        t(
            "merge-confirm",
            other=render.card_title(other.contact),
            other_id=str(other.id),
            keep=render.card_title(keep.contact),
            keep_id=str(keep.id),
        ),
        kb.as_markup(),
    )


async def on_merge_confirmed(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    message = query_message(query)  # before writing: an old button fails first
    record = await merge.merge_contacts(actor, callback_data.id, [callback_data.number])
    card = await contacts.get_contact(actor, callback_data.id)
    await query.answer(t.plain("merge-done"))
    kb = InlineKeyboardBuilder()
    kb.add(
        button(
            t.plain("btn-unmerge"),
            CardAction(action=CardButton.UNMERGE, id=card.id, number=record.id),
        )
    )
    await message.edit_text(t("merge-done-text", id=str(card.id)), reply_markup=kb.as_markup())
    await send_card(message, t, card, actor=actor)


async def on_unmerge(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    message = query_message(query)
    restored = await merge.unmerge(actor, callback_data.number)
    await query.answer()
    await message.edit_text(
        t("unmerge-done", ids=", ".join(f"#{i}" for i in restored)),
        reply_markup=keyboards.back_to_card(t, callback_data.id),
    )


async def on_delete(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    card = await contacts.get_contact(actor, callback_data.id)
    kb = InlineKeyboardBuilder()
    kb.add(
        button(
            t.plain("btn-delete-confirm"), CardAction(action=CardButton.CONFIRM_DELETE, id=card.id)
        )
    )
    kb.add(button(t.plain("btn-keep"), CardAction(action=CardButton.OPEN, id=card.id, number=1)))
    await query.answer()
    await edit_or_send(
        query_message(query),
        t("delete-confirm", name=render.card_title(card.contact)),
        kb.as_markup(),
    )


async def on_delete_confirmed(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    message = query_message(query)
    await contacts.delete_contact(actor, callback_data.id)
    kb = InlineKeyboardBuilder()
    kb.add(
        button(t.plain("btn-restore"), CardAction(action=CardButton.RESTORE, id=callback_data.id))
    )
    await query.answer(t.plain("delete-done-short"))
    await message.edit_text(t("delete-done", id=str(callback_data.id)), reply_markup=kb.as_markup())


async def on_restore(
    query: CallbackQuery, callback_data: CardAction, actor: Actor, t: Translator
) -> None:
    message = query_message(query)
    card = await contacts.restore_contact(actor, callback_data.id)
    card = await contacts.get_contact(actor, card.id)
    await query.answer(t.plain("restore-done"))
    await send_card(message, t, card, edit=True, actor=actor)


def get_router() -> Router:
    router = Router(name="card")
    cb = router.callback_query
    cb.register(on_open, CardAction.filter(F.action == CardButton.OPEN))
    cb.register(on_history, CardAction.filter(F.action == CardButton.HISTORY))
    cb.register(on_dependencies, CardAction.filter(F.action == CardButton.DEPENDENCIES))
    cb.register(on_duplicates, CardAction.filter(F.action == CardButton.DUPLICATES))
    cb.register(on_merge, CardAction.filter(F.action == CardButton.MERGE))
    cb.register(on_merge_confirmed, CardAction.filter(F.action == CardButton.CONFIRM_MERGE))
    cb.register(on_unmerge, CardAction.filter(F.action == CardButton.UNMERGE))
    cb.register(on_delete, CardAction.filter(F.action == CardButton.DELETE))
    cb.register(on_delete_confirmed, CardAction.filter(F.action == CardButton.CONFIRM_DELETE))
    cb.register(on_restore, CardAction.filter(F.action == CardButton.RESTORE))
    return router
