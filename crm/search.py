"""Search and filter (F7): one text box over names, phones, e-mails and companies, plus filters.

Text goes through the database's own index (FTS5 on SQLite, tsvector/pg_trgm on PostgreSQL) in
raw, parameterised SQL that already carries the actor's read scope, so no request path scans
the contacts table. Filters are ORM queries built from the same scope.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery

from crm import customfields
from crm.actors import Actor
from crm.db import MAX_ID, Params, connection, dialect
from crm.errors import NotFoundError, ValidationError
from crm.permissions import scope, scope_q, scope_sql
from crm.rules.fieldref import FieldRef
from crm.rules.fields import (
    FieldError,
    clean_custom_value,
    clean_string,
    parse_bool,
    parse_datetime,
)
from crm.rules.phones import query_digits
from crm.rules.text import search_text, words
from models import Channel, Company, Contact, ContactCompany, CustomFieldValue, SavedFilter
from models.enums import ChannelKind

MAX_TOKENS = 8
MAX_LIMIT = 100
# Offset pages load the skipped ids; past this, keyset pagination (the cursor) is the way.
MAX_OFFSET = 10_000
# When text and filters are combined, text candidates are checked against the filters in
# batches; this bounds the work of one page (a filter that matches nothing costs at most this).
FILTER_BATCH = 500
MAX_FILTER_BATCHES = 20
MAX_SAVED = 40  # saved filters per staff member (each is a button in the bot's menu)


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


def _id(value: Any) -> int:
    """A database id from an int or a string of ASCII digits; raises FieldError."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FieldError("must be an id")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise FieldError("must be an id")
    return int(text)


def _preset(value: Any) -> str:
    if value not in ("all", "my"):
        raise FieldError("must be 'all' or 'my'")
    return value


def _id_list(value: Any) -> list[int]:
    """Ids from one id or a list of them, repeats dropped, order kept; raises FieldError."""
    items = value if isinstance(value, list | tuple) else [value]
    try:
        return list(dict.fromkeys(_id(i) for i in items))
    except FieldError:
        raise FieldError("must be a list of ids") from None


def _utm(value: Any) -> str | None:
    # The same cleaning as the stored UTM values, so equal text compares equal.
    return clean_string(value, 200)


def _custom(value: Any) -> dict[str, Any]:
    # Checked against the field definitions when the query is built (_custom_conditions).
    if not isinstance(value, dict):
        raise FieldError("must map field codes to values")
    return dict(value)


# How each ContactFilter field is read from a plain value.
_FILTER_PARSERS: dict[str, Callable[[Any], Any]] = {
    "preset": _preset,
    "type_ids": _id_list,
    "responsible_ids": _id_list,
    "source_ids": _id_list,
    "company_id": _id,
    "created_from": parse_datetime,
    "created_to": parse_datetime,
    "updated_from": parse_datetime,
    "updated_to": parse_datetime,
    "has_phone": parse_bool,
    "has_email": parse_bool,
    "web_form_id": _id,
    "utm_source": _utm,
    "utm_medium": _utm,
    "utm_campaign": _utm,
    "custom": _custom,
}


def parse_filter(params: dict[str, Any] | None) -> ContactFilter:
    """Build a ContactFilter from plain values (None or '' = not set).

    Raises ValidationError with one message per bad field.
    """
    errors: dict[str, str] = {}
    result = ContactFilter()
    for key, value in dict(params or {}).items():
        parse = _FILTER_PARSERS.get(key)
        if parse is None:
            errors[key] = "is not a filter"
        elif value is not None and value != "":  # None or '': unset, as a form sends it
            try:
                setattr(result, key, parse(value))
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


