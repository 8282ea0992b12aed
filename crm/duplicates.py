"""Duplicates (F6): matching by phone, e-mail and full name; merge and its undo."""

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crm import history
from crm.actors import Actor
from crm.db import connection, dialect, utcnow
from crm.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from crm.permissions import can, record_facts, require
from crm.rules.fields import ChannelValue
from crm.rules.text import name_key
from crm.searchkeys import refresh_search_keys
from models import (
    Activity,
    Channel,
    Contact,
    ContactCompany,
    ContactDeal,
    ContactObserver,
    ContactQuote,
    CustomFieldValue,
    HistoryEntry,
    MergeRecord,
)
from models.enums import Action, ChannelKind, HistoryKind

MAX_MATCHES = 10
# Scalar fields a merge fills on the kept contact when they are empty there.
FILLABLE = (
    "honorific",
    "first_name",
    "middle_name",
    "last_name",
    "birthdate",
    "position",
    "comment",
    "type_id",
    "source_id",
    "source_description",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
)


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """An existing contact that looks like the one at hand; `readable` is False when the actor
    may not open it (they still learn that it exists, so nobody creates a silent twin)."""

    contact_id: int
    display_name: str
    reason: str
    value: str
    readable: bool


def _name(contact: Contact) -> str:
    return " ".join(p for p in (contact.first_name, contact.last_name) if p) or f"#{contact.id}"


async def find_duplicates_for(
    actor: Actor,
    scalars: dict[str, Any],
    channels: dict[ChannelKind, list[ChannelValue]],
    exclude_id: int | None = None,
) -> list[DuplicateMatch]:
    """Live contacts sharing a normalized phone, e-mail or Telegram username, or the full name
    (last name needed)."""
    found: dict[int, tuple[str, str]] = {}
    for kind, reason in ((ChannelKind.PHONE, "phone"), (ChannelKind.EMAIL, "email")):
        values = [v.normalized for v in channels.get(kind, [])]
        if not values:
            continue
        rows = await Channel.filter(
            kind=kind,
            normalized__in=values,
            contact_id__isnull=False,
            contact__deleted_at=None,
            contact__merged_into_id=None,
        ).values_list("contact_id", "normalized")
        for contact_id, normalized in rows:
            if contact_id != exclude_id:
                found.setdefault(contact_id, (reason, normalized))
    # A Telegram username is as personal as a phone: forwarded messages often bring only a
    # first name and a username, and would otherwise never match the contact they belong to.
    usernames = [
        v.normalized for v in channels.get(ChannelKind.MESSENGER, []) if v.value_type == "TELEGRAM"
    ]
    if usernames:
        rows = await Channel.filter(
            kind=ChannelKind.MESSENGER,
            value_type="TELEGRAM",
            normalized__in=usernames,
            contact_id__isnull=False,
            contact__deleted_at=None,
            contact__merged_into_id=None,
        ).values_list("contact_id", "normalized")
        for contact_id, normalized in rows:
            if contact_id != exclude_id:
                found.setdefault(contact_id, ("telegram", "@" + normalized))
    key = name_key(scalars.get("first_name"), scalars.get("last_name"))
    if key:
        ids = (
            await Contact.filter(name_key=key, deleted_at=None, merged_into_id=None)
            .limit(MAX_MATCHES)
            .values_list("id", flat=True)
        )
        for contact_id in ids:
            if contact_id != exclude_id:
                found.setdefault(contact_id, ("name", key.replace("|", ", ")))
    if not found:
        return []
    contacts = await Contact.filter(id__in=list(found)[:MAX_MATCHES])
    matches = []
    for contact in sorted(contacts, key=lambda c: c.id):
        reason, value = found[contact.id]
        readable = can(actor, Action.READ, await record_facts(contact))
        matches.append(
            DuplicateMatch(
                contact_id=contact.id,
                display_name=_name(contact) if readable else "",
                reason=reason,
                value=value if readable else "",
                readable=readable,
            )
        )
    return matches


