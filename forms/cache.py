"""A short-lived cache of forms and verified API keys, so that a post costs the core's work only.

Every post needs the form (to render, check origins and tokens) and, from servers, the check of
their key; on SQLite each lookup queues behind every write on the one connection. A form edit,
a disabled form or a new key therefore takes effect within `ttl` seconds in each process. The
core still loads the form itself when it stores a submission, so a disabled form never gets
a lead stored through a stale entry; only found forms and valid keys are cached.

When the database is unavailable, each lookup raises `UnavailableError` (a lookup that takes
longer than `timeout` counts as unavailable too), and `last_known` still gives the form as it
was last read, so a visitor's post can be shown again with their values instead of lost.
"""

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from crm.db import unavailable_as_error
from crm.errors import NotFoundError, UnavailableError
from crm.webforms import definitions
from crm.webforms.definitions import PublicForm

MAX_ENTRIES = 1000
T = TypeVar("T")


class FormCache:
    """Forms by slug and valid (slug, key) pairs, each remembered for `ttl` seconds."""

    def __init__(
        self,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        timeout: float | None = None,
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._timeout = timeout
        self._forms: dict[str, tuple[float, PublicForm]] = {}
        self._keys: dict[tuple[str, str], float] = {}

    async def form(self, slug: str) -> PublicForm | None:
        """The active form `slug`, or None when there is none; raises UnavailableError."""
        now = self._clock()
        cached = self._forms.get(slug)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            form = await self._ask(definitions.get_public_form(slug))
        except NotFoundError:
            self._forms.pop(slug, None)
            return None
        if self._ttl > 0:
            if len(self._forms) >= MAX_ENTRIES:
                self._forms.clear()
            self._forms[slug] = (now + self._ttl, form)
        return form

    def last_known(self, slug: str) -> PublicForm | None:
        """The form `slug` as this process last read it, however long ago (None if never, or
        if it was found gone since): for answers given while the database is unavailable."""
        cached = self._forms.get(slug)
        return cached[1] if cached is not None else None

    async def key_is_valid(self, slug: str, key: str) -> bool:
        """Whether `key` is the API key of the form `slug` (the core compares it); raises
        UnavailableError."""
        now = self._clock()
        # Only a digest of the key is kept in memory.
        entry = (slug, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest())
        expires = self._keys.get(entry)
        if expires is not None and expires > now:
            return True
        if not await self._ask(definitions.verify_api_key(slug, key)):
            self._keys.pop(entry, None)
            return False
        if self._ttl > 0:
            if len(self._keys) >= MAX_ENTRIES:
                self._keys.clear()
            self._keys[entry] = now + self._ttl
        return True

    async def _ask(self, lookup: Awaitable[T]) -> T:
        """A read from the core, within the timeout; an unavailable database raises
        UnavailableError (a read is safe to abandon: it writes nothing)."""
        deadline = asyncio.timeout(self._timeout)
        with unavailable_as_error():
            try:
                async with deadline:
                    return await lookup
            except TimeoutError:
                if not deadline.expired():
                    raise  # the driver's own timeout: classified as it is
                raise UnavailableError(
                    f"no answer from the database within {self._timeout:g} s"
                ) from None
