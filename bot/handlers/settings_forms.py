"""/settings → Web forms (F8): list, open, create and set up the web forms from Telegram.

Buttons carry a form's id, not its slug (a slug may take 64 characters and callback data holds
64 bytes); every press reads the form again and goes through `crm.webforms`, which checks the
settings right again. A form's fields are shown, not edited: that needs a form builder.
"""

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import render
from bot.handlers.settings import (
    PAGE_SIZE,
    Screen,
    SettingsMenu,
    _ask,
    _back,
    _button,
    _check,
    _dialog,
    _finish,
    _grid,
    _joined,
    _markup,
    _member_name,
    _nav,
    _nth,
    _page,
    _page_title,
    _show,
    _stale,
    _text,
    _with_notice,
)
from bot.messages import query_message
from bot.render import shorten
from crm import administration, webforms
from crm.actors import Actor
from crm.errors import NotFoundError, ValidationError
from crm.i18n import Markup, Translator
from crm.permissions import require_settings
from crm.rules.fields import FieldError
from crm.rules.webforms import POLICIES, check_slug
from crm.webforms import FormDetails
from models import Staff
from models.enums import FormScheme

SCHEMES = tuple(FormScheme)
# The settings typed as text, by index in the buttons; the last two may also be cleared.
TYPED = ("title", "consent_text", "success_text", "redirect_url", "allowed_origins")
CLEARABLE = ("redirect_url", "allowed_origins")
TEXT_LIMIT = 300  # a consent or success text of up to 2000 characters is cut on the screen
API_KEY_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, well above the core's minimum


class FormAction(CallbackData, prefix="wf"):
    """A web form `id`: open, add; ask / clear (setting TYPED[`x`]); schemes, scheme (`v`);
    policies, policy (`v`); queue, qm (staff `x` in the queue if `v`; page `p`); consent (`v`);
    key, keyok, nokey, nokeyok; off, offok, on."""

    a: str
    id: int = 0
    x: int = 0
    v: int = 0
    p: int = 0


class NewWebFormForm(StatesGroup):
    slug = State()
    title = State()


class WebFormEditForm(StatesGroup):
    value = State()  # the setting and the form are in the dialog data


# --- reading a form -------------------------------------------------------------------------


async def _locate(actor: Actor, form_id: int) -> tuple[str, int]:
    """The slug of the form a button names and its position in the list (for Back).

    The core reads forms by slug only; `list_forms` checks the settings right.
    """
    for index, form in enumerate(await webforms.list_forms(actor)):
        if form.id == form_id:
            return form.slug, index
    raise NotFoundError(f"form #{form_id} does not exist")


async def _edit(actor: Actor, form_id: int, changes: Mapping[str, Any]) -> tuple[FormDetails, int]:
    slug, index = await _locate(actor, form_id)
    return await webforms.edit_form(actor, slug, changes), index


async def _get(actor: Actor, form_id: int) -> tuple[FormDetails, int]:
    slug, index = await _locate(actor, form_id)
    return await webforms.get_form(actor, slug), index


# --- screens --------------------------------------------------------------------------------


def forms_screen(
    t: Translator, forms: Sequence[FormDetails], page: int, notice: str = ""
) -> Screen:
    shown, page, pages = _page(forms, page)
    lines = [_page_title(t, t("forms-title"), page, pages)]
    for details in shown:
        lines.append(
            t(
                "forms-line" if details.is_active else "forms-line-disabled",
                title=shorten(details.form.title, 50),
                slug=details.slug,
                count=details.submissions,
            )
        )
    if not forms:
        lines.append(t("forms-empty"))
    rows = [
        [
            _button(
                # With the slug: two forms may share a title.
                ("" if d.is_active else "⛔ ") + f"{shorten(d.form.title, 30)} · {d.slug}",
                FormAction(a="open", id=d.form.id),
            )
        ]
        for d in shown
    ]
    rows += _nav(t, page, pages, lambda p: SettingsMenu(to="forms", p=p))
    rows.append([_button(t.plain("forms-btn-add"), FormAction(a="add"))])
    rows.append(_back(t, SettingsMenu(to="home")))
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


