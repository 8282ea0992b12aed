"""Contact types and sources (F2): admin-managed lists, and what the settings menu counts."""

from dataclasses import dataclass

from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from crm import history
from crm.actors import Actor
from crm.db import utcnow
from crm.errors import NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.codes import moved
from crm.rules.names import clean_label
from models import Contact, ContactType, CustomField, Department, Role, Source, Staff
from models.enums import HistoryKind

NAME_LENGTH = 100


def _name(value: str) -> str:
    return clean_label(value, "name", NAME_LENGTH)


@dataclass(frozen=True, slots=True)
class SettingsOverview:
    """How many of each thing the settings menu lists."""

    types: int
    fields: int
    staff: int
    roles: int
    departments: int


async def settings_overview(actor: Actor) -> SettingsOverview:
    """What the settings menu counts; raises PermissionDeniedError without the settings right."""
    require_settings(actor)
    return SettingsOverview(
        types=await ContactType.all().count(),
        fields=await CustomField.filter(is_active=True).count(),
        staff=await Staff.filter(is_active=True).count(),
        roles=await Role.all().count(),
        departments=await Department.all().count(),
    )


async def list_types() -> list[ContactType]:
    """The contact types in order (what every staff member picks from)."""
    return await ContactType.all().order_by("sort", "id")


@dataclass(frozen=True, slots=True)
class TypeUsage:
    id: int
    name: str
    contacts: int  # every contact holding it, recycle bin included: they move on delete too
    position: int  # 1-based
    total: int


async def type_usage(actor: Actor) -> list[TypeUsage]:
    """The contact types in order, with how many contacts use each (settings right)."""
    require_settings(actor)
    types = await list_types()
    rows = (
        await Contact.filter(type_id__not_isnull=True)
        .annotate(n=Count("id"))
        .group_by("type_id")
        .values_list("type_id", "n")
    )
    counts = {int(type_id): int(n) for type_id, n in rows}
    return [
        TypeUsage(t.id, t.name, counts.get(t.id, 0), index + 1, len(types))
        for index, t in enumerate(types)
    ]


async def get_type(actor: Actor, type_id: int) -> TypeUsage:
    """One type with its use; raises PermissionDeniedError or NotFoundError."""
    for usage in await type_usage(actor):
        if usage.id == type_id:
            return usage
    raise NotFoundError(f"contact type #{type_id} does not exist")


async def create_type(actor: Actor, name: str) -> ContactType:
    require_settings(actor)
    last = await ContactType.all().order_by("-sort").first()
    return await ContactType.create(name=_name(name), sort=(last.sort + 10) if last else 10)


# The two admin-managed lists and the contact column that points at each.
CATALOGS: dict[str, tuple[type[ContactType] | type[Source], str]] = {
    "type": (ContactType, "type_id"),
    "source": (Source, "source_id"),
}


async def rename_type(actor: Actor, type_id: int, name: str) -> None:
    await _rename(actor, "type", type_id, name)


async def reorder_types(actor: Actor, type_ids: list[int]) -> None:
    await _reorder(actor, "type", type_ids)


async def move_type(actor: Actor, type_id: int, offset: int) -> None:
    """Move a type up (offset < 0) or down in the list; raises NotFoundError."""
    require_settings(actor)
    ids = [t.id for t in await list_types()]
    if type_id not in ids:
        raise NotFoundError(f"contact type #{type_id} does not exist")
    await reorder_types(actor, moved(ids, type_id, offset))


async def delete_type(actor: Actor, type_id: int, move_to: int | None = None) -> int:
    """Remove a type; contacts using it move to `move_to` (required when the type is in use).

    Returns how many contacts moved. Raises ValidationError when in use and no target is given.
    """
    return await _delete(actor, "type", type_id, move_to)


async def list_sources() -> list[Source]:
    return await Source.all().order_by("sort", "id")


async def create_source(actor: Actor, name: str) -> Source:
    require_settings(actor)
    last = await Source.all().order_by("-sort").first()
    return await Source.create(name=_name(name), sort=(last.sort + 10) if last else 10)


async def rename_source(actor: Actor, source_id: int, name: str) -> None:
    await _rename(actor, "source", source_id, name)


async def reorder_sources(actor: Actor, source_ids: list[int]) -> None:
    await _reorder(actor, "source", source_ids)


async def delete_source(actor: Actor, source_id: int, move_to: int | None = None) -> int:
    """Remove a source; contacts using it move to `move_to` (required when it is in use)."""
    return await _delete(actor, "source", source_id, move_to)


async def _rename(actor: Actor, kind: str, item_id: int, name: str) -> None:
    require_settings(actor)
    model, _ = CATALOGS[kind]
    if not await model.filter(id=item_id).update(name=_name(name)):
        raise NotFoundError(f"contact {kind} #{item_id} does not exist")


async def _reorder(actor: Actor, kind: str, item_ids: list[int]) -> None:
    """Put the given items first, in that order; the others follow in their current order.

    Raises ValidationError for an unknown id.
    """
    require_settings(actor)
    model, _ = CATALOGS[kind]
    async with in_transaction():
        current = [item.id for item in await model.all().order_by("sort", "id")]
        wanted = list(dict.fromkeys(item_ids))
        if any(item_id not in current for item_id in wanted):
            raise ValidationError({f"{kind}_ids": f"must be existing {kind}s"})
        # Renumber every item: a partial list must not leave two on the same sort.
        order = wanted + [item_id for item_id in current if item_id not in wanted]
        for index, item_id in enumerate(order):
            await model.filter(id=item_id).update(sort=(index + 1) * 10)


async def _delete(actor: Actor, kind: str, item_id: int, move_to: int | None) -> int:
    require_settings(actor)
    model, column = CATALOGS[kind]
    async with in_transaction():
        # Counted inside the transaction: a contact given this item meanwhile moves too.
        if not await model.exists(id=item_id):
            raise NotFoundError(f"contact {kind} #{item_id} does not exist")
        if move_to is not None and (move_to == item_id or not await model.exists(id=move_to)):
            raise ValidationError({"move_to": f"must be another existing {kind}"})
        users = await Contact.filter(**{column: item_id}).values_list("id", flat=True)
        if users and move_to is None:
            raise ValidationError(
                {"move_to": f"{len(users)} contacts use this {kind}; choose where they go"}
            )
        moved_count = 0
        if users:
            # A new version, so that an edit started before the move is refused as stale,
            # and one history entry per contact: the audit misses no change.
            moved_count = await Contact.filter(**{column: item_id}).update(
                **{column: move_to},
                version=F("version") + 1,
                updated_at=utcnow(),
                updated_by_id=actor.staff_id,
            )
            await history.record_for_each(
                actor, "contact", list(users), HistoryKind.CHANGED, column, item_id, move_to
            )
        await model.filter(id=item_id).delete()
    return moved_count
