"""The audit trail (F12): every write records who, when, what, before and after."""

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from crm.actors import Actor
from crm.errors import NotFoundError
from crm.permissions import can, record_facts, require_readable
from crm.rules.permissions import RecordFacts
from models import Company, Contact, Deal, HistoryEntry, Quote
from models.enums import Action, HistoryKind

MAX_VALUE_LENGTH = 2000
MAX_PER_PAGE = 100


def as_text(value: Any) -> str | None:
    """How a value is kept in history: ISO dates, plain numbers, enum values, lists joined."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return ", ".join(filter(None, (as_text(v) for v in value)))
    text = str(value)
    return text if len(text) <= MAX_VALUE_LENGTH else text[: MAX_VALUE_LENGTH - 1] + "…"


async def record(
    actor: Actor,
    entity: str,
    entity_id: int,
    kind: HistoryKind,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one entry; call it inside the use case's transaction."""
    await record_for_each(actor, entity, [entity_id], kind, field, before, after)


async def record_changes(
    actor: Actor, entity: str, entity_id: int, changes: dict[str, tuple[Any, Any]]
) -> None:
    """One CHANGED entry per field (ASSIGNED for the responsible), in one batch insert."""
    entries = [
        HistoryEntry(
            entity=entity,
            entity_id=entity_id,
            actor_staff_id=actor.staff_id,
            actor_label=actor.label,
            kind=HistoryKind.ASSIGNED if name == "responsible_id" else HistoryKind.CHANGED,
            field=name,
            before=as_text(before),
            after=as_text(after),
        )
        for name, (before, after) in changes.items()
    ]
    if entries:
        await HistoryEntry.bulk_create(entries)


async def record_for_each(
    actor: Actor,
    entity: str,
    entity_ids: list[int],
    kind: HistoryKind,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """The same entry for many records (a group change), in one batch insert."""
    if entity_ids:
        await HistoryEntry.bulk_create(
            [
                HistoryEntry(
                    entity=entity,
                    entity_id=entity_id,
                    actor_staff_id=actor.staff_id,
                    actor_label=actor.label,
                    kind=kind,
                    field=field,
                    before=as_text(before),
                    after=as_text(after),
                )
                for entity_id in entity_ids
            ]
        )


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One entry as its reader may see it: a company, deal or quote they may not read is named
    by neither title nor id; `hidden_before` / `hidden_after` say that one was left out."""

    id: int
    entity_id: int
    at: datetime
    actor_staff_id: int | None
    actor_label: str
    kind: HistoryKind
    field: str | None
    before: str | None
    after: str | None
    hidden_before: bool = False
    hidden_after: bool = False


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: list[HistoryLine]
    page: int
    has_more: bool


# Contact entries whose values name linked records: the field, and the kind of record named.
# `link`/`unlink` write "Title (#id)" ("#id" for a record gone), a companies edit "3, 7".
REFERENCE_FIELDS = {
    "company": "company",
    "deal": "deal",
    "quote": "quote",
    "primary_company": "company",
    "companies": "company",
}
_MODELS = {"company": Company, "deal": Deal, "quote": Quote}
_TITLED = re.compile(r"(?:^|\()#(\d+)\)?$")


def _referenced_ids(field: str, text: str | None) -> list[int]:
    """The ids a stored value names ("Acme (#3)", "#3", or "3, 7" for `companies`)."""
    if not text:
        return []
    if field == "companies":
        return [int(part) for part in text.split(", ") if part.isdigit()]
    match = _TITLED.search(text)
    return [int(match.group(1))] if match else []


async def _readable_ids(actor: Actor, wanted: dict[str, set[int]]) -> dict[str, set[int]]:
    """Of the wanted ids per record kind, those the actor may read (deleted ones included:
    their title was shown when they were linked; ids of records gone are not readable)."""
    readable: dict[str, set[int]] = {}
    for kind, ids in wanted.items():
        rows = await _MODELS[kind].filter(id__in=ids).values("id", "responsible_id", "opened")
        readable[kind] = {
            row["id"]
            for row in rows
            if can(actor, Action.READ, RecordFacts(row["responsible_id"], row["opened"]))
        }
    return readable


def _shown(field: str, text: str | None, readable: set[int]) -> tuple[str | None, bool]:
    """A value as the reader sees it, and whether something was left out of it."""
    ids = _referenced_ids(field, text)
    if all(i in readable for i in ids):
        return text, False
    if field == "companies":
        kept = ", ".join(str(i) for i in ids if i in readable)
        return kept or None, True
    return None, True


async def _as_seen_by(actor: Actor, entries: list[HistoryEntry]) -> list[HistoryLine]:
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.field in REFERENCE_FIELDS:
            for text in (entry.before, entry.after):
                ids = _referenced_ids(entry.field, text)
                wanted.setdefault(REFERENCE_FIELDS[entry.field], set()).update(ids)
    readable = await _readable_ids(actor, wanted)
    lines = []
    for entry in entries:
        line = HistoryLine(
            id=entry.id,
            entity_id=entry.entity_id,
            at=entry.at,
            actor_staff_id=entry.actor_staff_id,
            actor_label=entry.actor_label,
            kind=entry.kind,
            field=entry.field,
            before=entry.before,
            after=entry.after,
        )
        if entry.field in REFERENCE_FIELDS:
            seen = readable.get(REFERENCE_FIELDS[entry.field], set())
            before, hidden_before = _shown(entry.field, entry.before, seen)
            after, hidden_after = _shown(entry.field, entry.after, seen)
            line = replace(
                line,
                before=before,
                after=after,
                hidden_before=hidden_before,
                hidden_after=hidden_after,
            )
        lines.append(line)
    return lines


async def contact_history(
    actor: Actor, contact_id: int, page: int = 0, per_page: int = 20
) -> HistoryPage:
    """A contact's history, newest first, without the title or id of any company, deal or
    quote the actor may not read; raises NotFoundError (also for a contact the actor may not
    read)."""
    contact = await Contact.get_or_none(id=contact_id, merged_into_id=None)
    if contact is None:
        raise NotFoundError(f"contact #{contact_id} does not exist")
    require_readable(actor, await record_facts(contact), "contact", contact_id)
    page = max(page, 0)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    rows = (
        await HistoryEntry.filter(entity="contact", entity_id=contact_id)
        .order_by("-id")
        .offset(page * per_page)
        .limit(per_page + 1)
    )
    entries = await _as_seen_by(actor, rows[:per_page])
    return HistoryPage(entries=entries, page=page, has_more=len(rows) > per_page)
