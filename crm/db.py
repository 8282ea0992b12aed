"""Small database helpers: the dialect, the clock, parameter placeholders for raw SQL, and
which errors mean "the database is unavailable" (retry later) rather than a bug."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection
from tortoise.exceptions import DBConnectionError, OperationalError

from crm.errors import UnavailableError

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def valid_id(value: int) -> bool:
    """Whether a number can be a row id (a larger one makes PostgreSQL refuse the query)."""
    return 0 < value <= MAX_ID


def connection() -> BaseDBAsyncClient:
    return get_connection("default")


def dialect() -> str:
    """'sqlite' or 'postgres'."""
    return str(connection().capabilities.dialect)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Params:
    """Collects raw-SQL parameters and renders the dialect's placeholder (`?` or `$n`)."""

    def __init__(self, dialect_name: str) -> None:
        self.values: list[Any] = []
        self._numbered = dialect_name != "sqlite"

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self._numbered else "?"

    def many(self, values: Any) -> str:
        return ", ".join(self(v) for v in values)


# SQLite's words for a file it cannot use now: missing or unreadable, held by another writer
# past the busy timeout, or a failing disk. Other OperationalErrors ("no such table", a syntax
# error) are bugs and stay errors.
SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "database is locked",
    "disk i/o error",
    "database or disk is full",
)
# Refused, dropped or timed-out connections (TimeoutError, asyncio's too, and
# ConnectionRefusedError are OSErrors), and PostgreSQL's: the connection failed or dropped
# (class 08), the server is starting, shutting down or out of connections.
UNAVAILABLE_TYPES = (
    OSError,
    DBConnectionError,
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError included
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the errors it was raised from (`raise ... from`: a driver's error under
    Tortoise's). Not the errors it was raised while handling: a bug in an `except` block is
    still a bug."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 10:
        seen.add(id(current))
        yield current
        current = current.__cause__


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def unavailable_reason(exc: BaseException) -> str | None:
    """Why `exc` means the database cannot be used right now, in one line; None when it is
    any other error.

    Unavailable: a refused, dropped or timed-out connection (OSError, TimeoutError, Tortoise's
    DBConnectionError, asyncpg's connection and server-state errors) and SQLite's "unable to
    open database file", "database is locked" (past the busy timeout), I/O errors.
    """
    for error in _chain(exc):
        if isinstance(error, UnavailableError):
            return error.message
        if isinstance(error, UNAVAILABLE_TYPES):
            return _one_line(error)
        if isinstance(error, OperationalError | sqlite3.OperationalError):
            text = str(error).lower()
            if any(words in text for words in SQLITE_UNAVAILABLE):
                return _one_line(error)
    return None


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be used right now (see `unavailable_reason`)."""
    return unavailable_reason(exc) is not None


@contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Raise UnavailableError (from the original) for an unavailable database inside the
    block; every other error passes unchanged."""
    try:
        yield
    except UnavailableError:
        raise
    except Exception as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise UnavailableError(reason) from exc
