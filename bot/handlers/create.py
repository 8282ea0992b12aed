"""Adding contacts (F4): the /new dialog, one-line /new, shared contacts, forwarded messages and
.vcf files, each through the duplicate check (F6: open / merge / create anyway)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Document,
    InlineKeyboardMarkup,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import render
from bot.callbacks import CardAction, CardButton
from bot.handlers.card import edit_or_send, send_card
from bot.messages import query_message
from bot.ui import LINE_WIDTH, SHORT_WIDTH, button
from crm import catalog, customfields, intake
from crm.actors import Actor
from crm.duplicates import DuplicateMatch
from crm.errors import DuplicateContactError, ValidationError
from crm.i18n import Markup, Translator, escape
from crm.intake import Draft, Question
from crm.rules.fieldref import FieldRef

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import CustomField

KEY = "new"  # this feature's part of the conversation state: JSON only (it may live in Redis)
TEXT_LIMIT = 1000  # a one-line contact longer than this is no contact
LIST_LIMIT = 10  # created contacts and invalid cards listed after a file, the rest counted
SUMMARY_WIDTH = 300  # an answer on the summary before Save: a long comment shows its start
FILE_NAME_WIDTH = 60  # a .vcf file's name in the first line of what became of it
VCARD_NAMES = (".vcf", ".vcard")
VCARD_TYPES = {"text/vcard", "text/x-vcard", "text/directory"}


class NewContactForm(StatesGroup):
    """The step-by-step dialog: a question waits for its answer, then the summary for Save."""

    answer = State()
    confirm = State()


class NewButton(StrEnum):
    """The buttons of the create flows."""

    # The step-by-step dialog.
    SKIP = "q"  # skip the question
    CHOOSE = "v"  # answer it with choice `id`
    SAVE = "s"
    CANCEL = "x"
    # A pending duplicate.
    MERGE = "m"  # merge into contact `id`
    CREATE_ANYWAY = "c"
    DROP = "k"  # do not add it
    DROP_ALL = "a"  # do not add any of those left


class NewAction(CallbackData, prefix="n"):
    """A button of the create flows; `serial` is the serial of the message it sits on (a button
    of an older message is outdated), `id` a choice, or the contact to merge into."""

    action: NewButton
    serial: int
    id: int = 0


# --- conversation state -----------------------------------------------------------------------


async def _load(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


async def _store(state: FSMContext, new: dict[str, Any]) -> None:
    await state.update_data({KEY: new})


def _next_serial(new: dict[str, Any]) -> int:
    new["serial"] = int(new.get("serial") or 0) + 1
    return int(new["serial"])


async def _leave_dialog(state: FSMContext) -> None:
    new = await _load(state)
    if new.pop("form", None) is not None:
        await _store(state, new)
    if await state.get_state() in (NewContactForm.answer.state, NewContactForm.confirm.state):
        await state.set_state(None)


async def _invalid(t: Translator, exc: ValidationError) -> str:
    """The core's messages per field, custom fields by their own labels (`render.error` names
    them all "Custom fields")."""
    definitions = await customfields.active_fields()
    lines = [
        f"• {render.field_label(t, key, definitions)}: {escape(message)}"
        for key, message in exc.errors.items()
    ]
    return t("error-validation", details=Markup("\n" + "\n".join(lines)))


async def _outdated(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t.plain("new-outdated"), show_alert=True)


async def _drop_buttons(message: Message) -> None:
    """Take the buttons off an answered question (a second tap would be outdated anyway)."""
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)


# --- showing drafts -------------------------------------------------------------------------


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v.get("value", "")) if isinstance(v, dict) else str(v) for v in items]


def draft_title(draft: Draft) -> str:
    """Plain text naming a draft: its name, else its first phone, e-mail or username."""
    parts = [draft.get(k) for k in ("honorific", "first_name", "middle_name", "last_name")]
    name = " ".join(str(p) for p in parts if p)
    for key in ("phones", "emails", "messengers"):
        if name:
            break
        name = next(iter(_values(draft.get(key) or [])), "")
    return render.shorten(name or "?", render.TITLE_WIDTH)


async def _draft_lines(t: Translator, draft: Draft, order: Sequence[str]) -> list[str]:
    """The summary of a draft, one `Label: value` line per answered question."""
    definitions = await customfields.active_fields()
    names: dict[str, dict[int, str]] = {}
    if "type_id" in draft:
        names["type_id"] = {i.id: i.name for i in await catalog.list_types()}
    if "source_id" in draft:
        names["source_id"] = {i.id: i.name for i in await catalog.list_sources()}
    lines = []
    for name in order:
        if ref := FieldRef.from_card_field(name):
            value = (draft.get("custom") or {}).get(ref.code)
        else:
            value = draft.get(intake.COMPANY_TITLE if name == "companies" else name)
        if value in (None, "", []):
            continue
        if name in names:
            shown = names[name].get(int(value), str(value))
        elif name == "birthdate":
            shown = t.date(date.fromisoformat(str(value)))
        else:
            items = [
                t.plain("yes") if v is True else t.plain("no") if v is False else v
                for v in (value if isinstance(value, list) else [value])
            ]
            shown = ", ".join(_values(items))
        label = render.field_label(t, name, definitions)
        lines.append(f"{label}: {escape(render.shorten(shown, SUMMARY_WIDTH))}")
    return lines


# --- the duplicate check, shared by every way in ----------------------------------------------


async def _hold(
    target: Message,
    t: Translator,
    state: FSMContext,
    queue: list[Draft],
    matches: Sequence[DuplicateMatch],
) -> None:
    """Keep `queue[0]` pending and show what it duplicates with Open / Merge / Create anyway.

    The drafts wait in the conversation state; a newer pending draft makes older buttons
    outdated.
    """
    new = await _load(state)
    serial = _next_serial(new)
    new["queue"] = queue
    new["ids"] = [m.contact_id for m in matches if m.readable]
    await _store(state, new)
    blocks = []
    if len(queue) > 1:
        blocks.append(t("new-duplicate-left", count=len(queue)))
    blocks.append(t("new-duplicate", draft=draft_title(queue[0])))
    blocks.append(render.duplicate_lines(t, matches))
    blocks.append("\n" + t("new-duplicate-question"))
    kb = InlineKeyboardBuilder()
    for match in matches:
        if not match.readable:
            continue  # the actor only learns that it exists
        name = render.shorten(match.display_name, SHORT_WIDTH)
        kb.row(
            button(
                t.plain("new-btn-open", name=name),
                CardAction(action=CardButton.OPEN, id=match.contact_id),
            ),
            button(
                t.plain("new-btn-merge", name=name),
                NewAction(action=NewButton.MERGE, serial=serial, id=match.contact_id),
            ),
        )
    kb.row(
        button(t.plain("new-btn-create"), NewAction(action=NewButton.CREATE_ANYWAY, serial=serial)),
        button(t.plain("new-btn-drop"), NewAction(action=NewButton.DROP, serial=serial)),
    )
    if len(queue) > 1:
        kb.row(
            button(
                t.plain("new-btn-drop-all", count=len(queue)),
                NewAction(action=NewButton.DROP_ALL, serial=serial),
            )
        )
    await target.answer("\n".join(blocks), reply_markup=kb.as_markup())


async def _submit(
    target: Message, actor: Actor, t: Translator, state: FSMContext, draft: Draft
) -> None:
    """Create a contact from a draft and show its card, or hold it when it is a duplicate.

    A new pending draft replaces an older one (whose buttons become outdated).
    """
    try:
        card = await intake.create_from_draft(actor, draft)
    except DuplicateContactError as exc:
        await _hold(target, t, state, [draft], exc.matches)
        return
    await send_card(target, t, card)


async def _offer_next(target: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """Go on with the drafts still waiting (from a file): each one that no longer duplicates
    anything is created, the next duplicate is shown."""
    new = await _load(state)
    queue: list[Draft] = list(new.get("queue") or [])
    while queue:
        try:
            card = await intake.create_from_draft(actor, queue[0])
        except DuplicateContactError as exc:
            await _hold(target, t, state, queue, exc.matches)
            return
        except ValidationError as exc:
            title = escape(draft_title(queue[0]))
            await target.answer(f"<b>{title}</b>\n" + await _invalid(t, exc))
        else:
            name = render.card_title(card.contact)
            await target.answer(t("new-created-short", name=name, id=str(card.id)))
        queue.pop(0)
        new["queue"] = queue
        await _store(state, new)


async def on_duplicate_button(
    query: CallbackQuery,
    callback_data: NewAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Merge, Create anyway, or drop the pending draft; then the next one of a file."""
    new = await _load(state)
    queue: list[Draft] = list(new.get("queue") or [])
    if not queue or new.get("serial") != callback_data.serial:
        await _outdated(query, t)
        return
    draft, action = queue[0], callback_data.action
    message = query_message(query)
    card = None
    if action == NewButton.MERGE:
        if callback_data.id not in (new.get("ids") or []):
            await _outdated(query, t)
            return
        merged = await intake.merge_draft(actor, callback_data.id, draft)
        card = merged.card
        name, contact_id = render.card_title(card.contact), str(card.id)
        if merged.added:
            definitions = await customfields.active_fields()
            fields = ", ".join(render.field_label(t, f, definitions) for f in merged.added)
            note = t("new-merged", name=name, id=contact_id, fields=Markup(fields))
        else:
            note = t("new-merged-nothing", name=name, id=contact_id)
    elif action == NewButton.CREATE_ANYWAY:
        card = await intake.create_from_draft(actor, draft, allow_duplicate=True)
        note = t("new-created-anyway")
    elif action == NewButton.DROP_ALL:
        note = t("new-dropped-all", count=len(queue))
        queue = queue[:1]
    else:
        note = t("new-dropped")
    new["queue"], new["ids"] = queue[1:], []
    _next_serial(new)
    await _store(state, new)
    await query.answer()
    await edit_or_send(message, note, None)
    if card is not None:
        await send_card(message, t, card)
    if queue[1:]:
        await _offer_next(message, actor, t, state)


