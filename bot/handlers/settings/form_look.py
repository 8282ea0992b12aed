"""/settings → Web forms → a form: what visitors read and see. Its title, consent and thank-you
texts per language, and the look of its page (the company's name, accent colour and logo).

The form's screen opens these with FormAction (TEXTS, LOOK); the buttons here carry the form's
id and an index into FORM_TEXT_VERSIONS or BRAND_SETTINGS. Each change is one core use case
(`crm.webforms.definitions.set_form_text`, `set_brand`) that checks the settings right again.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.handlers.settings.dialog import TYPED, dialog_data, finish, show, stale, typed_text
from bot.handlers.settings.forms import TEXT_LIMIT, FormAction, FormStep
from bot.messages import query_message
from bot.render import shorten
from bot.ui import NAME_WIDTH, Screen, back, button, markup, nth, with_notice
from crm.actors import Actor
from crm.i18n import LANGUAGES, Translator
from crm.rules.webform_look import FORM_TEXTS
from crm.webforms import definitions
from crm.webforms.definitions import BRAND_SETTINGS, FormDetails

# Each text in each language, by index in the buttons: title EN, title FR, consent EN...
FORM_TEXT_VERSIONS = tuple((what, language) for what in FORM_TEXTS for language in LANGUAGES)


class FormLookStep(StrEnum):
    ASK_TEXT = "askt"  # FORM_TEXT_VERSIONS[`choice`]
    CLEAR_TEXT = "clrt"  # FORM_TEXT_VERSIONS[`choice`] (another language than the team's)
    ASK_BRAND = "askb"  # BRAND_SETTINGS[`choice`]
    CLEAR_BRAND = "clrb"  # BRAND_SETTINGS[`choice`]


class FormLookAction(CallbackData, prefix="wfl"):
    """A text or a brand setting of web form `form_id`."""

    action: FormLookStep
    form_id: int
    choice: int = 0


class FormLookForm(StatesGroup):
    value = State()  # the form and what is asked for are in the dialog data


# --- screens --------------------------------------------------------------------------------


def _version_line(t: Translator, details: FormDetails, what: str, language: str) -> str:
    """One text in one language: as written, else what that language's visitors read."""
    code = language.upper()
    written = details.form.text_in(what, language)
    if written:
        return t("forms-texts-line", language=code, text=shorten(written, TEXT_LIMIT))
    shown = getattr(details.form.in_language(language), what)
    if shown:
        key = "forms-texts-line-fallback"
        name = t.plain(f"forms-language-{language}")
        return t(key, language=code, name=name, text=shorten(shown, TEXT_LIMIT))
    return t("forms-texts-line-none", language=code)


