"""Web form submissions (F8): a visitor's post checked, stored raw and answered at once; the
lead is made from it right after, outside the request, by this process's worker.

`submit` is the one call the `forms/` adapter makes for a post:
1. `_verdict`: what the post is before anything is stored: spam (the adapter's evidence),
   held (over a rate limit), rejected (its answers fail the form's checks, run on the form as
   the adapter holds it in memory: `read_answers`), or received;
2. `_store` it raw, in its own transaction, whatever its fate;
3. a key another post holds: the first post's receipt again (`_replayed`) when the body is the
   same, else `IdempotencyKeyReusedError` (or, for the hosted page, a new submission, under
   the key and its body: `_key_of_body`);
4. wake the worker (`crm.webforms.worker`) and return a `Receipt`: never the contact, nor
   whether the person was known (no oracle for anonymous callers, no count of contacts).

Idempotency keys are stored under the kind of caller that sent them ("api:order-1042"), so a
key only ever replays a post of the same kind of caller: a stranger posting from the page, or
forging an allowed Origin, cannot take the key of an API client's order. Only a received post
holds its key: spam and held posts never do (a stranger cannot claim `order-1042`; a client
retrying after a 429 gets in), and rejected and failed ones free theirs.

`outcome` is what the status endpoint reads. `process_stored` processes one stored submission
now (a held one an admin released); `resume_stranded` is the scheduler's net for submissions
no worker got to.
"""

import asyncio
import hashlib
import json
import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm import config
from crm.db import utcnow, valid_id
from crm.errors import ConflictError, IdempotencyKeyReusedError
from crm.rules.webforms import idempotency_key, raw_payload, read_answers, read_utm
from crm.webforms import worker
from crm.webforms.definitions import PublicForm
from crm.webforms.leads import SubmissionResult
from models import FormSubmission
from models.enums import CallerKind, SubmissionStatus

log = logging.getLogger(__name__)

# `process_stored` waits this long for a submission another transaction is processing.
REPLAY_WAIT_SECONDS = 10.0
# Posts racing on one idempotency key: each lost race means another post with that key got in
# (and, when its key is free again, was rejected or failed), so this bounds the racers served.
KEY_ATTEMPTS = 20
# A submission still "received" this long after it arrived was stranded (its process stopped
# between storing and processing it, or its worker is stuck): the scheduler's sweep processes
# it then.
STRANDED_AFTER = timedelta(minutes=2)
STRANDED_BATCH = 100


@dataclass(frozen=True, slots=True)
class SubmissionMeta:
    """Where a submission came from, as the adapter saw it (never trusted for rights)."""

    address_hash: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    page_url: str | None = None  # UTM parameters are read from it when the fields lack them
    idempotency_key: str | None = None
    consent_text: str | None = None  # the consent text the visitor was shown
    spam_reason: str | None = None  # set by the adapter's checks: trap, token, too fast…
    # Over a rate limit: not evidence of spam; stored as held (for an admin to release) and
    # answered 429 by the adapter.
    hold_reason: str | None = None
    api_key: str | None = None
    caller: CallerKind | None = None
    # A reused key with another body is a new submission, not an error: a visitor who went
    # back on the hosted page and corrected the form must not have the correction dropped.
    changed_body_is_new: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a post is answered with: its submission and where it stands, never the contact.

    `status`: received, rejected (`errors` by form field), spam or held. A replay (`replayed`)
    gives an API key holder its first post's current status (it may read it on the status
    endpoint anyway), and any other caller "received", what its first post was told.
    """

    submission_id: int
    status: str
    errors: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def caller_of(*, keyed: bool, token: bool, allowed_origin: bool) -> CallerKind:
    """Who posted, from what the adapter verified: the form's API key, a page token (the
    hosted page or embed.js), a post from one of the form's allowed origins, or none."""
    if keyed:
        return CallerKind.API
    if token:
        return CallerKind.PAGE
    return CallerKind.ORIGIN if allowed_origin else CallerKind.ANONYMOUS


def _cut(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "")
    return text[:limit] or None


