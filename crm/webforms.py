"""Web forms (F8): definitions, and turning a visitor's submission into a contact, safely.

The `forms/` HTTP adapter renders `PublicForm`s and hands every post to `submit`. A submission
is stored raw first, in its own transaction, so that nothing a visitor sent is ever lost; then
validation, the duplicate policy, the responsible, the scheme's deal or quote and the staff
alert are one transaction. Pure rules live in `crm.rules.webforms`.
"""

import asyncio
import functools
import itertools
import logging
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, cast

from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from crm import companies, config, contacts, customfields, history, intake, notifier
from crm.actors import Actor, actor_for_staff_id, system_actor
from crm.db import connection, dialect, utcnow
from crm.duplicates import DuplicateMatch, find_duplicates_for, lock_duplicate_keys
from crm.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from crm.i18n import Catalogue, Translator
from crm.permissions import can, record_facts, require_settings
from crm.rules.codes import moved
from crm.rules.fields import CHANNEL_FIELDS
from crm.rules.permissions import RecordFacts
from crm.rules.webforms import (
    CONSENT_FIELD,
    CONTACT_TARGETS,
    FIELD_TYPES,
    MAX_COMMENT,
    RESERVED_NAMES,
    SLUG,
    TARGET_TYPES,
    FormDraft,
    FormField,
    StaffFacts,
    api_key_matches,
    check_consistency,
    check_definition,
    comment_with,
    deal_title,
    draft_from_answers,
    idempotency_key,
    next_cursor,
    pick_round_robin,
    queue_candidates,
    raw_payload,
    read_answers,
    read_utm,
)
from models import Contact, CustomField, Deal, FormSubmission, Quote, Source, Staff, WebForm
from models.enums import Action, DedupPolicy, FormScheme, HistoryKind, SubmissionStatus

__all__ = [
    "CONSENT_FIELD",
    "CONTACT_TARGETS",
    "DEFAULT_SLUG",
    "FIELD_TYPES",
    "FormDetails",
    "FormField",
    "PublicForm",
    "SubmissionMeta",
    "SubmissionResult",
    "active_forms",
    "add_form_field",
    "create_form",
    "disable_form",
    "edit_form",
    "ensure_default_form",
    "form_by_id",
    "form_details",
    "get_form",
    "get_public_form",
    "list_forms",
    "move_form_field",
    "next_answer_number",
    "remove_form_field",
    "rotate_api_key",
    "submit",
    "update_form_field",
    "verify_api_key",
]

log = logging.getLogger(__name__)

DEFAULT_SLUG = "contact"
ENTITY = "web_form"
WEB_FORM_SOURCE = "Web form"  # one of crm.setup.DEFAULT_SOURCES
# An identical post from the same address this soon after a processed one is the same post
# again (a double click, a refresh after "submit", a client retrying without a key).
REPEAT_WINDOW = timedelta(minutes=10)
# A second post with the key of one still being processed waits this long for its result.
REPLAY_WAIT_SECONDS = 10.0
# A contact edited by staff while a submission merges into it: the merge is retried this often.
ATTEMPTS = 3
# Posts racing on one idempotency key: each lost race means another post with that key got in
# (and, when its key is free again, was rejected or failed), so this bounds the racers served.
KEY_ATTEMPTS = 20
# A submission still "received" this long after it arrived was stranded (its process stopped
# between storing and processing it): the scheduler's sweep processes it then.
STRANDED_AFTER = timedelta(minutes=2)
STRANDED_BATCH = 100
CHANNEL_MATCHES = ("phone", "email", "telegram")

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


@dataclass(frozen=True, slots=True)
class SubmissionMeta:
    """Where a submission came from, as the adapter saw it (never trusted for rights)."""

    address_hash: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    page_url: str | None = None  # UTM parameters are read from it when the fields lack them
    idempotency_key: str | None = None
    consent_text: str | None = None  # the consent text the visitor was shown
    spam_reason: str | None = None  # set by the adapter's checks: trap, too fast, rate limit…
    api_key: str | None = None


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """What became of a submission.

    `status` is a SubmissionStatus value: created, merged (into an existing contact), spam,
    rejected (`errors` by field name), or received (a repeated key whose first submission is
    still being processed). `duplicate` is True when the lead went to an existing contact.
    """

    submission_id: int
    status: str  # created | merged | spam | rejected (a SubmissionStatus value)
    contact_id: int | None = None
    duplicate: bool = False
    errors: dict[str, str] = field(default_factory=dict)


