"""Web form leads (F8, F6): a stored submission validated and turned into a contact.

Validation, the duplicate policy, the responsible, the scheme's deal or quote, history and the
staff alert are one transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, cast

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from crm import companies, config, contacts, customfields, history, intake
from crm.actors import Actor, system_actor
from crm.db import connection, dialect
from crm.duplicates import DuplicateMatch, find_duplicates_for, lock_duplicate_keys
from crm.errors import ConflictError, ValidationError
from crm.rules.fields import CHANNEL_FIELDS
from crm.rules.webforms import (
    MAX_COMMENT,
    FormDraft,
    FormField,
    StaffFacts,
    comment_with,
    deal_title,
    draft_from_answers,
    next_cursor,
    pick_round_robin,
    queue_candidates,
    read_answers,
)
from crm.webforms import alerts
from crm.webforms.definitions import ENTITY, default_language
from models import Contact, Deal, FormSubmission, Quote, Source, Staff, WebForm
from models.enums import DedupPolicy, FormScheme, HistoryKind, SubmissionStatus

WEB_FORM_SOURCE = "Web form"  # one of crm.setup.DEFAULT_SOURCES
# An identical post from the same address this soon after a processed one is the same post
# again (a double click, a refresh after "submit", a client retrying without a key).
REPEAT_WINDOW = timedelta(minutes=10)
# A contact edited by staff while a submission merges into it: the merge is retried this often.
ATTEMPTS = 3
CHANNEL_MATCHES = ("phone", "email", "telegram")


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


async def _reject(submission: FormSubmission, errors: dict[str, str]) -> SubmissionResult | None:
    """A submission that does not pass validation: kept with the reason. Its key is freed, so
    that the visitor's corrected post is not answered with these errors again."""
    reason = "; ".join(f"{name}: {message}" for name, message in errors.items())
    rejected = await FormSubmission.filter(
        id=submission.id, status=SubmissionStatus.RECEIVED
    ).update(status=SubmissionStatus.REJECTED, reason=reason[:10000], idempotency_key=None)
    if not rejected:  # the sweep (or another process) settled it first
        return None
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


async def process(
    form: WebForm, submission: FormSubmission, payload: Mapping[str, Any]
) -> SubmissionResult | None:
    """Validate the submission and apply it as a lead; None when another process settled it
    first (its caller reads that outcome)."""
    region = config.current().default_phone_region
    fields = [FormField.from_spec(spec) for spec in form.fields_spec]
    answers, errors = read_answers(
        fields, payload, consent_required=form.consent_required, region=region
    )
    if errors:
        return await _reject(submission, errors)
    draft = draft_from_answers(fields, answers, region=region, language=default_language())
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
            return await _apply(lead)
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
        await alerts.alert_lead(
            alerts.LeadNews(
                form=form,
                submission_id=submission.id,
                contact=card.contact,
                kind=outcome,
                match=match,
                record=record,
                name=_lead_name(lead),
                channels=lead.clean.channels,
                company_title=lead.draft.data.get(intake.COMPANY_TITLE),
                message=lead.draft.message,
                utm=lead.utm,
            ),
            recipient,
        )
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