# A digit run inside a mixed query ("jean 06 12 34", "06.12 dupont"): digits with the separators
# people type in phone numbers, standing apart from words (the "2024" of "dupont2024" is a word).
_DIGIT_RUN = re.compile(r"(?<![^\W_])\+?\d[\d\s().\-/]*(?![^\W_])")
# PostgreSQL ignores words longer than this in tsqueries (with a NOTICE), which would silently
# widen an AND query; no stored word is that long, so such a word matches nothing on both.
MAX_WORD_LENGTH = 2047


@dataclass(frozen=True, slots=True)
class TextTerms:
    """What a query looks for: word prefixes (AND) and phone digit runs (AND)."""

    words: list[str]
    digit_runs: list[str]
    # True when the query typed something that can never match (only symbols or emoji, or a
    # word longer than any stored one): such a query finds nothing rather than everything.
    unmatchable: bool = False

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.digit_runs)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _ascii_digits(digits: str | None) -> str | None:
    """'٠٦١٢' or '０６１２' -> '0612': phones are stored with ASCII digits."""
    if digits is None or digits.isascii():
        return digits
    return "".join(str(unicodedata.decimal(ch, "")) for ch in digits)


def _text_terms(query: str) -> TextTerms:
    """Split a query into word prefixes and phone digit runs.

    A query with no letters is a phone ('06 12', '+33 6 12 34'); in a mixed query each run of
    four or more digits ('jean 06 12 34') looks in phones and the rest in names, e-mails and
    companies. Shorter digit runs are words (prefixes of e-mail or company words).
    """
    if not query.strip():
        return TextTerms([], [])
    digits = _ascii_digits(query_digits(query))
    if digits is not None:
        return TextTerms([], [digits])
    runs: list[str] = []
    rest: list[str] = []
    position = 0
    for match in _DIGIT_RUN.finditer(query):
        run = _ascii_digits(query_digits(match.group()))
        if run is not None:
            runs.append(run)
            rest.append(query[position : match.start()])
            position = match.end()
    rest.append(query[position:])
    tokens = _unique(words(" ".join(rest)))[:MAX_TOKENS]
    runs = _unique(runs)[:MAX_TOKENS]
    too_long = any(len(t) > MAX_WORD_LENGTH for t in tokens)
    if too_long or not (tokens or runs):
        return TextTerms([], [], unmatchable=True)
    return TextTerms(tokens, runs)


# PostgreSQL: how many of the newest contacts the first, index-ordered pass looks at.
RECENT_WINDOW = 3000


async def _text_ids(actor: Actor, terms: TextTerms, cursor: int | None, limit: int) -> list[int]:
    """Ids of live contacts matching the text, newest first, within the actor's read scope."""
    if dialect() == "sqlite":
        return await _text_ids_sqlite(actor, terms, cursor, limit)
    return await _text_ids_postgres(actor, terms, cursor, limit)


# Words are runs of letters and digits only (crm.rules.text.words), so quoting them makes no
# FTS5 or tsquery syntax out of user input; each whole expression is still a parameter. The SQL
# text is built from constant fragments and generated placeholders only.


async def _text_ids_sqlite(
    actor: Actor, terms: TextTerms, cursor: int | None, limit: int
) -> list[int]:
    # The FTS table drives the query and hands rows out in descending rowid order itself, so a
    # page costs what the index look-up costs: `c.id IN (SELECT rowid ...)` instead made SQLite
    # walk every live contact through an index and sort (seconds at 1M rows).
    p = Params("sqlite")
    tables, where = [], []
    if terms.words:
        tables.append("contact_fts")
        where.append(
            f"contact_fts MATCH {p(' AND '.join(f'{chr(34)}{t}{chr(34)}*' for t in terms.words))}"
        )
    if terms.digit_runs:
        tables.append("contact_phone_fts")
        match = " AND ".join(f'"{d}"' for d in terms.digit_runs)
        where.append(f"contact_phone_fts MATCH {p(match)}")
    driver = tables[0]
    joins = "".join(f" JOIN {t} ON {t}.rowid = {driver}.rowid" for t in tables[1:])
    if cursor is not None:
        where.append(f"{driver}.rowid < {p(cursor)}")
    where += ["c.deleted_at IS NULL", "c.merged_into_id IS NULL", scope_sql(actor, p)]
    sql = (
        f"SELECT c.id FROM {driver}{joins} JOIN contact c ON c.id = {driver}.rowid"
        f" WHERE {' AND '.join(where)} ORDER BY {driver}.rowid DESC LIMIT {p(limit)}"
    )
    rows = await connection().execute_query_dict(sql, p.values)
    return [row["id"] for row in rows]