# --- definitions ----------------------------------------------------------------------------


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


async def get_public_form(slug: str) -> PublicForm:
    """An active form by slug; raises NotFoundError."""
    form = await _load(slug)
    if not form.is_active:
        raise NotFoundError(f"form '{slug}' does not exist")
    return _public(form)


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


def _default_language() -> str:
    language = config.current().default_language
    return language if language in DEFAULT_TEXTS else "en"


def _defaults() -> dict[str, Any]:
    """A new form's settings: the contact form's fields, consent required with a standard
    text in the team's language, duplicates merged."""
    texts = DEFAULT_TEXTS[_default_language()]
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
                slug=DEFAULT_SLUG, title=DEFAULT_TEXTS[_default_language()]["title"], **values
            )
    except IntegrityError:
        pass  # another process created it at the same moment


# --- submissions ----------------------------------------------------------------------------


def _cut(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "")
    return text[:limit] or None


async def submit(slug: str, payload: Mapping[str, Any], meta: SubmissionMeta) -> SubmissionResult:
    """Store the raw submission first, then validate, apply the duplicate policy, assign the
    responsible from the queue, create the scheme's deal or quote, and queue the alert.

    A repeated idempotency key returns the first result; spam is stored with its reason and
    answered like success by the adapter. Raises NotFoundError for an unknown form. An
    unexpected error leaves the submission stored as failed (with the reason) and is raised.
    """
    form = await _load(slug)
    if not form.is_active:
        raise NotFoundError(f"form '{slug}' does not exist")
    key = idempotency_key(meta.idempotency_key)
    spam = _cut(meta.spam_reason, 2000)
    for _ in range(KEY_ATTEMPTS):
        if key is not None:
            first = await FormSubmission.get_or_none(form_id=form.id, idempotency_key=key)
            if first is not None:
                return await _replay(first)
        try:
            submission = await _store(form, payload, meta, key, spam)
            break
        except IntegrityError:
            if key is None:
                raise
            # Another post with this key got in between our look and our insert: look again.
            # (Had it been rejected meanwhile, its key is free and the insert goes through.)
    else:
        raise ConflictError("this idempotency key is being used by other requests; try again")
    if spam:
        return SubmissionResult(submission.id, SubmissionStatus.SPAM.value)
    # Shielded: a visitor who closes the page (a cancelled request) must not leave a stored
    # lead half-processed and unalerted; the processing finishes and records its outcome.
    processing = asyncio.ensure_future(_process_or_fail(form, submission, payload))
    processing.add_done_callback(_retrieve)
    return await asyncio.shield(processing)


async def resume_stranded(
    older_than: timedelta = STRANDED_AFTER, limit: int = STRANDED_BATCH
) -> int:
    """Process, oldest first, the submissions a stopped process left stored but unprocessed
    (killed between the two steps, or the database gone for a moment). Returns how many it
    processed. Safe in several processes at once: each submission is claimed by the
    transaction that processes it, so a lead is created and alerted once.
    """
    stranded = (
        await FormSubmission.filter(
            status=SubmissionStatus.RECEIVED, received_at__lt=utcnow() - older_than
        )
        .select_related("form")
        .order_by("id")
        .limit(limit)
    )
    processed = 0
    for submission in stranded:
        log.warning(
            "web form submission #%s was left unprocessed: processing it now", submission.id
        )
        try:
            await _process(submission.form, submission, submission.payload)
        except (OperationalError, DBConnectionError, OSError, ConflictError):
            # The database or the network, not the lead: it and the rest stay received for
            # the next sweep.
            log.exception("web form submission #%s: left for the next sweep", submission.id)
            break
        except Exception as exc:  # a bug with this lead: kept as failed; the others still go
            await _mark_failed(submission.id, exc)
            continue
        processed += 1
    return processed


async def _store(
    form: WebForm,
    payload: Mapping[str, Any],
    meta: SubmissionMeta,
    key: str | None,
    spam: str | None,
) -> FormSubmission:
    """The raw submission, in its own transaction (a savepoint if the caller has one): whatever
    happens next, the visitor's data is on disk."""
    async with in_transaction():
        return await FormSubmission.create(
            form_id=form.id,
            payload=raw_payload(payload),
            address_hash=_cut(meta.address_hash, 64),
            user_agent=_cut(meta.user_agent, 500),
            referrer=_cut(meta.referrer, 1000),
            utm=read_utm(payload, meta.page_url),
            consent_text=_cut(meta.consent_text or form.consent_text, 10000),
            idempotency_key=key,
            status=SubmissionStatus.SPAM if spam else SubmissionStatus.RECEIVED,
            reason=spam,
        )


