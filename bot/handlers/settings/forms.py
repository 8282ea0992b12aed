"""/settings → Web forms (F8): list, open, create and set up the web forms from Telegram (their
fields are in form_fields.py).

Buttons carry a form's id, not its slug (a slug may take 64 characters and callback data holds
64 bytes); every press reads the form again through `crm.webforms.definitions.form_by_id`,
which checks the settings right again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message

from bot import render
from bot.handlers.settings.dialog import (
    TYPED,
    MenuScreen,
    SettingsMenu,
    ask,
    dialog_data,
    finish,
    member_name,
    show,
    stale,
    typed_text,
)
from bot.messages import query_message
from bot.render import shorten
from bot.ui import (
    NAME_WIDTH,
    PAGE_SIZE,
    SHORT_WIDTH,
    TEXT_WIDTH,
    Screen,
    back,
    button,
    check,
    grid,
    joined,
    markup,
    nav,
    nth,
    page_of,
    page_title,
    with_notice,
)
from crm import staff
from crm.actors import Actor
from crm.errors import ValidationError
from crm.i18n import Markup, Translator
from crm.permissions import require_settings
from crm.rules.fields import FieldError
from crm.rules.webforms import POLICIES, check_slug
from crm.webforms import definitions
from crm.webforms.definitions import FormDetails
from models.enums import FormScheme, SubmissionStatus

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import Staff

SCHEMES = tuple(FormScheme)
# The settings typed as text, by index in the buttons; the last two may also be cleared.
TYPED_SETTINGS = ("title", "consent_text", "success_text", "redirect_url", "allowed_origins")
CLEARABLE = ("redirect_url", "allowed_origins")
TEXT_LIMIT = 300  # a consent or success text of up to 2000 characters is cut on the screen
SUMMARY_LIMIT = 400  # a list of labels or options on one line: 2400 characters once escaped
FORM_LINE_WIDTH = 50  # a form's title on a list line, which also holds its address and count


class FormStep(StrEnum):
    OPEN = "open"
    ADD = "add"
    FIELDS = "fields"  # its fields (form_fields.py)
    HELD = "held"  # its posts kept as spam or over a rate limit (held.py)
    TEXTS = "texts"  # its texts per language (form_look.py)
    LOOK = "look"  # the look of its page (form_look.py)
    ASK = "ask"  # for TYPED_SETTINGS[`setting`]
    CLEAR = "clear"  # TYPED_SETTINGS[`setting`]
    SCHEMES = "schemes"
    SCHEME = "scheme"  # SCHEMES[`choice`]
    POLICIES = "policies"
    POLICY = "policy"  # POLICIES[`choice`]
    QUEUE = "queue"  # the responsible queue at `page`
    TOGGLE_QUEUE = "qm"  # `staff_id` in the queue if `enabled`
    CONSENT = "consent"  # required if `enabled`
    NEW_KEY = "key"
    CONFIRM_NEW_KEY = "keyok"
    REMOVE_KEY = "nokey"
    CONFIRM_REMOVE_KEY = "nokeyok"
    DISABLE = "off"
    CONFIRM_DISABLE = "offok"
    ENABLE = "on"


class FormAction(CallbackData, prefix="wf"):
    """A web form `form_id`."""

    action: FormStep
    form_id: int = 0
    setting: int = 0
    staff_id: int = 0
    choice: int = 0
    enabled: bool = False
    page: int = 0


class NewWebFormForm(StatesGroup):
    slug = State()
    title = State()


class WebFormEditForm(StatesGroup):
    value = State()  # the setting and the form are in the dialog data


# --- reading a form -------------------------------------------------------------------------


async def _edit(actor: Actor, form_id: int, changes: Mapping[str, Any]) -> tuple[FormDetails, int]:
    """Change some settings of the form a button names; the form and its place in the list."""
    details, index = await definitions.form_by_id(actor, form_id)
    return await definitions.edit_form(actor, details.slug, changes), index


# --- screens --------------------------------------------------------------------------------


def forms_screen(
    t: Translator, forms: Sequence[FormDetails], page: int, notice: str = ""
) -> Screen:
    shown, page, pages = page_of(forms, page)
    lines = [page_title(t, t("forms-title"), page, pages)]
    for details in shown:
        lines.append(
            t(
                "forms-line" if details.is_active else "forms-line-disabled",
                title=shorten(details.form.title, FORM_LINE_WIDTH),
                slug=details.slug,
                count=details.submissions,
            )
        )
    if not forms:
        lines.append(t("forms-empty"))
    rows = [
        [
            button(
                # With the slug: two forms may share a title.
                ("" if d.is_active else "⛔ ") + f"{shorten(d.form.title, SHORT_WIDTH)} · {d.slug}",
                FormAction(action=FormStep.OPEN, form_id=d.form.id),
            )
        ]
        for d in shown
    ]
    rows += nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.FORMS, page=p))
    rows.append([button(t.plain("forms-btn-add"), FormAction(action=FormStep.ADD))])
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


def _queue_names(t: Translator, queue: Sequence[int], staff: Mapping[int, Staff]) -> list[str]:
    names = []
    for staff_id in queue:
        member = staff.get(staff_id)
        if member is None:
            names.append(f"#{staff_id}")
        elif member.is_active:
            names.append(member_name(member))
        else:
            names.append(t.plain("forms-inactive", name=member_name(member)))
    return names


def summary(t: Translator, names: Sequence[str]) -> str:
    """Names joined as escaped HTML, cut short enough that escaping keeps them a placeable
    Fluent formats (it refuses one over 2500 characters; `"` escapes to 6)."""
    return joined(t, [shorten(", ".join(names), SUMMARY_LIMIT)] if names else [])


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
    lines = [t("forms-form-title", title=shorten(form.title, TEXT_WIDTH))]
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
        lines.append(t("forms-form-queue", names=Markup(joined(t, queue))))
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
    lines.append(t("forms-form-origins", origins=Markup(joined(t, form.allowed_origins))))
    lines.append(t("forms-form-key-set" if form.has_api_key else "forms-form-key-none"))
    labels = [f.label_in(t.language) + ("*" if f.required else "") for f in form.fields]
    lines.append(t("forms-form-fields", fields=Markup(summary(t, labels))))

    def act(key: str, step: FormStep, **args: Any) -> InlineKeyboardButton:
        return button(t.plain(key, **args), FormAction(action=step, form_id=form_id))

    def ask_button(key: str, setting: str) -> InlineKeyboardButton:
        index = TYPED_SETTINGS.index(setting)
        return button(t.plain(key), FormAction(action=FormStep.ASK, form_id=form_id, setting=index))

    scheme = t.plain(f"forms-scheme-short-{form.scheme}")
    policy = t.plain(f"forms-policy-short-{details.dedup_policy}")
    key_row = [act("forms-btn-key-new", FormStep.NEW_KEY)]
    if form.has_api_key:
        key_row.append(act("forms-btn-key-remove", FormStep.REMOVE_KEY))
    fields = FormAction(action=FormStep.FIELDS, form_id=form_id)
    rows = [
        [ask_button("forms-btn-title", "title")],
        [button(t.plain("forms-btn-fields", count=len(form.fields)), fields)],
        [act("held-btn", FormStep.HELD, count=_held_count(details))],
        [act("forms-btn-texts", FormStep.TEXTS), act("forms-btn-look", FormStep.LOOK)],
        [act("forms-btn-scheme", FormStep.SCHEMES, scheme=scheme)],
        [act("forms-btn-policy", FormStep.POLICIES, policy=policy)],
        [act("forms-btn-queue", FormStep.QUEUE, count=len(details.responsible_queue))],
        [
            button(
                check(form.consent_required, t.plain("forms-btn-consent")),
                FormAction(
                    action=FormStep.CONSENT, form_id=form_id, enabled=not form.consent_required
                ),
            ),
            ask_button("forms-btn-consent-text", "consent_text"),
        ],
        [
            ask_button("forms-btn-success", "success_text"),
            ask_button("forms-btn-redirect", "redirect_url"),
        ],
        [ask_button("forms-btn-origins", "allowed_origins")],
        key_row,
        [
            act("forms-btn-disable", FormStep.DISABLE)
            if details.is_active
            else act("forms-btn-enable", FormStep.ENABLE)
        ],
        back(t, SettingsMenu(screen=MenuScreen.FORMS, page=index // PAGE_SIZE)),
    ]
    return with_notice(notice, "\n".join(lines)), markup(rows)


def _held_count(details: FormDetails) -> int:
    """Posts an administrator may release or delete: spam and held over a rate limit."""
    return details.count(SubmissionStatus.SPAM) + details.count(SubmissionStatus.HELD)


def choice_screen(t: Translator, details: FormDetails, what: str) -> Screen:
    """The three schemes or the three duplicate policies, the current one ticked."""
    form_id = details.form.id
    step = FormStep.SCHEME if what == "scheme" else FormStep.POLICY
    if what == "scheme":
        values: Sequence[str] = [s.value for s in SCHEMES]
        current, labels = details.form.scheme, [f"forms-scheme-short-{v}" for v in values]
    else:
        values = [p.value for p in POLICIES]
        current, labels = details.dedup_policy, [f"forms-policy-btn-{v}" for v in values]
    rows = [
        [
            button(
                ("✓ " if value == current else "") + t.plain(label),
                FormAction(action=step, form_id=form_id, choice=index),
            )
        ]
        for index, (value, label) in enumerate(zip(values, labels, strict=True))
    ]
    rows.append(back(t, FormAction(action=FormStep.OPEN, form_id=form_id)))
    text = t(f"forms-{what}-choose", title=shorten(details.form.title, NAME_WIDTH))
    return text, markup(rows)


def queue_screen(
    t: Translator, details: FormDetails, members: Sequence[Staff], page: int
) -> Screen:
    """Active staff (and deactivated ones still queued, to take them out) as toggles."""
    queue = details.responsible_queue
    candidates = [m for m in members if m.is_active or m.id in queue]
    shown, page, pages = page_of(candidates, page)
    title = t("forms-queue-title", title=shorten(details.form.title, NAME_WIDTH))
    lines = [page_title(t, title, page, pages)]
    names = _queue_names(t, queue, {m.id: m for m in members})
    lines.append(t("forms-queue-order", names=Markup(joined(t, names))))
    form_id = details.form.id
    buttons = [
        button(
            check(m.id in queue, ("" if m.is_active else "⛔ ") + member_name(m)),
            FormAction(
                action=FormStep.TOGGLE_QUEUE,
                form_id=form_id,
                staff_id=m.id,
                enabled=m.id not in queue,
                page=page,
            ),
        )
        for m in shown
    ]
    rows = grid(buttons)
    rows += nav(
        t, page, pages, lambda p: FormAction(action=FormStep.QUEUE, form_id=form_id, page=p)
    )
    rows.append(back(t, FormAction(action=FormStep.OPEN, form_id=form_id)))
    return "\n".join(lines), markup(rows)


def _confirm(t: Translator, text: str, yes: str, data: FormAction) -> Screen:
    rows = [
        [button(t.plain(yes), data)],
        back(t, FormAction(action=FormStep.OPEN, form_id=data.form_id)),
    ]
    return text, markup(rows)


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
    await show(query, forms_screen(t, await definitions.form_details(actor), callback_data.page))


async def on_form(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    details, index = await definitions.form_by_id(actor, callback_data.form_id)
    await show(query, await _form_screen(actor, t, details, index, public_url))


async def on_choices(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    what = "scheme" if callback_data.action == FormStep.SCHEMES else "policy"
    await show(query, choice_screen(t, details, what))


async def on_choice(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    """Sets the scheme or the duplicate policy the button names."""
    if callback_data.action == FormStep.SCHEME:
        scheme = nth(SCHEMES, callback_data.choice)
        changes = {"scheme": scheme.value} if scheme is not None else None
    else:
        policy = nth(POLICIES, callback_data.choice)
        changes = {"dedup_policy": policy.value} if policy is not None else None
    if changes is None:
        await stale(query, t)
        return
    details, index = await _edit(actor, callback_data.form_id, changes)
    await show(query, await _form_screen(actor, t, details, index, public_url, t("forms-saved")))


async def on_queue(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    """The queue as toggles; a press puts the staff member at the end or takes them out."""
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    if callback_data.action == FormStep.TOGGLE_QUEUE:
        details = await definitions.set_queue_member(
            actor, details.slug, callback_data.staff_id, callback_data.enabled
        )
    members = await staff.staff_members(actor)
    await show(query, queue_screen(t, details, members, callback_data.page))


async def on_consent(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    public_url: str | None,
) -> None:
    """Requires consent or stops asking for it; requiring it without a text asks for one."""
    if callback_data.enabled:
        details, _ = await definitions.form_by_id(actor, callback_data.form_id)
        if not details.form.consent_text:
            await query.answer()
            prompt = t("forms-ask-consent_text-required")
            step = WebFormEditForm.value
            data = {"form_id": details.form.id, "setting": "consent_text", "require": True}
            await ask(query_message(query), state, step, prompt, **data)
            return
    changes = {"consent_required": callback_data.enabled}
    details, index = await _edit(actor, callback_data.form_id, changes)
    await show(query, await _form_screen(actor, t, details, index, public_url, t("forms-saved")))


# --- typed settings -------------------------------------------------------------------------


async def on_ask(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator, state: FSMContext
) -> None:
    setting = nth(TYPED_SETTINGS, callback_data.setting)
    if setting is None:
        await stale(query, t)
        return
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    await query.answer()
    message = query_message(query)
    prompt = t(f"forms-ask-{setting}", title=shorten(details.form.title, NAME_WIDTH))
    await state.set_state(WebFormEditForm.value)
    await state.update_data(settings={"form_id": details.form.id, "setting": setting})
    keyboard = None
    if setting in CLEARABLE:
        clear = FormAction(
            action=FormStep.CLEAR, form_id=details.form.id, setting=callback_data.setting
        )
        label = (
            "forms-btn-clear-redirect" if setting == "redirect_url" else "forms-btn-clear-origins"
        )
        keyboard = markup([[button(t.plain(label), clear)]])
    await message.answer(prompt, reply_markup=keyboard)


async def process_form_value(
    message: Message, actor: Actor, t: Translator, state: FSMContext, public_url: str | None
) -> None:
    """The typed value goes to the core as it is; a refusal keeps the question open."""
    data = await dialog_data(state)
    setting = str(data.get("setting") or "")
    if setting not in TYPED_SETTINGS:
        await finish(state)
        await message.answer(t("settings-outdated"))
        return
    changes: dict[str, Any] = {setting: typed_text(message)}
    if setting == "consent_text" and data.get("require"):
        changes["consent_required"] = True
    details, index = await _edit(actor, int(data.get("form_id") or 0), changes)
    await finish(state)
    text, keyboard = await _form_screen(actor, t, details, index, public_url, t("forms-saved"))
    await message.answer(text, reply_markup=keyboard)


async def on_clear(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    public_url: str | None,
) -> None:
    """No redirect, or no allowed origins: pressed under the question, which it closes."""
    setting = nth(TYPED_SETTINGS, callback_data.setting)
    if setting not in CLEARABLE:
        await stale(query, t)
        return
    details, index = await _edit(actor, callback_data.form_id, {setting: None})
    if await state.get_state() == WebFormEditForm.value.state:
        await finish(state)
    await show(query, await _form_screen(actor, t, details, index, public_url, t("forms-saved")))


# --- API key and active ---------------------------------------------------------------------


async def on_key(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    """A new random key, shown once (the core keeps its hash); replacing one asks first."""
    details, index = await definitions.form_by_id(actor, callback_data.form_id)
    if callback_data.action == FormStep.NEW_KEY and details.form.has_api_key:
        text = t("forms-key-replace-confirm", title=shorten(details.form.title, NAME_WIDTH))
        data = FormAction(action=FormStep.CONFIRM_NEW_KEY, form_id=details.form.id)
        await show(query, _confirm(t, text, "forms-btn-key-confirm", data))
        return
    details, key = await definitions.rotate_api_key(actor, details.form.id)
    notice = t("forms-key-new", key=key)
    await show(query, await _form_screen(actor, t, details, index, public_url, notice))


async def on_confirm(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    """Asks before removing the API key or disabling the form."""
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    title = shorten(details.form.title, NAME_WIDTH)
    form_id = details.form.id
    if callback_data.action == FormStep.REMOVE_KEY:
        text = t("forms-key-remove-confirm", title=title)
        screen = _confirm(
            t,
            text,
            "forms-btn-key-remove-confirm",
            FormAction(action=FormStep.CONFIRM_REMOVE_KEY, form_id=form_id),
        )
    else:
        text = t("forms-disable-confirm", title=title)
        screen = _confirm(
            t,
            text,
            "forms-btn-disable-confirm",
            FormAction(action=FormStep.CONFIRM_DISABLE, form_id=form_id),
        )
    await show(query, screen)


async def on_confirmed(
    query: CallbackQuery,
    callback_data: FormAction,
    actor: Actor,
    t: Translator,
    public_url: str | None,
) -> None:
    """Removes the API key, disables or enables the form."""
    if callback_data.action == FormStep.CONFIRM_DISABLE:
        details, index = await definitions.form_by_id(actor, callback_data.form_id)
        details = await definitions.disable_form(actor, details.slug)
        notice = t("forms-disabled")
    elif callback_data.action == FormStep.ENABLE:
        details, index = await _edit(actor, callback_data.form_id, {"is_active": True})
        notice = t("forms-enabled")
    else:
        details, index = await _edit(actor, callback_data.form_id, {"api_key": None})
        notice = t("forms-key-removed")
    await show(query, await _form_screen(actor, t, details, index, public_url, notice))


# --- a new form: address, then title --------------------------------------------------------


async def on_form_add(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    require_settings(actor)  # the core refuses before the questions, not after the answers
    await query.answer()
    await state.update_data(settings={})
    await ask(query_message(query), state, NewWebFormForm.slug, t("forms-slug-prompt"))


async def process_new_form_slug(
    message: Message, actor: Actor, t: Translator, state: FSMContext, public_url: str | None
) -> None:
    """The address is checked by the core's rule at once; whether it is free, on creation."""
    try:
        slug = check_slug(typed_text(message))
    except FieldError as exc:
        raise ValidationError({"slug": str(exc)}) from exc
    title = (await dialog_data(state)).get("title")
    if title:  # the address given first was taken: the title is already known
        await _create(message, actor, t, state, public_url, slug, str(title))
        return
    await ask(message, state, NewWebFormForm.title, t("forms-title-prompt"), slug=slug)


