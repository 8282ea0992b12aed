"""Search and filter (F7): one text box over names, phones, e-mails and companies, plus filters.

Text goes through the database's own index (FTS5 on SQLite, tsvector/pg_trgm on PostgreSQL) in
raw, parameterised SQL that already carries the actor's read scope, so no request path scans
the contacts table. Filters are ORM queries built from the same scope.
"""

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery

from crm import customfields
from crm.actors import Actor
from crm.db import Params, connection, dialect
from crm.errors import NotFoundError, ValidationError
from crm.permissions import scope_q, scope_sql
from crm.rules.fields import FieldError, clean_custom_value, parse_bool, parse_datetime
from crm.rules.phones import query_digits
from crm.rules.text import words
from models import Channel, Company, Contact, ContactCompany, CustomFieldValue, SavedFilter
from models.enums import ChannelKind

MAX_TOKENS = 8
MAX_LIMIT = 100
# When text and filters are combined, text candidates are checked against the filters in
# batches; this bounds the work of one page (a filter that matches nothing costs at most this).
FILTER_BATCH = 500
MAX_FILTER_BATCHES = 20


@dataclass(slots=True)
class ContactFilter:
    """Filters of the contact list; all optional, combined with AND."""

    preset: str = "all"  # "all" or "my"
    type_ids: list[int] = field(default_factory=list)
    responsible_ids: list[int] = field(default_factory=list)
    source_ids: list[int] = field(default_factory=list)
    company_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    has_phone: bool | None = None
    has_email: bool | None = None
    web_form_id: int | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return self == ContactFilter(preset=self.preset) and self.preset == "all"

    def to_params(self) -> dict[str, Any]:
        """A JSON-safe form, as kept in saved filters."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value in (None, [], {}) or (key == "preset" and value == "all"):
                continue
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


def parse_filter(params: dict[str, Any] | None) -> ContactFilter:
    """Build a ContactFilter from plain values; raises ValidationError per field."""
    params = dict(params or {})
    errors: dict[str, str] = {}
    result = ContactFilter()
    known = {f.name for f in fields(ContactFilter)}
    for key, value in params.items():
        if key not in known:
            errors[key] = "is not a filter"
            continue
        try:
            if key == "preset":
                if value not in ("all", "my"):
                    raise FieldError("must be 'all' or 'my'")
                result.preset = value
            elif key in ("type_ids", "responsible_ids", "source_ids"):
                items = value if isinstance(value, list) else [value]
                if not all(str(i).isdigit() for i in items):
                    raise FieldError("must be a list of ids")
                setattr(result, key, [int(i) for i in items])
            elif key in ("company_id", "web_form_id"):
                if not str(value).isdigit():
                    raise FieldError("must be an id")
                setattr(result, key, int(value))
            elif key.endswith(("_from", "_to")):
                setattr(result, key, parse_datetime(value))
            elif key in ("has_phone", "has_email"):
                setattr(result, key, parse_bool(value))
            elif key.startswith("utm_"):
                setattr(result, key, str(value).strip()[:200] or None)
            elif key == "custom":
                if not isinstance(value, dict):
                    raise FieldError("must map field codes to values")
                result.custom = dict(value)
        except FieldError as exc:
            errors[key] = str(exc)
    if errors:
        raise ValidationError(errors)
    return result


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One line of a result list."""

    id: int
    name: str
    phone: str | None
    email: str | None
    company: str | None
    responsible_id: int | None


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: list[ContactRow]
    next_cursor: int | None


def _text_terms(query: str) -> tuple[list[str], str | None]:
    """Split a query into word prefixes and a phone digit run.

    A query with no letters is a phone ('06 12', '+33 6 12 34'); in a mixed query a run of
    four or more digits looks in phones and the rest in names, e-mails and companies.
    """
    digits = query_digits(query)
    if digits is not None:
        return [], digits
    tokens = words(query)[:MAX_TOKENS]
    phone_parts = [t for t in tokens if t.isdigit() and len(t) >= 4]
    return [t for t in tokens if t not in phone_parts], (phone_parts[0] if phone_parts else None)


