"""Contact types and sources (F2): admin-managed lists."""

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crm import history
from crm.actors import Actor
from crm.db import utcnow
from crm.errors import NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.fields import FieldError, clean_string
from models import Contact, ContactType, Source
from models.enums import HistoryKind


def _name(value: str) -> str:
    try:
        name = clean_string(value, 100)
    except FieldError as exc:
        raise ValidationError({"name": str(exc)}) from exc
    if not name:
        raise ValidationError({"name": "is required"})
    return name


async def list_types() -> list[ContactType]:
    return await ContactType.all().order_by("sort", "id")


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
        moved = 0
        if users:
            # A new version, so that an edit started before the move is refused as stale,
            # and one history entry per contact: the audit misses no change.
            moved = await Contact.filter(**{column: item_id}).update(
                **{column: move_to},
                version=F("version") + 1,
                updated_at=utcnow(),
                updated_by_id=actor.staff_id,
            )
            await history.record_for_each(
                actor, "contact", list(users), HistoryKind.CHANGED, column, item_id, move_to
            )
        await model.filter(id=item_id).delete()
    return moved
