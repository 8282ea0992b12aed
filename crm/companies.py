"""Companies, deals and quotes (F13): the same permission and history rules as contacts."""

from decimal import Decimal
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm import config, history
from crm.actors import Actor
from crm.db import utcnow
from crm.errors import NotFoundError, StaleEditError, ValidationError
from crm.permissions import require, scope_q
from crm.rules.fields import (
    FieldError,
    clean_channel,
    clean_string,
    parse_bool,
    parse_date,
    parse_decimal,
)
from crm.rules.permissions import RecordFacts
from crm.rules.text import words
from crm.searchkeys import refresh_search_keys
from models import Channel, Company, Contact, Deal, Quote, Staff
from models.enums import Action, ChannelKind, HistoryKind

SPECS: dict[str, dict[str, tuple[str, Any]]] = {
    "company": {
        "title": ("text", 255),
        "industry": ("text", 100),
        "comment": ("text", 10000),
        "responsible_id": ("staff", None),
        "opened": ("bool", None),
    },
    "deal": {
        "title": ("text", 255),
        "stage": ("text", 50),
        "amount": ("decimal", None),
        "currency": ("currency", None),
        "close_date": ("date", None),
        "company_id": ("company", None),
        "responsible_id": ("staff", None),
        "opened": ("bool", None),
    },
    "quote": {
        "title": ("text", 255),
        "status": ("text", 50),
        "amount": ("decimal", None),
        "currency": ("currency", None),
        "deal_id": ("deal", None),
        "responsible_id": ("staff", None),
        "opened": ("bool", None),
    },
}
MODELS: dict[str, type[Model]] = {"company": Company, "deal": Deal, "quote": Quote}


async def _clean(entity: str, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    spec = SPECS[entity]
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name not in spec and not (entity == "company" and name in ("phones", "emails", "websites")):
            errors[name] = f"is not a {entity} field"
            continue
        if name in ("phones", "emails", "websites"):
            continue
        kind, arg = spec[name]
        try:
            if kind == "text":
                out[name] = clean_string(value, arg)
            elif kind == "bool":
                out[name] = parse_bool(value)
            elif kind == "decimal":
                out[name] = None if value in (None, "") else parse_decimal(value).quantize(Decimal("0.01"))
            elif kind == "date":
                out[name] = None if value in (None, "") else parse_date(value)
            elif kind == "currency":
                code = str(value).strip().upper()
                if len(code) != 3 or not code.isalpha():
                    raise FieldError("must be a three-letter currency code such as EUR")
                out[name] = code
            else:
                if value in (None, ""):
                    out[name] = None
                elif isinstance(value, bool) or not str(value).isdigit():
                    raise FieldError("must be an id")
                else:
                    ref_model = {"staff": Staff, "company": Company, "deal": Deal}[kind]
                    if not await ref_model.exists(id=int(value)):
                        raise FieldError("does not exist")
                    out[name] = int(value)
        except FieldError as exc:
            errors[name] = str(exc)
    if (creating or "title" in out) and not out.get("title"):
        errors["title"] = "is required"
    if errors:
        raise ValidationError(errors)
    return out


async def create(actor: Actor, entity: str, data: dict[str, Any]) -> Model:
    """Create a company, deal or quote; raises ValidationError or PermissionDeniedError."""
    clean = await _clean(entity, data, creating=True)
    clean.setdefault("responsible_id", actor.staff_id)
    facts = RecordFacts(responsible_id=clean["responsible_id"], opened=bool(clean.get("opened")))
    require(actor, Action.ADD, facts, f"a {entity} for this responsible")
    channels = _company_channels(data) if entity == "company" else []
    async with in_transaction():
        if entity == "company":
            clean["title_key"] = " ".join(words(clean["title"]))
        record = await MODELS[entity].create(**clean)
        for index, channel in enumerate(channels):
            await Channel.create(
                company_id=record.pk, kind=channel.kind, value_type=channel.value_type,
                value=channel.value, normalized=channel.normalized, extension=channel.extension,
                is_primary=index == 0, sort=index,
            )
        await history.record(actor, entity, record.pk, HistoryKind.CREATED, after=clean["title"])
    return record


def _company_channels(data: dict[str, Any]) -> list:
    region = config.current().default_phone_region
    errors: dict[str, str] = {}
    out = []
    for name, kind in (("phones", ChannelKind.PHONE), ("emails", ChannelKind.EMAIL), ("websites", ChannelKind.WEB)):
        for item in data.get(name) or []:
            try:
                out.append(clean_channel(kind, item, None, region))
            except FieldError as exc:
                errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)
    return out


async def _load(entity: str, record_id: int) -> Any:
    record = await MODELS[entity].get_or_none(id=record_id, deleted_at=None)
    if record is None:
        raise NotFoundError(f"{entity} #{record_id} does not exist")
    return record


async def get(actor: Actor, entity: str, record_id: int) -> Any:
    record = await _load(entity, record_id)
    require(actor, Action.READ, RecordFacts(record.responsible_id, record.opened), f"this {entity}")
    return record


async def update(
    actor: Actor, entity: str, record_id: int, changes: dict[str, Any], expected_version: int
) -> Any:
    """Partial update with the same optimistic concurrency as contacts."""
    record = await _load(entity, record_id)
    require(actor, Action.EDIT, RecordFacts(record.responsible_id, record.opened), f"this {entity}")
    clean = await _clean(entity, changes, creating=False)
    diff = {k: (getattr(record, k), v) for k, v in clean.items() if getattr(record, k) != v}
    if not diff:
        return record
    values = {k: v for k, (_, v) in diff.items()}
    if entity == "company" and "title" in values:
        values["title_key"] = " ".join(words(values["title"]))
    async with in_transaction():
        updated = await MODELS[entity].filter(id=record_id, version=expected_version).update(
            **values, version=expected_version + 1, updated_at=utcnow()
        )
        if updated != 1:
            raise StaleEditError(entity, record_id, expected_version, record.version)
        await history.record_changes(actor, entity, record_id, diff)
        if entity == "company" and "title" in values:
            # A company's title is part of its contacts' search words.
            for contact in await Contact.filter(company_links__company_id=record_id):
                await refresh_search_keys(contact)
    return await MODELS[entity].get(id=record_id)


async def delete(actor: Actor, entity: str, record_id: int) -> None:
    record = await _load(entity, record_id)
    require(actor, Action.DELETE, RecordFacts(record.responsible_id, record.opened), f"this {entity}")
    async with in_transaction():
        await MODELS[entity].filter(id=record_id).update(deleted_at=utcnow(), version=record.version + 1)
        await history.record(actor, entity, record_id, HistoryKind.DELETED)
        if entity == "company":
            for contact in await Contact.filter(company_links__company_id=record_id):
                await refresh_search_keys(contact)


async def list_records(actor: Actor, entity: str, limit: int = 50, cursor: int | None = None) -> list[Any]:
    """Records the actor may read, newest first (keyset by id)."""
    query = MODELS[entity].filter(scope_q(actor, contacts=False), deleted_at=None)
    if cursor is not None:
        query = query.filter(id__lt=cursor)
    return await query.order_by("-id").limit(max(1, min(limit, 100)))