def _recent_window(p: Params, cursor: int | None) -> str:
    """The newest RECENT_WINDOW contact ids (below the cursor), in primary-key order."""
    below = f"WHERE id < {p(cursor)} " if cursor is not None else ""
    return f"SELECT id FROM contact {below}ORDER BY id DESC LIMIT {p(RECENT_WINDOW)}"


def _postgres_text_conditions(terms: TextTerms, p: Params) -> list[str]:
    where = []
    if terms.words:
        tsquery = " & ".join(f"{t}:*" for t in terms.words)
        where.append(f"c.search_tsv @@ to_tsquery('simple', {p(tsquery)})")
    for digits in terms.digit_runs:
        where.append(f"c.search_phones LIKE {p('%' + digits + '%')}")
    return where


async def _text_ids_postgres(
    actor: Actor, terms: TextTerms, cursor: int | None, limit: int
) -> list[int]:
    # PostgreSQL's planner cannot tell a prefix that matches 90,000 contacts from one that
    # matches none. Walking the primary key backwards is instant for the first and a full scan
    # for the second; the GIN index is instant for the second and slow for the first. So, for
    # words: look among the newest RECENT_WINDOW contacts in primary-key order (common words
    # fill the page there), then ask the GIN index for the rest below that window. A run of
    # four or more digits matches at most a few thousand phones: the trigram index alone.
    found: list[int] = []
    below_window = False
    if terms.words:
        p = Params("postgres")
        where = [*_postgres_text_conditions(terms, p), *_live_in_scope(actor, p)]
        recent_sql = (
            f"SELECT c.id FROM ({_recent_window(p, cursor)}) w JOIN contact c ON c.id = w.id"
            f" WHERE {' AND '.join(where)} ORDER BY c.id DESC LIMIT {p(limit)}"
        )
        found = [r["id"] for r in await connection().execute_query_dict(recent_sql, p.values)]
        if len(found) >= limit:
            return found
        below_window = True
    p = Params("postgres")
    where = [*_postgres_text_conditions(terms, p), *_live_in_scope(actor, p)]
    if below_window:
        where.append(f"c.id < (SELECT MIN(id) FROM ({_recent_window(p, cursor)}) w)")
    elif cursor is not None:
        where.append(f"c.id < {p(cursor)}")
    # `c.id + 0` keeps the planner off the backward primary-key walk: this pass is for rare
    # matches, which the GIN index finds at once.
    index_sql = (
        f"SELECT c.id FROM contact c WHERE {' AND '.join(where)}"
        f" ORDER BY c.id + 0 DESC LIMIT {p(limit - len(found))}"
    )
    found += [r["id"] for r in await connection().execute_query_dict(index_sql, p.values)]
    return found


def _live_in_scope(actor: Actor, p: Params) -> list[str]:
    return ["c.deleted_at IS NULL", "c.merged_into_id IS NULL", scope_sql(actor, p)]


async def _filter_q(actor: Actor, flt: ContactFilter) -> Q:
    """The ORM condition for `flt` within the actor's read scope: live contacts, then each
    filter ANDed in turn. Raises ValidationError for a custom field that cannot be filtered on
    or a value it cannot hold."""
    q = scope_q(actor) & Q(deleted_at=None, merged_into_id=None)
    for condition in (
        *_owner_conditions(actor, flt),
        *_company_conditions(actor, flt.company_id),
        *_date_conditions(flt),
        *_channel_conditions(flt),
        *_origin_conditions(flt),
        *await _custom_conditions(flt.custom),
    ):
        q &= condition
    return q