def _retrieve(task: "asyncio.Future[SubmissionResult]") -> None:
    """Mark a shielded task's error as seen: it is logged and stored already, and nobody
    awaits the task any more when the request was cancelled."""
    if not task.cancelled():
        task.exception()


async def _process_or_fail(
    form: WebForm, submission: FormSubmission, payload: Mapping[str, Any]
) -> SubmissionResult:
    try:
        return await _process(form, submission, payload)
    except Exception as exc:
        await _mark_failed(submission.id, exc)
        raise


def _errors_of(reason: str | None) -> dict[str, str]:
    """The errors of a rejected submission, from its stored reason ("field: message; ...")."""
    errors: dict[str, str] = {}
    for part in (reason or "").split("; "):
        name, _, message = part.partition(": ")
        if name:
            errors[name] = message
    return errors


async def _replay(first: FormSubmission) -> SubmissionResult:
    """The result of the submission a repeated key names, once it is processed."""
    waited = 0.0
    delay = 0.02
    while first.status == SubmissionStatus.RECEIVED and waited < REPLAY_WAIT_SECONDS:
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 0.25)
        await first.refresh_from_db()
    status = SubmissionStatus(first.status)
    return SubmissionResult(
        submission_id=first.id,
        status=status.value,
        contact_id=first.contact_id,
        duplicate=status == SubmissionStatus.MERGED,
        errors=_errors_of(first.reason) if status == SubmissionStatus.REJECTED else {},
    )


async def _mark_failed(submission_id: int, exc: BaseException) -> None:
    """Keep the failure on the submission's row; its key is freed so that a retry can work."""
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    log.exception("web form submission #%s failed", submission_id)
    try:
        # Only a submission still waiting: one settled meanwhile elsewhere keeps its outcome.
        await FormSubmission.filter(id=submission_id, status=SubmissionStatus.RECEIVED).update(
            status=SubmissionStatus.FAILED, reason=reason, idempotency_key=None
        )
    except Exception:  # the database itself is failing: the log is all we have
        log.exception("could not mark web form submission #%s as failed", submission_id)


async def _reject(submission: FormSubmission, errors: dict[str, str]) -> SubmissionResult:
    """A submission that does not pass validation: kept with the reason. Its key is freed, so
    that the visitor's corrected post is not answered with these errors again."""
    reason = "; ".join(f"{name}: {message}" for name, message in errors.items())
    rejected = await FormSubmission.filter(
        id=submission.id, status=SubmissionStatus.RECEIVED
    ).update(status=SubmissionStatus.REJECTED, reason=reason[:10000], idempotency_key=None)
    if not rejected:  # the sweep (or another process) settled it first
        return await _replay(submission)
    return SubmissionResult(submission.id, SubmissionStatus.REJECTED.value, errors=dict(errors))


@dataclass(slots=True)
class _Lead:
    """A validated submission on its way to a contact."""

    form: WebForm
    submission: FormSubmission
    draft: FormDraft
    data: dict[str, Any]
    clean: contacts.CleanContact
    definitions: dict[str, Any]
    utm: dict[str, str]
    actor: Actor


