"""/settings → Web forms → Fields (F8): a form's fields in order; required, labels and
placeholders per language, input type, options, order; add and remove.

A field's buttons carry its position and a fingerprint of its input name: a button pressed
after someone else added, moved or removed fields answers "outdated" instead of editing
whatever field now sits at that position. Each change is one core use case that edits the
field by its name (`crm.webforms.definitions.update_form_field` and the others).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message

from bot.handlers.settings.dialog import TYPED, dialog_data, finish, show, typed_text
from bot.handlers.settings.forms import SUMMARY_LIMIT, FormAction, FormStep, summary
from bot.messages import edit_or_send, query_message
from bot.render import custom_label, shorten
from bot.ui import (
    NAME_WIDTH,
    SHORT_WIDTH,
    TEXT_WIDTH,
    Screen,
    back,
    button,
    check,
    grid,
    markup,
    nav,
    nth,
    page_of,
    page_title,
    with_notice,
)
from crm import customfields
from crm.actors import Actor
from crm.i18n import LANGUAGES, Catalogue, Markup, Translator
from crm.rules.fieldref import FieldRef
from crm.rules.webforms import CONTACT_TARGETS, FIELD_TYPES, MAX_FIELDS, TARGET_TYPES, FormField
from crm.webforms import definitions
from crm.webforms.definitions import DEFAULT_FIELDS, FormDetails

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import CustomField

# A field's typed texts, by index in the buttons: (what, language); placeholders and option
# labels clear (new entries go last: buttons already sent keep their meaning).
FIELD_TEXTS = (
    *(("label", language) for language in LANGUAGES),
    *(("placeholder", language) for language in LANGUAGES),
    ("options", ""),
    *(("option_labels", language) for language in LANGUAGES),
)
CLEARABLE_TEXTS = frozenset({"placeholder", "option_labels"})
# select: type + options
TEXT_KINDS = frozenset({"label", "placeholder", "options", "select", "option_labels"})
# Contact targets the core catalogue names already ("field-first_name"); the others are named
# in forms.ftl. "name" is there too: in French the core's "Nom" is also the last name.
CORE_NAMED_TARGETS = frozenset({"first_name", "last_name", "honorific", "position", "birthdate"})
FINGERPRINT_BYTES = 3  # 6 hex characters: a field's 32-character name would not fit in 64 bytes
# Telegram shows 4096 characters: 30 lines of about 125 stay below it with the notice.
LINE_WIDTH_FEW, LINE_WIDTH_MANY = 60, 30
FEW_FIELDS = MAX_FIELDS * 2 // 3


class FormFieldStep(StrEnum):
    LIST = "list"
    ADD = "add"  # what a new field may feed, at `page`
    NEW_FOR_TARGET = "newt"  # feeding CONTACT_TARGETS[`choice`]
    NEW_FOR_CUSTOM = "newc"  # feeding custom field `choice` (its id)
    NEW_FOR_NOTHING = "newn"
    OPEN = "open"
    REQUIRED = "req"  # set to `required`
    UP = "up"
    DOWN = "down"
    TYPES = "types"
    TYPE = "type"  # FIELD_TYPES[`choice`]
    ASK = "ask"  # for FIELD_TEXTS[`choice`]
    CLEAR = "clear"  # FIELD_TEXTS[`choice`] (a placeholder)
    REMOVE = "del"
    CONFIRM_REMOVE = "delok"


MOVES = {FormFieldStep.UP: -1, FormFieldStep.DOWN: 1}


class FormFieldAction(CallbackData, prefix="wff"):
    """The fields of web form `form_id`; a field's buttons name it by `position` and the
    `fingerprint` of its input name."""

    action: FormFieldStep
    form_id: int
    position: int = 0
    fingerprint: str = ""
    choice: int = 0
    required: bool = False
    page: int = 0


class WebFormFieldForm(StatesGroup):
    value = State()  # the form, the field (position and name) and the text are in the dialog


# --- fields: screens ------------------------------------------------------------------------


def fingerprint(name: str) -> str:
    """A short digest of a field's input name for its buttons (a name may take 32 of the 64
    bytes, and the position alone would point at another field once the list changed)."""
    return hashlib.blake2s(name.encode(), digest_size=FINGERPRINT_BYTES).hexdigest()


def _field_action(
    step: FormFieldStep,
    form_id: int,
    index: int,
    field: FormField,
    choice: int = 0,
    required: bool = False,
) -> FormFieldAction:
    return FormFieldAction(
        action=step,
        form_id=form_id,
        position=index,
        fingerprint=fingerprint(field.name),
        choice=choice,
        required=required,
    )


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
    code = ref.code if (ref := FieldRef.from_data_key(target)) else target
    definition = custom.get(code)
    if definition is None:  # deleted since: the core refuses the list until it goes
        return t("forms-feeds-custom-gone", code=shorten(code, SHORT_WIDTH))
    return t("forms-feeds-custom", label=shorten(custom_label(definition, t.language), SHORT_WIDTH))


def _field_title(t: Translator, field: FormField, limit: int = NAME_WIDTH) -> str:
    return shorten(field.label_in(t.language), limit)


def fields_screen(
    t: Translator, details: FormDetails, custom: Mapping[str, CustomField], notice: str = ""
) -> Screen:
    """A form's fields in order, one button each, and "Add a field" while there is room."""
    form, form_id = details.form, details.form.id
    lines = [t("forms-fields-title", title=shorten(form.title, NAME_WIDTH))]
    width = LINE_WIDTH_FEW if len(form.fields) <= FEW_FIELDS else LINE_WIDTH_MANY
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
        button(
            f"{index + 1}. {field.label_in(t.language)}" + ("*" if field.required else ""),
            _field_action(FormFieldStep.OPEN, form_id, index, field),
        )
        for index, field in enumerate(form.fields)
    ]
    rows = grid(buttons)  # at most MAX_FIELDS (30) buttons
    if len(form.fields) < MAX_FIELDS:
        rows.append(
            [
                button(
                    t.plain("forms-btn-field-add"),
                    FormFieldAction(action=FormFieldStep.ADD, form_id=form_id),
                )
            ]
        )
    rows.append(back(t, FormAction(action=FormStep.OPEN, form_id=form_id)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


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
            title=shorten(form.title, NAME_WIDTH),
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
                lines.append(
                    t(f"forms-field-{what}", language=code, text=shorten(text, TEXT_WIDTH))
                )
            else:
                lines.append(t(f"forms-field-{what}-none", language=code))
    lines.append(t("forms-field-required", required=field.required))
    lines.append(t("forms-field-feeds", feeds=Markup(_feeds(t, field, custom))))
    if field.type == "select":
        lines.append(t("forms-field-options", options=Markup(summary(t, field.options))))
        lines += [_option_labels_line(t, field, language) for language in _other_languages()]

    def act(step: FormFieldStep, choice: int = 0, required: bool = False) -> FormFieldAction:
        return _field_action(step, form_id, index, field, choice, required)

    def ask_button(key: str, what: str, language: str) -> InlineKeyboardButton:
        label = t.plain(key, language=language.upper())
        return button(label, act(FormFieldStep.ASK, FIELD_TEXTS.index((what, language))))

    required = check(field.required, t.plain("forms-btn-field-required"))
    rows = [
        [button(required, act(FormFieldStep.REQUIRED, required=not field.required))],
        [ask_button("forms-btn-field-label", "label", language) for language in LANGUAGES],
        [
            ask_button("forms-btn-field-placeholder", "placeholder", language)
            for language in LANGUAGES
        ],
    ]
    if len(_types_for(field.maps_to)) > 1:
        label = t.plain("forms-btn-field-type", type=_type_label(t, field.type))
        rows.append([button(label, act(FormFieldStep.TYPES))])
    if field.type == "select":
        rows.append([ask_button("forms-btn-field-options", "options", "")])
        rows.append(
            [
                ask_button("forms-btn-field-option-labels", "option_labels", language)
                for language in _other_languages()
            ]
        )
    moves = []
    if index > 0:
        moves.append(button(t.plain("forms-btn-field-up"), act(FormFieldStep.UP)))
    if index < len(form.fields) - 1:
        moves.append(button(t.plain("forms-btn-field-down"), act(FormFieldStep.DOWN)))
    rows.append(moves)
    rows.append([button(t.plain("forms-btn-field-remove"), act(FormFieldStep.REMOVE))])
    rows.append(back(t, FormFieldAction(action=FormFieldStep.LIST, form_id=form_id)))
    return with_notice(notice, "\n".join(lines)), markup(rows)


def _other_languages() -> list[str]:
    """The languages a choice list's options may be labelled in: the team's language reads
    the options as they are written."""
    return [language for language in LANGUAGES if language != definitions.default_language()]


def _option_labels_line(t: Translator, field: FormField, language: str) -> str:
    labels = field.option_labels.get(language)
    code = language.upper()
    if labels:
        return t("forms-field-option-labels", language=code, options=Markup(summary(t, labels)))
    name = t.plain(f"forms-language-{language}")
    return t("forms-field-option-labels-none", language=code, name=name)


def field_types_screen(t: Translator, details: FormDetails, index: int) -> Screen:
    """The input types the field may take, the current one ticked."""
    form_id, field = details.form.id, details.form.fields[index]
    rows = [
        [
            button(
                ("✓ " if kind == field.type else "") + _type_label(t, kind),
                _field_action(FormFieldStep.TYPE, form_id, index, field, FIELD_TYPES.index(kind)),
            )
        ]
        for kind in _types_for(field.maps_to)
    ]
    rows.append(back(t, _field_action(FormFieldStep.OPEN, form_id, index, field)))
    return t("forms-field-type-choose", label=_field_title(t, field)), markup(rows)


def field_remove_screen(t: Translator, details: FormDetails, index: int) -> Screen:
    form_id, field = details.form.id, details.form.fields[index]
    text = t(
        "forms-field-remove-confirm",
        label=_field_title(t, field),
        title=shorten(details.form.title, NAME_WIDTH),
    )
    rows = [
        [
            button(
                t.plain("forms-btn-field-remove-confirm"),
                _field_action(FormFieldStep.CONFIRM_REMOVE, form_id, index, field),
            )
        ],
        back(t, _field_action(FormFieldStep.OPEN, form_id, index, field)),
    ]
    return text, markup(rows)


def field_add_screen(
    t: Translator, details: FormDetails, custom: Sequence[CustomField], page: int
) -> Screen:
    """What a new field may feed: the contact fields and active custom fields the form does
    not feed yet, or nothing."""
    form_id = details.form.id
    used = {field.maps_to for field in details.form.fields if field.maps_to}
    choices = [
        button(
            _target_label(t, target),
            FormFieldAction(action=FormFieldStep.NEW_FOR_TARGET, form_id=form_id, choice=index),
        )
        for index, target in enumerate(CONTACT_TARGETS)
        if target not in used
    ]
    choices += [
        button(
            "🧩 " + custom_label(definition, t.language),
            FormFieldAction(
                action=FormFieldStep.NEW_FOR_CUSTOM, form_id=form_id, choice=definition.id
            ),
        )
        for definition in custom
        if FieldRef(definition.code).data_key not in used
    ]
    shown, page, pages = page_of(choices, page)
    nothing = FormFieldAction(action=FormFieldStep.NEW_FOR_NOTHING, form_id=form_id)
    rows = [[button(t.plain("forms-btn-field-nothing"), nothing)], *grid(shown)]
    rows += nav(
        t, page, pages, lambda p: FormFieldAction(action=FormFieldStep.ADD, form_id=form_id, page=p)
    )
    rows.append(back(t, FormFieldAction(action=FormFieldStep.LIST, form_id=form_id)))
    title = t("forms-field-add-choose", title=shorten(details.form.title, NAME_WIDTH))
    return page_title(t, title, page, pages), markup(rows)


# --- fields: what a "new field" button asks for ---------------------------------------------


async def _add_field(
    actor: Actor, catalogue: Catalogue, details: FormDetails, data: FormFieldAction
) -> FormDetails | None:
    """Adds the field a "new" button asks for; None when its target is gone or fed meanwhile."""
    fields = details.form.fields
    used = {field.maps_to for field in fields if field.maps_to}
    languages = catalogue.each_language()
    form_id = details.form.id
    if data.action == FormFieldStep.NEW_FOR_TARGET:
        target = nth(CONTACT_TARGETS, data.choice)
        if target is None or target in used:
            return None
        # The standard fields' wording where there is one ("Name" / "Nom"), else the catalogue's.
        standard = [f.label for f in DEFAULT_FIELDS if f.maps_to == target]
        label = {lang: _target_label(tr, target) for lang, tr in languages.items()}
        return await definitions.add_form_field(
            actor, form_id, standard[0] if standard else label, target
        )
    if data.action == FormFieldStep.NEW_FOR_CUSTOM:
        custom = {f.id: f for f in await customfields.list_fields(actor)}
        definition = custom.get(data.choice)
        target = FieldRef(definition.code).data_key if definition else None
        if definition is None or target in used:
            return None
        label = {lang: custom_label(definition, lang) for lang in LANGUAGES}
        return await definitions.add_form_field(actor, form_id, label, target)
    number = definitions.next_answer_number([field.name for field in fields])
    label = {
        lang: tr.plain("forms-field-new-label", number=number) for lang, tr in languages.items()
    }
    return await definitions.add_form_field(actor, form_id, label, name=f"answer_{number}")


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
    details, _ = await definitions.form_by_id(actor, data.form_id)
    field = nth(details.form.fields, data.position)
    if field is None or fingerprint(field.name) != data.fingerprint:
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
    await show(query, await _field_screen(actor, t, details, index, t("forms-saved")))


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
        options=shorten(", ".join(field.options), SUMMARY_LIMIT),
    )
    dialog = {"form_id": details.form.id, "index": index, "name": field.name}
    await state.set_state(WebFormFieldForm.value)
    await state.update_data(settings={**dialog, "what": what, "language": language})
    keyboard = None
    if what in CLEARABLE_TEXTS:
        text_index = FIELD_TEXTS.index((what, language))
        clear = _field_action(FormFieldStep.CLEAR, details.form.id, index, field, text_index)
        key = f"forms-btn-field-clear-{what.replace('_', '-')}"
        keyboard = markup([[button(t.plain(key), clear)]])
    await message.answer(prompt, reply_markup=keyboard)


# --- fields: handlers -----------------------------------------------------------------------


async def on_fields(
    query: CallbackQuery,
    callback_data: FormAction | FormFieldAction,
    actor: Actor,
    t: Translator,
) -> None:
    """A form's fields: from the form's screen (FormAction) or back from a field's."""
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    await show(query, await _fields_screen(actor, t, details))


async def on_field(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    await show(query, await _field_screen(actor, t, details, callback_data.position))


async def on_field_change(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    """Required on or off, or one place up or down."""
    details, field = await _pressed(actor, callback_data)
    fields, index = details.form.fields, callback_data.position
    other = index + MOVES.get(callback_data.action, 0)
    if field is None or nth(fields, other) is None:
        await _outdated(query, actor, t, details)
        return
    form_id = details.form.id
    if callback_data.action == FormFieldStep.REQUIRED:
        details = await definitions.update_form_field(
            actor, form_id, field.name, required=callback_data.required
        )
    else:
        details = await definitions.move_form_field(actor, form_id, field.name, other - index)
    await _saved(query, actor, t, details, other)


async def on_field_types(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    await show(query, field_types_screen(t, details, callback_data.position))


async def on_field_type(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """Sets the type; a field becoming a choice list is asked for its options first."""
    details, field = await _pressed(actor, callback_data)
    kind = nth(FIELD_TYPES, callback_data.choice)
    if field is None or kind not in _types_for(field.maps_to):
        await _outdated(query, actor, t, details)
        return
    if kind == "select" and field.type != "select":
        await query.answer()
        await _ask_text(
            query_message(query), t, state, details, callback_data.position, "select", ""
        )
        return
    details = await definitions.update_form_field(
        actor, details.form.id, field.name, field_type=kind
    )
    await _saved(query, actor, t, details, callback_data.position)


async def on_field_ask(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    details, field = await _pressed(actor, callback_data)
    text = nth(FIELD_TEXTS, callback_data.choice)
    if field is None or text is None:
        await _outdated(query, actor, t, details)
        return
    await query.answer()
    await _ask_text(query_message(query), t, state, details, callback_data.position, *text)


async def process_field_text(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    """The typed text goes to the core with the field it was asked for; a refusal keeps the
    question open, a field moved or removed meanwhile closes it."""
    data = await dialog_data(state)
    details, _ = await definitions.form_by_id(actor, int(data.get("form_id") or 0))
    index = int(data.get("index", -1))
    field = nth(details.form.fields, index)
    what = str(data.get("what") or "")
    if field is None or field.name != data.get("name") or what not in TEXT_KINDS:
        await finish(state)
        text, keyboard = await _fields_screen(actor, t, details, t("forms-fields-outdated"))
        await message.answer(text, reply_markup=keyboard)
        return
    text, form_id = typed_text(message), details.form.id
    if what in ("options", "select"):
        # "select" is a field becoming a choice list: its type and options in one change.
        kind = "select" if what == "select" else None
        options = _typed_options(text)
        details = await definitions.update_form_field(
            actor, form_id, field.name, field_type=kind, options=options
        )
    elif what == "option_labels":
        labels = {str(data.get("language") or ""): _typed_options(text)}
        details = await definitions.update_form_field(
            actor, form_id, field.name, option_labels=labels
        )
    else:
        texts = {str(data.get("language") or ""): text}
        if what == "label":
            details = await definitions.update_form_field(actor, form_id, field.name, label=texts)
        else:
            details = await definitions.update_form_field(
                actor, form_id, field.name, placeholder=texts
            )
    await finish(state)
    text, keyboard = await _field_screen(actor, t, details, index, t("forms-saved"))
    await message.answer(text, reply_markup=keyboard)


async def on_field_clear(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    state: FSMContext,
) -> None:
    """No placeholder or option labels in one language: pressed under the question, which
    it closes."""
    if await state.get_state() == WebFormFieldForm.value.state:
        await finish(state)
    details, field = await _pressed(actor, callback_data)
    what, language = nth(FIELD_TEXTS, callback_data.choice) or ("", "")
    if field is None or what not in CLEARABLE_TEXTS:
        await _outdated(query, actor, t, details)
        return
    if what == "placeholder":
        details = await definitions.update_form_field(
            actor, details.form.id, field.name, placeholder={language: None}
        )
    else:
        details = await definitions.update_form_field(
            actor, details.form.id, field.name, option_labels={language: None}
        )
    await _saved(query, actor, t, details, callback_data.position)


async def on_field_remove(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    await show(query, field_remove_screen(t, details, callback_data.position))


async def on_field_removed(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    """Removes the field; the core refuses to remove the only one that feeds the name."""
    details, field = await _pressed(actor, callback_data)
    if field is None:
        await _outdated(query, actor, t, details)
        return
    details = await definitions.remove_form_field(actor, details.form.id, field.name)
    notice = t("forms-field-removed", label=_field_title(t, field))
    await show(query, await _fields_screen(actor, t, details, notice))


async def on_field_add(
    query: CallbackQuery, callback_data: FormFieldAction, actor: Actor, t: Translator
) -> None:
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    custom = await customfields.list_fields(actor)
    await show(query, field_add_screen(t, details, custom, callback_data.page))


async def on_field_new(
    query: CallbackQuery,
    callback_data: FormFieldAction,
    actor: Actor,
    t: Translator,
    catalogue: Catalogue,
) -> None:
    """Adds the field at the end and shows it, to be adjusted."""
    details, _ = await definitions.form_by_id(actor, callback_data.form_id)
    added = await _add_field(actor, catalogue, details, callback_data)
    if added is None:
        await _outdated(query, actor, t, details)
        return
    index = len(added.form.fields) - 1
    screen = await _field_screen(actor, t, added, index, t("forms-field-added"))
    await show(query, screen)


def get_router() -> Router:
    router = Router(name="settings.form_fields")
    router.message.register(process_field_text, WebFormFieldForm.value, *TYPED)
    cb = router.callback_query
    # The form screen's "Fields" button and the field screens' Back both list the fields.
    cb.register(on_fields, FormAction.filter(F.action == FormStep.FIELDS))
    fields = FormFieldAction.filter
    cb.register(on_fields, fields(F.action == FormFieldStep.LIST))
    cb.register(on_field, fields(F.action == FormFieldStep.OPEN))
    changes = {FormFieldStep.REQUIRED, FormFieldStep.UP, FormFieldStep.DOWN}
    cb.register(on_field_change, fields(F.action.in_(changes)))
    cb.register(on_field_types, fields(F.action == FormFieldStep.TYPES))
    cb.register(on_field_type, fields(F.action == FormFieldStep.TYPE))
    cb.register(on_field_ask, fields(F.action == FormFieldStep.ASK))
    cb.register(on_field_clear, fields(F.action == FormFieldStep.CLEAR))
    cb.register(on_field_remove, fields(F.action == FormFieldStep.REMOVE))
    cb.register(on_field_removed, fields(F.action == FormFieldStep.CONFIRM_REMOVE))
    cb.register(on_field_add, fields(F.action == FormFieldStep.ADD))
    new = {
        FormFieldStep.NEW_FOR_TARGET,
        FormFieldStep.NEW_FOR_CUSTOM,
        FormFieldStep.NEW_FOR_NOTHING,
    }
    cb.register(on_field_new, fields(F.action.in_(new)))
    return router
