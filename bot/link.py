"""The bot's link to Telegram, as its own requests see it: connecting, up, unreachable, refused.

Every Bot API request passes through `TelegramLink` (an aiogram request middleware), so the
state is what Telegram last answered, whichever part of the bot asked (long polling, a reply,
the outbox sender). `/healthz` reports it; the runtime stops the bot when the token is refused.
"""

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramNotFound,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response

# A wrong token answers 401 from Telegram; a token of the wrong shape 404 (no such bot path).
REFUSALS = (TelegramUnauthorizedError, TelegramNotFound)
# Telegram (or the way to it) is down: try again later, nothing is wrong with the bot.
OUTAGES = (TelegramNetworkError, TelegramServerError)


class LinkState(StrEnum):
    OFF = "off"  # no BOT_TOKEN
    CONNECTING = "connecting"  # first contact not made yet
    UP = "up"
    UNREACHABLE = "unreachable"  # a network error or a 5xx; the bot keeps trying
    REFUSED = "refused"  # the token was refused: off until the next start
    FAILED = "failed"  # stopped by an error of ours (logged)
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class LinkStatus:
    state: LinkState
    since: float  # time.time() of the change
    detail: str | None = None


class TelegramLink(BaseRequestMiddleware):
    """Records what each Bot API request said about the link; `refused` is set once Telegram
    refuses the token (the runtime then stops the bot instead of asking again forever)."""

    def __init__(self, token: str | None = None) -> None:
        self.status = LinkStatus(LinkState.CONNECTING, time.time())
        self.refused = asyncio.Event()
        self._token = token

    def set(self, state: LinkState, detail: str | None = None) -> None:
        if detail and self._token:
            # aiohttp's errors carry the request URL, and the URL carries the token.
            detail = detail.replace(self._token, "<BOT_TOKEN>")
        if state is not self.status.state or detail != self.status.detail:
            self.status = LinkStatus(state, time.time(), detail)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        try:
            response = await make_request(bot, method)
        except REFUSALS as exc:
            self.set(LinkState.REFUSED, exc.message)
            self.refused.set()
            raise
        except OUTAGES as exc:
            if self.status.state is not LinkState.REFUSED:
                self.set(LinkState.UNREACHABLE, short_reason(exc))
            raise
        except Exception:
            # Any other answer (a 400, a 429...) came from a Telegram that is there.
            self._answered()
            raise
        self._answered()
        return response

    def _answered(self) -> None:
        if self.status.state in (LinkState.CONNECTING, LinkState.UNREACHABLE):
            self.set(LinkState.UP)


def short_reason(exc: BaseException) -> str:
    """One line about a failed request, without aiogram's 'HTTP Client says -' prefix."""
    text = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    text = text.removeprefix("HTTP Client says - ")
    return text.splitlines()[0][:200] if text else type(exc).__name__
