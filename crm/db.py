"""Small database helpers: the dialect, the clock, and parameter placeholders for raw SQL."""

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection

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
