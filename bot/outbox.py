"""The outbox sender: sends queued messages within Telegram's rate limits, outcome by outcome.

The core decides everything that touches the database (`crm.outbox`); this module renders the
claimed rows, paces them and translates each Telegram answer into one of the core's calls:

- accepted: `mark_sent`, with the message id;
- 429 flood control: `postpone` by `retry_after` (no attempt counted), pausing the chat and
  the whole bot for as long, as Telegram asks;
- 5xx and network errors: `mark_retry`, which backs off and gives up after N attempts;
- 403 (blocked, kicked, deactivated) and 400 "chat not found": `mark_unreachable` and
  `mark_failed`, never retried;
- any other 400: `mark_failed` with Telegram's description;
- the chat became a supergroup: `redirect` to the new chat.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from time import monotonic
from typing import Any

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    CardAction,
    CardButton,
    LeadAction,
    LeadButton,
    ProposalAction,
    ProposalButton,
)
from bot.render import visible_length
from bot.ui import button
from crm import outbox
from crm.db import utcnow, valid_id
from crm.i18n import Catalogue, Translator, escape
from crm.outbox import OutgoingMessage
from crm.rules.outbox import (
    BUTTON_LIMIT,
    CLAIM_TIMEOUT,
    MESSAGE_LIMIT,
    RetryPolicy,
    group_by,
    pack,
    split_text,
    utf16_len,
)

log = logging.getLogger(__name__)

# Telegram's Bots FAQ: no more than about 30 messages per second overall, and no more than one
# per second in a chat, short bursts allowed. Past these it answers 429 with `retry_after`.
GLOBAL_RATE = 30.0
GLOBAL_BURST = 3.0
CHAT_RATE = 1.0
CHAT_BURST = 3.0
ROW_LIMIT = 8  # buttons in one keyboard row
ERROR_PAUSE_LIMIT = 60.0  # seconds between rounds that keep failing
SEPARATOR = "\n\n"
# Payload buttons: the action, its default label, the payload key of the id it acts on, and
# the callback data it becomes.
_ACTIONS: dict[str, tuple[str, str, Callable[[int], CallbackData]]] = {
    "open": (
        "lead-btn-open",
        "contact_id",
        lambda contact_id: CardAction(action=CardButton.OPEN, id=contact_id),
    ),
    "take": (
        "lead-btn-take",
        "contact_id",
        lambda contact_id: LeadAction(action=LeadButton.TAKE, id=contact_id),
    ),
    "apply": (
        "lead-btn-apply",
        "submission_id",
        lambda submission_id: ProposalAction(action=ProposalButton.APPLY, id=submission_id),
    ),
    "ignore": (
        "lead-btn-ignore",
        "submission_id",
        lambda submission_id: ProposalAction(action=ProposalButton.IGNORE, id=submission_id),
    ),
}


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; times are monotonic seconds."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, now
        self.paused_until = 0.0

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token can be taken (0: now)."""
        self._refill(now)
        short = (1 - self.tokens) / self.rate if self.tokens < 1 else 0.0
        return max(short, self.paused_until - now, 0.0)

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def pause(self, now: float, seconds: float) -> None:
        """Nothing goes through for `seconds` (Telegram's retry_after)."""
        self.paused_until = max(self.paused_until, now + seconds)

    def idle(self, now: float) -> bool:
        """Full and not paused: the bucket can be forgotten and made anew."""
        return self.wait(now) == 0 and self.tokens >= self.burst


@dataclass(frozen=True, slots=True)
class SenderLimits:
    """How fast and how patiently the sender works; the defaults follow Telegram's limits."""

    rate: float = GLOBAL_RATE
    burst: float = GLOBAL_BURST
    chat_rate: float = CHAT_RATE
    chat_burst: float = CHAT_BURST
    batch: int = 50  # rows claimed at a time
    interval: float = 0.5  # seconds between looks at the outbox when there was nothing to do
    # A chat that cannot take a message for longer than this (flood control, many messages)
    # gives its rows back to the database for later rather than holding the whole batch.
    max_wait: float = 2.0
    claim_timeout: timedelta = CLAIM_TIMEOUT
    stale_check: float = 30.0  # seconds between looks for claims left by a dead process
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(slots=True)
class Delivery:
    """One or more outbox rows going out together as one message (or a few, if too long).

    The rows share one outcome. A text split in parts that is interrupted after its first part
    (flood control, a stop) is sent again whole later: a rare repeat rather than a lost part.
    """

    chat_id: int
    staff_id: int | None
    ids: list[int]
    texts: list[str]  # HTML, sent in order; the keyboard goes on the last one
    markup: InlineKeyboardMarkup | None = None

    @property
    def label(self) -> str:
        return "outbox " + ", ".join(f"#{i}" for i in self.ids)


