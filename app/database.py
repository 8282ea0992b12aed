"""Database lifecycle: connect, apply migrations, check health, close."""

import asyncio

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from app.settings import Settings
from crm.db import connection
from models import tortoise_config


def config_for(settings: Settings) -> dict:
    path = settings.sqlite_path
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return tortoise_config(settings.database_url)


async def upgrade(settings: Settings, target: str | None = None) -> None:
    """Apply migrations up to `target` (default: latest); `models.0001_initial` goes back."""
    await migrate(config=config_for(settings), target=target)
    await Tortoise.close_connections()


async def connect(settings: Settings) -> None:
    await Tortoise.init(config=config_for(settings))


async def close() -> None:
    await Tortoise.close_connections()


async def is_healthy(within: float = 2.0) -> bool:
    """Whether the database answers a trivial query within `within` seconds."""
    try:
        await asyncio.wait_for(connection().execute_query("SELECT 1"), within)
    except Exception:  # any failure means "not healthy"; the caller reports 503
        return False
    return True