async def lock_duplicate_keys(
    scalars: dict[str, Any], channels: dict[ChannelKind, list[ChannelValue]]
) -> None:
    """Inside a transaction, serialize the writers of the same phone, e-mail or full name.

    Two creates of the same person at once would both pass the duplicate check and make a
    silent twin. SQLite runs one write transaction at a time already; PostgreSQL takes one
    transaction-scoped advisory lock per key, in a fixed order so that two writers never
    deadlock. Call `find_duplicates_for` after this, in the same transaction.
    """
    if dialect() == "sqlite":
        return
    keys = {
        f"{kind.value}:{v.normalized}"
        for kind, values in channels.items()
        for v in values
        if kind in (ChannelKind.PHONE, ChannelKind.EMAIL)
        or (kind == ChannelKind.MESSENGER and v.value_type == "TELEGRAM")
    }
    key = name_key(scalars.get("first_name"), scalars.get("last_name"))
    if key:
        keys.add(f"name:{key}")
    for lock_key in sorted(keys):
        await connection().execute_query(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lock_key]
        )


async def duplicate_groups(actor: Actor, limit: int = 50) -> list[list[int]]:
    """The 'find duplicates' listing for admins: groups of live contact ids sharing a key."""
    if not actor.is_admin:
        raise PermissionDeniedError("only administrators may list duplicates")
    groups: list[list[int]] = []
    for kind in (ChannelKind.PHONE, ChannelKind.EMAIL):
        rows = (
            await Channel.filter(
                kind=kind,
                contact_id__isnull=False,
                contact__deleted_at=None,
                contact__merged_into_id=None,
            )
            .order_by("normalized", "contact_id")
            .values_list("normalized", "contact_id")
        )
        current: dict[str, set[int]] = {}
        for normalized, contact_id in rows:
            current.setdefault(normalized, set()).add(contact_id)
        groups.extend(sorted(ids) for ids in current.values() if len(ids) > 1)
    names: dict[str, set[int]] = {}
    for key, contact_id in await Contact.filter(
        name_key__isnull=False, deleted_at=None, merged_into_id=None
    ).values_list("name_key", "id"):
        names.setdefault(key, set()).add(contact_id)
    groups.extend(sorted(ids) for ids in names.values() if len(ids) > 1)
    unique: list[list[int]] = []
    for group in groups:
        if group not in unique:
            unique.append(group)
    return unique[:limit]


