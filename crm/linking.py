"""Use cases behind the bot's edit and link dialogs: the editable card, deal search, new company."""

from dataclasses import dataclass
from typing import cast

from tortoise.transactions import in_transaction

from crm import companies, contacts
from crm.actors import Actor
from crm.contacts import ContactCard
from crm.errors import StaleEditError
from crm.permissions import can, record_facts, require, scope_q
from crm.rules.permissions import RecordFacts
from crm.rules.text import words
from crm.search import search_companies
from models import Company, Deal
from models.enums import Action

# Deals have no folded title column (companies do): titles are matched in Python over the most
# recent readable deals, which keeps accents and non-Latin case folding right on SQLite too.
DEAL_SCAN = 5000


@dataclass(slots=True)
class ContactLinks:
    """What the link dialog shows: the card (its companies, which one is primary) and its deals."""

    card: ContactCard
    deals: list[Deal]


@dataclass(slots=True)
class LinkCandidates:
    """Companies and deals whose title matches a search, among those the actor may read."""

    companies: list[Company]
    deals: list[Deal]


async def contact_for_edit(
    actor: Actor, contact_id: int, expected_version: int | None = None
) -> ContactCard:
    """A contact's card for an edit dialog: the actor must be allowed to edit it.

    With `expected_version`, the card must still be at that version (what the user saw).
    Raises NotFoundError, PermissionDeniedError or StaleEditError.
    """
    card = await contacts.get_contact(actor, contact_id)
    require(actor, Action.EDIT, await record_facts(card.contact))
    if expected_version and card.version != expected_version:
        raise StaleEditError(contacts.ENTITY, contact_id, expected_version, card.version)
    return card


async def contact_links(actor: Actor, contact_id: int) -> ContactLinks:
    """The contact's companies and deals the actor may see, for an actor who may edit it."""
    card = await contact_for_edit(actor, contact_id)
    linked = await Deal.filter(contact_links__contact_id=contact_id, deleted_at=None).order_by(
        "title", "id"
    )
    deals = [d for d in linked if can(actor, Action.READ, RecordFacts(d.responsible_id, d.opened))]
    return ContactLinks(card=card, deals=deals)


def title_matches(title: str, query: str) -> bool:
    """The rule companies are found by: the query's words start a run of the title's words."""
    key = " ".join(words(query))
    title_key = " ".join(words(title))
    return bool(key) and (title_key.startswith(key) or f" {key}" in title_key)


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


async def find_targets(actor: Actor, query: str, limit: int = 8) -> LinkCandidates:
    """Companies and deals a contact could be linked to, found by title."""
    if not words(query):
        return LinkCandidates(companies=[], deals=[])
    return LinkCandidates(
        companies=await search_companies(actor, query, limit),
        deals=await search_deals(actor, query, limit),
    )


async def create_company_and_link(
    actor: Actor, contact_id: int, title: str, *, primary: bool = False
) -> Company:
    """Create a company by title and link the contact to it, both or neither.

    Raises NotFoundError or PermissionDeniedError (the contact must be editable, checked before
    anything is written; the company needs the add right) or ValidationError (the title).
    """
    await contact_for_edit(actor, contact_id)
    async with in_transaction():
        company = cast(Company, await companies.create(actor, "company", {"title": title}))
        await contacts.link(actor, contact_id, "company", company.id, primary=primary)
    return company
