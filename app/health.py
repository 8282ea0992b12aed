"""What `/healthz` reports: each part of the process (database, Redis, scheduler, bot).

A load balancer takes a process out on a non-200, so only the parts a request needs (the
database, and Redis when set) make it 503. A scheduler or a bot that is down leaves the process
serving forms: that is "degraded", 200, with the part named so an operator sees what is down.
"""

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from app import database
from app.version import carnet_version
from bot.link import LinkState, LinkStatus

CHECK_SECONDS = 2.0  # a part that takes longer than this to answer is "not answering"


@dataclass
class Health:
    """The probes of one process, wired by the runtime (a part left None is not running)."""

    redis_url: str | None = None
    scheduler: Callable[[], bool] | None = None
    bot: Callable[[], LinkStatus] | None = None
    _redis: Redis | None = field(default=None, init=False)

    async def report(self, *, details: bool = True) -> tuple[int, dict[str, Any]]:
        """The HTTP status and the body: every part's state; with `details`, the version and
        why a part is down (which may name a host or an error: for the operator only)."""
        parts: dict[str, str] = {}
        reasons: dict[str, Any] = {}
        parts["database"] = "ok" if await database.is_healthy(CHECK_SECONDS) else "not answering"
        if self.redis_url:
            parts["redis"] = "ok" if await self._redis_answers() else "not answering"
        if self.scheduler is not None:
            parts["scheduler"] = "running" if self.scheduler() else "stopped"
        if self.bot is None:
            parts["bot"] = LinkState.OFF.value
        else:
            status = self.bot()
            parts["bot"] = status.state.value
            if status.state is not LinkState.UP:
                reasons["bot"] = {
                    "since": datetime.fromtimestamp(status.since, UTC).isoformat(),
                    "detail": status.detail,
                }
        serving = parts["database"] == "ok" and parts.get("redis", "ok") == "ok"
        whole = parts.get("scheduler", "running") == "running" and parts["bot"] in ("up", "off")
        state = "unavailable" if not serving else "ok" if whole else "degraded"
        body: dict[str, Any] = {"status": state, "parts": parts}
        if details:
            body["version"] = carnet_version()
            if reasons:
                body["details"] = reasons
        return (200 if serving else 503), body

    async def _redis_answers(self) -> bool:
        if self._redis is None:
            assert self.redis_url is not None
            self._redis = Redis.from_url(
                self.redis_url, socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS
            )
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), CHECK_SECONDS))
        except Exception:  # any failure means "not answering"; the report says so
            return False

    async def close(self) -> None:
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