async def _process(
    form: WebForm, submission: FormSubmission, payload: Mapping[str, Any]
) -> SubmissionResult:
    region = config.current().default_phone_region
    fields = [FormField.from_spec(spec) for spec in form.fields_spec]
    answers, errors = read_answers(
        fields, payload, consent_required=form.consent_required, region=region
    )
    if errors:
        return await _reject(submission, errors)
    draft = draft_from_answers(fields, answers, region=region, language=_default_language())
    data = {k: v for k, v in draft.data.items() if k != intake.COMPANY_TITLE}
    data.update(submission.utm or {})
    source_id = await Source.filter(name=WEB_FORM_SOURCE).first().values_list("id", flat=True)
    if source_id is not None:
        data["source_id"] = source_id
    data["source_description"] = form.title
    definitions = await customfields.active_fields()
    try:
        clean = await contacts.clean_input(
            {**data, "comment": comment_with(None, draft.message)}, definitions, creating=True
        )
    except ValidationError as exc:
        return await _reject(submission, _by_field(draft, exc))
    lead = _Lead(
        form,
        submission,
        draft,
        data,
        clean,
        definitions,
        submission.utm or {},
        system_actor(f"web form {form.slug}"),
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = await _apply(lead)
            return result if result is not None else await _replay(submission)
        except ValidationError as exc:
            return await _reject(submission, _by_field(draft, exc))
        except ConflictError:
            # Staff saved the matched contact between our read and our write: nothing was
            # written (the transaction rolled back); read it again and retry.
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _by_field(draft: FormDraft, exc: ValidationError) -> dict[str, str]:
    """The core's errors under the names of the form fields that fed them."""
    errors: dict[str, str] = {}
    for key, message in exc.errors.items():
        errors.setdefault(draft.field_of(key), message)
    return errors


async def _lock_visitor(form_id: int, address_hash: str | None) -> None:
    """Serialize the posts of one address to one form (PostgreSQL; SQLite transactions are
    serial already), so that a double click is seen as a repeat even when the visitor gave
    nothing the duplicate keys lock (a first name and a message)."""
    if address_hash is None or dialect() == "sqlite":
        return
    await connection().execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [f"web_form:{form_id}:{address_hash}"],
    )


@dataclass(frozen=True, slots=True)
class _Repeat:
    """The earlier submission a post repeats, and the contact it went to."""

    id: int
    contact_id: int


async def _repeat_of(lead: _Lead) -> _Repeat | None:
    """An earlier processed submission of exactly the same payload from the same address."""
    submission = lead.submission
    if submission.address_hash is None:
        return None
    earlier = (
        await FormSubmission.filter(
            form_id=lead.form.id,
            address_hash=submission.address_hash,
            received_at__gte=submission.received_at - REPEAT_WINDOW,
            status__in=[SubmissionStatus.CREATED, SubmissionStatus.MERGED],
            contact_id__isnull=False,
        )
        .exclude(id=submission.id)
        .order_by("-id")
        .limit(20)
        .values("id", "contact_id", "payload")
    )
    for row in earlier:
        if row["payload"] == submission.payload and await Contact.exists(
            id=row["contact_id"], deleted_at=None, merged_into_id=None
        ):
            return _Repeat(row["id"], row["contact_id"])
    return None


def _preferred(matches: list[DuplicateMatch]) -> DuplicateMatch | None:
    """The contact a lead goes to: the first sharing a phone, e-mail or Telegram username,
    else the first with the same full name."""
    readable = [m for m in matches if m.readable]
    for match in readable:
        if match.reason in CHANNEL_MATCHES:
            return match
    return readable[0] if readable else None


async def _staff_facts(queue: list[int]) -> list[StaffFacts]:
    condition = Q(is_admin=True, is_active=True)
    if queue:
        condition |= Q(id__in=queue)
    rows = await Staff.filter(condition).values("id", "is_active", "is_admin", "is_unreachable")
    return [
        StaffFacts(r["id"], bool(r["is_active"]), bool(r["is_admin"]), bool(r["is_unreachable"]))
        for r in rows
    ]


async def _next_responsible(form_id: int) -> int | None:
    """Whose turn it is, moving the form's cursor with a conditional update: of two
    submissions at once each gets its own turn (no read-modify-write of the counter)."""
    for _ in range(100):
        row = await WebForm.filter(id=form_id).first().values("queue_cursor", "responsible_queue")
        if row is None:
            return None
        queue = [int(i) for i in row["responsible_queue"] or []]
        pick = pick_round_robin(
            queue_candidates(queue, await _staff_facts(queue)), row["queue_cursor"]
        )
        if pick is None:
            return None
        moved = await WebForm.filter(id=form_id, queue_cursor=row["queue_cursor"]).update(
            queue_cursor=next_cursor(row["queue_cursor"])
        )
        if moved:
            return pick
    raise ConflictError("the form's responsible queue is too busy; try again")


async def _reachable(staff_id: int | None) -> bool:
    return staff_id is not None and await Staff.exists(
        id=staff_id, is_active=True, is_unreachable=False
    )


