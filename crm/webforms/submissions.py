"""Web form submissions (F8): a visitor's post stored raw before anything else, then handed on.

`submit` is the one call the `forms/` adapter makes for a post. The raw submission is stored
first, in its own transaction, so that nothing a visitor sent is ever lost; `crm.webforms.leads`
then turns it into a lead. A repeated idempotency key is answered with the first post's result;
a failure is kept on the submission's row; a submission its process never got to (stopped
between the two steps) is processed by the scheduler's sweep, `resume_stranded`.
"""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from crm.db import utcnow
from crm.errors import ConflictError
from crm.rules.webforms import idempotency_key, raw_payload, read_utm
from crm.webforms import leads
from crm.webforms.definitions import load_active_form
from crm.webforms.leads import SubmissionResult
from models import FormSubmission, WebForm
from models.enums import CallerKind, SubmissionStatus

log = logging.getLogger(__name__)

# A second post with the key of one still being processed waits this long for its result.
REPLAY_WAIT_SECONDS = 10.0
# Posts racing on one idempotency key: each lost race means another post with that key got in
# (and, when its key is free again, was rejected or failed), so this bounds the racers served.
KEY_ATTEMPTS = 20
# A submission still "received" this long after it arrived was stranded (its process stopped
# between storing and processing it): the scheduler's sweep processes it then.
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


def _cut(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "")
    return text[:limit] or None


async def submit(slug: str, payload: Mapping[str, Any], meta: SubmissionMeta) -> SubmissionResult:
    """Store the raw submission first, then process it as a lead (`leads.process`: validate,
    apply the duplicate policy, assign the responsible from the queue, create the scheme's deal
    or quote, and queue the alert).

    A repeated idempotency key returns the first result; spam is stored with its reason and
    answered like success by the adapter. Raises NotFoundError for an unknown form. An
    unexpected error leaves the submission stored as failed (with the reason) and is raised.
    """
    form = await load_active_form(slug)
    key = idempotency_key(meta.idempotency_key)
    spam = _cut(meta.spam_reason, 2000)
    held = None if spam else _cut(meta.hold_reason, 2000)
    for _ in range(KEY_ATTEMPTS):
        if key is not None:
            first = await FormSubmission.get_or_none(form_id=form.id, idempotency_key=key)
            if first is not None:
                return await _replay(first)
        try:
            submission = await _store(form, payload, meta, key, spam, held)
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
    if held:
        return SubmissionResult(submission.id, SubmissionStatus.HELD.value)
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


async def process_stored(submission_id: int) -> SubmissionResult | None:
    """Process the stored submission `submission_id` now, if it is still received (a held
    one an admin released, say). Returns its outcome; None when there is no such submission.
    An unexpected error leaves it failed (with the reason) and is raised."""
    submission = await FormSubmission.get_or_none(id=submission_id).select_related("form")
    if submission is None:
        return None
    if submission.status != SubmissionStatus.RECEIVED:
        return await _replay(submission)
    return await _process_or_fail(submission.form, submission, submission.payload)


async def _store(
    form: WebForm,
    payload: Mapping[str, Any],
    meta: SubmissionMeta,
    key: str | None,
    spam: str | None,
    held: str | None = None,
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
            caller=meta.caller,
            status=_status_of(spam, held),
            reason=spam or held,
        )


def _status_of(spam: str | None, held: str | None) -> SubmissionStatus:
    if spam:
        return SubmissionStatus.SPAM
    return SubmissionStatus.HELD if held else SubmissionStatus.RECEIVED


def _retrieve(task: "asyncio.Future[SubmissionResult]") -> None:
    """Mark a shielded task's error as seen: it is logged and stored already, and nobody
    awaits the task any more when the request was cancelled."""
    if not task.cancelled():
        task.exception()


async def _process(
    form: WebForm, submission: FormSubmission, payload: Mapping[str, Any]
) -> SubmissionResult:
    """The lead's outcome, or, when another process settled the submission first, that one."""
    result = await leads.process(form, submission, payload)
    return result if result is not None else await _replay(submission)


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
    """The result of a submission processed elsewhere (a repeated key, a lost claim), once it
    is processed."""
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
