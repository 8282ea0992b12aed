"""Companies, deals and quotes (F13): the same permission and history rules as contacts."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm import config, history
from crm.actors import Actor
from crm.channels import replace_channels
from crm.db import utcnow
from crm.errors import NotFoundError, StaleEditError, ValidationError
from crm.permissions import require, require_readable, scope_q
from crm.rules.fields import (
    ChannelValue,
    FieldError,
    clean_channel_list,
    clean_string,
    parse_bool,
    parse_date,
    parse_decimal,
)
from crm.rules.permissions import RecordFacts
from crm.rules.text import title_matches, words
from crm.search import search_companies
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


# Deals have no folded title column (companies do): titles are matched in Python over the most
# recent readable deals, which keeps accents and non-Latin case folding right on SQLite too.
DEAL_SCAN = 5000


COMPANY_CHANNELS = {
    "phones": ChannelKind.PHONE,
    "emails": ChannelKind.EMAIL,
    "websites": ChannelKind.WEB,
}


@dataclass(slots=True)
class _Clean:
    values: dict[str, Any] = field(default_factory=dict)
    # Only the kinds given in the input; a given kind replaces all of the record's channels.
    channels: dict[ChannelKind, list[ChannelValue]] = field(default_factory=dict)


async def _clean(actor: Actor, entity: str, data: dict[str, Any], *, creating: bool) -> _Clean:
    """Validate every field (channels included); raises one ValidationError for all of them."""
    spec = _spec(entity)
    errors: dict[str, str] = {}
    out = _Clean()
    region = config.current().default_phone_region
    for name, value in data.items():
        if entity == "company" and name in COMPANY_CHANNELS:
            _clean_channels(name, value, region, out, errors)
            continue
        if name not in spec:
            errors[name] = f"is not a {entity} field"
            continue
        kind, arg = spec[name]
        try:
            out.values[name] = await _clean_value(actor, kind, arg, value)
        except FieldError as exc:
            errors[name] = str(exc)
    if (
        (creating or "title" in out.values)
        and not out.values.get("title")
        and "title" not in errors
    ):
        errors["title"] = "is required"
    if errors:
        raise ValidationError(errors)
    return out


async def _clean_value(actor: Actor, kind: str, arg: Any, value: Any) -> Any:
    if kind == "text":
        return clean_string(value, arg)
    if kind == "bool":
        return parse_bool(value)
    if kind == "decimal":
        return None if value in (None, "") else parse_decimal(value).quantize(Decimal("0.01"))
    if kind == "date":
        return None if value in (None, "") else parse_date(value)
    if kind == "currency":
        code = str(value).strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise FieldError("must be a three-letter currency code such as EUR")
        return code
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise FieldError("must be an id")
    if kind == "staff":
        # As for contacts: a record is assigned only to someone who can act on it.
        if not await Staff.exists(id=int(value), is_active=True):
            raise FieldError("is not active staff")
    elif not await (
        MODELS[kind].filter(scope_q(actor, contacts=False), id=int(value), deleted_at=None).exists()
    ):
        # A company or deal the actor may not read is answered as one that does not exist:
        # a different answer would tell which ids exist (F9).
        raise FieldError("does not exist")
    return int(value)


def _clean_channels(
    name: str, raw: Any, region: str | None, out: _Clean, errors: dict[str, str]
) -> None:
    kind = COMPANY_CHANNELS[name]
    out.channels[kind] = clean_channel_list(name, kind, raw, region, errors)


async def _write_channels(company_id: int, kind: ChannelKind, values: list[ChannelValue]) -> None:
    await replace_channels(kind, values, company_id=company_id)


def _channel_text(values: list[ChannelValue] | list[Channel]) -> str | None:
    return ", ".join(f"{v.value} ({v.value_type})" for v in values) or None


async def create(actor: Actor, entity: str, data: dict[str, Any]) -> Model:
    """Create a company, deal or quote; raises ValidationError or PermissionDeniedError."""
    clean = await _clean(actor, entity, data, creating=True)
    values = clean.values
    values.setdefault("responsible_id", actor.staff_id)
    facts = RecordFacts(responsible_id=values["responsible_id"], opened=bool(values.get("opened")))
    require(actor, Action.ADD, facts, f"a {entity} for this responsible")
    async with in_transaction():
        if entity == "company":
            values["title_key"] = " ".join(words(values["title"]))
        record = await MODELS[entity].create(**values)
        for kind, channels in clean.channels.items():
            await _write_channels(record.pk, kind, channels)
        await history.record(actor, entity, record.pk, HistoryKind.CREATED, after=values["title"])
    return record


def _spec(entity: str) -> dict[str, tuple[str, Any]]:
    if entity not in SPECS:
        raise ValidationError({"entity": "must be company, deal or quote"})
    return SPECS[entity]


async def _load(entity: str, record_id: int) -> Any:
    _spec(entity)
    record = await MODELS[entity].get_or_none(id=record_id, deleted_at=None)
    if record is None:
        raise NotFoundError(f"{entity} #{record_id} does not exist")
    return record


async def get(actor: Actor, entity: str, record_id: int) -> Any:
    """A live company, deal or quote the actor may read; NotFoundError otherwise (one they may
    not read answers exactly as an id that does not exist)."""
    record = await _load(entity, record_id)
    require_readable(actor, RecordFacts(record.responsible_id, record.opened), entity, record_id)
    return record


async def update(
    actor: Actor, entity: str, record_id: int, changes: dict[str, Any], expected_version: int
) -> Any:
    """Partial update with the same optimistic concurrency as contacts.

    Raises NotFoundError, PermissionDeniedError, ValidationError or StaleEditError (even when
    the stale edit would change nothing, as for contacts); returns the record.
    """
    record = await get(actor, entity, record_id)  # NotFoundError unless readable
    require(actor, Action.EDIT, RecordFacts(record.responsible_id, record.opened), f"this {entity}")
    if record.version != expected_version:
        raise StaleEditError(entity, record_id, expected_version, record.version)
    clean = await _clean(actor, entity, changes, creating=False)
    diff = {k: (getattr(record, k), v) for k, v in clean.values.items() if getattr(record, k) != v}
    channel_diff: dict[ChannelKind, tuple[str | None, str | None]] = {}
    for kind, channels in clean.channels.items():
        old = await Channel.filter(company_id=record_id, kind=kind).order_by("sort", "id")
        if [(c.normalized, c.value_type, c.value) for c in old] != [
            (v.normalized, v.value_type, v.value) for v in channels
        ]:
            channel_diff[kind] = (_channel_text(old), _channel_text(channels))
    if not diff and not channel_diff:
        return record
    values = {k: v for k, (_, v) in diff.items()}
    if entity == "company" and "title" in values:
        values["title_key"] = " ".join(words(values["title"]))
    async with in_transaction():
        updated = (
            await MODELS[entity]
            .filter(id=record_id, version=expected_version, deleted_at=None)
            .update(**values, version=expected_version + 1, updated_at=utcnow())
        )
        if updated != 1:
            current = (
                await MODELS[entity].filter(id=record_id).first().values_list("version", flat=True)
            )
            raise StaleEditError(entity, record_id, expected_version, current)
        for kind in channel_diff:
            await _write_channels(record_id, kind, clean.channels[kind])
        changes_made: dict[str, tuple[Any, Any]] = dict(diff)
        for kind, texts in channel_diff.items():
            changes_made[f"{kind.value}s"] = texts
        await history.record_changes(actor, entity, record_id, changes_made)
        if entity == "company" and "title" in values:
            # A company's title is part of its contacts' search words.
            for contact in await Contact.filter(company_links__company_id=record_id):
                await refresh_search_keys(contact)
    return await MODELS[entity].get(id=record_id)


async def delete(actor: Actor, entity: str, record_id: int) -> None:
    """Soft-delete a company, deal or quote; raises NotFoundError or PermissionDeniedError."""
    record = await get(actor, entity, record_id)  # NotFoundError unless readable
    require(
        actor, Action.DELETE, RecordFacts(record.responsible_id, record.opened), f"this {entity}"
    )
    async with in_transaction():
        deleted = (
            await MODELS[entity]
            .filter(id=record_id, deleted_at=None)
            .update(deleted_at=utcnow(), version=F("version") + 1)
        )
        if not deleted:
            raise NotFoundError(f"{entity} #{record_id} does not exist")
        await history.record(actor, entity, record_id, HistoryKind.DELETED)
        if entity == "company":
            for contact in await Contact.filter(company_links__company_id=record_id):
                await refresh_search_keys(contact)


async def list_records(
    actor: Actor, entity: str, limit: int = 50, cursor: int | None = None
) -> list[Any]:
    """Records the actor may read, newest first (keyset by id)."""
    query = MODELS[entity].filter(scope_q(actor, contacts=False), deleted_at=None)
    if cursor is not None:
        query = query.filter(id__lt=cursor)
    return await query.order_by("-id").limit(max(1, min(limit, 100)))


async def search_deals(actor: Actor, query: str, limit: int = 20) -> list[Deal]:
    """Readable live deals whose title matches `query` (accent- and case-insensitive), by title.

    Only the DEAL_SCAN most recent readable deals are searched; an empty query finds nothing.
    """
    if not words(query):
        return []
    recent = (
        await Deal.filter(scope_q(actor, contacts=False), deleted_at=None)
        .order_by("-id")
        .limit(DEAL_SCAN)
        .values_list("id", "title")
    )
    ids = [deal_id for deal_id, title in recent if title_matches(title, query)]
    found = await Deal.filter(id__in=ids[: max(1, min(limit, 100))])
    return sorted(found, key=lambda d: (" ".join(words(d.title)), d.id))


@dataclass(slots=True)
class LinkCandidates:
    """Companies and deals whose title matches a search, among those the actor may read."""

    companies: list[Company]
    deals: list[Deal]


async def find_link_targets(actor: Actor, query: str, limit: int = 8) -> LinkCandidates:
    """Companies and deals a contact could be linked to, found by title (readable ones only)."""
    if not words(query):
        return LinkCandidates(companies=[], deals=[])
    return LinkCandidates(
        companies=await search_companies(actor, query, limit),
        deals=await search_deals(actor, query, limit),
    )
