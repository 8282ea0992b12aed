"""Fixtures for the web forms adapter: the app in-process, tokens, forms and their records."""

import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from tortoise.context import TortoiseContext

from app.web import build_app
from crm.actors import system_actor
from crm.db import dialect
from crm.webforms import definitions
from crm.webforms import worker as workers
from forms.config import FormsConfig
from forms.spam import Signer
from models import Contact, FormSubmission, OutboxMessage, tortoise_config

SECRET = "test-forms-secret-0123456789"
CONTACT = definitions.DEFAULT_SLUG
API_KEY = "k" * 24 + "-server-key"


def config(**changes: Any) -> FormsConfig:
    """Test settings: a known secret, limits high enough not to get in the way."""
    values: dict[str, Any] = {
        "secret": SECRET,
        "min_fill_seconds": 3.0,
        "address_limit_per_minute": 1000,
        "form_limit_per_minute": 1000,
    }
    values.update(changes)
    return FormsConfig(**values)


def aged_token(slug: str = CONTACT, seconds: float = 10.0) -> str:
    """A genuine page token as if the page was shown `seconds` ago."""
    return Signer(SECRET.encode()).token(slug, time.time() - seconds)


def lead(**changes: Any) -> dict[str, Any]:
    """A valid post to the `contact` form, with a token old enough."""
    values: dict[str, Any] = {
        "name": "Jean Dupont",
        "phone": "06 12 34 56 78",
        "email": "jean.dupont@example.fr",
        "message": "Call me back",
        "consent": "on",
        "_token": aged_token(),
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest_asyncio.fixture
async def worker(db: str) -> AsyncIterator[workers.Worker]:
    """This process's web form worker, as `carnet serve` runs it next to the app."""
    running = workers.Worker()
    running.start()
    yield running
    await running.stop()


async def settled() -> None:
    """Wait until the running worker (if one runs) has processed every submission stored so
    far: the state a post leads to once its lead is made."""
    running = workers.running()
    if running is not None:
        await running.idle()


@pytest_asyncio.fixture
async def make_client(db: str, worker: workers.Worker) -> AsyncIterator[ClientFactory]:
    """Starts the web app with forms settings changed as asked (and the worker); closed after
    the test."""
    clients: list[TestClient] = []

    async def start(**changes: Any) -> TestClient:
        client = TestClient(TestServer(build_app(config(**changes))))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


class Outage:
    """Switches an app's database off and on: while `down`, each request runs with Tortoise
    connected to a database that cannot be used (a SQLite file in a directory that does not
    exist, or a PostgreSQL port nothing listens on), so every core call fails as it would in
    production. The test session's own connection is left alone."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.down = False

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not self.down:
            return await handler(request)
        # A context of its own per request: a connection SQLite failed to open leaves
        # Tortoise's connection lock taken, so a second query on it would wait for ever.
        context = TortoiseContext()
        with context:
            await context.init(config=tortoise_config(self.url))
            try:
                return await handler(request)
            finally:
                await context.close_connections()


def unusable_database_url(tmp_path: Path) -> str:
    """A URL of the session's dialect (Tortoise shares the model classes between contexts)
    whose database cannot be opened."""
    if dialect() == "sqlite":
        return f"sqlite://{tmp_path / 'removed' / 'carnet.sqlite3'}"
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgres://postgres@127.0.0.1:{port}/carnet"


OutageClientFactory = Callable[..., Awaitable[tuple[TestClient, Outage]]]


@pytest_asyncio.fixture
async def make_outage_client(
    db: str, tmp_path: Path, worker: workers.Worker
) -> AsyncIterator[OutageClientFactory]:
    """Starts the web app (forms settings changed as asked) with an Outage switch."""
    clients: list[TestClient] = []

    async def start(**changes: Any) -> tuple[TestClient, Outage]:
        outage = Outage(unusable_database_url(tmp_path))
        app = build_app(config(**changes))
        app.middlewares.insert(0, outage.middleware)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client, outage

    yield start
    for client in clients:
        await client.close()


@pytest_asyncio.fixture
async def client(make_client: ClientFactory) -> TestClient:
    return await make_client()


@pytest_asyncio.fixture
async def admin(make_staff):
    """An admin: with an empty queue, lead alerts go to admins."""
    return await make_staff("Alice Admin", admin=True)


async def make_form(**settings: Any) -> definitions.FormDetails:
    """A form created through the core, with the contact form's defaults for what is not given."""
    return await definitions.create_form(system_actor("test"), settings)


async def submissions(**filters: Any) -> list[FormSubmission]:
    """The stored submissions, once the worker has processed them."""
    await settled()
    return await FormSubmission.filter(**filters).order_by("id")


async def contacts_count() -> int:
    """How many contacts there are, once the worker has processed every submission."""
    await settled()
    return await Contact.all().count()


async def alerts() -> list[OutboxMessage]:
    """The lead alerts queued, once the worker has processed every submission."""
    await settled()
    return await OutboxMessage.filter(kind="lead").order_by("id")


def only(rows: list[Any]) -> Any:
    assert len(rows) == 1, rows
    return rows[0]


def form_fields(mapping: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Pairs for an urlencoded body (lists become repeated names)."""
    pairs: list[tuple[str, str]] = []
    for name, value in mapping.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, str(item)))
    return pairs


@pytest.fixture
def json_headers() -> dict[str, str]:
    return {"Accept": "application/json"}