def texts_screen(t: Translator, details: FormDetails, notice: str = "") -> Screen:
    """Each visitor-facing text in each language, with a button for each version."""
    form_id, team = details.form.id, definitions.default_language()
    lines = [
        t(
            "forms-texts-title",
            title=shorten(details.form.title, NAME_WIDTH),
            team=team.upper(),
        )
    ]
    rows = []
    for what in FORM_TEXTS:
        lines.append("")
        lines.append(t(f"forms-texts-heading-{what}"))
        lines += [_version_line(t, details, what, language) for language in LANGUAGES]
        rows.append(
            [
                button(
                    t.plain(f"forms-btn-text-{what}", language=language.upper()),
                    FormLookAction(
                        action=FormLookStep.ASK_TEXT,
                        form_id=form_id,
                        choice=FORM_TEXT_VERSIONS.index((what, language)),
                    ),
                )
                for language in LANGUAGES
            ]
        )
    rows.append(back(t, FormAction(action=FormStep.OPEN, form_id=form_id)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


def look_screen(t: Translator, details: FormDetails, notice: str = "") -> Screen:
    """The company's name, accent colour and logo on the form's page, a button for each."""
    form, form_id = details.form, details.form.id
    lines = [t("forms-look-title", title=shorten(form.title, NAME_WIDTH))]
    values = {"brand_name": form.brand_name, "accent_color": form.accent_color}
    values["logo_url"] = form.logo_url
    for setting in BRAND_SETTINGS:
        value = values[setting]
        if value:
            lines.append(t(f"forms-look-{setting}", value=shorten(value, TEXT_LIMIT)))
        else:
            lines.append(t(f"forms-look-{setting}-none"))
    rows = [
        [
            button(
                t.plain(f"forms-btn-{setting}"),
                FormLookAction(action=FormLookStep.ASK_BRAND, form_id=form_id, choice=index),
            )
        ]
        for index, setting in enumerate(BRAND_SETTINGS)
    ]
    rows.append(back(t, FormAction(action=FormStep.OPEN, form_id=form_id)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


# --- handlers -------------------------------------------------------------------------------


async def on_texts(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    await show(query, texts_screen(t, details))


async def on_look(
    query: CallbackQuery, callback_data: FormAction, actor: Actor, t: Translator
) -> None:
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    await show(query, look_screen(t, details))


async def on_ask(
    query: CallbackQuery,
    callback_data: FormLookAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Asks for one text in one language, or one brand setting; a version that may be
    removed (another language's text, a brand setting) gets a button that removes it."""
    asking_text = callback_data.action == FormLookStep.ASK_TEXT
    version = nth(FORM_TEXT_VERSIONS, callback_data.choice) if asking_text else None
    setting = None if asking_text else nth(BRAND_SETTINGS, callback_data.choice)
    if version is None and setting is None:
        await stale(query, t)
        return
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    await query.answer()
    title = shorten(details.form.title, NAME_WIDTH)
    clear = None
    if version is not None:
        what, language = version
        prompt = t(
            f"forms-ask-text-{what}",
            title=title,
            language=t.plain(f"forms-language-{language}"),
        )
        if language != definitions.default_language():
            clear = ("forms-btn-clear-text", FormLookStep.CLEAR_TEXT)
    else:
        prompt = t(f"forms-ask-{setting}", title=title)
        clear = (f"forms-btn-clear-{setting}", FormLookStep.CLEAR_BRAND)
    await state.set_state(FormLookForm.value)
    await state.update_data(
        settings={
            "form_id": details.form.id,
            "action": callback_data.action.value,
            "choice": callback_data.choice,
        }
    )
    keyboard = None
    if clear is not None:
        key, step = clear
        data = FormLookAction(action=step, form_id=details.form.id, choice=callback_data.choice)
        keyboard = markup([[button(t.plain(key), data)]])
    await query_message(query).answer(prompt, reply_markup=keyboard)


async def _change(
    actor: Actor, form_id: int, action: str, choice: int, value: str | None
) -> tuple[FormDetails, bool] | None:
    """Sends one text or brand setting to the core; the form and whether it was a text, or
    None when the button or dialog named nothing known."""
    details, _ = await definitions.form_by_id(actor, form_id)
    if action in (FormLookStep.ASK_TEXT, FormLookStep.CLEAR_TEXT):
        version = nth(FORM_TEXT_VERSIONS, choice)
        if version is None:
            return None
        what, language = version
        return await definitions.set_form_text(actor, details.slug, what, language, value), True
    setting = nth(BRAND_SETTINGS, choice)
    if setting is None:
        return None
    return await definitions.set_brand(actor, details.slug, **{setting: value}), False


def _screen(t: Translator, details: FormDetails, is_text: bool) -> Screen:
    screen = texts_screen if is_text else look_screen
    return screen(t, details, t("forms-saved"))


async def process_look_value(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The typed text goes to the core as it is; a refusal keeps the question open."""
    data = await dialog_data(state)
    changed = await _change(
        actor,
        int(data.get("form_id") or 0),
        str(data.get("action") or ""),
        int(data.get("choice", -1)),
        typed_text(message),
    )
    await finish(state)
    if changed is None:
        await message.answer(t("settings-outdated"))
        return
    text, keyboard = _screen(t, *changed)
    await message.answer(text, reply_markup=keyboard)


async def on_clear(
    query: CallbackQuery,
    callback_data: FormLookAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Removes a text's version or a brand setting: pressed under the question, which it
    closes."""
    changed = await _change(
        actor, callback_data.form_id, callback_data.action, callback_data.choice, None
    )
    if await state.get_state() == FormLookForm.value.state:
        await finish(state)
    if changed is None:
        await stale(query, t)
        return
    await show(query, _screen(t, *changed))


def get_router() -> Router:
    router = Router(name="settings.form_look")
    router.message.register(process_look_value, FormLookForm.value, *TYPED)
    cb = router.callback_query
    cb.register(on_texts, FormAction.filter(F.action == FormStep.TEXTS))
    cb.register(on_look, FormAction.filter(F.action == FormStep.LOOK))
    looks = FormLookAction.filter
    cb.register(on_ask, looks(F.action.in_({FormLookStep.ASK_TEXT, FormLookStep.ASK_BRAND})))
    cb.register(on_clear, looks(F.action.in_({FormLookStep.CLEAR_TEXT, FormLookStep.CLEAR_BRAND})))
    return router
