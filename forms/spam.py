"""Spam defences: the bot trap, the signed fill-time token, rate limits and the captcha hook.

Evidence of spam (the trap, a missing, forged or expired token, a post sooner than a person
types, the captcha) is never told to the sender: the submission is answered like a success
and the core stores it as spam with the reason (and alerts nobody). A rate limit is no
evidence (a trade-show stand or an office sits behind one address; a flood from elsewhere
fills the form's limit): it is answered honestly, 429 with the seconds to wait, and the post
is kept as held for an administrator to release.
"""

import base64
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from forms.config import FormsConfig

log = logging.getLogger(__name__)

# The trap looks like a field a bot would love to fill; the second name is used when a form
# really has a field called website_url.
TRAP_NAMES = ("website_url", "homepage_url")
# Clocks of several processes may disagree a little; a token from further ahead is forged.
CLOCK_SKEW_MS = 60_000
RATE_WINDOW_SECONDS = 60

TRAP = "trap"
NO_TOKEN = "no token"
FORGED_TOKEN = "forged token"
EXPIRED_TOKEN = "expired token"
TOO_FAST = "too fast"
CAPTCHA = "captcha"
# Rate limits: reasons to hold a post, not spam.
RATE_ADDRESS = "rate limit: address"
RATE_FORM = "rate limit: form"
# Not a check of SpamGuard's: the adapter's reason for a JSON post with no API key, no token
# and no allowed Origin, which is answered 401 (not like a success) and stored with it.
UNAUTHENTICATED = "unauthenticated"


def trap_name(field_names: Iterable[str]) -> str:
    """The bot-trap input's name for a form whose own inputs are `field_names`."""
    taken = set(field_names)
    return next(name for name in TRAP_NAMES if name not in taken)


class Signer:
    """HMAC-SHA256 with the forms secret: page tokens and hashed client addresses."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, message: str) -> str:
        digest = hmac.new(self._secret, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def token(self, slug: str, now: float) -> str:
        """A token saying "the form `slug` was rendered at `now`" (epoch seconds)."""
        stamp = str(int(now * 1000))
        return f"{stamp}.{self._token_mac(slug, stamp)}"

    def _token_mac(self, slug: str, stamp: str) -> str:
        return self._mac(f"token\n{slug}\n{stamp}")

    def token_problem(
        self, slug: str, token: str, now: float, *, min_fill: float, max_age: float
    ) -> str | None:
        """None for a genuine token old enough and not too old, else the spam reason."""
        stamp, _, mac = token.partition(".")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 15):
            return FORGED_TOKEN
        expected = self._token_mac(slug, stamp).encode()
        if not hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), expected):
            return FORGED_TOKEN
        age_ms = int(now * 1000) - int(stamp)
        if age_ms < -CLOCK_SKEW_MS:
            return FORGED_TOKEN
        if age_ms < min_fill * 1000:
            return TOO_FAST
        if age_ms > max_age * 1000:
            return EXPIRED_TOKEN
        return None

    def address_hash(self, address: str) -> str:
        """The client's address as the core may keep it: keyed, so it cannot be reversed."""
        return hmac.new(self._secret, f"address\n{address}".encode(), hashlib.sha256).hexdigest()


def _seconds_left(now: float, window: int) -> int:
    """Whole seconds until the fixed window holding `now` ends; at least 1 (a caller told to
    wait 0 seconds would come straight back into the same window)."""
    return max(1, math.ceil(window - now % window))