async def merge_contacts(actor: Actor, keep_id: int, other_ids: list[int]) -> MergeRecord:
    """Merge `other_ids` into `keep_id`: channels, links, activities, history, custom values
    and empty fields move to the kept contact; the others are hidden. Undo with `unmerge`.

    Raises ValidationError, NotFoundError, PermissionDeniedError, or ConflictError when one of
    the contacts was merged or deleted meanwhile (then nothing is written).
    """
    others = [i for i in dict.fromkeys(other_ids) if i != keep_id]
    if not others:
        raise ValidationError({"others": "choose at least one other contact to merge"})
    contacts = {
        c.id: c
        for c in await Contact.filter(
            id__in=[keep_id, *others], deleted_at=None, merged_into_id=None
        )
    }
    missing = [i for i in [keep_id, *others] if i not in contacts]
    if missing:
        raise NotFoundError(f"contact #{missing[0]} does not exist or was already merged")
    keep = contacts[keep_id]
    require(actor, Action.EDIT, await record_facts(keep))
    for other_id in others:
        require(
            actor, Action.DELETE, await record_facts(contacts[other_id]), f"contact #{other_id}"
        )
    moved: dict[str, Any] = {
        "channels": [],
        "companies": [],
        "deals": [],
        "quotes": [],
        "observers": [],
        "activities": [],
        "history": [],
        "custom": [],
        "fields": {},
        "versions": {},
    }
    now = utcnow()
    async with in_transaction():
        # Claim every contact first with conditional updates on the versions read above: a
        # concurrent merge (or edit) of the same contacts loses here and rolls back instead of
        # moving rows twice or filling fields from stale values. Rows are claimed in id order so
        # that two merges on PostgreSQL wait for each other instead of deadlocking.
        for contact_id in sorted(contacts):
            version = contacts[contact_id].version
            if contact_id == keep_id:
                claimed = await Contact.filter(
                    id=keep_id, version=version, deleted_at=None, merged_into_id=None
                ).update(version=version + 1, updated_at=now, updated_by_id=actor.staff_id)
            else:
                claimed = await Contact.filter(
                    id=contact_id, version=version, deleted_at=None, merged_into_id=None
                ).update(merged_into_id=keep_id, deleted_at=now, version=version + 1)
                moved["versions"][str(contact_id)] = version + 1
            if claimed != 1:
                raise ConflictError(
                    f"contact #{contact_id} was changed, merged or deleted meanwhile; try again"
                )
        fields: dict[str, Any] = {}
        for name in FILLABLE:
            if getattr(keep, name) in (None, ""):
                for other_id in others:
                    value = getattr(contacts[other_id], name)
                    if value not in (None, ""):
                        fields[name] = value
                        break
        if fields:
            await Contact.filter(id=keep_id).update(**fields)
            moved["fields"] = {name: None for name in fields}
        kept_rows = await Channel.filter(contact_id=keep_id).values_list("kind", "normalized")
        kept_channels = {(str(kind), normalized) for kind, normalized in kept_rows}
        # Moved channels go after the kept ones of their kind; the first of a kind the kept
        # contact lacked becomes its primary (a card always has a primary phone and e-mail).
        next_sort: dict[str, int] = {}
        for kind, _ in kept_rows:
            next_sort[str(kind)] = next_sort.get(str(kind), 0) + 1
        for channel in await Channel.filter(contact_id__in=others).order_by(
            "contact_id", "kind", "sort", "id"
        ):
            kind = str(channel.kind)
            if (kind, channel.normalized) in kept_channels:
                continue
            kept_channels.add((kind, channel.normalized))
            sort = next_sort.get(kind, 0)
            next_sort[kind] = sort + 1
            await Channel.filter(id=channel.id).update(
                contact_id=keep_id, is_primary=sort == 0, sort=sort
            )
            moved["channels"].append(
                [channel.id, channel.contact_id, channel.is_primary, channel.sort]
            )
        # A kept contact without companies takes the first moved one as its primary company;
        # otherwise moved links are secondary. Their old flag is kept for the undo.
        needs_primary = not await ContactCompany.exists(contact_id=keep_id, is_primary=True)
        have_companies = set(
            await ContactCompany.filter(contact_id=keep_id).values_list("company_id", flat=True)
        )
        for row_id, contact_id, company_id, was_primary in (
            await ContactCompany.filter(contact_id__in=others)
            .order_by("contact_id", "-is_primary", "id")
            .values_list("id", "contact_id", "company_id", "is_primary")
        ):
            if company_id in have_companies:
                continue
            have_companies.add(company_id)
            await ContactCompany.filter(id=row_id).update(
                contact_id=keep_id, is_primary=needs_primary
            )
            needs_primary = False
            moved["companies"].append([row_id, contact_id, was_primary])
        for key, model, column in (
            ("deals", ContactDeal, "deal_id"),
            ("quotes", ContactQuote, "quote_id"),
            ("observers", ContactObserver, "staff_id"),
        ):
            have = set(await model.filter(contact_id=keep_id).values_list(column, flat=True))
            for row_id, contact_id, target in await model.filter(contact_id__in=others).values_list(
                "id", "contact_id", column
            ):
                if target in have:
                    continue
                have.add(target)
                await model.filter(id=row_id).update(contact_id=keep_id)
                moved[key].append([row_id, contact_id])
        for row_id, contact_id in await Activity.filter(contact_id__in=others).values_list(
            "id", "contact_id"
        ):
            moved["activities"].append([row_id, contact_id])
        await Activity.filter(contact_id__in=others).update(contact_id=keep_id)
        for row_id, entity_id in await HistoryEntry.filter(
            entity="contact", entity_id__in=others
        ).values_list("id", "entity_id"):
            moved["history"].append([row_id, entity_id])
        await HistoryEntry.filter(entity="contact", entity_id__in=others).update(entity_id=keep_id)
        have_fields = set(
            await CustomFieldValue.filter(contact_id=keep_id).values_list("field_id", flat=True)
        )
        for row_id, contact_id, field_id in (
            await CustomFieldValue.filter(contact_id__in=others)
            .order_by("contact_id", "position")
            .values_list("id", "contact_id", "field_id")
        ):
            if field_id in have_fields:
                continue
            moved["custom"].append([row_id, contact_id, field_id])
        for field_id in {f for _, _, f in moved["custom"]}:
            # Values of one field move together from the first contact that has them.
            first_owner = next(c for _, c, f in moved["custom"] if f == field_id)
            moved["custom"] = [
                m for m in moved["custom"] if m[2] != field_id or m[1] == first_owner
            ]
        for row_id, _, _ in moved["custom"]:
            await CustomFieldValue.filter(id=row_id).update(contact_id=keep_id)
        record = await MergeRecord.create(
            kept_id=keep_id,
            merged_ids=others,
            moved=moved,
            actor_staff_id=actor.staff_id,
            actor_label=actor.label,
        )
        for name, value in fields.items():
            moved["fields"][name] = history.as_text(value)
        await MergeRecord.filter(id=record.id).update(moved=moved)
        # The fields the merge filled are changes of the kept contact like any other.
        await history.record_changes(
            actor, "contact", keep_id, {name: (None, value) for name, value in fields.items()}
        )
        names = ", ".join(f"{_name(contacts[i])} (#{i})" for i in others)
        await history.record(
            actor,
            "contact",
            keep_id,
            HistoryKind.MERGED,
            field="merge",
            before=names,
            after=f"merge #{record.id}",
        )
        for other_id in others:
            await history.record(
                actor, "contact", other_id, HistoryKind.MERGED, field="merged_into", after=keep_id
            )
        keep = await Contact.get(id=keep_id)
        await refresh_search_keys(keep)
    return record


