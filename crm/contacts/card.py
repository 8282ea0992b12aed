"""A contact as it is read: its card (channels, companies, observers, custom values), for
readers and for the edit dialogs."""

from dataclasses import dataclass, field
from typing import Any

from crm import customfields
from crm.actors import Actor
from crm.db import valid_id
from crm.errors import (
    NotFoundError,
    StaleEditError,
)
from crm.permissions import can, record_facts, require, require_readable
from crm.rules.fields import (
    BOOL_FIELDS,
    CHANNEL_FIELDS,
    DATE_FIELDS,
    REF_FIELDS,
    TEXT_FIELDS,
    ChannelValue,
)
from crm.rules.permissions import RecordFacts
from models import (
    Channel,
    Company,
    Contact,
    ContactCompany,
    ContactObserver,
    ContactType,
    Source,
    Staff,
)
from models.enums import Action, ChannelKind

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


async def load_live(contact_id: int) -> Contact:
    """A contact that is neither deleted nor merged away, or NotFoundError."""
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


async def load_readable(actor: Actor, contact_id: int) -> Contact:
    """A live contact the actor may read; NotFoundError for one they may not read, exactly as
    for an id that does not exist."""
    contact = await load_live(contact_id)
    require_readable(actor, await record_facts(contact), ENTITY, contact_id)
    return contact


async def get_contact(actor: Actor, contact_id: int) -> ContactCard:
    """A contact's card; raises NotFoundError (also for a contact the actor may not read)."""
    contact = await load_readable(actor, contact_id)
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