async def process_new_form_title(
    message: Message, actor: Actor, t: Translator, state: FSMContext, public_url: str | None
) -> None:
    slug = str((await dialog_data(state)).get("slug") or "")
    await _create(message, actor, t, state, public_url, slug, typed_text(message))


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
        details = await definitions.create_form(actor, {"slug": slug, "title": title})
    except ValidationError as exc:
        if "slug" not in exc.errors:
            raise  # a bad title: the question stays open (bot/errors.py shows why)
        await state.set_state(NewWebFormForm.slug)
        await state.update_data(settings={} if "title" in exc.errors else {"title": title})
        await message.answer(render.error(t, exc) + "\n\n" + t("forms-slug-again"))
        return
    await finish(state)
    _, index = await definitions.form_by_id(actor, details.form.id)
    notice = t("forms-created", title=shorten(details.form.title, NAME_WIDTH))
    text, keyboard = await _form_screen(actor, t, details, index, public_url, notice)
    await message.answer(text, reply_markup=keyboard)


def get_router() -> Router:
    router = Router(name="settings.forms")
    msg, cb = router.message, router.callback_query
    msg.register(process_new_form_slug, NewWebFormForm.slug, *TYPED)
    msg.register(process_new_form_title, NewWebFormForm.title, *TYPED)
    msg.register(process_form_value, WebFormEditForm.value, *TYPED)

    cb.register(on_forms, SettingsMenu.filter(F.screen == MenuScreen.FORMS))
    forms = FormAction.filter
    cb.register(on_form, forms(F.action == FormStep.OPEN))
    cb.register(on_form_add, forms(F.action == FormStep.ADD))
    cb.register(on_ask, forms(F.action == FormStep.ASK))
    cb.register(on_clear, forms(F.action == FormStep.CLEAR))
    cb.register(on_choices, forms(F.action.in_({FormStep.SCHEMES, FormStep.POLICIES})))
    cb.register(on_choice, forms(F.action.in_({FormStep.SCHEME, FormStep.POLICY})))
    cb.register(on_queue, forms(F.action.in_({FormStep.QUEUE, FormStep.TOGGLE_QUEUE})))
    cb.register(on_consent, forms(F.action == FormStep.CONSENT))
    cb.register(on_key, forms(F.action.in_({FormStep.NEW_KEY, FormStep.CONFIRM_NEW_KEY})))
    cb.register(on_confirm, forms(F.action.in_({FormStep.REMOVE_KEY, FormStep.DISABLE})))
    confirmed = {FormStep.CONFIRM_REMOVE_KEY, FormStep.CONFIRM_DISABLE, FormStep.ENABLE}
    cb.register(on_confirmed, forms(F.action.in_(confirmed)))
    return router