async def submit(form: PublicForm, payload: Mapping[str, Any], meta: SubmissionMeta) -> Receipt:
    """Check the post against `form` (as the caller holds it), store it raw whatever its fate,
    wake the worker for a received one and return its receipt (the steps of this module's
    docstring). Raises IdempotencyKeyReusedError for a key sent again with another body
    (unless `meta.changed_body_is_new`), ConflictError when the key kept changing hands.
    """
    status, reason, errors = _verdict(form, payload, meta)
    key = _scoped_key(meta) if status == SubmissionStatus.RECEIVED else None
    body = raw_payload(payload)
    for _ in range(KEY_ATTEMPTS):
        try:
            with worker.posting():
                submission = await _store(form, body, payload, meta, key, status, reason)
            break
        except IntegrityError:
            if key is None:
                raise
        # Another post holds the key (had it been freed meanwhile, the next insert goes in).
        first = await FormSubmission.get_or_none(form_id=form.id, idempotency_key=key)
        if first is None:
            continue
        if first.payload == body:
            return _replayed(first, meta.caller)
        if not meta.changed_body_is_new:
            raise IdempotencyKeyReusedError(
                "this idempotency key was already used with another body"
            )
        # The corrected post is a submission of its own, under a key of its own (its double
        # click is still one submission).
        key = _key_of_body(key, body)
    else:
        raise ConflictError("this idempotency key is being used by other requests; try again")
    if status == SubmissionStatus.RECEIVED:
        worker.wake()
    return Receipt(submission.id, status.value, errors)


def _verdict(
    form: PublicForm, payload: Mapping[str, Any], meta: SubmissionMeta
) -> tuple[SubmissionStatus, str | None, dict[str, str]]:
    """The status a post is stored with, its reason, and its errors by form field."""
    spam = _cut(meta.spam_reason, 2000)
    if spam:
        return SubmissionStatus.SPAM, spam, {}
    held = _cut(meta.hold_reason, 2000)
    if held:
        return SubmissionStatus.HELD, held, {}
    _, errors = read_answers(
        form.fields,
        payload,
        consent_required=form.consent_required,
        region=config.current().default_phone_region,
    )
    if errors:
        reason = "; ".join(f"{name}: {message}" for name, message in errors.items())
        return SubmissionStatus.REJECTED, reason[:10000], errors
    return SubmissionStatus.RECEIVED, None, {}


def _scoped_key(meta: SubmissionMeta) -> str | None:
    """The idempotency key as stored: under the kind of caller that sent it."""
    if meta.idempotency_key is None:
        return None
    scope = meta.caller.value if meta.caller is not None else "core"
    return idempotency_key(f"{scope}:{meta.idempotency_key}")


def _key_of_body(key: str, body: dict[str, Any]) -> str | None:
    """A key for one body sent under `key`."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return idempotency_key(f"{key}#{digest}")


def _replayed(first: FormSubmission, caller: CallerKind | None) -> Receipt:
    """The receipt of the post a key replays (same caller kind by the key's scope, same body)."""
    status = SubmissionStatus(first.status)
    shown = status if caller == CallerKind.API else SubmissionStatus.RECEIVED
    return Receipt(first.id, shown.value, replayed=True)


async def _store(
    form: PublicForm,
    body: dict[str, Any],
    payload: Mapping[str, Any],
    meta: SubmissionMeta,
    key: str | None,
    status: SubmissionStatus,
    reason: str | None,
) -> FormSubmission:
    """The raw submission, committed before this returns: whatever happens next, the visitor's
    data is on disk. Posts that arrive together share one commit (`_GroupCommit`)."""
    return await _GroupCommit.of_this_loop().store(
        {
            "form_id": form.id,
            "payload": body,
            "address_hash": _cut(meta.address_hash, 64),
            "user_agent": _cut(meta.user_agent, 500),
            "referrer": _cut(meta.referrer, 1000),
            "utm": read_utm(payload, meta.page_url),
            "consent_text": _cut(meta.consent_text or form.consent_text, 10000),
            "idempotency_key": key,
            "caller": meta.caller,
            "status": status,
            "reason": reason,
        }
    )


class _GroupCommit:
    """Stores rows a transaction at a time: the rows that arrive while one group commits go
    into the next group, together, so that a flood of posts costs one commit per group instead
    of one per post (on SQLite every commit waits for the disk, and for the one connection).

    The first caller with a row waiting while no group is being written starts the next group,
    in its own context; the others wait for their row's group. A caller that goes away (a
    closed request) cancels nothing: its group is written anyway. A row is stored (its caller
    answered) only once its group's commit succeeded; a key another post holds fails that post
    alone (a savepoint per keyed row).
    """

    # One per event loop, made on first use (an empty registry at import).
    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit]" = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self) -> None:
        self._waiting: list[_Row] = []
        self._writing: asyncio.Task[None] | None = None

    @classmethod
    def of_this_loop(cls) -> "_GroupCommit":
        loop = asyncio.get_running_loop()
        writer = cls._by_loop.get(loop)
        if writer is None:
            writer = cls._by_loop[loop] = cls()
        return writer

    async def store(self, fields: dict[str, Any]) -> FormSubmission:
        """Insert a row of `fields`; returns it once committed; raises the insert's error."""
        loop = asyncio.get_running_loop()
        row = _Row(fields, loop.create_future())
        row.stored.add_done_callback(_seen)
        self._waiting.append(row)
        while not row.stored.done():
            if self._writing is None:
                group, self._waiting = self._waiting, []
                self._writing = loop.create_task(_write(group))
                self._writing.add_done_callback(self._written)
            # Neither is cancelled if this caller is.
            either: set[asyncio.Future[Any]] = {row.stored, self._writing}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        return row.stored.result()

    def _written(self, task: "asyncio.Task[None]") -> None:
        if self._writing is task:
            self._writing = None