async def _apply(lead: _Lead) -> SubmissionResult | None:
    """Steps (d) to (h), in one transaction: the contact, its responsible, history, the deal
    or quote, the alert, and the submission's outcome. None when the submission was no longer
    waiting (processed elsewhere meanwhile)."""
    form, submission, actor = lead.form, lead.submission, lead.actor
    async with in_transaction():
        # Claim the submission first: a conditional write that holds its row until commit, so
        # that the request and the stranded-submission sweep (or two processes) never both
        # process it. The loser writes nothing and answers with the winner's outcome.
        claimed = await FormSubmission.filter(
            id=submission.id, status=SubmissionStatus.RECEIVED
        ).update(reason=None)
        if not claimed:
            return None
        # As create_contact does: under a lock on the person's keys, two submissions of the
        # same person at once cannot both decide "new" (F6: no silent twins).
        await lock_duplicate_keys(lead.clean.scalars, lead.clean.channels)
        await _lock_visitor(form.id, submission.address_hash)
        repeat = await _repeat_of(lead)
        if repeat is not None:
            reason = f"repeat of submission #{repeat.id}"
            await FormSubmission.filter(id=submission.id).update(
                status=SubmissionStatus.MERGED, contact_id=repeat.contact_id, reason=reason
            )
            return SubmissionResult(
                submission.id, SubmissionStatus.MERGED.value, repeat.contact_id, duplicate=True
            )
        matches = await find_duplicates_for(actor, lead.clean.scalars, lead.clean.channels)
        match = _preferred(matches)
        policy = DedupPolicy(form.dedup_policy)
        if match is None or policy == DedupPolicy.ALLOW:
            responsible = await _next_responsible(form.id)
            card = await _create(lead, responsible)
            recipient = responsible
            status, outcome = SubmissionStatus.CREATED, "new" if match is None else "twin"
        else:
            card = await (
                _merge(lead, match) if policy == DedupPolicy.MERGE else _replace(lead, match)
            )
            recipient = card.contact.responsible_id
            if not await _reachable(recipient):
                # The contact keeps its responsible; someone who can act still hears about it,
                # and may take this new lead even if the contact was taken once before.
                recipient = await _next_responsible(form.id)
                await Contact.filter(id=card.contact.id).update(taken_at=None)
            status = SubmissionStatus.MERGED
            outcome = "merged" if policy == DedupPolicy.MERGE else "replaced"
        contact_id = card.contact.id
        await history.record(
            actor,
            contacts.ENTITY,
            contact_id,
            HistoryKind.CHANGED,
            field=ENTITY,
            after=f"{form.title} (submission #{submission.id})",
        )
        record = await _scheme_record(lead, contact_id, card.contact.responsible_id or recipient)
        reader = await _alert_reader(recipient, card.contact)
        if reader is not None:
            what = await _outcome_for(reader, outcome, card.contact, match, record)
            await _alert(lead, contact_id, reader, what)
        await FormSubmission.filter(id=submission.id).update(
            status=status,
            contact_id=contact_id,
            reason=f"possible duplicate of #{match.contact_id}"
            if outcome == "twin" and match
            else None,
        )
    return SubmissionResult(
        submission.id, status.value, contact_id, duplicate=status == SubmissionStatus.MERGED
    )


async def _link_company(lead: _Lead, contact_id: int) -> None:
    title = lead.draft.data.get(intake.COMPANY_TITLE)
    if title:
        # merge_draft finds the company by title (or creates it) and links it if needed.
        await intake.merge_draft(lead.actor, contact_id, {intake.COMPANY_TITLE: title})


async def _create(lead: _Lead, responsible: int | None) -> contacts.ContactCard:
    # `lead.clean` holds the answers checked in _process (the message in the comment); the
    # responsible is active staff, picked from the queue's active members.
    clean = replace(lead.clean, scalars={**lead.clean.scalars, "responsible_id": responsible})
    card = await contacts.create_checked_contact(
        lead.actor, clean, lead.definitions, allow_duplicate=True, web_form_id=lead.form.id
    )
    await _link_company(lead, card.id)
    return card


async def _append_message(lead: _Lead, card: contacts.ContactCard) -> contacts.ContactCard:
    comment = comment_with(card.contact.comment, lead.draft.message, MAX_COMMENT)
    if comment is None:
        return card
    return await contacts.update_contact(lead.actor, card.id, {"comment": comment}, card.version)


