"""Placeholder: the settings feature's handlers (filled in by its own change)."""

from aiogram import Router


def build_router() -> Router:
    return Router(name="settings")
