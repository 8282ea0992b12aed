"""What the bot adapter needs from the settings, as plain values (the bot never reads `app`)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BotConfig:
    token: str
    api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    redis_url: str | None = None
    default_language: str = "en"
    public_url: str | None = None  # where the web app is reached: forms' page addresses
    # Long polling runs each update as a task (many staff at once); tests turn it off so that
    # an update is finished when the next getUpdates arrives.
    handle_as_tasks: bool = True
    polling_timeout: int = 10
    # While Telegram cannot be reached at start, attempts are spaced from `retry_first` seconds,
    # doubling up to `retry_limit` (a minute: a blip is caught quickly, an outage costs little).
    retry_first: float = 1.0
    retry_limit: float = 60.0
