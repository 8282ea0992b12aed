"""Held web form submissions (F8): posts kept as spam or over a rate limit, recoverable.

A spam check or a rate limit can be wrong about a real visitor (a trade-show stand behind one
address, a flood from elsewhere using up the form's limit). Nothing they sent is lost: the
post is stored with its reason, and whoever manages web forms lists these posts newest first,
releases one into a lead (processed then like any post) or deletes it. Each release or delete
is audited on the submission (entity `form_submission`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from crm import history
from crm.actors import Actor
from crm.db import valid_id
from crm.errors import NotFoundError
from crm.permissions import require_settings
from crm.rules.text import visible_text
from crm.rules.webforms import FormField
from crm.webforms import submissions
from crm.webforms.leads import SubmissionResult
from models import FormSubmission, WebForm
from models.enums import HistoryKind, SubmissionStatus

ENTITY = "form_submission"
# Posts an administrator may release or delete: spam by evidence, and held over a rate limit.
HELD_STATUSES = (SubmissionStatus.SPAM, SubmissionStatus.HELD)
PER_PAGE = 10
MAX_PER_PAGE = 100
SUMMARY_WIDTH = 100  # a name or an e-mail of a held post, as its list shows it
# Contact targets whose answers make a held post's name, in this order.
NAME_TARGETS = ("name", "honorific", "first_name", "last_name")


@dataclass(frozen=True, slots=True)
class HeldSubmission:
    """One held post as its list shows it: when, why, and who it says it is."""

    id: int
    received_at: datetime
    status: str  # "spam" or "held" (a SubmissionStatus value)
    reason: str | None
    name: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class HeldPage:
    """One page of a form's held posts, newest first."""

    form_id: int
    slug: str
    title: str
    items: list[HeldSubmission]
    page: int
    pages: int
    total: int


def _text(value: Any) -> str | None:
    """An answer as one line of visible text, cut to SUMMARY_WIDTH; None when empty."""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v not in (None, ""))
    if value is None or isinstance(value, bool | dict):
        return None
    text = " ".join(visible_text(str(value)).split())
    if len(text) > SUMMARY_WIDTH:
        text = text[: SUMMARY_WIDTH - 1] + "…"
    return text or None


def summary_of(
    fields: Sequence[FormField], payload: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """The name and the e-mail a post gives, read through the form's fields (what feeds the
    contact's name and e-mail), else from inputs called "name" and "email"."""
    by_target = {f.maps_to: f.name for f in fields if f.maps_to}
    parts = [payload.get(by_target[t]) for t in NAME_TARGETS if t in by_target]
    name = _text([p for p in parts if p]) if any(parts) else _text(payload.get("name"))
    email = _text(payload.get(by_target.get("email", "email")))
    return name, email


async def _form(form_id: int) -> WebForm:
    form = await WebForm.get_or_none(id=form_id) if valid_id(form_id) else None
    if form is None:
        raise NotFoundError(f"form #{form_id} does not exist")
    return form


async def _held(form_id: int, submission_id: int) -> FormSubmission:
    """A held post of the form; raises NotFoundError for any other id (another form's post,
    one processed, released or deleted meanwhile): all answer as a missing one."""
    row = None
    if valid_id(form_id) and valid_id(submission_id):
        row = await FormSubmission.get_or_none(
            id=submission_id, form_id=form_id, status__in=HELD_STATUSES
        )
    if row is None:
        raise NotFoundError(f"submission #{submission_id} is not held by this form")
    return row


async def list_held(
    actor: Actor, form_id: int, page: int = 0, per_page: int = PER_PAGE
) -> HeldPage:
    """The form's held posts (spam and over a rate limit), newest first, page `page`
    (clamped). Raises PermissionDeniedError (the settings right) or NotFoundError."""
    require_settings(actor)
    form = await _form(form_id)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    query = FormSubmission.filter(form_id=form.id, status__in=HELD_STATUSES)
    total = await query.count()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    rows = (
        await query.order_by("-received_at", "-id")
        .offset(page * per_page)
        .limit(per_page)
        .values("id", "received_at", "status", "reason", "payload")
    )
    fields = _fields(form)
    items = [_item(fields, row) for row in rows]
    return HeldPage(form.id, form.slug, form.title, items, page, pages, total)


async def get_held(actor: Actor, form_id: int, submission_id: int) -> HeldSubmission:
    """One held post of the form, as its list shows it. Raises PermissionDeniedError or
    NotFoundError (not a held post of this form)."""
    require_settings(actor)
    form = await _form(form_id)
    row = await _held(form.id, submission_id)
    values = {name: getattr(row, name) for name in ("id", "received_at", "status", "reason")}
    return _item(_fields(form), {**values, "payload": row.payload})


def _fields(form: WebForm) -> list[FormField]:
    return [FormField.from_spec(spec) for spec in form.fields_spec or []]


def _item(fields: Sequence[FormField], row: Mapping[str, Any]) -> HeldSubmission:
    payload = row["payload"] if isinstance(row["payload"], dict) else {}
    name, email = summary_of(fields, payload)
    status = SubmissionStatus(row["status"]).value
    return HeldSubmission(row["id"], row["received_at"], status, row["reason"], name, email)


async def release_held(actor: Actor, form_id: int, submission_id: int) -> SubmissionResult:
    """Release a held post of the form into a lead: it becomes `received` and is processed now
    like any post (duplicate policy, responsible, alert). Returns its outcome (created, merged,
    or rejected with the errors).

    The release is a conditional update: of two administrators releasing it at once, one
    does and the other gets NotFoundError, so it makes one lead. Raises PermissionDeniedError
    or NotFoundError (not a held post of this form, or no longer held).
    """
    require_settings(actor)
    async with in_transaction():
        row = await _held(form_id, submission_id)
        released = await FormSubmission.filter(id=row.id, status=row.status).update(
            status=SubmissionStatus.RECEIVED, reason=None
        )
        if not released:
            raise NotFoundError(f"submission #{row.id} is no longer held")
        await history.record(
            actor, ENTITY, row.id, HistoryKind.RESTORED, "status", _was(row), "received"
        )
    # Processed after the release is committed: a stop in between leaves it received, and the
    # scheduler's sweep processes it (the processing's own claim makes it one lead either way).
    result = await submissions.process_stored(row.id)
    if result is None:  # deleted between the two steps
        raise NotFoundError(f"submission #{row.id} does not exist")
    return result


async def delete_held(actor: Actor, form_id: int, submission_id: int) -> None:
    """Delete a held post of the form for good (what the visitor sent goes with it; the audit
    keeps only that it was deleted and why it was held). Raises PermissionDeniedError or
    NotFoundError (not a held post of this form, or released or deleted meanwhile)."""
    require_settings(actor)
    async with in_transaction():
        row = await _held(form_id, submission_id)
        deleted = await FormSubmission.filter(id=row.id, status=row.status).delete()
        if not deleted:
            raise NotFoundError(f"submission #{row.id} is no longer held")
        await history.record(actor, ENTITY, row.id, HistoryKind.PURGED, "status", _was(row))


def _was(row: FormSubmission) -> str:
    """What a held post was, for the audit: its status and reason."""
    status = SubmissionStatus(row.status).value
    return f"{status}: {row.reason}" if row.reason else status
