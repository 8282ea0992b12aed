"""Lead alerts (F8, F9): who hears of a new lead, what the alert tells them, queued in the outbox.

The alert names the contact and carries the lead's details, so it goes only to a staff member
who may read that contact, and names a look-alike or the form's deal or quote only if they may
read those too. It is plain text in the reader's language; the outbox sender escapes it for
Telegram and adds the Open / Take it buttons from its payload. A lead that proposes changes to
a known contact (`crm.intake.Proposal`) lists them, with Apply / Ignore
(`crm.webforms.proposals`).
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crm import contacts, customfields, memo, notifier
from crm.actors import Actor, actor_for_staff_id
from crm.duplicates import DuplicateMatch
from crm.errors import NotFoundError, PermissionDeniedError
from crm.i18n import Catalogue, Translator
from crm.intake import Proposal
from crm.permissions import can, record_facts
from crm.rules.fields import CHANNEL_FIELDS, ChannelValue
from crm.rules.permissions import RecordFacts
from crm.webforms.definitions import default_language
from models import Contact, Deal, Quote, Staff, WebForm
from models.enums import Action, ChannelKind, FormScheme

# Telegram takes 4096 characters; the whole message is on the card and the submission.
MAX_ALERT = 3500
# The channels an alert lists, in this order, with the message key of each line.
CHANNEL_LINES = (
    ("phones", "form-alert-phone"),
    ("emails", "form-alert-email"),
    ("websites", "form-alert-website"),
    ("messengers", "form-alert-telegram"),
)


class Placement(StrEnum):
    """Where a lead went: a new contact, a new one next to a look-alike (the form allows
    duplicates), or an existing contact it was merged into or replaced the fields of."""

    NEW = "new"
    TWIN = "twin"
    MERGED = "merged"
    REPLACED = "replaced"


@dataclass(frozen=True, slots=True)
class LeadNews:
    """What happened to a lead, before it is told to anyone.

    `match` is the look-alike of a twin, or the contact merged into or replaced; `record` the
    deal or quote of a deal or quote form.
    """

    form: WebForm
    submission_id: int
    contact: Contact
    kind: Placement
    match: DuplicateMatch | None
    record: Deal | Quote | None
    name: str
    channels: Mapping[ChannelKind, list[ChannelValue]]
    company_title: str | None
    message: str | None
    utm: Mapping[str, str]
    proposal: Proposal = field(default_factory=Proposal)


@dataclass(frozen=True, slots=True)
class _Seen:
    """The news as one reader may see it: the look-alike and the record's title only if they
    may read them."""

    kind: Placement
    contact_name: str
    match: DuplicateMatch | None
    record_title: str | None
    custom_labels: Mapping[str, str] = field(default_factory=dict)


async def alert_lead(news: LeadNews, recipient_id: int | None) -> None:
    """Queue the lead alert for `recipient_id` if they may read the contact, else for an
    active administrator (reachable ones first); nobody is alerted if neither exists.

    Call inside the lead's transaction: the alert is queued with the lead or not at all.
    """
    reader = await _reader(recipient_id, news.contact)
    if reader is None:
        return
    await _queue(news, reader, await _as_seen_by(reader, news))


@functools.cache
def _catalogue() -> Catalogue:
    """The core's messages, loaded on first use (no import-time work)."""
    return Catalogue([])


async def _active_actor(staff_id: int) -> Actor | None:
    try:
        return await memo.once(("actor", staff_id), lambda: actor_for_staff_id(staff_id))
    except (NotFoundError, PermissionDeniedError):  # gone or deactivated meanwhile
        return None


async def _reader(staff_id: int | None, contact: Contact) -> Actor | None:
    """Who gets the lead alert: the chosen recipient if they may read the contact, else an
    active administrator (reachable ones first), who may read everything; None if neither.

    The fallback recipient, picked from the form's queue when the responsible of a merged
    contact is unreachable, may not be one who may read it. We pick an administrator rather
    than send them a text without details: even that would tell them a contact they may not
    see exists, and they could neither open nor take it.
    """
    facts = await record_facts(contact)
    chosen = await _active_actor(staff_id) if staff_id is not None else None
    if chosen is not None and can(chosen, Action.READ, facts):
        return chosen
    admin_id = (
        await Staff.filter(is_admin=True, is_active=True)
        .order_by("is_unreachable", "id")
        .first()
        .values_list("id", flat=True)
    )
    return await _active_actor(admin_id) if admin_id is not None else None


