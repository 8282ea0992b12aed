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


async def rename_type(actor: Actor, type_id: int, name: str) -> None:
    require_settings(actor)
    if not await ContactType.filter(id=type_id).update(name=_name(name)):
        raise NotFoundError(f"contact type #{type_id} does not exist")


async def reorder_types(actor: Actor, type_ids: list[int]) -> None:
    """Put the given types first, in that order; the others follow in their current order.

    Raises ValidationError for an unknown id.
    """
    require_settings(actor)
    async with in_transaction():
        current = [t.id for t in await ContactType.all().order_by("sort", "id")]
        wanted = list(dict.fromkeys(type_ids))
        if any(type_id not in current for type_id in wanted):
            raise ValidationError({"type_ids": "must be existing types"})
        # Renumber every type: a partial list must not leave two types on the same sort.
        order = wanted + [type_id for type_id in current if type_id not in wanted]
        for index, type_id in enumerate(order):
            await ContactType.filter(id=type_id).update(sort=(index + 1) * 10)


async def delete_type(actor: Actor, type_id: int, move_to: int | None = None) -> int:
    """Remove a type; contacts using it move to `move_to` (required when the type is in use).

    Returns how many contacts moved. Raises ValidationError when in use and no target is given.
    """
    require_settings(actor)
    async with in_transaction():
        # Counted inside the transaction: a contact given this type meanwhile moves too.
        if not await ContactType.exists(id=type_id):
            raise NotFoundError(f"contact type #{type_id} does not exist")
        if move_to is not None and (move_to == type_id or not await ContactType.exists(id=move_to)):
            raise ValidationError({"move_to": "must be another existing type"})
        users = await Contact.filter(type_id=type_id).values_list("id", flat=True)
        if users and move_to is None:
            raise ValidationError(
                {"move_to": f"{len(users)} contacts use this type; choose where they go"}
            )
        moved = 0
        if users:
            # A new version, so that an edit started before the move is refused as stale,
            # and one history entry per contact: the audit misses no change.
            moved = await Contact.filter(type_id=type_id).update(
                type_id=move_to,
                version=F("version") + 1,
                updated_at=utcnow(),
                updated_by_id=actor.staff_id,
            )
            await history.record_for_each(
                actor, "contact", list(users), HistoryKind.CHANGED, "type_id", type_id, move_to
            )
        await ContactType.filter(id=type_id).delete()
    return moved


async def list_sources() -> list[Source]:
    return await Source.all().order_by("sort", "id")


async def create_source(actor: Actor, name: str) -> Source:
    require_settings(actor)
    last = await Source.all().order_by("-sort").first()
    return await Source.create(name=_name(name), sort=(last.sort + 10) if last else 10)
