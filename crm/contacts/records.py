"""Contact use cases that write a contact: create (duplicates checked under a lock), update
(version-checked), delete, restore, purge; and what hangs on a contact."""

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crm import customfields, history
from crm.actors import Actor
from crm.channels import add_channels, replace_channels
from crm.contacts.card import (
    ENTITY,
    ChannelView,
    CleanContact,
    ContactCard,
    display_name,
    load_card,
    load_readable,
)
from crm.contacts.input import clean_input
from crm.db import utcnow, valid_id
from crm.duplicates import DuplicateMatch, find_duplicates_for, lock_duplicate_keys
from crm.errors import (
    ConflictError,
    DuplicateContactError,
    NotFoundError,
    StaleEditError,
    ValidationError,
)
from crm.permissions import can, record_facts, require, require_any, scope_q
from crm.rules.fieldref import FieldRef
from crm.rules.fields import (
    ChannelValue,
)
from crm.rules.permissions import RecordFacts
from crm.searchkeys import derived_keys, refresh_search_keys, stored_phone
from models import (
    Activity,
    Company,
    Contact,
    ContactCompany,
    ContactObserver,
    Deal,
    Quote,
)
from models.enums import Action, ChannelKind, HistoryKind


async def _require_readable_companies(actor: Actor, company_ids: list[int]) -> None:
    """Linking through create/update is held to the same rule as `link`: only companies the
    actor may see (otherwise the edit form would be a way around it)."""
    if await _hidden_companies(actor, company_ids):
        # The answer for a company that does not exist (see _check_references).
        raise ValidationError({"companies": "must be existing companies"})


async def _write_channels(contact_id: int, kind: ChannelKind, values: list[ChannelValue]) -> None:
    await replace_channels(kind, values, contact_id=contact_id)


async def _hidden_companies(actor: Actor, company_ids: list[int]) -> list[int]:
    """Those of `company_ids` the actor may not read, in their order."""
    if not company_ids:
        return []
    facts = {
        c.id: RecordFacts(responsible_id=c.responsible_id, opened=c.opened)
        for c in await Company.filter(id__in=company_ids)
    }
    return [i for i in company_ids if i in facts and not can(actor, Action.READ, facts[i])]


def _with_hidden(old: list[int], hidden: list[int], requested: list[int]) -> list[int]:
    """The links to write: what the editor asked for, plus the links they could not see; a
    hidden primary company stays primary (the editor never saw it to demote it)."""
    asked = [c for c in requested if c not in hidden]
    keep_first = old[:1] if old and old[0] in hidden else []
    return keep_first + asked + [c for c in hidden if c not in keep_first]


async def _write_observers(contact_id: int, observers: list[int]) -> None:
    await ContactObserver.filter(contact_id=contact_id).delete()
    await ContactObserver.bulk_create(
        [ContactObserver(contact_id=contact_id, staff_id=s) for s in observers]
    )


async def _write_companies(contact_id: int, companies: list[int]) -> None:
    await ContactCompany.filter(contact_id=contact_id).delete()
    await ContactCompany.bulk_create(
        [
            ContactCompany(contact_id=contact_id, company_id=c, is_primary=i == 0)
            for i, c in enumerate(companies)
        ]
    )


async def check_duplicates(actor: Actor, data: dict[str, Any]) -> list[DuplicateMatch]:
    """What an about-to-be-created contact would duplicate (the check every create path runs).

    Only for staff who may add contacts: it tells whether a phone or e-mail is known.
    """
    require_any(actor, Action.ADD)
    clean = await clean_input(data, await customfields.active_fields(), creating=False)
    return await find_duplicates_for(actor, clean.scalars, clean.channels)


