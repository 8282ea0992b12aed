"""Web form definitions (F8): the forms administrators make and visitors see.

A form has a slug (its address), fields mapped to contact fields, a scheme (contact, deal or
quote), a duplicate policy, a responsible queue, consent and success texts, allowed origins and
an optional API key (stored hashed). Checks of the settings are pure rules in
`crm.rules.webforms`; these use cases add the settings right, the database and history.
"""

import itertools
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from crm import config, history
from crm.actors import Actor
from crm.db import utcnow
from crm.errors import NotFoundError, ValidationError
from crm.i18n import LANGUAGES
from crm.permissions import require_settings
from crm.rules.codes import moved
from crm.rules.fieldref import FieldRef
from crm.rules.webform_look import FORM_TEXTS, merged_translations
from crm.rules.webforms import (
    FIELD_TYPES,
    RESERVED_NAMES,
    SLUG,
    TARGET_TYPES,
    FormField,
    api_key_matches,
    check_consistency,
    check_definition,
)
from models import CustomField, FormSubmission, Staff, WebForm
from models.enums import DedupPolicy, FormScheme, HistoryKind, SubmissionStatus

DEFAULT_SLUG = "contact"
ENTITY = "web_form"
BRAND_SETTINGS = ("brand_name", "accent_color", "logo_url")

DEFAULT_FIELDS = (
    FormField("name", "text", {"en": "Name", "fr": "Nom"}, required=True, maps_to="name"),
    FormField("phone", "tel", {"en": "Phone", "fr": "Téléphone"}, maps_to="phone"),
    FormField("email", "email", {"en": "E-mail", "fr": "E-mail"}, maps_to="email"),
    FormField("message", "textarea", {"en": "Message", "fr": "Message"}, maps_to="message"),
)
DEFAULT_TEXTS = {
    "en": {
        "title": "Contact us",
        "consent": "I agree that the data I enter here is used to answer my request.",
        "success": "Thank you! We will get back to you soon.",
    },
    "fr": {
        "title": "Contactez-nous",
        "consent": (
            "J'accepte que les données saisies ici soient utilisées pour répondre à ma demande."
        ),
        "success": "Merci ! Nous revenons vers vous très vite.",
    },
}
# PublicForm attributes holding a stock text, and their key in DEFAULT_TEXTS.
STOCK_TEXTS = (("title", "title"), ("consent_text", "consent"), ("success_text", "success"))
_STOCK_VALUES = {key: {texts[key] for texts in DEFAULT_TEXTS.values()} for _, key in STOCK_TEXTS}


@dataclass(frozen=True, slots=True)
class PublicForm:
    """What the adapter needs to render and accept a form (no secrets)."""

    id: int
    slug: str
    title: str
    fields: list[FormField]
    scheme: str
    consent_text: str | None
    consent_required: bool
    success_text: str | None
    redirect_url: str | None
    allowed_origins: list[str]
    has_api_key: bool
    is_active: bool = True
    # The texts in other languages than the team's: {"fr": {"title": ..., ...}}.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    brand_name: str | None = None
    accent_color: str | None = None  # #rrggbb
    logo_url: str | None = None  # https only

    def in_language(self, language: str) -> "PublicForm":
        """The form as a visitor reading `language` sees it: each title, consent or success
        text in their language when the form has that version (a translation an
        administrator wrote, or a stock text nobody changed, made in the team's language),
        else the team's; each field's label and placeholder likewise. A form without a
        consent text has no consent box, whatever its translations say."""
        written = self.translations.get(language) or {}
        stock = DEFAULT_TEXTS.get(language)
        changes: dict[str, Any] = {}
        for attribute, key in STOCK_TEXTS:
            value = getattr(self, attribute)
            translated = written.get(attribute)
            if translated and (value is not None or attribute == "success_text"):
                changes[attribute] = translated
            elif stock and value is not None and value in _STOCK_VALUES[key] - {stock[key]}:
                changes[attribute] = stock[key]
        fields = [f.in_language(language, default_language()) for f in self.fields]
        if any(new is not old for new, old in zip(fields, self.fields, strict=True)):
            changes["fields"] = fields
        return replace(self, **changes) if changes else self

    def text_in(self, what: str, language: str) -> str | None:
        """The version of `what` (title, consent_text, success_text) an administrator gave in
        `language`: a translation, or the form's own text for the team's language."""
        if language == default_language():
            return getattr(self, what)
        return (self.translations.get(language) or {}).get(what)