async def _merge(lead: _Lead, match: DuplicateMatch) -> contacts.ContactCard:
    """Fill the contact's empty fields and add the channels it lacks; the message is appended
    to its comment."""
    draft = dict(lead.data)
    title = lead.draft.data.get(intake.COMPANY_TITLE)
    if title:
        draft[intake.COMPANY_TITLE] = title
    merged = await intake.merge_draft(lead.actor, match.contact_id, draft)
    return await _append_message(lead, merged.card)


async def _replace(lead: _Lead, match: DuplicateMatch) -> contacts.ContactCard:
    """Overwrite the contact's fields with the submitted values. A submitted phone, e-mail,
    site or username becomes the primary one of its kind; the others stay after it (a
    number is not thrown away because the visitor typed another). The message is appended."""
    card = await contacts.get_contact(lead.actor, match.contact_id)
    clean = lead.clean
    changes: dict[str, Any] = {}
    for name, value in clean.scalars.items():
        if name in ("comment", "responsible_id") or value in (None, ""):
            continue
        if name in ("source_id", "source_description") and getattr(card.contact, name):
            continue  # where the contact came from first stays
        changes[name] = value
    for name, kind in CHANNEL_FIELDS.items():
        submitted = clean.channels.get(kind, [])
        if not submitted:
            continue
        known = {v.normalized for v in submitted}
        changes[name] = [{"value": v.value, "value_type": v.value_type} for v in submitted] + [
            {"value": c.value, "value_type": c.value_type}
            for c in card.channels
            if c.kind == kind and c.normalized not in known
        ]
    custom = {code: values for code, values in clean.custom.items() if values}
    if custom:
        changes["custom"] = custom  # typed values pass the core's checks again unchanged
    card = await contacts.update_contact(lead.actor, card.id, changes, card.version)
    await _link_company(lead, card.id)
    if lead.draft.data.get(intake.COMPANY_TITLE):
        card = await contacts.get_contact(lead.actor, card.id)
    return await _append_message(lead, card)


def _lead_name(lead: _Lead) -> str:
    scalars = lead.clean.scalars
    return " ".join(
        str(scalars[k]) for k in ("honorific", "first_name", "last_name") if scalars.get(k)
    )


async def _scheme_record(
    lead: _Lead, contact_id: int, responsible: int | None
) -> Deal | Quote | None:
    """The deal or quote of a deal or quote form, linked to the contact; returns it."""
    scheme = FormScheme(lead.form.scheme)
    if scheme == FormScheme.CONTACT:
        return None
    entity = "deal" if scheme == FormScheme.DEAL else "quote"
    title = deal_title(lead.form.title, _lead_name(lead))
    active = responsible is not None and await Staff.exists(id=responsible, is_active=True)
    owner = responsible if active else None
    record = await companies.create(lead.actor, entity, {"title": title, "responsible_id": owner})
    await contacts.link(lead.actor, contact_id, entity, record.pk)
    return cast(Deal | Quote, record)


@functools.cache
def _catalogue() -> Catalogue:
    """The core's messages, loaded on first use (no import-time work)."""
    return Catalogue([])


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the alert says happened: new, twin (created next to a look-alike), merged or
    replaced; the contact's name; the matched contact; the deal's or quote's title."""

    kind: str
    contact_name: str
    match: DuplicateMatch | None
    record_title: str | None


async def _active_actor(staff_id: int) -> Actor | None:
    try:
        return await actor_for_staff_id(staff_id)
    except (NotFoundError, PermissionDeniedError):  # gone or deactivated meanwhile
        return None


async def _alert_reader(staff_id: int | None, contact: Contact) -> Actor | None:
    """Who gets the lead alert: the chosen recipient if they may read the contact, else an
    active administrator (reachable ones first), who may read everything; None if neither.

    The alert names the contact and carries the lead's details, which are now the contact's,
    so it goes only to someone who may read it (F9). The fallback recipient, picked from the
    form's queue when the responsible of a merged contact is unreachable, may not be one. We
    pick an administrator rather than send them a text without details: even that would tell
    them a contact they may not see exists, and they could neither open nor take it.
    """
    facts = await record_facts(contact)
    chosen = await _active_actor(staff_id) if staff_id is not None else None
    if chosen is not None and can(chosen, Action.READ, facts):
        return chosen
    admin_id = (
        await Staff.filter(is_admin=True, is_active=True)
        .order_by("is_unreachable", "id")
        .first()
        .values_list("id", flat=True)
    )
    return await _active_actor(admin_id) if admin_id is not None else None