async def create_contact(
    actor: Actor,
    data: dict[str, Any],
    *,
    allow_duplicate: bool = False,
    web_form_id: int | None = None,
    import_job_id: int | None = None,
) -> ContactCard:
    """Create a contact after validation, permission and duplicate checks, with history.

    Raises ValidationError, PermissionDeniedError, or DuplicateContactError (unless
    `allow_duplicate`); returns the new card.
    """
    definitions = await customfields.active_fields()
    clean = await clean_input(data, definitions, creating=True)
    return await create_checked_contact(
        actor,
        clean,
        definitions,
        allow_duplicate=allow_duplicate,
        web_form_id=web_form_id,
        import_job_id=import_job_id,
    )


async def create_checked_contact(
    actor: Actor,
    clean: CleanContact,
    definitions: dict[str, Any],
    *,
    allow_duplicate: bool = False,
    web_form_id: int | None = None,
    import_job_id: int | None = None,
    keys_locked: bool = False,
) -> ContactCard:
    """`create_contact` for input its caller has just validated with `clean_input` against
    `definitions` (web forms and imports validate first to report errors by their own field
    names; validating again would only cost the time). Rights and duplicates are checked here.
    `keys_locked`: the caller holds `lock_duplicate_keys` for this input in the transaction it
    calls from (a web-form lead decides new-or-merge under it), so it is not taken twice.
    """
    contact = await insert_checked_contact(
        actor,
        clean,
        definitions,
        allow_duplicate=allow_duplicate,
        web_form_id=web_form_id,
        import_job_id=import_job_id,
        keys_locked=keys_locked,
    )
    return await load_card(contact)


async def insert_checked_contact(
    actor: Actor,
    clean: CleanContact,
    definitions: dict[str, Any],
    *,
    allow_duplicate: bool = False,
    web_form_id: int | None = None,
    import_job_id: int | None = None,
    keys_locked: bool = False,
) -> Contact:
    """`create_checked_contact` without reading the new card back: for callers that need only
    the contact's row (a web form lead, processed by the hundred)."""
    scalars = clean.scalars
    if "responsible_id" not in scalars or scalars["responsible_id"] is None:
        scalars["responsible_id"] = actor.staff_id
    facts = RecordFacts(
        responsible_id=scalars["responsible_id"], opened=bool(scalars.get("opened"))
    )
    require(actor, Action.ADD, facts, "a contact for this responsible")
    await _require_readable_companies(actor, clean.companies or [])
    async with in_transaction():
        # Checked inside the transaction, under a lock on the contact's keys, so that two
        # creates of the same person at once cannot both pass the check (F6: no silent twins).
        if not keys_locked:
            await lock_duplicate_keys(scalars, clean.channels)
        if not allow_duplicate:
            matches = await find_duplicates_for(actor, scalars, clean.channels)
            if matches:
                raise DuplicateContactError(matches)
        # The search columns are computed here, so the insert indexes the contact once.
        titles = (
            await Company.filter(id__in=clean.companies, deleted_at=None).values_list(
                "title", flat=True
            )
            if clean.companies
            else []
        )
        keys = derived_keys(
            scalars.get("first_name"),
            scalars.get("middle_name"),
            scalars.get("last_name"),
            emails=[v.normalized for v in clean.channels.get(ChannelKind.EMAIL, [])],
            phones=[
                v.phone or stored_phone(v.normalized, v.extension)
                for v in clean.channels.get(ChannelKind.PHONE, [])
            ],
            titles=list(titles),
        )
        contact = await Contact.create(
            **scalars,
            **keys,
            created_by_id=actor.staff_id,
            updated_by_id=actor.staff_id,
            web_form_id=web_form_id,
            import_job_id=import_job_id,
        )
        await add_channels(clean.channels, contact_id=contact.id)
        if clean.observers:
            await _write_observers(contact.id, clean.observers)
        if clean.companies:
            await _write_companies(contact.id, clean.companies)
        await customfields.write_values(contact.id, definitions, clean.custom)
        await history.record(
            actor, ENTITY, contact.id, HistoryKind.CREATED, after=display_name(contact)
        )
    return contact


def _channel_text(values: list[ChannelValue] | list[ChannelView]) -> str:
    return ", ".join(f"{v.value} ({v.value_type})" for v in values)