@dataclass(frozen=True, slots=True)
class FormDetails:
    """A form as administrators see it: every setting (the API key only as 'has one') and how
    many submissions it received, by outcome (a spam post is not a lead)."""

    form: PublicForm
    dedup_policy: str
    responsible_queue: list[int]
    is_active: bool
    outcomes: Mapping[str, int] = field(default_factory=dict)  # status value -> submissions

    @property
    def submissions(self) -> int:
        """Every post stored, whatever became of it (spam and rejected included)."""
        return sum(self.outcomes.values())

    @property
    def leads(self) -> int:
        """Posts that reached a contact: created or merged into a known one."""
        return self.count(SubmissionStatus.CREATED) + self.count(SubmissionStatus.MERGED)

    def count(self, status: SubmissionStatus) -> int:
        return self.outcomes.get(status.value, 0)

    @property
    def slug(self) -> str:
        return self.form.slug


def _public(form: WebForm) -> PublicForm:
    return PublicForm(
        id=form.id,
        slug=form.slug,
        title=form.title,
        fields=[FormField.from_spec(spec) for spec in form.fields_spec],
        scheme=FormScheme(form.scheme).value,
        consent_text=form.consent_text,
        consent_required=form.consent_required,
        success_text=form.success_text,
        redirect_url=form.redirect_url,
        allowed_origins=list(form.allowed_origins or []),
        has_api_key=form.api_key_hash is not None,
        is_active=form.is_active,
        translations={
            language: dict(texts) for language, texts in (form.translations or {}).items()
        },
        brand_name=form.brand_name,
        accent_color=form.accent_color,
        logo_url=form.logo_url,
    )


def _details(form: WebForm, outcomes: Mapping[str, int] | None = None) -> FormDetails:
    return FormDetails(
        form=_public(form),
        dedup_policy=DedupPolicy(form.dedup_policy).value,
        responsible_queue=list(form.responsible_queue or []),
        is_active=form.is_active,
        outcomes=dict(outcomes or {}),
    )


async def _load(slug: str) -> WebForm:
    form = (
        await WebForm.get_or_none(slug=slug) if isinstance(slug, str) and SLUG.match(slug) else None
    )
    if form is None:
        raise NotFoundError(f"form '{slug}' does not exist")
    return form


async def load_active_form(slug: str) -> WebForm:
    """The row of an active form (what a submission is processed against); raises
    NotFoundError for an unknown or disabled one."""
    form = await _load(slug)
    if not form.is_active:
        raise NotFoundError(f"form '{slug}' does not exist")
    return form


async def get_public_form(slug: str) -> PublicForm:
    """An active form by slug; raises NotFoundError."""
    return _public(await load_active_form(slug))


async def verify_api_key(slug: str, key: str | None) -> bool:
    """Whether `key` is the API key of the active form `slug` (compared in constant time).

    False for an unknown or disabled form, or a form without a key.
    """
    try:
        form = await get_public_form(slug)
    except NotFoundError:
        api_key_matches(key, None)  # the same work either way
        return False
    stored = await WebForm.filter(id=form.id).first().values_list("api_key_hash", flat=True)
    return api_key_matches(key, stored)


def default_language() -> str:
    """The team's language if the stock texts exist in it, else English: new forms' texts
    and the lead alerts of staff who chose no language are in it."""
    language = config.current().default_language
    return language if language in DEFAULT_TEXTS else "en"


def _defaults() -> dict[str, Any]:
    """A new form's settings: the contact form's fields, consent required with a standard
    text in the team's language, duplicates merged."""
    texts = DEFAULT_TEXTS[default_language()]
    return {
        "fields_spec": [f.to_spec() for f in DEFAULT_FIELDS],
        "scheme": FormScheme.CONTACT.value,
        "dedup_policy": DedupPolicy.MERGE.value,
        "responsible_queue": [],
        "consent_required": True,
        "consent_text": texts["consent"],
        "success_text": texts["success"],
        "redirect_url": None,
        "allowed_origins": [],
        "api_key_hash": None,
        "is_active": True,
        "translations": {},
        "brand_name": None,
        "accent_color": None,
        "logo_url": None,
    }


