"""The Notifier port: messages queued in the durable outbox, against a real database, and the
recording fake that tests plug in at the same port."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from crm import notifier
from crm.db import utcnow
from crm.notifier import queue_message
from models import HistoryEntry, OutboxMessage, Staff
from models.enums import DeliveryStatus
from tests.fakes import QueuedMessage, RecordingNotifier


async def _rows() -> list[tuple]:
    return (
        await OutboxMessage.all()
        .order_by("id")
        .values_list("staff_id", "chat_id", "kind", "text", "dedupe_key", "status")
    )


async def test_it_queues_a_pending_message(db, make_staff):
    alice = await make_staff("Alice")
    before = utcnow()

    message = await queue_message(
        alice, "reminder", "Call <Jean> & co", payload={"contact_id": 7}, group_key="digest:1"
    )

    assert message is not None
    stored = await OutboxMessage.get(id=message.id)
    assert (
        stored.staff_id,
        stored.chat_id,
        stored.kind,
        stored.text,
        stored.payload,
        stored.group_key,
        stored.dedupe_key,
        stored.status,
        stored.attempts,
        stored.sent_at,
    ) == (
        alice.id,
        alice.telegram_id,
        "reminder",
        "Call <Jean> & co",
        {"contact_id": 7},
        "digest:1",
        None,
        DeliveryStatus.PENDING,
        0,
        None,
    )
    assert before - timedelta(seconds=1) <= stored.not_before <= utcnow() + timedelta(seconds=1)


async def test_it_keeps_the_requested_send_time(db, make_staff):
    alice = await make_staff("Alice")
    later = datetime(2030, 1, 2, 8, 30, tzinfo=UTC)

    message = await queue_message(alice, "agenda", "Today", not_before=later)

    assert message is not None
    assert (await OutboxMessage.get(id=message.id)).not_before == later


async def test_a_dedupe_key_keeps_one_row(db, make_staff):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")

    first = await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:1")
    again = await queue_message(alice, "reminder", "Call Jean (again)", dedupe_key="reminder:1")
    other_staff = await queue_message(bob, "reminder", "Call Jean", dedupe_key="reminder:1")
    other_key = await queue_message(alice, "reminder", "Call Paul", dedupe_key="reminder:2")
    no_key = [await queue_message(alice, "info", "Hello") for _ in range(2)]

    assert first is not None and other_key is not None and all(no_key)
    assert (again, other_staff) == (None, None)
    assert await _rows() == [
        (
            alice.id,
            alice.telegram_id,
            "reminder",
            "Call Jean",
            "reminder:1",
            DeliveryStatus.PENDING,
        ),
        (
            alice.id,
            alice.telegram_id,
            "reminder",
            "Call Paul",
            "reminder:2",
            DeliveryStatus.PENDING,
        ),
        (alice.id, alice.telegram_id, "info", "Hello", None, DeliveryStatus.PENDING),
        (alice.id, alice.telegram_id, "info", "Hello", None, DeliveryStatus.PENDING),
    ]


async def test_a_sent_message_still_blocks_its_dedupe_key(db, make_staff):
    alice = await make_staff("Alice")
    first = await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:1")
    assert first is not None
    await OutboxMessage.filter(id=first.id).update(status=DeliveryStatus.SENT, sent_at=utcnow())

    assert await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:1") is None
    assert await OutboxMessage.all().count() == 1


async def test_inactive_and_unreachable_staff_are_skipped(db, make_staff):
    inactive = await make_staff("Inactive", active=False)
    unreachable = await make_staff("Unreachable")
    await Staff.filter(id=unreachable.id).update(is_unreachable=True, unreachable_reason="blocked")
    unreachable = await Staff.get(id=unreachable.id)

    assert await queue_message(inactive, "info", "Hello") is None
    assert await queue_message(unreachable, "info", "Hello", dedupe_key="k") is None
    assert await OutboxMessage.all().count() == 0


async def test_it_reads_the_staff_member_as_stored_now(db, make_staff):
    # A long-running job holds Staff objects loaded earlier; a deactivation (or a block seen by
    # the sender) since then must still stop the message.
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    await Staff.filter(id=alice.id).update(is_active=False)
    await Staff.filter(id=bob.id).update(is_unreachable=True)

    assert await queue_message(alice, "info", "Hello") is None
    assert await queue_message(bob, "info", "Hello") is None
    assert await OutboxMessage.all().count() == 0


async def test_a_duplicate_inside_a_transaction_does_not_break_it(db, make_staff):
    alice = await make_staff("Alice")
    await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:1")

    # The unique key refuses the second row: the change being notified goes on.
    async with in_transaction():
        assert await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:1") is None
        await HistoryEntry.create(entity="contact", entity_id=1, actor_label="t", kind="created")

    assert await OutboxMessage.all().count() == 1
    assert await HistoryEntry.all().count() == 1


async def test_concurrent_duplicates_keep_one_row_and_both_transactions(db, make_staff):
    alice = await make_staff("Alice")
    # Three transactions insert the same key side by side (on PostgreSQL; SQLite runs them one
    # after the other): the unique key keeps one row, and every change still commits.

    async def change_and_notify(entity_id: int) -> object:
        # The core queues inside the transaction of the change that causes the message.
        async with in_transaction():
            await HistoryEntry.create(
                entity="contact", entity_id=entity_id, actor_label="t", kind="created"
            )
            message = await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:9")
            await HistoryEntry.create(
                entity="contact", entity_id=entity_id, actor_label="t", kind="changed"
            )
            return message

    results = await asyncio.gather(*(change_and_notify(i) for i in (1, 2, 3)))

    assert sum(r is not None for r in results) == 1
    assert await OutboxMessage.filter(dedupe_key="reminder:9").count() == 1
    assert await HistoryEntry.all().count() == 6


async def test_nul_characters_are_dropped_from_the_text(db, make_staff):
    alice = await make_staff("Alice")

    message = await queue_message(alice, "info", "Hel\x00lo")

    assert message is not None
    assert (await OutboxMessage.get(id=message.id)).text == "Hello"


# --- plugging another notifier in: the recording fake ---------------------------------------


async def test_a_plugged_in_notifier_gets_the_cores_messages_instead_of_the_outbox(db, make_staff):
    alice = await make_staff("Alice")
    later = datetime(2030, 1, 2, 8, 30, tzinfo=UTC)

    with notifier.using(RecordingNotifier()) as sent:
        queued = await queue_message(
            alice, "lead", "Jean", payload={"a": 1}, group_key="g", not_before=later
        )

    assert sent.messages == [QueuedMessage(alice.id, "lead", "Jean", {"a": 1}, None, "g", later)]
    assert sent.to(alice.id) == sent.messages and sent.to(alice.id + 1) == []
    assert queued is not None and (queued.chat_id, queued.status) == (
        alice.telegram_id,
        DeliveryStatus.PENDING,
    )
    assert await OutboxMessage.all().count() == 0
    # Out of the block the outbox is back.
    assert await queue_message(alice, "info", "Hello") is not None
    assert await OutboxMessage.all().count() == 1 and len(sent.messages) == 1


async def test_tasks_started_with_a_notifier_plugged_in_keep_it(db, make_staff):
    # Web forms finish a lead in a task of its own, which outlives a cancelled request.
    alice = await make_staff("Alice")
    with notifier.using(RecordingNotifier(delay=0.05)) as sent:
        task = asyncio.ensure_future(queue_message(alice, "lead", "Jean"))
        await asyncio.wait_for(sent.started.wait(), 5)
    await task
    assert [m.text for m in sent.messages] == ["Jean"]
    assert await OutboxMessage.all().count() == 0


async def test_the_recording_notifier_queues_a_dedupe_key_once(db, make_staff):
    alice = await make_staff("Alice")
    with notifier.using(RecordingNotifier()) as sent:
        first = await queue_message(alice, "lead", "Jean", dedupe_key="lead:1")
        again = await queue_message(alice, "lead", "Jean again", dedupe_key="lead:1")
    assert first is not None and again is None
    assert [m.text for m in sent.messages] == ["Jean"]
    assert [m.text for m in sent.attempts] == ["Jean", "Jean again"]


async def test_the_recording_notifier_fails_permanently_or_transiently_when_told(db, make_staff):
    alice = await make_staff("Alice")
    with notifier.using(RecordingNotifier()) as sent:
        sent.fail_permanently("the outbox is on fire", times=1)
        with pytest.raises(RuntimeError, match="the outbox is on fire"):
            await queue_message(alice, "lead", "One")
        assert await queue_message(alice, "lead", "Two") is not None

        sent.fail_transiently()
        for text in ("Three", "Four"):
            with pytest.raises(OperationalError, match="connection lost"):
                await queue_message(alice, "lead", text)
        sent.recover()
        assert await queue_message(alice, "lead", "Five") is not None

    assert [m.text for m in sent.messages] == ["Two", "Five"]
    assert [m.text for m in sent.attempts] == ["One", "Two", "Three", "Four", "Five"]


async def test_the_recording_notifier_fails_only_the_messages_it_was_told_to(db, make_staff):
    alice = await make_staff("Alice")
    with notifier.using(RecordingNotifier()) as sent:
        sent.fail_permanently(only=lambda m: m.dedupe_key == "lead:1")
        with pytest.raises(RuntimeError):
            await queue_message(alice, "lead", "First", dedupe_key="lead:1")
        await queue_message(alice, "lead", "Second", dedupe_key="lead:2")
    assert [m.dedupe_key for m in sent.messages] == ["lead:2"]
