"""The Notifier port: the core queues outgoing Telegram messages in a durable outbox.

Delivery (claims, retries, 403 -> unreachable) is `crm.outbox`, driven by the bot's sender;
here the core only decides who is told what, inside the same transaction as the change.
"""

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm.db import utcnow
from models import OutboxMessage, Staff
from models.enums import DeliveryStatus


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
