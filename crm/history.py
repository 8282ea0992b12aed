"""The audit trail (F12): every write records who, when, what, before and after."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from crm.actors import Actor
from crm.errors import NotFoundError
from crm.permissions import record_facts, require
from models import Contact, HistoryEntry
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
class HistoryPage:
    entries: list[HistoryEntry]
    page: int
    has_more: bool


async def contact_history(
    actor: Actor, contact_id: int, page: int = 0, per_page: int = 20
) -> HistoryPage:
    """A contact's history, newest first; raises NotFoundError or PermissionDeniedError."""
    contact = await Contact.get_or_none(id=contact_id, merged_into_id=None)
    if contact is None:
        raise NotFoundError(f"contact #{contact_id} does not exist")
    require(actor, Action.READ, await record_facts(contact))
    page = max(page, 0)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    rows = (
        await HistoryEntry.filter(entity="contact", entity_id=contact_id)
        .order_by("-id")
        .offset(page * per_page)
        .limit(per_page + 1)
    )
    return HistoryPage(entries=rows[:per_page], page=page, has_more=len(rows) > per_page)