async def update_contact(
    actor: Actor, contact_id: int, changes: dict[str, Any], expected_version: int
) -> ContactCard:
    """Apply a partial update if nobody saved the contact since `expected_version`.

    1. Load the contact; check the edit right and the version.
    2. Clean the changes.
    3. Diff them against the card (an update that changes nothing writes nothing).
    4. Write the changed parts, conditional on the version.
    5. Record the changes in the history.

    Raises NotFoundError, PermissionDeniedError, ValidationError or StaleEditError; nothing is
    written unless everything is valid. Returns the updated card.
    """
    contact = await load_readable(actor, contact_id)
    require(actor, Action.EDIT, await record_facts(contact))
    if contact.version != expected_version:
        raise StaleEditError(ENTITY, contact_id, expected_version, contact.version)
    definitions = await customfields.active_fields()
    clean = await clean_input(changes, definitions, creating=False, current=contact)
    before_card = await load_card(contact)
    diff = await _diff_update(actor, contact, before_card, clean)
    if diff.is_empty():
        return before_card
    async with in_transaction():
        await _write_update(actor, contact, expected_version, diff, clean, definitions)
        await history.record_changes(actor, ENTITY, contact_id, diff.history())
    return await load_card(contact)


@dataclass(slots=True)
class _UpdateDiff:
    """What an update changes, each part as (before, after); channels as text for the history.
    Observers and companies are None when they do not change."""

    scalars: dict[str, tuple[Any, Any]]
    channels: dict[ChannelKind, tuple[str, str]]
    custom: dict[str, tuple[list[Any], list[Any]]]
    observers: tuple[list[int], list[int]] | None
    companies: tuple[list[int], list[int]] | None

    def is_empty(self) -> bool:
        return not (
            self.scalars
            or self.channels
            or self.custom
            or self.observers is not None
            or self.companies is not None
        )

    def history(self) -> dict[str, tuple[Any, Any]]:
        """The changes as the history records them, by field name."""
        changes: dict[str, tuple[Any, Any]] = dict(self.scalars)
        for kind, (old_text, new_text) in self.channels.items():
            changes[f"{kind.value}s"] = (old_text or None, new_text or None)
        for code, (old_values, new_values) in self.custom.items():
            changes[FieldRef(code).data_key] = (old_values or None, new_values or None)
        if self.observers is not None:
            changes["observers"] = self.observers
        if self.companies is not None:
            changes["companies"] = self.companies
        return changes


async def _diff_update(
    actor: Actor, contact: Contact, before_card: ContactCard, clean: CleanContact
) -> _UpdateDiff:
    """The update's changes against the card; raises PermissionDeniedError when it links a
    company the actor may not read."""
    scalars = {
        name: (getattr(contact, name), value)
        for name, value in clean.scalars.items()
        if getattr(contact, name) != value
    }
    channels: dict[ChannelKind, tuple[str, str]] = {}
    for kind, values in clean.channels.items():
        old = [c for c in before_card.channels if c.kind == kind]
        if [(c.normalized, c.value_type, c.value) for c in old] != [
            (v.normalized, v.value_type, v.value) for v in values
        ]:
            channels[kind] = (_channel_text(old), _channel_text(values))
    custom = {
        code: (before_card.custom.get(code, []), values)
        for code, values in clean.custom.items()
        if before_card.custom.get(code, []) != values
    }
    observers = None
    if clean.observers is not None and sorted(clean.observers) != sorted(before_card.observer_ids):
        observers = (before_card.observer_ids, clean.observers)
    return _UpdateDiff(
        scalars, channels, custom, observers, await _companies_change(actor, before_card, clean)
    )


