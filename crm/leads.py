"""Leads (F8): "Take it" on a new-lead alert makes the presser responsible; the first wins."""

from dataclasses import dataclass

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crm import history
from crm.actors import Actor
from crm.db import utcnow, valid_id
from crm.errors import NotFoundError, PermissionDeniedError
from crm.permissions import record_facts, require, require_readable
from models import Contact, FormSubmission, Staff
from models.enums import Action, SubmissionStatus

ENTITY = "contact"


@dataclass(frozen=True, slots=True)
class TakeResult:
    """Who has the lead after a press on "Take it"."""

    contact_id: int
    taken_now: bool  # this press took it
    holder_id: int | None  # the contact's responsible now
    holder_name: str | None


async def take_lead(actor: Actor, contact_id: int) -> TakeResult:
    """Make the actor the contact's responsible unless someone took the lead already.

    The first press wins, once: the take is a conditional update on `taken_at`, so of two
    presses at once (even in two processes) exactly one assigns the contact, with an
    "assigned" history entry. Only a contact a web form lead went to can be taken, and only by
    a staff member who may edit it (button data is never trusted: any id can be sent).
    Raises NotFoundError (also for a contact the actor may not read) or PermissionDeniedError;
    returns who has the lead now.
    """
    if actor.staff_id is None:
        raise PermissionDeniedError("only staff members take leads")
    if not valid_id(contact_id):
        raise NotFoundError(f"contact #{contact_id} does not exist")
    async with in_transaction():
        # Locked (PostgreSQL) so that the rights are checked against the row as it is now.
        contact = (
            await Contact.filter(id=contact_id, deleted_at=None, merged_into_id=None)
            .select_for_update(no_key=True)
            .first()
        )
        if contact is None:
            raise NotFoundError(f"contact #{contact_id} does not exist")
        facts = await record_facts(contact)
        # A refusal would confirm the contact exists (button data is never trusted).
        require_readable(actor, facts, "contact", contact_id)
        require(actor, Action.EDIT, facts)
        if not await FormSubmission.exists(
            contact_id=contact_id, status__in=[SubmissionStatus.CREATED, SubmissionStatus.MERGED]
        ):
            raise PermissionDeniedError("only a web form lead can be taken")
        now = utcnow()
        taken = await Contact.filter(
            id=contact_id, taken_at=None, deleted_at=None, merged_into_id=None
        ).update(
            taken_at=now,
            responsible_id=actor.staff_id,
            version=F("version") + 1,
            updated_by_id=actor.staff_id,
            updated_at=now,
        )
        if taken:
            await history.record_changes(
                actor,
                ENTITY,
                contact_id,
                {"responsible_id": (contact.responsible_id, actor.staff_id)},
            )
            return TakeResult(contact_id, True, actor.staff_id, actor.label)
    holder_id = await Contact.filter(id=contact_id).first().values_list("responsible_id", flat=True)
    holder_name = (
        await Staff.filter(id=holder_id).first().values_list("name", flat=True)
        if holder_id
        else None
    )
    return TakeResult(contact_id, False, holder_id, holder_name or None)