class RateLimiter(Protocol):
    """Counts hits per key in fixed windows."""

    async def hit(self, key: str) -> int:
        """Count one hit on `key`; the number of hits in the current window, this one included."""
        ...

    def seconds_left(self) -> int:
        """Seconds until the current window ends and every count starts again."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryRateLimiter:
    """Counters in this process (one process serves the forms)."""

    MAX_KEYS = 100_000

    def __init__(
        self, window: int = RATE_WINDOW_SECONDS, clock: Callable[[], float] | None = None
    ) -> None:
        self._window = window
        self._clock = clock or time.monotonic
        self._counts: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str) -> int:
        bucket = int(self._clock() // self._window)
        if len(self._counts) >= self.MAX_KEYS:
            # Forget past windows; a flood of distinct addresses cannot grow memory for ever.
            self._counts = {k: v for k, v in self._counts.items() if v[0] == bucket}
            if len(self._counts) >= self.MAX_KEYS:
                self._counts.clear()
        seen_bucket, count = self._counts.get(key, (bucket, 0))
        count = count + 1 if seen_bucket == bucket else 1
        self._counts[key] = (bucket, count)
        return count

    def seconds_left(self) -> int:
        return _seconds_left(self._clock(), self._window)

    async def close(self) -> None:
        self._counts.clear()


class RedisRateLimiter:
    """Counters shared by every process (INCR + EXPIRE on a key per window)."""

    def __init__(self, url: str, window: int = RATE_WINDOW_SECONDS) -> None:
        self._redis = Redis.from_url(url)
        self._window = window

    async def hit(self, key: str) -> int:
        bucket = int(time.time() // self._window)
        name = f"carnet:forms:rate:{key}:{bucket}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, self._window * 2)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            # Fail open: an unreachable Redis must not turn every visitor into spam.
            log.warning("forms: rate limit not checked, Redis failed: %s", exc)
            return 0
        return int(count)

    def seconds_left(self) -> int:
        # The windows are those of `hit`: wall-clock minutes, the same in every process.
        return _seconds_left(time.time(), self._window)

    async def close(self) -> None:
        await self._redis.aclose()


def build_limiter(redis_url: str | None) -> RateLimiter:
    """Redis counters when REDIS_URL is set, else in-memory ones."""
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the adapter saw of one post, for the spam checks."""

    slug: str
    form_id: int
    payload: Mapping[str, Any]
    trap_value: Any
    token: str | None
    address: str | None
    address_hash: str | None
    # Posted with an API key (checked by the core): a server, exempt from token and rates.
    keyed: bool = False
    # A tokenless post from one of the form's allowed origins: a plain HTML form on that site.
    from_allowed_origin: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the checks made of one post: spam evidence, a rate limit, or neither (a lead)."""

    spam: str | None = None  # the evidence: stored as spam, answered like a success
    limit: str | None = None  # the limit it is over: stored as held, answered 429
    retry_after: int = 0  # with `limit`: seconds until the window frees


class SpamGuard:
    """Runs the checks in order and names the first that fired."""

    def __init__(self, config: FormsConfig, signer: Signer, limiter: RateLimiter) -> None:
        self._config = config
        self._signer = signer
        self._limiter = limiter

    async def judge(self, evidence: Evidence, now: float) -> Verdict:
        """The verdict on one post. Evidence of spam comes first (a bot over the limit is
        still a bot); API-key posts are exempt from the token and the limits. A held post
        skips the captcha: a person looks at it before it becomes a lead, and a flood costs
        no captcha call per post."""
        by_address = 0
        if not evidence.keyed and evidence.address_hash:
            # Every post of an address counts, spam too: a flood is limited whatever it trips.
            by_address = await self._limiter.hit(f"address:{evidence.address_hash}")
        if evidence.trap_value not in (None, "", []):
            return Verdict(spam=TRAP)
        if not evidence.keyed:
            problem = self._token_problem(evidence, now)
            if problem:
                return Verdict(spam=problem)
            if by_address > self._config.address_limit_per_minute:
                return self._over(RATE_ADDRESS)
            # Only posts that passed every other check count against the form: one address
            # flooding it (or bots without a token) cannot use up other visitors' share.
            by_form = await self._limiter.hit(f"form:{evidence.form_id}")
            if by_form > self._config.form_limit_per_minute:
                return self._over(RATE_FORM)
        if self._config.captcha is not None:
            try:
                human = await self._config.captcha(evidence.payload, evidence.address)
            except Exception:
                # Fail open: a captcha service outage must not bury real leads as spam.
                log.exception("forms: the captcha hook failed; the post is let through")
                human = True
            if not human:
                return Verdict(spam=CAPTCHA)
        return Verdict()

    def _over(self, limit: str) -> Verdict:
        return Verdict(limit=limit, retry_after=self._limiter.seconds_left())

    def _token_problem(self, evidence: Evidence, now: float) -> str | None:
        if not evidence.token:
            return None if evidence.from_allowed_origin else NO_TOKEN
        return self._signer.token_problem(
            evidence.slug,
            evidence.token,
            now,
            min_fill=self._config.min_fill_seconds,
            max_age=self._config.token_max_age_seconds,
        )