def _owner_conditions(actor: Actor, flt: ContactFilter) -> list[Q]:
    """The preset ("my": the actor is responsible), types, responsibles and sources."""
    conditions = []
    if flt.preset == "my":
        conditions.append(Q(responsible_id=actor.staff_id if actor.staff_id is not None else -1))
    for attr, lookup in (
        ("type_ids", "type_id__in"),
        ("responsible_ids", "responsible_id__in"),
        ("source_ids", "source_id__in"),
    ):
        if ids := getattr(flt, attr):
            conditions.append(Q(**{lookup: ids}))
    return conditions


def _company_conditions(actor: Actor, company_id: int | None) -> list[Q]:
    """Contacts linked to the company, when the actor may read it."""
    if company_id is None:
        return []
    # A company the actor may not read (or a deleted one) filters as one that does not
    # exist: nothing matches, rather than its readable contacts telling who works there.
    readable = Company.filter(scope_q(actor, contacts=False), id=company_id, deleted_at=None)
    links = ContactCompany.filter(company_id__in=Subquery(readable.values("id")))
    return [Q(id__in=Subquery(links.values("contact_id")))]


def _date_conditions(flt: ContactFilter) -> list[Q]:
    """Created and updated since (inclusive) and before (exclusive)."""
    conditions = []
    for attr, lookup in (
        ("created_from", "created_at__gte"),
        ("created_to", "created_at__lt"),
        ("updated_from", "updated_at__gte"),
        ("updated_to", "updated_at__lt"),
    ):
        value = getattr(flt, attr)
        if value is not None:
            conditions.append(Q(**{lookup: value}))
    return conditions


def _channel_conditions(flt: ContactFilter) -> list[Q]:
    """With or without a phone, with or without an e-mail."""
    conditions = []
    for attr, kind in (("has_phone", ChannelKind.PHONE), ("has_email", ChannelKind.EMAIL)):
        value = getattr(flt, attr)
        if value is not None:
            # Company channels have no contact: leave their NULLs out of the subquery, or
            # NOT IN (..., NULL) is never true and "no phone" finds nothing at all.
            channels = Channel.filter(kind=kind, contact_id__isnull=False)
            sub = Q(id__in=Subquery(channels.values("contact_id")))
            conditions.append(sub if value else ~sub)
    return conditions


def _origin_conditions(flt: ContactFilter) -> list[Q]:
    """Where the contact came from: the web form and the UTM source, medium and campaign."""
    conditions = []
    if flt.web_form_id is not None:
        conditions.append(Q(web_form_id=flt.web_form_id))
    for attr in ("utm_source", "utm_medium", "utm_campaign"):
        if value := getattr(flt, attr):
            conditions.append(Q(**{attr: value}))
    return conditions