# --- one line, shared contact, forwarded message, .vcf file -----------------------------------


async def cmd_new(
    message: Message, command: CommandObject, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """`/new` asks question by question; `/new Jean Dupont +33 6…` reads the line."""
    text = (command.args or "").strip()
    if not text:
        await _start_dialog(message, actor, t, state)
        return
    await _leave_dialog(state)
    draft = intake.draft_from_text(text[:TEXT_LIMIT])
    try:
        await _submit(message, actor, t, state, draft)
    except ValidationError as exc:
        await message.answer(await _invalid(t, exc) + "\n\n" + t("new-oneline-hint"))


async def on_contact(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """A contact shared from Telegram's contact list."""
    contact = message.contact
    assert contact is not None  # F.contact
    draft = intake.draft_from_telegram_contact(
        contact.phone_number, contact.first_name, contact.last_name, contact.vcard
    )
    await _submit(message, actor, t, state, draft)


async def on_forward(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """A forwarded message adds its sender; a channel's or a group's post has none."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        draft = intake.draft_from_forward(user.first_name, user.last_name, user.username)
    elif isinstance(origin, MessageOriginHiddenUser):
        draft = intake.draft_from_hidden_sender(origin.sender_user_name)
    else:
        await message.answer(t("new-forward-unsupported"))
        return
    await _submit(message, actor, t, state, draft)


def is_vcard(document: Document | None) -> bool:
    """A .vcf file by its name or its type."""
    if document is None:
        return False
    name = (document.file_name or "").lower()
    return name.endswith(VCARD_NAMES) or (document.mime_type or "").lower() in VCARD_TYPES


async def on_vcard(
    message: Message, bot: Bot, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """A .vcf file: one card goes the way of a shared contact; several are created at once, with
    one summary, and their duplicates are asked about one at a time."""
    document = message.document
    assert document is not None  # F.document
    intake.ensure_can_add(actor)  # before downloading anything
    if (document.file_size or 0) > intake.MAX_VCARD_BYTES:
        await message.answer(t("new-vcard-too-big"))
        return
    downloaded = await bot.download(document)
    data = downloaded.read(intake.MAX_VCARD_BYTES + 1) if downloaded else b""
    try:
        entries = await intake.drafts_from_vcard(data)
    except ValidationError as exc:
        reason = "; ".join(exc.errors.values())
        await message.answer(t("new-vcard-broken", reason=reason))
        return
    if len(entries) == 1:
        if entries[0].draft is None:
            await message.answer(t("new-vcard-broken", reason=entries[0].error or ""))
            return
        await _submit(message, actor, t, state, entries[0].draft)
        return
    batch = await intake.create_drafts(actor, entries)
    await message.answer(await _batch_summary(t, document.file_name or "contacts.vcf", batch))
    if batch.duplicates:
        drafts = [draft for draft, _ in batch.duplicates]
        await _hold(message, t, state, drafts, batch.duplicates[0][1])


async def _batch_summary(t: Translator, file_name: str, batch: intake.DraftBatch) -> str:
    lines = [
        t(
            "new-vcard-summary",
            file=render.shorten(file_name, FILE_NAME_WIDTH),
            created=len(batch.created),
            duplicates=len(batch.duplicates),
            invalid=len(batch.invalid),
        )
    ]
    for card in batch.created[:LIST_LIMIT]:
        name = render.shorten(render.card_title(card.contact), LINE_WIDTH)
        lines.append(t("new-vcard-created-line", name=name, id=str(card.id)))
    if len(batch.created) > LIST_LIMIT:
        lines.append(t("new-vcard-more", count=len(batch.created) - LIST_LIMIT))
    definitions = await customfields.active_fields()
    for number, errors in batch.invalid[:LIST_LIMIT]:
        reasons = "; ".join(
            escape(message)
            if key in ("vcard", "contact")
            else f"{render.field_label(t, key, definitions)}: {escape(message)}"
            for key, message in errors.items()
        )
        lines.append(t("new-vcard-invalid-line", number=number, reason=Markup(reasons)))
    if len(batch.invalid) > LIST_LIMIT:
        lines.append(t("new-vcard-more", count=len(batch.invalid) - LIST_LIMIT))
    return render.split(lines)[0]


# --- the step-by-step dialog ------------------------------------------------------------------


async def _start_dialog(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    questions = await intake.dialog_questions(actor)  # refuses staff who may not add contacts
    new = await _load(state)
    new["form"] = {"names": [q.name for q in questions], "i": 0, "draft": {}, "fix": False}
    await message.answer(t("new-dialog-intro"))
    await _ask(message, actor, t, state, new)


def _hint(t: Translator, question: Question) -> str:
    if question.kind == "channel":
        return t(f"new-hint-{question.name}")
    if question.name == "honorific":
        return t("new-hint-honorific")
    if question.kind in ("choice", "boolean"):
        return t("new-hint-choice")
    if question.kind in ("date", "datetime", "company", "multiline"):
        return t(f"new-hint-{question.kind}")
    custom: CustomField | None = question.custom
    if custom is not None:
        return t("new-hint-type", type=Markup(t(f"ftype-{custom.type.value}")))
    return ""


async def _ask(
    target: Message, actor: Actor, t: Translator, state: FSMContext, new: dict[str, Any]
) -> None:
    """Ask the dialog's current question (skipping fields removed meanwhile), or show the
    summary after the last one."""
    form = new["form"]
    questions = {q.name: q for q in await intake.dialog_questions(actor)}
    names: list[str] = form["names"]
    while form["i"] < len(names) and names[form["i"]] not in questions:
        form["i"] += 1
    if form["i"] >= len(names):
        await _summary(target, t, state, new)
        return
    question = questions[names[form["i"]]]
    serial = _next_serial(new)
    await _store(state, new)
    await state.set_state(NewContactForm.answer)
    definitions = await customfields.active_fields()
    label = render.field_label(t, question.name, definitions)
    text = t("new-question", step=form["i"] + 1, total=len(names), field=Markup(label))
    hint = _hint(t, question)
    kb = InlineKeyboardBuilder()
    choices = [
        button(
            t.plain(choice.label) if question.kind == "boolean" else choice.label,
            NewAction(action=NewButton.CHOOSE, serial=serial, id=choice.id),
        )
        for choice in question.choices[:80]  # Telegram allows 100 buttons
    ]
    for start in range(0, len(choices), 2):
        kb.row(*choices[start : start + 2])
    row = []
    if not intake.must_answer(question, form["draft"], names[: form["i"]]):
        row.append(button(t.plain("new-btn-skip"), NewAction(action=NewButton.SKIP, serial=serial)))
    row.append(button(t.plain("new-btn-cancel"), NewAction(action=NewButton.CANCEL, serial=serial)))
    kb.row(*row)
    await target.answer(f"{text}\n{hint}" if hint else text, reply_markup=kb.as_markup())


async def _summary(target: Message, t: Translator, state: FSMContext, new: dict[str, Any]) -> None:
    form = new["form"]
    serial = _next_serial(new)
    await _store(state, new)
    await state.set_state(NewContactForm.confirm)
    lines = await _draft_lines(t, form["draft"], form["names"])
    body = "\n".join([t("new-summary-title"), "", *(lines or [t("new-summary-empty")])])
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t.plain("new-btn-save"), NewAction(action=NewButton.SAVE, serial=serial)),
                button(
                    t.plain("new-btn-cancel"), NewAction(action=NewButton.CANCEL, serial=serial)
                ),
            ]
        ]
    )
    await target.answer(render.split([body])[0], reply_markup=markup)


async def _advance(
    target: Message, actor: Actor, t: Translator, state: FSMContext, new: dict[str, Any]
) -> None:
    form = new["form"]
    if form.get("fix"):
        # A field fixed after Save failed: straight back to the summary.
        form["i"], form["fix"] = len(form["names"]), False
    else:
        form["i"] += 1
    await _ask(target, actor, t, state, new)


async def _answer(
    target: Message,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    new: dict[str, Any],
    value: Any,
) -> None:
    """Check an answer with the core's rules: keep it and go on, or say why and ask again."""
    form = new["form"]
    name = form["names"][form["i"]]
    try:
        checked = await intake.validate_field(name, value)
    except ValidationError as exc:
        await target.answer(await _invalid(t, exc))
        await _ask(target, actor, t, state, new)
        return
    intake.put_answer(form["draft"], name, checked)
    await _advance(target, actor, t, state, new)


async def process_answer(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    """A typed answer to the current question."""
    new = await _load(state)
    form = new.get("form")
    if not form or form["i"] >= len(form["names"]):
        await state.set_state(None)
        await message.answer(t("new-outdated"))
        return
    await _answer(message, actor, t, state, new, message.text or "")


async def process_not_text(message: Message, t: Translator) -> None:
    """A photo, a sticker... while a question waits."""
    await message.answer(t("new-answer-text"))


async def process_confirm_text(message: Message, t: Translator) -> None:
    await message.answer(t("new-use-buttons"))


async def on_dialog_button(
    query: CallbackQuery,
    callback_data: NewAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Skip, a choice, Save or Cancel."""
    new = await _load(state)
    form = new.get("form")
    if form is None or new.get("serial") != callback_data.serial:
        await _outdated(query, t)
        return
    message = query_message(query)
    action = callback_data.action
    if action == NewButton.CANCEL:
        await _leave_dialog(state)
        await query.answer()
        await edit_or_send(message, t("new-cancelled"), None)
        return
    if action == NewButton.SAVE:
        await query.answer()
        await _drop_buttons(message)
        await _save(message, actor, t, state, new)
        return
    if form["i"] >= len(form["names"]):
        await _outdated(query, t)
        return
    name = form["names"][form["i"]]
    questions = {q.name: q for q in await intake.dialog_questions(actor)}
    question = questions.get(name)
    if question is None:
        await _outdated(query, t)
        return
    if action == NewButton.SKIP:
        if intake.must_answer(question, form["draft"], form["names"][: form["i"]]):
            await _outdated(query, t)
            return
        await query.answer()
        await _drop_buttons(message)
        intake.drop_answer(form["draft"], name)
        await _advance(message, actor, t, state, new)
        return
    choice = next((c for c in question.choices if c.id == callback_data.id), None)
    if action != NewButton.CHOOSE or choice is None:
        await _outdated(query, t)
        return
    await query.answer()
    await _drop_buttons(message)
    await _answer(message, actor, t, state, new, choice.value)


async def _save(
    target: Message, actor: Actor, t: Translator, state: FSMContext, new: dict[str, Any]
) -> None:
    """Save the dialog's draft; a field the core refuses is asked again, then the summary."""
    form = new["form"]
    draft: Draft = form["draft"]
    try:
        card = await intake.create_from_draft(actor, draft)
    except DuplicateContactError as exc:
        await _leave_dialog(state)
        await _hold(target, t, state, [draft], exc.matches)
        return
    except ValidationError as exc:
        await target.answer(await _invalid(t, exc))
        names: list[str] = form["names"]
        wrong = [intake.question_of_error(key) for key in exc.errors]
        first = next((names.index(n) for n in wrong if n in names), None)
        if first is None:
            await _summary(target, t, state, new)
        else:
            form["i"], form["fix"] = first, True
            await _ask(target, actor, t, state, new)
        return
    await _leave_dialog(state)
    await target.answer(t("new-saved"))
    await send_card(target, t, card)


# --- wiring ---------------------------------------------------------------------------------


def get_router() -> Router:
    """Included before the card and search routers: a dialog's answers come here first."""
    router = Router(name="create")
    router.message.filter(F.chat.type == "private")
    router.message.register(cmd_new, Command("new"))
    router.message.register(on_contact, F.contact)
    # Before forwarded messages: a forwarded .vcf file is a file to read, not a sender to add.
    router.message.register(on_vcard, F.document.func(is_vcard))
    router.message.register(on_forward, F.forward_origin)
    router.message.register(process_answer, NewContactForm.answer, F.text, ~F.text.startswith("/"))
    router.message.register(process_not_text, NewContactForm.answer, ~F.text)
    router.message.register(
        process_confirm_text, NewContactForm.confirm, F.text, ~F.text.startswith("/")
    )
    router.callback_query.register(
        on_dialog_button,
        NewAction.filter(
            F.action.in_({NewButton.SKIP, NewButton.CHOOSE, NewButton.SAVE, NewButton.CANCEL})
        ),
    )
    router.callback_query.register(
        on_duplicate_button,
        NewAction.filter(
            F.action.in_(
                {NewButton.MERGE, NewButton.CREATE_ANYWAY, NewButton.DROP, NewButton.DROP_ALL}
            )
        ),
    )
    return router
