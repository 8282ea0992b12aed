"""Delivering the outbox: claim due messages, record each outcome, recover claims left behind.

The sender (an adapter) only talks to Telegram; every decision that touches the database is
here. Each row is claimed with a conditional update (`status` pending → sending, with the
worker's id) before it is sent, and every outcome is written only while the worker still holds
the claim, so two processes never send the same row. A process that dies holding claims
leaves them to `release_stale_claims`: delivery is at least once, and a duplicate can only
happen when a process dies between Telegram's answer and recording it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from crm import config
from crm.db import utcnow
from crm.rules.outbox import CLAIM_TIMEOUT, RetryPolicy, stale_before
from models import OutboxMessage, Staff
from models.enums import DeliveryStatus

ERROR_LENGTH = 1000
REASON_LENGTH = 300  # Staff.unreachable_reason
GROUP_LIMIT = 200  # rows of the claimed rows' groups that come along in one claim


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A claimed outbox row with what the sender needs to write it in its reader's language."""

    id: int
    chat_id: int
    staff_id: int | None
    kind: str
    text: str  # plain text: the sender escapes it for its parse mode
    payload: dict[str, Any]
    group_key: str | None
    attempts: int
    language: str
    timezone: str

    @property
    def group(self) -> tuple[int, str] | None:
        """Messages with the same group (chat and group key) claimed together go as one."""
        return (self.chat_id, self.group_key) if self.group_key else None


def _clip(text: str, length: int) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= length else text[: length - 1] + "…"


def _held(worker: str, ids: Sequence[int]) -> Q:
    """Rows among `ids` that `worker` still holds a claim on."""
    return Q(id__in=list(ids), status=DeliveryStatus.SENDING, claimed_by=worker)


async def claim_due(
    worker: str, limit: int = 50, now: datetime | None = None
) -> list[OutgoingMessage]:
    """Claim up to `limit` pending messages due by `now` for `worker`, oldest first.

    Pending messages of the same chat and group key as a claimed one come along (up to
    GROUP_LIMIT more), so that a group is sent as one message. Only rows this call switched from
    pending to sending are returned: a concurrent worker never gets the same row.
    """
    now = now or utcnow()
    async with in_transaction():
        due = await _due_rows(limit, now)
        if not due:
            return []
        ids = [m.id for m in due]
        claimed = await OutboxMessage.filter(
            id__in=ids, status=DeliveryStatus.PENDING, not_before__lte=now
        ).update(status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now)
        if claimed != len(ids):
            # Another worker claimed some of them between our read and our update.
            mine = set(
                await OutboxMessage.filter(_held(worker, ids), claimed_at=now).values_list(
                    "id", flat=True
                )
            )
            due = [m for m in due if m.id in mine]
    return await _outgoing(sorted(due, key=lambda m: m.id))


async def _due_rows(limit: int, now: datetime) -> list[OutboxMessage]:
    """Pending rows due by `now`, oldest first, with the due rows of the same groups."""
    # On PostgreSQL, SKIP LOCKED lets concurrent workers pick different rows instead of
    # queueing on the same ones; the conditional update in `claim_due` is what guarantees a
    # row is claimed once (SQLite, which has no row locks, relies on it alone).
    due = (
        await OutboxMessage.filter(status=DeliveryStatus.PENDING, not_before__lte=now)
        .order_by("not_before", "id")
        .limit(limit)
        .select_for_update(skip_locked=True)
    )
    groups = {(m.chat_id, m.group_key) for m in due if m.group_key}
    if groups:
        more = (
            await OutboxMessage.filter(
                status=DeliveryStatus.PENDING,
                not_before__lte=now,
                chat_id__in=sorted({chat for chat, _ in groups}),
                group_key__in=sorted({key for _, key in groups}),
            )
            .exclude(id__in=[m.id for m in due])
            .order_by("id")
            .limit(GROUP_LIMIT)
            .select_for_update(skip_locked=True)
        )
        due += [m for m in more if (m.chat_id, m.group_key) in groups]
    return due


async def _outgoing(rows: list[OutboxMessage]) -> list[OutgoingMessage]:
    defaults = config.current()
    staff_ids = sorted({m.staff_id for m in rows if m.staff_id is not None})
    readers = {
        staff_id: (language, timezone)
        for staff_id, language, timezone in await Staff.filter(id__in=staff_ids).values_list(
            "id", "language", "timezone"
        )
    }
    fallback = (defaults.default_language, defaults.timezone)
    outgoing = []
    for m in rows:
        language, timezone = readers.get(m.staff_id or 0, fallback)
        outgoing.append(
            OutgoingMessage(
                id=m.id,
                chat_id=m.chat_id,
                staff_id=m.staff_id,
                kind=m.kind,
                text=m.text,
                payload=m.payload if isinstance(m.payload, dict) else {},
                group_key=m.group_key,
                attempts=m.attempts,
                language=language,
                timezone=timezone,
            )
        )
    return outgoing


