"""Web form leads (F8, F6): a stored submission becomes a contact, its deal or quote, an alert.

`process` takes a submission `crm.webforms.submissions` has stored and runs these steps, each
one function below, in this order:

1. `_read`: the answers are checked against the form's fields and mapped to a contact with the
   core's rules; a bad answer rejects the submission (`_reject`), naming the form field.
Then one transaction (`_apply`), tried again if staff save the matched contact meanwhile:
2. `_claim` the submission, so that two workers, the sweep or a release never both process it;
3. `_lock` the person's duplicate keys and the visitor's address, before anything is decided;
4. `_repeat_of`: an identical post from the same address is the same lead again, settled so;
5. `_match`: the duplicate the form's policy applies to (`intake.preferred_match`);
6. `_place` the lead: a new contact with its company and the queue's next responsible (also
   next to a look-alike that shares only the name), or merged into or replacing the match
   (`crm.intake`'s duplicate policies; only a post with the form's API key is vouched for:
   others only fill and add, and what they would change is proposed to the responsible);
7. `_recipient`: who hears of it (a merged contact's responsible, or the queue's next);
8. `_record_history`: "web form" on the contact's history;
9. `_scheme_record`: the deal or quote of a deal or quote form, linked to the contact;
10. the alert (`crm.webforms.alerts`), queued in the outbox, with the proposal if any;
11. `_settle`: the submission's outcome, and the proposal kept for Apply / Ignore.
"""

