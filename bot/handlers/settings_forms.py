"""/settings → Web forms (F8): list, open, create and set up the web forms from Telegram, their
fields included.

Buttons carry a form's id, not its slug (a slug may take 64 characters and callback data holds
64 bytes); every press reads the form again and goes through `crm.webforms`, which checks the
settings right again. A field's buttons carry its position and a fingerprint of its input name:
a button pressed after someone else added, moved or removed fields answers "outdated" instead
of editing whatever field now sits at that position; the core then edits the field by name.
"""

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import render
from bot.handlers.card import edit_or_send
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
from bot.render import custom_label, shorten
from crm import customfields, staff, webforms
from crm.actors import Actor
from crm.errors import ValidationError
from crm.i18n import LANGUAGES, Catalogue, Markup, Translator
from crm.permissions import require_settings
from crm.rules.fields import FieldError
from crm.rules.webforms import (
    CONTACT_TARGETS,
    FIELD_TYPES,
    MAX_FIELDS,
    POLICIES,
    TARGET_TYPES,
    FormField,
    check_slug,
)
from crm.webforms import DEFAULT_FIELDS, FormDetails
from models import CustomField, Staff
from models.enums import FormScheme

SCHEMES = tuple(FormScheme)
# The settings typed as text, by index in the buttons; the last two may also be cleared.
TYPED = ("title", "consent_text", "success_text", "redirect_url", "allowed_origins")
CLEARABLE = ("redirect_url", "allowed_origins")
TEXT_LIMIT = 300  # a consent or success text of up to 2000 characters is cut on the screen
# A field's typed texts, by index in the buttons: (what, language); only placeholders clear.
FIELD_TEXTS = (
    *(("label", language) for language in LANGUAGES),
    *(("placeholder", language) for language in LANGUAGES),
    ("options", ""),
)
TEXT_KINDS = frozenset({"label", "placeholder", "options", "select"})  # select: type + options
SUMMARY_LIMIT = 400  # a list of labels or options on one line: 2400 characters once escaped
# Contact targets the core catalogue names already ("field-first_name"); the others are named
# in forms.ftl. "name" is there too: in French the core's "Nom" is also the last name.
CORE_NAMED_TARGETS = frozenset({"first_name", "last_name", "honorific", "position", "birthdate"})


class FormAction(CallbackData, prefix="wf"):
    """A web form `id`: open, add; ask / clear (setting TYPED[`x`]); schemes, scheme (`v`);
    policies, policy (`v`); queue, qm (staff `x` in the queue if `v`; page `p`); consent (`v`);
    key, keyok, nokey, nokeyok; off, offok, on."""

    a: str
    id: int = 0
    x: int = 0
    v: int = 0
    p: int = 0


class FormFieldAction(CallbackData, prefix="wff"):
    """The fields of web form `id`: list; add (page `p`); newt (contact target `v`), newc
    (custom field id `v`), newn (feeds nothing). Field `i`, whose input name's fingerprint is
    `h`: open, req (to `v`), up, down, types, type (FIELD_TYPES[`v`]), ask / clear
    (FIELD_TEXTS[`v`]), del, delok."""

    a: str
    id: int
    i: int = 0
    h: str = ""
    v: int = 0
    p: int = 0


class NewWebFormForm(StatesGroup):
    slug = State()
    title = State()


class WebFormEditForm(StatesGroup):
    value = State()  # the setting and the form are in the dialog data


class WebFormFieldForm(StatesGroup):
    value = State()  # the form, the field (position and name) and the text are in the dialog


# --- reading a form -------------------------------------------------------------------------


async def _get(actor: Actor, form_id: int) -> tuple[FormDetails, int]:
    """The form a button names and its position in the list (for Back)."""
    return await webforms.form_by_id(actor, form_id)


async def _edit(actor: Actor, form_id: int, changes: Mapping[str, Any]) -> tuple[FormDetails, int]:
    details, index = await _get(actor, form_id)
    return await webforms.edit_form(actor, details.slug, changes), index


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