async def _companies_change(
    actor: Actor, before_card: ContactCard, clean: CleanContact
) -> tuple[list[int], list[int]] | None:
    """The contact's company links before and after, or None when they do not change."""
    if clean.companies is None:
        return None
    old_companies = [c.company_id for c in before_card.companies]
    # The editor sends the companies they see; links to companies they may not read stay
    # as they are (an edit must not erase what the editor could not see).
    hidden = await _hidden_companies(actor, old_companies)
    visible_old = [c for c in old_companies if c not in hidden]
    if clean.companies == visible_old:
        return None
    await _require_readable_companies(actor, [c for c in clean.companies if c not in old_companies])
    new_companies = _with_hidden(old_companies, hidden, clean.companies)
    return None if new_companies == old_companies else (old_companies, new_companies)


async def _write_update(
    actor: Actor,
    contact: Contact,
    expected_version: int,
    diff: _UpdateDiff,
    clean: CleanContact,
    definitions: dict[str, Any],
) -> None:
    """Write the changed parts and refresh the contact and its search keys; raises
    StaleEditError when someone saved the contact meanwhile."""
    contact_id = contact.id
    # The version check and the write are one statement: of two concurrent editors of the
    # same version exactly one wins, the other gets StaleEditError (nothing is overwritten).
    updated = await Contact.filter(id=contact_id, version=expected_version).update(
        **{k: v for k, (_, v) in diff.scalars.items()},
        version=expected_version + 1,
        updated_by_id=actor.staff_id,
        updated_at=utcnow(),
    )
    if updated != 1:
        current = await Contact.filter(id=contact_id).first().values_list("version", flat=True)
        raise StaleEditError(ENTITY, contact_id, expected_version, current)
    for kind in diff.channels:
        await _write_channels(contact_id, kind, clean.channels[kind])
    if diff.observers is not None:
        await _write_observers(contact_id, diff.observers[1])
    if diff.companies is not None:
        await _write_companies(contact_id, diff.companies[1])
    await customfields.write_values(
        contact_id, definitions, {code: clean.custom[code] for code in diff.custom}
    )
    await contact.refresh_from_db()
    await refresh_search_keys(contact)


async def delete_contact(actor: Actor, contact_id: int) -> None:
    """Move a contact to the recycle bin (restorable); raises NotFound/PermissionDenied."""
    contact = await load_readable(actor, contact_id)
    require(actor, Action.DELETE, await record_facts(contact))
    async with in_transaction():
        # Conditional on the version the permission was checked against: a contact reassigned
        # (or deleted) meanwhile is not deleted under the old facts.
        updated = await Contact.filter(
            id=contact_id, deleted_at=None, version=contact.version
        ).update(deleted_at=utcnow(), version=F("version") + 1, updated_by_id=actor.staff_id)
        if updated != 1:
            raise ConflictError(f"contact #{contact_id} changed meanwhile; reload it and retry")
        await history.record(actor, ENTITY, contact_id, HistoryKind.DELETED)


async def _load_deleted(contact_id: int) -> Contact:
    if not valid_id(contact_id):
        raise NotFoundError(f"contact #{contact_id} is not in the recycle bin")
    contact = await Contact.get_or_none(
        id=contact_id, deleted_at__isnull=False, merged_into_id=None
    )
    if contact is None:
        raise NotFoundError(f"contact #{contact_id} is not in the recycle bin")
    return contact


async def restore_contact(actor: Actor, contact_id: int) -> ContactCard:
    """Bring a contact back from the recycle bin."""
    contact = await _load_deleted(contact_id)
    require(actor, Action.DELETE, await record_facts(contact))
    async with in_transaction():
        restored = await Contact.filter(
            id=contact_id, deleted_at__isnull=False, merged_into_id=None, version=contact.version
        ).update(deleted_at=None, version=F("version") + 1, updated_by_id=actor.staff_id)
        if restored != 1:
            raise ConflictError(f"contact #{contact_id} changed meanwhile; reload it and retry")
        await history.record(actor, ENTITY, contact_id, HistoryKind.RESTORED)
    return await load_card(await Contact.get(id=contact_id))


