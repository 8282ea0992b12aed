"""Proposals (F8, issue 12): what an anonymous web form post would change on a known contact,
kept on its submission, applied or ignored by a staff member from the lead alert.

An anonymous visitor who knows someone's e-mail must not rename them, put their own phone
first or write in the staff's notes; the contact's staff decide. Both use cases take the
submission's proposal with a conditional update in their transaction, so of two presses (two
people, Apply against Ignore, two processes) exactly one settles it; the other is told it was
settled already.
"""

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from crm import contacts, history, intake
from crm.actors import Actor
from crm.db import valid_id
from crm.errors import ConflictError, NotFoundError
from crm.permissions import record_facts, require, require_readable
from crm.webforms.definitions import ENTITY
from models import Contact, FormSubmission
from models.enums import Action, HistoryKind


@dataclass(frozen=True, slots=True)
class ProposalOutcome:
    """What a press did: `done` when this call applied or ignored the proposal (False: it was
    settled already); `changed` names the fields Apply wrote."""

    submission_id: int
    contact_id: int
    done: bool
    changed: tuple[str, ...] = field(default_factory=tuple)


async def apply(actor: Actor, submission_id: int) -> ProposalOutcome:
    """Write the submission's proposal on its contact as `actor` (with their edit right and
    history naming the submission), and clear it.

    Raises NotFoundError (also for a contact the actor may not read), PermissionDeniedError,
    ConflictError when the contact was deleted or merged meanwhile, ValidationError or
    StaleEditError from the update; nothing is written or cleared then.
    """
    async with in_transaction():
        contact = await _target(actor, submission_id)
        proposal = await _take(submission_id)
        if proposal is None:
            return ProposalOutcome(submission_id, contact.id, done=False)
        _require_live(contact)
        card = await contacts.get_contact_for_edit(actor, contact.id)
        changes = intake.proposal_changes(card, proposal)
        if changes:
            await contacts.update_contact(actor, contact.id, changes, card.version)
        await history.record(
            actor,
            contacts.ENTITY,
            contact.id,
            HistoryKind.CHANGED,
            field=ENTITY,
            after=f"proposal of submission #{submission_id} applied",
        )
    return ProposalOutcome(submission_id, contact.id, done=True, changed=tuple(changes))


async def ignore(actor: Actor, submission_id: int) -> ProposalOutcome:
    """Clear the submission's proposal without writing it (also when its contact was deleted
    or merged since). Needs the edit right on the contact, as Apply does.

    Raises NotFoundError (also for a contact the actor may not read) or PermissionDeniedError.
    """
    async with in_transaction():
        contact = await _target(actor, submission_id)
        done = await _take(submission_id) is not None
    return ProposalOutcome(submission_id, contact.id, done=done)


async def _target(actor: Actor, submission_id: int) -> Contact:
    """The contact a submission went to, live or not, if the actor may read and edit it.

    A submission without a contact, or with one the actor may not read, is not found exactly
    as an id that does not exist (button data is never trusted).
    """
    missing = NotFoundError(f"proposal #{submission_id} does not exist")
    if not valid_id(submission_id):
        raise missing
    contact_id = (
        await FormSubmission.filter(id=submission_id).first().values_list("contact_id", flat=True)
    )
    contact = await Contact.get_or_none(id=contact_id) if contact_id else None
    if contact is None:
        raise missing
    facts = await record_facts(contact)
    try:
        require_readable(actor, facts, contacts.ENTITY, contact.id)
    except NotFoundError:
        raise missing from None
    require(actor, Action.EDIT, facts)
    return contact


async def _take(submission_id: int) -> intake.Proposal | None:
    """Take the proposal off the submission in the caller's transaction; None if another
    press took it first. The row is locked (PostgreSQL) from the read to the commit, and the
    clear is conditional, so that a proposal is settled once."""
    row = (
        await FormSubmission.filter(id=submission_id, proposal__isnull=False)
        .select_for_update()
        .first()
    )
    if row is None or row.proposal is None:
        return None
    taken = await FormSubmission.filter(id=submission_id, proposal__isnull=False).update(
        proposal=None
    )
    return intake.Proposal.from_json(row.proposal) if taken else None


def _require_live(contact: Contact) -> None:
    """A contact deleted or merged since the lead came in: said plainly, nothing written."""
    if contact.merged_into_id is not None:
        raise ConflictError(
            f"contact #{contact.id} was merged into #{contact.merged_into_id}; "
            "open that contact to make these changes"
        )
    if contact.deleted_at is not None:
        raise ConflictError(f"contact #{contact.id} was deleted; restore it to apply the proposal")