async def _text_ids(
    actor: Actor, tokens: list[str], digits: str | None, cursor: int | None, limit: int
) -> list[int]:
    """Ids of live contacts matching the text, newest first, within the actor's read scope."""
    name = dialect()
    p = Params(name)
    where = ["c.deleted_at IS NULL", "c.merged_into_id IS NULL"]
    if name == "sqlite":
        if tokens:
            match = " AND ".join(f'"{t}"*' for t in tokens)
            where.append(
                f"c.id IN (SELECT rowid FROM contact_fts WHERE contact_fts MATCH {p(match)})"
            )
        if digits:
            where.append(
                "c.id IN (SELECT rowid FROM contact_phone_fts"
                f" WHERE contact_phone_fts MATCH {p(chr(34) + digits + chr(34))})"
            )
    else:
        if tokens:
            tsquery = " & ".join(f"{t}:*" for t in tokens)
            where.append(f"c.search_tsv @@ to_tsquery('simple', {p(tsquery)})")
        if digits:
            where.append(f"c.search_phones LIKE {p('%' + digits + '%')}")
    if cursor is not None:
        where.append(f"c.id < {p(cursor)}")
    where.append(scope_sql(actor, p))
    # Built from constant fragments and generated placeholders only; every value is a parameter.
    sql = (
        "SELECT c.id FROM contact c WHERE "
        + " AND ".join(where)
        + f" ORDER BY c.id DESC LIMIT {p(limit)}"
    )
    rows = await connection().execute_query_dict(sql, p.values)
    return [row["id"] for row in rows]


async def _filter_q(actor: Actor, flt: ContactFilter) -> Q:
    q = scope_q(actor) & Q(deleted_at=None, merged_into_id=None)
    if flt.preset == "my":
        q &= Q(responsible_id=actor.staff_id if actor.staff_id is not None else -1)
    if flt.type_ids:
        q &= Q(type_id__in=flt.type_ids)
    if flt.responsible_ids:
        q &= Q(responsible_id__in=flt.responsible_ids)
    if flt.source_ids:
        q &= Q(source_id__in=flt.source_ids)
    if flt.company_id is not None:
        q &= Q(
            id__in=Subquery(
                ContactCompany.filter(company_id=flt.company_id).values("contact_id")
            )
        )
    for attr, lookup in (
        ("created_from", "created_at__gte"),
        ("created_to", "created_at__lt"),
        ("updated_from", "updated_at__gte"),
        ("updated_to", "updated_at__lt"),
    ):
        value = getattr(flt, attr)
        if value is not None:
            q &= Q(**{lookup: value})
    for attr, kind in (("has_phone", ChannelKind.PHONE), ("has_email", ChannelKind.EMAIL)):
        value = getattr(flt, attr)
        if value is not None:
            sub = Q(id__in=Subquery(Channel.filter(kind=kind).values("contact_id")))
            q &= sub if value else ~sub
    if flt.web_form_id is not None:
        q &= Q(web_form_id=flt.web_form_id)
    for attr in ("utm_source", "utm_medium", "utm_campaign"):
        value = getattr(flt, attr)
        if value:
            q &= Q(**{attr: value})
    if flt.custom:
        definitions = await customfields.active_fields()
        errors: dict[str, str] = {}
        for code, raw in flt.custom.items():
            definition = definitions.get(code)
            if definition is None or not definition.in_filter:
                errors[f"custom.{code}"] = "is not a filterable field"
                continue
            try:
                value = clean_custom_value(definition.type, raw, definition.options)
            except FieldError as exc:
                errors[f"custom.{code}"] = str(exc)
                continue
            column = customfields.COLUMN[definition.type]
            q &= Q(
                id__in=Subquery(
                    CustomFieldValue.filter(field_id=definition.id, **{column: value}).values(
                        "contact_id"
                    )
                )
            )
        if errors:
            raise ValidationError(errors)
    return q