async def _check_references(values: Mapping[str, Any]) -> None:
    """Queue staff exist; custom fields fed by the form exist and are active."""
    errors: dict[str, str] = {}
    queue = values.get("responsible_queue") or []
    if queue:
        known = set(await Staff.filter(id__in=queue).values_list("id", flat=True))
        missing = [str(i) for i in queue if i not in known]
        if missing:
            errors["responsible_queue"] = f"staff #{', #'.join(missing)} do not exist"
    refs = [FieldRef.from_data_key(spec.get("maps_to")) for spec in values.get("fields_spec") or []]
    codes = {ref.code for ref in refs if ref}
    if codes:
        known_codes = set(
            await CustomField.filter(code__in=sorted(codes), is_active=True).values_list(
                "code", flat=True
            )
        )
        for index, ref in enumerate(refs):
            if ref and ref.code not in known_codes:
                errors[f"fields.{index}"] = f"custom field '{ref.code}' does not exist"
    if errors:
        raise ValidationError(errors)


def _audit_value(name: str, value: Any) -> Any:
    if name == "api_key_hash":
        return "set" if value else None  # never the hash itself
    if name == "fields_spec":
        return ", ".join(f"{s['name']} ({s['type']})" for s in value or [])
    if name == "translations":
        return "; ".join(
            f"{language} {what}: {text}"
            for language, texts in sorted((value or {}).items())
            for what, text in texts.items()
        )
    return value


def _team_texts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The settings with the texts given for the team's language among `translations` moved
    to the form's own texts (checked as those are: a title is required...), unless those are
    given too. A version of the team's language kept as a translation (written before the
    team's language changed) goes when the form's own text is set: it would hide it from that
    language's visitors. Bad shapes are left for `check_definition` to name."""
    team = default_language()
    translations = data.get("translations")
    if translations is not None and not isinstance(translations, Mapping):
        return data
    translations = dict(translations or {})
    given = translations.get(team)
    if given is not None and not isinstance(given, Mapping):
        return data
    given = given or {}
    own = {what: text for what, text in given.items() if what in FORM_TEXTS}
    moved = {**own, **{name: value for name, value in data.items() if name != "translations"}}
    texts = [what for what in FORM_TEXTS if what in moved]
    if not texts and not translations:
        return data
    rest = {what: text for what, text in given.items() if what not in FORM_TEXTS}
    translations[team] = {**rest, **dict.fromkeys(texts)}  # unknown texts: named by the check
    return {**moved, "translations": translations}


async def create_form(actor: Actor, data: Mapping[str, Any]) -> FormDetails:
    """Create a form from its settings (see `crm.rules.webforms.SETTINGS`); what is not given
    takes the contact form's defaults.

    Raises PermissionDeniedError (settings right) or ValidationError (a taken slug included).
    """
    require_settings(actor)
    values, errors = check_definition(_team_texts(data), creating=True)
    if "translations" in values:
        values["translations"] = merged_translations({}, values["translations"])
    if "consent_required" in values and not values["consent_required"]:
        values.setdefault("consent_text", None)
    final = {**_defaults(), **values}
    errors.update(check_consistency(final))
    if errors:
        raise ValidationError(errors)
    await _check_references(final)
    if await WebForm.exists(slug=final["slug"]):
        raise ValidationError({"slug": f"'{final['slug']}' is already used by another form"})
    try:
        async with in_transaction():
            form = await WebForm.create(**final)
            await history.record(actor, ENTITY, form.id, HistoryKind.CREATED, after=form.slug)
    except IntegrityError as exc:  # the same slug created at the same moment
        raise ValidationError(
            {"slug": f"'{final['slug']}' is already used by another form"}
        ) from exc
    return _details(form)


