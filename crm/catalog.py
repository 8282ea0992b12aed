"""Contact types and sources (F2): admin-managed lists."""

from tortoise.transactions import in_transaction

from crm.actors import Actor
from crm.db import utcnow
from crm.errors import NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.fields import FieldError, clean_string
from models import Contact, ContactType, Source


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
    require_settings(actor)
    async with in_transaction():
        for index, type_id in enumerate(type_ids):
            await ContactType.filter(id=type_id).update(sort=(index + 1) * 10)


async def delete_type(actor: Actor, type_id: int, move_to: int | None = None) -> int:
    """Remove a type; contacts using it move to `move_to` (required when the type is in use).

    Returns how many contacts moved. Raises ValidationError when in use and no target is given.
    """
    require_settings(actor)
    if not await ContactType.exists(id=type_id):
        raise NotFoundError(f"contact type #{type_id} does not exist")
    in_use = await Contact.filter(type_id=type_id).count()
    if in_use and move_to is None:
        raise ValidationError({"move_to": f"{in_use} contacts use this type; choose where they go"})
    if move_to is not None and (move_to == type_id or not await ContactType.exists(id=move_to)):
        raise ValidationError({"move_to": "must be another existing type"})
    async with in_transaction():
        moved = await Contact.filter(type_id=type_id).update(type_id=move_to, updated_at=utcnow())
        await ContactType.filter(id=type_id).delete()
    return moved


async def list_sources() -> list[Source]:
    return await Source.all().order_by("sort", "id")


async def create_source(actor: Actor, name: str) -> Source:
    require_settings(actor)
    last = await Source.all().order_by("-sort").first()
    return await Source.create(name=_name(name), sort=(last.sort + 10) if last else 10)
