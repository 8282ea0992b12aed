"""Web form posts and known contacts (issue 12, hole 4): an anonymous post never overwrites,
reorders or removes what is stored; what it would change is proposed to the responsible, who
applies or ignores it. A name-only match never merges a lead."""

import asyncio
from typing import Any

import pytest

from crm import contacts, merge
from crm.actors import system_actor
from crm.errors import ConflictError, NotFoundError, PermissionDeniedError
from crm.webforms import definitions, proposals
from crm.webforms.submissions import SubmissionMeta
from models import Channel, Contact, FormSubmission, HistoryEntry, OutboxMessage
from models.enums import CallerKind, Level
from tests.conftest import actor_of
from tests.posts import post_lead

CLI = system_actor("cli")
CONSENT = {"consent": "on"}


def post(**fields: Any) -> dict[str, Any]:
    """A visitor's post to a form with the default fields."""
    return {"name": "Jean Dupont", "email": "jean@example.fr", **CONSENT, **fields}


async def submit(payload: dict[str, Any], slug: str = "leads", **meta: Any):
    """A post stored as the adapter stores it, then processed as the worker does."""
    return await post_lead(slug, payload, SubmissionMeta(**meta))


async def make_form(policy: str, slug: str = "leads") -> None:
    await definitions.create_form(CLI, {"slug": slug, "title": "Leads", "dedup_policy": policy})


async def known_jean(**extra: Any) -> contacts.ContactCard:
    data = {"first_name": "Jean", "last_name": "Dupont", "emails": ["jean@example.fr"], **extra}
    return await contacts.create_contact(CLI, data)


async def phones_of(contact_id: int) -> list[tuple[str, bool]]:
    return list(
        await Channel.filter(contact_id=contact_id, kind="phone")
        .order_by("sort")
        .values_list("normalized", "is_primary")
    )


async def proposal_of(submission_id: int) -> dict[str, Any] | None:
    return (await FormSubmission.get(id=submission_id)).proposal


# --- anonymous merge: fill and add, never overwrite or reorder ------------------------------


@pytest.mark.parametrize("caller", [None, CallerKind.PAGE, CallerKind.ORIGIN])
async def test_an_anonymous_phone_never_becomes_the_primary_one(db, caller):
    card = await known_jean()  # an e-mail, no phone
    await make_form("merge")
    result = await submit(post(phone="06 98 76 54 32"), caller=caller)
    assert (result.status, result.contact_id) == ("merged", card.id)
    assert await phones_of(card.id) == []  # it would have become the number staff call
    proposal = await proposal_of(result.submission_id)
    assert proposal is not None
    assert [(c["field"], c["normalized"], c["primary"]) for c in proposal["channels"]] == [
        ("phones", "+33698765432", True)
    ]


async def test_an_anonymous_phone_is_added_after_the_known_ones(db):
    card = await known_jean(phones=["+33612345678"])
    await make_form("merge")
    await submit(post(phone="06 98 76 54 32"), caller=CallerKind.PAGE)
    assert await phones_of(card.id) == [("+33612345678", True), ("+33698765432", False)]


async def test_an_anonymous_message_is_not_appended_to_the_comment(db):
    card = await known_jean(comment="Met at the fair")
    await make_form("merge")
    result = await submit(post(message="Call +1 900 555 0100 instead"), caller=CallerKind.PAGE)
    assert (await Contact.get(id=card.id)).comment == "Met at the fair"
    proposal = await proposal_of(result.submission_id)
    assert proposal is not None and proposal["message"] == "Call +1 900 555 0100 instead"


async def test_an_anonymous_post_fills_empty_fields(db):
    card = await contacts.create_contact(
        CLI, {"last_name": "Dupont", "emails": ["jean@example.fr"]}
    )
    await make_form("merge")
    result = await submit(
        post(), caller=CallerKind.PAGE, page_url="https://x.example/?utm_source=ads"
    )
    contact = await Contact.get(id=card.id)
    assert (contact.first_name, contact.last_name, contact.utm_source) == ("Jean", "Dupont", "ads")
    assert await proposal_of(result.submission_id) is None  # nothing else to propose


