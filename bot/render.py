"""HTML for Telegram: cards, lists, history, errors. Every user-typed value goes through `t()` or
`escape()`, and no message exceeds Telegram's 4096 characters."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from crm.contacts import ContactCard, Dependencies, display_name
from crm.duplicates import DuplicateMatch
from crm.errors import CrmError, DuplicateContactError, ValidationError
from crm.history import REFERENCE_FIELDS, HistoryLine, HistoryPage
from crm.i18n import Markup, Translator, escape
from crm.layout import LayoutSection
from crm.rules.fieldref import FieldRef
from crm.rules.fields import CHANNEL_FIELDS
from crm.search import ContactRow, SearchPage
from models.enums import ChannelKind

if TYPE_CHECKING:  # the core returns these; adapters never query models
    from models import Contact, CustomField

_TAG = re.compile(r"<[^>]*>")
MESSAGE_LIMIT = 4096  # Telegram refuses longer texts (counted after entity parsing)
VALUE_LIMIT = 600  # a long comment is cut on the card; the full text is in the edit dialog
LABEL_LIMIT = 60  # a custom field's label may be 200 characters
# Widths of one-line parts of a message, in characters: a list row or a card line stays on one
# line of a phone screen; titles are 255 characters in the core, names 200, details unbounded.
ROW_WIDTH = 60  # a search row's name, phone, e-mail and company; who made a history entry
TITLE_WIDTH = 80  # a company or deal title on a card or link-menu line; a duplicate's name
CHANNEL_WIDTH = 120  # a phone, e-mail, website or messenger value on the card
ITEM_WIDTH = 100  # a deal, quote or activity in a dependency list
DETAIL_WIDTH = 150  # the before/after text of a history entry
CARD_TITLE_WIDTH = 200  # the card's heading (a contact's full name)
ERROR_WIDTH = 500  # the details of an unexpected error shown to staff
NAME_FIELDS = ("honorific", "first_name", "middle_name", "last_name")


def shorten(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters with an ellipsis (cut before escaping, never after)."""
    text = " ".join(str(text).split()) if "\n" not in str(text) else str(text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def visible_length(text: str) -> int:
    """What Telegram counts against its limit: the text after parsing, in UTF-16 code units."""
    shown = html.unescape(_TAG.sub("", text))
    return len(shown.encode("utf-16-le")) // 2


def split(blocks: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join HTML blocks into as few messages as fit; a block is never cut (each is bounded)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n{block}" if current else block
        if visible_length(candidate) > limit and current:
            messages.append(current)
            current = block
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages or [""]


def custom_label(definition: CustomField, language: str) -> str:
    """A custom field's own label in `language` (French when it has one), as plain text."""
    return definition.label_fr if language == "fr" and definition.label_fr else definition.label


def field_label(t: Translator, name: str, custom: dict[str, CustomField] | None = None) -> str:
    """A field's label in the reader's language (custom fields by their own labels)."""
    ref = FieldRef.from_card_field(name) or FieldRef.from_data_key(name)
    if ref and custom and ref.code in custom:
        return escape(shorten(custom_label(custom[ref.code], t.language), LABEL_LIMIT))
    key = f"field-{name.split('.')[0]}"
    return t(key) if t.has(key) else escape(name)


def error(t: Translator, exc: CrmError, custom: dict[str, CustomField] | None = None) -> str:
    """A core error as a friendly message; validation errors list each field (custom fields by
    their labels when `custom` is given)."""
    if isinstance(exc, ValidationError):
        lines = [f"• {field_label(t, f, custom)}: {escape(m)}" for f, m in exc.errors.items()]
        return t("error-validation", details=Markup("\n" + "\n".join(lines)))
    if isinstance(exc, DuplicateContactError):
        return t("error-duplicate", details=Markup(duplicate_lines(t, exc.matches)))
    key = f"error-{exc.code}"
    return t(key if t.has(key) else "error-error", details=shorten(exc.message, ERROR_WIDTH))


def duplicate_lines(t: Translator, matches: Sequence[DuplicateMatch]) -> str:
    lines = []
    for m in matches:
        if m.readable:
            lines.append(
                t(
                    f"dup-reason-{m.reason}",
                    name=shorten(m.display_name, TITLE_WIDTH),
                    value=m.value,
                    id=str(m.contact_id),
                )
            )
        else:
            lines.append(t("dup-hidden", reason=t(f"dup-kind-{m.reason}")))
    return "\n".join(lines)


def row_line(index: int, row: ContactRow) -> str:
    parts = [f"<b>{escape(shorten(row.name, ROW_WIDTH))}</b>"]
    parts += [escape(shorten(v, ROW_WIDTH)) for v in (row.phone, row.email, row.company) if v]
    return f"{index}. " + " · ".join(parts)


def contact_list(t: Translator, page: SearchPage, heading: str, first_index: int = 1) -> str:
    """A numbered result list (one button per contact goes with it)."""
    if not page.items:
        return f"{heading}\n\n{t('search-nothing')}"
    lines = [row_line(first_index + i, row) for i, row in enumerate(page.items)]
    return "\n".join([heading, "", *lines])


def _channel_line(t: Translator, kind: ChannelKind, view: Any) -> str:
    shown = escape(shorten(view.value, CHANNEL_WIDTH))
    if kind == ChannelKind.PHONE:
        target = view.normalized + (f";ext={view.extension}" if view.extension else "")
        shown = f'<a href="tel:{escape(target)}">{shown}</a>'
    elif kind == ChannelKind.EMAIL:
        shown = f'<a href="mailto:{escape(view.normalized)}">{shown}</a>'
    elif kind == ChannelKind.WEB and view.normalized.startswith(("http://", "https://")):
        shown = f'<a href="{escape(view.normalized)}">{shown}</a>'
    vtype = t(f"vtype-{view.value_type}")
    star = " ★" if view.is_primary else ""
    return f"{shown} <i>({vtype})</i>{star}"


def _value(t: Translator, value: Any) -> str:
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if hasattr(value, "isoformat") and hasattr(value, "year"):
        return escape(t.datetime(value) if hasattr(value, "hour") else t.date(value))
    return escape(shorten(str(value), VALUE_LIMIT))


def card_field(
    t: Translator, card: ContactCard, name: str, custom: dict[str, CustomField]
) -> list[str]:
    """The lines one layout field contributes to the card (none when empty)."""
    contact = card.contact
    label = field_label(t, name, custom)
    if name in CHANNEL_FIELDS:
        kind = CHANNEL_FIELDS[name]
        views = [c for c in card.channels if c.kind == kind]
        if not views:
            return []
        if len(views) == 1:
            return [f"{label}: {_channel_line(t, kind, views[0])}"]
        return [f"{label}:", *(f"  {_channel_line(t, kind, v)}" for v in views)]
    if name == "companies":
        titles = [
            escape(shorten(c.title, TITLE_WIDTH)) + (" ★" if c.is_primary else "")
            for c in card.companies
        ]
        return [f"{label}: {', '.join(titles)}"] if titles else []
    if name == "type_id":
        return [f"{label}: {escape(card.type_name)}"] if card.type_name else []
    if name == "source_id":
        return [f"{label}: {escape(card.source_name)}"] if card.source_name else []
    if name == "responsible_id":
        return [f"{label}: {escape(card.responsible_name)}"] if card.responsible_name else []
    if name == "observers":
        return [f"{label}: {len(card.observer_ids)}"] if card.observer_ids else []
    if ref := FieldRef.from_card_field(name):
        values = card.custom.get(ref.code, [])
        shown = ", ".join(_value(t, v) for v in values if v not in (None, ""))
        return [f"{label}: {shown}"] if shown else []
    value = getattr(contact, name, None)
    if value in (None, ""):
        return []
    if name in ("opened", "include_in_export") and value is False:
        return []
    return [f"{label}: {_value(t, value)}"]


def card_title(contact: Contact) -> str:
    parts = [getattr(contact, name) for name in NAME_FIELDS]
    return " ".join(p for p in parts if p) or display_name(contact)


def card(
    t: Translator,
    card: ContactCard,
    layout: Sequence[LayoutSection],
    custom: dict[str, CustomField],
) -> list[str]:
    """The contact card as one or more messages, following the layout (sections, hidden)."""
    contact = card.contact
    title = escape(shorten(card_title(contact), CARD_TITLE_WIDTH))
    blocks = [f"👤 <b>{title}</b>  <code>#{contact.id}</code>"]
    if contact.deleted_at is not None:
        blocks.append(t("card-in-bin", when=contact.deleted_at))
    for section in layout:
        lines: list[str] = []
        for name in section.fields:
            if name in NAME_FIELDS:
                continue
            lines += card_field(t, card, name, custom)
        if lines:
            title = section.title_fr if t.language == "fr" and section.title_fr else section.title
            blocks.append(f"\n<b>{escape(title)}</b>")
            blocks += lines
    blocks.append("\n" + t("card-footer", created=contact.created_at, updated=contact.updated_at))
    return split(blocks)


def history(t: Translator, page: HistoryPage, custom: dict[str, CustomField]) -> str:
    """A page of history, newest first: when, who, what, before → after."""
    if not page.entries:
        return t("history-empty")
    blocks = [t("history-title", page=page.page + 1)]
    for entry in page.entries:
        head = t(
            "history-line",
            when=entry.at,
            who=shorten(entry.actor_label, ROW_WIDTH),
            kind=Markup(t(f"history-{entry.kind.value}")),
        )
        detail = ""
        if entry.field:
            before = _history_value(t, entry, entry.before, entry.hidden_before)
            after = _history_value(t, entry, entry.after, entry.hidden_after)
            detail = f"\n   {field_label(t, entry.field, custom)}: {before} → {after}"
        elif entry.after or entry.before:
            detail = f"\n   {escape(shorten(entry.after or entry.before or '', DETAIL_WIDTH))}"
        blocks.append(head + detail)
    return split(blocks)[0]


def _history_value(t: Translator, entry: HistoryLine, text: str | None, hidden: bool) -> str:
    """One side of a history change as HTML; a record the reader may not read is named only
    by its kind ("a company you cannot see"), never by title or id."""
    shown = escape(shorten(text, DETAIL_WIDTH)) if text else ""
    if not hidden or entry.field not in REFERENCE_FIELDS:
        return shown or "—"
    placeholder = t(f"history-hidden-{REFERENCE_FIELDS[entry.field]}")
    return f"{shown}, {placeholder}" if shown else placeholder


def dependencies(t: Translator, deps: Dependencies) -> str:
    lines = [t("deps-title")]
    for key, items in (
        ("deps-companies", deps.companies),
        ("deps-deals", deps.deals),
        ("deps-quotes", deps.quotes),
    ):
        lines.append(f"\n<b>{t(key)}</b>")
        lines += [
            f"• {escape(shorten(i.title, ITEM_WIDTH))} <code>#{i.id}</code>" for i in items
        ] or [t("none")]
    lines.append(f"\n<b>{t('deps-activities')}</b>")
    lines += [
        f"• {t.datetime(a.start_at)} {escape(shorten(a.subject, ITEM_WIDTH))}"
        for a in deps.activities
    ] or [t("none")]
    return split(lines)[0]