async def _custom_conditions(custom: dict[str, Any]) -> list[Q]:
    """Contacts whose custom field holds the value, for each field that may be filtered on;
    raises ValidationError naming every field that may not, or whose value is bad."""
    if not custom:
        return []
    definitions = await customfields.active_fields()
    conditions = []
    errors: dict[str, str] = {}
    for code, raw in custom.items():
        definition = definitions.get(code)
        if definition is None or not definition.in_filter:
            errors[FieldRef(code).data_key] = "is not a filterable field"
            continue
        try:
            value = clean_custom_value(definition.type, raw, definition.options)
        except FieldError as exc:
            errors[FieldRef(code).data_key] = str(exc)
            continue
        column = customfields.COLUMN[definition.type]
        values = CustomFieldValue.filter(field_id=definition.id, **{column: value})
        conditions.append(Q(id__in=Subquery(values.values("contact_id"))))
    if errors:
        raise ValidationError(errors)
    return conditions


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
    errors: dict[str, str] = {}
    # Cursors come back from buttons: never trusted, never a database error.
    if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
        errors["cursor"] = "must be an id"
    if offset is not None and (
        isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET
    ):
        errors["offset"] = f"must be between 0 and {MAX_OFFSET:,}; use the cursor to go further"
    if errors:
        raise ValidationError(errors)
    if cursor is not None and cursor > MAX_ID:
        cursor = None  # every id is below it (and PostgreSQL ids are 32-bit)
    flt = filters or ContactFilter()
    terms = _text_terms(query or "")
    if terms.unmatchable or (cursor is not None and cursor <= 0):
        await _filter_q(actor, flt)  # bad filters are reported whatever the text
        return SearchPage(items=[], next_cursor=None)
    if offset:
        # Offset pages are read as keyset pages after skipping ids: correct, bounded by offset.
        skipped = await _page_ids(actor, terms, flt, cursor, offset)
        if len(skipped) < offset:
            return SearchPage(items=[], next_cursor=None)
        cursor = skipped[-1]
    ids = await _page_ids(actor, terms, flt, cursor, limit + 1)
    has_more = len(ids) > limit
    ids = ids[:limit]
    return SearchPage(items=await rows_for(actor, ids), next_cursor=ids[-1] if has_more else None)


async def _page_ids(
    actor: Actor, terms: TextTerms, flt: ContactFilter, cursor: int | None, want: int
) -> list[int]:
    if not terms.has_text:
        query = Contact.filter(await _filter_q(actor, flt))
        if cursor is not None:
            query = query.filter(id__lt=cursor)
        rows: list[Any] = await query.order_by("-id").limit(want).values_list("id", flat=True)
        return rows
    # Text candidates come from the index in batches; each batch loses the contacts found only
    # through a company the actor may not read, then those the filters leave out.
    q = None if flt.is_empty() else await _filter_q(actor, flt)
    size = want if q is None else FILTER_BATCH
    found: list[int] = []
    for _ in range(MAX_FILTER_BATCHES):
        batch = await _text_ids(actor, terms, cursor, size)
        if not batch:
            break
        kept = await _without_hidden_company_matches(actor, terms, batch)
        if q is not None and kept:
            matching = set(await Contact.filter(q, id__in=kept).values_list("id", flat=True))
            kept = [i for i in kept if i in matching]
        found.extend(kept)
        if len(found) >= want or len(batch) < size:
            break
        cursor = batch[-1]
        # A text search without filters drops only the few contacts found through a hidden
        # company: grow the batch by steps rather than reading FILTER_BATCH at once.
        size = FILTER_BATCH if q is not None else min(FILTER_BATCH, size * 4)
    return found[:want]


async def _without_hidden_company_matches(
    actor: Actor, terms: TextTerms, ids: list[int]
) -> list[int]:
    """`ids` without the contacts that match the query's words only through the title of a
    company the actor may not read.

    A contact's indexed words include its companies' titles, so that one index query finds
    "jean acme". The words of a company the actor may not read must not find anything: the
    few candidates linked to such a company are checked again against their own words and
    the titles the actor may read (the index is the same for every reader).
    """
    if not terms.words or not ids or scope(actor).everything:
        return ids
    p = Params(dialect())
    sql = (
        "SELECT cc.contact_id, co.title,"
        f" CASE WHEN {scope_sql(actor, p, 'co', contacts=False)} THEN 1 ELSE 0 END AS readable"
        " FROM contact_company cc JOIN company co ON co.id = cc.company_id"
        f" WHERE cc.contact_id IN ({p.many(ids)}) AND co.deleted_at IS NULL"
    )
    links = await connection().execute_query_dict(sql, p.values)
    suspect = {row["contact_id"] for row in links if not row["readable"]}
    if not suspect:
        return ids
    titles: dict[int, list[str]] = {i: [] for i in suspect}
    for row in links:
        if row["readable"] and row["contact_id"] in suspect:
            titles[row["contact_id"]].append(row["title"])
    emails: dict[int, list[str]] = {i: [] for i in suspect}
    for contact_id, email in await Channel.filter(
        contact_id__in=suspect, kind=ChannelKind.EMAIL
    ).values_list("contact_id", "normalized"):
        emails[contact_id].append(email)
    dropped = set()
    for c in await Contact.filter(id__in=suspect).values(
        "id", "first_name", "middle_name", "last_name"
    ):
        names = [c["first_name"], c["middle_name"], c["last_name"]]
        own = search_text(names, emails[c["id"]], titles[c["id"]]).split()
        if not all(any(w.startswith(t) for w in own) for t in terms.words):
            dropped.add(c["id"])
    return [i for i in ids if i not in dropped]