async def _outcome_for(
    reader: Actor,
    kind: str,
    contact: Contact,
    match: DuplicateMatch | None,
    record: Deal | Quote | None,
) -> _Outcome:
    """What the alert tells `reader` (who may read the contact): the look-alike of a twin and
    the form's deal or quote are named only if the reader may read them too."""
    if match is not None:
        look_alike = await Contact.get_or_none(id=match.contact_id)
        if look_alike is None or not can(reader, Action.READ, await record_facts(look_alike)):
            kind, match = ("new" if kind == "twin" else kind), None
    title = None
    if record is not None and can(
        reader, Action.READ, RecordFacts(responsible_id=record.responsible_id, opened=record.opened)
    ):
        title = record.title
    return _Outcome(kind, contacts.display_name(contact), match, title)


def _alert_text(t: Translator, lead: _Lead, contact_id: int, outcome: _Outcome) -> str:
    """The alert as plain text (the outbox sender escapes it for Telegram)."""
    form_title = lead.form.title
    if outcome.kind == "twin" and outcome.match is not None:
        head = t.plain("form-alert-twin", form=form_title, id=str(outcome.match.contact_id))
    elif outcome.kind in ("merged", "replaced"):
        head = t.plain(
            f"form-alert-{outcome.kind}",
            form=form_title,
            id=str(contact_id),
            name=outcome.contact_name,
        )
    else:
        head = t.plain("form-alert-new", form=form_title)
    lines = [head]
    name = _lead_name(lead)
    if name:
        lines.append(t.plain("form-alert-name", value=name))
    for kind_name, key in (
        ("phones", "form-alert-phone"),
        ("emails", "form-alert-email"),
        ("websites", "form-alert-website"),
        ("messengers", "form-alert-telegram"),
    ):
        for value in lead.clean.channels.get(CHANNEL_FIELDS[kind_name], []):
            lines.append(t.plain(key, value=value.value))
    title = lead.draft.data.get(intake.COMPANY_TITLE)
    if title:
        lines.append(t.plain("form-alert-company", value=title))
    if lead.draft.message:
        lines.append(t.plain("form-alert-message", value=lead.draft.message))
    if lead.utm:
        utm = ", ".join(f"{k.removeprefix('utm_')}={v}" for k, v in lead.utm.items())
        lines.append(t.plain("form-alert-utm", value=utm))
    if outcome.record_title:
        scheme = FormScheme(lead.form.scheme)
        key = "form-alert-deal" if scheme == FormScheme.DEAL else "form-alert-quote"
        lines.append(t.plain(key, value=outcome.record_title))
    text = "\n".join(lines)
    # Telegram takes 4096 characters; the whole message is on the card and the submission.
    return text if len(text) <= 3500 else text[:3499] + "…"


async def _alert(lead: _Lead, contact_id: int, reader: Actor, outcome: _Outcome) -> None:
    """Queue the lead alert for a staff member who may read the contact, in their language,
    with Open / Take it."""
    staff = await Staff.get_or_none(id=reader.staff_id)
    if staff is None:
        return
    t = _catalogue().translator(staff.language or _default_language(), staff.timezone)
    payload = {
        "buttons": [
            [
                {"text": t.plain("form-alert-open"), "action": "open", "contact_id": contact_id},
                {"text": t.plain("form-alert-take"), "action": "take", "contact_id": contact_id},
            ]
        ],
        "contact_id": contact_id,
        "submission_id": lead.submission.id,
        "form": lead.form.slug,
    }
    await notifier.queue_message(
        staff,
        "lead",
        _alert_text(t, lead, contact_id, outcome),
        payload=payload,
        dedupe_key=f"lead:{lead.submission.id}",
        group_key=f"lead:{staff.id}",
    )


# --- form field editing (moves to crm/webforms/definitions.py) ---
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
        stem = name or (maps_to or "").removeprefix("custom.")
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
) -> FormDetails:
    """Change one field of a form: required or not, its input type (a type other than
    "select" drops the options), its options, or its label or placeholder in some languages
    (a None text removes that language).

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
        if options is not None:
            spec["options"] = list(options)
        for what, texts in (("label", label), ("placeholder", placeholder)):
            if texts is not None:
                merged = {**(spec.get(what) or {}), **texts}
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