async def test_the_same_name_in_another_case_is_not_proposed(db):
    await known_jean()
    await make_form("merge")
    result = await submit(post(name="JEAN dupont"), caller=CallerKind.PAGE)
    assert await proposal_of(result.submission_id) is None


async def test_an_anonymous_different_name_is_proposed_not_written(db):
    card = await known_jean()
    await make_form("merge")
    result = await submit(post(name="Eve Attacker"), caller=CallerKind.ORIGIN)
    contact = await Contact.get(id=card.id)
    assert (contact.first_name, contact.last_name) == ("Jean", "Dupont")
    proposal = await proposal_of(result.submission_id)
    assert proposal is not None
    assert proposal["fields"] == {"first_name": "Eve", "last_name": "Attacker"}


# --- replace: only with the form's API key --------------------------------------------------


async def test_replace_without_the_api_key_does_not_rename_or_reorder(db):
    card = await known_jean(phones=["+33612345678"], comment="VIP")
    await make_form("replace")
    result = await submit(
        post(name="Eve Attacker", phone="06 98 76 54 32", message="new"), caller=CallerKind.PAGE
    )
    assert (result.status, result.contact_id) == ("merged", card.id)
    contact = await Contact.get(id=card.id)
    assert (contact.first_name, contact.last_name, contact.comment) == ("Jean", "Dupont", "VIP")
    assert await phones_of(card.id) == [("+33612345678", True), ("+33698765432", False)]
    proposal = await proposal_of(result.submission_id)
    assert proposal is not None
    assert proposal["fields"] == {"first_name": "Eve", "last_name": "Attacker"}
    assert [(c["normalized"], c["primary"]) for c in proposal["channels"]] == [
        ("+33698765432", True)
    ]
    assert proposal["message"] == "new"


async def test_replace_with_the_api_key_renames(db):
    card = await known_jean(phones=["+33612345678"], comment="VIP")
    await make_form("replace")
    result = await submit(
        post(name="Jean-Pierre Durand", phone="06 98 76 54 32", message="new"),
        caller=CallerKind.API,
    )
    contact = await Contact.get(id=card.id)
    assert (contact.first_name, contact.last_name) == ("Jean-Pierre", "Durand")
    assert contact.comment == "VIP\n\nnew"
    assert await phones_of(card.id) == [("+33698765432", True), ("+33612345678", False)]
    assert await proposal_of(result.submission_id) is None


async def test_merge_with_the_api_key_appends_and_proposes_the_differences(db):
    card = await known_jean(comment="VIP")
    await make_form("merge")
    result = await submit(
        post(name="Jean-Pierre Dupont", phone="06 98 76 54 32", message="order 1042"),
        caller=CallerKind.API,
    )
    contact = await Contact.get(id=card.id)
    assert contact.first_name == "Jean"  # merge never overwrites
    assert contact.comment == "VIP\n\norder 1042"  # the shop's server vouches for it
    assert await phones_of(card.id) == [("+33698765432", True)]
    proposal = await proposal_of(result.submission_id)
    assert proposal is not None
    assert proposal["fields"] == {"first_name": "Jean-Pierre"}
    assert proposal["channels"] == [] and proposal["message"] is None


# --- the alert ------------------------------------------------------------------------------


