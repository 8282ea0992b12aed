"""The Notifier port: messages queued in the durable outbox, against a real database."""

import asyncio
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from crm.db import utcnow
from crm.notifier import queue_message
from models import HistoryEntry, OutboxMessage, Staff
from models.enums import DeliveryStatus


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


async def test_a_duplicate_inside_a_transaction_does_not_break_it(db, make_staff, monkeypatch):
    alice = await make_staff("Alice")
    await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:1")

    async def not_seen(*args, **kwargs) -> bool:
        return False  # as when another transaction inserts the key right after the check

    monkeypatch.setattr(OutboxMessage, "exists", not_seen)
    async with in_transaction():
        assert await queue_message(alice, "reminder", "Call Jean", dedupe_key="reminder:1") is None
        await HistoryEntry.create(entity="contact", entity_id=1, actor_label="t", kind="created")

    assert await OutboxMessage.all().count() == 1
    assert await HistoryEntry.all().count() == 1


async def test_concurrent_duplicates_keep_one_row_and_both_transactions(
    db, make_staff, monkeypatch
):
    alice = await make_staff("Alice")
    # Let every transaction pass the "already queued?" check before any inserts, when the
    # database lets them run side by side (PostgreSQL; SQLite runs them one after the other).
    checked = 0
    exists = OutboxMessage.exists

    async def exists_then_wait(*args, **kwargs) -> bool:
        nonlocal checked
        found = await exists(*args, **kwargs)
        checked += 1
        for _ in range(20):
            if checked >= 3:
                break
            await asyncio.sleep(0.01)
        return found

    monkeypatch.setattr(OutboxMessage, "exists", exists_then_wait)

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