async def mark_sent(
    worker: str, ids: Sequence[int], telegram_message_id: int, now: datetime | None = None
) -> int:
    """Record that Telegram accepted the message carrying `ids`; returns the rows updated.

    A claim released as stale meanwhile (but not claimed again) is still marked sent: the
    message did go out, and sending it again would be the duplicate we avoid.
    """
    return await OutboxMessage.filter(
        Q(id__in=list(ids))
        & (
            Q(status=DeliveryStatus.SENDING, claimed_by=worker)
            | Q(status=DeliveryStatus.PENDING, claimed_by=None)
        )
    ).update(
        status=DeliveryStatus.SENT,
        sent_at=now or utcnow(),
        telegram_message_id=telegram_message_id,
        claimed_by=worker,
        attempts=F("attempts") + 1,
    )


async def mark_retry(
    worker: str,
    ids: Sequence[int],
    error: str,
    now: datetime | None = None,
    policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, safe to share
) -> datetime | None:
    """A transient failure (Telegram 5xx, network): count the attempt and back off.

    The rows sent together share one fate, decided by the most tried of them. Returns when
    they will be tried again, or None once they have failed for good (`policy.max_attempts`)
    or are no longer this worker's.
    """
    now = now or utcnow()
    async with in_transaction():
        tried = cast(
            list[int],
            await OutboxMessage.filter(_held(worker, ids)).values_list("attempts", flat=True),
        )
        if not tried:
            return None
        attempts = max(tried) + 1
        held = OutboxMessage.filter(_held(worker, ids))
        if policy.gives_up(attempts):
            await held.update(
                status=DeliveryStatus.FAILED,
                attempts=F("attempts") + 1,
                last_error=_clip(f"gave up after {attempts} attempts: {error}", ERROR_LENGTH),
            )
            return None
        when = now + policy.delay(attempts)
        await held.update(
            status=DeliveryStatus.PENDING,
            attempts=F("attempts") + 1,
            not_before=when,
            last_error=_clip(error, ERROR_LENGTH),
            claimed_by=None,
            claimed_at=None,
        )
        return when


async def postpone(
    worker: str, ids: Sequence[int], until: datetime, reason: str | None = None
) -> int:
    """Give claimed rows back to pending until `until`, without counting an attempt.

    For Telegram's "retry after" (flood control), a chat that is busy for now, or a sender
    that is stopping. Returns the rows updated.
    """
    changes: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "not_before": until,
        "claimed_by": None,
        "claimed_at": None,
    }
    if reason is not None:
        changes["last_error"] = _clip(reason, ERROR_LENGTH)
    return await OutboxMessage.filter(_held(worker, ids)).update(**changes)


async def redirect(worker: str, ids: Sequence[int], chat_id: int) -> int:
    """The chat moved (a group became a supergroup): send the rows to `chat_id` instead, now."""
    return await OutboxMessage.filter(_held(worker, ids)).update(
        status=DeliveryStatus.PENDING, chat_id=chat_id, claimed_by=None, claimed_at=None
    )


async def mark_failed(worker: str, ids: Sequence[int], error: str) -> int:
    """A permanent failure (bad request, blocked): the rows are failed for good, with why."""
    return await OutboxMessage.filter(_held(worker, ids)).update(
        status=DeliveryStatus.FAILED,
        attempts=F("attempts") + 1,
        last_error=_clip(error, ERROR_LENGTH),
    )


async def mark_unreachable(staff_id: int, reason: str) -> int:
    """Telegram will not deliver to this staff member (they blocked the bot, the chat is gone).

    They are marked unreachable, so nothing more is queued for them, and their messages still
    pending are cancelled: each would fail the same way. Returns the messages cancelled.
    """
    reason = _clip(reason, REASON_LENGTH)
    async with in_transaction():
        await Staff.filter(id=staff_id).update(is_unreachable=True, unreachable_reason=reason)
        return await OutboxMessage.filter(staff_id=staff_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED,
            last_error=_clip(f"staff member unreachable: {reason}", ERROR_LENGTH),
        )


async def release_stale_claims(
    now: datetime | None = None, older_than: timedelta = CLAIM_TIMEOUT
) -> int:
    """Give claims older than `older_than` (their process died) back to pending; returns how
    many."""
    cutoff = stale_before(now or utcnow(), older_than)
    return await OutboxMessage.filter(
        Q(claimed_at__lt=cutoff) | Q(claimed_at=None), status=DeliveryStatus.SENDING
    ).update(status=DeliveryStatus.PENDING, claimed_by=None, claimed_at=None)