async def test_the_alert_shows_the_proposal_with_apply_and_ignore(db, make_staff):
    ann = await make_staff("Ann")
    card = await known_jean(responsible_id=ann.id, comment="VIP")
    await make_form("merge")
    result = await submit(
        post(name="Eve Attacker", phone="06 98 76 54 32", message="hi"), caller=CallerKind.PAGE
    )
    alert = await OutboxMessage.get(staff_id=ann.id)
    assert "First name: Eve (now: Jean)" in alert.text
    assert "Last name: Attacker (now: Dupont)" in alert.text
    assert "Phone, as the main one: 06 98 76 54 32" in alert.text
    assert "Add the message to the comment" in alert.text
    buttons = [b for row in alert.payload["buttons"] for b in row]
    assert {"action": "apply", "submission_id": result.submission_id} in [
        {k: b[k] for k in ("action", "submission_id")} for b in buttons if "submission_id" in b
    ]
    assert [b["action"] for b in buttons] == ["open", "take", "apply", "ignore"]
    assert alert.payload["contact_id"] == card.id


async def test_an_alert_without_a_proposal_has_no_apply_button(db, make_staff):
    ann = await make_staff("Ann")
    await known_jean(responsible_id=ann.id)
    await make_form("merge")
    await submit(post(), caller=CallerKind.PAGE)
    alert = await OutboxMessage.get(staff_id=ann.id)
    assert [b["action"] for row in alert.payload["buttons"] for b in row] == ["open", "take"]


# --- apply and ignore -----------------------------------------------------------------------


async def _proposed(make_staff, **staff_levels: Any):
    """Jean, whose responsible is Ann, and an anonymous post proposing changes to him."""
    ann = await make_staff("Ann")
    card = await known_jean(responsible_id=ann.id, comment="VIP")
    await make_form("merge")
    result = await submit(
        post(name="Jean-Pierre Dupont", phone="06 98 76 54 32", message="call me"),
        caller=CallerKind.PAGE,
    )
    assert await proposal_of(result.submission_id) is not None
    return ann, card, result.submission_id


async def test_apply_writes_the_proposal_as_the_staff_member(db, make_staff):
    ann, card, submission_id = await _proposed(make_staff)
    outcome = await proposals.apply(await actor_of(ann), submission_id)
    assert (outcome.done, outcome.contact_id) == (True, card.id)
    contact = await Contact.get(id=card.id)
    assert contact.first_name == "Jean-Pierre"
    assert contact.comment == "VIP\n\ncall me"
    assert await phones_of(card.id) == [("+33698765432", True)]
    assert await proposal_of(submission_id) is None
    entries = await HistoryEntry.filter(
        entity="contact", entity_id=card.id, actor_staff_id=ann.id
    ).values_list("field", "after")
    fields = {f for f, _ in entries}
    assert {"first_name", "comment", "phones", "web_form"} <= fields
    assert any(f == "web_form" and f"#{submission_id}" in (a or "") for f, a in entries)


async def test_apply_puts_a_proposed_primary_first_and_keeps_the_others(db, make_staff):
    ann = await make_staff("Ann")
    card = await known_jean(responsible_id=ann.id, phones=["+33612345678"])
    await make_form("replace")
    result = await submit(post(phone="06 98 76 54 32"), caller=CallerKind.PAGE)
    assert await phones_of(card.id) == [("+33612345678", True), ("+33698765432", False)]
    await proposals.apply(await actor_of(ann), result.submission_id)
    assert await phones_of(card.id) == [("+33698765432", True), ("+33612345678", False)]


async def test_ignore_clears_the_proposal_and_writes_nothing(db, make_staff):
    ann, card, submission_id = await _proposed(make_staff)
    version = (await Contact.get(id=card.id)).version
    outcome = await proposals.ignore(await actor_of(ann), submission_id)
    assert outcome.done
    assert await proposal_of(submission_id) is None
    contact = await Contact.get(id=card.id)
    assert (contact.first_name, contact.comment, contact.version) == ("Jean", "VIP", version)
    again = await proposals.apply(await actor_of(ann), submission_id)
    assert not again.done
    assert (await Contact.get(id=card.id)).first_name == "Jean"