async def unmerge(actor: Actor, merge_id: int) -> list[int]:
    """Undo a merge: every moved row goes back, the merged contacts reappear.

    Fields the merge filled are emptied again unless someone changed them since.
    Returns the restored contact ids. Raises NotFoundError or ConflictError (already undone).
    """
    record = await MergeRecord.get_or_none(id=merge_id)
    if record is None:
        raise NotFoundError(f"merge #{merge_id} does not exist")
    keep = await Contact.get_or_none(id=record.kept_id)
    if keep is None:
        raise NotFoundError(f"contact #{record.kept_id} does not exist")
    require(actor, Action.EDIT, await record_facts(keep))
    # Undoing a merge brings the merged contacts back: the same right the merge needed on them.
    for merged in await Contact.filter(id__in=record.merged_ids):
        require(actor, Action.DELETE, await record_facts(merged), f"contact #{merged.id}")
    moved = record.moved
    async with in_transaction():
        claimed = await MergeRecord.filter(id=merge_id, undone_at=None).update(undone_at=utcnow())
        if claimed != 1:
            raise ConflictError(f"merge #{merge_id} was already undone")
        # Read again now that the record is ours: the field reset below compares current values.
        keep = await Contact.get(id=record.kept_id)
        for channel_id, contact_id, primary, sort in moved["channels"]:
            await Channel.filter(id=channel_id, contact_id=keep.id).update(
                contact_id=contact_id, is_primary=primary, sort=sort
            )
        for row_id, contact_id, *flag in moved["companies"]:
            # Older merge records hold no primary flag: those links come back as secondary.
            await ContactCompany.filter(id=row_id, contact_id=keep.id).update(
                contact_id=contact_id, is_primary=bool(flag and flag[0])
            )
        if moved["companies"] and not await ContactCompany.exists(
            contact_id=keep.id, is_primary=True
        ):
            first = await ContactCompany.filter(contact_id=keep.id).order_by("id").first()
            if first is not None:
                await ContactCompany.filter(id=first.id).update(is_primary=True)
        for key, model in (
            ("deals", ContactDeal),
            ("quotes", ContactQuote),
            ("observers", ContactObserver),
        ):
            for row_id, contact_id in moved[key]:
                await model.filter(id=row_id, contact_id=keep.id).update(contact_id=contact_id)
        for row_id, contact_id in moved["activities"]:
            await Activity.filter(id=row_id, contact_id=keep.id).update(contact_id=contact_id)
        for row_id, entity_id in moved["history"]:
            await HistoryEntry.filter(id=row_id).update(entity_id=entity_id)
        for row_id, contact_id, _ in moved["custom"]:
            await CustomFieldValue.filter(id=row_id, contact_id=keep.id).update(
                contact_id=contact_id
            )
        reset = {
            name: None
            for name, value in moved["fields"].items()
            if history.as_text(getattr(keep, name)) == value
        }
        await Contact.filter(id=keep.id).update(
            **reset, version=F("version") + 1, updated_at=utcnow(), updated_by_id=actor.staff_id
        )
        await history.record_changes(
            actor, "contact", keep.id, {name: (getattr(keep, name), None) for name in reset}
        )
        for other_id in record.merged_ids:
            await Contact.filter(id=other_id, merged_into_id=keep.id).update(
                merged_into_id=None, deleted_at=None, version=moved["versions"][str(other_id)] + 1
            )
            await history.record(
                actor,
                "contact",
                other_id,
                HistoryKind.UNMERGED,
                field="merged_into",
                before=keep.id,
            )
        await history.record(
            actor,
            "contact",
            keep.id,
            HistoryKind.UNMERGED,
            field="merge",
            before=f"merge #{merge_id}",
        )
        for contact in await Contact.filter(id__in=[keep.id, *record.merged_ids]):
            await refresh_search_keys(contact)
    return list(record.merged_ids)
