"""The one place that decides access: `can` for a record, `scope_q`/`scope_sql` for queries."""

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from crm.actors import Actor
from crm.db import Params
from crm.errors import NotFoundError, PermissionDeniedError
from crm.rules.permissions import RecordFacts, Scope, level_allows, scope_for
from models import Contact, ContactObserver
from models.enums import Action, Level

ACTION_WORDS = {
    Action.READ: "see",
    Action.ADD: "add",
    Action.EDIT: "edit",
    Action.DELETE: "delete",
    Action.EXPORT: "export",
    Action.IMPORT: "import",
}


async def record_facts(contact) -> RecordFacts:
    """Load what a decision about one contact needs (observers come from their own table)."""
    observers = await ContactObserver.filter(contact_id=contact.id).values_list(
        "staff_id", flat=True
    )
    return RecordFacts(
        responsible_id=contact.responsible_id,
        opened=contact.opened,
        observer_ids=frozenset(observers),
    )


def can(actor: Actor, action: Action, facts: RecordFacts) -> bool:
    """Whether `actor` may do `action` on a record with these facts."""
    return level_allows(actor.level(action), actor.reach, facts, observing=action == Action.READ)


def require(actor: Actor, action: Action, facts: RecordFacts, what: str = "this contact") -> None:
    """Raise PermissionDeniedError unless `can(...)`."""
    if not can(actor, action, facts):
        raise PermissionDeniedError(f"you may not {ACTION_WORDS[action]} {what}")


def require_readable(actor: Actor, facts: RecordFacts, entity: str, record_id: int) -> None:
    """Raise NotFoundError, worded as for a missing id, unless the actor may read the record:
    what a staff member may not read must not even be known to exist."""
    if not can(actor, Action.READ, facts):
        raise NotFoundError(f"{entity} #{record_id} does not exist")


@dataclass(frozen=True, slots=True)
class ContactRights:
    """What a reader may do with a contact they see (the buttons a card offers them)."""

    edit: bool
    delete: bool


def contact_rights(actor: Actor, contact: Contact) -> ContactRights:
    """Whether `actor` may edit and delete `contact` (observing widens reading only, so the
    observers need not be loaded)."""
    facts = RecordFacts(responsible_id=contact.responsible_id, opened=contact.opened)
    return ContactRights(
        edit=can(actor, Action.EDIT, facts), delete=can(actor, Action.DELETE, facts)
    )


def can_any(actor: Actor, action: Action) -> bool:
    """Whether the actor has some level for `action` (what a menu offers them)."""
    return actor.level(action) > 0


def can_manage_settings(actor: Actor) -> bool:
    return actor.is_admin or actor.can_manage_settings


def require_any(actor: Actor, action: Action) -> None:
    """Raise unless the actor has some level for `action` (e.g. to import at all)."""
    if actor.level(action) == 0:
        raise PermissionDeniedError(f"you may not {ACTION_WORDS[action]} contacts")


def require_settings(actor: Actor) -> None:
    if not can_manage_settings(actor):
        raise PermissionDeniedError("only administrators may change settings")


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError(f"only administrators may {what}")


def require_may_change_reach(
    actor: Actor, staff_id: int, *, is_admin: bool, what: str = "departments"
) -> None:
    """The guard of every change to what a member reaches (their departments, a department
    they head or come under, being let back in): no one widens their own reach, and only
    administrators change an administrator's. Raises PermissionDeniedError."""
    if actor.is_admin:
        return
    if staff_id == actor.staff_id:
        raise PermissionDeniedError(f"only administrators may change their own {what}")
    if is_admin:
        raise PermissionDeniedError(f"only administrators may change an administrator's {what}")


def require_within_own_levels(actor: Actor, levels: dict[Action, Level], settings: bool) -> None:
    """Staff with the settings right may hand out no more than they hold themselves: granting a
    role above one's own levels (or the settings right) would be a way to promote oneself."""
    if actor.is_admin:
        return
    if settings or any(level > actor.level(action) for action, level in levels.items()):
        raise PermissionDeniedError("only administrators may give rights above their own")


def scope(actor: Actor, action: Action = Action.READ) -> Scope:
    return scope_for(actor.level(action), actor.reach)


def scope_q(
    actor: Actor, action: Action = Action.READ, prefix: str = "", *, contacts: bool = True
) -> Q:
    """The records `actor` may `action` as a Tortoise filter (contacts, or companies/deals/quotes
    with `contacts=False`, which have no observers; `prefix` reaches through a relation)."""
    s = scope(actor, action)
    if s.everything:
        return Q()
    if s.nothing:
        return Q(**{f"{prefix}id__lt": 0})
    parts = Q(**{f"{prefix}responsible_id__in": sorted(s.responsible_ids)})
    if s.include_opened:
        parts |= Q(**{f"{prefix}opened": True})
    if contacts and s.observer_id is not None and action == Action.READ:
        observed = ContactObserver.filter(staff_id=s.observer_id).values("contact_id")
        parts |= Q(**{f"{prefix}id__in": Subquery(observed)})
    return parts


def scope_sql(
    actor: Actor,
    params: Params,
    alias: str = "c",
    action: Action = Action.READ,
    *,
    contacts: bool = True,
) -> str:
    """The same filter as `scope_q`, as a parameterised SQL condition for raw search queries
    (`contacts=False`: for companies, which have no observers).

    Only the alias and generated placeholders are formatted into the text; values are parameters.
    """
    s = scope(actor, action)
    if s.everything:
        return "1=1"
    if s.nothing:
        return "1=0"
    parts = []
    if s.responsible_ids:
        parts.append(f"{alias}.responsible_id IN ({params.many(sorted(s.responsible_ids))})")
    if s.include_opened:
        parts.append(f"{alias}.opened = {params(True)}")
    if contacts and s.observer_id is not None and action == Action.READ:
        parts.append(
            f"{alias}.id IN (SELECT contact_id FROM contact_observer"
            f" WHERE staff_id = {params(s.observer_id)})"
        )
    return "(" + " OR ".join(parts) + ")" if parts else "1=0"