async def test_applying_twice_applies_once(db, make_staff):
    ann, card, submission_id = await _proposed(make_staff)
    actor = await actor_of(ann)
    assert (await proposals.apply(actor, submission_id)).done
    assert not (await proposals.apply(actor, submission_id)).done
    assert (await Contact.get(id=card.id)).comment == "VIP\n\ncall me"


async def test_apply_and_ignore_at_once_settle_it_once(db, make_staff):
    ann, card, submission_id = await _proposed(make_staff)
    bob = await make_staff("Bob")
    outcomes = await asyncio.gather(
        proposals.apply(await actor_of(ann), submission_id),
        proposals.ignore(await actor_of(bob), submission_id),
        proposals.apply(await actor_of(bob), submission_id),
    )
    assert sum(o.done for o in outcomes) == 1
    comment = (await Contact.get(id=card.id)).comment
    assert comment in ("VIP", "VIP\n\ncall me")
    assert await proposal_of(submission_id) is None


async def test_a_contact_the_actor_may_not_read_is_not_found_like_a_missing_one(db, make_staff):
    _, card, submission_id = await _proposed(make_staff)
    clerk = await actor_of(await make_staff("Clerk", level=Level.OWN))
    with pytest.raises(NotFoundError) as hidden:
        await proposals.apply(clerk, submission_id)
    with pytest.raises(NotFoundError) as missing:
        await proposals.apply(clerk, 999_999)
    assert str(hidden.value) == str(missing.value).replace("999999", str(submission_id))
    with pytest.raises(NotFoundError):
        await proposals.ignore(clerk, submission_id)
    assert await proposal_of(submission_id) is not None


async def test_staff_who_may_not_edit_the_contact_are_refused(db, make_staff):
    _, card, submission_id = await _proposed(make_staff)
    reader = await actor_of(await make_staff("Reader", levels={"read": Level.ALL}, level=None))
    for use_case in (proposals.apply, proposals.ignore):
        with pytest.raises(PermissionDeniedError):
            await use_case(reader, submission_id)
    assert await proposal_of(submission_id) is not None
    assert (await Contact.get(id=card.id)).first_name == "Jean"


async def test_a_contact_deleted_meanwhile_is_said_so(db, make_staff):
    ann, card, submission_id = await _proposed(make_staff)
    await contacts.delete_contact(CLI, card.id)
    with pytest.raises(ConflictError, match="deleted"):
        await proposals.apply(await actor_of(ann), submission_id)
    assert await proposal_of(submission_id) is not None
    assert (await proposals.ignore(await actor_of(ann), submission_id)).done


async def test_a_contact_merged_meanwhile_is_said_so(db, make_staff):
    ann, card, submission_id = await _proposed(make_staff)
    other = await contacts.create_contact(CLI, {"first_name": "Jean", "last_name": "D."})
    await merge.merge_contacts(CLI, other.id, [card.id])
    with pytest.raises(ConflictError, match=f"merged into #{other.id}"):
        await proposals.apply(await actor_of(ann), submission_id)


# --- a name-only match ----------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["merge", "replace"])
async def test_a_name_only_match_creates_a_twin_shown_as_a_possible_duplicate(
    db, make_staff, policy
):
    await make_staff("Admin", admin=True)
    card = await contacts.create_contact(
        CLI, {"first_name": "Paul", "last_name": "Martin", "comment": "VIP"}
    )
    await make_form(policy)
    result = await submit(
        {"name": "Paul Martin", "phone": "0611111111", "message": "hi", **CONSENT},
        caller=CallerKind.API,
    )
    assert result.status == "created" and result.contact_id != card.id
    assert (await Contact.get(id=card.id)).comment == "VIP"
    stored = await FormSubmission.get(id=result.submission_id)
    assert stored.reason == f"possible duplicate of #{card.id}"
    look_alikes = await contacts.duplicates_of(CLI, result.contact_id)
    assert [m.contact_id for m in look_alikes] == [card.id]
    assert f"#{card.id}" in (await OutboxMessage.get()).text
