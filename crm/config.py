"""Core settings that rules need (default phone region...), set once by the composition root."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CoreConfig:
    default_phone_region: str | None = None
    default_language: str = "en"
    timezone: str = "UTC"


_DEFAULT = CoreConfig()
_config: ContextVar[CoreConfig] = ContextVar("carnet_core_config")


def configure(config: CoreConfig) -> None:
    """Install the core's config for the current context (and the tasks it starts)."""
    _config.set(config)


def current() -> CoreConfig:
    return _config.get(_DEFAULT)