def default_worker_id() -> str:
    """Names this process's claims: host, process id and a random part (two senders in one
    process, as in tests, never share an id)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class OutboxSender:
    """Drains the outbox into Telegram; `run` until stopped, or `send_due` for one round."""

    def __init__(
        self,
        bot: Bot,
        catalogue: Catalogue,
        *,
        worker: str | None = None,
        limits: SenderLimits | None = None,
    ) -> None:
        self.bot = bot
        self.catalogue = catalogue
        self.worker = worker or default_worker_id()
        self.limits = limits or SenderLimits()
        self._bucket = TokenBucket(self.limits.rate, self.limits.burst, monotonic())
        self._chats: dict[int, TokenBucket] = {}
        self._wake = asyncio.Event()
        self._stale_checked = float("-inf")

    def wake(self) -> None:
        """Look at the outbox now rather than at the next tick (something was just queued)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send due messages until `stop` is set; an error is logged and the loop goes on."""
        log.info("outbox: sending as %s", self.worker)
        failures = 0
        while not stop.is_set():
            busy = False
            try:
                busy = await self.send_due(stop)
                if failures:
                    log.info("outbox: sending works again after %s failed round(s)", failures)
                failures = 0
            except Exception as exc:
                failures += 1
                # The first failure in a row with its traceback, the next ones in one line:
                # an hour with the database down is not a thousand tracebacks.
                if failures == 1:
                    log.exception("outbox: a round of sending failed; trying again shortly")
                else:
                    log.warning(
                        "outbox: sending failed again (%s times in a row): %s: %s",
                        failures,
                        type(exc).__name__,
                        (str(exc).splitlines() or [""])[0],
                    )
            if not busy:
                # Failing rounds (the database is down, say) come slower and slower, not every
                # half second, up to a minute apart.
                pause = self.limits.interval * 2 ** min(failures, 10)
                await self._idle(stop, min(pause, ERROR_PAUSE_LIMIT))
        log.info("outbox: stopped")

    async def send_due(self, stop: asyncio.Event | None = None) -> bool:
        """Claim the due messages, send them, record each outcome.

        Returns whether a full batch was claimed (more may be waiting).
        """
        now = utcnow()
        if monotonic() - self._stale_checked >= self.limits.stale_check:
            self._stale_checked = monotonic()
            released = await outbox.release_stale_claims(now, older_than=self.limits.claim_timeout)
            if released:
                log.warning("outbox: %s stale claims given back to pending", released)
        messages = await outbox.claim_due(self.worker, self.limits.batch, now)
        if not messages:
            return False
        by_chat: dict[int, list[Delivery]] = {}
        for group in group_by(messages, lambda m: m.group):
            for delivery in await self._render(group):
                by_chat.setdefault(delivery.chat_id, []).append(delivery)
        await asyncio.gather(*(self._send_chat(ds, stop) for ds in by_chat.values()))
        clock = monotonic()
        self._chats = {c: b for c, b in self._chats.items() if not b.idle(clock)}
        return len(messages) >= self.limits.batch

    # Rendering

    async def _render(self, group: list[OutgoingMessage]) -> list[Delivery]:
        """A group of messages as Telegram messages; one that cannot be rendered is retried
        (and in the end failed) rather than left claimed."""
        first = group[0]
        try:
            t = self.catalogue.translator(first.language, first.timezone)
            return [self._single(t, first)] if len(group) == 1 else self._grouped(t, group)
        except Exception as exc:
            ids = [m.id for m in group]
            log.exception("outbox %s: could not be rendered", ids)
            await outbox.mark_retry(
                self.worker, ids, f"{type(exc).__name__}: {exc}", policy=self.limits.retry
            )
            return []

    def _single(self, t: Translator, message: OutgoingMessage) -> Delivery:
        rows = self._buttons(t, message, "")
        return Delivery(
            chat_id=message.chat_id,
            staff_id=message.staff_id,
            ids=[message.id],
            texts=[escape(piece) for piece in split_text(message.text, MESSAGE_LIMIT)],
            markup=_markup(rows),
        )

    def _grouped(self, t: Translator, group: list[OutgoingMessage]) -> list[Delivery]:
        """Messages of one group as few messages: a heading, then each numbered (its buttons
        numbered alike), cut where a message would pass Telegram's limits."""
        first = group[0]
        heading_key = f"{first.kind}-group-heading"
        has_heading = t.has(heading_key)
        # Measured for the whole group: a chunk's heading (a smaller count) is never longer.
        reserve = (
            visible_length(t(heading_key, count=len(group))) + len(SEPARATOR) if has_heading else 0
        )
        limit = MESSAGE_LIMIT - reserve
        prefixes = [f"{n}. " for n in range(1, len(group) + 1)]
        keyboards = [self._buttons(t, m, f"{n} · ") for n, m in enumerate(group, start=1)]
        chunks = pack(
            [len(p) + utf16_len(m.text) for p, m in zip(prefixes, group, strict=True)],
            [sum(len(row) for row in rows) for rows in keyboards],
            limit=limit,
            separator=len(SEPARATOR),
        )
        deliveries = []
        for chunk in chunks:
            heading = [t(heading_key, count=len(chunk))] if has_heading else []
            items = [f"<b>{prefixes[i].strip()}</b> {escape(group[i].text)}" for i in chunk]
            texts = [SEPARATOR.join([*heading, *items])]
            if (
                len(chunk) == 1
                and len(prefixes[chunk[0]]) + utf16_len(group[chunk[0]].text) > limit
            ):
                i = chunk[0]
                pieces = split_text(group[i].text, limit - len(prefixes[i]))
                texts = [
                    SEPARATOR.join([*heading, f"<b>{prefixes[i].strip()}</b> {escape(pieces[0])}"])
                ]
                texts += [escape(piece) for piece in pieces[1:]]
            deliveries.append(
                Delivery(
                    chat_id=first.chat_id,
                    staff_id=first.staff_id,
                    ids=[group[i].id for i in chunk],
                    texts=texts,
                    markup=_markup([row for i in chunk for row in keyboards[i]]),
                )
            )
        return deliveries

    def _buttons(
        self, t: Translator, message: OutgoingMessage, prefix: str
    ) -> list[list[InlineKeyboardButton]]:
        """The payload's buttons (`{"buttons": [[{"action", "contact_id" or "submission_id",
        "text"?}]]}`).

        A button this sender does not know, or with a bad id, is left out (and logged) rather
        than failing the message.
        """
        rows = message.payload.get("buttons")
        if not rows:
            return []
        keyboard: list[list[InlineKeyboardButton]] = []
        for row in rows if isinstance(rows, list) else []:
            buttons = []
            for spec in row if isinstance(row, list) else []:
                made = _payload_button(t, spec, prefix)
                if made is None:
                    log.warning("outbox #%s: button %r left out", message.id, spec)
                else:
                    buttons.append(made)
            keyboard += [buttons[i : i + ROW_LIMIT] for i in range(0, len(buttons), ROW_LIMIT)]
        return keyboard

    # Sending

    async def _send_chat(self, deliveries: list[Delivery], stop: asyncio.Event | None) -> None:
        """One chat's deliveries in order; past the chat's burst, the rest wait in the database.

        Once Telegram says the chat is unreachable, the chat's other deliveries fail unsent.
        """
        for n, delivery in enumerate(deliveries):
            if n >= self.limits.chat_burst or (stop is not None and stop.is_set()):
                delay = 0.0 if stop is not None and stop.is_set() else 1 / self.limits.chat_rate
                await self._give_back(deliveries[n:], delay)
                return
            try:
                unreachable = await self._deliver(delivery, stop)
                if unreachable is not None:
                    rest = [i for d in deliveries[n + 1 :] for i in d.ids]
                    if rest:
                        await outbox.mark_failed(self.worker, rest, unreachable)
                    return
            except Exception:
                # The outcome could not be recorded (database down?): the claim stays, and is
                # released as stale later on. Logged with the rows, the loop goes on.
                log.exception("%s: sending or recording the outcome failed", delivery.label)

    async def _give_back(self, deliveries: list[Delivery], delay: float) -> None:
        ids = [i for d in deliveries for i in d.ids]
        try:
            await outbox.postpone(self.worker, ids, utcnow() + timedelta(seconds=delay))
        except Exception:
            log.exception("outbox %s: could not give the rows back", ids)

    async def _deliver(self, delivery: Delivery, stop: asyncio.Event | None) -> str | None:
        """Send one delivery and record its outcome; returns why the chat is unreachable, if
        Telegram says so."""
        message_id: int | None = None
        try:
            for n, text in enumerate(delivery.texts):
                postpone_for = await self._acquire(delivery.chat_id, stop)
                if postpone_for is not None:
                    await self._give_back([delivery], postpone_for)
                    return None
                last = n == len(delivery.texts) - 1
                sent = await self.bot.send_message(
                    delivery.chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=delivery.markup if last else None,
                )
                message_id = sent.message_id
        except TelegramRetryAfter as exc:
            await self._flood_control(delivery, exc)
        except TelegramMigrateToChat as exc:
            log.warning("%s: chat moved to %s", delivery.label, exc.migrate_to_chat_id)
            await outbox.redirect(self.worker, delivery.ids, exc.migrate_to_chat_id)
        except TelegramForbiddenError as exc:
            await self._unreachable(delivery, exc.message)
            return exc.message
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                await self._unreachable(delivery, exc.message)
                return exc.message
            log.warning("%s: refused by Telegram: %s", delivery.label, exc.message)
            await outbox.mark_failed(self.worker, delivery.ids, exc.message)
        except TelegramAPIError as exc:  # 5xx, network errors, and anything unforeseen
            await self._retry(delivery, str(exc))
        except Exception as exc:
            log.exception("%s: sending failed", delivery.label)
            await self._retry(delivery, f"{type(exc).__name__}: {exc}")
        else:
            assert message_id is not None
            await outbox.mark_sent(self.worker, delivery.ids, message_id)
        return None

    async def _flood_control(self, delivery: Delivery, exc: TelegramRetryAfter) -> None:
        # Telegram does not say whether the limit hit was the chat's or the bot's: pause both
        # for as long as it asks (as python-telegram-bot's rate limiter does).
        seconds = max(float(exc.retry_after), 1.0)
        clock = monotonic()
        self._bucket.pause(clock, seconds)
        self._chat_bucket(delivery.chat_id, clock).pause(clock, seconds)
        log.warning("%s: flood control, retrying in %s s", delivery.label, seconds)
        await outbox.postpone(
            self.worker,
            delivery.ids,
            utcnow() + timedelta(seconds=seconds),
            reason=f"Too Many Requests: retry after {exc.retry_after}",
        )

    async def _unreachable(self, delivery: Delivery, reason: str) -> None:
        log.warning("%s: chat %s unreachable: %s", delivery.label, delivery.chat_id, reason)
        await outbox.mark_failed(self.worker, delivery.ids, reason)
        if delivery.staff_id is not None:
            await outbox.mark_unreachable(delivery.staff_id, reason)

    async def _retry(self, delivery: Delivery, error: str) -> None:
        when = await outbox.mark_retry(self.worker, delivery.ids, error, policy=self.limits.retry)
        if when is None:
            log.error("%s: failed for good: %s", delivery.label, error)
        else:
            log.warning("%s: %s; next try at %s", delivery.label, error, when.isoformat())

    # Pacing

    def _chat_bucket(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(
                self.limits.chat_rate, self.limits.chat_burst, now
            )
        return bucket

    async def _acquire(self, chat_id: int, stop: asyncio.Event | None) -> float | None:
        """Wait for a token of the bot and of the chat; None once the message may go.

        Otherwise returns after how long the message should be tried again: a wait past
        `max_wait` (flood control) is not spent holding the claim, and a stopping sender
        gives the message back at once (0).
        """
        while True:
            now = monotonic()
            chat = self._chat_bucket(chat_id, now)
            wait = max(self._bucket.wait(now), chat.wait(now))
            if wait <= 0:
                self._bucket.take(now)
                chat.take(now)
                return None
            if wait > self.limits.max_wait:
                return wait
            if await _sleep(stop, wait):
                return 0.0

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait `seconds`, or for a `wake()` or the stop, whichever comes first."""
        if not self._wake.is_set():
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
        self._wake.clear()


async def _sleep(stop: asyncio.Event | None, seconds: float) -> bool:
    """Sleep, cut short by `stop`; returns whether the sender is stopping."""
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


def _payload_button(t: Translator, spec: Any, prefix: str) -> InlineKeyboardButton | None:
    """A payload button as an inline button, or None if it is not one we can make."""
    if not isinstance(spec, dict) or spec.get("action") not in _ACTIONS:
        return None
    label_key, id_key, data = _ACTIONS[spec["action"]]
    target_id = spec.get(id_key)
    if not isinstance(target_id, int) or isinstance(target_id, bool) or not valid_id(target_id):
        return None
    label = spec.get("text") if isinstance(spec.get("text"), str) and spec["text"].strip() else None
    return button(prefix + (label or t.plain(label_key)), data(target_id))


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    """A keyboard of at most Telegram's 100 buttons (a single message's extra ones dropped)."""
    kept: list[list[InlineKeyboardButton]] = []
    room = BUTTON_LIMIT
    for row in rows:
        if room <= 0:
            break
        kept.append(row[:room])
        room -= len(kept[-1])
    return InlineKeyboardMarkup(inline_keyboard=kept) if kept else None
