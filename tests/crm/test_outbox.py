"""Delivering the outbox: claims, outcomes and stale claims on a real database; pure rules."""

import asyncio
from datetime import timedelta

import pytest

from crm import outbox
from crm.db import utcnow
from crm.notifier import queue_message
from crm.rules.outbox import RetryPolicy, group_by, pack, split_text, utf16_len
from models import OutboxMessage, Staff
from models.enums import DeliveryStatus


async def _queue(staff: Staff, n: int, **extra) -> list[int]:
    ids = []
    for i in range(n):
        message = await queue_message(staff, "info", f"Message {i}", **extra)
        assert message is not None
        ids.append(message.id)
    return ids


async def _statuses() -> dict[int, tuple[DeliveryStatus, str | None]]:
    rows = await OutboxMessage.all().values_list("id", "status", "claimed_by")
    return {row_id: (status, claimed_by) for row_id, status, claimed_by in rows}


# Claims


async def test_it_claims_due_messages_oldest_first_with_the_readers_language(db, make_staff):
    alice = await make_staff("Alice")
    await Staff.filter(id=alice.id).update(language="fr", timezone="Europe/Paris")
    later = await queue_message(alice, "info", "Later", not_before=utcnow() + timedelta(hours=1))
    first, second = await _queue(alice, 2)
    sent = await queue_message(alice, "info", "Sent")
    assert later is not None and sent is not None
    await OutboxMessage.filter(id=sent.id).update(status=DeliveryStatus.SENT)

    claimed = await outbox.claim_due("w1", limit=10)

    assert [m.id for m in claimed] == [first, second]
    assert {(m.chat_id, m.language, m.timezone) for m in claimed} == {
        (alice.telegram_id, "fr", "Europe/Paris")
    }
    statuses = await _statuses()
    assert statuses[first] == statuses[second] == (DeliveryStatus.SENDING, "w1")
    assert statuses[later.id] == (DeliveryStatus.PENDING, None)


async def test_a_claimed_message_is_not_claimed_again(db, make_staff):
    alice = await make_staff("Alice")
    await _queue(alice, 3)

    assert len(await outbox.claim_due("w1", limit=10)) == 3
    assert await outbox.claim_due("w2", limit=10) == []
    assert await outbox.claim_due("w1", limit=10) == []


async def test_workers_claiming_at_once_get_disjoint_rows(db, make_staff, monkeypatch):
    alice = await make_staff("Alice")
    ids = await _queue(alice, 30)
    due_rows = outbox._due_rows

    async def slow_due_rows(limit, now):
        # Keep each claim's transaction open a moment, so that on PostgreSQL the workers'
        # transactions (each on its own pooled connection) overlap.
        rows = await due_rows(limit, now)
        await asyncio.sleep(0.05)
        return rows

    monkeypatch.setattr(outbox, "_due_rows", slow_due_rows)

    claims = await asyncio.gather(*(outbox.claim_due(f"w{n}", limit=8) for n in range(3)))

    claimed = [[m.id for m in claim] for claim in claims]
    assert all(len(c) == 8 for c in claimed)
    flat = [i for c in claimed for i in c]
    assert len(set(flat)) == len(flat) == 24
    assert set(flat) <= set(ids)
    statuses = await _statuses()
    for n, claim in enumerate(claimed):
        assert {statuses[i] for i in claim} == {(DeliveryStatus.SENDING, f"w{n}")}


async def test_a_row_claimed_by_someone_else_meanwhile_is_not_returned(db, make_staff, monkeypatch):
    alice = await make_staff("Alice")
    ids = await _queue(alice, 3)
    due_rows = outbox._due_rows

    async def raced(limit, now):
        rows = await due_rows(limit, now)
        # Another process claims the second row between this worker's read and its update.
        await OutboxMessage.filter(id=ids[1]).update(
            status=DeliveryStatus.SENDING, claimed_by="other", claimed_at=now
        )
        return rows

    monkeypatch.setattr(outbox, "_due_rows", raced)

    claimed = await outbox.claim_due("w1", limit=10)

    assert [m.id for m in claimed] == [ids[0], ids[2]]
    assert (await _statuses())[ids[1]] == (DeliveryStatus.SENDING, "other")


async def test_the_rest_of_a_group_comes_along_with_its_first_row(db, make_staff):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    leads = await _queue(alice, 3, group_key="lead")
    await _queue(bob, 2, group_key="lead")

    claimed = await outbox.claim_due("w1", limit=1)

    assert [m.id for m in claimed] == leads
    assert {m.group for m in claimed} == {(alice.telegram_id, "lead")}


async def test_stale_claims_go_back_to_pending_and_fresh_ones_stay(db, make_staff):
    alice = await make_staff("Alice")
    old, fresh = await _queue(alice, 2)
    now = utcnow()
    await outbox.claim_due("dead", limit=1, now=now)
    await outbox.claim_due("alive", limit=1, now=now + timedelta(minutes=4))
    later = now + timedelta(minutes=6)

    released = await outbox.release_stale_claims(later)

    assert released == 1
    statuses = await _statuses()
    assert statuses[old] == (DeliveryStatus.PENDING, None)
    assert statuses[fresh] == (DeliveryStatus.SENDING, "alive")
    assert [m.id for m in await outbox.claim_due("w2", limit=10, now=later)] == [old]


# Outcomes


async def test_a_sent_message_records_its_telegram_id_and_time(db, make_staff):
    alice = await make_staff("Alice")
    ids = await _queue(alice, 2, group_key="lead")
    await outbox.claim_due("w1")

    assert await outbox.mark_sent("w1", ids, telegram_message_id=77) == 2

    rows = await OutboxMessage.filter(id__in=ids)
    assert {(r.status, r.telegram_message_id, r.attempts) for r in rows} == {
        (DeliveryStatus.SENT, 77, 1)
    }
    assert all(r.sent_at is not None for r in rows)


