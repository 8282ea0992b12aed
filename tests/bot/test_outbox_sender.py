"""The outbox sender against the Bot API stand-in: pacing, grouping, escaping, every failure."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
from aiogram import Bot

from app.telegram import TelegramService
from bot.callbacks import CardAction, LeadAction
from bot.config import BotConfig
from bot.outbox import OutboxSender, SenderLimits, TokenBucket
from bot.setup import build_bot, build_catalogue
from crm import outbox
from crm.notifier import queue_message
from crm.rules.outbox import RetryPolicy
from models import OutboxMessage, Staff
from models.enums import DeliveryStatus
from tests.telegram_stub import Call, TelegramStub, html_to_plain, utf16_len

FAST_RETRY = RetryPolicy(max_attempts=3, base=timedelta(seconds=0.2))


@pytest.fixture
async def stub(db) -> AsyncIterator[TelegramStub]:
    async with TelegramStub() as server:
        yield server


@pytest.fixture
async def bot(stub) -> AsyncIterator[Bot]:
    bot = build_bot(BotConfig(token="42:TEST", api_url=stub.url))
    try:
        yield bot
    finally:
        await bot.session.close()


def _sender(bot: Bot, **limits) -> OutboxSender:
    return OutboxSender(bot, build_catalogue("en"), limits=SenderLimits(**limits))


async def queue_alert(staff: Staff, contact_id: int, text: str) -> None:
    """A lead alert as web forms queue it: kind "lead", grouped per person, Open / Take it."""
    buttons = [
        [{"action": "open", "contact_id": contact_id}, {"action": "take", "contact_id": contact_id}]
    ]
    queued = await queue_message(
        staff, "lead", text, payload={"buttons": buttons}, group_key=f"lead:{staff.id}"
    )
    assert queued is not None


@pytest.fixture
def in_chat(stub, make_staff) -> Callable[..., Awaitable[Staff]]:
    async def make(name: str, **extra) -> Staff:
        staff = await make_staff(name, **extra)
        stub.user(staff.telegram_id, name)
        return staff

    return make


@contextlib.asynccontextmanager
async def running(*senders: OutboxSender) -> AsyncIterator[asyncio.Event]:
    """The senders' loops, stopped (and checked to have stopped) on the way out."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stop)) for s in senders]
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def until(check: Callable[[], Awaitable[bool]], within: float = 8.0) -> None:
    """Poll the database (or anything) until `check` holds."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def _all_done() -> bool:
    return not await OutboxMessage.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).exists()


def _sent(stub: TelegramStub) -> list[Call]:
    return [c for c in stub.calls_of("sendMessage") if c.status == 200]


async def test_it_sends_a_message_and_records_its_telegram_id(stub, bot, in_chat):
    alice = await in_chat("Alice")
    queued = await queue_message(alice, "info", "Hello Alice")
    assert queued is not None

    assert await _sender(bot).send_due() is False

    (call,) = stub.calls_of("sendMessage")
    assert (call.params["chat_id"], call.params["text"], call.params["parse_mode"]) == (
        str(alice.telegram_id),
        "Hello Alice",
        "HTML",
    )
    row = await OutboxMessage.get(id=queued.id)
    assert (row.status, row.telegram_message_id, row.attempts) == (
        DeliveryStatus.SENT,
        call.result["message_id"],
        1,
    )
    assert row.sent_at is not None and row.claimed_by is not None


async def test_html_in_the_text_arrives_intact(stub, bot, in_chat):
    # The stand-in refuses malformed HTML and a bare "&", as Telegram does.
    alice = await in_chat("Alice")
    text = 'New lead: <b>x</b> & <i>\nMessage: 1 < 2 && "quoted" > 0 </i>'
    await queue_alert(alice, 5, text)

    await _sender(bot).send_due()

    (message,) = stub.messages(alice.telegram_id)
    assert message["text"] == text
    assert "entities" not in message  # no tag of the lead's became formatting
    assert (await OutboxMessage.get()).status == DeliveryStatus.SENT


async def test_buttons_become_open_and_take_it(stub, bot, in_chat):
    alice = await in_chat("Alice")
    await queue_message(
        alice,
        "lead",
        "Jean Lead",
        payload={
            "buttons": [
                [
                    {"text": "Open card", "action": "open", "contact_id": 12},
                    {"text": "Mine!", "action": "take", "contact_id": 12},
                    {"text": "Forged", "action": "delete", "contact_id": 12},
                    {"text": "Bad id", "action": "open", "contact_id": "12"},
                ]
            ]
        },
    )

    await _sender(bot).send_due()

    (message,) = stub.messages(alice.telegram_id)
    assert message["reply_markup"]["inline_keyboard"] == [
        [
            {"text": "Open card", "callback_data": CardAction(action="open", id=12).pack()},
            {"text": "Mine!", "callback_data": LeadAction(action="take", id=12).pack()},
        ]
    ]


async def test_buttons_without_labels_are_written_in_the_readers_language(stub, bot, in_chat):
    marie = await in_chat("Marie")
    await Staff.filter(id=marie.id).update(language="fr")
    await queue_alert(marie, 12, "Jean Lead")

    await _sender(bot).send_due()

    (message,) = stub.messages(marie.telegram_id)
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Ouvrir", "✋ Je le prends"]


async def test_flood_control_is_honoured_and_the_message_sent_later(stub, bot, in_chat):
    alice = await in_chat("Alice")
    stub.fail_next("sendMessage", 429, retry_after=1)
    queued = await queue_message(alice, "info", "Hello")
    assert queued is not None

    async with running(_sender(bot)):
        await until(_all_done)

    refused, accepted = stub.calls_of("sendMessage")
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.at - refused.at >= 0.95
    row = await OutboxMessage.get(id=queued.id)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)  # the 429 counted no attempt
    assert row.last_error == "Too Many Requests: retry after 1"


async def test_server_errors_back_off_then_the_message_goes(stub, bot, in_chat):
    alice = await in_chat("Alice")
    stub.fail_next("sendMessage", 502, times=2)
    queued = await queue_message(alice, "info", "Hello")
    assert queued is not None

    async with running(_sender(bot, retry=FAST_RETRY)):
        await until(_all_done)

    calls = stub.calls_of("sendMessage")
    assert [c.status for c in calls] == [502, 502, 200]
    gaps = [b.at - a.at for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39  # 0.2 s, then twice as long
    row = await OutboxMessage.get(id=queued.id)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 3)
    assert "Bad Gateway" in (row.last_error or "")


async def test_a_lasting_server_error_fails_the_message_after_n_attempts(stub, bot, in_chat):
    alice = await in_chat("Alice")
    stub.fail_next("sendMessage", 500, times=10)
    queued = await queue_message(alice, "info", "Hello")
    assert queued is not None

    async with running(_sender(bot, retry=RetryPolicy(max_attempts=2, base=timedelta(0)))):
        await until(_all_done)

    assert len(stub.calls_of("sendMessage")) == 2
    row = await OutboxMessage.get(id=queued.id)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2)
    assert (row.last_error or "").startswith("gave up after 2 attempts:")


async def test_a_blocked_bot_marks_the_staff_unreachable_and_is_never_retried(stub, bot, in_chat):
    alice = await in_chat("Alice")
    bob = await in_chat("Bob")
    stub.block(alice.telegram_id)
    for text in ("First", "Second"):
        await queue_message(alice, "info", text)
    await queue_message(bob, "info", "For Bob")
    sender = _sender(bot)

    for _ in range(3):
        await sender.send_due()

    chat = str(alice.telegram_id)
    to_alice = [c for c in stub.calls_of("sendMessage") if c.params["chat_id"] == chat]
    assert [c.status for c in to_alice] == [403]
    rows = await OutboxMessage.filter(staff_id=alice.id).order_by("id")
    assert [(r.status, r.last_error) for r in rows] == [
        (DeliveryStatus.FAILED, "Forbidden: bot was blocked by the user")
    ] * 2
    stored = await Staff.get(id=alice.id)
    assert (stored.is_unreachable, stored.unreachable_reason) == (
        True,
        "Forbidden: bot was blocked by the user",
    )
    assert await queue_message(alice, "info", "Third") is None
    assert (await OutboxMessage.get(staff_id=bob.id)).status == DeliveryStatus.SENT


async def test_a_chat_that_does_not_exist_marks_the_staff_unreachable(stub, bot, make_staff):
    ghost = await make_staff("Ghost")  # never talked to the bot: Telegram knows no such chat
    await queue_message(ghost, "info", "Hello")

    await _sender(bot).send_due()

    row = await OutboxMessage.get(staff_id=ghost.id)
    assert (row.status, row.last_error) == (DeliveryStatus.FAILED, "Bad Request: chat not found")
    assert (await Staff.get(id=ghost.id)).is_unreachable


async def test_a_bad_request_fails_for_good_with_telegrams_reason(stub, bot, in_chat):
    alice = await in_chat("Alice")
    stub.fail_next("sendMessage", 400, description="Bad Request: BUTTON_DATA_INVALID")
    queued = await queue_message(alice, "info", "Hello")
    assert queued is not None
    sender = _sender(bot)

    for _ in range(3):
        await sender.send_due()

    assert len(stub.calls_of("sendMessage")) == 1
    row = await OutboxMessage.get(id=queued.id)
    assert (row.status, row.attempts, row.last_error) == (
        DeliveryStatus.FAILED,
        1,
        "Bad Request: BUTTON_DATA_INVALID",
    )
    assert not (await Staff.get(id=alice.id)).is_unreachable


async def test_ten_leads_for_one_person_arrive_as_one_message(stub, bot, in_chat):
    alice = await in_chat("Alice")
    bob = await in_chat("Bob")
    for n in range(1, 11):
        await queue_alert(alice, n, f"Lead {n} <x&y>")
    await queue_alert(bob, 99, "Bob's lead")

    await _sender(bot).send_due()

    (message,) = stub.messages(alice.telegram_id)
    lines = message["text"].split("\n\n")
    assert lines == ["10 new leads", *(f"{n}. Lead {n} <x&y>" for n in range(1, 11))]
    keyboard = message["reply_markup"]["inline_keyboard"]
    assert keyboard[2] == [
        {"text": "3 · Open", "callback_data": CardAction(action="open", id=3).pack()},
        {"text": "3 · ✋ Take it", "callback_data": LeadAction(action="take", id=3).pack()},
    ]
    assert len(keyboard) == 10
    rows = await OutboxMessage.filter(staff_id=alice.id)
    assert {(r.status, r.telegram_message_id) for r in rows} == {
        (DeliveryStatus.SENT, message["message_id"])
    }
    (bobs,) = stub.messages(bob.telegram_id)
    assert bobs["text"] == "Bob's lead"  # alone: no heading, no number


async def test_a_group_too_long_for_one_message_is_split(stub, bot, in_chat):
    alice = await in_chat("Alice")
    texts = [f"Lead {n}: " + "x" * 600 for n in range(1, 16)]
    for n, text in enumerate(texts, start=1):
        await queue_alert(alice, n, text)

    await _sender(bot).send_due()

    messages = stub.messages(alice.telegram_id)
    assert 2 <= len(messages) <= 3
    assert all(utf16_len(m["text"]) <= 4096 for m in messages)
    shown = "\n\n".join(m["text"] for m in messages)
    assert all(text in shown for text in texts)
    assert await _all_done()


async def test_a_single_text_too_long_for_one_message_is_sent_in_parts(stub, bot, in_chat):
    alice = await in_chat("Alice")
    text = "\n".join(f"line {n} " + "y" * 90 for n in range(100))  # about 10,000 characters
    queued = await queue_message(alice, "import", text)
    assert queued is not None

    await _sender(bot).send_due()

    messages = stub.messages(alice.telegram_id)
    assert len(messages) == 3
    assert "\n".join(m["text"] for m in messages) == text
    row = await OutboxMessage.get(id=queued.id)
    assert row.telegram_message_id == messages[-1]["message_id"]


@pytest.mark.slow
async def test_a_hundred_chats_are_paced_at_about_thirty_messages_a_second(stub, bot):
    await Staff.bulk_create([Staff(telegram_id=5000 + n, name=f"S{n}") for n in range(100)])
    staff = await Staff.filter(telegram_id__gte=5000).order_by("telegram_id")
    for member in staff:
        stub.user(member.telegram_id, member.name)
    for member in staff:
        await queue_message(member, "info", f"Hello {member.name}")

    async with running(_sender(bot)):
        await until(_all_done, within=10)

    times = sorted(c.at for c in _sent(stub))
    assert len(times) == 100
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 30 + 3 + 2  # the rate, the burst, and some timing jitter
    assert 2.9 <= times[-1] - times[0] <= 6.0


async def test_two_senders_at_once_never_send_a_row_twice(stub, bot, in_chat):
    people = [await in_chat(f"P{n}") for n in range(8)]
    for person in people:
        for n in range(4):
            await queue_message(person, "info", f"{person.name}-{n}")

    async with running(_sender(bot, batch=5), _sender(bot, batch=5)):
        await until(_all_done)

    texts = [c.params["text"] for c in _sent(stub)]
    assert sorted(texts) == sorted(f"{p.name}-{n}" for p in people for n in range(4))
    assert await OutboxMessage.filter(status=DeliveryStatus.SENT).count() == 32


async def test_the_loop_survives_an_error_and_stops_cleanly(
    stub, bot, in_chat, monkeypatch, caplog
):
    alice = await in_chat("Alice")
    await queue_message(alice, "info", "Hello")
    claim_due = outbox.claim_due
    failures = [RuntimeError("database hiccup") for _ in range(3)]

    async def flaky(*args, **kwargs):
        if failures:
            raise failures.pop()
        return await claim_due(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim_due", flaky)
    sender = _sender(bot, interval=0.01)

    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        async with running(sender):
            await until(_all_done)

    # One traceback for the first failure in a row, one line for each next, then the recovery.
    failed = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.exc_info is not None for r in failed] == [True, False, False]
    assert "a round of sending failed" in failed[0].getMessage()
    assert "3 times in a row" in failed[2].getMessage()
    assert "works again after 3 failed round(s)" in caplog.text
    assert [c.status for c in stub.calls_of("sendMessage")] == [200]


async def test_a_stopping_sender_gives_its_unsent_claims_back(stub, bot, in_chat):
    alice = await in_chat("Alice")
    first = await queue_message(alice, "info", "First")
    second = await queue_message(alice, "info", "Second")
    assert first is not None and second is not None
    sender = _sender(bot, chat_burst=1, chat_rate=0.5)  # the second waits 2 s for the chat

    async with running(sender) as stop:
        await until(lambda: OutboxMessage.exists(id=first.id, status=DeliveryStatus.SENT))
        stop.set()

    row = await OutboxMessage.get(id=second.id)
    assert (row.status, row.claimed_by, row.attempts) == (DeliveryStatus.PENDING, None, 0)
    assert len(stub.calls_of("sendMessage")) == 1


async def test_a_wake_up_sends_at_once(stub, bot, in_chat):
    alice = await in_chat("Alice")
    sender = _sender(bot, interval=30)

    async with running(sender):
        await asyncio.sleep(0.1)  # the loop found nothing and waits for its next tick
        await queue_message(alice, "info", "Now")
        sender.wake()
        await until(_all_done, within=2)


async def test_the_service_runs_the_sender_in_webhook_mode_too(stub, in_chat):
    alice = await in_chat("Alice")
    service = TelegramService(
        BotConfig(
            token="42:TEST",
            api_url=stub.url,
            webhook_url="https://carnet.example/telegram/webhook",
            webhook_secret="secret",
        )
    )
    await service.start()
    assert await service.ready()
    try:
        await queue_message(alice, "info", "Via the webhook process")
        await until(_all_done)
    finally:
        await service.stop()
    assert service.sending is not None and service.sending.done()
    assert html_to_plain(stub.calls_of("sendMessage")[-1].params["text"]) == (
        "Via the webhook process"
    )


def test_the_token_bucket_lets_a_burst_through_then_keeps_the_rate():
    bucket = TokenBucket(rate=2, burst=3, now=0)
    for _ in range(3):
        assert bucket.wait(0) == 0
        bucket.take(0)
    assert bucket.wait(0) == pytest.approx(0.5)
    assert bucket.wait(0.5) == 0
    bucket.pause(0.5, 10)
    assert bucket.wait(1) == pytest.approx(9.5)
    assert not bucket.idle(1)
    assert bucket.idle(20)
