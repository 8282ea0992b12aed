"""Reads a batch of work shares: what every item of a batch reads the same (the custom field
definitions, the "Web form" source, the alert reader's rights) is read once per batch.

The web form worker processes leads by the batch (`crm.webforms.worker`); inside `batch()`,
`once(key, load)` reads `key` the first time and gives the same answer after, until the batch
ends (a fraction of a second), so a setting changed meanwhile is seen from the next batch on.
Outside a batch `once` simply reads, so one-off callers (the bot, the CLI, tests) never see a
remembered value. Only reads that no lead of the batch writes belong here.
"""

from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

T = TypeVar("T")

_BATCH: ContextVar[dict[Hashable, Any] | None] = ContextVar("carnet_batch_memo", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Within it, `once` remembers what it read."""
    token = _BATCH.set({})
    try:
        yield
    finally:
        _BATCH.reset(token)


async def once(key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """`load()`'s answer, read once per batch (every time outside one)."""
    memo = _BATCH.get()
    if memo is None:
        return await load()
    if key not in memo:
        memo[key] = await load()
    return cast(T, memo[key])