async def test_an_outcome_is_written_only_by_the_worker_holding_the_claim(db, make_staff):
    alice = await make_staff("Alice")
    (row_id,) = await _queue(alice, 1)
    now = utcnow()
    assert len(await outbox.claim_due("slow", now=now)) == 1
    later = now + timedelta(minutes=10)
    assert await outbox.release_stale_claims(later) == 1
    assert len(await outbox.claim_due("new", now=later)) == 1

    assert await outbox.mark_failed("slow", [row_id], "too late") == 0
    assert await outbox.mark_retry("slow", [row_id], "too late") is None
    assert await outbox.postpone("slow", [row_id], now) == 0

    row = await OutboxMessage.get(id=row_id)
    assert (row.status, row.claimed_by, row.last_error) == (DeliveryStatus.SENDING, "new", None)


async def test_a_transient_failure_backs_off_then_gives_up(db, make_staff):
    alice = await make_staff("Alice")
    (row_id,) = await _queue(alice, 1)
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=10))
    now = utcnow()

    retries = []
    for _ in range(3):
        claimed = await outbox.claim_due("w1", now=now + timedelta(hours=1))
        assert [m.id for m in claimed] == [row_id]
        retries.append(await outbox.mark_retry("w1", [row_id], "Bad Gateway", now, policy))

    assert retries == [now + timedelta(seconds=10), now + timedelta(seconds=20), None]
    row = await OutboxMessage.get(id=row_id)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 3)
    assert row.last_error == "gave up after 3 attempts: Bad Gateway"


async def test_postponing_counts_no_attempt(db, make_staff):
    alice = await make_staff("Alice")
    (row_id,) = await _queue(alice, 1)
    await outbox.claim_due("w1")
    until = utcnow() + timedelta(seconds=5)

    assert await outbox.postpone("w1", [row_id], until, reason="Too Many Requests") == 1

    row = await OutboxMessage.get(id=row_id)
    assert (row.status, row.attempts, row.not_before, row.claimed_by, row.last_error) == (
        DeliveryStatus.PENDING,
        0,
        until,
        None,
        "Too Many Requests",
    )
    assert await outbox.claim_due("w1") == []


async def test_a_permanent_failure_is_final(db, make_staff):
    alice = await make_staff("Alice")
    (row_id,) = await _queue(alice, 1)
    await outbox.claim_due("w1")

    await outbox.mark_failed("w1", [row_id], "Bad Request: message text is empty")

    row = await OutboxMessage.get(id=row_id)
    assert (row.status, row.attempts, row.last_error) == (
        DeliveryStatus.FAILED,
        1,
        "Bad Request: message text is empty",
    )
    assert await outbox.claim_due("w1", now=utcnow() + timedelta(days=1)) == []


async def test_an_unreachable_staff_member_gets_nothing_more(db, make_staff):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    first, *waiting = await _queue(alice, 3)
    (bobs,) = await _queue(bob, 1)
    await outbox.claim_due("w1", limit=1)

    cancelled = await outbox.mark_unreachable(alice.id, "Forbidden: bot was blocked by the user")

    assert cancelled == 2
    stored = await Staff.get(id=alice.id)
    assert stored.is_unreachable
    assert stored.unreachable_reason == "Forbidden: bot was blocked by the user"
    statuses = await _statuses()
    assert [statuses[i][0] for i in waiting] == [DeliveryStatus.CANCELLED] * 2
    assert statuses[first][0] == DeliveryStatus.SENDING  # its sender records its own outcome
    assert statuses[bobs][0] == DeliveryStatus.PENDING
    assert await queue_message(alice, "info", "More") is None


# Pure rules


def test_the_back_off_doubles_up_to_a_cap():
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=30), cap=timedelta(minutes=3))
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 180, 180]
    assert policy.delay(10_000) == timedelta(minutes=3)
    assert [policy.gives_up(n) for n in (4, 5, 6)] == [False, True, True]


def test_grouping_keeps_order_and_leaves_ungrouped_items_alone():
    items = [("a", 1), (None, 2), ("b", 3), ("a", 4), (None, 5), ("b", 6)]
    groups = group_by(items, lambda item: item[0])
    assert [[n for _, n in g] for g in groups] == [[1, 4], [2], [3, 6], [5]]


def test_packing_keeps_each_message_within_the_limits():
    assert pack([40, 40, 40], limit=100, separator=2) == [[0, 1], [2]]
    assert pack([40, 40], limit=82, separator=2) == [[0, 1]]
    assert pack([10, 500, 10], limit=100) == [[0], [1], [2]]
    assert pack([1] * 5, [40, 40, 40, 10, 10], limit=100, max_buttons=100) == [
        [0, 1],
        [2, 3, 4],
    ]
    assert pack([]) == []


@pytest.mark.parametrize(
    ("text", "limit", "pieces"),
    [
        ("short", 10, ["short"]),
        ("line one\nline two", 12, ["line one", "line two"]),
        ("aaaa bbbb cccc", 10, ["aaaa bbbb", "cccc"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
        ("😀😀😀", 4, ["😀😀", "😀"]),  # beyond the BMP: two UTF-16 units each
    ],
)
def test_a_long_text_is_split_at_line_breaks_then_spaces(text, limit, pieces):
    assert split_text(text, limit) == pieces
    assert all(utf16_len(piece) <= limit for piece in pieces)