import asyncio
import contextvars
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, cast

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from crm import companies, config, contacts, customfields, history, intake, memo
from crm.actors import Actor, system_actor
from crm.db import connection, dialect
from crm.duplicates import DuplicateMatch, find_duplicates_for, lock_duplicate_keys
from crm.errors import ConflictError, ValidationError
from crm.rules.webforms import (
    UTM_KEYS,
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
from crm.webforms.alerts import Placement
from crm.webforms.definitions import ENTITY, default_language
from models import Contact, Deal, FormSubmission, Quote, Source, Staff, WebForm
from models.enums import CallerKind, DedupPolicy, FormScheme, HistoryKind, SubmissionStatus

WEB_FORM_SOURCE = "Web form"  # one of crm.setup.DEFAULT_SOURCES
# An identical post from the same address this soon after a processed one is the same post
# again (a double click, a refresh after "submit", a client retrying without a key).
REPEAT_WINDOW = timedelta(minutes=10)
# A contact edited by staff while a submission merges into it: the merge is retried this often.
ATTEMPTS = 3
# How long a lead waits for a second connection to take the queue's turn on (PostgreSQL).
TURN_WAIT_SECONDS = 0.5
# Inside a lead's transaction, the context from before it (see `_next_responsible`).
_OUTSIDE: contextvars.ContextVar[contextvars.Context | None] = contextvars.ContextVar(
    "carnet_lead_outside", default=None
)


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """What became of a submission.

    `status` is a SubmissionStatus value: created, merged (into an existing contact),
    rejected (`errors` by field name), or, read from a stored submission (the status endpoint,
    `submissions.outcome`), also received, spam, held or failed. `duplicate` is True when the
    lead went to an existing contact.
    """

    submission_id: int
    status: str  # a SubmissionStatus value
    contact_id: int | None = None
    duplicate: bool = False
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lead:
    """A submission whose answers passed the checks, on its way to a contact.

    `clean` holds the contact's fields checked by the core, the message as its comment (what a
    new contact gets); `draft` the answers as mapped, the company title and the message.
    """

    form: WebForm
    submission: FormSubmission
    draft: FormDraft
    clean: contacts.CleanContact
    definitions: dict[str, Any]
    actor: Actor

    @property
    def company_title(self) -> str | None:
        return self.draft.data.get(intake.COMPANY_TITLE)

    @property
    def utm(self) -> dict[str, str]:
        """In the usual order (source, medium, ...): PostgreSQL's JSON column does not keep
        the order the submission was stored in, and the worker reads it back from there."""
        stored = self.submission.utm or {}
        return {key: stored[key] for key in UTM_KEYS if key in stored}

    @property
    def name(self) -> str:
        scalars = self.clean.scalars
        return " ".join(
            str(scalars[k]) for k in ("honorific", "first_name", "last_name") if scalars.get(k)
        )


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where the lead went: the contact, and how (a twin of `match`, merged into it...), and
    what the lead would change on it that was not written (`crm.intake.Proposal`)."""

    contact: Contact
    kind: Placement
    match: DuplicateMatch | None
    proposal: intake.Proposal = field(default_factory=intake.Proposal)


async def process(
    form: WebForm, submission: FormSubmission, payload: Mapping[str, Any]
) -> SubmissionResult | None:
    """Turn a stored submission into a lead (the steps of this module's docstring).

    Returns its outcome, or None when another process settled the submission first (the
    caller reads that outcome). A rejected submission is kept with its reason. Raises what
    is unexpected, and ConflictError when staff kept saving the matched contact.
    """
    try:
        lead = await _read(form, submission, payload)
    except ValidationError as exc:
        return await _reject(submission, exc.errors)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _apply(lead)
        except ValidationError as exc:
            return await _reject(submission, _by_field(lead.draft, exc))
        except ConflictError:
            # Staff saved the matched contact between our read and our write: nothing was
            # written (the transaction rolled back); read it again and retry.
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


# --- 1. the answers -------------------------------------------------------------------------


async def _read(form: WebForm, submission: FormSubmission, payload: Mapping[str, Any]) -> Lead:
    """The answers checked and mapped to a contact; raises ValidationError by form field."""
    region = config.current().default_phone_region
    fields = [FormField.from_spec(spec) for spec in form.fields_spec]
    answers, errors = read_answers(
        fields, payload, consent_required=form.consent_required, region=region
    )
    if errors:
        raise ValidationError(errors)
    draft = draft_from_answers(fields, answers, region=region, language=default_language())
    data = {k: v for k, v in draft.data.items() if k != intake.COMPANY_TITLE}
    data.update(submission.utm or {})
    source_id = await memo.once("web form source", _web_form_source)
    if source_id is not None:
        data["source_id"] = source_id
    data["source_description"] = form.title
    data["comment"] = comment_with(None, draft.message)
    definitions = await memo.once("custom fields", customfields.active_fields)
    try:
        clean = await contacts.clean_input(data, definitions, creating=True)
    except ValidationError as exc:
        raise ValidationError(_by_field(draft, exc)) from exc
    return Lead(form, submission, draft, clean, definitions, system_actor(f"web form {form.slug}"))


async def _web_form_source() -> int | None:
    """The id of the "Web form" source (None if an admin removed it)."""
    row = await Source.filter(name=WEB_FORM_SOURCE).first().values_list("id", flat=True)
    return cast(int | None, row)


def _by_field(draft: FormDraft, exc: ValidationError) -> dict[str, str]:
    """The core's errors under the names of the form fields that fed them."""
    errors: dict[str, str] = {}
    for key, message in exc.errors.items():
        errors.setdefault(draft.field_of(key), message)
    return errors


async def _reject(submission: FormSubmission, errors: dict[str, str]) -> SubmissionResult | None:
    """A submission that does not pass validation: kept with the reason. Its key is freed, so
    that the visitor's corrected post is not answered with these errors again. None if it was
    settled elsewhere first."""
    reason = "; ".join(f"{name}: {message}" for name, message in errors.items())
    rejected = await FormSubmission.filter(
        id=submission.id, status=SubmissionStatus.RECEIVED
    ).update(status=SubmissionStatus.REJECTED, reason=reason[:10000], idempotency_key=None)
    if not rejected:  # the sweep (or another process) settled it first
        return None
    return SubmissionResult(submission.id, SubmissionStatus.REJECTED.value, errors=dict(errors))


# --- 2 to 11: one transaction ---------------------------------------------------------------


async def _apply(lead: Lead) -> SubmissionResult | None:
    """Steps 2 to 11 in one transaction; None when the submission was no longer waiting."""
    # The context outside the transaction, where the queue's turn is taken (`_next_responsible`).
    outside = _OUTSIDE.set(contextvars.copy_context())
    try:
        async with in_transaction():
            if not await _claim(lead.submission):
                return None
            await _lock(lead)
            repeat = await _repeat_of(lead)
            if repeat is not None:
                return await _settle_repeat(lead, repeat)
            match = await _match(lead)
            placed = await _place(lead, match)
            recipient = await _recipient(lead, placed)
            await _record_history(lead, placed.contact)
            record = await _scheme_record(
                lead, placed.contact.id, placed.contact.responsible_id or recipient
            )
            await alerts.alert_lead(_news(lead, placed, record), recipient)
            return await _settle(lead, placed)
    finally:
        _OUTSIDE.reset(outside)


async def _claim(submission: FormSubmission) -> bool:
    """Claim the submission for this transaction, so that the worker, the sweep and a release
    (here or in another process) never both process it; the claim ends with the commit, which
    settles it, or with the rollback, which leaves it received.

    PostgreSQL: the row is locked, and a row another transaction holds is skipped at once
    (SKIP LOCKED), so processes draining one queue pass each other instead of waiting. SQLite:
    a conditional write, which takes the database's one write lock until commit; a loser finds
    the submission settled and writes nothing.
    """
    if dialect() == "sqlite":
        claimed = await FormSubmission.filter(
            id=submission.id, status=SubmissionStatus.RECEIVED
        ).update(reason=None)
        return bool(claimed)
    rows = await connection().execute_query_dict(
        "SELECT id FROM form_submission WHERE id = $1 AND status = $2 FOR UPDATE SKIP LOCKED",
        [submission.id, SubmissionStatus.RECEIVED.value],
    )
    return bool(rows)


async def _lock(lead: Lead) -> None:
    """Serialize, until commit, the writers of this person and the posts of this visitor.

    Under the lock on the person's duplicate keys (the one `create_contact` takes), two
    submissions of the same person at once cannot both decide "new" (F6: no silent twins).
    The posts of one address to one form are serialized too (PostgreSQL; SQLite transactions
    are serial already), so that a double click is seen as a repeat even when the visitor gave
    nothing the duplicate keys lock (a first name and a message).
    """
    await lock_duplicate_keys(lead.clean.scalars, lead.clean.channels)
    address_hash = lead.submission.address_hash
    if address_hash is None or dialect() == "sqlite":
        return
    await connection().execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [f"web_form:{lead.form.id}:{address_hash}"],
    )


@dataclass(frozen=True, slots=True)
class _Repeat:
    """The earlier submission a post repeats, and the contact it went to."""

    id: int
    contact_id: int


async def _repeat_of(lead: Lead) -> _Repeat | None:
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


async def _settle_repeat(lead: Lead, repeat: _Repeat) -> SubmissionResult:
    """A repeat goes to the contact its first post went to; nothing else is written."""
    submission = lead.submission
    await FormSubmission.filter(id=submission.id).update(
        status=SubmissionStatus.MERGED,
        contact_id=repeat.contact_id,
        reason=f"repeat of submission #{repeat.id}",
    )
    return SubmissionResult(
        submission.id, SubmissionStatus.MERGED.value, repeat.contact_id, duplicate=True
    )


async def _match(lead: Lead) -> DuplicateMatch | None:
    """The existing contact the lead looks like (under the lock of step 3), if any."""
    clean = lead.clean
    matches = await find_duplicates_for(lead.actor, clean.scalars, clean.channels)
    return intake.preferred_match(matches)


async def _place(lead: Lead, match: DuplicateMatch | None) -> _Placed:
    """The contact the lead goes to, by the form's duplicate policy: a new one (also next to
    its look-alike under "allow", or one that shares only the name) whose responsible is the
    queue's next, with its company, in one call; or the match. A post with the form's API key
    merges into it (the message appended to its comment) or replaces its values; any other
    post only fills its empty fields and adds channels after its own, and the rest is proposed.
    """
    policy = DedupPolicy(lead.form.dedup_policy)
    # A name is no proof of identity: two Jean Dupont are two people until staff say otherwise
    # (the twin's card lists the other under Duplicates, the alert and the submission name it).
    if match is None or policy == DedupPolicy.ALLOW or match.reason not in intake.CHANNEL_MATCHES:
        responsible = await _next_responsible(lead.form.id)
        # The responsible is active staff, picked from the queue's active members.
        clean = replace(lead.clean, scalars={**lead.clean.scalars, "responsible_id": responsible})
        contact = await intake.create_with_company(
            lead.actor,
            clean,
            lead.definitions,
            lead.company_title,
            allow_duplicate=True,  # decided above, under the lock
            keys_locked=True,
            web_form_id=lead.form.id,
        )
        return _Placed(contact, Placement.NEW if match is None else Placement.TWIN, match)
    fields = _sent(lead)
    vouched = lead.submission.caller == CallerKind.API
    if vouched and policy == DedupPolicy.REPLACE:
        card = await intake.replace_into(
            lead.actor,
            match.contact_id,
            fields,
            company_title=lead.company_title,
            message=lead.draft.message,
        )
        return _Placed(card.contact, Placement.REPLACED, match)
    if vouched:
        # The shop's own server: merged as staff would (the message appended, a first phone
        # added); what merge never overwrites is proposed rather than dropped unseen.
        merged = await intake.merge_into(
            lead.actor,
            match.contact_id,
            fields,
            company_title=lead.company_title,
            message=lead.draft.message,
        )
    else:
        merged = await intake.propose_into(
            lead.actor,
            match.contact_id,
            fields,
            company_title=lead.company_title,
            message=lead.draft.message,
            replacing=policy == DedupPolicy.REPLACE,
        )
    return _Placed(merged.card.contact, Placement.MERGED, match, merged.proposal)


def _sent(lead: Lead) -> contacts.CleanContact:
    """What the visitor sent, to merge or replace with: `clean` less the comment (the message
    is appended instead) and less the custom fields' defaults (a new contact's starting
    values, not answers to fill or overwrite a known contact's fields with)."""
    answered = lead.draft.data.get("custom") or {}
    return replace(
        lead.clean,
        scalars={k: v for k, v in lead.clean.scalars.items() if k != "comment"},
        custom={code: v for code, v in lead.clean.custom.items() if code in answered},
    )


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
    submissions at once each gets its own turn (no read-modify-write of the counter).

    The turn is taken outside the lead's transaction, committed at once: the cursor's update
    inside it would hold the form's row locked until the lead commits, and every other lead of
    the form would wait for it (PostgreSQL). A lead that then rolls back has used its turn.
    That needs a second connection from the pool; when none comes within TURN_WAIT_SECONDS
    (this process's other leads hold them all, perhaps waiting for this lead's locks), the
    turn is taken inside, as before: slower for the form's other leads, never a deadlock.
    SQLite runs one transaction at a time on one connection: there it is taken inside.
    """
    outside = _OUTSIDE.get()
    if outside is None or dialect() == "sqlite":
        return await _take_turn(form_id)
    turn = _OwnTurn(form_id)
    # A task in the context from before the transaction: its queries run on a connection of
    # their own from the pool.
    task = asyncio.create_task(turn.take(), context=outside.copy())
    try:
        await asyncio.wait({task}, timeout=TURN_WAIT_SECONDS)
    finally:
        if not task.done() and not turn.started:
            # Given up (or this lead cancelled): the task takes no turn once it gets a
            # connection. It is not cancelled, which could leave its connection checked out.
            turn.abandoned = True
    if task.done() or turn.started:
        return await task
    return await _take_turn(form_id)


@dataclass(slots=True)
class _OwnTurn:
    """The queue's turn taken in a transaction of its own, unless abandoned before it began."""

    form_id: int
    started: bool = False
    abandoned: bool = False

    async def take(self) -> int | None:
        async with in_transaction():
            if self.abandoned:
                return None
            self.started = True
            return await _take_turn(self.form_id)


async def _take_turn(form_id: int) -> int | None:
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


async def _recipient(lead: Lead, placed: _Placed) -> int | None:
    """Who hears of the lead: the contact's responsible; for a merged or replaced contact whose
    responsible is unreachable, the queue's next, who may then take it."""
    contact = placed.contact
    if placed.kind in (Placement.NEW, Placement.TWIN):
        return contact.responsible_id
    if contact.responsible_id is not None and await Staff.exists(
        id=contact.responsible_id, is_active=True, is_unreachable=False
    ):
        return contact.responsible_id
    # The contact keeps its responsible; someone who can act still hears about it, and may
    # take this new lead even if the contact was taken once before.
    recipient = await _next_responsible(lead.form.id)
    await Contact.filter(id=contact.id).update(taken_at=None)
    return recipient


async def _record_history(lead: Lead, contact: Contact) -> None:
    """The contact's history says which form and submission brought the lead."""
    await history.record(
        lead.actor,
        contacts.ENTITY,
        contact.id,
        HistoryKind.CHANGED,
        field=ENTITY,
        after=f"{lead.form.title} (submission #{lead.submission.id})",
    )


async def _scheme_record(
    lead: Lead, contact_id: int, responsible: int | None
) -> Deal | Quote | None:
    """The deal or quote of a deal or quote form, linked to the contact; returns it."""
    scheme = FormScheme(lead.form.scheme)
    if scheme == FormScheme.CONTACT:
        return None
    entity = "deal" if scheme == FormScheme.DEAL else "quote"
    title = deal_title(lead.form.title, lead.name)
    active = responsible is not None and await Staff.exists(id=responsible, is_active=True)
    owner = responsible if active else None
    record = await companies.create(lead.actor, entity, {"title": title, "responsible_id": owner})
    await contacts.link(lead.actor, contact_id, entity, record.pk)
    return cast(Deal | Quote, record)


def _news(lead: Lead, placed: _Placed, record: Deal | Quote | None) -> alerts.LeadNews:
    """What the alert is to tell, before it is fitted to its reader."""
    return alerts.LeadNews(
        form=lead.form,
        submission_id=lead.submission.id,
        contact=placed.contact,
        kind=placed.kind,
        match=placed.match,
        record=record,
        name=lead.name,
        channels=lead.clean.channels,
        company_title=lead.company_title,
        message=lead.draft.message,
        utm=lead.utm,
        proposal=placed.proposal,
    )


async def _settle(lead: Lead, placed: _Placed) -> SubmissionResult:
    """The submission's outcome, on its row and for the caller."""
    merged = placed.kind in (Placement.MERGED, Placement.REPLACED)
    status = SubmissionStatus.MERGED if merged else SubmissionStatus.CREATED
    twin_of = placed.match.contact_id if placed.kind == Placement.TWIN and placed.match else None
    await FormSubmission.filter(id=lead.submission.id).update(
        status=status,
        contact_id=placed.contact.id,
        reason=f"possible duplicate of #{twin_of}" if twin_of is not None else None,
        proposal=placed.proposal.as_json() if placed.proposal else None,
    )
    return SubmissionResult(lead.submission.id, status.value, placed.contact.id, duplicate=merged)
