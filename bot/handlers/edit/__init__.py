"""Editing a contact from its card's buttons: field by field, its channels, its links."""

from aiogram import Router

from bot.handlers.edit import channels, fields, links
from bot.handlers.edit.middleware import EditErrorsMiddleware


def get_router() -> Router:
    """The three edit dialogs behind one error middleware (it handles the core's errors)."""
    router = Router(name="edit")
    errors = EditErrorsMiddleware()
    router.message.middleware(errors)
    router.callback_query.middleware(errors)
    router.include_routers(fields.get_router(), channels.get_router(), links.get_router())
    return router
