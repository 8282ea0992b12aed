"""/settings → Web forms → a form → Held (F8): the posts kept as spam or over a rate limit,
newest first with the reason; Release makes one a lead, Delete removes it (after asking).

Buttons carry the form's and the post's ids; every press goes through `crm.webforms.held`,
which checks the settings right again and answers a post that is no longer held (released or
deleted by someone else meanwhile) as a missing one: the list comes back saying so.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

from bot.handlers.settings.dialog import show
from bot.handlers.settings.forms import FormAction, FormStep
from bot.render import shorten
from bot.ui import (
    NAME_WIDTH,
    Screen,
    back,
    button,
    markup,
    nav,
    page_title,
    with_notice,
)
from crm.actors import Actor
from crm.errors import NotFoundError
from crm.i18n import Markup, Translator
from crm.webforms import held
from crm.webforms.held import HeldPage, HeldSubmission
from crm.webforms.leads import SubmissionResult

# The reasons the forms adapter stores (forms.spam, which the bot may not import), by message.
REASON_KEYS = {
    "rate limit: address": "held-reason-rate-address",
    "rate limit: form": "held-reason-rate-form",
    "trap": "held-reason-trap",
    "no token": "held-reason-no-token",
    "forged token": "held-reason-forged-token",
    "expired token": "held-reason-expired-token",
    "too fast": "held-reason-too-fast",
    "captcha": "held-reason-captcha",
    "unauthenticated": "held-reason-unauthenticated",
}
REASON_WIDTH = 60  # a reason the bot has no words for, shown as stored
ERRORS_WIDTH = 300  # a released post's refused answers, on one line


class HeldStep(StrEnum):
    LIST = "list"  # at `page`
    RELEASE = "rel"  # `submission_id`, then the list at `page`
    DELETE = "del"  # asks first
    CONFIRM_DELETE = "delok"


class HeldAction(CallbackData, prefix="wfh"):
    """The held posts of web form `form_id`; a post's buttons name it by `submission_id`."""

    action: HeldStep
    form_id: int
    submission_id: int = 0
    page: int = 0


# --- screens --------------------------------------------------------------------------------


def _reason(t: Translator, item: HeldSubmission) -> str:
    key = REASON_KEYS.get(item.reason or "")
    if key is not None:
        return t(key)
    other = "held-reason-other-held" if item.status == "held" else "held-reason-other-spam"
    return t(other, reason=shorten(item.reason or "?", REASON_WIDTH))


def _who(t: Translator, item: HeldSubmission) -> str:
    """Who the post says it is (escaped): name · e-mail, or that it gives neither."""
    known = [text for text in (item.name, item.email) if text]
    return t("held-who", who=" · ".join(known)) if known else t("held-who-unknown")


def held_screen(t: Translator, page: HeldPage, notice: str = "") -> Screen:
    title = t("held-title", title=shorten(page.title, NAME_WIDTH))
    lines = [page_title(t, title, page.page, page.pages), t("held-intro")]
    if not page.items:
        lines.append(t("held-empty"))
    rows = []
    for item in page.items:
        number = str(item.id)  # a post's number, not an amount: never "12,345"
        at = t("held-line", id=number, at=item.received_at, reason=Markup(_reason(t, item)))
        lines.append(f"{at}\n{_who(t, item)}")

        def act(step: HeldStep, item: HeldSubmission = item) -> HeldAction:
            return HeldAction(
                action=step, form_id=page.form_id, submission_id=item.id, page=page.page
            )

        rows.append(
            [
                button(t.plain("held-btn-release", id=number), act(HeldStep.RELEASE)),
                button(t.plain("held-btn-delete", id=number), act(HeldStep.DELETE)),
            ]
        )
    rows += nav(
        t,
        page.page,
        page.pages,
        lambda p: HeldAction(action=HeldStep.LIST, form_id=page.form_id, page=p),
    )
    rows.append(back(t, FormAction(action=FormStep.OPEN, form_id=page.form_id)))
    return with_notice(notice, "\n\n".join(lines)), markup(rows)


def _released(t: Translator, submission_id: int, result: SubmissionResult) -> str:
    """What became of a released post, as the notice over the list says it."""
    if result.status in ("created", "merged"):
        return t(f"held-released-{result.status}", id=str(submission_id))
    if result.status == "rejected":
        errors = "; ".join(f"{name}: {message}" for name, message in result.errors.items())
        errors = shorten(errors, ERRORS_WIDTH)
        return t("held-released-rejected", id=str(submission_id), errors=errors)
    return t("held-released-other", id=str(submission_id), status=result.status)


async def _list(
    query: CallbackQuery, actor: Actor, t: Translator, form_id: int, page: int, notice: str = ""
) -> None:
    await show(query, held_screen(t, await held.list_held(actor, form_id, page), notice))


# --- handlers -------------------------------------------------------------------------------


async def on_held(
    query: CallbackQuery, callback_data: FormAction | HeldAction, actor: Actor, t: Translator
) -> None:
    """The form screen's Held button, the pages of the list, and Back from a question."""
    await _list(query, actor, t, callback_data.form_id, callback_data.page)


async def on_release(
    query: CallbackQuery, callback_data: HeldAction, actor: Actor, t: Translator
) -> None:
    """Release the post into a lead now; the list comes back with what became of it."""
    submission_id = callback_data.submission_id
    try:
        result = await held.release_held(actor, callback_data.form_id, submission_id)
    except NotFoundError:
        notice = t("held-gone", id=str(submission_id))
    else:
        notice = _released(t, submission_id, result)
    await _list(query, actor, t, callback_data.form_id, callback_data.page, notice)


async def on_delete(
    query: CallbackQuery, callback_data: HeldAction, actor: Actor, t: Translator
) -> None:
    """Asks before deleting: what the visitor sent goes with the post."""
    form_id, page = callback_data.form_id, callback_data.page
    try:
        item = await held.get_held(actor, form_id, callback_data.submission_id)
    except NotFoundError:
        notice = t("held-gone", id=str(callback_data.submission_id))
        await _list(query, actor, t, form_id, page, notice)
        return
    text = t("held-delete-confirm", id=str(item.id), who=Markup(_who(t, item)))
    confirm = HeldAction(
        action=HeldStep.CONFIRM_DELETE, form_id=form_id, submission_id=item.id, page=page
    )
    rows = [
        [button(t.plain("held-btn-delete-confirm"), confirm)],
        back(t, HeldAction(action=HeldStep.LIST, form_id=form_id, page=page)),
    ]
    await show(query, (text, markup(rows)))


async def on_deleted(
    query: CallbackQuery, callback_data: HeldAction, actor: Actor, t: Translator
) -> None:
    submission_id = callback_data.submission_id
    try:
        await held.delete_held(actor, callback_data.form_id, submission_id)
    except NotFoundError:
        notice = t("held-gone", id=str(submission_id))
    else:
        notice = t("held-deleted", id=str(submission_id))
    await _list(query, actor, t, callback_data.form_id, callback_data.page, notice)


def get_router() -> Router:
    router = Router(name="settings.held")
    cb = router.callback_query
    cb.register(on_held, FormAction.filter(F.action == FormStep.HELD))
    steps = HeldAction.filter
    cb.register(on_held, steps(F.action == HeldStep.LIST))
    cb.register(on_release, steps(F.action == HeldStep.RELEASE))
    cb.register(on_delete, steps(F.action == HeldStep.DELETE))
    cb.register(on_deleted, steps(F.action == HeldStep.CONFIRM_DELETE))
    return router