async def _as_seen_by(reader: Actor, news: LeadNews) -> _Seen:
    """What the alert tells `reader` (who may read the contact): the look-alike of a twin and
    the form's deal or quote are named only if the reader may read them too."""
    kind, match = news.kind, news.match
    if match is not None:
        look_alike = await Contact.get_or_none(id=match.contact_id)
        if look_alike is None or not can(reader, Action.READ, await record_facts(look_alike)):
            kind, match = (Placement.NEW if kind == Placement.TWIN else kind), None
    record, title = news.record, None
    if record is not None and can(
        reader, Action.READ, RecordFacts(responsible_id=record.responsible_id, opened=record.opened)
    ):
        title = record.title
    labels: dict[str, str] = {}
    if news.proposal.custom:
        definitions = await customfields.active_fields()
        labels = {code: d.label for code, d in definitions.items() if code in news.proposal.custom}
    return _Seen(kind, contacts.display_name(news.contact), match, title, labels)


def _text(t: Translator, news: LeadNews, seen: _Seen) -> str:
    """The alert as plain text (the outbox sender escapes it for Telegram)."""
    form_title = news.form.title
    if seen.kind == Placement.TWIN and seen.match is not None:
        head = t.plain("form-alert-twin", form=form_title, id=str(seen.match.contact_id))
    elif seen.kind in (Placement.MERGED, Placement.REPLACED):
        head = t.plain(
            f"form-alert-{seen.kind.value}",
            form=form_title,
            id=str(news.contact.id),
            name=seen.contact_name,
        )
    else:
        head = t.plain("form-alert-new", form=form_title)
    lines = [head]
    if news.name:
        lines.append(t.plain("form-alert-name", value=news.name))
    for field_name, key in CHANNEL_LINES:
        for value in news.channels.get(CHANNEL_FIELDS[field_name], []):
            lines.append(t.plain(key, value=value.value))
    if news.company_title:
        lines.append(t.plain("form-alert-company", value=news.company_title))
    # Before the message, which may be long: the cut at MAX_ALERT never hides a proposal.
    lines += _proposal_lines(t, news, seen)
    if news.message:
        lines.append(t.plain("form-alert-message", value=news.message))
    if news.utm:
        utm = ", ".join(f"{k.removeprefix('utm_')}={v}" for k, v in news.utm.items())
        lines.append(t.plain("form-alert-utm", value=utm))
    if seen.record_title:
        scheme = FormScheme(news.form.scheme)
        key = "form-alert-deal" if scheme == FormScheme.DEAL else "form-alert-quote"
        lines.append(t.plain(key, value=seen.record_title))
    text = "\n".join(lines)
    return text if len(text) <= MAX_ALERT else text[: MAX_ALERT - 1] + "…"


def _proposal_lines(t: Translator, news: LeadNews, seen: _Seen) -> list[str]:
    """The changes the lead proposes to the known contact, each with what it has now."""
    proposal = news.proposal
    if not proposal:
        return []
    lines = [t.plain("form-alert-proposal")]
    for name, value in proposal.fields.items():
        now = getattr(news.contact, name, None)
        lines.append(
            t.plain("form-alert-propose-field", field=t.plain(f"field-{name}"), value=str(value))
            + _now(t, now)
        )
    for code, values in proposal.custom.items():
        text = ", ".join(str(v) for v in values)
        label = seen.custom_labels.get(code, code)
        lines.append(t.plain("form-alert-propose-field", field=label, value=text))
    for channel in proposal.channels:
        key = "form-alert-propose-primary" if channel.get("primary") else "form-alert-propose-add"
        lines.append(t.plain(key, kind=str(channel["field"]), value=str(channel["value"])))
    if proposal.message:
        lines.append(t.plain("form-alert-propose-message"))
    return lines


def _now(t: Translator, value: Any) -> str:
    return "" if value in (None, "") else " " + t.plain("form-alert-propose-now", value=str(value))


async def _queue(news: LeadNews, reader: Actor, seen: _Seen) -> None:
    """Queue the alert in the reader's language, with Open / Take it (and Apply / Ignore for
    a proposal), through the outbox."""
    staff_id = reader.staff_id
    staff = await memo.once(("staff", staff_id), lambda: Staff.get_or_none(id=staff_id))
    if staff is None:
        return
    t = _catalogue().translator(staff.language or default_language(), staff.timezone)
    contact_id = news.contact.id
    buttons: list[list[dict[str, Any]]] = [
        [
            {"text": t.plain("form-alert-open"), "action": "open", "contact_id": contact_id},
            {"text": t.plain("form-alert-take"), "action": "take", "contact_id": contact_id},
        ]
    ]
    if news.proposal:
        submission_id = news.submission_id
        buttons.append(
            [
                {
                    "text": t.plain(f"form-alert-{action}"),
                    "action": action,
                    "submission_id": submission_id,
                }
                for action in ("apply", "ignore")
            ]
        )
    payload = {
        "buttons": buttons,
        "contact_id": contact_id,
        "submission_id": news.submission_id,
        "form": news.form.slug,
    }
    await notifier.queue_message(
        staff,
        "lead",
        _text(t, news, seen),
        payload=payload,
        dedupe_key=f"lead:{news.submission_id}",
        group_key=f"lead:{staff.id}",
    )