async def purge_contact(actor: Actor, contact_id: int) -> None:
    """Erase a contact that is in the recycle bin; its history stays (the audit has no holes)."""
    contact = await _load_deleted(contact_id)
    require(actor, Action.DELETE, await record_facts(contact))
    async with in_transaction():
        await history.record(
            actor, ENTITY, contact_id, HistoryKind.PURGED, before=display_name(contact)
        )
        # Contacts merged into this one (and into those, in turn) are its hidden twins: their
        # moved rows go with the purge, so they go too rather than reappear as empty shells.
        twins: list[int] = []
        level = [contact_id]
        while level:
            level = list(
                await Contact.filter(merged_into_id__in=level).values_list("id", flat=True)
            )
            twins += level
        if twins:
            await history.record_for_each(
                actor, ENTITY, twins, HistoryKind.PURGED, "merged_into", after=contact_id
            )
        await Contact.filter(id__in=[*twins, contact_id]).delete()


async def recycle_bin(actor: Actor, limit: int = 50) -> list[Contact]:
    """Deleted contacts the actor could delete, newest deletion first."""
    return (
        await Contact.filter(
            scope_q(actor, Action.DELETE), deleted_at__isnull=False, merged_into_id=None
        )
        .order_by("-deleted_at")
        .limit(limit)
    )


async def lock_live(contact_id: int) -> None:
    """Lock the contact's row for the rest of the transaction (PostgreSQL; SQLite transactions
    are serial already): two links at once would otherwise both see "no primary company yet".
    Raises NotFoundError if it was deleted or merged meanwhile."""
    locked = (
        await Contact.filter(id=contact_id, deleted_at=None, merged_into_id=None)
        .select_for_update(no_key=True)
        .first()
    )
    if locked is None:
        raise NotFoundError(f"contact #{contact_id} does not exist")


async def bump_version(contact: Contact, actor: Actor) -> None:
    """Count a change made outside `update_contact` (a link) in the contact's version."""
    # F(): an increment in the database, not a read-modify-write of a version read earlier.
    await Contact.filter(id=contact.id).update(
        version=F("version") + 1, updated_by_id=actor.staff_id, updated_at=utcnow()
    )


@dataclass(slots=True)
class Dependencies:
    """What hangs on a contact (F13): the card's 'Dependencies' view."""

    companies: list[Company]
    deals: list[Deal]
    quotes: list[Quote]
    activities: list[Activity]


async def dependencies(actor: Actor, contact_id: int) -> Dependencies:
    """Linked companies, deals, quotes and activities the actor may see."""
    await load_readable(actor, contact_id)  # NotFoundError unless the actor may read it

    def visible(items: list[Any]) -> list[Any]:
        return [
            i
            for i in items
            if can(
                actor, Action.READ, RecordFacts(responsible_id=i.responsible_id, opened=i.opened)
            )
        ]

    companies = await Company.filter(contact_links__contact_id=contact_id, deleted_at=None)
    deals = await Deal.filter(contact_links__contact_id=contact_id, deleted_at=None)
    quotes = await Quote.filter(contact_links__contact_id=contact_id, deleted_at=None)
    activities = await Activity.filter(contact_id=contact_id).order_by("-start_at").limit(50)
    return Dependencies(visible(companies), visible(deals), visible(quotes), list(activities))


async def duplicates_of(actor: Actor, contact_id: int) -> list[DuplicateMatch]:
    """Other live contacts sharing this one's phone, e-mail or full name (the card's button).

    Raises NotFoundError or PermissionDeniedError.
    """
    contact = await load_readable(actor, contact_id)
    card = await load_card(contact)
    channels: dict[ChannelKind, list[ChannelValue]] = {}
    for c in card.channels:
        channels.setdefault(c.kind, []).append(
            ChannelValue(c.kind, c.value_type, c.value, c.normalized, c.extension)
        )
    scalars = {"first_name": contact.first_name, "last_name": contact.last_name}
    return await find_duplicates_for(actor, scalars, channels, exclude_id=contact_id)
