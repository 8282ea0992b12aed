"""Contact use cases: create, read, update, delete/restore/purge, links, dependencies (F1, F13)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm import companies as company_cases
from crm import config, customfields, history
from crm.actors import Actor
from crm.channels import add_channels, replace_channels
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
from crm.rules import values as value_rules
from crm.rules.fieldref import FieldRef
from crm.rules.fields import (
    BOOL_FIELDS,
    CHANNEL_FIELDS,
    DATE_FIELDS,
    MULTILINE,
    REF_FIELDS,
    TEXT_FIELDS,
    ChannelValue,
    FieldError,
    clean_channel_list,
    clean_string,
    parse_bool,
    parse_date,
)
from crm.rules.permissions import RecordFacts
from crm.searchkeys import derived_keys, refresh_search_keys, stored_phone
from models import (
    Activity,
    Channel,
    Company,
    Contact,
    ContactCompany,
    ContactDeal,
    ContactObserver,
    ContactQuote,
    ContactType,
    Deal,
    Quote,
    Source,
    Staff,
)
from models.enums import Action, ChannelKind, HistoryKind

ENTITY = "contact"
LIST_FIELDS = set(CHANNEL_FIELDS) | {"observers", "custom", "companies"}
KNOWN_FIELDS = set(TEXT_FIELDS) | BOOL_FIELDS | REF_FIELDS | DATE_FIELDS | LIST_FIELDS


@dataclass(frozen=True, slots=True)
class ChannelView:
    id: int
    kind: ChannelKind
    value_type: str
    value: str
    normalized: str
    extension: str | None
    is_primary: bool


@dataclass(frozen=True, slots=True)
class CompanyLink:
    company_id: int
    title: str
    is_primary: bool


@dataclass(slots=True)
class ContactCard:
    """Everything a card shows, as plain data."""

    contact: Contact
    channels: list[ChannelView] = field(default_factory=list)
    companies: list[CompanyLink] = field(default_factory=list)
    custom: dict[str, list[Any]] = field(default_factory=dict)
    observer_ids: list[int] = field(default_factory=list)
    type_name: str | None = None
    source_name: str | None = None
    responsible_name: str | None = None

    @property
    def id(self) -> int:
        return self.contact.id

    @property
    def version(self) -> int:
        return self.contact.version

    def values(self, kind: ChannelKind) -> list[str]:
        return [c.value for c in self.channels if c.kind == kind]


@dataclass(slots=True)
class CleanContact:
    """Validated input: scalar fields, channels per kind, custom values, observers, companies."""

    scalars: dict[str, Any] = field(default_factory=dict)
    channels: dict[ChannelKind, list[ChannelValue]] = field(default_factory=dict)
    custom: dict[str, list[Any]] = field(default_factory=dict)
    observers: list[int] | None = None
    companies: list[int] | None = None


def display_name(contact: Contact) -> str:
    parts = [contact.first_name, contact.middle_name, contact.last_name]
    name = " ".join(p for p in parts if p)
    return name or f"#{contact.id}"


NAME_REQUIRED = "a first or a last name is required"


async def clean_input(
    data: dict[str, Any],
    definitions: dict[str, Any],
    *,
    creating: bool,
    current: Contact | None = None,
) -> CleanContact:
    """Validate every field of `data`; raises ValidationError with one message per field.

    1. Refuse names that are not contact fields.
    2. Clean the scalar fields: texts, yes/no flags, dates, ids of a type, source or staff.
    3. Clean the channel lists (phones normalized in the default region).
    4. Clean the observer and company id lists.
    5. Clean the custom values against their `definitions`.
    6. On create (or on update, given the `current` contact), require a first or a last name.
    7. With no error so far, check that the referenced rows exist.

    Steps 1-6 each add their problems to one `errors` map and run whatever the others found,
    so that the caller sees every problem at once.
    """
    errors: dict[str, str] = {}
    _refuse_unknown_fields(data, errors)
    out = CleanContact(
        scalars=_clean_scalars(data, errors),
        channels=_clean_channels(data, errors),
        observers=_clean_id_list(data, "observers", errors),
        companies=_clean_id_list(data, "companies", errors),
        custom=await _clean_custom_values(data, definitions, creating, errors),
    )
    if creating or current is not None:
        _require_a_name(out.scalars, current, errors)
    if errors:
        raise ValidationError(errors)
    await _check_references(out)
    return out


def _refuse_unknown_fields(data: dict[str, Any], errors: dict[str, str]) -> None:
    """Step 1."""
    for name in data:
        if name not in KNOWN_FIELDS:
            errors[name] = "is not a contact field"


def _clean_scalars(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Step 2: the scalar fields present in `data`, cleaned."""
    scalars: dict[str, Any] = {}
    for name in (*TEXT_FIELDS, *BOOL_FIELDS, *DATE_FIELDS, *REF_FIELDS):
        if name in data:
            try:
                scalars[name] = _clean_scalar(name, data[name])
            except FieldError as exc:
                errors[name] = str(exc)
    return scalars


