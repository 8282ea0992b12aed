"""Duplicates (F6): matching by phone, e-mail and full name, and the admin listing.

Merging them is `crm.merge`."""

from dataclasses import dataclass
from typing import Any, cast

from crm.actors import Actor
from crm.db import connection, dialect
from crm.errors import PermissionDeniedError
from crm.permissions import can, record_facts
from crm.rules.fields import ChannelValue
from crm.rules.text import name_key
from models import (
    Channel,
    Contact,
)
from models.enums import Action, ChannelKind

MAX_MATCHES = 10
# Scalar fields a merge fills on the kept contact when they are empty there (also what the
# "merge" duplicate policy of intake fills).
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


def short_name(contact: Contact) -> str:
    """First and last name, or `#id`: how a match and a merge name a contact."""
    return " ".join(p for p in (contact.first_name, contact.last_name) if p) or f"#{contact.id}"


async def find_duplicates_for(
    actor: Actor,
    scalars: dict[str, Any],
    channels: dict[ChannelKind, list[ChannelValue]],
    exclude_id: int | None = None,
) -> list[DuplicateMatch]:
    """Live contacts sharing a normalized phone, e-mail or Telegram username, or the full name
    (last name needed).

    1. Look the keys up in that order; a contact counts once, for the first key it shares.
    2. Describe the first MAX_MATCHES of them by id, naming only those the actor may read.
    """
    found: dict[int, tuple[str, str]] = {}
    for contact_id, reason, value in [
        *await _channel_matches(channels),
        *await _telegram_matches(channels),
        *await _name_matches(scalars),
    ]:
        if contact_id != exclude_id:
            found.setdefault(contact_id, (reason, value))
    if not found:
        return []
    return await _describe_matches(actor, found)


# A match before it is described: (contact id, reason, the value that matched).
_Match = tuple[int, str, str]


async def _channel_matches(channels: dict[ChannelKind, list[ChannelValue]]) -> list[_Match]:
    """Live contacts with one of the phones, then one of the e-mails."""
    matches: list[_Match] = []
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
        matches += [(contact_id, reason, normalized) for contact_id, normalized in rows]
    return matches


async def _telegram_matches(channels: dict[ChannelKind, list[ChannelValue]]) -> list[_Match]:
    """Live contacts with one of the Telegram usernames."""
    # A Telegram username is as personal as a phone: forwarded messages often bring only a
    # first name and a username, and would otherwise never match the contact they belong to.
    usernames = [
        v.normalized for v in channels.get(ChannelKind.MESSENGER, []) if v.value_type == "TELEGRAM"
    ]
    if not usernames:
        return []
    rows = await Channel.filter(
        kind=ChannelKind.MESSENGER,
        value_type="TELEGRAM",
        normalized__in=usernames,
        contact_id__isnull=False,
        contact__deleted_at=None,
        contact__merged_into_id=None,
    ).values_list("contact_id", "normalized")
    return [(contact_id, "telegram", "@" + normalized) for contact_id, normalized in rows]


async def _name_matches(scalars: dict[str, Any]) -> list[_Match]:
    """Live contacts with the same full name (none without a last name)."""
    key = name_key(scalars.get("first_name"), scalars.get("last_name"))
    if not key:
        return []
    query = Contact.filter(name_key=key, deleted_at=None, merged_into_id=None).limit(MAX_MATCHES)
    # Tortoise types a flat values_list as tuples; it returns the ids themselves.
    ids = cast(list[int], await query.values_list("id", flat=True))
    return [(contact_id, "name", key.replace("|", ", ")) for contact_id in ids]


async def _describe_matches(
    actor: Actor, found: dict[int, tuple[str, str]]
) -> list[DuplicateMatch]:
    """The first MAX_MATCHES found contacts by id; what the actor may not read stays unnamed."""
    contacts = await Contact.filter(id__in=list(found)[:MAX_MATCHES])
    matches = []
    for contact in sorted(contacts, key=lambda c: c.id):
        reason, value = found[contact.id]
        readable = can(actor, Action.READ, await record_facts(contact))
        matches.append(
            DuplicateMatch(
                contact_id=contact.id,
                display_name=short_name(contact) if readable else "",
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