async def search_contacts(
    actor: Actor,
    query: str = "",
    filters: ContactFilter | None = None,
    *,
    cursor: int | None = None,
    offset: int | None = None,
    limit: int = 20,
) -> SearchPage:
    """Contacts matching `query` and `filters` that the actor may read, newest first.

    Pagination is by keyset (`cursor` = the page's `next_cursor`) or by `offset`.
    Raises ValidationError for bad filters.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    flt = filters or ContactFilter()
    tokens, digits = _text_terms(query or "")
    has_text = bool(tokens or digits)
    if offset:
        # Offset pages are read as keyset pages after skipping ids: correct, bounded by offset.
        skipped = await _page_ids(actor, tokens, digits, has_text, flt, cursor, offset)
        if len(skipped) < offset:
            return SearchPage(items=[], next_cursor=None)
        cursor = skipped[-1]
    ids = await _page_ids(actor, tokens, digits, has_text, flt, cursor, limit + 1)
    has_more = len(ids) > limit
    ids = ids[:limit]
    return SearchPage(items=await rows_for(ids), next_cursor=ids[-1] if has_more else None)


async def _page_ids(
    actor: Actor,
    tokens: list[str],
    digits: str | None,
    has_text: bool,
    flt: ContactFilter,
    cursor: int | None,
    want: int,
) -> list[int]:
    if has_text and flt.is_empty():
        return await _text_ids(actor, tokens, digits, cursor, want)
    q = await _filter_q(actor, flt)
    if not has_text:
        query = Contact.filter(q)
        if cursor is not None:
            query = query.filter(id__lt=cursor)
        return list(await query.order_by("-id").limit(want).values_list("id", flat=True))
    found: list[int] = []
    for _ in range(MAX_FILTER_BATCHES):
        batch = await _text_ids(actor, tokens, digits, cursor, FILTER_BATCH)
        if not batch:
            break
        matching = set(
            await Contact.filter(q, id__in=batch).values_list("id", flat=True)
        )
        found.extend(i for i in batch if i in matching)
        if len(found) >= want or len(batch) < FILTER_BATCH:
            break
        cursor = batch[-1]
    return found[:want]


async def rows_for(ids: list[int]) -> list[ContactRow]:
    """List rows (name, primary phone and e-mail, primary company) for ids, in that order."""
    if not ids:
        return []
    contacts = {
        c["id"]: c
        for c in await Contact.filter(id__in=ids).values(
            "id", "first_name", "middle_name", "last_name", "responsible_id"
        )
    }
    channels: dict[tuple[int, str], str] = {}
    for contact_id, kind, value in (
        await Channel.filter(contact_id__in=ids, kind__in=[ChannelKind.PHONE, ChannelKind.EMAIL])
        .order_by("-sort")
        .values_list("contact_id", "kind", "value")
    ):
        channels[(contact_id, str(kind))] = value
    companies: dict[int, str] = {}
    for contact_id, title in (
        await ContactCompany.filter(contact_id__in=ids)
        .order_by("is_primary")
        .values_list("contact_id", "company__title")
    ):
        companies[contact_id] = title
    rows = []
    for contact_id in ids:
        c = contacts.get(contact_id)
        if c is None:
            continue
        name = " ".join(p for p in (c["first_name"], c["middle_name"], c["last_name"]) if p)
        rows.append(
            ContactRow(
                id=contact_id,
                name=name or f"#{contact_id}",
                phone=channels.get((contact_id, "phone")),
                email=channels.get((contact_id, "email")),
                company=companies.get(contact_id),
                responsible_id=c["responsible_id"],
            )
        )
    return rows


async def search_companies(actor: Actor, query: str, limit: int = 20) -> list[Company]:
    """Companies whose title starts with the query's words (for linking a contact)."""
    key = " ".join(words(query))
    q = Q(deleted_at=None)
    if key:
        q &= Q(title_key__startswith=key) | Q(title_key__contains=" " + key)
    return await Company.filter(q).order_by("title").limit(max(1, min(limit, MAX_LIMIT)))


async def save_filter(actor: Actor, name: str, params: dict[str, Any]) -> SavedFilter:
    """Save (or overwrite) a named filter for the actor; raises ValidationError."""
    if actor.staff_id is None:
        raise ValidationError({"name": "only staff members have saved filters"})
    clean_name = " ".join(name.split())[:100]
    if not clean_name:
        raise ValidationError({"name": "is required"})
    flt = parse_filter(params)
    await _filter_q(actor, flt)  # validates custom-field filters too
    existing = await SavedFilter.get_or_none(staff_id=actor.staff_id, name=clean_name)
    if existing is not None:
        existing.params = flt.to_params()
        await existing.save(update_fields=["params"])
        return existing
    return await SavedFilter.create(staff_id=actor.staff_id, name=clean_name, params=flt.to_params())


async def list_filters(actor: Actor) -> list[SavedFilter]:
    if actor.staff_id is None:
        return []
    return await SavedFilter.filter(staff_id=actor.staff_id).order_by("name")


async def load_filter(actor: Actor, filter_id: int) -> ContactFilter:
    saved = await SavedFilter.get_or_none(id=filter_id, staff_id=actor.staff_id)
    if saved is None:
        raise NotFoundError(f"saved filter #{filter_id} does not exist")
    return parse_filter(saved.params)


async def delete_filter(actor: Actor, filter_id: int) -> None:
    deleted = await SavedFilter.filter(id=filter_id, staff_id=actor.staff_id).delete()
    if not deleted:
        raise NotFoundError(f"saved filter #{filter_id} does not exist")