def _clean_scalar(name: str, value: Any) -> Any:
    """One scalar field's value, cleaned; raises FieldError."""
    if name in TEXT_FIELDS:
        return clean_string(value, TEXT_FIELDS[name], name in MULTILINE)
    if name in BOOL_FIELDS:
        return parse_bool(value)
    if name in DATE_FIELDS:
        return _clean_date(value)
    return _clean_ref(value)


def _clean_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    day = parse_date(value)
    if not date(1900, 1, 1) <= day <= utcnow().date():
        raise FieldError("must be between 1900 and today")
    return day


def _clean_ref(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise FieldError("must be an id")
    return int(value)


def _clean_channels(
    data: dict[str, Any], errors: dict[str, str]
) -> dict[ChannelKind, list[ChannelValue]]:
    """Step 3: the channel lists present in `data`, per kind."""
    region = config.current().default_phone_region
    return {
        kind: clean_channel_list(name, kind, data[name], region, errors)
        for name, kind in CHANNEL_FIELDS.items()
        if name in data
    }


def _clean_id_list(data: dict[str, Any], name: str, errors: dict[str, str]) -> list[int] | None:
    """Step 4: the ids in `data[name]`, each once; None when `data` leaves the list alone."""
    if name not in data:
        return None
    try:
        return _clean_ids(data[name] or [])
    except FieldError as exc:
        errors[name] = str(exc)
        return None


def _clean_ids(value: Any) -> list[int]:
    if not isinstance(value, list | tuple):
        raise FieldError("must be a list of ids")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit():
            raise FieldError("must be a list of ids")
        if int(item) not in ids:
            ids.append(int(item))
    return ids


async def _clean_custom_values(
    data: dict[str, Any], definitions: dict[str, Any], creating: bool, errors: dict[str, str]
) -> dict[str, list[Any]]:
    """Step 5. Runs without a "custom" key too: a create gets defaults and required checks."""
    if "custom" in data and not isinstance(data["custom"], dict):
        errors["custom"] = "must map field codes to values"
        return {}
    try:
        return await customfields.clean_values(
            definitions, data.get("custom") or {}, creating=creating
        )
    except ValidationError as exc:
        errors.update(exc.errors)
        return {}


def _require_a_name(
    scalars: dict[str, Any], current: Contact | None, errors: dict[str, str]
) -> None:
    """Step 6: the name after the change, unless a name field already has its own error."""
    first = scalars.get("first_name", current.first_name if current else None)
    last = scalars.get("last_name", current.last_name if current else None)
    if not first and not last and not {"first_name", "last_name"} & set(errors):
        errors["first_name"] = NAME_REQUIRED


async def _check_references(clean: CleanContact) -> None:
    errors: dict[str, str] = {}
    checks: tuple[tuple[str, type[Model], dict[str, Any]], ...] = (
        ("type_id", ContactType, {}),
        ("source_id", Source, {}),
        ("responsible_id", Staff, {"is_active": True}),
    )
    for name, model, extra in checks:
        ref = clean.scalars.get(name)
        if ref is not None and not await model.exists(id=ref, **extra):
            errors[name] = "does not exist" if name != "responsible_id" else "is not active staff"
    if clean.observers:
        known = await Staff.filter(id__in=clean.observers, is_active=True).count()
        if known != len(clean.observers):
            errors["observers"] = "must be active staff members"
    if clean.companies:
        known = await Company.filter(id__in=clean.companies, deleted_at=None).count()
        if known != len(clean.companies):
            errors["companies"] = "must be existing companies"
    if errors:
        raise ValidationError(errors)


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


async def _load_live(contact_id: int) -> Contact:
    if not valid_id(contact_id):
        raise NotFoundError(f"contact #{contact_id} does not exist")
    contact = await Contact.get_or_none(id=contact_id, deleted_at=None, merged_into_id=None)
    if contact is None:
        raise NotFoundError(f"contact #{contact_id} does not exist")
    return contact


async def load_card(contact: Contact) -> ContactCard:
    channels = await Channel.filter(contact_id=contact.id).order_by("kind", "sort", "id")
    links = await ContactCompany.filter(contact_id=contact.id).prefetch_related("company")
    observers = await ContactObserver.filter(contact_id=contact.id).values_list(
        "staff_id", flat=True
    )
    names: dict[str, Any] = {}
    for attr, model, column in (
        ("type_id", ContactType, "name"),
        ("source_id", Source, "name"),
        ("responsible_id", Staff, "name"),
    ):
        ref = getattr(contact, attr)
        # `.first()` before `.values_list()`: a ValuesListQuery has no `.first()`.
        names[attr] = (
            await model.filter(id=ref).first().values_list(column, flat=True) if ref else None
        )
    return ContactCard(
        contact=contact,
        channels=[
            ChannelView(
                c.id, c.kind, c.value_type, c.value, c.normalized, c.extension, c.is_primary
            )
            for c in channels
        ],
        companies=[
            CompanyLink(link.company_id, link.company.title, link.is_primary)
            for link in links
            if link.company.deleted_at is None
        ],
        custom=await customfields.read_values(contact.id),
        observer_ids=list(observers),
        type_name=names["type_id"],
        source_name=names["source_id"],
        responsible_name=names["responsible_id"],
    )


async def get_contact(actor: Actor, contact_id: int) -> ContactCard:
    """A contact's card; raises NotFoundError or PermissionDeniedError."""
    contact = await _load_live(contact_id)
    require(actor, Action.READ, await record_facts(contact))
    card = await load_card(contact)
    # A readable contact may work for a company the actor may not see: leave it off the card.
    companies = {
        c.id: c for c in await Company.filter(id__in=[link.company_id for link in card.companies])
    }
    card.companies = [
        link
        for link in card.companies
        if can(
            actor,
            Action.READ,
            RecordFacts(
                companies[link.company_id].responsible_id, companies[link.company_id].opened
            ),
        )
    ]
    return card


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
    return await load_card(contact)


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
    contact = await _load_live(contact_id)
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
    contact = await _load_live(contact_id)
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


async def _lock_live(contact_id: int) -> None:
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


async def _bump(contact: Contact, actor: Actor) -> None:
    # F(): an increment in the database, not a read-modify-write of a version read earlier.
    await Contact.filter(id=contact.id).update(
        version=F("version") + 1, updated_by_id=actor.staff_id, updated_at=utcnow()
    )


LINKS = {
    "company": (Company, ContactCompany, "company_id"),
    "deal": (Deal, ContactDeal, "deal_id"),
    "quote": (Quote, ContactQuote, "quote_id"),
}


async def _linkable(actor: Actor, kind: str, target_id: int) -> tuple[Any, Any, str]:
    model, link_model, column = LINKS[kind]
    target: Any = await model.get_or_none(id=target_id, deleted_at=None)
    # One answer for a record that is missing and for one the actor may not read: a different
    # one would tell them which ids exist.
    if target is None or not can(
        actor, Action.READ, RecordFacts(responsible_id=target.responsible_id, opened=target.opened)
    ):
        raise NotFoundError(f"{kind} #{target_id} does not exist")
    return target, link_model, column


async def link(
    actor: Actor, contact_id: int, kind: str, target_id: int, *, primary: bool = False
) -> None:
    """Link a contact to a company, deal or quote (idempotent); for companies, maybe primary."""
    if kind not in LINKS:
        raise ValidationError({"kind": "must be company, deal or quote"})
    contact = await _load_live(contact_id)
    require(actor, Action.EDIT, await record_facts(contact))
    target, link_model, column = await _linkable(actor, kind, target_id)
    async with in_transaction():
        await _lock_live(contact_id)
        existing = await link_model.get_or_none(contact_id=contact_id, **{column: target_id})
        changed = existing is None
        switched = False
        if kind == "company":
            old_primary = (
                await ContactCompany.filter(contact_id=contact_id, is_primary=True)
                .prefetch_related("company")
                .first()
            )
            # One primary company per contact: the first link, or the one asked for.
            make_primary = primary or old_primary is None
            if make_primary and (existing is None or not existing.is_primary):
                await ContactCompany.filter(contact_id=contact_id).update(is_primary=False)
                changed = True
                # A new first link is primary by nature; any other switch is a change to audit.
                switched = old_primary is not None or existing is not None
            if existing is None:
                await ContactCompany.create(
                    contact_id=contact_id, company_id=target_id, is_primary=make_primary
                )
            elif make_primary and not existing.is_primary:
                await ContactCompany.filter(id=existing.id).update(is_primary=True)
        elif existing is None:
            await link_model.create(contact_id=contact_id, **{column: target_id})
        if existing is None:
            await history.record(
                actor, ENTITY, contact_id, HistoryKind.LINKED, field=kind, after=_title(target)
            )
        if switched:
            await history.record(
                actor,
                ENTITY,
                contact_id,
                HistoryKind.CHANGED,
                field="primary_company",
                before=_title(old_primary.company) if old_primary else None,
                after=_title(target),
            )
        if not changed:
            return  # linking twice is a no-op: no new version, no history
        await _bump(contact, actor)
        if kind == "company":
            await refresh_search_keys(contact)


async def unlink(actor: Actor, contact_id: int, kind: str, target_id: int) -> None:
    """Remove a link (idempotent); a remaining company becomes primary if needed.

    A company, deal or quote the actor may not read is left linked, as one that was never
    linked would be: nothing tells them it exists. Raises NotFoundError or
    PermissionDeniedError (for the contact)."""
    if kind not in LINKS:
        raise ValidationError({"kind": "must be company, deal or quote"})
    contact = await _load_live(contact_id)
    require(actor, Action.EDIT, await record_facts(contact))
    model, link_model, column = LINKS[kind]
    target: Any = await model.get_or_none(id=target_id)
    if target is not None and not can(
        actor, Action.READ, RecordFacts(responsible_id=target.responsible_id, opened=target.opened)
    ):
        # A record the actor may not read is, for them, one that does not exist: no link to
        # remove, nothing written (its title would go into the history they read).
        return
    async with in_transaction():
        await _lock_live(contact_id)
        removed = await link_model.filter(contact_id=contact_id, **{column: target_id}).delete()
        if not removed:
            return
        if kind == "company" and not await ContactCompany.exists(
            contact_id=contact_id, is_primary=True
        ):
            first = await ContactCompany.filter(contact_id=contact_id).order_by("id").first()
            if first is not None:
                await ContactCompany.filter(id=first.id).update(is_primary=True)
        await history.record(
            actor,
            ENTITY,
            contact_id,
            HistoryKind.UNLINKED,
            field=kind,
            before=_title(target) if target else f"#{target_id}",
        )
        await _bump(contact, actor)
        if kind == "company":
            await refresh_search_keys(contact)


def _title(target: Any) -> str:
    return f"{target.title} (#{target.id})"


@dataclass(slots=True)
class Dependencies:
    """What hangs on a contact (F13): the card's 'Dependencies' view."""

    companies: list[Company]
    deals: list[Deal]
    quotes: list[Quote]
    activities: list[Activity]


async def dependencies(actor: Actor, contact_id: int) -> Dependencies:
    """Linked companies, deals, quotes and activities the actor may see."""
    contact = await _load_live(contact_id)
    require(actor, Action.READ, await record_facts(contact))

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
    contact = await _load_live(contact_id)
    require(actor, Action.READ, await record_facts(contact))
    card = await load_card(contact)
    channels: dict[ChannelKind, list[ChannelValue]] = {}
    for c in card.channels:
        channels.setdefault(c.kind, []).append(
            ChannelValue(c.kind, c.value_type, c.value, c.normalized, c.extension)
        )
    scalars = {"first_name": contact.first_name, "last_name": contact.last_name}
    return await find_duplicates_for(actor, scalars, channels, exclude_id=contact_id)


# --- the edit and link dialogs ----------------------------------------------------------------


async def get_contact_for_edit(
    actor: Actor, contact_id: int, expected_version: int | None = None
) -> ContactCard:
    """A contact's card for an edit dialog: the actor must be allowed to edit it.

    With `expected_version`, the card must still be at that version (what the user saw).
    Raises NotFoundError, PermissionDeniedError or StaleEditError.
    """
    card = await get_contact(actor, contact_id)
    require(actor, Action.EDIT, await record_facts(card.contact))
    if expected_version and card.version != expected_version:
        raise StaleEditError(ENTITY, contact_id, expected_version, card.version)
    return card


@dataclass(slots=True)
class ContactLinks:
    """What the link dialog shows: the card (its companies, which one is primary) and its deals."""

    card: ContactCard
    deals: list[Deal]


async def get_contact_links(actor: Actor, contact_id: int) -> ContactLinks:
    """The contact's companies and deals the actor may read, for an actor who may edit it.

    Raises NotFoundError or PermissionDeniedError.
    """
    card = await get_contact_for_edit(actor, contact_id)
    linked = await Deal.filter(contact_links__contact_id=contact_id, deleted_at=None).order_by(
        "title", "id"
    )
    deals = [d for d in linked if can(actor, Action.READ, RecordFacts(d.responsible_id, d.opened))]
    return ContactLinks(card=card, deals=deals)


async def create_company_and_link(
    actor: Actor, contact_id: int, title: str, *, primary: bool = False
) -> Company:
    """Create a company by title and link the contact to it, both or neither.

    Raises NotFoundError or PermissionDeniedError (the contact must be editable, checked before
    anything is written; the company needs the add right) or ValidationError (the title).
    """
    await get_contact_for_edit(actor, contact_id)
    async with in_transaction():
        company = cast(Company, await company_cases.create(actor, "company", {"title": title}))
        await link(actor, contact_id, "company", company.id, primary=primary)
    return company


# --- editing one field's values (the edit dialog's buttons) -----------------------------------

CHANNEL_NAMES = {kind: name for name, kind in CHANNEL_FIELDS.items()}
ChannelItems = list[dict[str, str]]


async def _edit_channels(
    actor: Actor,
    contact_id: int,
    kind: ChannelKind,
    expected_version: int,
    edit: Callable[[ChannelItems], ChannelItems],
) -> ContactCard:
    """Save the contact's channels of `kind` as `edit` changes them: the whole list goes through
    `update_contact`, so every value is checked again and the change is in the history."""
    card = await get_contact_for_edit(actor, contact_id, expected_version)
    name = CHANNEL_NAMES[kind]
    items = [
        {"value": c.value, "value_type": c.value_type} for c in card.channels if c.kind == kind
    ]
    try:
        edited = edit(items)
    except FieldError as exc:
        raise ValidationError({name: str(exc)}) from exc
    return await update_contact(actor, contact_id, {name: edited}, expected_version)


async def add_channel(
    actor: Actor,
    contact_id: int,
    kind: ChannelKind,
    value: str,
    value_type: str,
    expected_version: int,
) -> ContactCard:
    """Add a phone, e-mail, website or messenger after the contact's others of its kind (the
    first one is primary). Raises what `update_contact` raises; returns the saved card."""
    new = {"value": value, "value_type": value_type}
    return await _edit_channels(
        actor, contact_id, kind, expected_version, lambda items: [*items, new]
    )


async def set_channel_type(
    actor: Actor,
    contact_id: int,
    kind: ChannelKind,
    position: int,
    value_type: str,
    expected_version: int,
) -> ContactCard:
    """Give the value at `position` among the contact's channels of `kind` another type.

    Raises ValidationError (a position or a type that does not exist) or what
    `update_contact` raises; returns the saved card.
    """
    return await _edit_channels(
        actor,
        contact_id,
        kind,
        expected_version,
        lambda items: value_rules.change_at(
            items, position, lambda item: {**item, "value_type": value_type}
        ),
    )


async def make_channel_primary(
    actor: Actor, contact_id: int, kind: ChannelKind, position: int, expected_version: int
) -> ContactCard:
    """Make the value at `position` the contact's primary one of its kind (it moves first)."""
    return await _edit_channels(
        actor,
        contact_id,
        kind,
        expected_version,
        lambda items: value_rules.move_first(items, position),
    )


async def remove_channel(
    actor: Actor, contact_id: int, kind: ChannelKind, position: int, expected_version: int
) -> ContactCard:
    """Remove the value at `position` of the contact's channels of `kind` (the next one up
    becomes primary when the primary goes)."""
    return await _edit_channels(
        actor,
        contact_id,
        kind,
        expected_version,
        lambda items: value_rules.remove_at(items, position),
    )


async def toggle_value(
    actor: Actor, contact_id: int, field_name: str, value: Any, expected_version: int
) -> ContactCard:
    """Switch one value of a field with several values on or off: a staff member among the
    `observers`, or a value of a multiple custom field (`custom.<code>`).

    Raises NotFoundError, PermissionDeniedError, StaleEditError or ValidationError; returns
    the saved card.
    """
    card = await get_contact_for_edit(actor, contact_id, expected_version)
    if field_name == "observers":
        changes: dict[str, Any] = {"observers": value_rules.toggle(card.observer_ids, value)}
    elif ref := FieldRef.from_data_key(field_name):
        current = card.custom.get(ref.code, [])
        changes = {"custom": {ref.code: value_rules.toggle(current, value)}}
    else:
        raise ValidationError({field_name: "does not take several values"})
    return await update_contact(actor, contact_id, changes, expected_version)