async def edit_form(actor: Actor, slug: str, changes: Mapping[str, Any]) -> FormDetails:
    """Change some settings of a form (its slug stays: it is the form's address).

    Raises PermissionDeniedError, NotFoundError or ValidationError; changes are audited.
    """
    require_settings(actor)
    form = await _load(slug)
    values, errors = check_definition(_team_texts(changes), creating=False)
    current = {name: getattr(form, name) for name in ("title", *_defaults())}
    if "translations" in values:
        values["translations"] = merged_translations(
            current["translations"] or {}, values["translations"]
        )
    final = {**current, **values}
    errors.update(check_consistency(final))
    if errors:
        raise ValidationError(errors)
    await _check_references(values)
    diff = {
        name: (current[name], value) for name, value in values.items() if current[name] != value
    }
    if diff:
        async with in_transaction():
            await WebForm.filter(id=form.id).update(
                **{name: new for name, (_, new) in diff.items()}, updated_at=utcnow()
            )
            await history.record_changes(
                actor,
                ENTITY,
                form.id,
                {
                    name: (_audit_value(name, old), _audit_value(name, new))
                    for name, (old, new) in diff.items()
                },
            )
    return await get_form(actor, slug)


async def set_form_text(
    actor: Actor, slug: str, what: str, language: str, text: str | None
) -> FormDetails:
    """Set one visitor-facing text (title, consent_text, success_text) in one language, or
    clear that version (`text` None or empty): the team's language is the form's own text
    (a title cannot be cleared, nor a consent text while consent is required), another
    language a translation (cleared, visitors reading it see the team's text).

    Raises PermissionDeniedError, NotFoundError or ValidationError (keyed by the text's name
    for the team's language, `translations` for another, `language` for an unknown one).
    """
    require_settings(actor)
    if language not in LANGUAGES:
        raise ValidationError({"language": f"must be one of {', '.join(LANGUAGES)}"})
    if what not in FORM_TEXTS:
        raise ValidationError({"text": f"must be one of {', '.join(FORM_TEXTS)}"})
    return await edit_form(actor, slug, {"translations": {language: {what: text}}})


async def set_brand(actor: Actor, slug: str, **brand: str | None) -> FormDetails:
    """Set or clear (None) the company's name, accent colour (#rrggbb) or logo URL (https) on
    a form's page. Raises PermissionDeniedError, NotFoundError or ValidationError."""
    unknown = set(brand) - set(BRAND_SETTINGS)
    if unknown:
        raise ValidationError({name: "is not a brand setting" for name in sorted(unknown)})
    return await edit_form(actor, slug, brand)


async def disable_form(actor: Actor, slug: str) -> FormDetails:
    """Stop a form from being served and accepting posts (its submissions stay)."""
    return await edit_form(actor, slug, {"is_active": False})


async def set_queue_member(actor: Actor, slug: str, staff_id: int, queued: bool) -> FormDetails:
    """Put a staff member at the end of a form's responsible queue (one already there keeps
    their place), or take them out. The form's row is locked while the queue changes, so two
    admins toggling at once both keep their change. Checked and audited as `edit_form`."""
    require_settings(actor)
    async with in_transaction():
        # Locked on PostgreSQL; SQLite runs one transaction at a time already.
        form = (
            await WebForm.filter(slug=slug).select_for_update(no_key=True).first()
            if isinstance(slug, str) and SLUG.match(slug)
            else None
        )
        if form is None:
            raise NotFoundError(f"form '{slug}' does not exist")
        current = [int(i) for i in form.responsible_queue or []]
        if queued:
            queue = current if staff_id in current else [*current, staff_id]
        else:
            queue = [i for i in current if i != staff_id]
        if queue == current:
            return await get_form(actor, slug)
        return await edit_form(actor, slug, {"responsible_queue": queue})


async def list_forms(actor: Actor) -> list[PublicForm]:
    """Every form, active or not, by slug; raises PermissionDeniedError (settings right)."""
    require_settings(actor)
    return [_public(form) for form in await WebForm.all().order_by("slug")]


async def active_forms() -> list[PublicForm]:
    """The forms served to visitors, by slug (public: their pages are open to anyone)."""
    return [_public(form) for form in await WebForm.filter(is_active=True).order_by("slug")]


