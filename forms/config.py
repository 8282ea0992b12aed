"""What the web forms adapter takes from the composition root: secret, limits, proxy, hooks."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A captcha check: (the posted fields, the client's address or None) -> True for a human.
# It runs only when no other spam check fired; its answer never reaches the visitor.
CaptchaHook = Callable[[Mapping[str, Any], str | None], Awaitable[bool]]

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FormsConfig:
    """Settings of the forms adapter; every field has a safe default."""

    # HMAC key for page tokens and address hashes. None: a random one per process (logged as a
    # warning, because several processes would then refuse each other's tokens).
    secret: str | None = field(default=None, repr=False)
    min_fill_seconds: float = 3.0
    token_max_age_seconds: float = 24 * 3600.0
    # Take the client's address from X-Forwarded-For (only behind a proxy that sets it).
    trust_proxy: bool = False
    # Shared rate-limit counters for several processes; None keeps them in memory.
    redis_url: str | None = None
    # Posts a minute (FORMS_RATE_PER_ADDRESS, FORMS_RATE_PER_FORM; .env.example says why these
    # defaults); one more is held and answered 429 with the seconds to wait.
    address_limit_per_minute: int = 20
    form_limit_per_minute: int = 300
    captcha: CaptchaHook | None = None
    max_body_bytes: int = MIB
    # A request body that sends nothing for this long is answered 408, so slow or stalled
    # clients cannot pile up connections. It is a timeout between two reads (as nginx's
    # client_body_timeout), not for the whole body: a steady upload, however slow, is read.
    body_timeout_seconds: float = 15.0
    # How long a process trusts its copy of a form and of a verified API key (0: never).
    form_cache_seconds: float = 2.0
    # A form or API key read that takes longer means the database is unavailable: the visitor
    # gets a 503 with Retry-After instead of a page that never comes.
    db_timeout_seconds: float = 10.0
    default_language: str = "en"
