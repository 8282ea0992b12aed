"""The Notifier port: the core queues outgoing Telegram messages in a durable outbox.

Delivery (claims, retries, 403 -> unreachable) is `crm.outbox`, driven by the bot's sender;
here the core only decides who is told what, inside the same transaction as the change.
The core calls `queue_message`, which goes to the notifier in use: the outbox
(`OutboxNotifier`) unless a test plugged in another with `using` (tests/fakes.py has a
recording one).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm.db import utcnow
from models import OutboxMessage, Staff
from models.enums import DeliveryStatus


class Notifier(Protocol):
    """Where the core's outgoing messages go; see `queue_message` for the contract."""

    async def queue_message(
        self,
        staff: Staff,
        kind: str,
        text: str,
        *,
        payload: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        group_key: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage | None: ...


class OutboxNotifier:
    """The notifier of a running Carnet: one pending outbox row per message."""

    async def queue_message(
        self,
        staff: Staff,
        kind: str,
        text: str,
        *,
        payload: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        group_key: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage | None:
        current = await Staff.get_or_none(id=staff.id)
        if current is None or not current.is_active or current.is_unreachable:
            return None
        try:
            # A savepoint inside the caller's transaction: on PostgreSQL a unique violation
            # would otherwise abort the whole transaction of the change being notified.
            async with in_transaction():
                return await OutboxMessage.create(
                    staff_id=current.id,
                    chat_id=current.telegram_id,
                    kind=kind,
                    text=text.replace("\x00", ""),  # PostgreSQL text cannot hold NUL
                    payload=payload or {},
                    dedupe_key=dedupe_key,
                    group_key=group_key,
                    status=DeliveryStatus.PENDING,
                    not_before=not_before or utcnow(),
                )
        except IntegrityError:
            if dedupe_key:
                return None
            raise


_OUTBOX = OutboxNotifier()
_in_use: ContextVar[Notifier] = ContextVar("carnet_notifier")


def current() -> Notifier:
    """The notifier `queue_message` goes to in this context."""
    return _in_use.get(_OUTBOX)


@contextmanager
def using(notifier: Notifier) -> Iterator[Notifier]:
    """Send the core's messages to `notifier` inside the block (and the tasks it starts)."""
    token = _in_use.set(notifier)
    try:
        yield notifier
    finally:
        _in_use.reset(token)


async def queue_message(
    staff: Staff,
    kind: str,
    text: str,
    *,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    group_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Queue `text` (plain, unescaped: the sender escapes it) for a staff member.

    With `dedupe_key`, queuing the same message twice keeps one row and returns None the
    second time, also when two transactions queue it at once. Staff who are inactive or
    unreachable as stored now (not as the caller's object says) are skipped (None).
    """
    return await current().queue_message(
        staff,
        kind,
        text,
        payload=payload,
        dedupe_key=dedupe_key,
        group_key=group_key,
        not_before=not_before,
    )