@dataclass(slots=True)
class _Row:
    """A row waiting to be stored, and what became of it."""

    fields: dict[str, Any]
    stored: "asyncio.Future[FormSubmission]"
    submission: FormSubmission | None = None
    error: BaseException | None = None

    def settle(self, error: BaseException | None) -> None:
        """Answer the caller: the row once committed, or the error."""
        if self.stored.done():
            return
        if error is not None:
            self.stored.set_exception(error)
        else:
            self.stored.set_result(cast(FormSubmission, self.submission))


async def _write(group: list[_Row]) -> None:
    """One transaction for the group. A row with an idempotency key is inserted in a savepoint
    of its own: a key another post holds fails that row alone."""
    try:
        async with in_transaction():
            for row in group:
                row.submission = await _insert(row)
    except Exception as exc:  # the database: every row's caller is told
        for row in group:
            row.settle(exc)
        return
    finally:  # cut short (the loop closing): nobody waits for ever
        for row in group:
            if row.submission is None and row.error is None:
                row.settle(ConnectionError("the submission's store was cut short"))
    for row in group:
        row.settle(row.error)


async def _insert(row: "_Row") -> FormSubmission | None:
    if row.fields.get("idempotency_key") is None:
        return await FormSubmission.create(**row.fields)
    try:
        async with in_transaction():
            return await FormSubmission.create(**row.fields)
    except IntegrityError as exc:
        row.error = exc
        return None


def _seen(stored: "asyncio.Future[FormSubmission]") -> None:
    """Its error is raised to the caller, or to nobody when the caller went away."""
    if not stored.cancelled():
        stored.exception()


async def outcome(form_id: int, submission_id: int) -> SubmissionResult | None:
    """Where the submission `submission_id` of the form `form_id` stands (the status endpoint);
    None when the form has no such submission (another form's is no such submission)."""
    if not valid_id(submission_id):
        return None
    submission = await FormSubmission.get_or_none(id=submission_id, form_id=form_id)
    return None if submission is None else _result_of(submission)


def _result_of(submission: FormSubmission) -> SubmissionResult:
    status = SubmissionStatus(submission.status)
    return SubmissionResult(
        submission_id=submission.id,
        status=status.value,
        contact_id=submission.contact_id,
        duplicate=status == SubmissionStatus.MERGED,
        errors=_errors_of(submission.reason) if status == SubmissionStatus.REJECTED else {},
    )


def _errors_of(reason: str | None) -> dict[str, str]:
    """The errors of a rejected submission, from its stored reason ("field: message; ...")."""
    errors: dict[str, str] = {}
    for part in (reason or "").split("; "):
        name, _, message = part.partition(": ")
        if name:
            errors[name] = message
    return errors


async def resume_stranded(
    older_than: timedelta = STRANDED_AFTER, limit: int = STRANDED_BATCH
) -> int:
    """Process, oldest first, the submissions left received for `older_than` (their process
    stopped between storing and processing them, or the database was gone for a while).
    Returns how many it processed. Safe in several processes at once, and next to the workers:
    each submission is claimed by the transaction that processes it."""
    return await worker.process_received(limit, received_before=utcnow() - older_than)


async def process_stored(submission_id: int) -> SubmissionResult | None:
    """Process the stored submission `submission_id` now, if it is still received (a held
    one an admin released, say). Returns its outcome; None when there is no such submission.
    An unexpected error leaves it failed (with the reason) and is raised."""
    submission = await FormSubmission.get_or_none(id=submission_id).select_related("form")
    if submission is None:
        return None
    if submission.status == SubmissionStatus.RECEIVED:
        result = await worker.process_one(submission)
        if result is not None:
            return result
    return await _settled(submission)


async def _settled(submission: FormSubmission) -> SubmissionResult:
    """The outcome of a submission another transaction is processing, once it is settled
    (or as it stands after REPLAY_WAIT_SECONDS)."""
    waited = 0.0
    delay = 0.02
    while submission.status == SubmissionStatus.RECEIVED and waited < REPLAY_WAIT_SECONDS:
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 0.25)
        await submission.refresh_from_db()
    return _result_of(submission)
