"""Fakes for the core's outside edges: a recording Notifier for the outbox port.

Plug it in around the code under test, and the core's messages are recorded instead of
written to the outbox:

    with notifier.using(RecordingNotifier()) as sent:
        await submit(...)
    assert [m.kind for m in sent.messages] == ["lead"]
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import OperationalError

from crm.db import utcnow
from models import OutboxMessage, Staff
from models.enums import DeliveryStatus


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One message the core asked the notifier to send."""

    staff_id: int
    kind: str
    text: str
    payload: dict[str, Any]
    dedupe_key: str | None
    group_key: str | None
    not_before: datetime | None


@dataclass(slots=True)
class _Failure:
    make_error: Callable[[], Exception]
    times: int | None  # None: until `recover()`
    only: Callable[[QueuedMessage], bool] | None

    def applies_to(self, message: QueuedMessage) -> bool:
        return (self.times is None or self.times > 0) and (self.only is None or self.only(message))


class RecordingNotifier:
    """A Notifier (`crm.notifier`) that records what the core would send, in `messages`.

    Like the outbox it queues a dedupe key once (None the second time). It checks nothing
    about the staff member: which staff are skipped is the outbox's rule, tested on its own.
    It can be told to fail, for every message or those `only` picks, `times` times or until
    `recover()`: permanently (an unexpected error) or transiently (the database went away,
    `OperationalError`). With `delay` each message waits that long after `started` is set,
    for a caller cancelled halfway. `attempts` keeps every call, failed ones included.
    """

    def __init__(self, *, delay: float = 0.0) -> None:
        self.messages: list[QueuedMessage] = []
        self.attempts: list[QueuedMessage] = []
        self.started = asyncio.Event()
        self.delay = delay
        self._failure: _Failure | None = None

    def fail_permanently(
        self,
        reason: str = "the outbox is on fire",
        *,
        times: int | None = None,
        only: Callable[[QueuedMessage], bool] | None = None,
    ) -> "RecordingNotifier":
        """Raise RuntimeError(reason) instead of queuing."""
        self._failure = _Failure(lambda: RuntimeError(reason), times, only)
        return self

    def fail_transiently(
        self,
        reason: str = "connection lost",
        *,
        times: int | None = None,
        only: Callable[[QueuedMessage], bool] | None = None,
    ) -> "RecordingNotifier":
        """Raise OperationalError(reason), as when the database is unreachable for a while."""
        self._failure = _Failure(lambda: OperationalError(reason), times, only)
        return self

    def recover(self) -> None:
        """Queue normally again."""
        self._failure = None

    def to(self, staff_id: int) -> list[QueuedMessage]:
        """The messages recorded for one staff member."""
        return [m for m in self.messages if m.staff_id == staff_id]

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
        message = QueuedMessage(
            staff.id, kind, text, payload or {}, dedupe_key, group_key, not_before
        )
        self.attempts.append(message)
        self.started.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        self._fail_if_told(message)
        if dedupe_key is not None and any(m.dedupe_key == dedupe_key for m in self.messages):
            return None
        self.messages.append(message)
        # The row the outbox would have written, unsaved.
        return OutboxMessage(
            staff_id=staff.id,
            chat_id=staff.telegram_id,
            kind=kind,
            text=text,
            payload=message.payload,
            dedupe_key=dedupe_key,
            group_key=group_key,
            status=DeliveryStatus.PENDING,
            not_before=not_before or utcnow(),
        )

    def _fail_if_told(self, message: QueuedMessage) -> None:
        failure = self._failure
        if failure is None or not failure.applies_to(message):
            return
        if failure.times is not None:
            failure.times -= 1
        raise failure.make_error()
