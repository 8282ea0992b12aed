"""Web form definitions (F8): the forms administrators make and visitors see.

A form has a slug (its address), fields mapped to contact fields, a scheme (contact, deal or
quote), a duplicate policy, a responsible queue, consent and success texts, allowed origins and
an optional API key (stored hashed). Checks of the settings are pure rules in
`crm.rules.webforms`; these use cases add the settings right, the database and history.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from crm import config, history
from crm.actors import Actor
from crm.db import utcnow
from crm.errors import NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.webforms import (
    SLUG,
    FormField,
    api_key_matches,
    check_consistency,
    check_definition,
)
from models import CustomField, FormSubmission, Staff, WebForm
from models.enums import DedupPolicy, FormScheme, HistoryKind, SubmissionStatus

DEFAULT_SLUG = "contact"
ENTITY = "web_form"

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

    def in_language(self, language: str) -> "PublicForm":
        """The form as a visitor reading `language` sees it: a stock title, consent or success
        text that nobody changed (the `contact` form's, made in the team's language) is shown
        in theirs; a text an administrator wrote is shown as written."""
        stock = DEFAULT_TEXTS.get(language)
        if stock is None:
            return self
        changes: dict[str, str] = {}
        for attribute, key in STOCK_TEXTS:
            value = getattr(self, attribute)
            if value is not None and value != stock[key] and value in _STOCK_VALUES[key]:
                changes[attribute] = stock[key]
        return replace(self, **changes) if changes else self


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
    codes = {
        spec["maps_to"].removeprefix("custom.")
        for spec in values.get("fields_spec") or []
        if (spec.get("maps_to") or "").startswith("custom.")
    }
    if codes:
        known_codes = set(
            await CustomField.filter(code__in=sorted(codes), is_active=True).values_list(
                "code", flat=True
            )
        )
        for index, spec in enumerate(values.get("fields_spec") or []):
            code = (spec.get("maps_to") or "").removeprefix("custom.")
            if code in codes and code not in known_codes:
                errors[f"fields.{index}"] = f"custom field '{code}' does not exist"
    if errors:
        raise ValidationError(errors)


def _audit_value(name: str, value: Any) -> Any:
    if name == "api_key_hash":
        return "set" if value else None  # never the hash itself
    if name == "fields_spec":
        return ", ".join(f"{s['name']} ({s['type']})" for s in value or [])
    return value


async def create_form(actor: Actor, data: Mapping[str, Any]) -> FormDetails:
    """Create a form from its settings (see `crm.rules.webforms.SETTINGS`); what is not given
    takes the contact form's defaults.

    Raises PermissionDeniedError (settings right) or ValidationError (a taken slug included).
    """
    require_settings(actor)
    values, errors = check_definition(data, creating=True)
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
    values, errors = check_definition(changes, creating=False)
    current = {name: getattr(form, name) for name in ("title", *_defaults())}
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
