"""A contact's links to companies, deals and quotes (F13): link, unlink, and the link dialog."""

from dataclasses import dataclass
from typing import Any, cast

from tortoise.transactions import in_transaction

from crm import companies as company_cases
from crm import history
from crm.actors import Actor
from crm.contacts.card import ENTITY, ContactCard, get_contact_for_edit, load_readable
from crm.contacts.records import bump_version, lock_live
from crm.errors import (
    NotFoundError,
    ValidationError,
)
from crm.permissions import can, record_facts, require, require_readable
from crm.rules.permissions import RecordFacts
from crm.searchkeys import refresh_search_keys
from models import (
    Company,
    ContactCompany,
    ContactDeal,
    ContactQuote,
    Deal,
    Quote,
)
from models.enums import Action, HistoryKind

LINKS = {
    "company": (Company, ContactCompany, "company_id"),
    "deal": (Deal, ContactDeal, "deal_id"),
    "quote": (Quote, ContactQuote, "quote_id"),
}


async def _linkable(actor: Actor, kind: str, target_id: int) -> tuple[Any, Any, str]:
    model, link_model, column = LINKS[kind]
    target: Any = await model.get_or_none(id=target_id, deleted_at=None)
    if target is None:
        raise NotFoundError(f"{kind} #{target_id} does not exist")
    require_readable(actor, RecordFacts(target.responsible_id, target.opened), kind, target_id)
    return target, link_model, column


async def link(
    actor: Actor, contact_id: int, kind: str, target_id: int, *, primary: bool = False
) -> None:
    """Link a contact to a company, deal or quote (idempotent); for companies, maybe primary."""
    if kind not in LINKS:
        raise ValidationError({"kind": "must be company, deal or quote"})
    contact = await load_readable(actor, contact_id)
    require(actor, Action.EDIT, await record_facts(contact))
    target, link_model, column = await _linkable(actor, kind, target_id)
    async with in_transaction():
        await lock_live(contact_id)
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
        await bump_version(contact, actor)
        if kind == "company":
            await refresh_search_keys(contact)


async def unlink(actor: Actor, contact_id: int, kind: str, target_id: int) -> None:
    """Remove a link (idempotent); a remaining company becomes primary if needed.

    A company, deal or quote the actor may not read is left linked, as one that was never
    linked would be: nothing tells them it exists. Raises NotFoundError or
    PermissionDeniedError (for the contact)."""
    if kind not in LINKS:
        raise ValidationError({"kind": "must be company, deal or quote"})
    contact = await load_readable(actor, contact_id)
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
        await lock_live(contact_id)
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
        await bump_version(contact, actor)
        if kind == "company":
            await refresh_search_keys(contact)


def _title(target: Any) -> str:
    return f"{target.title} (#{target.id})"


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