async def rows_for(actor: Actor, ids: list[int]) -> list[ContactRow]:
    """List rows (name, first phone and e-mail, company) for ids, in that order.

    The company is the primary one, or the first linked, among those the actor may read (as
    on the card: a company the actor may not read is never named).

    One round trip: on a result page this was three ORM queries costing more than the search.
    """
    if not ids:
        return []
    p = Params(dialect())
    sql = (
        "SELECT c.id, c.first_name, c.middle_name, c.last_name, c.responsible_id,"
        " (SELECT value FROM channel WHERE contact_id = c.id AND kind = "
        f"{p(ChannelKind.PHONE.value)} ORDER BY sort, id LIMIT 1) AS phone,"
        " (SELECT value FROM channel WHERE contact_id = c.id AND kind = "
        f"{p(ChannelKind.EMAIL.value)} ORDER BY sort, id LIMIT 1) AS email,"
        " (SELECT co.title FROM contact_company cc JOIN company co ON co.id = cc.company_id"
        " WHERE cc.contact_id = c.id AND co.deleted_at IS NULL"
        f" AND {scope_sql(actor, p, 'co', contacts=False)}"
        " ORDER BY cc.is_primary DESC, cc.id LIMIT 1) AS company"
        f" FROM contact c WHERE c.id IN ({p.many(ids)})"
    )
    found = {row["id"]: row for row in await connection().execute_query_dict(sql, p.values)}
    rows = []
    for contact_id in ids:
        c = found.get(contact_id)
        if c is None:
            continue
        name = " ".join(x for x in (c["first_name"], c["middle_name"], c["last_name"]) if x)
        rows.append(
            ContactRow(
                id=contact_id,
                name=name or f"#{contact_id}",
                phone=c["phone"],
                email=c["email"],
                company=c["company"],
                responsible_id=c["responsible_id"],
            )
        )
    return rows


async def search_companies(actor: Actor, query: str, limit: int = 20) -> list[Company]:
    """Companies the actor may read whose title has a word starting with the query's words
    (for linking a contact: linking needs the right to read the company)."""
    key = " ".join(words(query))
    if query.strip() and not key:
        return []  # only symbols: nothing can match (as in search_contacts)
    q = scope_q(actor, contacts=False) & Q(deleted_at=None)
    if key:
        q &= Q(title_key__startswith=key) | Q(title_key__contains=" " + key)
    # Folded titles sort accents with their letters ("Générale" with "Generale").
    query_set = Company.filter(q).order_by("title_key", "id")
    return await query_set.limit(max(1, min(limit, MAX_LIMIT)))


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
    if existing is None and await SavedFilter.filter(staff_id=actor.staff_id).count() >= MAX_SAVED:
        raise ValidationError({"name": f"you have {MAX_SAVED} saved filters; delete one first"})
    if existing is not None:
        existing.params = flt.to_params()
        await existing.save(update_fields=["params"])
        return existing
    return await SavedFilter.create(
        staff_id=actor.staff_id, name=clean_name, params=flt.to_params()
    )


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