async def _counts(form_ids: list[int]) -> dict[int, dict[str, int]]:
    """form id -> status -> submissions, in one grouped query."""
    rows = (
        await FormSubmission.filter(form_id__in=form_ids)
        .annotate(n=Count("id"))
        .group_by("form_id", "status")
        .values("form_id", "status", "n")
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        status = str(getattr(row["status"], "value", row["status"]))
        counts.setdefault(int(row["form_id"]), {})[status] = int(row["n"])
    return counts


async def form_details(actor: Actor) -> list[FormDetails]:
    """Every form with its administrative settings and submissions by outcome, by slug."""
    require_settings(actor)
    forms = await WebForm.all().order_by("slug")
    counts = await _counts([f.id for f in forms]) if forms else {}
    return [_details(form, counts.get(form.id)) for form in forms]


async def get_form(actor: Actor, slug: str) -> FormDetails:
    """One form's administrative view; raises PermissionDeniedError or NotFoundError."""
    require_settings(actor)
    form = await _load(slug)
    return _details(form, (await _counts([form.id])).get(form.id))


async def ensure_default_form() -> None:
    """Create the `contact` form (name, phone, e-mail, message, consent) if missing."""
    if await WebForm.exists(slug=DEFAULT_SLUG):
        return
    values = _defaults()
    try:
        async with in_transaction():
            await WebForm.create(
                slug=DEFAULT_SLUG, title=DEFAULT_TEXTS[default_language()]["title"], **values
            )
    except IntegrityError:
        pass  # another process created it at the same moment


# --- form field editing --------------------------------------------------------------------
# The settings screens edit one field at a time; each use case below reads the form's fields
# with its row locked, changes one field and writes the whole list through `edit_form` (the
# settings right, `check_definition`, the audit), so two admins editing at once both keep
# their change. A field is named by its input name, unique within its form.

API_KEY_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, well above MIN_API_KEY
ANSWER_STEM = "answer_"  # input names of fields that feed nothing: answer_1, answer_2...
FIELD_NAME_LENGTH = 32  # crm.rules.webforms.FIELD_NAME: [a-z][a-z0-9_]{0,31}


async def form_by_id(actor: Actor, form_id: int) -> tuple[FormDetails, int]:
    """A form by id (what buttons carry: a slug may not fit) and its position among every
    form by slug (the page of the list it is on).

    Raises PermissionDeniedError (settings right) or NotFoundError.
    """
    require_settings(actor)
    form = await WebForm.get_or_none(id=form_id)
    if form is None:
        raise NotFoundError(f"form #{form_id} does not exist")
    position = await WebForm.filter(slug__lt=form.slug).count()
    return _details(form, (await _counts([form.id])).get(form.id)), position


def next_answer_number(names: Collection[str]) -> int:
    """The number of the next `answer_<n>` input name a form does not use."""
    taken = {*names, *RESERVED_NAMES}
    return next(n for n in itertools.count(1) if f"{ANSWER_STEM}{n}" not in taken)


def _free_name(stem: str, taken: Collection[str]) -> str:
    """An input name the form does not use: `stem`, else stem_2, stem_3… (FIELD_NAME's length)."""
    names = {*taken, *RESERVED_NAMES}
    stem = stem[:FIELD_NAME_LENGTH]
    if stem not in names:
        return stem
    for number in itertools.count(2):
        suffix = f"_{number}"
        name = stem[: FIELD_NAME_LENGTH - len(suffix)] + suffix
        if name not in names:
            return name
    raise AssertionError("unreachable")  # a form has at most MAX_FIELDS names


def _field_index(fields: Sequence[Mapping[str, Any]], name: str) -> int:
    for index, spec in enumerate(fields):
        if spec.get("name") == name:
            return index
    raise NotFoundError(f"the form has no field '{name}'")


async def _change_fields(
    actor: Actor, form_id: int, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> FormDetails:
    """Lock the form, apply `change` to its field list and save it through `edit_form`."""
    require_settings(actor)
    async with in_transaction():
        # Locked on PostgreSQL; SQLite runs one transaction at a time already.
        form = await WebForm.filter(id=form_id).select_for_update(no_key=True).first()
        if form is None:
            raise NotFoundError(f"form #{form_id} does not exist")
        specs = [dict(spec) for spec in form.fields_spec or []]
        return await edit_form(actor, form.slug, {"fields": change(specs)})


async def add_form_field(
    actor: Actor,
    form_id: int,
    label: Mapping[str, str],
    maps_to: str | None = None,
    *,
    name: str | None = None,
) -> FormDetails:
    """Add an optional field at the end of a form: feeding `maps_to` (a contact target or
    `custom.<code>`) or nothing, of the first input type its target allows. Its input name is
    `name`, else the target's (custom: the code; nothing: the next `answer_<n>`), made free.

    Raises PermissionDeniedError, NotFoundError or ValidationError (a target already fed, a
    custom field gone, too many fields); returns the form.
    """

    def add(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        taken = [str(spec.get("name")) for spec in specs]
        target = FieldRef.from_data_key(maps_to)
        stem = name or (target.code if target else maps_to or "")
        if not stem:
            stem = f"{ANSWER_STEM}{next_answer_number(taken)}"
        kind = TARGET_TYPES.get(maps_to or "", FIELD_TYPES)[0]
        field = FormField(_free_name(stem, taken), kind, dict(label), maps_to=maps_to)
        return [*specs, field.to_spec()]

    return await _change_fields(actor, form_id, add)


async def update_form_field(
    actor: Actor,
    form_id: int,
    name: str,
    *,
    required: bool | None = None,
    field_type: str | None = None,
    options: Sequence[str] | None = None,
    label: Mapping[str, str | None] | None = None,
    placeholder: Mapping[str, str | None] | None = None,
    option_labels: Mapping[str, Sequence[str] | None] | None = None,
) -> FormDetails:
    """Change one field of a form: required or not, its input type (a type other than
    "select" drops the options), its options (new ones drop their labels: their order may no
    longer match), or its label, placeholder or option labels in some languages (None
    removes that language).

    Raises PermissionDeniedError, NotFoundError (no such form or field) or ValidationError
    (checked by `crm.rules.webforms`: a type its target does not take, a missing label...).
    """

    def update(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        index = _field_index(specs, name)
        spec = specs[index]
        if required is not None:
            spec["required"] = required
        if field_type is not None:
            spec["type"] = field_type
            if field_type != "select":
                spec["options"] = []  # only a choice list has options
                spec.pop("option_labels", None)
        if options is not None:
            spec["options"] = list(options)
            spec.pop("option_labels", None)
        for what, texts in (
            ("label", label),
            ("placeholder", placeholder),
            ("option_labels", option_labels),
        ):
            if texts is not None:
                merged: dict[str, Any] = {**(spec.get(what) or {}), **texts}
                spec[what] = {lang: text for lang, text in merged.items() if text is not None}
        return specs

    return await _change_fields(actor, form_id, update)


async def move_form_field(actor: Actor, form_id: int, name: str, offset: int) -> FormDetails:
    """Move one field of a form up (offset < 0) or down, clamped at both ends.

    Raises PermissionDeniedError or NotFoundError; returns the form.
    """

    def move(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        index = _field_index(specs, name)
        order = moved(list(range(len(specs))), index, offset)
        return [specs[i] for i in order]

    return await _change_fields(actor, form_id, move)


async def remove_form_field(actor: Actor, form_id: int, name: str) -> FormDetails:
    """Remove one field of a form; the only field that feeds the name is refused
    (ValidationError). Raises PermissionDeniedError or NotFoundError; returns the form."""

    def remove(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        index = _field_index(specs, name)
        return specs[:index] + specs[index + 1 :]

    return await _change_fields(actor, form_id, remove)


async def rotate_api_key(actor: Actor, form_id: int) -> tuple[FormDetails, str]:
    """Give a form a new random API key (replacing any); the core keeps only its hash, so the
    key is returned to be shown once. Raises PermissionDeniedError or NotFoundError."""
    require_settings(actor)
    details, _ = await form_by_id(actor, form_id)
    key = secrets.token_urlsafe(API_KEY_BYTES)
    return await edit_form(actor, details.slug, {"api_key": key}), key
