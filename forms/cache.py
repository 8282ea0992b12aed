"""A short-lived cache of forms and verified API keys, so that a post costs the core's work only.

Every post needs the form (to render, check origins and tokens, and to validate the answers
before storing them) and, from servers, the check of their key; on SQLite each lookup queues
behind every write on the one connection. A form edit, a disabled form or a new key therefore
takes effect within `ttl` seconds in each process; only found forms and valid keys are cached.
When an entry expires under load, the requests that miss it at once share one lookup instead
of each asking the database (fifty connections posting made a thousand lookups a second).

When the database is unavailable, each lookup raises `UnavailableError` (a lookup that takes
longer than `timeout` counts as unavailable too), and `last_known` still gives the form as it
was last read, so a visitor's post can be shown again with their values instead of lost.
"""

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

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
        # Lookups under way, by what they look up: later callers wait for the same answer.
        self._asking: dict[object, asyncio.Future[Any]] = {}

    async def form(self, slug: str) -> PublicForm | None:
        """The active form `slug`, or None when there is none; raises UnavailableError."""
        now = self._clock()
        cached = self._forms.get(slug)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            form = await self._once(("form", slug), lambda: definitions.get_public_form(slug))
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
        if not await self._once(entry, lambda: definitions.verify_api_key(slug, key)):
            self._keys.pop(entry, None)
            return False
        if self._ttl > 0:
            if len(self._keys) >= MAX_ENTRIES:
                self._keys.clear()
            self._keys[entry] = now + self._ttl
        return True

    async def _once(self, what: object, lookup: Callable[[], Awaitable[T]]) -> T:
        """`lookup()`'s answer, asked once for all the callers that want `what` meanwhile. A
        caller that goes away (a closed request) does not cancel it for the others."""
        asking = self._asking.get(what)
        if asking is None:
            asking = asyncio.ensure_future(self._ask(lookup()))
            self._asking[what] = asking
            asking.add_done_callback(lambda done: self._forget(what, done))
        return cast(T, await asyncio.shield(asking))

    def _forget(self, what: object, done: "asyncio.Future[Any]") -> None:
        if self._asking.get(what) is done:
            del self._asking[what]
        if not done.cancelled():
            done.exception()  # seen: each waiter got it

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