def _queue_names(t: Translator, queue: Sequence[int], staff: Mapping[int, Staff]) -> list[str]:
    names = []
    for staff_id in queue:
        member = staff.get(staff_id)
        if member is None:
            names.append(f"#{staff_id}")
        elif member.is_active:
            names.append(_member_name(member))
        else:
            names.append(t.plain("forms-inactive", name=_member_name(member)))
    return names


def _page_address(public_url: str | None, slug: str) -> str:
    """The hosted page: a full address when PUBLIC_URL is set, else the path."""
    return f"{public_url or ''}/forms/{slug}"


def form_screen(
    t: Translator,
    details: FormDetails,
    staff: Mapping[int, Staff],
    index: int,
    public_url: str | None,
    notice: str = "",
) -> Screen:
    """Every setting of a form (never its API key), with a button for each."""
    form, form_id = details.form, details.form.id
    lines = [t("forms-form-title", title=shorten(form.title, 200))]
    if not details.is_active:
        lines.append(t("forms-form-disabled"))
    lines += [
        t("forms-form-slug", slug=form.slug),
        t("forms-form-page", url=_page_address(public_url, form.slug)),
        t("forms-form-submissions", count=details.submissions),
        t("forms-form-scheme", scheme=Markup(t(f"forms-scheme-{form.scheme}"))),
        t("forms-form-policy", policy=Markup(t(f"forms-policy-{details.dedup_policy}"))),
    ]
    queue = _queue_names(t, details.responsible_queue, staff)
    if queue:
        lines.append(t("forms-form-queue", names=Markup(_joined(t, queue))))
    else:
        lines.append(t("forms-form-queue-admins"))
    if form.consent_required:
        lines.append(t("forms-form-consent", text=shorten(form.consent_text or "", TEXT_LIMIT)))
    else:
        lines.append(t("forms-form-consent-off"))
    if form.redirect_url:
        lines.append(t("forms-form-redirect", url=form.redirect_url))
    elif form.success_text:
        lines.append(t("forms-form-success", text=shorten(form.success_text, TEXT_LIMIT)))
    else:
        lines.append(t("forms-form-success-none"))
    lines.append(t("forms-form-origins", origins=Markup(_joined(t, form.allowed_origins))))
    lines.append(t("forms-form-key-set" if form.has_api_key else "forms-form-key-none"))
    labels = [f.label_in(t.language) + ("*" if f.required else "") for f in form.fields]
    lines.append(t("forms-form-fields", fields=Markup(_joined(t, labels))))
    lines.append(t("forms-form-fields-note"))

    def act(key: str, a: str, **args: Any) -> InlineKeyboardButton:
        return _button(t.plain(key, **args), FormAction(a=a, id=form_id))

    def ask(key: str, setting: str) -> InlineKeyboardButton:
        return _button(t.plain(key), FormAction(a="ask", id=form_id, x=TYPED.index(setting)))

    scheme = t.plain(f"forms-scheme-short-{form.scheme}")
    policy = t.plain(f"forms-policy-short-{details.dedup_policy}")
    key_row = [act("forms-btn-key-new", "key")]
    if form.has_api_key:
        key_row.append(act("forms-btn-key-remove", "nokey"))
    rows = [
        [ask("forms-btn-title", "title")],
        [act("forms-btn-scheme", "schemes", scheme=scheme)],
        [act("forms-btn-policy", "policies", policy=policy)],
        [act("forms-btn-queue", "queue", count=len(details.responsible_queue))],
        [
            _button(
                _check(form.consent_required, t.plain("forms-btn-consent")),
                FormAction(a="consent", id=form_id, v=int(not form.consent_required)),
            ),
            ask("forms-btn-consent-text", "consent_text"),
        ],
        [ask("forms-btn-success", "success_text"), ask("forms-btn-redirect", "redirect_url")],
        [ask("forms-btn-origins", "allowed_origins")],
        key_row,
        [act("forms-btn-disable", "off") if details.is_active else act("forms-btn-enable", "on")],
        _back(t, SettingsMenu(to="forms", p=index // PAGE_SIZE)),
    ]
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


def choice_screen(t: Translator, details: FormDetails, what: str) -> Screen:
    """The three schemes or the three duplicate policies, the current one ticked."""
    form_id = details.form.id
    if what == "scheme":
        values: Sequence[str] = [s.value for s in SCHEMES]
        current, labels = details.form.scheme, [f"forms-scheme-short-{v}" for v in values]
    else:
        values = [p.value for p in POLICIES]
        current, labels = details.dedup_policy, [f"forms-policy-btn-{v}" for v in values]
    rows = [
        [
            _button(
                ("✓ " if value == current else "") + t.plain(label),
                FormAction(a=what, id=form_id, v=index),
            )
        ]
        for index, (value, label) in enumerate(zip(values, labels, strict=True))
    ]
    rows.append(_back(t, FormAction(a="open", id=form_id)))
    text = t(f"forms-{what}-choose", title=shorten(details.form.title, 100))
    return text, _markup(rows)


def queue_screen(
    t: Translator, details: FormDetails, members: Sequence[Staff], page: int
) -> Screen:
    """Active staff (and deactivated ones still queued, to take them out) as toggles."""
    queue = details.responsible_queue
    candidates = [m for m in members if m.is_active or m.id in queue]
    shown, page, pages = _page(candidates, page)
    title = t("forms-queue-title", title=shorten(details.form.title, 100))
    lines = [_page_title(t, title, page, pages)]
    names = _queue_names(t, queue, {m.id: m for m in members})
    lines.append(t("forms-queue-order", names=Markup(_joined(t, names))))
    form_id = details.form.id
    buttons = [
        _button(
            _check(m.id in queue, ("" if m.is_active else "⛔ ") + _member_name(m)),
            FormAction(a="qm", id=form_id, x=m.id, v=int(m.id not in queue), p=page),
        )
        for m in shown
    ]
    rows = _grid(buttons)
    rows += _nav(t, page, pages, lambda p: FormAction(a="queue", id=form_id, p=p))
    rows.append(_back(t, FormAction(a="open", id=form_id)))
    return "\n".join(lines), _markup(rows)


def _confirm(t: Translator, text: str, yes: str, data: FormAction) -> Screen:
    rows = [[_button(t.plain(yes), data)], _back(t, FormAction(a="open", id=data.id))]
    return text, _markup(rows)


async def _form_screen(
    actor: Actor,
    t: Translator,
    details: FormDetails,
    index: int,
    public_url: str | None,
    notice: str = "",
) -> Screen:
    staff = {m.id: m for m in await administration.staff_members(actor)}
    return form_screen(t, details, staff, index, public_url, notice)


# --- the list and one form ------------------------------------------------------------------


async def on_forms(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    await _show(query, forms_screen(t, await webforms.form_details(actor), callback_data.p))


async def on_form(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    details, index = await _get(actor, callback_data.id)
    await _show(query, await _form_screen(actor, t, details, index, public_url))


async def on_choices(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    details, _ = await _get(actor, callback_data.id)
    what = "scheme" if callback_data.a == "schemes" else "policy"
    await _show(query, choice_screen(t, details, what))


async def on_choice(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    """Sets the scheme or the duplicate policy the button names."""
    if callback_data.a == "scheme":
        scheme = _nth(SCHEMES, callback_data.v)
        changes = {"scheme": scheme.value} if scheme is not None else None
    else:
        policy = _nth(POLICIES, callback_data.v)
        changes = {"dedup_policy": policy.value} if policy is not None else None
    if changes is None:
        await _stale(query, t)
        return
    details, index = await _edit(actor, callback_data.id, changes)
    await _show(query, await _form_screen(actor, t, details, index, public_url, t("forms-saved")))


async def on_queue(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    """The queue as toggles; a press puts the staff member at the end or takes them out."""
    slug, _ = await _locate(actor, callback_data.id)
    if callback_data.a == "qm":
        details = await webforms.set_queue_member(
            actor, slug, callback_data.x, bool(callback_data.v)
        )
    else:
        details = await webforms.get_form(actor, slug)
    members = await administration.staff_members(actor)
    await _show(query, queue_screen(t, details, members, callback_data.p))


async def on_consent(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    public_url: str | None,
) -> None:
    """Requires consent or stops asking for it; requiring it without a text asks for one."""
    if callback_data.v:
        details, _ = await _get(actor, callback_data.id)
        if not details.form.consent_text:
            await query.answer()
            prompt = t("forms-ask-consent_text-required")
            step = WebFormEditForm.value
            data = {"form_id": details.form.id, "setting": "consent_text", "require": True}
            await _ask(query_message(query), state, step, prompt, **data)
            return
    changes = {"consent_required": bool(callback_data.v)}
    details, index = await _edit(actor, callback_data.id, changes)
    await _show(query, await _form_screen(actor, t, details, index, public_url, t("forms-saved")))


# --- typed settings -------------------------------------------------------------------------


async def on_ask(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    setting = _nth(TYPED, callback_data.x)
    if setting is None:
        await _stale(query, t)
        return
    details, _ = await _get(actor, callback_data.id)
    await query.answer()
    message = query_message(query)
    prompt = t(f"forms-ask-{setting}", title=shorten(details.form.title, 100))
    await state.set_state(WebFormEditForm.value)
    await state.update_data(settings={"form_id": details.form.id, "setting": setting})
    markup = None
    if setting in CLEARABLE:
        clear = FormAction(a="clear", id=details.form.id, x=callback_data.x)
        label = (
            "forms-btn-clear-redirect" if setting == "redirect_url" else "forms-btn-clear-origins"
        )
        markup = InlineKeyboardMarkup(inline_keyboard=[[_button(t.plain(label), clear)]])
    await message.answer(prompt, reply_markup=markup)


async def process_form_value(
    message: Message, actor: Actor, t: Translator, state: FSMContext, public_url: str | None
) -> None:
    """The typed value goes to the core as it is; a refusal keeps the question open."""
    data = await _dialog(state)
    setting = str(data.get("setting") or "")
    if setting not in TYPED:
        await _finish(state)
        await message.answer(t("settings-outdated"))
        return
    changes: dict[str, Any] = {setting: _text(message)}
    if setting == "consent_text" and data.get("require"):
        changes["consent_required"] = True
    details, index = await _edit(actor, int(data.get("form_id") or 0), changes)
    await _finish(state)
    text, markup = await _form_screen(actor, t, details, index, public_url, t("forms-saved"))
    await message.answer(text, reply_markup=markup)


async def on_clear(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    public_url: str | None,
) -> None:
    """No redirect, or no allowed origins: pressed under the question, which it closes."""
    setting = _nth(TYPED, callback_data.x)
    if setting not in CLEARABLE:
        await _stale(query, t)
        return
    details, index = await _edit(actor, callback_data.id, {setting: None})
    if await state.get_state() == WebFormEditForm.value.state:
        await _finish(state)
    await _show(query, await _form_screen(actor, t, details, index, public_url, t("forms-saved")))


# --- API key and active ---------------------------------------------------------------------


async def on_key(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    """A new random key, shown once (the core keeps its hash); replacing one asks first."""
    if callback_data.a == "key":
        details, _ = await _get(actor, callback_data.id)
        if details.form.has_api_key:
            text = t("forms-key-replace-confirm", title=shorten(details.form.title, 100))
            data = FormAction(a="keyok", id=details.form.id)
            await _show(query, _confirm(t, text, "forms-btn-key-confirm", data))
            return
    key = secrets.token_urlsafe(API_KEY_BYTES)
    details, index = await _edit(actor, callback_data.id, {"api_key": key})
    notice = t("forms-key-new", key=key)
    await _show(query, await _form_screen(actor, t, details, index, public_url, notice))


async def on_confirm(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    """Asks before removing the API key or disabling the form."""
    details, _ = await _get(actor, callback_data.id)
    title = shorten(details.form.title, 100)
    form_id = details.form.id
    if callback_data.a == "nokey":
        text = t("forms-key-remove-confirm", title=title)
        screen = _confirm(
            t, text, "forms-btn-key-remove-confirm", FormAction(a="nokeyok", id=form_id)
        )
    else:
        text = t("forms-disable-confirm", title=title)
        screen = _confirm(t, text, "forms-btn-disable-confirm", FormAction(a="offok", id=form_id))
    await _show(query, screen)


async def on_confirmed(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    """Removes the API key, disables or enables the form."""
    if callback_data.a == "offok":
        slug, index = await _locate(actor, callback_data.id)
        details = await webforms.disable_form(actor, slug)
        notice = t("forms-disabled")
    elif callback_data.a == "on":
        details, index = await _edit(actor, callback_data.id, {"is_active": True})
        notice = t("forms-enabled")
    else:
        details, index = await _edit(actor, callback_data.id, {"api_key": None})
        notice = t("forms-key-removed")
    await _show(query, await _form_screen(actor, t, details, index, public_url, notice))


# --- a new form: address, then title --------------------------------------------------------


async def on_form_add(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    require_settings(actor)  # the core refuses before the questions, not after the answers
    await query.answer()
    await state.update_data(settings={})
    await _ask(query_message(query), state, NewWebFormForm.slug, t("forms-slug-prompt"))


async def process_new_form_slug(
    message: Message, actor: Actor, t: Translator, state: FSMContext, public_url: str | None
) -> None:
    """The address is checked by the core's rule at once; whether it is free, on creation."""
    try:
        slug = check_slug(_text(message))
    except FieldError as exc:
        raise ValidationError({"slug": str(exc)}) from exc
    title = (await _dialog(state)).get("title")
    if title:  # the address given first was taken: the title is already known
        await _create(message, actor, t, state, public_url, slug, str(title))
        return
    await _ask(message, state, NewWebFormForm.title, t("forms-title-prompt"), slug=slug)


async def process_new_form_title(
    message: Message, actor: Actor, t: Translator, state: FSMContext, public_url: str | None
) -> None:
    slug = str((await _dialog(state)).get("slug") or "")
    await _create(message, actor, t, state, public_url, slug, _text(message))


async def _create(
    message: Message,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    public_url: str | None,
    slug: str,
    title: str,
) -> None:
    """The form with the core's defaults; a taken address asks for another one."""
    try:
        details = await webforms.create_form(actor, {"slug": slug, "title": title})
    except ValidationError as exc:
        if "slug" not in exc.errors:
            raise  # a bad title: the question stays open (bot/errors.py shows why)
        await state.set_state(NewWebFormForm.slug)
        await state.update_data(settings={} if "title" in exc.errors else {"title": title})
        await message.answer(render.error(t, exc) + "\n\n" + t("forms-slug-again"))
        return
    await _finish(state)
    _, index = await _locate(actor, details.form.id)
    notice = t("forms-created", title=shorten(details.form.title, 100))
    text, markup = await _form_screen(actor, t, details, index, public_url, notice)
    await message.answer(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="settings_forms")
    msg, cb = router.message, router.callback_query

    typed = (F.text, ~F.text.startswith("/"))
    msg.register(process_new_form_slug, NewWebFormForm.slug, *typed)
    msg.register(process_new_form_title, NewWebFormForm.title, *typed)
    msg.register(process_form_value, WebFormEditForm.value, *typed)

    cb.register(on_forms, SettingsMenu.filter(F.to == "forms"))
    forms = FormAction.filter
    cb.register(on_form, forms(F.a == "open"))
    cb.register(on_form_add, forms(F.a == "add"))
    cb.register(on_ask, forms(F.a == "ask"))
    cb.register(on_clear, forms(F.a == "clear"))
    cb.register(on_choices, forms(F.a.in_({"schemes", "policies"})))
    cb.register(on_choice, forms(F.a.in_({"scheme", "policy"})))
    cb.register(on_queue, forms(F.a.in_({"queue", "qm"})))
    cb.register(on_consent, forms(F.a == "consent"))
    cb.register(on_key, forms(F.a.in_({"key", "keyok"})))
    cb.register(on_confirm, forms(F.a.in_({"nokey", "off"})))
    cb.register(on_confirmed, forms(F.a.in_({"nokeyok", "offok", "on"})))
    return router