def _summary(t: Translator, names: Sequence[str]) -> str:
    """Names joined as escaped HTML, cut short enough that escaping keeps them a placeable
    Fluent formats (it refuses one over 2500 characters; `"` escapes to 6)."""
    return _joined(t, [shorten(", ".join(names), SUMMARY_LIMIT)] if names else [])


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
    lines.append(t("forms-form-fields", fields=Markup(_summary(t, labels))))

    def act(key: str, a: str, **args: Any) -> InlineKeyboardButton:
        return _button(t.plain(key, **args), FormAction(a=a, id=form_id))

    def ask(key: str, setting: str) -> InlineKeyboardButton:
        return _button(t.plain(key), FormAction(a="ask", id=form_id, x=TYPED.index(setting)))

    scheme = t.plain(f"forms-scheme-short-{form.scheme}")
    policy = t.plain(f"forms-policy-short-{details.dedup_policy}")
    key_row = [act("forms-btn-key-new", "key")]
    if form.has_api_key:
        key_row.append(act("forms-btn-key-remove", "nokey"))
    fields = FormFieldAction(a="list", id=form_id)
    rows = [
        [ask("forms-btn-title", "title")],
        [_button(t.plain("forms-btn-fields", count=len(form.fields)), fields)],
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
    members = {m.id: m for m in await staff.staff_members(actor)}
    return form_screen(t, details, members, index, public_url, notice)


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
    details, _ = await _get(actor, callback_data.id)
    if callback_data.a == "qm":
        details = await webforms.set_queue_member(
            actor, details.slug, callback_data.x, bool(callback_data.v)
        )
    members = await staff.staff_members(actor)
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
    details, index = await _get(actor, callback_data.id)
    if callback_data.a == "key" and details.form.has_api_key:
        text = t("forms-key-replace-confirm", title=shorten(details.form.title, 100))
        data = FormAction(a="keyok", id=details.form.id)
        await _show(query, _confirm(t, text, "forms-btn-key-confirm", data))
        return
    details, key = await webforms.rotate_api_key(actor, details.form.id)
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
        details, index = await _get(actor, callback_data.id)
        details = await webforms.disable_form(actor, details.slug)
        notice = t("forms-disabled")
    elif callback_data.a == "on":
        details, index = await _edit(actor, callback_data.id, {"is_active": True})
        notice = t("forms-enabled")
    else:
        details, index = await _edit(actor, callback_data.id, {"api_key": None})
        notice = t("forms-key-removed")
    await _show(query, await _form_screen(actor, t, details, index, public_url, notice))


# --- fields: screens ------------------------------------------------------------------------


def _fingerprint(name: str) -> str:
    """A short digest of a field's input name for its buttons (a name may take 32 of the 64
    bytes, and the position alone would point at another field once the list changed)."""
    return hashlib.blake2s(name.encode(), digest_size=3).hexdigest()


def _field_action(
    a: str, form_id: int, index: int, field: FormField, v: int = 0
) -> FormFieldAction:
    return FormFieldAction(a=a, id=form_id, i=index, h=_fingerprint(field.name), v=v)


def _types_for(maps_to: str | None) -> Sequence[str]:
    """The input types a field may take: those that suit its contact target, else any."""
    return TARGET_TYPES.get(maps_to or "", FIELD_TYPES)


def _type_label(t: Translator, kind: str) -> str:
    return t.plain(f"forms-type-{kind}")


def _target_label(t: Translator, target: str) -> str:
    key = f"field-{target}" if target in CORE_NAMED_TARGETS else f"forms-target-{target}"
    return t.plain(key)


def _feeds(t: Translator, field: FormField, custom: Mapping[str, CustomField]) -> str:
    """What a field feeds, as HTML: a contact field, a custom field, or nothing."""
    target = field.maps_to
    if target is None:
        return t("forms-feeds-nothing")
    if target in TARGET_TYPES:
        return t("forms-feeds-contact", target=_target_label(t, target))
    code = target.removeprefix("custom.")
    definition = custom.get(code)
    if definition is None:  # deleted since: the core refuses the list until it goes
        return t("forms-feeds-custom-gone", code=shorten(code, 30))
    return t("forms-feeds-custom", label=shorten(custom_label(definition, t.language), 30))


def _field_title(t: Translator, field: FormField, limit: int = 100) -> str:
    return shorten(field.label_in(t.language), limit)


def fields_screen(
    t: Translator, details: FormDetails, custom: Mapping[str, CustomField], notice: str = ""
) -> Screen:
    """A form's fields in order, one button each, and "Add a field" while there is room."""
    form, form_id = details.form, details.form.id
    lines = [t("forms-fields-title", title=shorten(form.title, 100))]
    # Telegram shows 4096 characters: 30 lines of about 125 stay below it with the notice.
    width = 60 if len(form.fields) <= MAX_FIELDS * 2 // 3 else 30
    for index, field in enumerate(form.fields):
        lines.append(
            t(
                "forms-fields-line-required" if field.required else "forms-fields-line",
                position=index + 1,
                label=_field_title(t, field, width),
                type=_type_label(t, field.type),
                feeds=Markup(_feeds(t, field, custom)),
            )
        )
    buttons = [
        _button(
            f"{index + 1}. {field.label_in(t.language)}" + ("*" if field.required else ""),
            _field_action("open", form_id, index, field),
        )
        for index, field in enumerate(form.fields)
    ]
    rows = _grid(buttons)  # at most MAX_FIELDS (30) buttons
    if len(form.fields) < MAX_FIELDS:
        rows.append([_button(t.plain("forms-btn-field-add"), FormFieldAction(a="add", id=form_id))])
    rows.append(_back(t, FormAction(a="open", id=form_id)))
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


def field_screen(
    t: Translator,
    details: FormDetails,
    index: int,
    custom: Mapping[str, CustomField],
    notice: str = "",
) -> Screen:
    """One field: every setting, with a button for each."""
    form, form_id = details.form, details.form.id
    field = form.fields[index]
    lines = [
        t(
            "forms-field-title",
            label=_field_title(t, field),
            position=index + 1,
            count=len(form.fields),
            title=shorten(form.title, 100),
        ),
        t("forms-field-name", name=field.name),
        t("forms-field-type", type=_type_label(t, field.type)),
    ]
    for what in ("label", "placeholder"):
        texts: Mapping[str, str] = getattr(field, what)
        for language in LANGUAGES:
            text = texts.get(language)
            code = language.upper()
            if text:
                lines.append(t(f"forms-field-{what}", language=code, text=shorten(text, 200)))
            else:
                lines.append(t(f"forms-field-{what}-none", language=code))
    lines.append(t("forms-field-required", required=field.required))
    lines.append(t("forms-field-feeds", feeds=Markup(_feeds(t, field, custom))))
    if field.type == "select":
        lines.append(t("forms-field-options", options=Markup(_summary(t, field.options))))

    def act(a: str, v: int = 0) -> FormFieldAction:
        return _field_action(a, form_id, index, field, v)

    def ask(key: str, what: str, language: str) -> InlineKeyboardButton:
        label = t.plain(key, language=language.upper())
        return _button(label, act("ask", FIELD_TEXTS.index((what, language))))

    required = _check(field.required, t.plain("forms-btn-field-required"))
    rows = [
        [_button(required, act("req", int(not field.required)))],
        [ask("forms-btn-field-label", "label", language) for language in LANGUAGES],
        [ask("forms-btn-field-placeholder", "placeholder", language) for language in LANGUAGES],
    ]
    if len(_types_for(field.maps_to)) > 1:
        label = t.plain("forms-btn-field-type", type=_type_label(t, field.type))
        rows.append([_button(label, act("types"))])
    if field.type == "select":
        rows.append([ask("forms-btn-field-options", "options", "")])
    moves = []
    if index > 0:
        moves.append(_button(t.plain("forms-btn-field-up"), act("up")))
    if index < len(form.fields) - 1:
        moves.append(_button(t.plain("forms-btn-field-down"), act("down")))
    rows.append(moves)
    rows.append([_button(t.plain("forms-btn-field-remove"), act("del"))])
    rows.append(_back(t, FormFieldAction(a="list", id=form_id)))
    return _with_notice(notice, "\n".join(lines)), _markup(rows)


def field_types_screen(t: Translator, details: FormDetails, index: int) -> Screen:
    """The input types the field may take, the current one ticked."""
    form_id, field = details.form.id, details.form.fields[index]
    rows = [
        [
            _button(
                ("✓ " if kind == field.type else "") + _type_label(t, kind),
                _field_action("type", form_id, index, field, FIELD_TYPES.index(kind)),
            )
        ]
        for kind in _types_for(field.maps_to)
    ]
    rows.append(_back(t, _field_action("open", form_id, index, field)))
    return t("forms-field-type-choose", label=_field_title(t, field)), _markup(rows)


def field_remove_screen(t: Translator, details: FormDetails, index: int) -> Screen:
    form_id, field = details.form.id, details.form.fields[index]
    text = t(
        "forms-field-remove-confirm",
        label=_field_title(t, field),
        title=shorten(details.form.title, 100),
    )
    rows = [
        [
            _button(
                t.plain("forms-btn-field-remove-confirm"),
                _field_action("delok", form_id, index, field),
            )
        ],
        _back(t, _field_action("open", form_id, index, field)),
    ]
    return text, _markup(rows)


def field_add_screen(
    t: Translator, details: FormDetails, custom: Sequence[CustomField], page: int
) -> Screen:
    """What a new field may feed: the contact fields and active custom fields the form does
    not feed yet, or nothing."""
    form_id = details.form.id
    used = {field.maps_to for field in details.form.fields if field.maps_to}
    choices = [
        _button(_target_label(t, target), FormFieldAction(a="newt", id=form_id, v=index))
        for index, target in enumerate(CONTACT_TARGETS)
        if target not in used
    ]
    choices += [
        _button(
            "🧩 " + custom_label(definition, t.language),
            FormFieldAction(a="newc", id=form_id, v=definition.id),
        )
        for definition in custom
        if f"custom.{definition.code}" not in used
    ]
    shown, page, pages = _page(choices, page)
    nothing = FormFieldAction(a="newn", id=form_id)
    rows = [[_button(t.plain("forms-btn-field-nothing"), nothing)], *_grid(shown)]
    rows += _nav(t, page, pages, lambda p: FormFieldAction(a="add", id=form_id, p=p))
    rows.append(_back(t, FormFieldAction(a="list", id=form_id)))
    title = t("forms-field-add-choose", title=shorten(details.form.title, 100))
    return _page_title(t, title, page, pages), _markup(rows)


# --- fields: what a "new field" button asks for ---------------------------------------------


async def _add_field(
    actor: Actor, catalogue: Catalogue, details: FormDetails, data: FormFieldAction
) -> FormDetails | None:
    """Adds the field a "new" button asks for; None when its target is gone or fed meanwhile."""
    fields = details.form.fields
    used = {field.maps_to for field in fields if field.maps_to}
    languages = catalogue.each_language()
    form_id = details.form.id
    if data.a == "newt":
        target = _nth(CONTACT_TARGETS, data.v)
        if target is None or target in used:
            return None
        # The standard fields' wording where there is one ("Name" / "Nom"), else the catalogue's.
        standard = [f.label for f in DEFAULT_FIELDS if f.maps_to == target]
        label = {lang: _target_label(tr, target) for lang, tr in languages.items()}
        return await webforms.add_form_field(
            actor, form_id, standard[0] if standard else label, target
        )
    if data.a == "newc":
        custom = {f.id: f for f in await customfields.list_fields(actor)}
        definition = custom.get(data.v)
        if definition is None or f"custom.{definition.code}" in used:
            return None
        label = {lang: custom_label(definition, lang) for lang in LANGUAGES}
        return await webforms.add_form_field(actor, form_id, label, f"custom.{definition.code}")
    number = webforms.next_answer_number([field.name for field in fields])
    label = {
        lang: tr.plain("forms-field-new-label", number=number) for lang, tr in languages.items()
    }
    return await webforms.add_form_field(actor, form_id, label, name=f"answer_{number}")


def _typed_options(text: str) -> list[str]:
    """Options typed one per line; blank lines dropped (the core checks the rest)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- fields: reading and answering ----------------------------------------------------------


async def _custom(actor: Actor) -> dict[str, CustomField]:
    return {f.code: f for f in await customfields.list_fields(actor)}


async def _fields_screen(
    actor: Actor, t: Translator, details: FormDetails, notice: str = ""
) -> Screen:
    return fields_screen(t, details, await _custom(actor), notice)


async def _field_screen(
    actor: Actor, t: Translator, details: FormDetails, index: int, notice: str = ""
) -> Screen:
    return field_screen(t, details, index, await _custom(actor), notice)


async def _pressed(actor: Actor, data: FormFieldAction) -> tuple[FormDetails, FormField | None]:
    """The form a field button names and that field; None when the position now holds another
    field or none (the fields changed since the button was drawn)."""
    details, _ = await _get(actor, data.id)
    field = _nth(details.form.fields, data.i)
    if field is None or _fingerprint(field.name) != data.h:
        return details, None
    return details, field


async def _outdated(
    query: CallbackQuery, actor: Actor, t: Translator, details: FormDetails
) -> None:
    """Nothing is changed: the alert says why and the fields are shown as they are now."""
    message = query_message(query)
    await query.answer(t.plain("forms-fields-outdated"), show_alert=True)
    await edit_or_send(message, *await _fields_screen(actor, t, details))


async def _saved(
    query: CallbackQuery, actor: Actor, t: Translator, details: FormDetails, index: int
) -> None:
    """The field at `index` after a change the core checked and audited."""
    await _show(query, await _field_screen(actor, t, details, index, t("forms-saved")))


async def _ask_text(
    message: Message,
    t: Translator,
    state: FSMContext,
    details: FormDetails,
    index: int,
    what: str,
    language: str,
) -> None:
    """Ask for a field's label, placeholder or options; the answer names the field it is for."""
    field = details.form.fields[index]
    prompt = t(
        f"forms-field-ask-{what}",
        label=_field_title(t, field),
        language=t.plain(f"forms-language-{language}") if language else "",
    )
    dialog = {"form_id": details.form.id, "index": index, "name": field.name}
    await state.set_state(WebFormFieldForm.value)
    await state.update_data(settings={**dialog, "what": what, "language": language})
    markup = None
    if what == "placeholder":
        clear = _field_action(
            "clear", details.form.id, index, field, FIELD_TEXTS.index((what, language))
        )
        markup = _markup([[_button(t.plain("forms-btn-field-clear-placeholder"), clear)]])
    await message.answer(prompt, reply_markup=markup)


# --- fields: handlers -----------------------------------------------------------------------


async def on_fields(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, _ = await _get(actor, callback_data.id)
    await _show(query, await _fields_screen(actor, t, details))


async def on_field(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    await _show(query, await _field_screen(actor, t, details, callback_data.i))


async def on_field_change(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    """Required on or off, or one place up or down."""
    details, field = await _pressed(actor, callback_data)
    fields, index = details.form.fields, callback_data.i
    other = index + {"up": -1, "down": 1}.get(callback_data.a, 0)
    if field is None or _nth(fields, other) is None:
        await _outdated(query, actor, t, details)
        return
    form_id = details.form.id
    if callback_data.a == "req":
        details = await webforms.update_form_field(
            actor, form_id, field.name, required=bool(callback_data.v)
        )
    else:
        details = await webforms.move_form_field(actor, form_id, field.name, other - index)
    await _saved(query, actor, t, details, other)


async def on_field_types(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    await _show(query, field_types_screen(t, details, callback_data.i))


async def on_field_type(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Sets the type; a field becoming a choice list is asked for its options first."""
    details, field = await _pressed(actor, callback_data)
    kind = _nth(FIELD_TYPES, callback_data.v)
    if field is None or kind not in _types_for(field.maps_to):
        await _outdated(query, actor, t, details)
        return
    if kind == "select" and field.type != "select":
        await query.answer()
        await _ask_text(query_message(query), t, state, details, callback_data.i, "select", "")
        return
    details = await webforms.update_form_field(actor, details.form.id, field.name, field_type=kind)
    await _saved(query, actor, t, details, callback_data.i)


async def on_field_ask(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    details, field = await _pressed(actor, callback_data)
    text = _nth(FIELD_TEXTS, callback_data.v)
    if field is None or text is None:
        await _outdated(query, actor, t, details)
        return
    await query.answer()
    await _ask_text(query_message(query), t, state, details, callback_data.i, *text)


async def process_field_text(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The typed text goes to the core with the field it was asked for; a refusal keeps the
    question open, a field moved or removed meanwhile closes it."""
    data = await _dialog(state)
    details, _ = await _get(actor, int(data.get("form_id") or 0))
    index = int(data.get("index", -1))
    field = _nth(details.form.fields, index)
    what = str(data.get("what") or "")
    if field is None or field.name != data.get("name") or what not in TEXT_KINDS:
        await _finish(state)
        text, markup = await _fields_screen(actor, t, details, t("forms-fields-outdated"))
        await message.answer(text, reply_markup=markup)
        return
    text, form_id = _text(message), details.form.id
    if what in ("options", "select"):
        # "select" is a field becoming a choice list: its type and options in one change.
        kind = "select" if what == "select" else None
        options = _typed_options(text)
        details = await webforms.update_form_field(
            actor, form_id, field.name, field_type=kind, options=options
        )
    else:
        texts = {str(data.get("language") or ""): text}
        if what == "label":
            details = await webforms.update_form_field(actor, form_id, field.name, label=texts)
        else:
            details = await webforms.update_form_field(
                actor, form_id, field.name, placeholder=texts
            )
    await _finish(state)
    text, markup = await _field_screen(actor, t, details, index, t("forms-saved"))
    await message.answer(text, reply_markup=markup)


async def on_field_clear(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """No placeholder in one language: pressed under the question, which it closes."""
    if await state.get_state() == WebFormFieldForm.value.state:
        await _finish(state)
    details, field = await _pressed(actor, callback_data)
    what, language = _nth(FIELD_TEXTS, callback_data.v) or ("", "")
    if field is None or what != "placeholder":
        await _outdated(query, actor, t, details)
        return
    details = await webforms.update_form_field(
        actor, details.form.id, field.name, placeholder={language: None}
    )
    await _saved(query, actor, t, details, callback_data.i)


async def on_field_remove(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    await _show(query, field_remove_screen(t, details, callback_data.i))


async def on_field_removed(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    """Removes the field; the core refuses to remove the only one that feeds the name."""
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    details = await webforms.remove_form_field(actor, details.form.id, field.name)
    notice = t("forms-field-removed", label=_field_title(t, field))
    await _show(query, await _fields_screen(actor, t, details, notice))


async def on_field_add(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, _ = await _get(actor, callback_data.id)
    custom = await customfields.list_fields(actor)
    await _show(query, field_add_screen(t, details, custom, callback_data.p))


async def on_field_new(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    catalogue: Catalogue,
) -> None:
    """Adds the field at the end and shows it, to be adjusted."""
    details, _ = await _get(actor, callback_data.id)
    added = await _add_field(actor, catalogue, details, callback_data)
    if added is None:
        await _outdated(query, actor, t, details)
        return
    index = len(added.form.fields) - 1
    screen = await _field_screen(actor, t, added, index, t("forms-field-added"))
    await _show(query, screen)


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
    _, index = await _get(actor, details.form.id)
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

    msg.register(process_field_text, WebFormFieldForm.value, *typed)
    fields = FormFieldAction.filter
    cb.register(on_fields, fields(F.a == "list"))
    cb.register(on_field, fields(F.a == "open"))
    cb.register(on_field_change, fields(F.a.in_({"req", "up", "down"})))
    cb.register(on_field_types, fields(F.a == "types"))
    cb.register(on_field_type, fields(F.a == "type"))
    cb.register(on_field_ask, fields(F.a == "ask"))
    cb.register(on_field_clear, fields(F.a == "clear"))
    cb.register(on_field_remove, fields(F.a == "del"))
    cb.register(on_field_removed, fields(F.a == "delok"))
    cb.register(on_field_add, fields(F.a == "add"))
    cb.register(on_field_new, fields(F.a.in_({"newt", "newc", "newn"})))
    return router
